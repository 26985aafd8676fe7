# -*- coding: utf-8 -*-
# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The options glance_store reads in a store's section, and what a store needs.

One home for the rules every caller shares (the store-map filters, the
glance_store_config module, the role's checks):

- ``DRIVER_OPTIONS``: the options glance_store 4.1 (Glance 25, Zed) registers
  for each driver in a multistore section (captured from the installed
  library; tests/unit/fixtures/glance_store_4.1_options.json is that capture);
- ``SECRET_OPTIONS``: the ones glance_store itself marks secret;
- ``store_problems()``: what is wrong with one store's options (an unknown
  option, a missing credential, a Swift store without a reference file);
- ``swift_reference()``: the text of a Swift store's reference file, the file
  ``swift_store_config_file`` names, which keeps its key out of glance-api.conf
  and out of image locations (``swift+config://<reference>/...``);
- ``split_secrets()``: a store section's settings without, and with only, the
  secret options, so that a secret travels in a no_log module option only.

Everything here is pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping

#: Options of every store section (glance_store's driver base class).
COMMON_OPTIONS = ("store_description",)

#: glance_store 4.1's options per driver, as it registers them for a section.
DRIVER_OPTIONS = {
    "rbd": (
        "rados_connect_timeout", "rbd_store_ceph_conf", "rbd_store_chunk_size", "rbd_store_pool",
        "rbd_store_user", "rbd_thin_provisioning",
    ),
    "s3": (
        "s3_store_access_key", "s3_store_bucket", "s3_store_bucket_url_format", "s3_store_create_bucket_on_put",
        "s3_store_host", "s3_store_large_object_chunk_size", "s3_store_large_object_size", "s3_store_secret_key",
        "s3_store_thread_pools",
    ),
    "file": (
        "filesystem_store_chunk_size", "filesystem_store_datadir", "filesystem_store_datadirs",
        "filesystem_store_file_perm", "filesystem_store_metadata_file", "filesystem_thin_provisioning",
    ),
    "http": ("http_proxy_information", "https_ca_certificates_file", "https_insecure"),
    "cinder": (
        "cinder_api_insecure", "cinder_ca_certificates_file", "cinder_catalog_info", "cinder_endpoint_template",
        "cinder_enforce_multipath", "cinder_http_retries", "cinder_mount_point_base", "cinder_os_region_name",
        "cinder_state_transition_timeout", "cinder_store_auth_address", "cinder_store_password",
        "cinder_store_project_domain_name", "cinder_store_project_name", "cinder_store_user_domain_name",
        "cinder_store_user_name", "cinder_use_multipath", "cinder_volume_type", "rootwrap_config",
    ),
    "swift": (
        "default_swift_reference", "swift_buffer_on_upload", "swift_store_admin_tenants",
        "swift_store_auth_address", "swift_store_auth_insecure", "swift_store_auth_version", "swift_store_cacert",
        "swift_store_config_file", "swift_store_container", "swift_store_create_container_on_put",
        "swift_store_endpoint", "swift_store_endpoint_type", "swift_store_expire_soon_interval", "swift_store_key",
        "swift_store_large_object_chunk_size", "swift_store_large_object_size", "swift_store_multi_tenant",
        "swift_store_multiple_containers_seed", "swift_store_region", "swift_store_retry_get_count",
        "swift_store_service_type", "swift_store_ssl_compression", "swift_store_use_trusts", "swift_store_user",
        "swift_upload_buffer_dir",
    ),
}

#: Options glance_store marks secret (plus S3's access key, which is half of a credential
#: and is written into every S3 image location next to the secret key).
SECRET_OPTIONS = frozenset((
    "s3_store_access_key", "s3_store_secret_key", "swift_store_user", "swift_store_key", "cinder_store_password",
))

#: Options a store of the type cannot work without (glance_store refuses to start the store).
REQUIRED_OPTIONS = {
    "s3": ("s3_store_host", "s3_store_access_key", "s3_store_secret_key", "s3_store_bucket"),
}

#: The Swift options that put a credential into glance-api.conf (and, for a store without a
#: reference file, into every image location). glance_store deprecates them for the reference file.
SWIFT_INLINE_AUTH = ("swift_store_auth_address", "swift_store_user", "swift_store_key", "swift_store_auth_version")

#: Keys of a Swift reference (a section of the reference file), as glance_store reads them.
SWIFT_AUTH_KEYS = (
    "auth_address", "user", "key", "auth_version", "project_domain_name", "project_domain_id",
    "user_domain_name", "user_domain_id",
)
SWIFT_AUTH_REQUIRED = ("auth_address", "user", "key")
SWIFT_AUTH_SECRET = ("user", "key")
SWIFT_AUTH_VERSIONS = ("1", "2", "3")

#: Where the collection writes a Swift store's reference file when the store does not name one.
SWIFT_REFERENCE_DIR = "/etc/glance"


def swift_reference_path(store_id, directory=SWIFT_REFERENCE_DIR):
    """Path of the reference file the collection writes for a Swift store."""
    return f"{directory.rstrip('/')}/glance-swift-{store_id}.conf"


def _blank(value):
    return value is None or (isinstance(value, str) and not value.strip())


def store_problems(store):
    """Problems (strings) with one store's driver options; [] when none.

    ``store`` is a store of the map: ``id``, ``type``, ``options`` and, for a
    Swift store, ``auth`` (the reference). The messages name the store key and
    the fix, and never contain a value of a secret option.
    """
    problems = []
    store_type = store.get("type")
    options = store.get("options") or {}
    known = DRIVER_OPTIONS.get(store_type)
    if known is None:
        return problems
    unknown = sorted(set(options) - set(known) - set(COMMON_OPTIONS))
    if unknown:
        problems.append(
            f"options {unknown} are not options of glance_store's {store_type} driver (Glance 25 reads "
            f"{', '.join(known)}): fix the option names")
    missing = [opt for opt in REQUIRED_OPTIONS.get(store_type, ()) if _blank(options.get(opt))]
    if missing:
        problems.append(f"an {store_type} store needs options {missing}: set them (credentials from a vault)")
    if store_type == "s3":
        host = options.get("s3_store_host")
        if isinstance(host, str) and host and not host.startswith(("http://", "https://")):
            problems.append(f"options.s3_store_host {host!r} must be a URL (http://... or https://...)")
    if store_type == "swift":
        problems.extend(_swift_problems(store, options))
    elif "auth" in store:
        problems.append("auth is a key of Swift stores only: put this store's options under options")
    return problems


def _swift_problems(store, options):
    problems = []
    inline = sorted(opt for opt in SWIFT_INLINE_AUTH if opt in options)
    if inline:
        problems.append(
            f"options {inline} put Swift credentials in glance-api.conf and in every image location: "
            "give them as auth: {auth_address, user, key, auth_version} instead (the collection writes "
            "them to the store's reference file, 0640 root:glance)")
        return problems
    if options.get("swift_store_multi_tenant") in (True, "True", "true"):
        if "auth" in store or "swift_store_config_file" in options:
            problems.append("a multi-tenant Swift store authenticates as each user: drop auth and "
                            "swift_store_config_file, or set swift_store_multi_tenant: false")
        return problems
    auth = store.get("auth")
    if auth is None:
        if _blank(options.get("swift_store_config_file")):
            problems.append("a Swift store needs its credentials: give auth: {auth_address, user, key, "
                            "auth_version} (or options.swift_store_config_file naming a reference file "
                            "you deliver yourself, with options.default_swift_reference)")
        return problems
    if not isinstance(auth, dict):
        return problems + ["auth must be a mapping {auth_address, user, key, auth_version, ...}"]
    if "swift_store_config_file" in options:
        problems.append("auth and options.swift_store_config_file both give the Swift credentials: keep one")
    unknown = sorted(set(auth) - set(SWIFT_AUTH_KEYS))
    if unknown:
        problems.append(f"auth has unknown keys {unknown}: a Swift reference takes {', '.join(SWIFT_AUTH_KEYS)}")
    missing = [key for key in SWIFT_AUTH_REQUIRED if _blank(auth.get(key))]
    if missing:
        problems.append(f"auth needs {missing}: set them (credentials from a vault)")
    address = auth.get("auth_address")
    if isinstance(address, str) and address and not address.startswith(("http://", "https://")):
        problems.append(f"auth.auth_address {address!r} must be a URL (http://... or https://...)")
    version = str(auth.get("auth_version", "3"))
    if version not in SWIFT_AUTH_VERSIONS:
        problems.append(f"auth.auth_version {version!r} must be one of {', '.join(SWIFT_AUTH_VERSIONS)} "
                        "(1: the object gateway's or Swift's own auth; 3: Keystone)")
    for key, value in auth.items():
        if isinstance(value, str) and ("\n" in value or "\r" in value):
            problems.append(f"auth.{key} must be one line")
    return problems


def swift_settings(store, directory=SWIFT_REFERENCE_DIR):
    """The glance-api.conf options the collection adds to a Swift store that has ``auth``."""
    if store.get("type") != "swift" or not isinstance(store.get("auth"), dict):
        return {}
    return {"swift_store_config_file": swift_reference_path(store["id"], directory),
            "default_swift_reference": store["id"]}


#: First line of every reference file the collection writes: glance_store_config removes
#: the files that start with it once their store is gone, and no other file.
SWIFT_REFERENCE_HEADER = "# Written by edgestack.glance_ceph (glance_store_config): Swift credentials of store"


def swift_reference(store):
    """Text of a Swift store's reference file: one section named after the store.

    glance_store reads every Swift store's file into one shared parser, so the
    sections of all stores must differ: the store id makes them unique.
    """
    auth = dict(store["auth"])
    auth.setdefault("auth_version", "3")
    lines = [f"{SWIFT_REFERENCE_HEADER} {store['id']}. Do not edit.", f"[{store['id']}]"]
    for key in SWIFT_AUTH_KEYS:
        if key in auth and not _blank(auth[key]):
            lines.append(f"{key} = {auth[key]}")
    return "\n".join(lines) + "\n"


def split_secrets(settings):
    """(public, secrets) of {section: {option: value}}: the secret options apart."""
    public, secrets = {}, {}
    for section, options in settings.items():
        public[section] = {k: v for k, v in options.items() if k not in SECRET_OPTIONS}
        hidden = {k: v for k, v in options.items() if k in SECRET_OPTIONS}
        if hidden:
            secrets[section] = hidden
    return public, secrets


def direct_url_problem(stores, show_image_direct_url):
    """Why S3 stores cannot go with Glance showing image locations; None when they can.

    glance_store writes the S3 access and secret keys into the location of every
    image stored in S3, and Glance shows locations to every user who can see the
    image (direct_url) while show_image_direct_url is true.
    """
    s3 = [store.get("id") for store in stores or [] if store.get("type") == "s3"]
    if s3 and show_image_direct_url:
        return (f"is true while the site has S3 stores ({', '.join(s3)}): glance_store writes the S3 access and "
                "secret keys into the location of every image stored there, which Glance shows to every user "
                "who can see the image (direct_url)")
    return None


def without_secrets(store):
    """A copy of a store without its secret options and Swift credentials."""
    out = dict(store)
    if isinstance(store.get("options"), dict):
        out["options"] = {k: v for k, v in store["options"].items() if k not in SECRET_OPTIONS}
    if isinstance(store.get("auth"), dict):
        out["auth"] = {k: v for k, v in store["auth"].items() if k not in SWIFT_AUTH_SECRET}
    return out


def with_secrets(store, explicit):
    """A copy of ``store`` with the secret options and Swift credentials of ``explicit`` (the
    overlay's store of the same id) put back; ``store`` unchanged when there is none."""
    out = dict(store)
    if not isinstance(explicit, Mapping):
        return out
    options = explicit.get("options")
    if isinstance(options, Mapping):
        hidden = {k: v for k, v in options.items() if k in SECRET_OPTIONS}
        if hidden:
            out["options"] = {**(store.get("options") or {}), **hidden}
    auth = explicit.get("auth")
    if isinstance(auth, Mapping) and isinstance(store.get("auth"), Mapping):
        out["auth"] = {**store["auth"], **{k: v for k, v in auth.items() if k in SWIFT_AUTH_SECRET}}
    return out
