# -*- coding: utf-8 -*-
# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kubernetes objects that connect Glance to Ceph, built from the store maps.

Two deployment targets of the glance_multistore role run Glance on
Kubernetes instead of on hosts.  The role's YAML only writes and applies what
the functions here build:

openstack-helm (one site per call, one release per site)
  ConfigMap ``glance-<site>-ceph-etc`` (``ceph.conf`` and every store's
  ``<cluster>.conf``), Secret ``glance-<site>-rbd-keyring`` (``key``, as the
  chart reads it, and every store's keyring file) and the overrides (Helm
  values) of the glance chart, which point the chart at those two objects.

openstack-k8s-operators (every site in one call)
  One Secret per site (``glance-ceph-files-<site>``) with the confs and
  keyrings that site's Glance API needs, and a merge patch of the
  ``OpenStackControlPlane``: one ``glanceAPIs`` entry per site with its
  ``customServiceConfig``, ``keystoneEndpoint`` on the central API and an
  entry in Glance's own ``extraMounts`` mounting each Secret into its site's
  API only, merged with the extraMounts already there.

Objects are written next to what is there (glance_k8s_object_plan): only
the collection's keys of a ConfigMap or Secret are added, updated or
removed, and an object another site wrote is refused.

Keys only ever go into Secret objects.  Errors raise AnsibleFilterError with
messages that name the problem and the fix and never contain a key.
"""

from __future__ import annotations

import base64
import hashlib
import json
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
from ansible_collections.edgestack.glance_ceph.plugins.module_utils._rules import plain_copy
from ansible_collections.edgestack.glance_ceph.plugins.module_utils._store_options import SECRET_OPTIONS

display = Display()

#: Volumes of the chart's glance-api Deployment that project the ConfigMap
#: (ceph_client.configmap) and the Secret (secrets.rbd).
HELM_CONFIGMAP_VOLUME = "ceph-etc"
HELM_SECRET_VOLUME = "ceph-keyring"
#: Paths the chart itself mounts or writes in the glance-api pod.
HELM_CHART_CONF = "/etc/ceph/ceph.conf"
HELM_CHART_PATHS = (HELM_CHART_CONF, "/tmp/client-keyring")
#: Value paths of the chart that are free-form below the given depth:
#: conf.glance is rendered section by section, option by option (oslo.config).
HELM_FREEFORM_PATHS = (("conf", "glance"),)
#: Keys the chart's values.yaml still puts in conf.glance.glance_store, which
#: must hold default_backend only with multistore; the overrides remove them.
HELM_LEGACY_STORE_KEYS = (
    "filesystem_store_datadir", "cinder_catalog_info", "rbd_store_chunk_size", "rbd_store_replication",
    "rbd_store_crush_rule", "rbd_store_pool", "rbd_store_user", "rbd_store_ceph_conf",
)

OPERATOR_API_VERSION = "core.openstack.org/v1beta1"
OPERATOR_KIND = "OpenStackControlPlane"
#: The role's own Secret name (per site: <name>-<site>); never the
#: ceph-conf-files an OpenStackControlPlane with Ceph mounts into every service.
OPERATOR_SECRET = "glance-ceph-files"
#: Where the Glance files go when another extraMounts entry mounts /etc/ceph.
OPERATOR_MOUNT_FALLBACK = "/etc/ceph-glance"
#: Name of the Glance CR the OpenStackControlPlane creates.
OPERATOR_GLANCE_NAME = "glance"
CENTRAL_LAYOUTS = ("split", "single")
EDGE_LAYOUTS = ("edge",)
#: glanceAPIs keys this module sets; an api mapping may not set them.
OPERATOR_OWNED_API_KEYS = ("type", "customServiceConfig")

SHOW_IMAGE_DIRECT_URL = ("internal", "always", "never")
IMAGE_CONVERSION = ("auto", "raw", "none")

LABEL_SITE = "edgestack.glance-ceph/site"
LABEL_TARGET = "edgestack.glance-ceph/target"
ANNOTATION_OWNER = "edgestack.glance-ceph/owner"
ANNOTATION_KEYS = "edgestack.glance-ceph/keys"

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


def _check_no_credentials(stores, what):
    """Refuse stores that carry credentials: the Kubernetes targets would write them in the clear.

    Store options go to the chart's overrides or the control plane's
    customServiceConfig, neither of them a Secret; a Swift store's auth needs a
    reference file these targets do not write.
    """
    for store in stores:
        options = store.get("options") or {}
        carried = sorted(k for k in options if k in SECRET_OPTIONS) + (["auth"] if store.get("auth") else [])
        if carried:
            _fail(f"{what}: store {store.get('id')} carries credentials ({', '.join(carried)}), which the Kubernetes "
                  "targets would write in the clear (Helm overrides, customServiceConfig) and do not deliver as "
                  "a Secret: configure S3, Swift and Cinder stores with credentials on the host target, or give "
                  "them to Glance through your deployment's own secret mechanism")


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
# Writing next to what is there
# --------------------------------------------------------------------------
def _fingerprint(value):
    """A short fingerprint of a data value, to show a change without the value."""
    return "sha256:" + hashlib.sha256(str(value).encode("utf-8")).hexdigest()[:16]


def _owned_keys(annotations):
    """{key: fingerprint} the collection recorded on an object, {} when none."""
    text = (annotations or {}).get(ANNOTATION_KEYS)
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return dict(value) if isinstance(value, Mapping) else {}


def glance_k8s_object_plan(current, desired, owner, fix="give the object a name of its own"):
    """Plan writing the data keys of ``desired`` (ConfigMap or Secret) into ``current``.

    ``current`` is the object as the API server returned it (or None/empty
    when it does not exist). Only the collection's keys are added, updated or
    removed: every other key stays. The object records which keys are the
    collection's, with a fingerprint of each value, in the annotation
    ``edgestack.glance-ceph/keys``, and who wrote them in
    ``edgestack.glance-ceph/owner``.

    Refused: an object another owner (another site) wrote, and a key that
    already holds a different value the collection did not write.

    Returns {action: create|patch|none, definition, keys: {added, updated,
    removed, kept}}. A patch is a JSON merge patch carrying the
    resourceVersion that was read: the API server refuses it if the object
    changed in between. ``keys`` holds key names only, never values.
    """
    if not isinstance(desired, Mapping) or desired.get("kind") not in ("ConfigMap", "Secret"):
        _fail("desired must be a ConfigMap or a Secret")
    if not isinstance(owner, str) or not owner:
        _fail("owner must be a non-empty string naming who writes the object")
    metadata = desired["metadata"]
    what = f"{desired['kind']} {metadata.get('namespace')}/{metadata['name']}"
    data = dict(desired.get("data") or {})
    annotations = {
        ANNOTATION_OWNER: owner,
        ANNOTATION_KEYS: json.dumps({key: _fingerprint(data[key]) for key in sorted(data)}, separators=(",", ":")),
    }
    if not current:
        definition = plain_copy(dict(desired))
        definition["metadata"] = dict(definition["metadata"])
        definition["metadata"]["annotations"] = dict(definition["metadata"].get("annotations") or {}, **annotations)
        return {"action": "create", "definition": definition,
                "keys": {"added": sorted(data), "updated": [], "removed": [], "kept": []}}
    if not isinstance(current, Mapping) or current.get("kind", desired["kind"]) != desired["kind"]:
        _fail(f"{what}: the current object is not a {desired['kind']}")
    current_meta = current.get("metadata") or {}
    current_annotations = current_meta.get("annotations") or {}
    current_owner = current_annotations.get(ANNOTATION_OWNER)
    if current_owner and current_owner != owner:
        _fail(f"{what} holds the files of {current_owner}; writing those of {owner} would replace them: {fix}")
    ours_before = _owned_keys(current_annotations) if current_owner == owner else {}
    current_data = current.get("data") or {}
    foreign = sorted(key for key in data if key in current_data and key not in ours_before
                     and current_data[key] != data[key])
    if foreign:
        _fail(f"{what} already has {', '.join(foreign)} with other content, which edgestack.glance_ceph did not "
              f"write; it is left as it is and nothing was changed: {fix}")
    patch_data = {key: value for key, value in data.items() if current_data.get(key) != value}
    removed = sorted(key for key in ours_before if key not in data and key in current_data)
    for key in removed:
        patch_data[key] = None
    keys = {
        "added": sorted(key for key in patch_data if key not in current_data),
        "updated": sorted(key for key in patch_data if key in current_data and key not in removed),
        "removed": removed,
        "kept": sorted(key for key in current_data if key not in data and key not in removed),
    }
    annotation_patch = {key: value for key, value in annotations.items() if current_annotations.get(key) != value}
    if not patch_data and not annotation_patch:
        return {"action": "none", "definition": {}, "keys": keys}
    patch_metadata = {"name": metadata["name"], "resourceVersion": current_meta.get("resourceVersion")}
    if metadata.get("namespace"):
        patch_metadata["namespace"] = metadata["namespace"]
    if annotation_patch:
        patch_metadata["annotations"] = annotation_patch
    definition = {"apiVersion": desired.get("apiVersion", "v1"), "kind": desired["kind"], "metadata": patch_metadata}
    if patch_data:
        definition["data"] = patch_data
    return {"action": "patch", "definition": definition, "keys": keys}


# --------------------------------------------------------------------------
# openstack-helm
# --------------------------------------------------------------------------
def _check_choice(value, choices, what):
    if value not in choices:
        _fail(f"{what} is {value!r}: use one of {', '.join(choices)}")
    return value


def _multi_site_rbd(stores):
    """True when RBD stores of more than one cluster serve the site (central and edge sites)."""
    return len({store["cluster"] for store in stores if store["type"] == "rbd"}) > 1


def glance_k8s_helm_names(site, configmap="", secret=""):
    """The ConfigMap and Secret names of ``site``: per-site names unless given."""
    return {
        "configmap": configmap or f"glance-{site}-ceph-etc",
        "secret": secret or f"glance-{site}-rbd-keyring",
    }


def glance_k8s_helm(stores, site, clusters, keyrings, namespace="openstack", configmap="", secret="",
                    import_methods=None, show_image_direct_url="internal", image_conversion="auto",
                    storage_init=False):
    """Objects and overrides connecting one site's release of the openstack-helm glance chart to its stores.

    Returns {configmap: ConfigMap, secret: Secret, overrides: Helm values,
    owner, warnings: [...]}.
    """
    what = f"site {site}"
    stores = validate_stores(stores)
    _check_no_credentials(stores, what)
    clusters = _check_list(clusters, "clusters")
    keyrings = _check_list(keyrings, "keyrings")
    _check_k8s_name(site, "site", "the objects are named after the site: rename the site", label=True)
    _check_k8s_name(namespace, "namespace", "give the namespace of the site's Glance release", label=True)
    names = glance_k8s_helm_names(site, configmap, secret)
    _check_k8s_name(names["configmap"], "configmap", "leave it empty for the per-site name or give a valid name")
    _check_k8s_name(names["secret"], "secret", "leave it empty for the per-site name or give a valid name")
    _check_choice(show_image_direct_url, SHOW_IMAGE_DIRECT_URL, "show_image_direct_url")
    _check_choice(image_conversion, IMAGE_CONVERSION, "image_conversion")
    if not isinstance(storage_init, bool):
        _fail("storage_init must be true or false")
    cluster_by_name, key_by_client = _index_inputs(stores, clusters, keyrings, what)
    import_methods = _check_import_methods(import_methods, stores, what)

    default = next(store for store in stores if store["default"])
    if default["type"] != "rbd":
        _fail(f"{what}: the default store {default['id']!r} is a {default['type']} store; the openstack-helm "
              "target sets storage: rbd and needs an RBD default store: make an RBD store the default")
    chart_store = next((store for store in stores if store["id"] == "rbd"), None)
    if chart_store is not None and chart_store is not default:
        _fail(f"{what}: store 'rbd' is not the default store, but the chart reads conf.glance.rbd as the "
              "default store's pool and user: rename the store or make it the default")
    confs, keyring_files = _client_files(stores, cluster_by_name, key_by_client, what)

    configmap_data = {"ceph.conf": confs[default["ceph_conf"]]}
    secret_data = {"key": _b64(key_by_client[(default["cluster"], default["user"])])}
    mounts = []
    chart_keyring = f"/etc/ceph/ceph.client.{default['user']}.keyring"
    for path, text in confs.items():
        name = posixpath.basename(path)
        if path in HELM_CHART_PATHS or name == "ceph.conf":
            _fail(f"{what}: a store reads {path}, a name the chart uses for its own ceph.conf: "
                  "name the Ceph cluster something other than 'ceph'")
        if name in configmap_data:
            _fail(f"{what}: two conf files are named {name}: give the clusters' confs distinct file names")
        configmap_data[name] = text
        mounts.append({"name": HELM_CONFIGMAP_VOLUME, "mountPath": path, "subPath": name, "readOnly": True})
    for path, text in keyring_files.items():
        name = posixpath.basename(path)
        if path == chart_keyring or path in HELM_CHART_PATHS:
            _fail(f"{what}: a store reads {path}, the keyring the chart writes itself: "
                  "name the Ceph cluster something other than 'ceph'")
        if name in secret_data or name in configmap_data:
            _fail(f"{what}: two files are named {name}: give each keyring a distinct file name")
        secret_data[name] = _b64(text)
        mounts.append({"name": HELM_SECRET_VOLUME, "mountPath": path, "subPath": name, "readOnly": True})
    for name in list(configmap_data) + list(secret_data):
        if not CONFIG_KEY.match(name):
            _fail(f"{what}: {name!r} cannot be a ConfigMap or Secret key: use file names of letters, digits, '-', '_', '.'")

    warnings = []
    # The chart runs one API for the public and the internal endpoint: an
    # image's location (cluster, pool, image id) would reach the public one.
    show_direct_url = show_image_direct_url == "always"
    if show_direct_url:
        warnings.append(f"{what}: show_image_direct_url is on for the chart's only API, which serves the public "
                        "endpoint too: image locations (cluster, pool, image id) are shown to every user (OSSN-0090)")
    sections = glance_store_sections(stores, import_methods=import_methods, show_image_direct_url=show_direct_url)
    glance_conf = {section: dict(options) for section, options in sections.items()}
    # The chart's values: glance_store holds default_backend only.
    glance_conf["glance_store"].update({key: None for key in HELM_LEGACY_STORE_KEYS})
    # What the chart itself reads: the keyring placement init container takes
    # rbd_store_user, the storage-init job rbd_store_pool and rbd_store_user.
    glance_conf["rbd"] = dict(glance_conf.get("rbd") or {}, **{
        "rbd_store_pool": default["pool"],
        "rbd_store_user": default["user"],
        "rbd_store_ceph_conf": default["ceph_conf"],
    })
    convert = image_conversion == "raw" or (image_conversion == "auto" and _multi_site_rbd(stores))
    if convert:
        # Edge sites boot from RBD clones: an image must be raw to be cloned.
        glance_conf["image_import_opts"] = {"image_import_plugins": "['image_conversion']"}
        glance_conf["image_conversion"] = {"output_format": "raw"}
    overrides = {
        "storage": "rbd",
        "ceph_client": {"configmap": names["configmap"]},
        "secrets": {"rbd": names["secret"]},
        "conf": {"glance": glance_conf},
        "manifests": {"job_storage_init": storage_init},
        "pod": {"mounts": {"glance_api": {"glance_api": {"volumeMounts": mounts}}}},
    }
    if storage_init:
        warnings.append(f"{what}: the chart's storage-init job runs: it needs the Ceph admin key, sets pool "
                        f"{default['pool']}'s size and crush rule from conf.glance.rbd and the caps of "
                        f"client.{default['user']} to its own (no mgr caps)")
    for warning in warnings:
        display.warning(warning)

    labels = {LABEL_SITE: site, LABEL_TARGET: "openstack-helm"}
    return {
        "configmap": {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": _metadata(names["configmap"], namespace, labels),
            "data": configmap_data,
        },
        "secret": {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": _metadata(names["secret"], namespace, labels),
            # The type the chart's own storage-init job gives this Secret.
            "type": "kubernetes.io/rbd",
            "data": secret_data,
        },
        "overrides": overrides,
        "owner": f"openstack-helm site {site}",
        "warnings": warnings,
    }


def glance_k8s_helm_claims(objects, site):
    """Problems with the objects other sites' releases wrote into the namespace.

    ``objects`` are the objects of the namespace labelled
    ``edgestack.glance-ceph/target=openstack-helm``. The chart names its
    objects (the glance-api Deployment, glance-etc...) the same in every
    release, so a second site's release in one namespace would replace the
    first: each site needs a namespace (or a cluster) of its own.
    """
    problems = []
    for obj in _check_list(objects or [], "objects"):
        metadata = obj.get("metadata") or {}
        other = (metadata.get("labels") or {}).get(LABEL_SITE)
        if other and other != site:
            # List items carry no kind: the role lists ConfigMaps.
            problems.append(f"{obj.get('kind') or 'ConfigMap'} {metadata.get('name')} holds the Glance files of site {other}")
    return problems


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
    unknown = sorted(set(entry) - {"site", "type", "layout", "replicas", "stores", "api", "network_attachments"})
    if unknown:
        _fail(f"sites[{index}] has unknown keys {unknown}: give site, type, stores and optionally layout, "
              "replicas, network_attachments, api")
    site = entry.get("site")
    _check_k8s_name(site, f"sites[{index}].site", "glanceAPIs are named after the sites: rename the site", label=True)
    max_len = 63 - (11 + len(OPERATOR_GLANCE_NAME) + 2)
    site_type = entry.get("type")
    if site_type not in ("central", "edge"):
        _fail(f"sites[{index}] ({site}) has type {site_type!r}: set type to central or edge")
    stores = validate_stores(entry.get("stores"))
    _check_no_credentials(stores, f"sites[{index}] ({site})")
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
    attachments = entry.get("network_attachments")
    if attachments is not None:
        attachments = _check_list(attachments, f"site {site}: network_attachments")
        for name in attachments:
            _check_k8s_name(name, f"site {site}: network attachment", "name a NetworkAttachmentDefinition")
        if len(set(attachments)) != len(attachments):
            _fail(f"site {site}: network_attachments lists a network more than once")
        if "networkAttachments" in api:
            _fail(f"site {site}: give the networks in network_attachments or api.networkAttachments, not both")
    return {"site": site, "type": site_type, "layout": layout, "replicas": replicas, "stores": stores,
            "api": plain_copy(dict(api)), "network_attachments": attachments}


def _extra_mount_lists(controlplane):
    """The two extraMounts lists of an OpenStackControlPlane: spec.extraMounts and glance's own."""
    spec = (controlplane or {}).get("spec") or {}
    template = ((spec.get("glance") or {}).get("template") or {})
    return list(spec.get("extraMounts") or []), list(template.get("extraMounts") or [])


