# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Table-driven tests of the roles' input checks (plugins/filter/role_problems.py).

The inputs start from each role's own defaults (roles/<role>/defaults/main.yml),
completed with what the site plan hands the role on the lab, so the tests
follow the defaults the roles ship."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ansible.errors import AnsibleFilterError
from ansible_collections.edgestack.glance_ceph.plugins.filter.role_problems import FilterModule, role_problems

ROLES = Path(__file__).resolve().parents[4] / "roles"
KEY = "AQBq6ZtlAAAAABAAlnjGmNOjpOHmjTvlAfZnUw=="
FSID = "88cd8127-b15f-4e62-9d11-b4d2d1472790"


def defaults(role, prefix):
    values = yaml.safe_load((ROLES / role / "defaults" / "main.yml").read_text()) or {}
    return {k: v for k, v in values.items() if k.startswith(prefix)}


def haproxy(**over):
    inputs = defaults("haproxy_glance", "haproxy_glance_")
    inputs.update(haproxy_glance_frontend_address="10.251.0.100",
                  haproxy_glance_backends=[{"name": "g0", "address": "10.251.0.11"},
                                           {"name": "g1", "address": "10.251.0.12"}])
    inputs.update(over)
    return role_problems(inputs, "haproxy_glance")


def vip(**over):
    inputs = defaults("glance_vip", "glance_vip_")
    inputs.update(glance_vip_address="10.251.0.100", glance_vip_source_address="10.251.0.20",
                  glance_vip_peers=["10.251.0.21"], glance_vip_router_id=51, glance_vip_priority=200,
                  glance_vip_instance_name="glance_central")
    inputs.update(over)
    return role_problems(inputs, "glance_vip")


def pools(**over):
    inputs = defaults("ceph_pool_setup", "ceph_pool_setup_")
    inputs.update(ceph_pool_setup_cluster="central", ceph_pool_setup_pools=[{"name": "images"}])
    inputs.update(over)
    return role_problems(inputs, "ceph_pool_setup")


def auth(**over):
    inputs = defaults("ceph_client_auth", "ceph_client_auth_")
    inputs.update(ceph_client_auth_cluster_name="dcn0", ceph_client_auth_mon_addresses=["10.251.1.10"],
                  ceph_client_auth_pools=["images"], ceph_client_auth_glance_pool="images",
                  ceph_client_auth_glance_caps={"mon": "profile rbd", "osd": "profile rbd pool=images"})
    inputs.update(over)
    return role_problems({k: inputs[k] for k in (
        "ceph_client_auth_cluster_name", "ceph_client_auth_glance_user", "ceph_client_auth_glance_pool",
        "ceph_client_auth_pools", "ceph_client_auth_glance_secret", "ceph_client_auth_timeout",
        "ceph_client_auth_mon_addresses", "ceph_client_auth_glance_caps", "ceph_client_auth_clients",
        "ceph_client_auth_fsid")}, "ceph_client_auth")


def deliver(**over):
    inputs = defaults("ceph_client_auth", "ceph_client_auth_deliver_")
    inputs.update(ceph_client_auth_deliver_clusters=[
        {"name": "central", "fsid": FSID, "mon_host": "[v2:10.251.0.10:3300,v1:10.251.0.10:6789]",
         "user": "glance", "pool": "images", "clients": [{"name": "client.glance", "key": KEY}]}])
    inputs.update(over)
    return role_problems({k: inputs[k] for k in (
        "ceph_client_auth_deliver_clusters", "ceph_client_auth_deliver_local_clusters",
        "ceph_client_auth_deliver_absent_clusters", "ceph_client_auth_deliver_dir",
        "ceph_client_auth_deliver_keyring_mode")}, "ceph_client_auth_deliver")


def test_the_shipped_defaults_with_plan_inputs_pass():
    assert haproxy() == []
    assert vip() == []
    assert pools() == []
    assert auth() == []
    assert deliver() == []


@pytest.mark.parametrize("over, names", [
    ({"haproxy_glance_frontend_address": "glance.example.test"}, ["haproxy_glance_frontend_address"]),
    ({"haproxy_glance_frontend_port": 70000}, ["haproxy_glance_frontend_port"]),
    ({"haproxy_glance_check_path": "healthcheck"}, ["haproxy_glance_check_path"]),
    ({"haproxy_glance_check_inter": 50}, ["haproxy_glance_check_inter"]),
    ({"haproxy_glance_tls_cert": "server.pem"}, ["haproxy_glance_tls_cert"]),
    ({"haproxy_glance_backend_tls": True, "haproxy_glance_backend_tls_ca_file": "ca.pem"},
     ["haproxy_glance_backend_tls_ca_file"]),
    ({"haproxy_glance_config_mode": "merge"}, ["haproxy_glance_config_mode"]),
    ({"haproxy_glance_stats_enabled": True}, ["haproxy_glance_stats_address"]),
    ({"haproxy_glance_timeout_client": "10 minutes"}, ["haproxy_glance_timeout_*"]),
    ({"haproxy_glance_backends": []}, ["haproxy_glance_backends"]),
    ({"haproxy_glance_backends": [{"name": "a", "address": "10.0.0.1"}, {"name": "a", "address": "10.0.0.2"}]},
     ["haproxy_glance_backends"]),
    ({"haproxy_glance_backends": [{"name": "a", "address": "10.251.0.100"}]}, ["haproxy_glance_backends"]),
    ({"haproxy_glance_backends": [{"name": "a b", "address": "10.0.0.1"}]}, ["haproxy_glance_backends entry a b"]),
    ({"haproxy_glance_backends": [{"name": "a", "address": "10.0.0.1", "port": 0}]},
     ["haproxy_glance_backends entry a"]),
    # Every problem at once, not the first one only.
    ({"haproxy_glance_frontend_port": 0, "haproxy_glance_config_mode": "x", "haproxy_glance_check_path": "x"},
     ["haproxy_glance_frontend_port", "haproxy_glance_config_mode", "haproxy_glance_check_path"]),
])
def test_haproxy_glance_names_each_variable(over, names):
    problems = haproxy(**over)
    assert len(problems) == len(names)
    for problem, name in zip(problems, names):
        assert problem.startswith(name), problems


