# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The site plan on inventories/example (read by Ansible's own inventory code) and on generated inventories."""

from __future__ import annotations

import base64
import copy
import struct
import time
from pathlib import Path

import pytest

from ansible.inventory.manager import InventoryManager
from ansible.parsing.dataloader import DataLoader
from ansible.vars.hostvars import HostVars
from ansible.vars.manager import VariableManager

from ansible_collections.edgestack.glance_ceph.plugins.filter.role_problems import SETTINGS as ROLE_SETTINGS
from ansible_collections.edgestack.glance_ceph.plugins.filter.site_plan import role_options
from ansible_collections.edgestack.glance_ceph.plugins.module_utils import _site_plan

REPO = Path(__file__).resolve().parents[4]
EXAMPLE = [str(REPO / "inventories" / "example" / site) for site in ("central", "dcn0", "dcn1")]
KEY = base64.b64encode(struct.pack("<HIIH", 1, 1700000000, 0, 16) + bytes(range(16))).decode()


S3_SECRET = "s3-secret-of-the-test"
S3_STORE = {"id": "objects", "type": "s3",
            "options": {"s3_store_host": "http://192.0.2.20:8080", "s3_store_bucket": "glance",
                        "s3_store_access_key": "AKIA-LAB", "s3_store_secret_key": S3_SECRET}}


def ansible_inventory(sources):
    """(hostvars, groups) as a play sees them, for inventory sources."""
    loader = DataLoader()
    inventory = InventoryManager(loader=loader, sources=sources)
    variables = VariableManager(loader=loader, inventory=inventory)
    hostvars = HostVars(inventory=inventory, variable_manager=variables, loader=loader)
    groups = {name: [h.name for h in group.get_hosts()] for name, group in inventory.groups.items()}
    return hostvars, groups


# --------------------------------------------------------------------------
# A generated inventory: plain hostvars and groups, as Ansible hands them to a filter
# --------------------------------------------------------------------------
def site_vars(name, site_type, index, **extra):
    base = {
        "edgestack_site": name,
        "edgestack_site_type": site_type,
        "edgestack_ceph_mon_addresses": [f"10.{index // 250}.{index % 250}.10"],
        "edgestack_glance_vip": f"10.{index // 250}.{index % 250}.9",
        "edgestack_glance_port": 9292,
    }
    base.update(extra)
    return base


def generated(edges, central_extra=None, edge_extra=None):
    """central (a Ceph host, two Glance hosts, an HAProxy host) and ``edges`` HCI edge sites."""
    hostvars, groups = {}, {"all": [], "ceph_admin": [], "glance_api": [], "glance_haproxy": []}
    central = site_vars("central", "central", 0, **(central_extra or {}))
    for host, roles, addr in (
        ("central-ceph", ["ceph_admin"], 10),
        ("central-glance0", ["glance_api"], 11),
        ("central-glance1", ["glance_api"], 12),
        ("central-lb", ["glance_haproxy"], 13),
    ):
        hostvars[host] = dict(central, ansible_host=f"10.0.0.{addr}")
        groups["all"].append(host)
        groups.setdefault("central", []).append(host)
        for role in roles:
            groups[role].append(host)
    for n in range(edges):
        name = f"dcn{n}"
        host = f"{name}-hci"
        extra = (edge_extra or {}).get(name, {})
        hostvars[host] = dict(
            site_vars(name, "edge", n + 1, **extra), ansible_host=f"10.{(n + 1) // 250}.{(n + 1) % 250}.10"
        )
        groups["all"].append(host)
        groups[name] = [host]
        for role in ("ceph_admin", "glance_api", "glance_haproxy"):
            groups[role].append(host)
    return hostvars, groups


def messages(result):
    return [p["message"] for p in result["problems"]]


