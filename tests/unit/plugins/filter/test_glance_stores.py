# -*- coding: utf-8 -*-
# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Table-driven tests of the store-map filters (plugins/filter/glance_stores.py)."""

from __future__ import annotations

import base64
import struct

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.edgestack.glance_ceph.plugins.filter.glance_stores import (
    glance_store_clusters,
    FilterModule,
    glance_enabled_backends,
    glance_multistore_problems,
    glance_store_map,
    glance_store_maps,
    glance_store_sections,
)

THREE_SITES = [
    {"name": "dcn1", "type": "edge"},
    {"name": "central", "type": "central"},
    {"name": "dcn0", "type": "edge"},
]


def ids(stores):
    return [store["id"] for store in stores]


def default_of(stores):
    defaults = [store["id"] for store in stores if store["default"]]
    assert len(defaults) == 1, defaults
    return defaults[0]


# ---------------------------------------------------------------------------
# Which stores a site gets
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "sites, site, kwargs, expected_ids, expected_default",
    [
        pytest.param(THREE_SITES, "central", {}, ["central", "dcn0", "dcn1"], "central", id="central-gets-all"),
        pytest.param(THREE_SITES, "dcn0", {}, ["dcn0", "central"], "dcn0", id="edge-gets-own-and-central"),
        pytest.param(THREE_SITES, "dcn1", {}, ["dcn1", "central"], "dcn1", id="other-edge"),
        pytest.param([{"name": "hq", "type": "central"}], "hq", {}, ["hq"], "hq", id="central-only"),
        pytest.param(
            [{"name": "z-edge", "type": "edge"}, {"name": "a_edge", "type": "edge"}, {"name": "m", "type": "central"}],
            "m",
            {},
            ["m", "a_edge", "z-edge"],
            "m",
            id="edges-sorted-after-central",
        ),
        pytest.param(THREE_SITES, "dcn0", {"default_store": "central"}, ["dcn0", "central"], "central", id="default-store"),
        pytest.param(
            THREE_SITES,
            "central",
            {"stores": [{"id": "dcn1", "default": True}]},
            ["central", "dcn0", "dcn1"],
            "dcn1",
            id="explicit-default-flag",
        ),
        pytest.param(
            THREE_SITES,
            "dcn0",
            {"stores": [{"id": "web", "type": "http"}]},
            ["dcn0", "central", "web"],
            "dcn0",
            id="added-store-appended",
        ),
        pytest.param(
            THREE_SITES,
            "central",
            {"stores": [{"id": "local", "type": "file", "options": {"filesystem_store_datadir": "/var/lib/glance/images"}}],
             "default_store": "local"},
            ["central", "dcn0", "dcn1", "local"],
            "local",
            id="added-file-store-as-default",
        ),
    ],
)
def test_store_ids_and_default(sites, site, kwargs, expected_ids, expected_default):
    stores = glance_store_map(sites, site, **kwargs)
    assert ids(stores) == expected_ids
    assert default_of(stores) == expected_default


def test_computed_store_shape():
    stores = glance_store_map(THREE_SITES, "dcn0", pool="glance-images", user="openstack", conf_dir="/etc/ceph/")
    assert stores[0] == {
        "id": "dcn0",
        "type": "rbd",
        "cluster": "dcn0",
        "pool": "glance-images",
        "user": "openstack",
        "ceph_conf": "/etc/ceph/dcn0.conf",
        "keyring": "/etc/ceph/dcn0.client.openstack.keyring",
        "default": True,
        "description": "dcn0 (edge site) RBD store",
        "options": {},
    }
    assert stores[1]["ceph_conf"] == "/etc/ceph/central.conf"
    assert stores[1]["keyring"] == "/etc/ceph/central.client.openstack.keyring"
    assert stores[1]["default"] is False


@pytest.mark.parametrize("site", ["central", "dcn0", "dcn1"])
def test_each_store_points_at_its_own_cluster(site):
    for store in glance_store_map(THREE_SITES, site):
        assert store["cluster"] == store["id"]
        assert store["ceph_conf"] == f"/etc/ceph/{store['id']}.conf"
        assert store["keyring"] == f"/etc/ceph/{store['id']}.client.glance.keyring"


def test_input_is_not_modified():
    explicit = [{"id": "dcn0", "options": {"rbd_store_chunk_size": 8}}]
    before = [dict(entry) for entry in explicit]
    glance_store_map(THREE_SITES, "dcn0", stores=explicit)
    assert explicit == before


