# -*- coding: utf-8 -*-
# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Table-driven tests of the Kubernetes builders (plugins/filter/k8s_glance.py)."""

from __future__ import annotations

import base64
import configparser
import os
import struct

import pytest
import yaml

from ansible.errors import AnsibleFilterError
from ansible_collections.edgestack.glance_ceph.plugins.filter.glance_stores import (
    glance_store_map,
    glance_store_maps,
)
from ansible_collections.edgestack.glance_ceph.plugins.filter.k8s_glance import (
    FilterModule,
    ceph_conf_text,
    glance_k8s_helm,
    glance_k8s_helm_unknown_keys,
    glance_k8s_merge_extra_mounts,
    glance_k8s_operator,
    glance_k8s_to_yaml,
    ini_text,
    keyring_text,
)

SITES = [
    {"name": "central", "type": "central"},
    {"name": "dcn0", "type": "edge"},
    {"name": "dcn1", "type": "edge"},
]


def cephx_key():
    """A well-formed CephX key: type, creation time, length, 16 secret bytes."""
    return base64.b64encode(struct.pack("<HIIH", 1, 1700000000, 0, 16) + os.urandom(16)).decode()


CLUSTERS = [
    {"name": "central", "fsid": "0f5a1c1e-0000-4000-8000-000000000001", "mon_host": "[v2:192.0.2.10:3300,v1:192.0.2.10:6789]"},
    {"name": "dcn0", "fsid": "0f5a1c1e-0000-4000-8000-000000000002", "mon_host": "[v2:192.0.2.30:3300,v1:192.0.2.30:6789]"},
    {"name": "dcn1", "fsid": "0f5a1c1e-0000-4000-8000-000000000003", "mon_host": "[v2:192.0.2.50:3300,v1:192.0.2.50:6789]"},
]
KEYS = {name: cephx_key() for name in ("central", "dcn0", "dcn1")}
KEYRINGS = [{"cluster": name, "user": "glance", "key": key} for name, key in KEYS.items()]


def decode(secret):
    return {key: base64.b64decode(value).decode() for key, value in secret["data"].items()}


def sections_of(text):
    parser = configparser.ConfigParser(interpolation=None, default_section="__none__")
    parser.read_string(text)
    return parser


def operator_sites(**settings):
    sites = glance_store_maps(SITES)
    for entry in sites:
        entry.update(settings.get(entry["site"], {}))
    return sites


# ---------------------------------------------------------------------------
# File contents
# ---------------------------------------------------------------------------
def test_ini_text():
    assert ini_text({"a": {"x": "1", "y": True}, "b": {}}, header="hi\n\nthere") == (
        "# hi\n#\n# there\n\n[a]\nx = 1\ny = True\n\n[b]\n"
    )


def test_ceph_conf_names_the_keyring():
    text = ceph_conf_text(CLUSTERS[1], {"glance": "/etc/ceph/dcn0.client.glance.keyring"})
    conf = sections_of(text)
    assert conf["global"]["fsid"] == CLUSTERS[1]["fsid"]
    assert conf["global"]["mon_host"] == CLUSTERS[1]["mon_host"]
    assert conf["client.glance"]["keyring"] == "/etc/ceph/dcn0.client.glance.keyring"


def test_keyring_text():
    assert keyring_text("glance", "AQBx==") == "[client.glance]\n\tkey = AQBx==\n"


def test_to_yaml_block_style_and_order():
    text = glance_k8s_to_yaml({"b": "line1\nline2\n", "a": [1, True, None]})
    assert text.startswith("b: |\n  line1\n  line2\na:\n")
    assert yaml.safe_load(text) == {"b": "line1\nline2\n", "a": [1, True, None]}


