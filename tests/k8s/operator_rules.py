# -*- coding: utf-8 -*-
# Copyright: (c) 2026, edgestack maintainers
# Apache License 2.0 (see galaxy.yml)
"""How the operators turn an OpenStackControlPlane's extraMounts into Glance pods.

A simulation, written for these tests from reading the operators' sources
(openstack-k8s-operators: openstack-operator internal/openstack/glance.go,
glance-operator internal/glanceapi/statefulset.go and internal/glance/
volumes.go, lib-common modules/storage), independently of the collection's
own code:

1. openstack-operator copies spec.glance.template into the Glance CR and
   appends every spec.extraMounts entry to its extraMounts (Glance's own
   entries first).
2. glance-operator creates one GlanceAPI per glanceAPIs entry and type (a
   split API is two, external and internal; both carry the API's name) and
   gives each the Glance CR's extraMounts.
3. A GlanceAPI pod's propagation types are Glance, GlanceAPI and the API's
   name. For every extraVol: no propagation mounts it once; otherwise it is
   mounted once for every propagation entry that is All or one of those
   types (so an entry naming both Glance and GlanceAPI is mounted twice).
4. The pod also has the operator's own volumes and mounts.

Kubernetes refuses a pod with two volumes of one name, and a container
with two mounts at one path.
"""

from __future__ import annotations

GLANCE_API_TYPES = ("Glance", "GlanceAPI")

#: Volumes and mounts the glance-operator gives every GlanceAPI pod itself
#: (wsgi mode, local storage, no image cache, no TLS).
OPERATOR_VOLUMES = ["config-data", "glance-config-dir", "logs", "scripts", "run-httpd"]
OPERATOR_MOUNTS = [
    "/etc/glance/glance.conf.d",
    "/etc/glance/glance.conf.d/00-config.conf",
    "/etc/glance/glance.conf.d/02-config.conf",
    "/etc/glance/glance.conf.d/03-config.conf",
    "/etc/my.cnf",
    "/var/lib/glance",
    "/var/log/glance",
    "/usr/local/bin/container-scripts",
    "/run/httpd",
]


def glance_extra_mounts(controlplane):
    """The Glance CR's extraMounts, as openstack-operator builds them."""
    spec = controlplane["spec"]
    entries = list(spec.get("glance", {}).get("template", {}).get("extraMounts") or [])
    entries += list(spec.get("extraMounts") or [])
    return entries


def glance_api_instances(controlplane):
    """[(api name, api type)] of the GlanceAPI CRs the glance-operator creates."""
    instances = []
    for name, api in sorted(controlplane["spec"]["glance"]["template"].get("glanceAPIs", {}).items()):
        api_type = api.get("type") or "split"
        if api_type == "split":
            instances += [(name, "external"), (name, "internal")]
        else:
            instances.append((name, api_type))
    return instances


def _propagated(extra_vol, types):
    propagation = extra_vol.get("propagation") or []
    if not propagation:
        return 1
    return sum(1 for entry in propagation if entry == "All" or entry in types)


def glance_api_pod(controlplane, api_name):
    """{volumes: [(name, source)], mounts: [(volume, path)]} of a GlanceAPI pod."""
    types = set(GLANCE_API_TYPES) | {api_name}
    volumes = [(name, None) for name in OPERATOR_VOLUMES]
    mounts = [(None, path) for path in OPERATOR_MOUNTS]
    for entry in glance_extra_mounts(controlplane):
        for extra_vol in entry.get("extraVol") or []:
            times = _propagated(extra_vol, types)
            volumes += times * [(volume["name"], {key: value for key, value in volume.items() if key != "name"})
                                for volume in extra_vol.get("volumes") or []]
            mounts += times * [(mount["name"], mount["mountPath"]) for mount in extra_vol.get("mounts") or []]
    return {"volumes": volumes, "mounts": mounts}


def duplicates(values):
    seen, repeated = set(), set()
    for value in values:
        (repeated if value in seen else seen).add(value)
    return sorted(repeated)


def pod_problems(pod):
    """What Kubernetes would refuse in a pod: duplicate volume names or mount paths."""
    problems = [f"two volumes named {name}" for name in duplicates(name for name, _source in pod["volumes"])]
    problems += [f"two mounts at {path}" for path in duplicates(path.rstrip("/") for _name, path in pod["mounts"])]
    return problems


def cinder_volume_pod(controlplane, backend):
    """Volumes and mounts a cinder-volume pod of ``backend`` gets from extraMounts (same rules:
    Cinder's own entries and spec.extraMounts; types Cinder, CinderVolume and the backend's name)."""
    spec = controlplane["spec"]
    entries = list(spec.get("cinder", {}).get("template", {}).get("extraMounts") or [])
    entries += list(spec.get("extraMounts") or [])
    types = {"Cinder", "CinderVolume", backend}
    volumes, mounts = [], []
    for entry in entries:
        for extra_vol in entry.get("extraVol") or []:
            times = _propagated(extra_vol, types)
            volumes += times * [(volume["name"], {key: value for key, value in volume.items() if key != "name"})
                                for volume in extra_vol.get("volumes") or []]
            mounts += times * [(mount["name"], mount["mountPath"]) for mount in extra_vol.get("mounts") or []]
    return {"volumes": volumes, "mounts": mounts}
