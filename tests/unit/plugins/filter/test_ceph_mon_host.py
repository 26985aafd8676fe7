# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Table-driven tests of the client-side Ceph filters (plugins/filter/ceph_mon_host.py)."""

from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.edgestack.glance_ceph.plugins.filter.ceph_mon_host import (
    FilterModule,
    ceph_client_problems,
    ceph_keyring_keys,
    ceph_mon_host,
    ceph_mon_host_problems,
    mon_addresses_of_monmap,
)

# `ceph mon dump --format json` of the lab's central cluster (one monitor).
MONMAP = {
    "epoch": 1,
    "fsid": "88cd8127-b15f-4e62-9d11-b4d2d1472790",
    "mons": [{
        "rank": 0,
        "name": "central-ceph",
        "public_addrs": {"addrvec": [{"type": "v2", "addr": "10.251.0.10:3300", "nonce": 0},
                                     {"type": "v1", "addr": "10.251.0.10:6789", "nonce": 0}]},
        "addr": "10.251.0.10:6789/0",
        "public_addr": "10.251.0.10:6789/0",
    }],
    "quorum": [0],
}
MONMAP_V6 = {
    "fsid": "6ca15bc6-92cb-4771-b0fa-f498cf9f4599",
    "mons": [
        {"name": "a", "public_addrs": {"addrvec": [{"type": "v2", "addr": "[fd00::a]:3300"},
                                                   {"type": "v1", "addr": "[fd00::a]:6789"}]}},
        # a monitor of an old map, with only the legacy address
        {"name": "b", "addr": "[fd00::b]:6789/0", "public_addr": "[fd00::b]:6789/0"},
    ],
}

KEY = "AQBmKkBnAAAAABAAp2N2p2R3t8G4Gq3j4G0Hqg=="
OTHER_KEY = "AQCgdUBnAAAAABAAVtPbq3O6y9xgPj6d4Tt3uw=="


def test_filters_are_exported():
    assert set(FilterModule().filters()) == {
        "ceph_mon_host", "ceph_mon_host_problems", "ceph_client_problems", "ceph_keyring_keys"}


# --------------------------------------------------------------------------
# ceph_mon_host
# --------------------------------------------------------------------------
@pytest.mark.parametrize("addresses, kwargs, expected", [
    (["10.251.0.10"], {}, "[v2:10.251.0.10:3300,v1:10.251.0.10:6789]"),
    (["10.0.0.1", "10.0.0.2", "10.0.0.3"], {},
     "[v2:10.0.0.1:3300,v1:10.0.0.1:6789],[v2:10.0.0.2:3300,v1:10.0.0.2:6789],"
     "[v2:10.0.0.3:3300,v1:10.0.0.3:6789]"),
    # order is the inventory's, not sorted
    (["10.0.0.2", "10.0.0.1"], {"msgr": "v2"}, "[v2:10.0.0.2:3300],[v2:10.0.0.1:3300]"),
    (["10.0.0.1"], {"msgr": "v1"}, "[v1:10.0.0.1:6789]"),
    (["fd00::10"], {}, "[v2:[fd00::10]:3300,v1:[fd00::10]:6789]"),
    # IPv6 is written compressed and lowercase
    (["FD00:0:0:0:0:0:0:0010"], {"msgr": "v2"}, "[v2:[fd00::10]:3300]"),
    (["192.0.2.1", "2001:db8::1"], {}, "[v2:192.0.2.1:3300,v1:192.0.2.1:6789],"
                                       "[v2:[2001:db8::1]:3300,v1:[2001:db8::1]:6789]"),
    (["10.0.0.1"], {"v2_port": 3301, "v1_port": "6790"}, "[v2:10.0.0.1:3301,v1:10.0.0.1:6790]"),
    (("10.0.0.1",), {}, "[v2:10.0.0.1:3300,v1:10.0.0.1:6789]"),
])
def test_mon_host(addresses, kwargs, expected):
    assert ceph_mon_host(addresses, **kwargs) == expected


def test_mon_host_has_no_whitespace():
    value = ceph_mon_host(["10.0.0.1", "fd00::1"])
    assert value == value.strip() and not any(c.isspace() for c in value)


