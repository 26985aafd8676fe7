# -*- coding: utf-8 -*-
# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Table-driven tests of the Kubernetes builders (plugins/filter/k8s_glance.py)."""

from __future__ import annotations

import base64
import configparser
import importlib.util
import json
import os
import struct
from pathlib import Path

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
    glance_k8s_helm_claims,
    glance_k8s_helm_unknown_keys,
    glance_k8s_object_plan,
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


def _stand_in_merge_patch():
    """The stand-in API server's RFC 7386 merge patch (one implementation for every test)."""
    path = Path(__file__).resolve().parents[3] / "k8s" / "fake_apiserver.py"
    spec = importlib.util.spec_from_file_location("edgestack_fake_apiserver", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.merge_patch


merge_patch = _stand_in_merge_patch()


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
    # Names of the site's own: never the chart's shared ceph-etc.
    assert (configmap["kind"], configmap["metadata"]["name"]) == ("ConfigMap", f"glance-{site}-ceph-etc")
    assert (secret["kind"], secret["metadata"]["name"], secret["type"]) == (
        "Secret", f"glance-{site}-rbd-keyring", "kubernetes.io/rbd")
    assert configmap["metadata"]["labels"]["edgestack.glance-ceph/site"] == site
    assert overrides["ceph_client"] == {"configmap": f"glance-{site}-ceph-etc"}
    assert overrides["secrets"] == {"rbd": f"glance-{site}-rbd-keyring"}
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
    # The chart's one API serves the public endpoint too (OSSN-0090).
    assert glance["DEFAULT"]["show_image_direct_url"] == "False"
    # glance_store holds default_backend only; the chart reads conf.glance.rbd.
    assert {key: value for key, value in glance["glance_store"].items() if value is not None} == {"default_backend": site}
    assert glance["glance_store"]["rbd_store_user"] is None
    assert glance["rbd"] == {"rbd_store_pool": "images", "rbd_store_user": "glance",
                             "rbd_store_ceph_conf": f"/etc/ceph/{site}.conf"}
    # Several sites' RBD stores: images are converted to raw on import.
    assert glance["image_import_opts"] == {"image_import_plugins": "['image_conversion']"}
    assert glance["image_conversion"] == {"output_format": "raw"}
    for store in stores:
        assert glance[store["id"]]["rbd_store_ceph_conf"] == f"/etc/ceph/{store['id']}.conf"
    mounts = overrides["pod"]["mounts"]["glance_api"]["glance_api"]["volumeMounts"]
    assert {(mount["name"], mount["mountPath"], mount["subPath"]) for mount in mounts} == (
        {("ceph-etc", f"/etc/ceph/{name}.conf", f"{name}.conf") for name in clusters}
        | {("ceph-keyring", f"/etc/ceph/{name}.client.glance.keyring", f"{name}.client.glance.keyring") for name in clusters}
    )


def test_helm_given_names():
    result = glance_k8s_helm(glance_store_map(SITES, "dcn0"), "dcn0", CLUSTERS, KEYRINGS,
                             configmap="dcn0-ceph-etc", secret="dcn0-glance-keyring")
    assert result["overrides"]["ceph_client"] == {"configmap": "dcn0-ceph-etc"}
    assert result["overrides"]["secrets"] == {"rbd": "dcn0-glance-keyring"}
    assert result["configmap"]["metadata"]["name"] == "dcn0-ceph-etc"
    assert result["warnings"] == []


@pytest.mark.parametrize(
    "site, kwargs, direct_url, conversion, storage_init",
    [
        pytest.param("dcn0", {"show_image_direct_url": "always"}, "True", True, False, id="direct-url-always"),
        pytest.param("dcn0", {"show_image_direct_url": "never"}, "False", True, False, id="direct-url-never"),
        pytest.param("dcn0", {"image_conversion": "none"}, "False", False, False, id="no-conversion"),
        pytest.param("alone", {}, "False", False, False, id="one-store-no-conversion"),
        pytest.param("alone", {"image_conversion": "raw"}, "False", True, False, id="one-store-raw"),
        pytest.param("dcn0", {"storage_init": True}, "False", True, True, id="storage-init"),
    ],
)
def test_helm_settings(site, kwargs, direct_url, conversion, storage_init):
    if site == "alone":
        sites, clusters, keyrings = [{"name": "alone", "type": "central"}], [dict(CLUSTERS[0], name="alone")], [
            dict(KEYRINGS[0], cluster="alone")]
    else:
        sites, clusters, keyrings = SITES, CLUSTERS, KEYRINGS
    result = glance_k8s_helm(glance_store_map(sites, site), site, clusters, keyrings, **kwargs)
    glance = result["overrides"]["conf"]["glance"]
    assert glance["DEFAULT"]["show_image_direct_url"] == direct_url
    assert ("image_conversion" in glance) is conversion
    assert result["overrides"]["manifests"] == {"job_storage_init": storage_init}
    assert bool(result["warnings"]) is (kwargs.get("show_image_direct_url") == "always" or storage_init)


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
        pytest.param(glance_store_map(SITES, "dcn0"), {"secret": "Keys!"}, "leave it empty for the per-site name", id="bad-secret-name"),
        pytest.param(glance_store_map(SITES, "dcn0"), {"show_image_direct_url": True}, "use one of internal, always, never",
                     id="bad-direct-url"),
        pytest.param(glance_store_map(SITES, "dcn0"), {"image_conversion": "qcow2"}, "use one of auto, raw, none",
                     id="bad-conversion"),
        pytest.param(glance_store_map(SITES, "dcn0", stores=[{"id": "rbd", "type": "rbd", "cluster": "central"}]), {},
                     "store 'rbd' is not the default store", id="rbd-store-not-default"),
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
    # The operator sets show_image_direct_url per API type (off on the external half).
    for api in apis.values():
        assert "show_image_direct_url" not in api["customServiceConfig"]
    # Per-site Secrets of the role's own name by default, in Glance's own extraMounts.
    assert [secret["metadata"]["name"] for secret in result["secrets"]] == [
        "glance-ceph-files-central", "glance-ceph-files-dcn0", "glance-ceph-files-dcn1"]
    assert "extraMounts" not in patch["spec"]
    (mount,) = template["extraMounts"]
    assert mount == result["extra_mount"]
    assert [vol["propagation"] for vol in mount["extraVol"]] == [["central"], ["dcn0"], ["dcn1"]]
    assert mount["extraVol"][1]["volumes"] == [{"name": "glance-ceph-dcn0", "secret": {"secretName": "glance-ceph-files-dcn0"}}]
    assert mount["extraVol"][1]["mounts"] == [{"name": "glance-ceph-dcn0", "mountPath": "/etc/ceph", "readOnly": True}]
    for key in KEYS.values():
        assert key not in yaml.safe_dump(patch)


def test_operator_one_secret():
    result = glance_k8s_operator(operator_sites(), CLUSTERS, KEYRINGS, secret_per_site=False)
    (secret,) = result["secrets"]
    assert secret["metadata"]["name"] == "glance-ceph-files"
    files = decode(secret)
    assert set(files) == {f"{name}.conf" for name in KEYS} | {f"{name}.client.glance.keyring" for name in KEYS}
    for name, key in KEYS.items():
        assert key in files[f"{name}.client.glance.keyring"]
        assert sections_of(files[f"{name}.conf"])["client.glance"]["keyring"] == f"/etc/ceph/{name}.client.glance.keyring"
    (vol,) = result["extra_mount"]["extraVol"]
    assert vol["propagation"] == ["GlanceAPI"]
    assert vol["volumes"] == [{"name": "glance-ceph", "secret": {"secretName": "glance-ceph-files"}}]
    assert vol["mounts"] == [{"name": "glance-ceph", "mountPath": "/etc/ceph", "readOnly": True}]


def test_operator_secret_per_site():
    result = glance_k8s_operator(operator_sites(), CLUSTERS, KEYRINGS)
    secrets = {secret["metadata"]["name"]: decode(secret) for secret in result["secrets"]}
    # An edge API gets its own cluster's and central's files only.
    assert set(secrets["glance-ceph-files-dcn0"]) == {
        "dcn0.conf", "dcn0.client.glance.keyring", "central.conf", "central.client.glance.keyring",
    }
    assert KEYS["dcn1"] not in "".join(secrets["glance-ceph-files-dcn0"].values())
    assert set(secrets["glance-ceph-files-central"]) == {f"{name}.conf" for name in KEYS} | {
        f"{name}.client.glance.keyring" for name in KEYS}


@pytest.mark.parametrize("setting, expected", [("always", "True"), ("never", "False")])
def test_operator_direct_url_setting(setting, expected):
    result = glance_k8s_operator(operator_sites(), CLUSTERS, KEYRINGS, show_image_direct_url=setting)
    for api in result["patch"]["spec"]["glance"]["template"]["glanceAPIs"].values():
        assert sections_of(api["customServiceConfig"])["DEFAULT"]["show_image_direct_url"] == expected
    assert bool(result["warnings"]) is (setting == "always")


def test_operator_network_attachments():
    sites = operator_sites(dcn0={"network_attachments": ["storage-dcn0", "internalapi"]})
    apis = glance_k8s_operator(sites, CLUSTERS, KEYRINGS)["patch"]["spec"]["glance"]["template"]["glanceAPIs"]
    assert apis["dcn0"]["networkAttachments"] == ["storage-dcn0", "internalapi"]
    assert "networkAttachments" not in apis["central"]


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
        pytest.param({"dcn0": {"network_attachments": ["Storage"]}}, {}, "is not a valid Kubernetes name",
                     id="bad-network-attachment"),
        pytest.param({"dcn0": {"network_attachments": ["a"], "api": {"networkAttachments": ["b"]}}}, {}, "not both",
                     id="network-attachments-twice"),
        pytest.param({}, {"show_image_direct_url": "public"}, "use one of internal, always, never", id="bad-direct-url"),
        pytest.param({}, {"mount_path": "etc/ceph"}, "must be an absolute path", id="relative-mount-path"),
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
    files = decode(glance_k8s_operator(sites, CLUSTERS, keyrings, secret_per_site=False)["secrets"][0])
    central = sections_of(files["central.conf"])
    assert central["client.glance"]["keyring"] == "/etc/ceph/central.client.glance.keyring"
    assert central["client.openstack"]["keyring"] == "/etc/ceph/central.client.openstack.keyring"
    assert "central.client.openstack.keyring" in files and "dcn1.client.openstack.keyring" not in files
    per_site = glance_k8s_operator(sites, CLUSTERS, keyrings)["secrets"]
    dcn0 = decode(next(secret for secret in per_site if secret["metadata"]["name"].endswith("dcn0")))
    assert set(dcn0) == {"dcn0.conf", "central.conf", "dcn0.client.openstack.keyring", "central.client.openstack.keyring"}


def test_operator_conflicting_files():
    # dcn1's API reads its cluster through a file named like dcn0's: fine per site,
    # impossible in one shared Secret.
    sites = operator_sites()
    sites[2]["stores"] = glance_store_map(SITES, "dcn1", stores=[{"id": "dcn1", "ceph_conf": "/etc/ceph/dcn0.conf"}])
    with pytest.raises(AnsibleFilterError, match="would hold the conf of clusters 'dcn0' and 'dcn1'"):
        glance_k8s_operator(sites, CLUSTERS, KEYRINGS, secret_per_site=False)
    assert glance_k8s_operator(sites, CLUSTERS, KEYRINGS)["secrets"]


# ---------------------------------------------------------------------------
# openstack-k8s-operators, against a control plane already using Ceph
# ---------------------------------------------------------------------------
# The documented way: one Secret ceph-conf-files mounted at /etc/ceph into
# Cinder's volumes, Glance's APIs and Manila's shares.
SHARED_CEPH = {
    "name": "v1",
    "region": "r1",
    "extraVol": [{
        "propagation": ["CinderVolume", "GlanceAPI", "ManilaShare"],
        "extraVolType": "Ceph",
        "volumes": [{"name": "ceph", "projected": {"sources": [{"secret": {"name": "ceph-conf-files"}}]}}],
        "mounts": [{"name": "ceph", "mountPath": "/etc/ceph", "readOnly": True}],
    }],
}


def controlplane(top=(), glance=(), apis=None, version="41"):
    template = {"glanceAPIs": apis or {"default": {"replicas": 0}}}
    if glance:
        template["extraMounts"] = list(glance)
    return {"apiVersion": "core.openstack.org/v1beta1", "kind": "OpenStackControlPlane",
            "metadata": {"name": "openstack", "namespace": "openstack", "resourceVersion": version},
            "spec": {"extraMounts": list(top), "glance": {"template": template}}}


def test_operator_moves_off_a_taken_etc_ceph():
    result = glance_k8s_operator(operator_sites(), CLUSTERS, KEYRINGS, current=controlplane(top=[SHARED_CEPH]))
    assert result["mount_path"] == "/etc/ceph-glance"
    assert "/etc/ceph is already mounted" in result["warnings"][0]
    patch = result["patch"]
    assert result["apply"]["metadata"]["resourceVersion"] == "41"
    assert "resourceVersion" not in patch["metadata"]
    assert result["apply"]["spec"] == patch["spec"]
    # The shared entry is not touched: the patch leaves spec.extraMounts alone.
    assert "extraMounts" not in patch["spec"]
    template = patch["spec"]["glance"]["template"]
    for site, api in template["glanceAPIs"].items():
        conf = sections_of(api["customServiceConfig"])
        for store in glance_store_map(SITES, site):
            assert conf[store["id"]]["rbd_store_ceph_conf"] == f"/etc/ceph-glance/{store['cluster']}.conf"
    files = decode(result["secrets"][1])
    assert sections_of(files["dcn0.conf"])["client.glance"]["keyring"] == "/etc/ceph-glance/dcn0.client.glance.keyring"
    mounts = [mount for vol in template["extraMounts"][0]["extraVol"] for mount in vol["mounts"]]
    assert {mount["mountPath"] for mount in mounts} == {"/etc/ceph-glance"}


@pytest.mark.parametrize(
    "current",
    [
        pytest.param(None, id="no-control-plane-read"),
        pytest.param(controlplane(top=[dict(SHARED_CEPH, extraVol=[dict(SHARED_CEPH["extraVol"][0], propagation=[
            "CinderVolume", "ManilaShare"])])]), id="shared-ceph-not-for-glance"),
        pytest.param(controlplane(top=[dict(SHARED_CEPH, extraVol=[dict(SHARED_CEPH["extraVol"][0], propagation=[
            "dcn5"])])]), id="another-api-name"),
    ],
)
def test_operator_keeps_a_free_etc_ceph(current):
    result = glance_k8s_operator(operator_sites(), CLUSTERS, KEYRINGS, current=current)
    assert result["mount_path"] == "/etc/ceph"
    assert result["warnings"] == []


def test_operator_merges_with_glance_extra_mounts():
    nfs = {"name": "nfs", "extraVol": [{"propagation": ["Glance"], "volumes": [{"name": "nfs", "nfs": {
        "server": "192.0.2.1", "path": "/images"}}], "mounts": [{"name": "nfs", "mountPath": "/var/lib/glance/os_glance_staging_store"}]}]}
    old_ours = {"name": "glance-ceph", "extraVol": []}
    current = controlplane(top=[old_ours, SHARED_CEPH], glance=[nfs, old_ours])
    patch = glance_k8s_operator(operator_sites(), CLUSTERS, KEYRINGS, current=current)["patch"]
    assert [entry["name"] for entry in patch["spec"]["glance"]["template"]["extraMounts"]] == ["nfs", "glance-ceph"]
    assert patch["spec"]["glance"]["template"]["extraMounts"][0] == nfs
    # An entry of the role's name at the top level (where it reached every service) goes; the others stay.
    assert patch["spec"]["extraMounts"] == [SHARED_CEPH]


@pytest.mark.parametrize(
    "current, kwargs, message",
    [
        pytest.param(controlplane(top=[SHARED_CEPH]), {"mount_path": "/etc/ceph"}, "clashes with /etc/ceph", id="explicit-taken"),
        pytest.param(controlplane(top=[SHARED_CEPH]), {"mount_path": "/etc/ceph/glance"}, "clashes with /etc/ceph", id="nested"),
        pytest.param(
            controlplane(top=[SHARED_CEPH, {"name": "x", "extraVol": [{"volumes": [], "mounts": [
                {"name": "y", "mountPath": "/etc/ceph-glance"}]}]}]), {}, "set glance_multistore_k8s_operator_mount_path",
            id="fallback-taken-too",
        ),
        pytest.param(
            controlplane(glance=[{"name": "other", "extraVol": [{"propagation": ["dcn0"], "volumes": [
                {"name": "glance-ceph-dcn0", "emptyDir": {}}], "mounts": []}]}]), {},
            "set glance_multistore_k8s_operator_extra_mount", id="volume-name-taken",
        ),
    ],
)
def test_operator_refuses_clashes(current, kwargs, message):
    with pytest.raises(AnsibleFilterError, match=message):
        glance_k8s_operator(operator_sites(), CLUSTERS, KEYRINGS, current=current, **kwargs)


# ---------------------------------------------------------------------------
# Writing next to what is there
# ---------------------------------------------------------------------------
OWNER = "openstack-helm site dcn0"


def configmap(data, annotations=None, version="7"):
    metadata = {"name": "ceph-etc", "namespace": "openstack", "resourceVersion": version}
    if annotations is not None:
        metadata["annotations"] = annotations
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata, "data": data}