def test_haproxy_stats_password_is_checked_never_quoted():
    problems = haproxy(haproxy_glance_stats_enabled=True, haproxy_glance_stats_address="10.251.0.20",
                       haproxy_glance_stats_password="s3cret-pw", haproxy_glance_stats_user="bad user")
    assert problems and "s3cret-pw" not in " ".join(problems)
    assert haproxy(haproxy_glance_stats_enabled=True, haproxy_glance_stats_address="10.251.0.20",
                   haproxy_glance_stats_password="s3cret-pw") == []


@pytest.mark.parametrize("over", [
    {"glance_vip_address": "10.251.0.20"},
    {"glance_vip_peers": ["10.251.0.20"]},
    {"glance_vip_router_id": 256},
    {"glance_vip_vrrp_version": 3, "glance_vip_password": "pw"},
    {"glance_vip_password": "longer-than-8"},
    {"glance_vip_advert_int": 0.5},
    {"glance_vip_instance_name": "glance central"},
])
def test_glance_vip_refuses_and_never_quotes_the_password(over):
    problems = vip(**over)
    assert len(problems) == 1 and problems[0].startswith("glance_vip inputs are inconsistent")
    assert "longer-than-8" not in problems[0]


def test_ceph_pool_setup():
    assert pools(ceph_pool_setup_cluster="Central")[0].startswith("ceph_pool_setup_cluster")
    assert "repeated: ['images']" in pools(ceph_pool_setup_pools=[{"name": "images"}, {"name": "images"}])[0]
    assert "invalid: ['.x']" in pools(ceph_pool_setup_pools=[{"name": ".x"}])[0]
    absent = [{"name": "images"}, {"name": "old", "state": "absent"}]
    assert "ceph_pool_setup_allow_delete" in pools(ceph_pool_setup_pools=absent)[0]
    assert pools(ceph_pool_setup_pools=absent, ceph_pool_setup_allow_delete=True) == []
    # Monitor addresses are optional (empty: not checked); when given, each must be a plain address.
    assert pools(ceph_pool_setup_mon_addresses=[]) == []
    assert pools(ceph_pool_setup_mon_addresses=["192.0.2.10", "2001:db8::1"]) == []
    bad = pools(ceph_pool_setup_mon_addresses=["192.0.2.10:6789"])
    assert len(bad) == 1 and bad[0].startswith("ceph_pool_setup_mon_addresses[0]"), bad


def test_ceph_client_auth():
    assert auth(ceph_client_auth_glance_pool="volumes")[0].startswith("ceph_client_auth_glance_pool")
    assert auth(ceph_client_auth_glance_user="client.glance")[0].startswith("ceph_client_auth_glance_user")
    assert auth(ceph_client_auth_glance_secret=KEY) == []
    bad_key = auth(ceph_client_auth_glance_secret="AQBnotakey==")
    assert bad_key[0].startswith("ceph_client_auth_glance_secret") and "AQBnotakey" not in bad_key[0]
    assert any("ceph_client_auth_mon_addresses" in p for p in auth(ceph_client_auth_mon_addresses=["10.0.0.1:6789"]))
    # The fsid a caller read in this run: empty (the role reads it) or a UUID.
    assert auth(ceph_client_auth_fsid="") == []
    assert auth(ceph_client_auth_fsid="ca41fd18-45db-46b3-ae25-f1c538000aab") == []
    assert auth(ceph_client_auth_fsid="central")[0].startswith("ceph_client_auth_fsid")
    mine = auth(ceph_client_auth_clients=[{"name": "client.glance", "caps": {"mon": "profile rbd"}}])
    assert any("which is Glance's client" in p for p in mine)
    caps = {"mon": "profile rbd", "osd": "profile rbd pool=volumes"}
    assert any("volumes" in p for p in auth(ceph_client_auth_glance_caps=caps))


def test_ceph_client_auth_deliver_never_quotes_a_key():
    twice = deliver(ceph_client_auth_deliver_clusters=[
        {"name": "central", "fsid": "nope", "mon_host": "", "user": "glance", "pool": "images",
         "clients": [{"name": "glance", "key": KEY}]}])
    assert twice and twice[0].startswith("ceph_client_auth_deliver_clusters")
    assert "fsid not a UUID" in twice[0] and "mon_host empty" in twice[0] and "client names" in twice[0]
    assert KEY not in " ".join(twice)
    assert deliver(ceph_client_auth_deliver_local_clusters=["dcn0"])[0].startswith(
        "ceph_client_auth_deliver_local_clusters")
    assert deliver(ceph_client_auth_deliver_absent_clusters=["central"])[0].startswith(
        "ceph_client_auth_deliver_absent_clusters")
    assert deliver(ceph_client_auth_deliver_dir="/etc/ceph/")[0].startswith("ceph_client_auth_deliver_dir")
    assert deliver(ceph_client_auth_deliver_keyring_mode="0644")[0].startswith("ceph_client_auth_deliver_keyring_mode")


def test_unknown_role_and_missing_variable_are_errors():
    with pytest.raises(AnsibleFilterError, match="unknown role"):
        role_problems({}, "nope")
    with pytest.raises(AnsibleFilterError, match="lacks the variable"):
        role_problems({}, "ceph_pool_setup")
    assert FilterModule().filters()["role_problems"] is role_problems
