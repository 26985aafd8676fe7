# -*- coding: utf-8 -*-
# Copyright: (c) 2026, edgestack maintainers
# Apache License 2.0 (see galaxy.yml)
"""glance_k8s_helm's overrides rendered with the real glance chart by a real helm.

The example inventory's sites (multistore) are rendered in
test_example_inventory.py. Here: a site with one store, the chart's
storage-init job turned on (it must target the site's pool, user and
Secret), a non-default CephX user and pool, and what the overrides leave out
of glance_store. Skipped, saying why, without helm (scripts/install-helm.sh)
or the chart (../shared/reference/openstack-helm/charts).
"""

from __future__ import annotations

import base64
import os
import struct

import pytest

from ansible_collections.edgestack.glance_ceph.plugins.filter.glance_stores import glance_store_map
from ansible_collections.edgestack.glance_ceph.plugins.filter.k8s_glance import glance_k8s_helm, glance_k8s_to_yaml
from render_helpers import CLUSTERS, FSID, SITES, check_release

KEYS = {}


def key(cluster, user):
    if (cluster, user) not in KEYS:
        KEYS[(cluster, user)] = base64.b64encode(struct.pack("<HIIH", 1, 1700000000, 0, 16) + os.urandom(16)).decode()
    return KEYS[(cluster, user)]


def render(glance_chart, tmp_path, sites, site, user="glance", pool="images", **kwargs):
    stores = glance_store_map(sites, site, user=user, pool=pool)
    names = {store["cluster"] for store in stores}
    clusters = [cluster for cluster in CLUSTERS if cluster["name"] in names]
    keyrings = [{"cluster": name, "user": user, "key": key(name, user)} for name in sorted(names)]
    built = glance_k8s_helm(stores, site, clusters, keyrings, namespace=f"openstack-{site}", **kwargs)
    values = tmp_path / f"{site}.yaml"
    values.write_text(glance_k8s_to_yaml(built["overrides"]))
    objects = glance_chart.template(values, f"openstack-{site}")
    conf = check_release(objects, stores, built["configmap"], built["secret"], FSID, KEYS)
    glance_chart.lint(values)
    return built, objects, conf


def test_one_store(glance_chart, tmp_path):
    _built, objects, conf = render(glance_chart, tmp_path, [{"name": "central", "type": "central"}], "central")
    assert conf["DEFAULT"]["enabled_backends"] == "central:rbd"
    # One cluster: nothing to convert for edge clones.
    assert "image_conversion" not in conf.sections()
    assert ("Job", "glance-storage-init") not in objects


def test_storage_init_targets_the_site(glance_chart, tmp_path):
    built, objects, conf = render(glance_chart, tmp_path, SITES, "dcn0", user="openstack", pool="glance-dcn0",
                                  storage_init=True)
    job = objects[("Job", "glance-storage-init")]["spec"]["template"]["spec"]
    (container,) = job["containers"]
    env = {entry["name"]: entry.get("value") for entry in container["env"]}
    assert (env["RBD_POOL_NAME"], env["RBD_POOL_USER"]) == ("glance-dcn0", "openstack")
    assert env["RBD_POOL_SECRET"] == built["secret"]["metadata"]["name"] == "glance-dcn0-rbd-keyring"
    volumes = {volume["name"]: volume for volume in job["volumes"]}
    # It reads the site's own cluster conf (ceph.conf of the site's ConfigMap).
    assert volumes["ceph-etc"]["configMap"]["name"] == "glance-dcn0-ceph-etc"
    assert conf["dcn0"]["rbd_store_user"] == "openstack"
    assert conf["rbd"]["rbd_store_pool"] == "glance-dcn0"


def test_values_defaults_do_not_leak(glance_chart, tmp_path):
    """The chart's default user glance and pool glance.images appear nowhere in the rendered config."""
    _built, objects, conf = render(glance_chart, tmp_path, SITES, "dcn1", user="openstack", pool="vms-images")
    text = base64.b64decode(objects[("Secret", "glance-etc")]["data"]["glance-api.conf"]).decode()
    assert "glance.images" not in text
    assert "rbd_store_user = glance\n" not in text
    assert conf["DEFAULT"]["show_image_direct_url"] == "False"


@pytest.mark.parametrize("setting, expected", [("always", "True"), ("never", "False")])
def test_show_image_direct_url_setting(glance_chart, tmp_path, setting, expected):
    _built, _objects, conf = render(glance_chart, tmp_path, SITES, "dcn0", show_image_direct_url=setting)
    assert conf["DEFAULT"]["show_image_direct_url"] == expected