# ---------------------------------------------------------------------------
# Explicit stores: merge, replace, add
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "explicit, store_id, expected",
    [
        pytest.param(
            [{"id": "central", "pool": "images_central"}],
            "central",
            {"pool": "images_central", "ceph_conf": "/etc/ceph/central.conf", "user": "glance"},
            id="merge-keeps-computed-keys",
        ),
        pytest.param(
            [{"id": "central", "options": {"rbd_store_chunk_size": 8}},
             {"id": "dcn0", "options": {"rbd_thin_provisioning": True}}],
            "dcn0",
            {"options": {"rbd_thin_provisioning": True}},
            id="merge-options",
        ),
        pytest.param(
            [{"id": "central", "user": "openstack"}],
            "central",
            {"user": "openstack", "keyring": "/etc/ceph/central.client.openstack.keyring"},
            id="new-user-moves-keyring",
        ),
        pytest.param(
            [{"id": "central", "cluster": "ceph2"}],
            "central",
            {"cluster": "ceph2", "ceph_conf": "/etc/ceph/ceph2.conf", "keyring": "/etc/ceph/ceph2.client.glance.keyring"},
            id="new-cluster-moves-files",
        ),
        pytest.param(
            [{"id": "central", "cluster": "ceph2", "ceph_conf": "/srv/ceph2.conf"}],
            "central",
            {"ceph_conf": "/srv/ceph2.conf", "keyring": "/etc/ceph/ceph2.client.glance.keyring"},
            id="explicit-path-wins",
        ),
        pytest.param(
            [{"id": "central", "merge": False, "type": "rbd", "cluster": "central", "pool": "p2"}],
            "central",
            {"pool": "p2", "description": "rbd store central", "options": {}},
            id="replace",
        ),
        pytest.param(
            [{"id": "dcn0", "type": "file", "options": {"filesystem_store_datadir": "/data"}}],
            "dcn0",
            {"type": "file", "options": {"filesystem_store_datadir": "/data"}, "default": False},
            id="type-change-replaces",
        ),
        pytest.param(
            [{"id": "objects", "type": "swift", "description": "Swift",
              "auth": {"auth_address": "http://rgw:8080/auth/1.0", "user": "glance:swift", "key": "k",
                       "auth_version": "1"}}],
            "objects",
            {"type": "swift", "description": "Swift",
             "auth": {"auth_address": "http://rgw:8080/auth/1.0", "user": "glance:swift", "key": "k",
                      "auth_version": "1"}},
            id="add-swift",
        ),
        pytest.param(
            [{"id": "extra", "type": "rbd", "cluster": "backup"}],
            "extra",
            {"cluster": "backup", "pool": "images", "user": "glance", "ceph_conf": "/etc/ceph/backup.conf",
             "keyring": "/etc/ceph/backup.client.glance.keyring"},
            id="add-rbd-from-cluster",
        ),
        pytest.param(
            [{"id": "vol", "type": "cinder", "options": {"cinder_volume_type": "glance"}}],
            "vol",
            {"type": "cinder"},
            id="add-cinder",
        ),
        pytest.param(
            [{"id": "s3", "type": "s3", "options": {"s3_store_host": "http://s3", "s3_store_bucket": "b",
                                                    "s3_store_access_key": "a", "s3_store_secret_key": "s"}}],
            "s3",
            {"type": "s3", "options": {"s3_store_host": "http://s3", "s3_store_bucket": "b",
                                       "s3_store_access_key": "a", "s3_store_secret_key": "s"}},
            id="add-s3",
        ),
    ],
)
def test_explicit_stores(explicit, store_id, expected):
    stores = glance_store_map(THREE_SITES, "central", stores=explicit)
    store = next(store for store in stores if store["id"] == store_id)
    for key, value in expected.items():
        assert store[key] == value, key
    assert "merge" not in store


def test_type_change_drops_rbd_keys():
    stores = glance_store_map(
        THREE_SITES, "central", stores=[{"id": "dcn0", "type": "http"}]
    )
    store = stores[1]
    assert store["type"] == "http"
    assert not {"cluster", "pool", "user", "ceph_conf", "keyring"} & set(store)


