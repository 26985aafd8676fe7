# -*- coding: utf-8 -*-
# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Glance store maps: which stores a site's Glance API gets, and how they read.

Every Glance API runs against a list of stores.  The central site's API gets
every site's RBD store, an edge site's API gets its own store (its default)
and the central one.  Each site's RBD store uses that site's Glance CephX user
and pool.  The functions here compute that list, merge explicit stores into
it, and turn a store list into the glance-api.conf values that enable it.
They are pure: the filters of the same names and the site plan call them.

This file is private to the collection: its interface may change.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping


__all__ = [
    "GLANCE_STORE_TYPES",
    "glance_store_map",
    "glance_store_maps",
    "glance_enabled_backends",
    "glance_store_sections",
    "glance_store_clusters",
    "glance_multistore_problems",
    "validate_sites",
    "validate_stores",
]

from ansible_collections.edgestack.glance_ceph.plugins.module_utils import _rules
from ansible_collections.edgestack.glance_ceph.plugins.module_utils._rules import (  # noqa: F401 - re-exported
    CEPH_USER_RE,
    FSID_RE,
    GLANCE_STORE_TYPES,
    NAME_RE,
    POOL_RE,
    RESERVED_STORE_PREFIX as RESERVED_PREFIX,
    SITE_TYPES,
)
from ansible_collections.edgestack.glance_ceph.plugins.module_utils._store_options import store_problems


#: Keys a store of the map carries; anything else belongs in "options".
RBD_KEYS = ("cluster", "pool", "user", "ceph_conf", "keyring")
COMMON_KEYS = ("id", "type", "default", "description", "options")
#: Keys an explicit store may carry besides the store keys.
EXPLICIT_ONLY_KEYS = ("merge",)
#: Options a "file" store needs one of.
FILE_DATADIR_OPTIONS = ("filesystem_store_datadir", "filesystem_store_datadirs")
#: Options the rbd keys above already render; giving them in options is ambiguous.
RBD_RENDERED_OPTIONS = ("rbd_store_pool", "rbd_store_user", "rbd_store_ceph_conf")

DEFAULT_IMPORT_METHODS = ("glance-direct", "web-download", "copy-image")


class StoreError(ValueError):
    """A site list, store list or store map input is invalid; the message names the problem and the fix."""

    @property
    def message(self):
        return str(self)


def _fail(msg):
    raise StoreError(msg)


def _is_str(value):
    return isinstance(value, str)


def _check_name(value, what, fix):
    """Validate a site name / store id; raise naming the problem and the fix."""
    if not _is_str(value) or not value:
        _fail(f"{what} must be a non-empty string, got {value!r}: {fix}")
    if not NAME_RE.match(value):
        _fail(
            f"{what} {value!r} is not a valid Ceph cluster name and Glance store id "
            f"(it must match {NAME_RE.pattern}: a lowercase letter, then lowercase "
            f"letters, digits, '_' or '-'): {fix}"
        )
    if value.startswith(RESERVED_PREFIX):
        _fail(
            f"{what} {value!r} starts with {RESERVED_PREFIX!r}, which Glance reserves "
            f"for its staging and tasks stores: {fix}"
        )


# --------------------------------------------------------------------------
# Sites
# --------------------------------------------------------------------------
def validate_sites(sites):
    """Return [(name, type)] for a validated list of sites; raise on problems."""
    fix = "give sites as a list of {name: <site>, type: central|edge}, one per site"
    if isinstance(sites, (str, bytes)) or isinstance(sites, Mapping) or not hasattr(sites, "__iter__"):
        _fail(f"sites must be a list, got {type(sites).__name__}: {fix}")
    result = []
    seen = set()
    for index, entry in enumerate(sites):
        if not isinstance(entry, Mapping):
            _fail(f"sites[{index}] must be a mapping, got {type(entry).__name__}: {fix}")
        unknown = sorted(set(entry) - {"name", "type"})
        if unknown:
            _fail(f"sites[{index}] has unknown keys {unknown}: {fix}")
        name = entry.get("name")
        _check_name(name, f"sites[{index}].name", "rename the site")
        site_type = entry.get("type")
        if site_type not in SITE_TYPES:
            _fail(
                f"sites[{index}] ({name}) has type {site_type!r}: "
                f"set type to one of {', '.join(SITE_TYPES)}"
            )
        if name in seen:
            _fail(f"site {name!r} is listed twice in sites: site names must be unique")
        seen.add(name)
        result.append((name, site_type))
    centrals = [name for name, site_type in result if site_type == "central"]
    if len(centrals) != 1:
        found = ", ".join(centrals) if centrals else "none"
        _fail(
            f"sites must contain exactly one central site, found {len(centrals)} ({found}): "
            "set type: central on exactly one site and type: edge on the others"
        )
    return result