# --------------------------------------------------------------------------
# inventories/example
# --------------------------------------------------------------------------
def test_example_inventory_plans_without_problems():
    hostvars, groups = ansible_inventory(EXAMPLE)
    result = _site_plan.build(hostvars, groups)
    assert messages(result) == []
    plan = result["plan"]
    assert plan["central"] == "central"
    assert plan["sites"] == ["central", "dcn0", "dcn1"]
    central = plan["site"]["central"]
    assert central["ceph_admin"] == "ceph-central-1"
    assert central["glance_api"] == ["glance-central-1", "glance-central-2"]
    assert central["backends"] == [
        {"name": "glance-central-1", "address": "192.0.2.11"},
        {"name": "glance-central-2", "address": "192.0.2.12"},
    ]
    assert central["vip"] == "192.0.2.9" and central["port"] == 9292
    assert central["vip_healthcheck_url"] == "http://192.0.2.9:9292/healthcheck"
    assert central["clusters"] == ["central", "dcn0", "dcn1"]
    assert [s["id"] for s in central["stores"]] == ["central", "dcn0", "dcn1"]
    assert central["pools"][0]["target_size_ratio"] == 0.2
    dcn0 = plan["site"]["dcn0"]
    assert dcn0["clusters"] == ["dcn0", "central"]
    assert dcn0["absent_clusters"] == ["dcn1"]
    assert [(s["id"], s["default"]) for s in dcn0["stores"]] == [("dcn0", True), ("central", False)]
    assert plan["host"]["dcn0-hci-1"]["local_clusters"] == ["dcn0"]
    assert plan["host"]["dcn0-hci-1"]["acts_for"] == "dcn0"
    assert plan["host"]["glance-central-1"]["self_reference_url"] == "http://192.0.2.11:9292"
    assert plan["host"]["dcn0-hci-1"]["self_reference_url"] == ""
    assert plan["host"]["dcn0-hci-1"]["healthcheck_url"] == "http://198.51.100.10:9292/healthcheck"


def test_an_ipv6_vip_is_asked_in_brackets():
    hostvars, groups = generated(1, edge_extra={"dcn0": {"edgestack_glance_vip": "2001:db8::9"}})
    result = _site_plan.build(hostvars, groups)
    assert messages(result) == []
    assert result["plan"]["site"]["dcn0"]["vip_healthcheck_url"] == "http://[2001:db8::9]:9292/healthcheck"
    assert result["plan"]["site"]["central"]["vip_healthcheck_url"] == "http://10.0.0.9:9292/healthcheck"


def test_plan_holds_no_key_and_says_which_site_supplies_one():
    hostvars, groups = generated(
        2,
        edge_extra={
            "dcn1": {
                "edgestack_glance_ceph_key": KEY,
                "edgestack_ceph_clients": [
                    {"name": "client.backup", "caps": {"mon": "profile rbd"}, "secret": KEY, "deliver": True}
                ],
            }
        },
    )
    result = _site_plan.build(hostvars, groups)
    assert messages(result) == []
    assert KEY not in repr(result)
    dcn1 = result["plan"]["site"]["dcn1"]
    assert dcn1["glance"]["key_supplied"] is True
    assert result["plan"]["site"]["dcn0"]["glance"]["key_supplied"] is False
    assert dcn1["clients"] == [
        {"name": "client.backup", "caps": {"mon": "profile rbd"}, "deliver": True, "secret_supplied": True}
    ]
    assert dcn1["delivered_clients"] == ["client.backup"]


def test_each_sites_glance_user_and_pool_reach_every_store_of_that_cluster():
    pools = [{"name": "glance-images", "application": "rbd", "rbd_init": True}]
    hostvars, groups = generated(
        2,
        edge_extra={
            "dcn1": {
                "edgestack_glance_ceph_user": "glance-edge",
                "edgestack_glance_pool": "glance-images",
                "edgestack_ceph_pools": pools,
            }
        },
    )
    result = _site_plan.build(hostvars, groups)
    assert messages(result) == []
    plan = result["plan"]
    assert plan["site"]["dcn1"]["glance"]["caps"] == {
        "mon": "profile rbd",
        "osd": "profile rbd pool=glance-images",
        "mgr": "profile rbd pool=glance-images",
    }
    for viewer in ("central", "dcn1"):
        store = next(s for s in plan["site"][viewer]["stores"] if s["id"] == "dcn1")
        assert (store["user"], store["pool"], store["keyring"]) == (
            "glance-edge",
            "glance-images",
            "/etc/ceph/dcn1.client.glance-edge.keyring",
        )
    # the other sites keep their own
    store = next(s for s in plan["site"]["central"]["stores"] if s["id"] == "dcn0")
    assert (store["user"], store["pool"]) == ("glance", "images")


# The collection's own role argument specs, as the site_plan filter reads them.
ROLE_OPTIONS = role_options(str(REPO / "roles"))