# ---------------------------------------------------------------------------
# Errors name the problem and the fix
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "sites, site, kwargs, message",
    [
        pytest.param([{"name": "a", "type": "edge"}], "a", {}, "exactly one central site, found 0", id="no-central"),
        pytest.param(
            [{"name": "a", "type": "central"}, {"name": "b", "type": "central"}], "a", {},
            "exactly one central site, found 2 (a, b)", id="two-centrals",
        ),
        pytest.param(
            [{"name": "a", "type": "central"}, {"name": "a", "type": "edge"}], "a", {},
            "listed twice", id="duplicate-name",
        ),
        pytest.param([{"name": "Central", "type": "central"}], "Central", {}, "is not a valid Ceph cluster name", id="uppercase"),
        pytest.param([{"name": "1st", "type": "central"}], "1st", {}, "must match", id="leading-digit"),
        pytest.param([{"name": "dc.0", "type": "central"}], "dc.0", {}, "is not a valid", id="dot"),
        pytest.param([{"name": "os_glance_x", "type": "central"}], "os_glance_x", {}, "reserves", id="reserved-prefix"),
        pytest.param([{"name": "", "type": "central"}], "", {}, "non-empty string", id="empty-name"),
        pytest.param([{"name": "a", "type": "hub"}], "a", {}, "set type to one of central, edge", id="bad-type"),
        pytest.param([{"name": "a", "type": "central", "vip": "x"}], "a", {}, "unknown keys ['vip']", id="unknown-site-key"),
        pytest.param({"name": "a", "type": "central"}, "a", {}, "sites must be a list", id="sites-not-list"),
        pytest.param(["a"], "a", {}, "sites[0] must be a mapping", id="site-not-mapping"),
        pytest.param(THREE_SITES, "dcn9", {}, "site 'dcn9' is not one of the sites", id="unknown-site"),
        pytest.param(THREE_SITES, "dcn0", {"pool": ""}, "not a valid pool name", id="bad-pool"),
        pytest.param(THREE_SITES, "dcn0", {"user": "client.glance"}, "without the 'client.' prefix", id="client-prefix"),
        pytest.param(THREE_SITES, "dcn0", {"conf_dir": "etc/ceph"}, "must be an absolute path", id="relative-conf-dir"),
        pytest.param(THREE_SITES, "dcn0", {"default_store": "dcn1"}, "default_store 'dcn1' is not one of the stores", id="default-not-a-store"),
        pytest.param(
            THREE_SITES, "central", {"stores": [{"id": "dcn0", "default": True}, {"id": "dcn1", "default": True}]},
            "marks 2 stores as default", id="two-explicit-defaults",
        ),
        pytest.param(
            THREE_SITES, "central", {"stores": [{"id": "dcn0", "default": True}], "default_store": "dcn1"},
            "conflicts with", id="default-conflict",
        ),
        pytest.param(THREE_SITES, "central", {"stores": [{"type": "http"}]}, "stores[0].id must be a non-empty string", id="store-without-id"),
        pytest.param(THREE_SITES, "central", {"stores": [{"id": "web"}]}, "new store (no site has that name) without a type", id="new-store-without-type"),
        pytest.param(THREE_SITES, "central", {"stores": [{"id": "web", "type": "ftp"}]}, "set type to one of rbd, file", id="unknown-store-type"),
        pytest.param(THREE_SITES, "central", {"stores": [{"id": "os_glance_staging_store", "type": "file"}]}, "reserves", id="reserved-store-id"),
        pytest.param(THREE_SITES, "central", {"stores": [{"id": "Web", "type": "http"}]}, "is not a valid", id="bad-store-id"),
        pytest.param(
            THREE_SITES, "central", {"stores": [{"id": "web", "type": "http"}, {"id": "web", "type": "http"}]},
            "given twice", id="duplicate-explicit",
        ),
        pytest.param(THREE_SITES, "central", {"stores": [{"id": "f", "type": "file"}]}, "file store without a data directory", id="file-without-datadir"),
        pytest.param(THREE_SITES, "central", {"stores": [{"id": "web", "type": "http", "pool": "x"}]}, "unknown keys ['pool']", id="rbd-key-on-http"),
        pytest.param(
            THREE_SITES, "central", {"stores": [{"id": "dcn0", "options": {"a": [1]}}]},
            "must be a string, number or boolean", id="non-scalar-option",
        ),
        pytest.param(THREE_SITES, "central", {"stores": [{"id": "dcn0", "options": {"rbd_store_pool": "x"}}]}, "set those keys instead", id="rendered-option"),
        pytest.param(THREE_SITES, "central", {"stores": [{"id": "dcn0", "default": "yes"}]}, "default must be true or false", id="non-bool-default"),
        pytest.param(THREE_SITES, "central", {"stores": [{"id": "x", "type": "rbd"}]}, "rbd store without cluster", id="rbd-without-cluster"),
        pytest.param(THREE_SITES, "central", {"stores": [{"id": "dcn0", "ceph_conf": "dcn0.conf"}]}, "must be an absolute path", id="relative-ceph-conf"),
        pytest.param(THREE_SITES, "central", {"stores": "dcn0"}, "stores must be a list", id="stores-not-list"),
        pytest.param(THREE_SITES, "central", {"stores": [{"id": "dcn0", "merge": "no"}]}, "merge must be true or false", id="bad-merge"),
    ],
)
def test_errors(sites, site, kwargs, message):
    with pytest.raises(AnsibleFilterError) as excinfo:
        glance_store_map(sites, site, **kwargs)
    assert message in str(excinfo.value)


