# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The domain rules, one table per rule."""

from __future__ import annotations

import base64
import struct

import pytest

from ansible_collections.edgestack.glance_ceph.plugins.module_utils import _rules

KEY = base64.b64encode(struct.pack("<HIIH", 1, 1700000000, 0, 16) + bytes(range(16))).decode()


@pytest.mark.parametrize("value, ok", [
    ("central", True), ("dcn0", True), ("dcn_0-a", True),
    ("Central", False), ("0dcn", False), ("dcn.0", False), ("", False), (None, False), (7, False),
    ("os_glance_x", False),
])
def test_site_names(value, ok):
    assert (_rules.site_name_problem(value) is None) is ok


@pytest.mark.parametrize("value, ok", [
    ("glance", True), ("glance-edge", True), ("Glance.1_x", True),
    ("client.glance", False), ("-glance", False), ("gl ance", False), ("admin", False), ("", False), (None, False),
])
def test_ceph_users(value, ok):
    assert (_rules.ceph_user_problem(value) is None) is ok


@pytest.mark.parametrize("value, ok", [
    ("client.glance", True), ("client.a.b-c", True), ("glance", False), ("client.", False), ("client.admin", False),
    ("osd.0", False),
])
def test_client_names(value, ok):
    assert (_rules.client_name_problem(value) is None) is ok


@pytest.mark.parametrize("value, ok", [
    ("images", True), ("glance-images", True), ("_x", True), (".rgw", False), ("-x", False), ("a b", False), (1, False),
])
def test_pool_names(value, ok):
    assert (_rules.pool_name_problem(value) is None) is ok


@pytest.mark.parametrize("caps, problem", [
    ({"mon": "profile rbd", "osd": "profile rbd pool=images"}, None),
    ({"rgw": "allow"}, "unknown type"),
    ({"mon": ""}, "non-empty"),
    ({"osd": 'allow "x"'}, "double quotes"),
    (["mon"], "must map"),
])
def test_caps(caps, problem):
    found = _rules.caps_problems(caps)
    assert (found == []) if problem is None else any(problem in p for p in found)


def test_cap_pools_and_glance_caps():
    assert _rules.cap_pools("profile rbd pool=a, allow r pool = b") == ["a", "b"]
    assert _rules.glance_caps("x") == {"mon": "profile rbd", "osd": "profile rbd pool=x", "mgr": "profile rbd pool=x"}


@pytest.mark.parametrize("key, reason", [
    (KEY, None),
    ("not a key", "not base64"),
    (base64.b64encode(b"x" * 28).decode(), "unsupported key type"),
    (base64.b64encode(struct.pack("<HIIH", 1, 0, 0, 16) + b"x" * 8).decode(), "wrong length"),
    ("AQ==", "too short"),
    (None, "not a string"),
])
def test_cephx_keys(key, reason):
    problem = _rules.cephx_key_problem(key)
    if reason is None:
        assert problem is None
    else:
        assert reason in problem
        assert KEY not in problem


@pytest.mark.parametrize("entry, address, reason", [
    ("10.0.0.1", "10.0.0.1", None),
    ("fd00::0001", "fd00::1", None),
    ("10.0.0.1:6789", None, "carries a protocol"),
    ("v2:10.0.0.1", None, "carries a protocol"),
    ("10.0.0.0/24", None, "network"),
    ("fe80::1%eth0", None, "zone index"),
    ("mon1.example", None, "not an IPv4 or IPv6"),
    ("10.0.0", None, "not an IPv4 or IPv6"),
    ("0.0.0.0", None, "unspecified"),
    ("224.0.0.1", None, "multicast"),
    (" 10.0.0.1", None, "surrounding spaces"),
    (7, None, "not a string"),
])
def test_mon_addresses(entry, address, reason):
    got, why = _rules.mon_address_problem(entry)
    assert got == address
    assert (why is None) if reason is None else reason in why