def _foreign_mounts(entries, api_name):
    """Volume names and mount paths the entries give a Glance API pod named ``api_name``.

    The glance-operator gives a GlanceAPI pod the extraVol entries whose
    propagation is empty or names All, Glance, GlanceAPI or the API's name.
    """
    services = {"All", "Glance", "GlanceAPI", api_name}
    volumes, paths = set(), set()
    for entry in entries:
        for vol in (entry or {}).get("extraVol") or []:
            propagation = vol.get("propagation") or []
            if propagation and not services.intersection(propagation):
                continue
            volumes.update(volume.get("name") for volume in vol.get("volumes") or [])
            paths.update(posixpath.normpath(mount["mountPath"]) for mount in vol.get("mounts") or []
                         if mount.get("mountPath"))
    return volumes, paths


def _path_clash(path, taken):
    """A taken mount path equal to ``path``, or one inside the other, or None."""
    for other in sorted(taken):
        if other == path or other.startswith(path.rstrip("/") + "/") or path.startswith(other.rstrip("/") + "/"):
            return other
    return None


def _relocate(stores, directory):
    moved = []
    for store in stores:
        store = dict(store)
        if store["type"] == "rbd":
            for key in ("ceph_conf", "keyring"):
                store[key] = posixpath.join(directory, posixpath.basename(store[key]))
        moved.append(store)
    return moved