# ---------------------------------------------------------------------------
# enabled_backends and glance-api.conf sections
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "site, expected",
    [
        ("central", "central:rbd,dcn0:rbd,dcn1:rbd"),
        ("dcn0", "dcn0:rbd,central:rbd"),
        ("dcn1", "dcn1:rbd,central:rbd"),
    ],
)
def test_enabled_backends(site, expected):
    assert glance_enabled_backends(glance_store_map(THREE_SITES, site)) == expected


@pytest.mark.parametrize(
    "stores, message",
    [
        pytest.param([], "stores is empty", id="empty"),
        pytest.param("central:rbd", "stores must be a list", id="string"),
        pytest.param(
            [{"id": "a", "type": "http", "default": False}], "exactly one store must be the default, found 0", id="no-default",
        ),
        pytest.param(
            [{"id": "a", "type": "http", "default": True}, {"id": "a", "type": "http", "default": False}],
            "appears twice", id="duplicate",
        ),
    ],
)
def test_enabled_backends_errors(stores, message):
    with pytest.raises(AnsibleFilterError) as excinfo:
        glance_enabled_backends(stores)
    assert message in str(excinfo.value)


def test_store_sections():
    stores = glance_store_map(
        THREE_SITES, "dcn0",
        stores=[{"id": "dcn0", "options": {"rbd_store_chunk_size": 8, "rbd_thin_provisioning": True}},
                {"id": "web", "type": "http", "description": "Read-only web store"}],
    )
    sections = glance_store_sections(stores, import_methods=["web-download", "copy-image"])
    assert list(sections) == ["DEFAULT", "glance_store", "dcn0", "central", "web"]
    assert sections["DEFAULT"] == {
        "enabled_backends": "dcn0:rbd,central:rbd,web:http",
        "enabled_import_methods": "[web-download,copy-image]",
        "show_image_direct_url": "True",
    }
    assert sections["glance_store"] == {"default_backend": "dcn0"}
    assert sections["dcn0"] == {
        "rbd_store_pool": "images",
        "rbd_store_user": "glance",
        "rbd_store_ceph_conf": "/etc/ceph/dcn0.conf",
        "store_description": "dcn0 (edge site) RBD store",
        "rbd_store_chunk_size": "8",
        "rbd_thin_provisioning": "True",
    }
    assert sections["central"]["rbd_store_ceph_conf"] == "/etc/ceph/central.conf"
    assert sections["web"] == {"store_description": "Read-only web store"}


def test_store_sections_default_import_methods():
    sections = glance_store_sections(glance_store_map(THREE_SITES, "central"))
    assert sections["DEFAULT"]["enabled_import_methods"] == "[glance-direct,web-download,copy-image]"


def test_store_sections_bad_import_methods():
    with pytest.raises(AnsibleFilterError, match="import_methods must be a list"):
        glance_store_sections(glance_store_map(THREE_SITES, "central"), import_methods="copy-image")


# ---------------------------------------------------------------------------
# Role input consistency
# ---------------------------------------------------------------------------
# A CephX key as ceph-authtool --gen-print-key prints it: type 1 (AES), creation time, 16 secret bytes.
KEY = base64.b64encode(struct.pack("<HIIH", 1, 1700000000, 0, 16) + bytes(range(16))).decode()
CLUSTERS = [
    {"name": "dcn0", "fsid": "11111111-2222-3333-4444-555555555555", "mon_host": "[v2:192.0.2.30:3300,v1:192.0.2.30:6789]"},
    {"name": "central", "fsid": "aaaaaaaa-2222-3333-4444-555555555555", "mon_host": "192.0.2.10"},
]
KEYRINGS = [
    {"cluster": "dcn0", "user": "glance", "key": KEY},
    {"cluster": "central", "user": "glance", "key": KEY},
]