# --------------------------------------------------------------------------
# Stores
# --------------------------------------------------------------------------
def _rbd_store(name, site_type, pool, user, conf_dir, default):
    return {
        "id": name,
        "type": "rbd",
        "cluster": name,
        "pool": pool,
        "user": user,
        "ceph_conf": _rules.ceph_conf_path(conf_dir, name),
        "keyring": _rules.ceph_keyring_path(conf_dir, name, f"client.{user}"),
        "default": default,
        "description": f"{name} ({site_type} site) RBD store",
        "options": {},
    }


def _check_options(options, where):
    if not isinstance(options, Mapping):
        _fail(f"{where}.options must be a mapping of glance_store options, got {type(options).__name__}")
    for key, value in options.items():
        if not _is_str(key) or not key:
            _fail(f"{where}.options has a key {key!r} that is not a string")
        if isinstance(value, (Mapping, list, tuple, set)) or value is None:
            _fail(
                f"{where}.options.{key} must be a string, number or boolean, "
                f"got {type(value).__name__}: glance-api.conf options are scalars"
            )


def _check_store(store, where, conf_dir=None):
    """Validate one complete store (after merging); raise naming the problem."""
    _check_name(store.get("id"), f"{where}.id", "rename the store")
    store_id = store["id"]
    where = f"{where} ({store_id})"
    store_type = store.get("type")
    if store_type not in GLANCE_STORE_TYPES:
        _fail(
            f"{where} has type {store_type!r}: set type to one of "
            f"{', '.join(GLANCE_STORE_TYPES)}"
        )
    allowed = set(COMMON_KEYS) | (set(RBD_KEYS) if store_type == "rbd" else set()) | (
        {"auth"} if store_type == "swift" else set())
    unknown = sorted(set(store) - allowed)
    if unknown:
        hint = (
            "put glance_store options of non-rbd stores under options"
            if store_type != "rbd"
            else f"an rbd store takes {', '.join(RBD_KEYS)} and options"
        )
        _fail(f"{where} has unknown keys {unknown}: {hint}")
    if not isinstance(store.get("default", False), bool):
        _fail(f"{where}.default must be true or false, got {store.get('default')!r}")
    description = store.get("description")
    if description is not None and (not _is_str(description) or "\n" in description):
        _fail(f"{where}.description must be a one-line string")
    _check_options(store.get("options", {}), where)
    if store_type == "rbd":
        for key in RBD_KEYS:
            if not _is_str(store.get(key)) or not store.get(key):
                _fail(f"{where} is an rbd store without {key}: give {key} (a non-empty string)")
        if not NAME_RE.match(store["cluster"]):
            _fail(f"{where}.cluster {store['cluster']!r} is not a valid Ceph cluster name ({NAME_RE.pattern})")
        if not POOL_RE.match(store["pool"]):
            _fail(f"{where}.pool {store['pool']!r} is not a valid pool name")
        if store["user"].startswith("client."):
            _fail(f"{where}.user {store['user']!r}: give the CephX id without the 'client.' prefix")
        if not CEPH_USER_RE.match(store["user"]):
            _fail(f"{where}.user {store['user']!r} is not a valid CephX user id")
        for key in ("ceph_conf", "keyring"):
            if not posixpath.isabs(store[key]):
                _fail(f"{where}.{key} {store[key]!r} must be an absolute path")
        clash = sorted(set(store.get("options", {})) & set(RBD_RENDERED_OPTIONS))
        if clash:
            _fail(
                f"{where}.options sets {clash}, which the store's pool, user and ceph_conf "
                "keys render: set those keys instead"
            )
    if store_type == "file" and not any(opt in store.get("options", {}) for opt in FILE_DATADIR_OPTIONS):
        _fail(
            f"{where} is a file store without a data directory: set options."
            f"{FILE_DATADIR_OPTIONS[0]} (or {FILE_DATADIR_OPTIONS[1]})"
        )
    problems = store_problems(store)
    if problems:
        _fail(f"{where}: " + "; ".join(problems))