# ---------------------------------------------------------------------------
# openstack-helm
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("site", ["central", "dcn0", "dcn1"])
def test_helm_objects(site):
    stores = glance_store_map(SITES, site)
    result = glance_k8s_helm(stores, site, CLUSTERS, KEYRINGS)
    configmap, secret, overrides = result["configmap"], result["secret"], result["overrides"]
    assert result["warnings"] == []
    assert (configmap["kind"], configmap["metadata"]["name"]) == ("ConfigMap", "ceph-etc")
    assert (secret["kind"], secret["metadata"]["name"], secret["type"]) == ("Secret", "images-rbd-keyring", "kubernetes.io/rbd")
    clusters = [store["cluster"] for store in stores]
    # ceph.conf is the site's own cluster; every store's cluster has <cluster>.conf.
    assert set(configmap["data"]) == {"ceph.conf"} | {f"{name}.conf" for name in clusters}
    assert configmap["data"]["ceph.conf"] == configmap["data"][f"{site}.conf"]
    for name in clusters:
        fsid = next(cluster["fsid"] for cluster in CLUSTERS if cluster["name"] == name)
        assert sections_of(configmap["data"][f"{name}.conf"])["global"]["fsid"] == fsid
    # The chart's "key" is the site's own key; keyrings for every store.
    files = decode(secret)
    assert files["key"] == KEYS[site]
    for name in clusters:
        assert files[f"{name}.client.glance.keyring"] == f"[client.glance]\n\tkey = {KEYS[name]}\n"
    # Keys never leave the Secret.
    for key in KEYS.values():
        assert key not in yaml.safe_dump(configmap) and key not in yaml.safe_dump(overrides)
    glance = overrides["conf"]["glance"]
    assert overrides["storage"] == "rbd"
    assert overrides["manifests"] == {"job_storage_init": False}
    assert glance["DEFAULT"]["enabled_backends"] == ",".join(f"{name}:rbd" for name in clusters)
    assert glance["DEFAULT"]["show_image_direct_url"] == "True"
    assert glance["glance_store"]["default_backend"] == site
    assert glance["glance_store"]["rbd_store_user"] == "glance"
    for store in stores:
        assert glance[store["id"]]["rbd_store_ceph_conf"] == f"/etc/ceph/{store['id']}.conf"
    mounts = overrides["pod"]["mounts"]["glance_api"]["glance_api"]["volumeMounts"]
    assert {(mount["name"], mount["mountPath"], mount["subPath"]) for mount in mounts} == (
        {("ceph-etc", f"/etc/ceph/{name}.conf", f"{name}.conf") for name in clusters}
        | {("ceph-keyring", f"/etc/ceph/{name}.client.glance.keyring", f"{name}.client.glance.keyring") for name in clusters}
    )


def test_helm_renamed_objects_warn():
    result = glance_k8s_helm(glance_store_map(SITES, "dcn0"), "dcn0", CLUSTERS, KEYRINGS,
                             configmap="dcn0-ceph-etc", secret="dcn0-glance-keyring")
    assert result["overrides"]["ceph_client"] == {"configmap": "dcn0-ceph-etc"}
    assert result["overrides"]["secrets"] == {"rbd": "dcn0-glance-keyring"}
    assert len(result["warnings"]) == 2
    assert "replaces the chart's own name 'ceph-etc'" in result["warnings"][0]
    assert "replaces the chart's own name 'images-rbd-keyring'" in result["warnings"][1]


@pytest.mark.parametrize(
    "stores, kwargs, message",
    [
        pytest.param(
            glance_store_map(SITES, "dcn0", stores=[{"id": "web", "type": "http"}], default_store="web"),
            {}, "needs an RBD default store", id="non-rbd-default",
        ),
        pytest.param(
            glance_store_map([{"name": "ceph", "type": "central"}], "ceph"),
            {"clusters": [dict(CLUSTERS[0], name="ceph")], "keyrings": [dict(KEYRINGS[0], cluster="ceph")]},
            "a name the chart uses for its own ceph.conf", id="cluster-named-ceph",
        ),
        pytest.param(glance_store_map(SITES, "dcn0"), {"keyrings": KEYRINGS[:1]}, "not in glance_multistore_keyrings", id="missing-key"),
        pytest.param(glance_store_map(SITES, "dcn0"), {"clusters": CLUSTERS[:1]}, "no entry in glance_multistore_clusters", id="missing-cluster"),
        pytest.param(glance_store_map(SITES, "dcn0"), {"namespace": "Open_Stack"}, "not a valid Kubernetes name", id="bad-namespace"),
        pytest.param(glance_store_map(SITES, "dcn0"), {"secret": "Keys!"}, "keep the chart's own name 'images-rbd-keyring'", id="bad-secret-name"),
        pytest.param(glance_store_map(SITES, "dcn0"), {"import_methods": ["glance-direct"]}, "lacks copy-image", id="no-copy-image"),
        pytest.param(
            glance_store_map(SITES, "dcn0", stores=[{"id": "central", "cluster": "dcn0", "keyring": "/etc/ceph/x.keyring"}]),
            {}, "would read two keyrings", id="two-keyrings-one-user",
        ),
        pytest.param(
            glance_store_map(SITES, "dcn0", stores=[{"id": "central", "ceph_conf": "/etc/ceph/dcn0.conf"}]),
            {}, "would hold the conf of clusters 'dcn0' and 'central'", id="shared-conf-path",
        ),
    ],
)
def test_helm_errors(stores, kwargs, message):
    kwargs = dict(kwargs)
    clusters = kwargs.pop("clusters", CLUSTERS)
    keyrings = kwargs.pop("keyrings", KEYRINGS)
    with pytest.raises(AnsibleFilterError) as excinfo:
        glance_k8s_helm(stores, "dcn0", clusters, keyrings, **kwargs)
    assert message in str(excinfo.value)
    for key in KEYS.values():
        assert key not in str(excinfo.value)


