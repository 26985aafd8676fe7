# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The site_plan filters: what the playbooks call on hostvars."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.edgestack.glance_ceph.plugins.filter.site_plan import (
    FilterModule, site_plan, site_plan_published, site_plan_reachable_stores, site_plan_summary, site_plan_unavailable)


def inventory():
    common = {"edgestack_site": "central", "edgestack_site_type": "central",
              "edgestack_ceph_mon_addresses": ["192.0.2.10"], "edgestack_glance_vip": "192.0.2.9"}
    edge = {"edgestack_site": "dcn0", "edgestack_site_type": "edge",
            "edgestack_ceph_mon_addresses": ["198.51.100.10"], "edgestack_glance_vip": "198.51.100.9"}
    hostvars = {"c-ceph": dict(common, ansible_host="192.0.2.10"), "c-g0": dict(common, ansible_host="192.0.2.11"),
                "c-lb": dict(common, ansible_host="192.0.2.13"), "e0": dict(edge, ansible_host="198.51.100.10")}
    groups = {"all": list(hostvars), "central": ["c-ceph", "c-g0", "c-lb"], "dcn0": ["e0"],
              "ceph_admin": ["c-ceph", "e0"], "glance_api": ["c-g0", "e0"], "glance_haproxy": ["c-lb", "e0"]}
    return hostvars, groups


def test_filters_are_registered():
    assert set(FilterModule().filters()) == {"site_plan", "site_plan_unavailable", "site_plan_reachable_stores",
                                             "site_plan_summary", "site_plan_store_secrets", "site_plan_hosts",
                                             "site_plan_published"}


def test_plan_unavailable_and_summary_through_the_filters():
    hostvars, groups = inventory()
    planned = site_plan(hostvars, groups)
    assert planned["problems"] == []
    plan = planned["plan"]
    assert site_plan_unavailable(plan, hostvars) == []
    hostvars["c-ceph"]["edgestack_ceph_converged"] = True
    assert site_plan_unavailable(plan, hostvars) == ["dcn0"]
    assert [s["id"] for s in site_plan_reachable_stores(plan["site"]["central"]["stores"], ["dcn0"])] == ["central"]
    lines = site_plan_summary(plan, hostvars)
    assert lines[0].startswith("central (central): INCOMPLETE - glance: c-g0; haproxy: c-lb")
    assert lines[1].startswith("dcn0 (edge): INCOMPLETE - ceph: e0")


def test_published_names_each_cluster_its_admin_host_published_and_no_other():
    hostvars, groups = inventory()
    plan = site_plan(hostvars, groups)["plan"]
    assert site_plan_published(plan, hostvars) == {}
    cluster = {"name": "dcn0", "fsid": "f", "clients": {"client.glance": "secret"}}
    hostvars["e0"]["ceph_client_auth_cluster"] = cluster
    assert site_plan_published(plan, hostvars) == {"dcn0": cluster}
    # An admin host that hostvars does not know publishes nothing.
    del hostvars["c-ceph"]
    assert site_plan_published(plan, hostvars) == {"dcn0": cluster}
    hostvars["e0"]["edgestack_ceph_converged"] = True
    assert site_plan_published(plan, hostvars, "edgestack_ceph_converged") == {"dcn0": True}
    with pytest.raises(AnsibleFilterError, match="takes the plan"):
        site_plan_published({"nope": 1}, {})


def test_the_filter_checks_role_variables_against_every_roles_argument_spec():
    from ansible_collections.edgestack.glance_ceph.plugins.filter.site_plan import ROLES_DIR, role_options
    import os
    options = role_options()
    assert sorted(options) == ["ceph_client_auth", "ceph_pool_setup", "glance_multistore", "glance_rbd_backend",
                               "glance_vip", "haproxy_glance"]
    assert sorted(options) == sorted(os.listdir(ROLES_DIR))
    # Options of entry points other than main are there too.
    assert "ceph_client_auth_deliver_dir" in options["ceph_client_auth"]
    assert "ceph_pool_setup_timeout" in options["ceph_pool_setup"]
    hostvars, groups = inventory()
    hostvars["e0"]["ceph_pool_setup_timeout"] = "soon"
    assert [p["variable"] for p in site_plan(hostvars, groups)["problems"]] == ["ceph_pool_setup_timeout"]
    # And the role settings it sets, against the role's own checks.
    hostvars["c-lb"]["haproxy_glance_check_path"] = "healthcheck"
    assert sorted(p["variable"] for p in site_plan(hostvars, groups)["problems"]) == [
        "ceph_pool_setup_timeout", "haproxy_glance_check_path"]


def test_wrong_inputs_are_refused():
    with pytest.raises(AnsibleFilterError, match="takes hostvars and groups"):
        site_plan({}, [])
    with pytest.raises(AnsibleFilterError, match="takes the plan"):
        site_plan_unavailable({"nope": 1}, {})


def test_site_plan_hosts_names_only_the_plans_groups():
    from ansible_collections.edgestack.glance_ceph.plugins.filter.site_plan import site_plan_hosts
    assert site_plan_hosts(["ceph_admin", "glance_api", "glance_haproxy"]) == "ceph_admin:glance_api:glance_haproxy"
    assert site_plan_hosts(["glance_api"]) == "glance_api"
    for bad in (["glance_apis"], "glance_api", [], None):
        with pytest.raises(AnsibleFilterError, match="site_plan_hosts"):
            site_plan_hosts(bad)


def test_validate_yml_takes_its_hosts_from_site_plan_hosts():
    """The first play of every playbook loads the collection's filters in Ansible's main process."""
    import yaml
    from pathlib import Path
    play = yaml.safe_load((Path(__file__).resolve().parents[4] / "playbooks" / "validate.yml").read_text())[0]
    assert "edgestack.glance_ceph.site_plan_hosts" in play["hosts"]
