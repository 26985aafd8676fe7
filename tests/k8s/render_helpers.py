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

from ansible_collections.edgestack.glance_ceph.plugins.filter.k8s_glance import glance_k8s_merge_extra_mounts
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

# A control plane as deployed before the role runs: Glance with the operator's
# default API, and Cinder's Ceph files already in spec.extraMounts.
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
            "name": "cinder-ceph",
            "extraVol": [{
                "extraVolType": "Ceph",
                "propagation": ["CinderVolume"],
                "volumes": [{"name": "ceph", "secret": {"secretName": "cinder-ceph-files"}}],
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
    # The role merges its extraMounts entry into the existing list (a merge patch replaces lists).
    merged["spec"]["extraMounts"] = glance_k8s_merge_extra_mounts(
        BASE_CONTROLPLANE["spec"]["extraMounts"], patch["spec"]["extraMounts"][0])
    controlplane_validator.validate(merged)
    for api in patch["spec"]["glance"]["template"]["glanceAPIs"].values():
        api_validator.validate(api)
    return merged