def validate_stores(stores):
    """Validate a complete store list (the filter's output shape); raise on problems."""
    if isinstance(stores, (str, bytes, Mapping)) or not hasattr(stores, "__iter__"):
        _fail(f"stores must be a list of stores, got {type(stores).__name__}")
    stores = list(stores)
    if not stores:
        _fail("stores is empty: a Glance API needs at least one store")
    seen = set()
    for index, store in enumerate(stores):
        if not isinstance(store, Mapping):
            _fail(f"stores[{index}] must be a mapping, got {type(store).__name__}")
        _check_store(store, f"stores[{index}]")
        if store["id"] in seen:
            _fail(f"store id {store['id']!r} appears twice: store ids must be unique")
        seen.add(store["id"])
    defaults = [store["id"] for store in stores if store.get("default")]
    if len(defaults) != 1:
        _fail(
            f"exactly one store must be the default, found {len(defaults)} "
            f"({', '.join(defaults) or 'none'}): set default: true on exactly one store"
        )
    return stores


def _merge_store(computed, explicit):
    if explicit.get("merge", True) is False:
        merged = {}
    else:
        merged = _rules.plain_copy(computed)
        if "type" in explicit and explicit["type"] != computed["type"]:
            # A different driver shares nothing with the computed store.
            merged = {}
    for key, value in explicit.items():
        if key in EXPLICIT_ONLY_KEYS:
            continue
        if key == "options" and isinstance(value, Mapping) and isinstance(merged.get("options"), Mapping):
            options = dict(merged["options"])
            options.update(value)
            merged["options"] = options
        else:
            merged[key] = _rules.plain_copy(value)
    merged.setdefault("type", computed["type"])
    return merged


def _complete_new_store(explicit, pool, user, conf_dir):
    store = {key: _rules.plain_copy(value) for key, value in explicit.items() if key not in EXPLICIT_ONLY_KEYS}
    if store.get("type") == "rbd":
        cluster = store.get("cluster")
        if _is_str(cluster) and cluster:
            store.setdefault("pool", pool)
            store.setdefault("user", user)
            store.setdefault("ceph_conf", _rules.ceph_conf_path(conf_dir, cluster))
            store.setdefault("keyring", _rules.ceph_keyring_path(conf_dir, cluster, f"client.{store['user']}"))
    store.setdefault("description", f"{store.get('type')} store {store.get('id')}")
    return store


def glance_store_map(sites, site, pool="images", user="glance", conf_dir="/etc/ceph", stores=None, default_store=None):
    """Return the list of stores the Glance API at ``site`` gets.

    See plugins/filter/glance_store_map.yml for the documentation.
    """
    site_list = validate_sites(sites)
    names = dict(site_list)
    if not _is_str(site) or site not in names:
        _fail(
            f"site {site!r} is not one of the sites ({', '.join(sorted(names))}): "
            "pass the name of a site listed in sites"
        )
    if not _is_str(pool) or not POOL_RE.match(pool or ""):
        _fail(f"pool {pool!r} is not a valid pool name: pass the name of the images pool")
    if not _is_str(user) or not user:
        _fail(f"user {user!r} must be a non-empty CephX user id")
    if user.startswith("client."):
        _fail(f"user {user!r}: give the CephX id without the 'client.' prefix")
    if not CEPH_USER_RE.match(user):
        _fail(f"user {user!r} is not a valid CephX user id")
    if not _is_str(conf_dir) or not posixpath.isabs(conf_dir):
        _fail(f"conf_dir {conf_dir!r} must be an absolute path (where <cluster>.conf files live)")
    conf_dir = posixpath.normpath(conf_dir)

    central = next(name for name, site_type in site_list if site_type == "central")
    edges = sorted(name for name, site_type in site_list if site_type == "edge")
    return site_store_map(site, names, central, edges, pool=pool, user=user, conf_dir=conf_dir,
                          stores=stores, default_store=default_store)


