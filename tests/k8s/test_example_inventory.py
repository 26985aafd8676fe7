# -*- coding: utf-8 -*-
# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Kubernetes targets driven by the three-site example inventory.

For inventories/example (central, dcn0, dcn1): the operator target's
customServiceConfig of each site lists exactly the stores computed for that
site from the inventory, each store section reads its own cluster's conf
(never another site's), and every object validates. Each site's Helm
overrides are rendered with the real glance chart by a real helm: the
rendered glance-api.conf, the glance-api Deployment's volumes and mounts and
the storage-init job are checked, and `helm lint` passes. The expected store maps
are computed here from `ansible-inventory --list`, independently of the
playbook's wiring.
"""

from __future__ import annotations

import configparser
import json
import os
import shutil
import subprocess
import uuid

import pytest

from ansible_collections.edgestack.glance_ceph.plugins.filter.glance_stores import glance_store_map
from render_helpers import (
    K8S_VERSIONS,
    REPO,
    check_release,
    decode_secret,
    read_yaml,
    secret_strings,
    validate_controlplane_patch,
    validate_core,
)

EXAMPLE = REPO / "inventories" / "example"
SITE_DIRS = ["central", "dcn0", "dcn1"]
PLAYBOOK = REPO / "tests" / "k8s" / "playbooks" / "example_inventory.yml"


def ini(text):
    parser = configparser.ConfigParser(interpolation=None, default_section="__none__")
    parser.read_string(text)
    return parser


@pytest.fixture(scope="module")
def inventories():
    paths = [EXAMPLE / name for name in SITE_DIRS]
    missing = [str(path) for path in paths if not path.is_dir()]
    if missing:
        pytest.skip(f"example inventory overlays are absent: {', '.join(missing)}")
    return paths


@pytest.fixture(scope="module")
def inventory_sites(inventories):
    """[(name, type, site vars)] from ansible-inventory, central first."""
    command = [shutil.which("ansible-inventory") or "ansible-inventory", "--list"]
    for path in inventories:
        command += ["-i", str(path)]
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "lab" / "ansible.cfg"))
    result = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, check=True)
    hostvars = json.loads(result.stdout)["_meta"]["hostvars"]
    sites = {}
    for variables in hostvars.values():
        sites.setdefault(variables["edgestack_site"], (variables["edgestack_site_type"], variables))
    return sorted(((name, site_type, variables) for name, (site_type, variables) in sites.items()),
                  key=lambda entry: (entry[1] != "central", entry[0]))


@pytest.fixture(scope="module")
def expected_stores(inventory_sites):
    sites = [{"name": name, "type": site_type} for name, site_type, _vars in inventory_sites]
    return {
        name: glance_store_map(sites, name, pool=variables.get("edgestack_glance_pool", "images"),
                               user=variables.get("edgestack_glance_ceph_user", "glance"),
                               stores=variables.get("edgestack_glance_stores") or [])
        for name, _site_type, variables in inventory_sites
    }


@pytest.fixture(scope="module")
def example_run(run_role, inventories, inventory_sites, keys):
    fsids = {name: str(uuid.uuid4()) for name, _type, _vars in inventory_sites}
    users = {variables.get("edgestack_glance_ceph_user", "glance") for _name, _type, variables in inventory_sites}
    keyrings = [{"cluster": name, "user": user, "key": keys.get(name) or next(iter(keys.values()))}
                for name, _type, _vars in inventory_sites for user in sorted(users)]
    run = run_role("openstack_operator", playbook=PLAYBOOK, inventories=inventories,
                   extra={"k8s_test_fsids": fsids, "k8s_test_keyrings": keyrings}, args=["--diff"])
    assert run.rc == 0, run.output
    run.fsids = fsids
    run.keys = {(entry["cluster"], entry["user"]): entry["key"] for entry in keyrings}
    return run


def test_the_example_has_three_sites(inventory_sites):
    assert [(name, site_type) for name, site_type, _vars in inventory_sites] == [
        ("central", "central"), ("dcn0", "edge"), ("dcn1", "edge")]


@pytest.mark.parametrize("site", ["central", "dcn0", "dcn1"])
def test_operator_config_lists_exactly_the_computed_stores(example_run, expected_stores, site):
    directory = example_run.output_dir / "openstack_operator"
    patch = read_yaml(directory / "openstackcontrolplane-openstack-patch.yaml")
    secret = decode_secret(read_yaml(directory / f"secret-glance-ceph-files-{site}.yaml"))
    template = patch["spec"]["glance"]["template"]
    assert sorted(template["glanceAPIs"]) == sorted(expected_stores)
    assert template["keystoneEndpoint"] == "central"
    computed = expected_stores[site]
    conf = ini(template["glanceAPIs"][site]["customServiceConfig"])
    assert conf["DEFAULT"]["enabled_backends"] == ",".join(f"{store['id']}:{store['type']}" for store in computed)
    assert conf["glance_store"]["default_backend"] == next(store["id"] for store in computed if store["default"])
    assert [name for name in conf.sections() if name not in ("DEFAULT", "glance_store")] == [
        store["id"] for store in computed]
    for store in computed:
        section = conf[store["id"]]
        assert section["rbd_store_ceph_conf"] == store["ceph_conf"] == f"/etc/ceph/{store['cluster']}.conf"
        assert section["rbd_store_pool"] == store["pool"]
        assert section["rbd_store_user"] == store["user"]
        # The conf it reads is that store's cluster's, never another site's.
        ceph_conf = ini(secret[store["ceph_conf"].rsplit("/", 1)[1]])
        assert ceph_conf["global"]["fsid"] == example_run.fsids[store["cluster"]]
        assert ceph_conf[f"client.{store['user']}"]["keyring"] == store["keyring"]


@pytest.mark.parametrize("site", ["central", "dcn0", "dcn1"])
def test_helm_overrides_follow_the_inventory(example_run, expected_stores, site):
    directory = example_run.output_dir / site
    overrides = read_yaml(directory / "glance-overrides.yaml")
    glance = overrides["conf"]["glance"]
    computed = expected_stores[site]
    assert glance["DEFAULT"]["enabled_backends"] == ",".join(f"{store['id']}:rbd" for store in computed)
    for store in computed:
        assert glance[store["id"]]["rbd_store_ceph_conf"] == store["ceph_conf"]
    configmap = read_yaml(directory / f"configmap-glance-{site}-ceph-etc.yaml")
    assert ini(configmap["data"]["ceph.conf"])["global"]["fsid"] == example_run.fsids[site]


def test_example_objects_validate(example_run):
    objects = [read_yaml(path) for path in example_run.output_dir.rglob("*.yaml")]
    patches = [obj for obj in objects if obj.get("kind") == "OpenStackControlPlane"]
    core = [obj for obj in objects if obj.get("kind") in ("ConfigMap", "Secret")]
    assert len(patches) == 1 and len(core) == 3 + 2 * 3
    validate_controlplane_patch(patches[0])
    for obj in core:
        for version in K8S_VERSIONS:
            validate_core(obj, version)


def test_example_keys_never_printed(example_run, keys):
    for form in secret_strings(keys):
        assert form not in example_run.output


@pytest.mark.parametrize("site", ["central", "dcn0", "dcn1"])
def test_helm_chart_renders_the_site(example_run, expected_stores, glance_chart, site):
    directory = example_run.output_dir / site
    overrides = directory / "glance-overrides.yaml"
    configmap = read_yaml(directory / f"configmap-glance-{site}-ceph-etc.yaml")
    secret = read_yaml(directory / f"secret-glance-{site}-rbd-keyring.yaml")
    objects = glance_chart.template(overrides, "openstack")
    conf = check_release(objects, expected_stores[site], configmap, secret, example_run.fsids, example_run.keys)
    # Image locations stay off the chart's one API, which serves the public endpoint.
    assert conf["DEFAULT"]["show_image_direct_url"] == "False"
    # Every example site reads RBD stores of two or more sites: images become raw on import.
    assert conf["image_import_opts"]["image_import_plugins"] == "['image_conversion']"
    assert conf["image_conversion"]["output_format"] == "raw"
    assert "copy-image" in conf["DEFAULT"]["enabled_import_methods"]
    # The chart's storage-init job is off: the collection's Ceph roles own pools and users.
    assert ("Job", "glance-storage-init") not in objects
    # The chart's shared ceph-etc and images-rbd-keyring are not used.
    assert "ceph-etc" not in [volume.get("configMap", {}).get("name") for volume in
                              objects[("Deployment", "glance-api")]["spec"]["template"]["spec"]["volumes"]]
    glance_chart.lint(overrides)
