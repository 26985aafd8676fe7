# -*- coding: utf-8 -*-
# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Helpers and test data of the Kubernetes render tests.

The tests drive the glance_multistore role through ansible-playbook on
localhost (tests/k8s/playbooks/render.yml), render into a temporary
directory and validate what was written. No Kubernetes API server is needed.

Site data: the three-site layout of docs/inventory.md (central, dcn0, dcn1).
Keys: fake but well-formed CephX keys, generated per test session.
"""

from __future__ import annotations

import base64
import configparser
import copy
import functools
import json
import os
import re
import shutil
import struct
import subprocess
import time
from pathlib import Path

import jsonschema
import kubernetes_validate
import pytest
import yaml

from fake_apiserver import merge_patch  # the stand-in API server applies merge patches this way

REPO = Path(__file__).resolve().parents[2]
REFERENCE = REPO.parent / "shared" / "reference"
PLAYBOOK = REPO / "tests" / "k8s" / "playbooks" / "render.yml"
COLLECTION_LINK = REPO / "build" / "collections" / "ansible_collections" / "edgestack" / "glance_ceph"

SITES = [
    {"name": "central", "type": "central"},
    {"name": "dcn0", "type": "edge"},
    {"name": "dcn1", "type": "edge"},
]
CLUSTERS = [
    {"name": "central", "fsid": "5f0e7c52-8d3c-4b1e-9a55-2d1c0c000001", "mon_host": "[v2:192.0.2.10:3300,v1:192.0.2.10:6789]"},
    {"name": "dcn0", "fsid": "5f0e7c52-8d3c-4b1e-9a55-2d1c0c000030", "mon_host": "[v2:192.0.2.30:3300,v1:192.0.2.30:6789]"},
    {"name": "dcn1", "fsid": "5f0e7c52-8d3c-4b1e-9a55-2d1c0c000050", "mon_host": "[v2:192.0.2.50:3300,v1:192.0.2.50:6789]"},
]


def reference(*parts):
    """Path of a reference file; skips the test, saying why, when it is absent."""
    path = REFERENCE.joinpath(*parts)
    if not path.is_file():
        pytest.skip(f"reference data {path} is absent (expected ../shared/reference next to the repository)")
    return path


@functools.lru_cache(maxsize=None)
def _load_reference(path):
    with open(path, encoding="utf-8") as handle:
        return yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def load_reference(*parts):
    """Parsed reference file (a copy: callers may change it)."""
    return copy.deepcopy(_load_reference(reference(*parts)))


def new_cephx_key():
    """A fake CephX key: base64 of type, creation time, length and 16 random bytes."""
    authtool = shutil.which("ceph-authtool")
    if authtool:
        result = subprocess.run([authtool, "--gen-print-key"], capture_output=True, text=True, check=False)
        key = result.stdout.strip()
        if result.returncode == 0 and len(base64.b64decode(key)) == 28:
            return key
    return base64.b64encode(struct.pack("<HIIH", 1, int(time.time()), 0, 16) + os.urandom(16)).decode()


def secret_strings(keys):
    """Every form in which a key could leak: as is, base64, base64 of its keyring file."""
    forms = set()
    for key in keys.values():
        forms.add(key)
        forms.add(base64.b64encode(key.encode()).decode())
        forms.add(base64.b64encode(f"[client.glance]\n\tkey = {key}\n".encode()).decode())
    return forms


class Run:
    """Result of one ansible-playbook run."""

    def __init__(self, process, output_dir):
        self.rc = process.returncode
        self.stdout = process.stdout
        self.stderr = process.stderr
        self.output_dir = output_dir

    @property
    def output(self):
        return self.stdout + self.stderr

    def json(self):
        return json.loads(self.stdout)


def read_yaml(path):
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def decode_secret(secret):
    return {key: base64.b64decode(value).decode() for key, value in secret["data"].items()}


def strict_schema(schema):
    """A copy of an OpenAPI v3 CRD schema that rejects unknown fields.

    The API server prunes fields a structural schema does not know; a typo
    would vanish silently. Here it fails validation instead.
    """
    schema = copy.deepcopy(schema)

    def walk(node):
        if isinstance(node, dict):
            if (node.get("type") == "object" and "properties" in node and "additionalProperties" not in node
                    and not node.get("x-kubernetes-preserve-unknown-fields")):
                node["additionalProperties"] = False
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    return schema


def without_required(schema):
    """A copy of a schema without `required`, to validate a merge patch on its own."""
    schema = copy.deepcopy(schema)

    def walk(node):
        if isinstance(node, dict):
            node.pop("required", None)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    return schema


def crd_schema(crd, api_version):
    """openAPIV3Schema of the served version of a CRD that matches api_version."""
    group, version = api_version.split("/")
    assert crd["spec"]["group"] == group
    for entry in crd["spec"]["versions"]:
        if entry["name"] == version and entry.get("served"):
            return entry["schema"]["openAPIV3Schema"]
    raise AssertionError(f"{crd['metadata']['name']} serves no version {version}")


# ---------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------
# OpenShift 4.18 (RHOSO 18) runs Kubernetes 1.31; 1.37 is the newest schema shipped.
K8S_VERSIONS = ["1.31.0", "1.37.0"]
DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
SITE_NAMES = [site["name"] for site in SITES]
FSID = {cluster["name"]: cluster["fsid"] for cluster in CLUSTERS}

OSCP_CRD = ("openstack-operator", "core.openstack.org_openstackcontrolplanes.yaml")
GLANCE_CRD = ("glance-operator", "glance.openstack.org_glances.yaml")
HELM_VALUES = ("openstack-helm", "glance-values.yaml")

# A control plane as deployed before the role runs, using Ceph the documented
# way: one Secret ceph-conf-files, mounted at /etc/ceph into Cinder's volumes,
# Glance's APIs and Manila's shares; Glance with the operator's default API.
SHARED_CEPH_SECRET = "ceph-conf-files"
BASE_CONTROLPLANE = {
    "apiVersion": "core.openstack.org/v1beta1",
    "kind": "OpenStackControlPlane",
    "metadata": {"name": "openstack", "namespace": "openstack"},
    "spec": {
        "secret": "osp-secret",
        "storageClass": "local-storage",
        "glance": {
            "enabled": True,
            "template": {
                "databaseInstance": "openstack",
                "memcachedInstance": "memcached",
                "secret": "osp-secret",
                "keystoneEndpoint": "default",
                "imageCache": {"size": ""},
                "glanceAPIs": {"default": {"replicas": 0}},
            },
        },
        "extraMounts": [{
            "name": "v1",
            "region": "r1",
            "extraVol": [{
                "extraVolType": "Ceph",
                "propagation": ["CinderVolume", "GlanceAPI", "ManilaShare"],
                "volumes": [{"name": "ceph", "projected": {"sources": [{"secret": {"name": SHARED_CEPH_SECRET}}]}}],
                "mounts": [{"name": "ceph", "mountPath": "/etc/ceph", "readOnly": True}],
            }],
        }],
    },
}


class InvalidManifest(ValueError):
    """What kubernetes-validate does not check: names, keys, base64."""


def validate_core(obj, version):
    """kubernetes-validate (strict) plus what it leaves out: names and base64 data."""
    kubernetes_validate.validate(obj, version, strict=True)
    name = obj["metadata"]["name"]
    if not DNS1123_SUBDOMAIN.match(name) or len(name) > 253:
        raise InvalidManifest(f"metadata.name {name!r} is not a DNS-1123 subdomain")
    for key in obj.get("data", {}):
        if not re.match(r"^[-._a-zA-Z0-9]+$", key):
            raise InvalidManifest(f"data key {key!r} is not a valid key")
        if obj["kind"] == "Secret":
            try:
                base64.b64decode(obj["data"][key], validate=True)
            except ValueError as exc:
                raise InvalidManifest(f"data.{key} is not base64: {exc}") from exc


@functools.lru_cache(maxsize=None)
def controlplane_validators(api_version):
    """Validators of the patch alone, of a whole control plane and of one glanceAPIs entry."""
    schema = crd_schema(load_reference(*OSCP_CRD), api_version)
    glance_spec = crd_schema(load_reference(*GLANCE_CRD), "glance.openstack.org/v1beta1")["properties"]["spec"]
    api_schema = glance_spec["properties"]["glanceAPIs"]["additionalProperties"]
    validator = jsonschema.validators.validator_for(schema)
    return (validator(strict_schema(without_required(schema))), validator(strict_schema(schema)),
            validator(strict_schema(api_schema)))


def validate_controlplane_patch(patch):
    """Validate a merge patch on its own and applied to BASE_CONTROLPLANE."""
    patch_validator, controlplane_validator, api_validator = controlplane_validators(patch["apiVersion"])
    patch_validator.validate(patch)
    merged = merge_patch(BASE_CONTROLPLANE, patch)
    controlplane_validator.validate(merged)
    for api in patch["spec"]["glance"]["template"]["glanceAPIs"].values():
        api_validator.validate(api)
    return merged


# ---------------------------------------------------------------------------
# The glance chart, rendered by a real helm
# ---------------------------------------------------------------------------
HELM_CHARTS = REFERENCE / "openstack-helm" / "charts"
HELM_BINARY = REPO / "build" / "tools" / "bin" / "helm"


def helm_binary():
    """A real helm: $HELM, else build/tools/bin/helm; skips the test, saying why, without one."""
    path = Path(os.environ.get("HELM") or HELM_BINARY)
    if not (path.is_file() and os.access(path, os.X_OK)):
        pytest.skip(f"helm is not installed at {path}: run scripts/install-helm.sh (part of make deps) or set HELM")
    return path


class Chart:
    """A copy of the reference glance chart with its helm-toolkit dependency built."""

    def __init__(self, helm, work):
        self.helm = helm
        self.work = work
        self.env = dict(os.environ, HELM_CACHE_HOME=str(work / "cache"), HELM_CONFIG_HOME=str(work / "config"),
                        HELM_DATA_HOME=str(work / "data"))
        self.charts = work / "charts"
        shutil.copytree(HELM_CHARTS, self.charts)
        self.run("dependency", "build", "glance")

    def run(self, *args):
        result = subprocess.run([str(self.helm), *args], cwd=self.charts, env=self.env, capture_output=True,
                                text=True, timeout=300, check=False)
        if result.returncode != 0:
            raise AssertionError(f"helm {' '.join(args)} failed ({result.returncode}): {result.stderr}")
        return result.stdout

    def template(self, values, namespace):
        """The objects `helm template` renders with the values file, by (kind, name)."""
        text = self.run("template", "glance", "glance", "--namespace", namespace, "-f", str(values))
        objects = {}
        for doc in yaml.safe_load_all(text):
            if doc:
                objects[(doc["kind"], doc["metadata"]["name"])] = doc
        return objects

    def lint(self, values):
        return self.run("lint", "glance", "--strict", "-f", str(values))


def ini_text_of(text):
    parser = configparser.ConfigParser(interpolation=None, default_section="__none__", strict=False)
    parser.read_string(text)
    return parser


def check_release(objects, stores, configmap, secret, fsids, keys):
    """Check a `helm template` render of the glance chart against the site's stores and objects.

    ``configmap`` and ``secret`` are the objects the role wrote for the site;
    ``fsids`` {cluster: fsid}; ``keys`` {(cluster, user): key}. Returns the
    parsed glance-api.conf.
    """
    conf = ini_text_of(base64.b64decode(objects[("Secret", "glance-etc")]["data"]["glance-api.conf"]).decode())
    default = next(store for store in stores if store["default"])
    assert conf["DEFAULT"]["enabled_backends"] == ",".join(f"{store['id']}:{store['type']}" for store in stores)
    assert conf["glance_store"]["default_backend"] == default["id"]
    assert not [key for key in conf["glance_store"] if key.startswith("rbd_")], dict(conf["glance_store"])
    # The section the chart's own machinery reads follows the default store.
    assert (conf["rbd"]["rbd_store_pool"], conf["rbd"]["rbd_store_user"]) == (default["pool"], default["user"])

    pod = objects[("Deployment", "glance-api")]["spec"]["template"]["spec"]
    volumes = {volume["name"]: volume for volume in pod["volumes"]}
    assert len(volumes) == len(pod["volumes"]), "two volumes of one name"
    assert volumes["ceph-etc"]["configMap"]["name"] == configmap["metadata"]["name"]
    assert volumes["ceph-keyring"]["secret"]["secretName"] == secret["metadata"]["name"]
    for container in pod["containers"] + (pod.get("initContainers") or []):
        paths = [mount["mountPath"] for mount in container.get("volumeMounts") or []]
        assert len(paths) == len(set(paths)), (container["name"], sorted(paths))
        assert {mount["name"] for mount in container.get("volumeMounts") or []} <= set(volumes), container["name"]
    (api,) = [container for container in pod["containers"] if container["name"] == "glance-api"]
    mounts = {mount["mountPath"]: mount for mount in api["volumeMounts"]}
    (placement,) = [container for container in pod["initContainers"] if container["name"] == "ceph-keyring-placement"]
    assert {env["name"]: env["value"] for env in placement["env"]}["RBD_STORE_USER"] == default["user"]
    secret_files = {name: base64.b64decode(value).decode() for name, value in secret["data"].items()}
    assert secret_files["key"] == keys[(default["cluster"], default["user"])]
    assert ini_text_of(configmap["data"]["ceph.conf"])["global"]["fsid"] == fsids[default["cluster"]]

    for store in stores:
        if store["type"] != "rbd":
            continue
        section = conf[store["id"]]
        assert (section["rbd_store_pool"], section["rbd_store_user"]) == (store["pool"], store["user"])
        # The conf the store names is mounted there, from the site's ConfigMap, and is its cluster's.
        conf_path = section["rbd_store_ceph_conf"]
        assert conf_path == store["ceph_conf"]
        mount = mounts[conf_path]
        assert mount["name"] == "ceph-etc"
        ceph_conf = ini_text_of(configmap["data"][mount["subPath"]])
        assert ceph_conf["global"]["fsid"] == fsids[store["cluster"]]
        # The keyring that conf names is mounted there, from the site's Secret, with the store user's key.
        keyring_path = ceph_conf[f"client.{store['user']}"]["keyring"]
        assert keyring_path == store["keyring"]
        mount = mounts[keyring_path]
        assert mount["name"] == "ceph-keyring"
        assert keys[(store["cluster"], store["user"])] in secret_files[mount["subPath"]]
        assert f"[client.{store['user']}]" in secret_files[mount["subPath"]]
    return conf