@pytest.mark.parametrize("addresses, needle", [
    (["10.251.0.300"], "not an IPv4 or IPv6 address"),
    (["10.0.0.01"], "not an IPv4 or IPv6 address"),
    (["10"], "not an IPv4 or IPv6 address"),
    (["ceph-mon.example.com"], "host names are not accepted"),
    (["10.0.0.1:6789"], "port"),
    (["[fd00::1]"], "brackets"),
    (["v2:10.0.0.1"], "protocol"),
    (["10.0.0.0/24"], "network"),
    (["fe80::1%eth0"], "zone index"),
    (["0.0.0.0"], "unspecified"),
    (["::"], "unspecified"),
    (["224.0.0.1"], "multicast"),
    (["255.255.255.255"], "broadcast"),
    ([" 10.0.0.1"], "surrounding spaces"),
    ([""], "empty"),
    ([10], "not a string"),
    (["10.0.0.1", "10.0.0.1"], "repeats"),
    (["fd00::1", "fd00:0::1"], "repeats"),
    ([], "is empty"),
    ("10.0.0.1", "must be a list"),
    ({"a": "10.0.0.1"}, "must be a list"),
])
def test_bad_addresses(addresses, needle):
    problems = ceph_mon_host_problems(addresses, "edgestack_ceph_mon_addresses")
    assert problems and needle in problems[0], problems
    assert "edgestack_ceph_mon_addresses" in problems[0]
    with pytest.raises(AnsibleFilterError, match="ceph_mon_host"):
        ceph_mon_host(addresses)


def test_every_bad_entry_is_reported():
    problems = ceph_mon_host_problems(["10.0.0.1", "bad", "10.0.0.1:1"], "x")
    assert len(problems) == 2
    assert problems[0].startswith("x[1]") and problems[1].startswith("x[2]")


@pytest.mark.parametrize("kwargs, needle", [
    ({"msgr": "v3"}, "msgr"),
    ({"v2_port": 0}, "between 1 and 65535"),
    ({"v1_port": "x"}, "port number"),
    ({"v1_port": True}, "port number"),
    ({"v2_port": 6789}, "must differ"),
])
def test_bad_options(kwargs, needle):
    with pytest.raises(AnsibleFilterError, match=needle):
        ceph_mon_host(["10.0.0.1"], **kwargs)


def test_v2_only_with_equal_ports_is_fine():
    assert ceph_mon_host(["10.0.0.1"], msgr="v2", v2_port=6789) == "[v2:10.0.0.1:6789]"


def test_monmap_addresses():
    assert mon_addresses_of_monmap(MONMAP) == ["10.251.0.10"]
    assert mon_addresses_of_monmap(MONMAP_V6) == ["fd00::a", "fd00::b"]


def test_addresses_match_the_monmap():
    assert ceph_mon_host_problems(["10.251.0.10"], "v", monmap=MONMAP) == []
    assert ceph_mon_host_problems(["fd00::b", "FD00::A"], "v", monmap=MONMAP_V6) == []


def test_addresses_that_differ_from_the_monmap():
    problems = ceph_mon_host_problems(["10.251.0.11"], "ceph_client_auth_mon_addresses", monmap=MONMAP)
    assert len(problems) == 1
    text = problems[0]
    assert "ceph_client_auth_mon_addresses" in text
    assert "not monitors of the cluster: 10.251.0.11" in text
    assert "monitors missing from the list: 10.251.0.10" in text
    assert MONMAP["fsid"] in text


# --------------------------------------------------------------------------
# ceph_client_problems
# --------------------------------------------------------------------------
POOLS = ["images", "backups"]
GOOD = [
    {"name": "client.glance", "caps": {"mon": "profile rbd", "osd": "profile rbd pool=images",
                                       "mgr": "profile rbd pool=images"}},
    {"name": "client.backup", "caps": {"mon": "profile rbd",
                                       "osd": "profile rbd pool=images, profile rbd pool=backups"},
     "deliver": True, "secret": KEY},
    {"name": "client.reader", "caps": {"osd": "allow r pool = backups namespace=x"}},
    {"name": "client.no-caps"},
    {"name": "client.old", "state": "absent"},
    # a pool-less cap names no pool
    {"name": "client.mon-only", "caps": {"mon": "allow r"}},
]


def test_good_clients():
    assert ceph_client_problems(GOOD, POOLS, "edgestack_ceph_clients") == []
    assert ceph_client_problems([], POOLS) == []