@pytest.mark.parametrize(
    "clusters, keyrings, expected",
    [
        pytest.param(CLUSTERS, KEYRINGS, [], id="consistent"),
        pytest.param(CLUSTERS[:1], KEYRINGS, ["uses cluster 'central', which has no entry in glance_multistore_clusters"], id="missing-cluster"),
        pytest.param(CLUSTERS, KEYRINGS[:1], ["needs the key of client.glance on cluster 'central'"], id="missing-key"),
        pytest.param(
            CLUSTERS, [KEYRINGS[0], {"cluster": "central", "user": "glance", "key": "not-a-key"}],
            ["key is not a CephX key"], id="malformed-key",
        ),
        pytest.param(
            CLUSTERS, [KEYRINGS[0], {"cluster": "central", "user": "glance", "key": base64.b64encode(b"x" * 16).decode()}],
            ["key is not a CephX key"], id="short-key",
        ),
        pytest.param(
            [CLUSTERS[0], dict(CLUSTERS[1], fsid="nope")], KEYRINGS, ["fsid 'nope' is not a UUID"], id="bad-fsid",
        ),
        pytest.param(
            [CLUSTERS[0], {"name": "central", "fsid": CLUSTERS[1]["fsid"]}], KEYRINGS, ["has no mon_host"], id="no-mon-host",
        ),
        pytest.param(CLUSTERS + CLUSTERS[:1], KEYRINGS, ["lists cluster 'dcn0' twice"], id="duplicate-cluster"),
        pytest.param(CLUSTERS, KEYRINGS + KEYRINGS[:1], ["is given twice"], id="duplicate-key"),
        pytest.param(
            CLUSTERS, [KEYRINGS[0], dict(KEYRINGS[1], user="client.glance")],
            ["without the 'client.' prefix"], id="client-prefix",
        ),
        pytest.param("central", KEYRINGS, ["glance_multistore_clusters must be a list"], id="clusters-not-list"),
    ],
)
def test_multistore_problems(clusters, keyrings, expected):
    problems = glance_multistore_problems(glance_store_map(THREE_SITES, "dcn0"), clusters, keyrings)
    for fragment in expected:
        assert any(fragment in problem for problem in problems), (fragment, problems)
    if not expected:
        assert problems == []
    for problem in problems:
        assert "not-a-key" not in problem and KEY not in problem


def test_multistore_problems_bad_stores():
    problems = glance_multistore_problems([], CLUSTERS, KEYRINGS)
    assert problems == ["glance_multistore_stores: stores is empty: a Glance API needs at least one store"]


def test_non_rbd_stores_need_no_cluster():
    stores = [{"id": "web", "type": "http", "default": True, "options": {}}]
    assert glance_multistore_problems(stores, [], []) == []


# ---------------------------------------------------------------------------
# Every site's store map
# ---------------------------------------------------------------------------
def test_store_maps():
    maps = glance_store_maps(THREE_SITES, user="openstack", stores={"dcn1": [{"id": "dcn1", "pool": "img"}]},
                             default_stores={"dcn0": "central"})
    assert [(entry["site"], entry["type"]) for entry in maps] == [("central", "central"), ("dcn0", "edge"), ("dcn1", "edge")]
    for entry in maps:
        assert entry["stores"] == glance_store_map(
            THREE_SITES, entry["site"], user="openstack",
            stores=[{"id": "dcn1", "pool": "img"}] if entry["site"] == "dcn1" else None,
            default_store="central" if entry["site"] == "dcn0" else None,
        )
    assert default_of(maps[1]["stores"]) == "central"


@pytest.mark.parametrize(
    "kwargs, message",
    [
        pytest.param({"stores": {"dcn9": []}}, "names ['dcn9'], which are not sites", id="unknown-site"),
        pytest.param({"default_stores": ["dcn0"]}, "default_stores must map a site name", id="not-a-mapping"),
    ],
)
def test_store_maps_errors(kwargs, message):
    with pytest.raises(AnsibleFilterError) as excinfo:
        glance_store_maps(THREE_SITES, **kwargs)
    assert message in str(excinfo.value)


def test_filter_module_exports():
    filters = FilterModule().filters()
    assert set(filters) == {
        "glance_store_map",
        "glance_store_maps",
        "glance_enabled_backends",
        "glance_store_sections",
        "glance_store_clusters",
        "glance_multistore_problems",
    }


def test_store_clusters_are_the_preflight_input_of_the_rbd_stores():
    stores = glance_store_map(THREE_SITES, "central", user="glance-edge", pool="glance-images", stores=[
        {"id": "web", "type": "http"}])
    assert glance_store_clusters(stores) == [
        {"name": "central", "user": "glance-edge", "pool": "glance-images"},
        {"name": "dcn0", "user": "glance-edge", "pool": "glance-images"},
        {"name": "dcn1", "user": "glance-edge", "pool": "glance-images"},
    ]
    assert [c["name"] for c in glance_store_clusters(stores, exclude=["central"])] == ["dcn0", "dcn1"]