def test_object_plan_create():
    desired = configmap({"dcn0.conf": "a"})
    del desired["metadata"]["resourceVersion"]
    plan = glance_k8s_object_plan(None, desired, OWNER)
    assert plan["action"] == "create"
    assert plan["definition"]["data"] == {"dcn0.conf": "a"}
    annotations = plan["definition"]["metadata"]["annotations"]
    assert annotations["edgestack.glance-ceph/owner"] == OWNER
    assert list(json.loads(annotations["edgestack.glance-ceph/keys"])) == ["dcn0.conf"]


def test_object_plan_shared_object_keeps_other_keys():
    shared = configmap({"ceph.conf": "theirs", "rgw.conf": "theirs too"})
    plan = glance_k8s_object_plan(shared, configmap({"dcn0.conf": "a", "central.conf": "b"}), OWNER)
    assert plan["action"] == "patch"
    assert plan["definition"]["data"] == {"dcn0.conf": "a", "central.conf": "b"}
    assert plan["definition"]["metadata"]["resourceVersion"] == "7"
    assert plan["keys"] == {"added": ["central.conf", "dcn0.conf"], "updated": [], "removed": [],
                            "kept": ["ceph.conf", "rgw.conf"]}
    # Applied as a merge patch, every other key is still there.
    written = merge_patch(shared, plan["definition"])
    assert written["data"] == {"ceph.conf": "theirs", "rgw.conf": "theirs too", "dcn0.conf": "a", "central.conf": "b"}
    # Run again: nothing to do.
    assert glance_k8s_object_plan(written, configmap({"dcn0.conf": "a", "central.conf": "b"}), OWNER)["action"] == "none"
    # A store that went away: only the collection's key is removed.
    plan = glance_k8s_object_plan(written, configmap({"dcn0.conf": "a2"}), OWNER)
    assert plan["definition"]["data"] == {"dcn0.conf": "a2", "central.conf": None}
    assert plan["keys"]["removed"] == ["central.conf"] and plan["keys"]["updated"] == ["dcn0.conf"]
    assert merge_patch(written, plan["definition"])["data"] == {"ceph.conf": "theirs", "rgw.conf": "theirs too", "dcn0.conf": "a2"}


