# -*- coding: utf-8 -*-
# Copyright: (c) 2026, edgestack maintainers
# Apache License 2.0 (see galaxy.yml)
"""The operator target's patch, put through the operators' mount rules (operator_rules.py).

Starting from a control plane that already uses Ceph the documented way (a
shared ceph-conf-files Secret at /etc/ceph for Cinder, Glance and Manila),
the patch glance_k8s_operator builds for it gives no Glance pod two volumes
of one name or two mounts at one path, each site's Secret reaches that
site's Glance API only (both halves of a split one) and no Cinder volume,
even one named like a site. The layout an earlier release of the role wrote
is put through the same rules to show they catch what went wrong.
"""

from __future__ import annotations

import copy

import pytest

from ansible_collections.edgestack.glance_ceph.plugins.filter.glance_stores import glance_store_maps
from ansible_collections.edgestack.glance_ceph.plugins.filter.k8s_glance import glance_k8s_operator
from fake_apiserver import merge_patch
from operator_rules import cinder_volume_pod, glance_api_instances, glance_api_pod, pod_problems
from render_helpers import BASE_CONTROLPLANE, CLUSTERS, SITES, new_cephx_key

KEYRINGS = [{"cluster": cluster["name"], "user": "glance", "key": new_cephx_key()} for cluster in CLUSTERS]


def with_cinder(controlplane):
    """The control plane with Cinder volumes named like the edge sites (common in DCN)."""
    controlplane = copy.deepcopy(controlplane)
    controlplane["spec"]["cinder"] = {"enabled": True, "template": {"cinderVolumes": {"dcn0": {}, "dcn1": {}}}}
    return controlplane


def secrets_of(pod):
    return sorted(source["secret"]["secretName"] for _name, source in pod["volumes"] if source and "secret" in source)


@pytest.mark.parametrize("per_site", [True, False], ids=["per-site-secrets", "one-secret"])
def test_patch_passes_the_mount_rules(per_site):
    current = with_cinder(BASE_CONTROLPLANE)
    result = glance_k8s_operator(glance_store_maps(SITES), CLUSTERS, KEYRINGS, secret_per_site=per_site,
                                 current=current)
    applied = merge_patch(current, result["patch"])
    assert result["mount_path"] == "/etc/ceph-glance"
    instances = glance_api_instances(applied)
    assert ("central", "external") in instances and ("central", "internal") in instances
    for api_name, api_type in instances:
        pod = glance_api_pod(applied, api_name)
        assert pod_problems(pod) == [], (api_name, api_type)
        expected = ([f"glance-ceph-files-{api_name}"] if api_name != "default" else []) if per_site else ["glance-ceph-files"]
        assert secrets_of(pod) == expected, (api_name, api_type)
    for backend in ("dcn0", "dcn1"):
        pod = cinder_volume_pod(applied, backend)
        assert pod_problems(pod) == []
        assert not [name for name, _source in pod["volumes"] if name.startswith("glance-ceph")], backend


def test_rules_catch_the_earlier_layout():
    """The earlier layout: a top-level entry with volume ceph at /etc/ceph, propagated by site name."""
    earlier = {"name": "glance-ceph", "extraVol": [{
        "extraVolType": "Ceph", "propagation": ["dcn0"],
        "volumes": [{"name": "ceph", "secret": {"secretName": "ceph-conf-files-dcn0"}}],
        "mounts": [{"name": "ceph", "mountPath": "/etc/ceph", "readOnly": True}]}]}
    applied = with_cinder(BASE_CONTROLPLANE)
    applied["spec"]["extraMounts"].append(earlier)
    applied["spec"]["glance"]["template"]["glanceAPIs"]["dcn0"] = {"type": "edge"}
    assert pod_problems(glance_api_pod(applied, "dcn0")) == ["two volumes named ceph", "two mounts at /etc/ceph"]
    # ... and it reached Cinder's dcn0 volume too.
    assert "ceph-conf-files-dcn0" in [source.get("secret", {}).get("secretName")
                                      for _name, source in cinder_volume_pod(applied, "dcn0")["volumes"]]


def test_an_entry_propagated_to_glance_and_glanceapi_mounts_twice():
    """lib-common mounts an extraVol once per matching propagation entry."""
    twice = {"name": "x", "extraVol": [{"propagation": ["Glance", "GlanceAPI"], "volumes": [{"name": "v", "emptyDir": {}}],
                                        "mounts": [{"name": "v", "mountPath": "/srv/v"}]}]}
    applied = copy.deepcopy(BASE_CONTROLPLANE)
    applied["spec"]["glance"]["template"]["extraMounts"] = [twice]
    assert pod_problems(glance_api_pod(applied, "default")) == ["two volumes named v", "two mounts at /srv/v"]