def test_role_variables_a_host_sets_are_checked_against_the_roles_argument_specs():
    hostvars, groups = generated(2)
    hostvars["central-glance0"]["glance_multistore_healthcheck_timeout"] = "soon"
    hostvars["central-lb"]["haproxy_glance_backends"] = "not-a-list-of-servers"
    hostvars["dcn1-hci"]["glance_vip_priority"] = {"high": 1}
    # Valid values pass, converted as Ansible's own validation converts them.
    hostvars["central-glance1"]["glance_multistore_healthcheck_timeout"] = "30"
    hostvars["dcn0-hci"]["ceph_pool_setup_timeout"] = 45
    # A variable of no role's spec, and a role variable on a host of no site, are not the plan's.
    hostvars["dcn0-hci"]["glance_multistore_nonsense_of_no_spec"] = object()
    hostvars["outsider"] = {"glance_vip_priority": "high"}
    groups["all"].append("outsider")
    found = messages(_site_plan.build(hostvars, groups, role_options=ROLE_OPTIONS))
    assert len(found) == 3, found
    expected = {
        "glance_multistore_healthcheck_timeout (site central, host central-glance0): ": "glance_multistore",
        "haproxy_glance_backends (site central, host central-lb): ": "haproxy_glance",
        "glance_vip_priority (site dcn1, host dcn1-hci): ": "glance_vip",
    }
    for prefix, role in expected.items():
        message = next(m for m in found if m.startswith(prefix))
        assert f"ansible-doc -t role edgestack.glance_ceph.{role}" in message, message
    assert "'soon'" in found[0] or any("'soon'" in m for m in found)
    # A value only the play can resolve is left to the role.
    hostvars["central-lb"]["haproxy_glance_backends"] = _site_plan.Unreadable("names a role default")
    assert len(messages(_site_plan.build(hostvars, groups, role_options=ROLE_OPTIONS))) == 2
    # Without the specs (a caller that passes none), role variables are not looked at.
    assert messages(_site_plan.build(hostvars, groups)) == []


def test_a_vip_that_moves_needs_the_haproxy_hosts_ip_addresses_and_at_most_20_hosts():
    hostvars, groups = generated(1)
    central = dict(hostvars["central-lb"])
    for n in range(2, 23):
        hostvars[f"central-lb{n}"] = dict(central, ansible_host=f"10.0.1.{n}")
        groups["all"].append(f"central-lb{n}")
        groups["central"].append(f"central-lb{n}")
        groups["glance_haproxy"].append(f"central-lb{n}")
    hostvars["central-lb2"]["ansible_host"] = "lb2.example.com"
    found = messages(_site_plan.build(hostvars, groups))
    assert any(m.startswith("glance_haproxy (site central, host central-ceph): the site has 22 HAProxy hosts")
               for m in found), found
    assert any(m.startswith("ansible_host (site central, host central-lb2): keepalived moves the VIP") and
               "'lb2.example.com'" in m for m in found), found
    # One HAProxy host: no VRRP, a host name is fine.
    hostvars, groups = generated(1)
    hostvars["dcn0-hci"]["ansible_host"] = "dcn0-hci.example.com"
    assert not [m for m in messages(_site_plan.build(hostvars, groups)) if m.startswith("ansible_host")]


def test_role_settings_a_host_sets_get_the_roles_own_checks_before_anything_changes():
    """Formats and ranges that an argument spec cannot express: the plan checks them, so that the
    site plays' roles need not (their planned entry points skip the roles' input checks)."""
    hostvars, groups = generated(1)
    hostvars["central-lb"]["haproxy_glance_check_inter"] = 50
    hostvars["central-lb"]["haproxy_glance_timeout_client"] = "ten minutes"
    hostvars["dcn0-hci"]["ceph_client_auth_deliver_keyring_mode"] = "0644"
    hostvars["dcn0-hci"]["glance_vip_prefix"] = 129
    # A value the argument spec refuses gets that one problem, not the setting's check too.
    hostvars["central-ceph"]["ceph_client_auth_timeout"] = "never"
    # Valid settings pass, checked with the role's defaults for the others.
    hostvars["central-glance0"]["ceph_client_auth_deliver_dir"] = "/srv/ceph"
    hostvars["central-glance1"]["haproxy_glance_backend_tls"] = True
    found = messages(_site_plan.build(hostvars, groups, role_options=ROLE_OPTIONS, role_settings=ROLE_SETTINGS))
    starts = sorted(m.split(": ", 1)[0] for m in found)
    assert starts == [
        "ceph_client_auth_deliver_keyring_mode (site dcn0, host dcn0-hci)",
        "ceph_client_auth_timeout (site central, host central-ceph)",
        "glance_vip_prefix (site dcn0, host dcn0-hci)",
        "haproxy_glance_check_inter, _rise, _fall, haproxy_glance_observe_error_limit (site central, host central-lb)",
        "haproxy_glance_timeout_* (site central, host central-lb)",
    ], found
    timeout = next(m for m in found if m.startswith("haproxy_glance_timeout_*"))
    assert "'client': 'ten minutes'" in timeout and "ansible-doc -t role edgestack.glance_ceph.haproxy_glance" in timeout
    assert "got 0644" in next(m for m in found if m.startswith("ceph_client_auth_deliver_keyring_mode"))
    # Without the checks (a caller that passes none), only the argument specs apply.
    assert len(messages(_site_plan.build(hostvars, groups, role_options=ROLE_OPTIONS))) == 1