@pytest.mark.parametrize(
    "current, message",
    [
        pytest.param(configmap({"dcn0.conf": "theirs"}), "already has dcn0.conf with other content", id="foreign-key"),
        pytest.param(configmap({"dcn0.conf": "a"}, {"edgestack.glance-ceph/owner": "openstack-helm site dcn1"}),
                     "holds the files of openstack-helm site dcn1", id="other-site"),
    ],
)
def test_object_plan_refusals(current, message):
    with pytest.raises(AnsibleFilterError, match=message):
        glance_k8s_object_plan(current, configmap({"dcn0.conf": "a"}), OWNER, fix="set x")


def test_object_plan_adopts_equal_key():
    plan = glance_k8s_object_plan(configmap({"dcn0.conf": "a"}), configmap({"dcn0.conf": "a"}), OWNER)
    assert plan["action"] == "patch" and "data" not in plan["definition"]


def test_helm_claims():
    objects = [{"kind": "ConfigMap", "metadata": {"name": "glance-dcn1-ceph-etc", "labels": {"edgestack.glance-ceph/site": "dcn1"}}},
               {"kind": "ConfigMap", "metadata": {"name": "glance-dcn0-ceph-etc", "labels": {"edgestack.glance-ceph/site": "dcn0"}}}]
    assert glance_k8s_helm_claims(objects, "dcn0") == ["ConfigMap glance-dcn1-ceph-etc holds the Glance files of site dcn1"]
    assert glance_k8s_helm_claims(objects[1:], "dcn0") == []


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
        "glance_k8s_helm_names",
        "glance_k8s_helm_claims",
        "glance_k8s_object_plan",
        "glance_k8s_helm_unknown_keys",
        "glance_k8s_operator",
        "glance_k8s_merge_extra_mounts",
        "glance_k8s_to_yaml",
    }
