# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Sites of an inventory of per-site overlays."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.edgestack.glance_ceph.plugins.filter.inventory_sites import (
    glance_backends, inventory_sites, reachable_stores, site_summary, unavailable_sites)


def inventory(**overrides):
    hostvars = {
        "c-ceph": {"edgestack_site": "central", "edgestack_site_type": "central",
                   "edgestack_ceph_mon_addresses": ["192.0.2.10"], "edgestack_glance_vip": "192.0.2.9",
                   "ansible_host": "192.0.2.10"},
        "c-g0": {"edgestack_site": "central", "edgestack_site_type": "central", "ansible_host": "192.0.2.11"},
        "c-g1": {"edgestack_site": "central", "edgestack_site_type": "central", "ansible_host": "192.0.2.12",
                 "edgestack_glance_bind_address": "203.0.113.12"},
        "e0": {"edgestack_site": "dcn0", "edgestack_site_type": "edge", "ansible_host": "198.51.100.10",
               "edgestack_ceph_mon_addresses": ["198.51.100.10"]},
        "e1": {"edgestack_site": "dcn1", "edgestack_site_type": "edge", "ansible_host": "198.51.100.20"},
    }
    groups = {"all": list(hostvars), "central": ["c-ceph", "c-g0", "c-g1"], "dcn0": ["e0"], "dcn1": ["e1"],
              "ceph_admin": ["c-ceph", "e0", "e1"], "glance_api": ["c-g0", "c-g1", "e0", "e1"],
              "glance_haproxy": ["e0", "e1"]}
    for host, values in overrides.items():
        hostvars[host].update(values)
    return hostvars, groups


def test_sites_central_first_then_edges_by_name():
    hostvars, groups = inventory()
    assert inventory_sites(hostvars, groups) == [
        {"name": "central", "type": "central"}, {"name": "dcn0", "type": "edge"}, {"name": "dcn1", "type": "edge"}]
    detail = inventory_sites(hostvars, groups, detail=True)
    assert detail[0]["glance_api"] == ["c-g0", "c-g1"] and detail[0]["ceph_admin"] == ["c-ceph"]
    assert detail[0]["mon_addresses"] == ["192.0.2.10"] and detail[0]["glance_port"] == 9292


def test_a_site_name_used_by_two_overlays_is_refused_naming_host_and_fix():
    hostvars, groups = inventory(e1={"edgestack_site": "dcn0"})
    with pytest.raises(AnsibleFilterError, match=r"e1 has edgestack_site='dcn0' but is not in the group 'dcn0'"):
        inventory_sites(hostvars, groups)


@pytest.mark.parametrize("overrides,message", [
    ({"c-g1": {"edgestack_site_type": "edge"}}, "disagree on edgestack_site_type"),
    ({"e0": {"edgestack_site_type": "hub"}}, "set central or edge"),
    ({"e0": {"edgestack_site_type": "central"}}, "2 central sites"),
])
def test_inconsistent_site_types_are_refused(overrides, message):
    hostvars, groups = inventory(**overrides)
    with pytest.raises(AnsibleFilterError, match=message):
        inventory_sites(hostvars, groups)


def test_unavailable_sites_only_when_the_ceph_plays_ran():
    hostvars, groups = inventory()
    detail = inventory_sites(hostvars, groups, detail=True)
    assert unavailable_sites(detail, hostvars) == []
    hostvars["c-ceph"]["edgestack_ceph_converged"] = True
    hostvars["e0"]["edgestack_ceph_converged"] = True
    assert unavailable_sites(detail, hostvars) == ["dcn1"]


def test_reachable_stores_drops_only_rbd_stores_of_unavailable_sites():
    stores = [{"id": "central", "type": "rbd", "cluster": "central"}, {"id": "dcn1", "type": "rbd", "cluster": "dcn1"},
              {"id": "web", "type": "http"}]
    assert [s["id"] for s in reachable_stores(stores, ["dcn1"])] == ["central", "web"]


def test_backends_use_the_bind_address_when_set():
    hostvars, groups = inventory()
    central = inventory_sites(hostvars, groups, detail=True)[0]
    assert glance_backends(central, hostvars) == [{"name": "c-g0", "address": "192.0.2.11"},
                                                  {"name": "c-g1", "address": "203.0.113.12"}]


def test_summary_names_the_hosts_behind_per_stage():
    hostvars, groups = inventory()
    for host in hostvars:
        hostvars[host].update(edgestack_ceph_converged=True, edgestack_glance_converged=True,
                              edgestack_haproxy_converged=True, edgestack_verified=True)
    del hostvars["e1"]["edgestack_glance_converged"]
    lines = site_summary(inventory_sites(hostvars, groups, detail=True), hostvars)
    assert lines[0] == "central (central): ok - ceph, glance, haproxy, verified"
    assert lines[2] == "dcn1 (edge): INCOMPLETE - glance: e1"