@pytest.mark.parametrize("value, port", [(9292, 9292), ("9292", 9292), (0, None), (65536, None), (True, None), ("x", None),
                                         (None, None)])
def test_ports(value, port):
    assert _rules.port_value(value) == port


@pytest.mark.parametrize("value, ok", [("10.0.0.9", True), ("fd00::9", True), ("glance.example", False),
                                       ("127.0.0.1", False), ("0.0.0.0", False)])
def test_vips(value, ok):
    assert (_rules.vip_problem(value) is None) is ok


@pytest.mark.parametrize("value, ok", [("10.0.0.9", True), ("glance-1.example", True), ("10.0.0", False),
                                       ("a b", False), ("0.0.0.0", False)])
def test_host_addresses(value, ok):
    assert (_rules.host_address_problem(value) is None) is ok


@pytest.mark.parametrize("version, password, expected", [
    (2, "", None),
    (2, "abc12345", None),
    (2, "abc123456", "is 9 characters long"),
    (2, "a b", "must not hold spaces"),
    (3, "abc", "VRRP version 3 has no authentication"),
    (2, 1234, "must be a string"),
])
def test_vrrp_password(version, password, expected):
    reason = _rules.vrrp_password_problem(version, password)
    assert (reason is None) if expected is None else (expected in reason)
    if reason and isinstance(password, str) and password:
        assert password not in reason


@pytest.mark.parametrize("version, advert, ok", [(2, 1, True), (3, 0.25, True), (2, 0.5, False), (3, 0, False),
                                                 (2, True, False), (2, "1", False)])
def test_vrrp_advert_interval(version, advert, ok):
    assert (_rules.vrrp_advert_problem(version, advert) is None) is ok


@pytest.mark.parametrize("value, ok", [(1, True), (255, True), (0, False), (256, False), (True, False), ("51", False)])
def test_vrrp_router_id(value, ok):
    assert (_rules.vrrp_router_id_problem(value) is None) is ok


@pytest.mark.parametrize("value, ok", [("admin", True), ("ops.team-1", True), ("ad min", False), ("", False), (5, False)])
def test_stats_user(value, ok):
    assert (_rules.stats_user_problem(value) is None) is ok


def test_client_file_paths_are_the_names_ceph_looks_for():
    # `ceph --cluster dcn0 --id glance` reads /etc/ceph/dcn0.conf and, by default, $cluster.$name.keyring.
    assert _rules.ceph_conf_path("/etc/ceph", "dcn0") == "/etc/ceph/dcn0.conf"
    assert _rules.ceph_keyring_path("/etc/ceph", "dcn0", "client.glance") == "/etc/ceph/dcn0.client.glance.keyring"
    assert _rules.ceph_conf_path("", "central") == "central.conf"
    assert _rules.ceph_keyring_path("", "central", "client.glance-edge") == "central.client.glance-edge.keyring"


@pytest.mark.parametrize("entry, expected", [
    ("dcn0.conf", ("dcn0", "conf")),
    ("dcn0.client.glance.keyring", ("dcn0", "keyring")),
    ("central.client.glance-edge.keyring", ("central", "keyring")),
    ("dcn0.client.admin.keyring", ("dcn0", "keyring")),
    ("dcn0.mgr.x.keyring", None),          # not a client's keyring
    ("dcn1.conf", None),                   # another cluster's
    ("dcn0.conf.bak", None),
    ("dcn0.client..keyring", None),
    ("ceph.conf", None),
])
def test_client_file_names_are_recognised_for_the_given_clusters(entry, expected):
    assert _rules.ceph_client_file(entry, ["central", "dcn0"]) == expected
    if expected:  # the reverse of the two path rules
        cluster, kind = expected
        entity = entry[len(cluster) + 1:-len(".keyring")]
        assert entry == (_rules.ceph_conf_path("", cluster) if kind == "conf"
                         else _rules.ceph_keyring_path("", cluster, entity))