@pytest.mark.parametrize("clients, needle", [
    ([{"name": "client.x", "caps": {"osd": "profile rbd pool=volumes"}}],
     "caps.osd names pool 'volumes', which the site does not declare"),
    ([{"name": "client.x", "caps": {"mgr": "profile rbd pool=imgs"}}], "pool 'imgs'"),
    ([{"name": "client.x", "caps": {"osd": "profile rbd pool=images,profile rbd pool=vms"}}], "pool 'vms'"),
    ([{"name": "glance"}], "name must look like client.<id>"),
    ([{"name": "client."}], "name must look like client.<id>"),
    ([{"name": "client.a b"}], "name must look like client.<id>"),
    ([{"name": "client.admin"}], "administrator"),
    ([{"name": "client.x"}, {"name": "client.x"}], "declared twice"),
    ([{"name": "client.x", "caps": {"rgw": "allow"}}], "unknown type 'rgw'"),
    ([{"name": "client.x", "caps": {"osd": ""}}], "non-empty string"),
    ([{"name": "client.x", "caps": {"osd": 3}}], "non-empty string"),
    ([{"name": "client.x", "caps": {"osd": 'allow "r"'}}], "double quotes"),
    ([{"name": "client.x", "caps": ["mon", "allow r"]}], "caps must map"),
    ([{"name": "client.x", "state": "gone"}], "state must be present or absent"),
    ([{"name": "client.x", "deliver": "yes"}], "deliver must be true or false"),
    ([{"name": "client.x", "state": "absent", "deliver": True}], "cannot be delivered"),
    ([{"name": "client.x", "secret": ""}], "secret is not a CephX key"),
    ([{"name": "client.x", "secret": "bm90LWEta2V5"}], "secret is not a CephX key (too short"),
    ([{"name": "client.x", "rotate": True}], "unknown keys ['rotate']"),
    (["client.x"], "must be a mapping"),
    ({"name": "client.x"}, "must be a list"),
])
def test_bad_clients(clients, needle):
    problems = ceph_client_problems(clients, POOLS, "edgestack_ceph_clients")
    assert problems, clients
    assert any(needle in p for p in problems), problems
    assert all(p.startswith("edgestack_ceph_clients") for p in problems)


def test_unknown_pool_message_names_the_fix():
    [problem] = ceph_client_problems([{"name": "client.x", "caps": {"osd": "profile rbd pool=vms"}}],
                                     ["images"], "edgestack_ceph_clients")
    assert problem.startswith("edgestack_ceph_clients[0] (client.x)")
    assert "its pools: images" in problem
    assert "add the pool to the site's pools or fix the pool name" in problem


def test_absent_clients_are_not_checked_against_pools():
    assert ceph_client_problems([{"name": "client.x", "state": "absent",
                                  "caps": {"osd": "profile rbd pool=gone"}}], POOLS) == []


def test_messages_never_quote_a_secret():
    problems = ceph_client_problems([{"name": "client.x", "secret": KEY, "caps": {"osd": "pool=nope"},
                                      "extra": 1}], POOLS)
    assert problems and all(KEY not in p for p in problems)


# --------------------------------------------------------------------------
# ceph_keyring_keys
# --------------------------------------------------------------------------
KEYRINGS = {
    "client.glance": '[client.glance]\n\tkey = %s\n\tcaps mon = "profile rbd"\n' % KEY,
    "client.backup": "[client.backup]\nkey=%s\n" % OTHER_KEY,
}


def test_keyring_keys():
    assert ceph_keyring_keys(KEYRINGS, ["client.glance", "client.backup"]) == [
        {"name": "client.glance", "key": KEY}, {"name": "client.backup", "key": OTHER_KEY}]


def test_keyring_keys_unknown_yet():
    assert ceph_keyring_keys({}, ["client.glance"]) == [{"name": "client.glance", "key": None}]
    assert ceph_keyring_keys(None, ["client.glance"]) == [{"name": "client.glance", "key": None}]


def test_keyring_of_another_entity_is_refused_without_quoting_it():
    with pytest.raises(AnsibleFilterError) as info:
        ceph_keyring_keys({"client.glance": "[client.other]\n\tkey = %s\n" % KEY}, ["client.glance"])
    assert KEY not in str(info.value)
    assert "holds no key for [client.glance]" in str(info.value)


@pytest.mark.parametrize("keyrings, names", [
    (["client.glance"], ["client.glance"]),
    (KEYRINGS, "client.glance"),
    ({"client.glance": 3}, ["client.glance"]),
])
def test_keyring_keys_bad_input(keyrings, names):
    with pytest.raises(AnsibleFilterError, match="ceph_keyring_keys"):
        ceph_keyring_keys(keyrings, names)