VALUES = {
    "storage": "swift",
    "conf": {"glance": {"DEFAULT": {"workers": 1}, "glance_store": {"rbd_store_user": "glance"}}},
    "manifests": {"job_storage_init": True},
    "pod": {"mounts": {"glance_api": {"glance_api": {"volumeMounts": None, "volumes": None}}}},
    "ceph_client": {"configmap": "ceph-etc"},
    "secrets": {"rbd": "images-rbd-keyring"},
}


@pytest.mark.parametrize(
    "overrides, unknown",
    [
        pytest.param({"storage": "rbd"}, [], id="known-scalar"),
        pytest.param({"conf": {"glance": {"dcn0": {"rbd_store_pool": "images"}}}}, [], id="free-form-section"),
        pytest.param({"conf": {"glance": {"DEFAULT": {"enabled_backends": "a:rbd"}}}}, [], id="free-form-option"),
        pytest.param({"pod": {"mounts": {"glance_api": {"glance_api": {"volumeMounts": [{"name": "x"}]}}}}}, [], id="null-slot"),
        pytest.param({"storagee": "rbd"}, ["storagee"], id="typo-top-level"),
        pytest.param({"manifests": {"job_storage_initt": False}}, ["manifests.job_storage_initt"], id="typo-nested"),
        pytest.param({"conf": {"glancee": {"x": {"y": 1}}}}, ["conf.glancee"], id="typo-above-free-form"),
    ],
)
def test_helm_unknown_keys(overrides, unknown):
    assert glance_k8s_helm_unknown_keys(overrides, VALUES) == unknown


# ---------------------------------------------------------------------------
# openstack-k8s-operators
# ---------------------------------------------------------------------------
def test_operator_three_sites():
    result = glance_k8s_operator(operator_sites(), CLUSTERS, KEYRINGS)
    patch = result["patch"]
    assert (patch["apiVersion"], patch["kind"]) == ("core.openstack.org/v1beta1", "OpenStackControlPlane")
    template = patch["spec"]["glance"]["template"]
    assert template["keystoneEndpoint"] == "central"
    apis = template["glanceAPIs"]
    assert {name: api["type"] for name, api in apis.items()} == {"central": "split", "dcn0": "edge", "dcn1": "edge"}
    for site in ("central", "dcn0", "dcn1"):
        stores = glance_store_map(SITES, site)
        conf = sections_of(apis[site]["customServiceConfig"])
        assert conf["DEFAULT"]["enabled_backends"] == ",".join(f"{store['id']}:rbd" for store in stores)
        assert "copy-image" in conf["DEFAULT"]["enabled_import_methods"]
        assert conf["glance_store"]["default_backend"] == site
        store_sections = [name for name in conf.sections() if name not in ("DEFAULT", "glance_store")]
        assert store_sections == [store["id"] for store in stores]
        for name in store_sections:
            # Each store reads its own cluster's conf, never another site's.
            assert conf[name]["rbd_store_ceph_conf"] == f"/etc/ceph/{name}.conf"
    (secret,) = result["secrets"]
    assert secret["metadata"]["name"] == "ceph-conf-files"
    files = decode(secret)
    assert set(files) == {f"{name}.conf" for name in KEYS} | {f"{name}.client.glance.keyring" for name in KEYS}
    for name, key in KEYS.items():
        assert key in files[f"{name}.client.glance.keyring"]
        assert sections_of(files[f"{name}.conf"])["client.glance"]["keyring"] == f"/etc/ceph/{name}.client.glance.keyring"
    (mount,) = patch["spec"]["extraMounts"]
    assert mount == result["extra_mount"]
    (vol,) = mount["extraVol"]
    assert vol["propagation"] == ["GlanceAPI"]
    assert vol["volumes"] == [{"name": "ceph", "secret": {"secretName": "ceph-conf-files"}}]
    assert vol["mounts"] == [{"name": "ceph", "mountPath": "/etc/ceph", "readOnly": True}]
    for key in KEYS.values():
        assert key not in yaml.safe_dump(patch)