def test_the_vip_moves_by_priority_from_the_first_haproxy_host_by_name():
    hostvars, groups = generated(1)
    for name, address in (("central-lb2", "10.0.0.14"), ("central-lb0", "10.0.0.15")):
        hostvars[name] = dict(hostvars["central-lb"], ansible_host=address)
        groups["all"].append(name)
        groups["central"].append(name)
        groups["glance_haproxy"].append(name)
    plan = _site_plan.build(hostvars, groups)["plan"]
    assert plan["vrrp_hosts"] == ["central-lb", "central-lb0", "central-lb2"]
    assert plan["host"]["central-lb"]["vrrp"] == {"priority": 200, "peers": ["10.0.0.15", "10.0.0.14"]}
    assert plan["host"]["central-lb0"]["vrrp"] == {"priority": 190, "peers": ["10.0.0.13", "10.0.0.14"]}
    assert plan["host"]["central-lb2"]["vrrp"] == {"priority": 180, "peers": ["10.0.0.13", "10.0.0.15"]}
    # A site with one HAProxy host has no VRRP.
    assert plan["host"]["dcn0-hci"]["vrrp"] is None
    assert _site_plan.MAX_VRRP_HOSTS * _site_plan.VRRP_PRIORITY_STEP == _site_plan.VRRP_FIRST_PRIORITY


def test_generated_inventories_grow_linearly():
    timings = {}
    for edges in (50, 400):
        hostvars, groups = generated(edges)
        # CPU time, best of three: other processes and a pause of this one do not count.
        runs = []
        for _run in range(3):
            t0 = time.process_time()
            result = _site_plan.build(hostvars, groups, role_options=ROLE_OPTIONS)
            runs.append(time.process_time() - t0)
        timings[edges] = min(runs)
        assert messages(result) == []
        assert len(result["plan"]["site"]["central"]["stores"]) == edges + 1
        assert all(len(result["plan"]["site"][f"dcn{n}"]["stores"]) == 2 for n in range(edges))
    # 8 times the sites: a quadratic plan would take about 64 times as long.
    assert timings[400] < timings[50] * 24, timings