def glance_k8s_operator(sites, clusters, keyrings, namespace="openstack", controlplane="openstack",
                        secret=OPERATOR_SECRET, secret_per_site=True, keystone_endpoint=None,
                        extra_mount="glance-ceph", import_methods=None, show_image_direct_url="internal",
                        mount_path="", current=None):
    """Secrets and OpenStackControlPlane patch for the Glance APIs of every site.

    ``sites`` is a list of {site, type (central|edge), stores, layout, replicas,
    network_attachments, api}. ``current`` is the OpenStackControlPlane as
    read from the API server (None when rendering without one): the patch
    then merges with its extraMounts lists, carries its resourceVersion, and
    the files move away from a mount path another entry already uses.
    Returns {secrets: [Secret...], patch: OpenStackControlPlane, apply: the
    patch with the resourceVersion read, extra_mount: the glance extraMounts
    entry, mount_path, keystone_endpoint, owner, warnings}.
    """
    sites = [_check_operator_site(entry, index) for index, entry in enumerate(_check_list(sites, "sites"))]
    if not sites:
        _fail("sites is empty: give one entry per site whose Glance API runs under the operator")
    clusters = _check_list(clusters, "clusters")
    keyrings = _check_list(keyrings, "keyrings")
    _check_k8s_name(namespace, "namespace", "give the namespace of the OpenStackControlPlane", label=True)
    _check_k8s_name(controlplane, "controlplane", "give the name of the OpenStackControlPlane")
    _check_k8s_name(secret, "secret", f"keep the name {OPERATOR_SECRET!r}")
    _check_k8s_name(extra_mount, "extra_mount", "name the extraMounts entry with a DNS-1123 label", label=True)
    _check_choice(show_image_direct_url, SHOW_IMAGE_DIRECT_URL, "show_image_direct_url")
    if not isinstance(secret_per_site, bool):
        _fail("secret_per_site must be true or false")
    if current is not None and not isinstance(current, Mapping):
        _fail("current must be the OpenStackControlPlane as read, or None")

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
    stores_dir = directories.pop() if directories else "/etc/ceph"

    # The pods each extraVol of ours reaches, and what other entries already mount there.
    top_level, glance_level = _extra_mount_lists(current)
    foreign = [entry for entry in top_level + glance_level if (entry or {}).get("name") != extra_mount]
    existing_apis = sorted(((((current or {}).get("spec") or {}).get("glance") or {}).get("template") or {})
                           .get("glanceAPIs") or {})
    reached = {entry["site"]: [entry["site"]] for entry in sites} if secret_per_site else {
        "GlanceAPI": sorted(set(names) | set(existing_apis))}
    volume_names = {site: f"{extra_mount}-{site}" for site in names} if secret_per_site else {"GlanceAPI": extra_mount}
    taken = {}
    for key, apis in reached.items():
        for api_name in apis:
            volumes, paths = _foreign_mounts(foreign, api_name)
            if volume_names[key] in volumes:
                _fail(f"the glanceAPI {api_name!r} already gets a volume named {volume_names[key]!r} from another "
                      "extraMounts entry: set glance_multistore_k8s_operator_extra_mount to a name no other entry uses")
            taken.setdefault(key, set()).update(paths)
    all_taken = set().union(*taken.values()) if taken else set()
    warnings = []
    if mount_path:
        if not isinstance(mount_path, str) or not posixpath.isabs(mount_path):
            _fail(f"glance_multistore_k8s_operator_mount_path {mount_path!r} must be an absolute path")
        mount_path = posixpath.normpath(mount_path)
        clash = _path_clash(mount_path, all_taken)
        if clash:
            _fail(f"glance_multistore_k8s_operator_mount_path {mount_path} clashes with {clash}, which another "
                  "extraMounts entry already mounts into a Glance API: choose another directory")
    else:
        mount_path = stores_dir
        clash = _path_clash(mount_path, all_taken)
        if clash:
            mount_path = OPERATOR_MOUNT_FALLBACK
            if _path_clash(mount_path, all_taken):
                _fail(f"{stores_dir} and {OPERATOR_MOUNT_FALLBACK} are both mounted into a Glance API by other "
                      "extraMounts entries: set glance_multistore_k8s_operator_mount_path to a free directory")
            warnings.append(f"{clash} is already mounted into a Glance API by another extraMounts entry: the "
                            f"Glance files go to {mount_path} and the stores read them there")
    if mount_path != stores_dir:
        for entry in sites:
            entry["stores"] = _relocate(entry["stores"], mount_path)

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

    def secret_object(name, files, site=None):
        for key in files:
            if not CONFIG_KEY.match(key):
                _fail(f"{key!r} cannot be a Secret key: use file names of letters, digits, '-', '_', '.'")
        labels = {LABEL_TARGET: "openstack-operator"}
        if site:
            labels[LABEL_SITE] = site
        return {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": _metadata(name, namespace, labels),
            "type": "Opaque",
            "data": {key: _b64(files[key]) for key in sorted(files)},
        }

    secrets = []
    extra_vols = []
    if secret_per_site:
        for entry in sites:
            name = f"{secret}-{entry['site']}"
            _check_k8s_name(name, "per-site secret name", "use a shorter secret name or site name")
            secrets.append(secret_object(name, files_by_site[entry["site"]], entry["site"]))
            volume = volume_names[entry["site"]]
            _check_k8s_name(volume, "volume name", "use a shorter extra_mount or site name", label=True)
            extra_vols.append({
                "extraVolType": "Ceph",
                # Glance's own extraMounts reach Glance pods only; the API's
                # name selects that site's GlanceAPI (both halves of a split one).
                "propagation": [entry["site"]],
                "volumes": [{"name": volume, "secret": {"secretName": name}}],
                "mounts": [{"name": volume, "mountPath": mount_path, "readOnly": True}],
            })
    else:
        secrets.append(secret_object(secret, all_files))
        extra_vols.append({
            "extraVolType": "Ceph",
            "propagation": ["GlanceAPI"],
            "volumes": [{"name": extra_mount, "secret": {"secretName": secret}}],
            "mounts": [{"name": extra_mount, "mountPath": mount_path, "readOnly": True}],
        })

    if show_image_direct_url == "always":
        warnings.append("show_image_direct_url is on for every API, the external (public) half of a split API "
                        "included: image locations (cluster, pool, image id) are shown to every user (OSSN-0090)")
    glance_apis = {}
    for entry in sites:
        sections = glance_store_sections(entry["stores"], import_methods=import_methods_by_site[entry["site"]])
        if show_image_direct_url == "internal":
            # The operator sets it per API type: on for internal, edge and
            # single APIs, off for the external half of a split one.
            del sections["DEFAULT"]["show_image_direct_url"]
        else:
            sections["DEFAULT"]["show_image_direct_url"] = "True" if show_image_direct_url == "always" else "False"
        api = entry["api"]
        api["type"] = entry["layout"]
        if entry["replicas"] is not None:
            api["replicas"] = entry["replicas"]
        if entry["network_attachments"] is not None:
            api["networkAttachments"] = list(entry["network_attachments"])
        api["customServiceConfig"] = ini_text(sections)
        glance_apis[entry["site"]] = api
    for warning in warnings:
        display.warning(warning)

    extra_mount_entry = {"name": extra_mount, "extraVol": extra_vols}
    template = {
        "keystoneEndpoint": keystone_endpoint,
        "glanceAPIs": glance_apis,
        "extraMounts": glance_k8s_merge_extra_mounts(glance_level, extra_mount_entry),
    }
    spec = {"glance": {"enabled": True, "template": template}}
    if any((entry or {}).get("name") == extra_mount for entry in top_level):
        # An earlier release of the role put its entry here, where it reaches every service.
        spec["extraMounts"] = [plain_copy(entry) for entry in top_level if (entry or {}).get("name") != extra_mount]
    metadata = {"name": controlplane, "namespace": namespace}
    patch = {"apiVersion": OPERATOR_API_VERSION, "kind": OPERATOR_KIND, "metadata": metadata, "spec": spec}
    # What is applied: the patch at the resourceVersion read (the written file
    # leaves it out, so that it changes only when the patch does).
    apply = plain_copy(patch)
    if current is not None and (current.get("metadata") or {}).get("resourceVersion"):
        apply["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"]
    return {
        "secrets": secrets,
        "patch": patch,
        "apply": apply,
        "extra_mount": extra_mount_entry,
        "mount_path": mount_path,
        "keystone_endpoint": keystone_endpoint,
        "owner": "openstack-operator",
        "warnings": warnings,
    }


def glance_k8s_merge_extra_mounts(current, ours):
    """Return ``current`` extraMounts with ``ours`` replacing the entry of the same name.

    A merge patch replaces a list as a whole; merging first keeps the other
    entries (Cinder, Manila...) in place.
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
                result.append(plain_copy(dict(ours)))
                replaced = True
            continue
        result.append(plain_copy(entry))
    if not replaced:
        result.append(plain_copy(dict(ours)))
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
            "glance_k8s_helm_names": glance_k8s_helm_names,
            "glance_k8s_helm_claims": glance_k8s_helm_claims,
            "glance_k8s_object_plan": glance_k8s_object_plan,
            "glance_k8s_operator": glance_k8s_operator,
            "glance_k8s_merge_extra_mounts": glance_k8s_merge_extra_mounts,
            "glance_k8s_to_yaml": glance_k8s_to_yaml,
        }