def test_operator_secret_per_site():
    result = glance_k8s_operator(operator_sites(), CLUSTERS, KEYRINGS, secret_per_site=True)
    secrets = {secret["metadata"]["name"]: decode(secret) for secret in result["secrets"]}
    assert set(secrets) == {"ceph-conf-files-central", "ceph-conf-files-dcn0", "ceph-conf-files-dcn1"}
    assert set(secrets["ceph-conf-files-dcn0"]) == {
        "dcn0.conf", "dcn0.client.glance.keyring", "central.conf", "central.client.glance.keyring",
    }
    assert KEYS["dcn1"] not in "".join(secrets["ceph-conf-files-dcn0"].values())
    vols = result["extra_mount"]["extraVol"]
    assert [vol["propagation"] for vol in vols] == [["central"], ["dcn0"], ["dcn1"]]
    assert vols[1]["volumes"] == [{"name": "ceph-dcn0", "secret": {"secretName": "ceph-conf-files-dcn0"}}]


@pytest.mark.parametrize(
    "settings, expected",
    [
        pytest.param({"central": {"layout": "split"}}, {"central": "split"}, id="explicit-split"),
        pytest.param({"central": {"replicas": 3}}, {"central": "split"}, id="replicas"),
        pytest.param(
            {"central": {"stores": glance_store_map(SITES, "central", stores=[
                {"id": "local", "type": "file", "options": {"filesystem_store_datadir": "/var/lib/glance/images"}}])}},
            {"central": "single"}, id="file-store-picks-single",
        ),
        pytest.param({"dcn0": {"api": {"networkAttachments": ["storage"]}}}, {"dcn0": "edge"}, id="api-passthrough"),
    ],
)
def test_operator_layouts(settings, expected):
    apis = glance_k8s_operator(operator_sites(**settings), CLUSTERS, KEYRINGS)["patch"]["spec"]["glance"]["template"]["glanceAPIs"]
    for site, layout in expected.items():
        assert apis[site]["type"] == layout
    if "replicas" in settings.get("central", {}):
        assert apis["central"]["replicas"] == 3
    else:
        assert "replicas" not in apis["central"]
    if "api" in settings.get("dcn0", {}):
        assert apis["dcn0"]["networkAttachments"] == ["storage"]


FILE_STORE = {"id": "local", "type": "file", "options": {"filesystem_store_datadir": "/var/lib/glance/images"}}


@pytest.mark.parametrize(
    "settings, kwargs, message",
    [
        pytest.param(
            {"central": {"layout": "split", "stores": glance_store_map(SITES, "central", stores=[FILE_STORE])}}, {},
            "file store local with the split layout is refused", id="file-split",
        ),
        pytest.param({"central": {"layout": "single"}}, {}, "the single layout without a file store is refused", id="single-without-file"),
        pytest.param({"dcn0": {"layout": "split"}}, {}, "a edge site's glanceAPI has layout edge", id="edge-not-edge"),
        pytest.param({"central": {"layout": "edge"}}, {}, "layout split or single", id="central-edge"),
        pytest.param({}, {"keystone_endpoint": "dcn0"}, "is an edge API", id="keystone-at-edge"),
        pytest.param({}, {"keystone_endpoint": "dcn9"}, "is not one of the sites", id="keystone-unknown"),
        pytest.param({"dcn1": {"type": "central"}}, {}, "exactly one central site, found 2", id="two-centrals"),
        pytest.param({"central": {"replicas": -1}}, {}, "replicas must be a whole number", id="negative-replicas"),
        pytest.param({"central": {"api": {"customServiceConfig": "x"}}}, {}, "which the role sets", id="api-owned-key"),
        pytest.param({"central": {"site": "Central"}}, {}, "is not a valid Kubernetes name", id="uppercase-site"),
        pytest.param({"dcn0": {"site": "dcn_0"}}, {}, "is not a valid Kubernetes name", id="underscore-site"),
        pytest.param({"dcn0": {"site": "a" * 41}}, {}, "limits a edge glanceAPI name", id="long-site"),
        pytest.param({"dcn0": {"flavor": "x"}}, {}, "unknown keys ['flavor']", id="unknown-key"),
        pytest.param({}, {"import_methods": ["web-download"]}, "lacks copy-image", id="no-copy-image"),
        pytest.param({}, {"keyrings": KEYRINGS[:2]}, "needs the key of client.glance on cluster 'dcn1'", id="missing-key"),
        pytest.param({}, {"secret": "ceph_conf"}, "is not a valid Kubernetes name", id="bad-secret"),
        pytest.param(
            {"dcn0": {"stores": glance_store_map(SITES, "dcn0", conf_dir="/etc/ceph-dcn0")}}, {},
            "build every store map with the same conf_dir", id="two-conf-dirs",
        ),
    ],
)
def test_operator_errors(settings, kwargs, message):
    kwargs = dict(kwargs)
    clusters = kwargs.pop("clusters", CLUSTERS)
    keyrings = kwargs.pop("keyrings", KEYRINGS)
    with pytest.raises(AnsibleFilterError) as excinfo:
        glance_k8s_operator(operator_sites(**settings), clusters, keyrings, **kwargs)
    assert message in str(excinfo.value)
    for key in KEYS.values():
        assert key not in str(excinfo.value)