# --------------------------------------------------------------------------
# Problems: each names the variable, the site and the host, and all come at once
# --------------------------------------------------------------------------
CASES = [
    pytest.param(
        {"dcn0": {"edgestack_site_type": "edgy"}},
        "edgestack_site_type (site dcn0, host dcn0-hci): is 'edgy'",
        id="site-type",
    ),
    pytest.param(
        {"dcn0": {"edgestack_ceph_mon_addresses": ["10.0.1.10:6789"]}},
        "edgestack_ceph_mon_addresses[0] (site dcn0, host dcn0-hci): '10.0.1.10:6789' carries",
        id="mon-port",
    ),
    pytest.param(
        {"dcn0": {"edgestack_ceph_mon_addresses": []}}, "edgestack_ceph_mon_addresses (site dcn0", id="mon-empty"
    ),
    pytest.param(
        {"dcn0": {"edgestack_ceph_mon_addresses": ["10.0.0.10"]}},
        "monitor 10.0.0.10 is also listed by site central",
        id="mon-shared",
    ),
    pytest.param(
        {"dcn0": {"edgestack_glance_vip": "10.0.0.9"}}, "VIP 10.0.0.9 is also the VIP of site central", id="vip-shared"
    ),
    pytest.param(
        {"dcn0": {"edgestack_glance_vip": "glance.example"}},
        "edgestack_glance_vip (site dcn0, host dcn0-hci): must be an IP address",
        id="vip-name",
    ),
    pytest.param(
        {"dcn0": {"edgestack_glance_vip": "10.0.1.10"}},
        "ansible_host (site dcn0, host dcn0-hci): address 10.0.1.10 is the Glance VIP",
        id="vip-is-host",
    ),
    pytest.param(
        {"dcn0": {"edgestack_glance_port": 70000}},
        "edgestack_glance_port (site dcn0, host dcn0-hci): must be a TCP port",
        id="port-range",
    ),
    pytest.param(
        {"dcn0": {"edgestack_glance_port": True}},
        "edgestack_glance_port (site dcn0, host dcn0-hci): must be a TCP port",
        id="port-bool",
    ),
    pytest.param(
        {"dcn0": {"edgestack_glance_ceph_user": "client.glance"}},
        "edgestack_glance_ceph_user (site dcn0, host dcn0-hci): 'client.glance': give the CephX id without",
        id="user-prefix",
    ),
    pytest.param({"dcn0": {"edgestack_glance_ceph_user": "admin"}}, "is the cluster administrator", id="user-admin"),
    pytest.param(
        {"dcn0": {"edgestack_glance_pool": "glance-images"}},
        "edgestack_glance_pool (site dcn0, host dcn0-hci): pool glance-images is not among the pools of "
        "edgestack_ceph_pools (images): add {name: glance-images",
        id="pool-undeclared",
    ),
    pytest.param(
        {"dcn0": {"edgestack_glance_pool": ".bad"}},
        "edgestack_glance_pool (site dcn0, host dcn0-hci): '.bad' is not a valid pool name",
        id="pool-name",
    ),
    pytest.param(
        {"dcn0": {"edgestack_glance_ceph_key": "notakey"}},
        "edgestack_glance_ceph_key (site dcn0, host dcn0-hci): is not a CephX key (not base64)",
        id="key-shape",
    ),
    pytest.param(
        {"dcn0": {"edgestack_ceph_pools": [{"name": "images", "pg_num": "many"}]}},
        "edgestack_ceph_pools[0] (images).pg_num (site dcn0, host dcn0-hci): must be an integer",
        id="pool-type",
    ),
    pytest.param(
        {"dcn0": {"edgestack_ceph_pools": [{"name": "images", "size": 2, "min_size": 3}]}},
        "edgestack_ceph_pools (site dcn0, host dcn0-hci): pool 'images': min_size (3) cannot exceed size (2)",
        id="pool-range",
    ),
    pytest.param(
        {"dcn0": {"edgestack_ceph_pools": [{"name": "images"}, {"name": "old", "state": "absent"}]}},
        "edgestack_ceph_pools[1] (old) (site dcn0, host dcn0-hci): has state absent",
        id="pool-absent",
    ),
    pytest.param(
        {"dcn0": {"edgestack_ceph_pools": [{"name": "images", "colour": "red"}]}},
        "has unknown keys colour",
        id="pool-unknown-key",
    ),
    pytest.param(
        {"dcn0": {"edgestack_ceph_clients": [{"name": "client.x", "caps": {"osd": "profile rbd pool=nope"}}]}},
        "edgestack_ceph_clients[0] (client.x).caps.osd (site dcn0, host dcn0-hci): names pool nope",
        id="client-pool",
    ),
    pytest.param(
        {"dcn0": {"edgestack_ceph_clients": [{"name": "glance"}]}},
        "edgestack_ceph_clients[0].name (site dcn0, host dcn0-hci): must look like client.<id>",
        id="client-name",
    ),
    pytest.param(
        {"dcn0": {"edgestack_ceph_clients": [{"name": "client.glance"}]}},
        "is Glance's own client on this site",
        id="client-glance",
    ),
    pytest.param(
        {"dcn0": {"edgestack_ceph_clients": [{"name": "client.x", "secret": "AQ=="}]}},
        "edgestack_ceph_clients[0] (client.x).secret (site dcn0, host dcn0-hci): is not a CephX key",
        id="client-secret",
    ),
    pytest.param(
        {"dcn0": {"edgestack_ceph_clients": [{"name": "client.x", "caps": {"osd": 'allow "x"'}}]}},
        "must not contain double quotes",
        id="client-caps",
    ),
    pytest.param(
        {"dcn0": {"edgestack_glance_stores": [{"id": "dcn0", "default": "yes"}]}},
        "edgestack_glance_stores (site dcn0, host dcn0-hci): stores[0] (dcn0).default must be true or false",
        id="store-default",
    ),
    pytest.param(
        {"dcn0": {"edgestack_glance_stores": [{"id": "os_glance_x", "type": "file"}]}},
        "edgestack_glance_stores (site dcn0, host dcn0-hci)",
        id="store-reserved",
    ),
    pytest.param(
        {"dcn0": {"edgestack_glance_stores": [{"id": "objects", "type": "s3", "options": {"s3_store_bukket": "x"}}]}},
        "edgestack_glance_stores (site dcn0, host dcn0-hci): stores[0] (objects): options ['s3_store_bukket'] "
        "are not options of glance_store's s3 driver",
        id="store-unknown-option",
    ),
    pytest.param(
        {"dcn0": {"edgestack_glance_stores": [
            {"id": "swift", "type": "swift", "auth": {"auth_address": "http://x/", "user": "a:b"}}]}},
        "stores[0] (swift): auth needs ['key']",
        id="store-swift-key",
    ),
    pytest.param(
        {"dcn0": {"edgestack_glance_image_conversion": "yes"}},
        "edgestack_glance_image_conversion (site dcn0, host dcn0-hci): must be true or false",
        id="conversion",
    ),
    pytest.param(
        {"dcn0": {"edgestack_glance_image_conversion_min_free_gib": -1}},
        "edgestack_glance_image_conversion_min_free_gib (site dcn0, host dcn0-hci): must be a whole number",
        id="conversion-room",
    ),
    pytest.param(
        {"dcn0": {"edgestack_glance_show_image_direct_url": "no"}},
        "edgestack_glance_show_image_direct_url (site dcn0, host dcn0-hci): must be true or false",
        id="direct-url",
    ),
    pytest.param(
        {"dcn0": {"edgestack_glance_stores": [S3_STORE]}},
        "edgestack_glance_show_image_direct_url (site dcn0, host dcn0-hci): is true while the site has S3 "
        "stores (objects)",
        id="direct-url-s3",
    ),
    pytest.param(
        {"dcn0": {"edgestack_glance_bind_address": "not an address"}},
        "edgestack_glance_bind_address (site dcn0, host dcn0-hci): must be an IP address or a host name",
        id="bind",
    ),
    pytest.param(
        {"dcn0": {"edgestack_glance_haproxy_mode": "both"}},
        "edgestack_glance_haproxy_mode (site dcn0, host dcn0-hci): is 'both'",
        id="haproxy-mode",
    ),
    pytest.param(
        {"dcn0": {"edgestack_glance_haproxy_stats_enabled": True}},
        "edgestack_glance_haproxy_stats_password (site dcn0, host dcn0-hci): is not set",
        id="stats-password",
    ),
    pytest.param(
        {"dcn0": {"edgestack_glance_haproxy_stats_enabled": True, "edgestack_glance_haproxy_stats_password": "s3",
                  "edgestack_glance_haproxy_stats_address": "lb.example"}},
        "edgestack_glance_haproxy_stats_address (site dcn0, host dcn0-hci): the statistics page listens on an IP",
        id="stats-address",
    ),
    pytest.param(
        {"dcn0": {"edgestack_glance_haproxy_stats_user": "ad min"}},
        "edgestack_glance_haproxy_stats_user (site dcn0, host dcn0-hci): must be a user name",
        id="stats-user",
    ),
    pytest.param(
        {"dcn0": {"edgestack_glance_vrrp_router_id": 300}},
        "edgestack_glance_vrrp_router_id (site dcn0, host dcn0-hci): must be a VRRP router id, 1 to 255",
        id="vrrp-router-id",
    ),
    pytest.param(
        {"dcn0": {"edgestack_glance_vrrp_advert_int": 0.25}},
        "edgestack_glance_vrrp_advert_int (site dcn0, host dcn0-hci): is 0.25: below 1 second needs VRRP version 3",
        id="vrrp-advert",
    ),
    pytest.param(
        {"dcn0": {"edgestack_glance_vrrp_version": 3, "edgestack_glance_vrrp_password": "secret"}},
        "edgestack_glance_vrrp_password (site dcn0, host dcn0-hci): VRRP version 3 has no authentication",
        id="vrrp-password-v3",
    ),
    pytest.param(
        {"dcn0": {"edgestack_glance_vrrp_password": "ninechars"}},
        "edgestack_glance_vrrp_password (site dcn0, host dcn0-hci): is 9 characters long",
        id="vrrp-password-long",
    ),
]


