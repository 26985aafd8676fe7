# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""glance_multistore's host target without a site or stores stops before its module runs,
naming both variables (runs on this machine, no lab host needed)."""

from __future__ import annotations

import pytest

from conftest import REPO, run_playbook

PLAYBOOK = REPO / "tests" / "integration" / "playbooks" / "glance_multistore_no_site.yml"
STORE = {"id": "central", "type": "rbd", "default": True, "cluster": "central", "pool": "images", "user": "glance",
         "ceph_conf": "/etc/ceph/central.conf", "keyring": "/etc/ceph/central.client.glance.keyring"}


@pytest.mark.parametrize("site, stores", [("", [STORE]), ("central", [])])
def test_a_host_target_without_site_or_stores_names_both_and_changes_nothing(tmp_path, site, stores):
    conf = tmp_path / "glance-api.conf"
    conf.write_text("[DEFAULT]\ndebug = False\n")
    result = run_playbook(PLAYBOOK, ["-i", "localhost,"],
                          extra_vars={"it_vars": {"site": site, "stores": stores, "config_file": str(conf)}})
    assert result.rc != 0
    message = result.task_results("edgestack.glance_ceph.glance_multistore : Set the storage settings in glance-api.conf")[
        "localhost"]["msg"]
    assert "glance_multistore_target host configures one site: set glance_multistore_site to the site name and " \
           "glance_multistore_stores to its store map" in message
    assert conf.read_text() == "[DEFAULT]\ndebug = False\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["glance-api.conf"]