def site_store_map(site, site_types, central, edges, pool="images", user="glance", conf_dir="/etc/ceph",
                   stores=None, default_store=None, clusters=None):
    """The stores of ``site``'s Glance API, from already validated sites.

    ``site_types`` maps every site to its type, ``central`` names the central
    site and ``edges`` the edge sites in store order.  ``clusters`` maps a site
    to the ``{pool, user}`` of its Glance client: a site's computed RBD store
    uses them (default: ``pool`` and ``user``).  Cost: the length of the map.
    """
    clusters = clusters or {}
    conf_dir = posixpath.normpath(conf_dir)
    order = [central] + list(edges) if site == central else [site, central]

    def _own(name, key, default):
        return (clusters.get(name) or {}).get(key) or default

    computed = [_rbd_store(name, site_types[name], _own(name, "pool", pool), _own(name, "user", user),
                           conf_dir, name == site) for name in order]

    if stores is None:
        stores = []
    if isinstance(stores, (str, bytes, Mapping)) or not hasattr(stores, "__iter__"):
        _fail(f"stores must be a list of explicit stores, got {type(stores).__name__}")
    by_id = {store["id"]: index for index, store in enumerate(computed)}
    result = list(computed)
    explicit_defaults = []
    seen_explicit = set()
    explicit_where = {}
    for index, explicit in enumerate(stores):
        where = f"stores[{index}]"
        if not isinstance(explicit, Mapping):
            _fail(f"{where} must be a mapping with at least an id, got {type(explicit).__name__}")
        _check_name(explicit.get("id"), f"{where}.id", "give every explicit store an id")
        store_id = explicit["id"]
        if store_id in seen_explicit:
            _fail(f"{where}: store id {store_id!r} is given twice in stores: give each id once")
        seen_explicit.add(store_id)
        explicit_where[store_id] = where
        if "merge" in explicit and not isinstance(explicit["merge"], bool):
            _fail(f"{where} ({store_id}).merge must be true or false")
        if "default" in explicit and not isinstance(explicit["default"], bool):
            _fail(f"{where} ({store_id}).default must be true or false, got {explicit['default']!r}")
        if store_id in by_id:
            merged = _merge_store(computed[by_id[store_id]], explicit)
            if merged.get("type") == "rbd" and ("cluster" in explicit or "user" in explicit):
                # Another cluster or user: the file paths follow unless given.
                for key in ("ceph_conf", "keyring"):
                    if key not in explicit:
                        merged.pop(key, None)
            cluster = merged.get("cluster") if _is_str(merged.get("cluster")) else ""
            result[by_id[store_id]] = _complete_new_store(merged, _own(cluster, "pool", pool),
                                                          _own(cluster, "user", user), conf_dir)
        else:
            if "type" not in explicit:
                _fail(
                    f"{where} ({store_id}) is a new store (no site has that name) without a type: "
                    f"set type to one of {', '.join(GLANCE_STORE_TYPES)}"
                )
            cluster = explicit.get("cluster") if _is_str(explicit.get("cluster")) else ""
            result.append(_complete_new_store(explicit, _own(cluster, "pool", pool), _own(cluster, "user", user),
                                              conf_dir))
        if explicit.get("default") is True:
            explicit_defaults.append(store_id)

    if len(explicit_defaults) > 1:
        _fail(
            f"stores marks {len(explicit_defaults)} stores as default ({', '.join(explicit_defaults)}): "
            "set default: true on one store only, or pass default_store"
        )
    if default_store is not None:
        if not _is_str(default_store) or default_store not in {store["id"] for store in result}:
            _fail(
                f"default_store {default_store!r} is not one of the stores "
                f"({', '.join(store['id'] for store in result)}): pass one of those ids"
            )
        if explicit_defaults and explicit_defaults[0] != default_store:
            _fail(
                f"default_store {default_store!r} conflicts with stores marking "
                f"{explicit_defaults[0]!r} as default: keep one of the two"
            )
        chosen = default_store
    elif explicit_defaults:
        chosen = explicit_defaults[0]
    else:
        chosen = site
    for store in result:
        store["default"] = store["id"] == chosen
        store.setdefault("options", {})

    for index, store in enumerate(result):
        _check_store(store, explicit_where.get(store["id"], f"store {index}"))
    return validate_stores(result)