@pytest.mark.parametrize("edge_extra, expected", CASES)
def test_each_mistake_names_the_variable_site_host_and_fix(edge_extra, expected):
    hostvars, groups = generated(2, edge_extra=edge_extra)
    found = messages(_site_plan.build(hostvars, groups))
    assert any(expected in m for m in found), found
    assert all(":" in m.split(": ", 1)[1] for m in found), found  # what is wrong, then the fix
    assert all(
        "ceph_pool_setup_" not in m and "haproxy_glance_" not in m and "ceph_client_auth_" not in m for m in found
    )
    assert KEY not in repr(found)
    assert S3_SECRET not in repr(found)


def test_conversion_settings_reach_the_plan():
    dcn0 = {"edgestack_glance_image_conversion": False, "edgestack_glance_image_conversion_min_free_gib": 5}
    hostvars, groups = generated(1, edge_extra={"dcn0": dcn0})
    result = _site_plan.build(hostvars, groups)
    assert messages(result) == []
    glance = {name: entry["glance"] for name, entry in result["plan"]["site"].items()}
    assert (glance["central"]["image_conversion"], glance["central"]["image_conversion_min_free_gib"],
            glance["central"]["show_image_direct_url"]) == (True, 20, True)
    assert (glance["dcn0"]["image_conversion"], glance["dcn0"]["image_conversion_min_free_gib"]) == (False, 5)