def test_operator_shared_secret_lists_every_user():
    # dcn0's API reads the clusters as client.openstack, the others as client.glance.
    sites = operator_sites()
    sites[1]["stores"] = glance_store_map(SITES, "dcn0", user="openstack")
    keyrings = KEYRINGS + [{"cluster": name, "user": "openstack", "key": cephx_key()} for name in ("dcn0", "central")]
    files = decode(glance_k8s_operator(sites, CLUSTERS, keyrings)["secrets"][0])
    central = sections_of(files["central.conf"])
    assert central["client.glance"]["keyring"] == "/etc/ceph/central.client.glance.keyring"
    assert central["client.openstack"]["keyring"] == "/etc/ceph/central.client.openstack.keyring"
    assert "central.client.openstack.keyring" in files and "dcn1.client.openstack.keyring" not in files
    per_site = glance_k8s_operator(sites, CLUSTERS, keyrings, secret_per_site=True)["secrets"]
    dcn0 = decode(next(secret for secret in per_site if secret["metadata"]["name"].endswith("dcn0")))
    assert set(dcn0) == {"dcn0.conf", "central.conf", "dcn0.client.openstack.keyring", "central.client.openstack.keyring"}


def test_operator_conflicting_files():
    # dcn1's API reads its cluster through a file named like dcn0's: fine per site,
    # impossible in one shared Secret.
    sites = operator_sites()
    sites[2]["stores"] = glance_store_map(SITES, "dcn1", stores=[{"id": "dcn1", "ceph_conf": "/etc/ceph/dcn0.conf"}])
    with pytest.raises(AnsibleFilterError, match="would hold the conf of clusters 'dcn0' and 'dcn1'"):
        glance_k8s_operator(sites, CLUSTERS, KEYRINGS)
    assert glance_k8s_operator(sites, CLUSTERS, KEYRINGS, secret_per_site=True)["secrets"]


# ---------------------------------------------------------------------------
# extraMounts merge
# ---------------------------------------------------------------------------
OURS = {"name": "glance-ceph", "extraVol": [{"propagation": ["GlanceAPI"], "volumes": [], "mounts": []}]}
CINDER = {"name": "cinder-ceph", "extraVol": [{"propagation": ["CinderVolume"], "volumes": [], "mounts": []}]}


@pytest.mark.parametrize(
    "current, expected",
    [
        pytest.param(None, [OURS], id="none"),
        pytest.param([], [OURS], id="empty"),
        pytest.param([CINDER], [CINDER, OURS], id="keeps-others"),
        pytest.param([{"name": "glance-ceph", "extraVol": []}, CINDER], [OURS, CINDER], id="replaces-in-place"),
        pytest.param([{"name": "glance-ceph"}, {"name": "glance-ceph"}], [OURS], id="drops-duplicates"),
    ],
)
def test_merge_extra_mounts(current, expected):
    assert glance_k8s_merge_extra_mounts(current, OURS) == expected


def test_filter_module_exports():
    assert set(FilterModule().filters()) == {
        "glance_k8s_helm",
        "glance_k8s_helm_unknown_keys",
        "glance_k8s_operator",
        "glance_k8s_merge_extra_mounts",
        "glance_k8s_to_yaml",
    }