def glance_store_maps(sites, pool="images", user="glance", conf_dir="/etc/ceph", stores=None, default_stores=None):
    """Return [{site, type, stores}] for every site, central first, then the edges sorted.

    ``stores`` and ``default_stores`` map a site name to that site's explicit
    stores and default store, as ``glance_store_map`` takes them.
    """
    site_list = validate_sites(sites)
    stores = {} if stores is None else stores
    default_stores = {} if default_stores is None else default_stores
    for what, value in (("stores", stores), ("default_stores", default_stores)):
        if not isinstance(value, Mapping):
            _fail(f"{what} must map a site name to that site's {what}, got {type(value).__name__}")
        unknown = sorted(set(value) - {name for name, _site_type in site_list})
        if unknown:
            _fail(f"{what} names {unknown}, which are not sites: key it by the names of the sites")
    order = sorted(site_list, key=lambda entry: (entry[1] != "central", entry[0]))
    return [
        {
            "site": name,
            "type": site_type,
            "stores": glance_store_map(sites, name, pool=pool, user=user, conf_dir=conf_dir,
                                       stores=stores.get(name), default_store=default_stores.get(name)),
        }
        for name, site_type in order
    ]


def glance_store_clusters(stores, exclude=None):
    """[{name, user, pool}] of the RBD stores' clusters (the preflight's input), but ``exclude``."""
    out = []
    for store in validate_stores(stores):
        if store["type"] == "rbd" and store["cluster"] not in set(exclude or []):
            out.append({"name": store["cluster"], "user": store["user"], "pool": store["pool"]})
    return out


def glance_enabled_backends(stores):
    """Return the enabled_backends value, e.g. ``central:rbd,dcn0:rbd``."""
    stores = validate_stores(stores)
    return ",".join(f"{store['id']}:{store['type']}" for store in stores)


def _format_value(value):
    if isinstance(value, bool):
        return "True" if value else "False"
    return str(value)


def glance_store_sections(stores, import_methods=None, show_image_direct_url=True):
    """Return {section: {option: value}} enabling ``stores`` in glance-api.conf.

    Values are strings as they go into the file.  Sections come in this order:
    DEFAULT, glance_store, then one section per store in the list's order.
    """
    stores = validate_stores(stores)
    if import_methods is None:
        import_methods = list(DEFAULT_IMPORT_METHODS)
    if isinstance(import_methods, (str, bytes, Mapping)) or not all(
        _is_str(method) and method and "," not in method for method in import_methods
    ):
        _fail("import_methods must be a list of import method names, e.g. [glance-direct, web-download, copy-image]")
    sections = {
        "DEFAULT": {
            "enabled_backends": glance_enabled_backends(stores),
            "enabled_import_methods": "[" + ",".join(import_methods) + "]",
            "show_image_direct_url": _format_value(bool(show_image_direct_url)),
        },
        "glance_store": {
            "default_backend": next(store["id"] for store in stores if store["default"]),
        },
    }
    for store in stores:
        section = {}
        if store["type"] == "rbd":
            section["rbd_store_pool"] = store["pool"]
            section["rbd_store_user"] = store["user"]
            section["rbd_store_ceph_conf"] = store["ceph_conf"]
        if store.get("description"):
            section["store_description"] = store["description"]
        for key, value in store.get("options", {}).items():
            section[key] = _format_value(value)
        sections[store["id"]] = section
    return sections


