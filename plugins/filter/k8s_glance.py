# -*- coding: utf-8 -*-
# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kubernetes objects that connect Glance to Ceph, built from the store maps.

Two deployment targets of the glance_multistore role run Glance on
Kubernetes instead of on hosts.  The role's YAML only writes and applies what
the functions here build:

openstack-helm (one site per call)
  ConfigMap ``ceph-etc`` (``ceph.conf`` and every store's ``<cluster>.conf``),
  Secret ``images-rbd-keyring`` (``key``, as the chart reads it, and every
  store's keyring file) and the overrides (Helm values) of the glance chart.

openstack-k8s-operators (every site in one call)
  Secret(s) ``ceph-conf-files`` with the confs and keyrings the Glance APIs
  need, and a merge patch of the ``OpenStackControlPlane``: one
  ``glanceAPIs`` entry per site with its ``customServiceConfig``,
  ``keystoneEndpoint`` on the central API and a ``spec.extraMounts`` entry
  mounting the Secret where the stores read their files.

Keys only ever go into Secret objects.  Errors raise AnsibleFilterError with
messages that name the problem and the fix and never contain a key.
"""

from __future__ import annotations

import base64
import copy
import posixpath
import re
from collections.abc import Mapping

import yaml

from ansible.errors import AnsibleFilterError
from ansible.utils.display import Display

from ansible_collections.edgestack.glance_ceph.plugins.filter.glance_stores import (
    DEFAULT_IMPORT_METHODS,
    glance_multistore_problems,
    glance_store_sections,
    validate_stores,
)

display = Display()

#: The chart's own names (openstack-helm glance values.yaml).
HELM_CONFIGMAP = "ceph-etc"
HELM_SECRET = "images-rbd-keyring"
#: Volumes of the chart's glance-api Deployment that project those objects.
HELM_CONFIGMAP_VOLUME = "ceph-etc"
HELM_SECRET_VOLUME = "ceph-keyring"
#: Files the chart itself places in /etc/ceph of the glance-api pod.
HELM_CHART_CONF = "/etc/ceph/ceph.conf"
#: Value paths of the chart that are free-form below the given depth:
#: conf.glance is rendered section by section, option by option (oslo.config).
HELM_FREEFORM_PATHS = (("conf", "glance"),)

OPERATOR_API_VERSION = "core.openstack.org/v1beta1"
OPERATOR_KIND = "OpenStackControlPlane"
OPERATOR_SECRET = "ceph-conf-files"
#: Name of the Glance CR the OpenStackControlPlane creates.
OPERATOR_GLANCE_NAME = "glance"
CENTRAL_LAYOUTS = ("split", "single")
EDGE_LAYOUTS = ("edge",)
#: glanceAPIs keys this module sets; an api mapping may not set them.
OPERATOR_OWNED_API_KEYS = ("type", "customServiceConfig")

MANAGED_BY = {"app.kubernetes.io/managed-by": "edgestack.glance_ceph"}

DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
CONFIG_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")


def _fail(msg):
    raise AnsibleFilterError(msg)


def _b64(text):
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def _check_k8s_name(value, what, fix, label=False):
    pattern, kind, limit = (DNS1123_LABEL, "DNS-1123 label", 63) if label else (
        DNS1123_SUBDOMAIN, "DNS-1123 subdomain", 253)
    if not isinstance(value, str) or not pattern.match(value) or len(value) > limit:
        _fail(f"{what} {value!r} is not a valid Kubernetes name (a {kind}: lowercase letters, "
              f"digits and '-', at most {limit} characters): {fix}")


def _check_list(value, what):
    if isinstance(value, (str, bytes, Mapping)) or not hasattr(value, "__iter__"):
        _fail(f"{what} must be a list, got {type(value).__name__}")
    return list(value)


# --------------------------------------------------------------------------
# Ceph client files
# --------------------------------------------------------------------------
def ini_text(sections, header=None):
    """Render {section: {option: value}} as INI text (oslo.config / Ceph)."""
    lines = []
    if header:
        lines.extend(f"# {line}" if line else "#" for line in header.splitlines())
        lines.append("")
    for index, (section, options) in enumerate(sections.items()):
        if index:
            lines.append("")
        lines.append(f"[{section}]")
        for key, value in options.items():
            if isinstance(value, bool):
                value = "True" if value else "False"
            lines.append(f"{key} = {value}")
    return "\n".join(lines) + "\n"


def ceph_conf_text(cluster, keyrings_by_user):
    """Content of ``<cluster>.conf`` for a Ceph client.

    ``keyrings_by_user`` maps a CephX user id to the keyring path the client
    reads; the path is written out because glance_store connects without a
    cluster name, so ``$cluster`` would expand to ``ceph``.
    """
    sections = {"global": {"fsid": cluster["fsid"], "mon_host": cluster["mon_host"]}}
    for user in sorted(keyrings_by_user):
        sections[f"client.{user}"] = {"keyring": keyrings_by_user[user]}
    return ini_text(sections, header=f"Ceph cluster {cluster['name']}, managed by edgestack.glance_ceph")


def keyring_text(user, key):
    """Content of a keyring file holding the key of ``client.<user>``."""
    return f"[client.{user}]\n\tkey = {key}\n"


def _index_inputs(stores, clusters, keyrings, what):
    """Check one store list against clusters and keyrings; return lookups."""
    problems = glance_multistore_problems(stores, clusters, keyrings)
    if problems:
        _fail(f"{what}: " + "; ".join(problems))
    cluster_by_name = {cluster["name"]: cluster for cluster in clusters}
    key_by_client = {(entry["cluster"], entry["user"]): entry["key"] for entry in keyrings}
    return cluster_by_name, key_by_client


def _client_files(stores, cluster_by_name, key_by_client, what):
    """Return (confs, keyrings): {path: text} for every RBD store's files.

    Two stores may share a conf or a keyring only when the file would have
    the same content.
    """
    users_by_conf = {}
    cluster_by_conf = {}
    keyring_owner = {}
    for store in stores:
        if store["type"] != "rbd":
            continue
        conf, keyring = store["ceph_conf"], store["keyring"]
        if conf == keyring:
            _fail(f"{what}: store {store['id']!r} uses {conf} as both ceph_conf and keyring: give them different paths")
        if cluster_by_conf.setdefault(conf, store["cluster"]) != store["cluster"]:
            _fail(f"{what}: {conf} would hold the conf of clusters {cluster_by_conf[conf]!r} and "
                  f"{store['cluster']!r}: give each cluster its own ceph_conf")
        owner = (store["cluster"], store["user"])
        if keyring_owner.setdefault(keyring, owner) != owner:
            _fail(f"{what}: {keyring} would hold the keys of client.{keyring_owner[keyring][1]} on "
                  f"{keyring_owner[keyring][0]!r} and client.{store['user']} on {store['cluster']!r}: "
                  "give each cluster and user its own keyring")
        users = users_by_conf.setdefault(conf, {})
        if users.setdefault(store["user"], keyring) != keyring:
            _fail(f"{what}: client.{store['user']} of {conf} would read two keyrings "
                  f"({users[store['user']]}, {keyring}): give the stores of one cluster and user one keyring")
    confs = {conf: ceph_conf_text(cluster_by_name[cluster_by_conf[conf]], users)
             for conf, users in users_by_conf.items()}
    keyring_files = {path: keyring_text(user, key_by_client[(cluster, user)])
                     for path, (cluster, user) in keyring_owner.items()}
    return confs, keyring_files


def _secret_files(stores, cluster_by_name, key_by_client, what):
    """{file name: text} of the confs and keyrings of ``stores``, for a Secret mounted at one directory."""
    confs, keyring_files = _client_files(stores, cluster_by_name, key_by_client, what)
    files = {}
    for path, text in list(confs.items()) + list(keyring_files.items()):
        name = posixpath.basename(path)
        if name in files:
            _fail(f"{what}: two files are named {name}: give every conf and keyring a distinct file name")
        files[name] = text
    return files


def _check_import_methods(import_methods, stores, what):
    if import_methods is None:
        return list(DEFAULT_IMPORT_METHODS)
    import_methods = _check_list(import_methods, f"{what}: import_methods")
    if len(stores) > 1 and "copy-image" not in import_methods:
        _fail(f"{what}: import_methods {import_methods} lacks copy-image, without which images cannot be "
              "copied between the stores: add copy-image")
    return import_methods


def _metadata(name, namespace, labels=None):
    metadata = {"name": name, "namespace": namespace, "labels": dict(MANAGED_BY)}
    if labels:
        metadata["labels"].update(labels)
    return metadata


# --------------------------------------------------------------------------
# openstack-helm
# --------------------------------------------------------------------------
def glance_k8s_helm(stores, site, clusters, keyrings, namespace="openstack", configmap=HELM_CONFIGMAP,
                    secret=HELM_SECRET, import_methods=None):
    """Objects and overrides connecting the openstack-helm glance chart to the stores of ``site``.

    Returns {configmap: ConfigMap, secret: Secret, overrides: Helm values,
    warnings: [...]}.
    """
    what = f"site {site}"
    stores = validate_stores(stores)
    clusters = _check_list(clusters, "clusters")
    keyrings = _check_list(keyrings, "keyrings")
    _check_k8s_name(namespace, "namespace", "give the namespace of the OpenStack release", label=True)
    _check_k8s_name(configmap, "configmap", f"keep the chart's own name {HELM_CONFIGMAP!r}")
    _check_k8s_name(secret, "secret", f"keep the chart's own name {HELM_SECRET!r}")
    cluster_by_name, key_by_client = _index_inputs(stores, clusters, keyrings, what)
    import_methods = _check_import_methods(import_methods, stores, what)

    default = next(store for store in stores if store["default"])
    if default["type"] != "rbd":
        _fail(f"{what}: the default store {default['id']!r} is a {default['type']} store; the openstack-helm "
              "target sets storage: rbd and needs an RBD default store: make an RBD store the default")
    confs, keyring_files = _client_files(stores, cluster_by_name, key_by_client, what)

    configmap_data = {"ceph.conf": confs[default["ceph_conf"]]}
    secret_data = {"key": _b64(key_by_client[(default["cluster"], default["user"])])}
    mounts = []
    chart_keyring = f"/etc/ceph/ceph.client.{default['user']}.keyring"
    for path, text in confs.items():
        name = posixpath.basename(path)
        if path == HELM_CHART_CONF or name == "ceph.conf":
            _fail(f"{what}: a store reads {path}, a name the chart uses for its own ceph.conf: "
                  "name the Ceph cluster something other than 'ceph'")
        if name in configmap_data:
            _fail(f"{what}: two conf files are named {name}: give the clusters' confs distinct file names")
        configmap_data[name] = text
        mounts.append({"name": HELM_CONFIGMAP_VOLUME, "mountPath": path, "subPath": name, "readOnly": True})
    for path, text in keyring_files.items():
        name = posixpath.basename(path)
        if path == chart_keyring:
            _fail(f"{what}: a store reads {path}, the keyring the chart writes itself: "
                  "name the Ceph cluster something other than 'ceph'")
        if name in secret_data or name in configmap_data:
            _fail(f"{what}: two files are named {name}: give each keyring a distinct file name")
        secret_data[name] = _b64(text)
        mounts.append({"name": HELM_SECRET_VOLUME, "mountPath": path, "subPath": name, "readOnly": True})
    for name in list(configmap_data) + list(secret_data):
        if not CONFIG_KEY.match(name):
            _fail(f"{what}: {name!r} cannot be a ConfigMap or Secret key: use file names of letters, digits, '-', '_', '.'")

    sections = glance_store_sections(stores, import_methods=import_methods)
    glance_conf = {section: dict(options) for section, options in sections.items()}
    # The chart reads these three to place the keyring and to run its jobs.
    glance_conf["glance_store"].update({
        "rbd_store_pool": default["pool"],
        "rbd_store_user": default["user"],
        "rbd_store_ceph_conf": HELM_CHART_CONF,
    })
    overrides = {
        "storage": "rbd",
        "conf": {"glance": glance_conf},
        # Pools and CephX users belong to the collection's Ceph roles: the
        # chart's storage-init job would need the admin key and rewrite the Secret.
        "manifests": {"job_storage_init": False},
        "pod": {"mounts": {"glance_api": {"glance_api": {"volumeMounts": mounts}}}},
    }
    warnings = []
    if configmap != HELM_CONFIGMAP:
        overrides["ceph_client"] = {"configmap": configmap}
        warnings.append(f"{what}: ConfigMap {configmap!r} replaces the chart's own name {HELM_CONFIGMAP!r} "
                        "(ceph_client.configmap): other charts of the release still read "
                        f"{HELM_CONFIGMAP!r}")
    if secret != HELM_SECRET:
        overrides["secrets"] = {"rbd": secret}
        warnings.append(f"{what}: Secret {secret!r} replaces the chart's own name {HELM_SECRET!r} "
                        "(secrets.rbd): keep the override in every later upgrade of the release")
    for warning in warnings:
        display.warning(warning)

    return {
        "configmap": {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": _metadata(configmap, namespace),
            "data": configmap_data,
        },
        "secret": {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": _metadata(secret, namespace),
            # The type the chart's own storage-init job gives this Secret.
            "type": "kubernetes.io/rbd",
            "data": secret_data,
        },
        "overrides": overrides,
        "warnings": warnings,
    }


def _walk_leaves(value, path=()):
    if isinstance(value, Mapping) and value:
        for key, child in value.items():
            yield from _walk_leaves(child, path + (str(key),))
    else:
        yield path


def glance_k8s_helm_unknown_keys(overrides, values):
    """Paths of ``overrides`` the chart's ``values`` (values.yaml) does not have.

    A path is known when every key exists in values.yaml, when it reaches a
    slot values.yaml leaves empty (null, a list or a scalar the override
    replaces), or when it is below ``conf.glance.<section>``, which the chart
    renders option by option into glance-api.conf.
    """
    unknown = []
    for path in _walk_leaves(overrides):
        node = values
        for depth, key in enumerate(path):
            if any(path[:len(prefix)] == prefix and depth >= len(prefix) for prefix in HELM_FREEFORM_PATHS):
                break
            if not isinstance(node, Mapping):
                break
            if key not in node:
                unknown.append(".".join(path[:depth + 1]))
                break
            node = node[key]
    return sorted(set(unknown))


# --------------------------------------------------------------------------
# openstack-k8s-operators
# --------------------------------------------------------------------------
def _has_file_store(stores):
    return any(store["type"] == "file" for store in stores)


def _check_operator_site(entry, index):
    if not isinstance(entry, Mapping):
        _fail(f"sites[{index}] must be a mapping {{site, type, stores}}")
    unknown = sorted(set(entry) - {"site", "type", "layout", "replicas", "stores", "api"})
    if unknown:
        _fail(f"sites[{index}] has unknown keys {unknown}: give site, type, stores and optionally layout, replicas, api")
    site = entry.get("site")
    _check_k8s_name(site, f"sites[{index}].site", "glanceAPIs are named after the sites: rename the site", label=True)
    max_len = 63 - (11 + len(OPERATOR_GLANCE_NAME) + 2)
    site_type = entry.get("type")
    if site_type not in ("central", "edge"):
        _fail(f"sites[{index}] ({site}) has type {site_type!r}: set type to central or edge")
    stores = validate_stores(entry.get("stores"))
    has_file = _has_file_store(stores)
    layout = entry.get("layout")
    if layout in (None, ""):
        layout = ("single" if has_file else "split") if site_type == "central" else "edge"
    allowed = CENTRAL_LAYOUTS if site_type == "central" else EDGE_LAYOUTS
    if layout not in allowed:
        _fail(f"site {site} ({site_type}) has layout {layout!r}: a {site_type} site's glanceAPI has layout "
              f"{' or '.join(allowed)}")
    if len(site) > max_len - len(layout):
        _fail(f"site {site}: the glance-operator limits a {layout} glanceAPI name to {max_len - len(layout)} "
              "characters (its StatefulSet pods' labels must fit 63): use a shorter site name")
    if layout == "split" and has_file:
        file_ids = ", ".join(store["id"] for store in stores if store["type"] == "file")
        _fail(f"site {site}: file store {file_ids} with the split layout is refused (the operator refuses it): "
              "the external and internal pods would share one file or NFS share; use layout single")
    if layout == "single" and not has_file:
        _fail(f"site {site}: the single layout without a file store is refused (the operator refuses it, "
              "OSSN-0090): use layout split")
    replicas = entry.get("replicas")
    if replicas is not None and (isinstance(replicas, bool) or not isinstance(replicas, int) or replicas < 0):
        _fail(f"site {site}: replicas must be a whole number >= 0, got {replicas!r}")
    api = entry.get("api") or {}
    if not isinstance(api, Mapping):
        _fail(f"site {site}: api must be a mapping of glanceAPI template fields")
    owned = sorted(set(api) & set(OPERATOR_OWNED_API_KEYS + ("replicas",)))
    if owned:
        _fail(f"site {site}: api sets {owned}, which the role sets from the inventory: "
              "use layout and replicas, and the store map for the configuration")
    return {"site": site, "type": site_type, "layout": layout, "replicas": replicas, "stores": stores,
            "api": copy.deepcopy(dict(api))}


def glance_k8s_operator(sites, clusters, keyrings, namespace="openstack", controlplane="openstack",
                        secret=OPERATOR_SECRET, secret_per_site=False, keystone_endpoint=None,
                        extra_mount="glance-ceph", import_methods=None):
    """Secrets and OpenStackControlPlane patch for the Glance APIs of every site.

    ``sites`` is a list of {site, type (central|edge), stores, layout, replicas,
    api}. Returns {secrets: [Secret...], patch: OpenStackControlPlane,
    extra_mount: the spec.extraMounts entry, mount_path, keystone_endpoint}.
    """
    sites = [_check_operator_site(entry, index) for index, entry in enumerate(_check_list(sites, "sites"))]
    if not sites:
        _fail("sites is empty: give one entry per site whose Glance API runs under the operator")
    clusters = _check_list(clusters, "clusters")
    keyrings = _check_list(keyrings, "keyrings")
    _check_k8s_name(namespace, "namespace", "give the namespace of the OpenStackControlPlane", label=True)
    _check_k8s_name(controlplane, "controlplane", "give the name of the OpenStackControlPlane")
    _check_k8s_name(secret, "secret", f"keep the name {OPERATOR_SECRET!r}")
    _check_k8s_name(extra_mount, "extra_mount", "name the spec.extraMounts entry with a DNS-1123 label", label=True)
    if not isinstance(secret_per_site, bool):
        _fail("secret_per_site must be true or false")

    names = [entry["site"] for entry in sites]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        _fail(f"sites lists {', '.join(duplicates)} more than once: give one entry per site")
    centrals = [entry["site"] for entry in sites if entry["type"] == "central"]
    if len(centrals) != 1:
        _fail(f"sites must contain exactly one central site, found {len(centrals)}: "
              "set type: central on the site whose API keystone registers")
    by_name = {entry["site"]: entry for entry in sites}
    if keystone_endpoint in (None, ""):
        keystone_endpoint = centrals[0]
    if keystone_endpoint not in by_name:
        _fail(f"keystone_endpoint {keystone_endpoint!r} is not one of the sites ({', '.join(names)}): "
              "point it at the central site")
    if by_name[keystone_endpoint]["layout"] == "edge" or by_name[keystone_endpoint]["type"] == "edge":
        _fail(f"keystone_endpoint {keystone_endpoint!r} is an edge API, which the operator never registers in "
              f"keystone: point it at the central site {centrals[0]!r}")

    # One directory holds every conf and keyring: the Secret is mounted there.
    directories = {posixpath.dirname(store[key]) for entry in sites for store in entry["stores"]
                   if store["type"] == "rbd" for key in ("ceph_conf", "keyring")}
    if len(directories) > 1:
        _fail(f"the RBD stores read their files from {len(directories)} directories ({', '.join(sorted(directories))}), "
              "but the Secret is mounted at one: build every store map with the same conf_dir")
    mount_path = directories.pop() if directories else "/etc/ceph"

    import_methods_by_site = {}
    files_by_site = {}
    for entry in sites:
        what = f"site {entry['site']}"
        cluster_by_name, key_by_client = _index_inputs(entry["stores"], clusters, keyrings, what)
        import_methods_by_site[entry["site"]] = _check_import_methods(import_methods, entry["stores"], what)
        files_by_site[entry["site"]] = _secret_files(entry["stores"], cluster_by_name, key_by_client, what)
    if not secret_per_site:
        # One Secret for every API: its confs list every user any site reads them with.
        all_files = _secret_files([store for entry in sites for store in entry["stores"]],
                                  cluster_by_name, key_by_client, "sites")

    def secret_object(name, files):
        for key in files:
            if not CONFIG_KEY.match(key):
                _fail(f"{key!r} cannot be a Secret key: use file names of letters, digits, '-', '_', '.'")
        return {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": _metadata(name, namespace),
            "type": "Opaque",
            "data": {key: _b64(files[key]) for key in sorted(files)},
        }

    secrets = []
    extra_vols = []
    if secret_per_site:
        for entry in sites:
            name = f"{secret}-{entry['site']}"
            _check_k8s_name(name, "per-site secret name", "use a shorter secret name or site name")
            secrets.append(secret_object(name, files_by_site[entry["site"]]))
            volume = f"ceph-{entry['site']}"
            _check_k8s_name(volume, "volume name", "use a shorter site name", label=True)
            extra_vols.append({
                "extraVolType": "Ceph",
                # The glance-operator mounts volumes propagated to a glanceAPI's name into that API only.
                "propagation": [entry["site"]],
                "volumes": [{"name": volume, "secret": {"secretName": name}}],
                "mounts": [{"name": volume, "mountPath": mount_path, "readOnly": True}],
            })
    else:
        secrets.append(secret_object(secret, all_files))
        extra_vols.append({
            "extraVolType": "Ceph",
            "propagation": ["GlanceAPI"],
            "volumes": [{"name": "ceph", "secret": {"secretName": secret}}],
            "mounts": [{"name": "ceph", "mountPath": mount_path, "readOnly": True}],
        })

    glance_apis = {}
    for entry in sites:
        sections = glance_store_sections(entry["stores"], import_methods=import_methods_by_site[entry["site"]])
        api = entry["api"]
        api["type"] = entry["layout"]
        if entry["replicas"] is not None:
            api["replicas"] = entry["replicas"]
        api["customServiceConfig"] = ini_text(sections)
        glance_apis[entry["site"]] = api
    extra_mount_entry = {"name": extra_mount, "extraVol": extra_vols}
    patch = {
        "apiVersion": OPERATOR_API_VERSION,
        "kind": OPERATOR_KIND,
        "metadata": {"name": controlplane, "namespace": namespace},
        "spec": {
            "glance": {
                "enabled": True,
                "template": {
                    "keystoneEndpoint": keystone_endpoint,
                    "glanceAPIs": glance_apis,
                },
            },
            "extraMounts": [extra_mount_entry],
        },
    }
    return {
        "secrets": secrets,
        "patch": patch,
        "extra_mount": extra_mount_entry,
        "mount_path": mount_path,
        "keystone_endpoint": keystone_endpoint,
    }


def glance_k8s_merge_extra_mounts(current, ours):
    """Return ``current`` spec.extraMounts with ``ours`` replacing the entry of the same name.

    A merge patch replaces a list as a whole; merging first keeps the other
    services' extraMounts (Cinder, Manila...) in place.
    """
    if current is None:
        current = []
    current = _check_list(current, "current extraMounts")
    if not isinstance(ours, Mapping) or not ours.get("name"):
        _fail("ours must be an extraMounts entry with a name")
    result = []
    replaced = False
    for entry in current:
        if isinstance(entry, Mapping) and entry.get("name") == ours["name"]:
            if not replaced:
                result.append(copy.deepcopy(dict(ours)))
                replaced = True
            continue
        result.append(copy.deepcopy(entry))
    if not replaced:
        result.append(copy.deepcopy(dict(ours)))
    return result


# --------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------
def _plain(value):
    """Copy ``value`` into plain dict/list/str/int/float/bool/None."""
    if isinstance(value, Mapping):
        return {str(key): _plain(child) for key, child in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(child) for child in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    return str(value)


class _ManifestDumper(yaml.SafeDumper):
    """Block style for multi-line strings, so confs read as files do."""


def _represent_str(dumper, value):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_ManifestDumper.add_representer(str, _represent_str)


def glance_k8s_to_yaml(value):
    """YAML text of a Kubernetes object or Helm values, keys in the order built."""
    return yaml.dump(_plain(value), Dumper=_ManifestDumper, sort_keys=False, default_flow_style=False,
                     allow_unicode=True, width=120)


class FilterModule:
    """Kubernetes objects for Glance on Ceph."""

    def filters(self):
        return {
            "glance_k8s_helm": glance_k8s_helm,
            "glance_k8s_helm_unknown_keys": glance_k8s_helm_unknown_keys,
            "glance_k8s_operator": glance_k8s_operator,
            "glance_k8s_merge_extra_mounts": glance_k8s_merge_extra_mounts,
            "glance_k8s_to_yaml": glance_k8s_to_yaml,
        }
