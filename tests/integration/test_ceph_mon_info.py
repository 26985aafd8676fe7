# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ceph_mon_info against the lab's real clusters, over both transports, compared
with `ceph mon dump` run on the site's Ceph host."""

from __future__ import annotations

import pytest

from _ceph_it import PLAYBOOKS, TRANSPORT_SITES, module_result

PLAYBOOK = PLAYBOOKS / "ceph_mon_info.yml"


@pytest.mark.parametrize("transport, site_name", TRANSPORT_SITES, ids=[t for t, s in TRANSPORT_SITES])
def test_monitor_map_over_each_transport(lab, ansible_playbook, transport, site_name):
    host = lab.ceph_host(site_name)
    run = ansible_playbook(PLAYBOOK, extra_vars={"it_host": host, "it_cluster": site_name,
                                                 "it_transport": transport}, check=True)
    assert run.rc == 0, run.stdout + run.stderr
    result = module_result(run, "Read the monitor map", host)
    expected = lab.ceph(site_name, "mon", "dump")
    assert result["changed"] is False and result["transport"] == transport and result["round_trips"] == 1
    assert result["fsid"] == expected["fsid"]
    assert [m["public_addrs"] for m in result["monmap"]["mons"]] == [m["public_addrs"] for m in expected["mons"]]