def test_plan_holds_no_store_secret_and_the_overlay_gives_them_back():
    swift = {"id": "swift", "type": "swift", "options": {"swift_store_container": "glance"},
             "auth": {"auth_address": "http://192.0.2.20:8080/auth/1.0", "user": "glance:swift", "key": S3_SECRET,
                      "auth_version": "1"}}
    explicit = [S3_STORE, swift]
    hostvars, groups = generated(1, central_extra={"edgestack_glance_stores": explicit,
                                                   "edgestack_glance_show_image_direct_url": False})
    result = _site_plan.build(hostvars, groups)
    assert messages(result) == []
    assert S3_SECRET not in repr(result) and "AKIA-LAB" not in repr(result)
    stores = result["plan"]["site"]["central"]["stores"]
    by_id = {s["id"]: s for s in stores}
    assert by_id["objects"]["options"]["s3_store_bucket"] == "glance"
    assert by_id["swift"]["auth"] == {"auth_address": "http://192.0.2.20:8080/auth/1.0", "auth_version": "1"}
    full = {s["id"]: s for s in _site_plan.with_store_secrets(stores, explicit)}
    assert full["objects"]["options"]["s3_store_secret_key"] == S3_SECRET
    assert full["objects"]["options"]["s3_store_access_key"] == "AKIA-LAB"
    assert full["swift"]["auth"]["key"] == S3_SECRET and full["swift"]["auth"]["user"] == "glance:swift"
    assert full["central"] == by_id["central"]
    assert S3_SECRET not in repr(stores)  # the plan's own list is left as it was


def test_haproxy_and_vrrp_settings_reach_the_plan_without_their_secrets():
    hostvars, groups = generated(1, central_extra={
        "edgestack_glance_haproxy_mode": "shared", "edgestack_glance_haproxy_stats_enabled": True,
        "edgestack_glance_haproxy_stats_password": "p4ssw0rd-stats", "edgestack_glance_vrrp_version": 3,
        "edgestack_glance_vrrp_advert_int": 0.25})
    result = _site_plan.build(hostvars, groups)
    assert result["problems"] == []
    central = result["plan"]["site"]["central"]
    assert central["haproxy"] == {
        "mode": "shared", "stats": {"enabled": True, "port": 8404, "user": "admin"},
        "vrrp": {"router_id": 51, "preempt": False, "version": 3, "advert_int": 0.25}}
    assert result["plan"]["host"]["central-lb"]["stats_address"] == "10.0.0.13"
    assert "p4ssw0rd-stats" not in repr(result)
    # A password that differs between two hosts of a site is named, never shown.
    hostvars["central-glance0"]["edgestack_glance_vrrp_password"] = "other1"
    found = messages(_site_plan.build(hostvars, groups))
    assert any(m.startswith("edgestack_glance_vrrp_password (site central, host central-glance0): hosts") for m in found)
    assert "other1" not in repr(found)


def test_every_problem_of_the_inventory_comes_at_once():
    hostvars, groups = generated(
        3,
        edge_extra={
            "dcn0": {"edgestack_site_type": "edgy"},
            "dcn1": {"edgestack_glance_pool": "nope", "edgestack_glance_port": "x"},
            "dcn2": {"edgestack_ceph_mon_addresses": ["10.0.0.10"]},
        },
    )
    found = messages(_site_plan.build(hostvars, groups))
    assert len(found) == 4, found
    assert {m.split(" (site ")[1].split(",")[0] for m in found} == {"dcn0", "dcn1", "dcn2"}