# --------------------------------------------------------------------------
# Role input checks shared by every deployment target
# --------------------------------------------------------------------------
def _cephx_key_ok(key):
    """True when ``key`` has the shape of a CephX secret."""
    return _rules.cephx_key_problem(key) is None


def glance_multistore_problems(stores, clusters=None, keyrings=None, prefix="glance_multistore"):
    """Return a list of problems (strings) with a site's stores, clusters and keyrings.

    An empty list means the inputs agree: every RBD store's cluster has an
    entry in ``clusters`` (fsid, mon_host) and a key in ``keyrings`` for the
    store's user.  Messages name the role variable (``<prefix>_clusters``...)
    and the fix; they never contain a key.
    """
    problems = []
    try:
        stores = validate_stores(stores)
    except StoreError as exc:
        return [f"{prefix}_stores: {exc.message}"]
    clusters = [] if clusters is None else clusters
    keyrings = [] if keyrings is None else keyrings
    if isinstance(clusters, (str, Mapping)) or not hasattr(clusters, "__iter__"):
        return [f"{prefix}_clusters must be a list of {{name, fsid, mon_host}}"]
    if isinstance(keyrings, (str, Mapping)) or not hasattr(keyrings, "__iter__"):
        return [f"{prefix}_keyrings must be a list of {{cluster, user, key}}"]
    known_clusters = {}
    for index, cluster in enumerate(clusters):
        if not isinstance(cluster, Mapping):
            problems.append(f"{prefix}_clusters[{index}] must be a mapping {{name, fsid, mon_host}}")
            continue
        name = cluster.get("name")
        for key in ("name", "fsid", "mon_host"):
            if not _is_str(cluster.get(key)) or not cluster.get(key):
                problems.append(f"{prefix}_clusters[{index}] ({name}) has no {key}: give {key} as a non-empty string")
        if _is_str(cluster.get("fsid")) and not FSID_RE.match(cluster["fsid"]):
            problems.append(f"{prefix}_clusters[{index}] ({name}).fsid {cluster['fsid']!r} is not a UUID")
        if _is_str(cluster.get("mon_host")) and "\n" in cluster["mon_host"]:
            problems.append(f"{prefix}_clusters[{index}] ({name}).mon_host must be one line")
        if name in known_clusters:
            problems.append(f"{prefix}_clusters lists cluster {name!r} twice: give each cluster once")
        known_clusters[name] = cluster
    known_keys = {}
    for index, keyring in enumerate(keyrings):
        if not isinstance(keyring, Mapping):
            problems.append(f"{prefix}_keyrings[{index}] must be a mapping {{cluster, user, key}}")
            continue
        cluster, user = keyring.get("cluster"), keyring.get("user")
        label = f"{prefix}_keyrings[{index}] (client.{user} on {cluster})"
        if not _is_str(cluster) or not _is_str(user) or not cluster or not user:
            problems.append(f"{prefix}_keyrings[{index}] needs a cluster and a user")
            continue
        if user.startswith("client."):
            problems.append(f"{label}: give the user without the 'client.' prefix")
        if not _cephx_key_ok(keyring.get("key")):
            problems.append(
                f"{label}: key is not a CephX key (base64 of 28 bytes): pass the key the "
                "ceph_auth module returned (return_keyring)"
            )
        if (cluster, user) in known_keys:
            problems.append(f"{label} is given twice: give each cluster and user once")
        known_keys[(cluster, user)] = True
    for store in stores:
        if store["type"] != "rbd":
            continue
        if store["cluster"] not in known_clusters:
            problems.append(
                f"store {store['id']!r} uses cluster {store['cluster']!r}, which has no entry in "
                f"{prefix}_clusters: add {{name: {store['cluster']}, fsid: ..., mon_host: ...}}"
            )
        if (store["cluster"], store["user"]) not in known_keys:
            problems.append(
                f"store {store['id']!r} needs the key of client.{store['user']} on cluster "
                f"{store['cluster']!r}, which is not in {prefix}_keyrings: add "
                f"{{cluster: {store['cluster']}, user: {store['user']}, key: ...}} from ceph_auth's return_keyring"
            )
    return problems