def test_inventory_wide_rules():
    # two central sites
    hostvars, groups = generated(1, edge_extra={"dcn0": {"edgestack_site_type": "central"}})
    assert any(
        "the inventory has 2 central sites (central, dcn0)" in m for m in messages(_site_plan.build(hostvars, groups))
    )
    # no central site
    hostvars, groups = generated(1)
    for host in list(groups["central"]):
        del hostvars[host]
        groups["all"].remove(host)
        for role in ("ceph_admin", "glance_api", "glance_haproxy"):
            if host in groups[role]:
                groups[role].remove(host)
    del groups["central"]
    # is an edge-only run: no problem, and the edge site gets only its own cluster
    edge_only = _site_plan.build(hostvars, groups)
    assert messages(edge_only) == []
    assert edge_only["plan"]["central"] is None
    assert edge_only["plan"]["site"]["dcn0"]["clusters"] == ["dcn0"]
    # a host in two site groups
    hostvars, groups = generated(2)
    groups["dcn1"].append("dcn0-hci")
    assert any(
        "edgestack_site (site dcn0, host dcn0-hci): the host is in the groups of sites dcn0 and dcn1" in m
        for m in messages(_site_plan.build(hostvars, groups))
    )
    # a host whose site variable names another overlay's group
    hostvars, groups = generated(2)
    hostvars["dcn1-hci"]["edgestack_site"] = "dcn0"
    assert any(
        "edgestack_site (site dcn0, host dcn1-hci): the host has edgestack_site dcn0 but is not in the group dcn0" in m
        for m in messages(_site_plan.build(hostvars, groups))
    )
    # two hosts with one address
    hostvars, groups = generated(2)
    hostvars["dcn1-hci"]["ansible_host"] = hostvars["dcn0-hci"]["ansible_host"]
    assert any(
        "ansible_host (site dcn1, host dcn1-hci): address 10.0.1.10 is also the address of host dcn0-hci" in m
        for m in messages(_site_plan.build(hostvars, groups))
    )
    # hosts of one site that disagree on a site variable (a key is never shown)
    hostvars, groups = generated(1)
    hostvars["central-glance1"]["edgestack_glance_port"] = 9393
    hostvars["central-glance1"]["edgestack_glance_ceph_key"] = KEY
    found = messages(_site_plan.build(hostvars, groups))
    assert any(
        "edgestack_glance_port (site central, host central-glance1): hosts central-ceph and central-glance1 "
        "of the site disagree (9292 and 9393)" in m
        for m in found
    ), found
    assert any(m.startswith("edgestack_glance_ceph_key (site central, host central-glance1): hosts") for m in found)
    assert KEY not in repr(found)
    # a site without a Ceph admin host or a Glance host
    hostvars, groups = generated(2)
    groups["ceph_admin"].remove("dcn0-hci")
    groups["glance_api"].remove("dcn1-hci")
    found = messages(_site_plan.build(hostvars, groups))
    assert any(
        m.startswith("ceph_admin (site dcn0, host dcn0-hci): the site has no host in group ceph_admin") for m in found
    )
    assert any(
        m.startswith("glance_api (site dcn1, host dcn1-hci): the site has no host in group glance_api") for m in found
    )
    # a role host without a site
    hostvars, groups = generated(1)
    groups["all"].append("stray")
    groups["glance_api"].append("stray")
    hostvars["stray"] = {}
    assert any(
        m.startswith("edgestack_site (host stray): the host is in glance_api but has no site")
        for m in messages(_site_plan.build(hostvars, groups))
    )


def test_unavailable_sites_and_reachable_stores():
    hostvars, groups = generated(2)
    plan = _site_plan.build(hostvars, groups)["plan"]
    assert _site_plan.unavailable_sites(plan, {}) == []
    converged = {"central-ceph": True, "dcn0-hci": True}
    assert _site_plan.unavailable_sites(plan, converged) == ["dcn1"]
    stores = plan["site"]["central"]["stores"] + [{"id": "files", "type": "file"}]
    assert [s["id"] for s in _site_plan.reachable_stores(stores, ["dcn1"])] == ["central", "dcn0", "files"]


def test_summary_names_the_hosts_behind():
    hostvars, groups = generated(1)
    plan = _site_plan.build(hostvars, groups)["plan"]
    every = {fact for _s, _g, fact in _site_plan.STAGES}
    facts = {h: set(every) for h in hostvars}
    facts["dcn0-hci"] = {"edgestack_ceph_converged"}
    lines = _site_plan.summary(plan, facts)
    assert lines[0] == "central (central): ok - ceph, glance, haproxy, verified"
    assert lines[1] == "dcn0 (edge): INCOMPLETE - glance: dcn0-hci; haproxy: dcn0-hci; verified: dcn0-hci"


def test_one_haproxy_host_answering_verifies_its_site():
    hostvars, groups = generated(0)
    hostvars["central-lb1"] = dict(hostvars["central-lb"], ansible_host="10.0.0.14")
    groups["all"].append("central-lb1")
    groups["central"].append("central-lb1")
    groups["glance_haproxy"].append("central-lb1")
    plan = _site_plan.build(hostvars, groups)["plan"]
    every = {fact for _s, _g, fact in _site_plan.STAGES}
    facts = {h: set(every) for h in hostvars}
    facts["central-lb1"] = every - {"edgestack_verified"}
    assert _site_plan.summary(plan, facts) == ["central (central): ok - ceph, glance, haproxy, verified"]
    facts["central-lb"] = every - {"edgestack_verified"}
    assert _site_plan.summary(plan, facts) == [
        "central (central): INCOMPLETE - verified: central-lb, central-lb1"]


def test_the_input_is_not_changed():
    hostvars, groups = generated(
        2,
        edge_extra={"dcn0": {"edgestack_glance_stores": [{"id": "central", "options": {"rbd_store_chunk_size": 16}}]}},
    )
    before = copy.deepcopy(hostvars)
    _site_plan.build(hostvars, groups)
    assert hostvars == before
