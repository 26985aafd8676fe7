# -*- coding: utf-8 -*-
# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""glance_api_settings: the storage settings a Glance API host gets in glance-api.conf.

Secret store options (S3 keys) are not in glance_api_settings' result: they
travel apart, from glance_api_secrets, into the module's no_log option. A
Swift store's credentials (its auth) go to the reference file that
glance_swift_references describes, which the store's section names.
"""

from __future__ import annotations

import posixpath

from ansible.errors import AnsibleFilterError

from ansible_collections.edgestack.glance_ceph.plugins.filter.glance_stores import glance_store_sections
from ansible_collections.edgestack.glance_ceph.plugins.module_utils._rules import plain_copy
from ansible_collections.edgestack.glance_ceph.plugins.module_utils._store_options import (
    split_secrets, swift_reference, swift_reference_path, swift_settings)

# Glance's own defaults, except rados_connect_timeout: Glance's 0 means "wait
# forever", and an unreachable edge cluster must not hang every upload.
RBD_DEFAULTS = {"rbd_store_chunk_size": 8, "rbd_thin_provisioning": False, "rados_connect_timeout": 30}


def _all_settings(stores, import_methods=None, show_image_direct_url=True, rbd_defaults=None,
                  staging_dir="/var/lib/glance/staging", tasks_dir="/var/lib/glance/tasks_work",
                  worker_self_reference_url="", swift_reference_dir="/etc/glance"):
    if not isinstance(stores, list) or not stores:
        raise AnsibleFilterError("glance_api_settings needs the site's store list (from glance_store_map)")
    defaults = dict(RBD_DEFAULTS)
    defaults.update(rbd_defaults or {})
    https = [s.get("id") for s in stores if isinstance(s, dict) and s.get("type") == "http"]
    if len(https) > 1:
        raise AnsibleFilterError(
            f"stores {https} are all of type http: Glance allows at most one http store; keep one")
    for name, value in (("staging_dir", staging_dir), ("tasks_dir", tasks_dir)):
        if not isinstance(value, str) or not posixpath.isabs(value):
            raise AnsibleFilterError(f"{name} must be an absolute path, got {value!r}")
    if posixpath.normpath(staging_dir) == posixpath.normpath(tasks_dir):
        raise AnsibleFilterError(
            f"the staging and tasks directories are both {staging_dir}: give them distinct directories")
    merged = []
    for store in stores:
        store = plain_copy(store)
        if isinstance(store, dict) and store.get("type") == "rbd":
            options = dict(defaults)
            options.update(store.get("options") or {})
            store["options"] = options
        if isinstance(store, dict) and store.get("type") == "swift" and "auth" in store:
            store["options"] = {**(store.get("options") or {}), **swift_settings(store, swift_reference_dir)}
            store.pop("auth")
        merged.append(store)
    sections = glance_store_sections(merged, import_methods, show_image_direct_url)
    if worker_self_reference_url:
        sections["DEFAULT"]["worker_self_reference_url"] = worker_self_reference_url
    sections["os_glance_staging_store"] = {"filesystem_store_datadir": staging_dir}
    sections["os_glance_tasks_store"] = {"filesystem_store_datadir": tasks_dir}
    return sections


def glance_api_settings(stores, import_methods=None, show_image_direct_url=True, rbd_defaults=None,
                        staging_dir="/var/lib/glance/staging", tasks_dir="/var/lib/glance/tasks_work",
                        worker_self_reference_url="", swift_reference_dir="/etc/glance"):
    """Return {section: {option: value}} for glance-api.conf on a host, secret options left out."""
    return split_secrets(_all_settings(stores, import_methods, show_image_direct_url, rbd_defaults, staging_dir,
                                       tasks_dir, worker_self_reference_url, swift_reference_dir))[0]


def glance_api_secrets(stores):
    """Return {section: {option: value}}: the secret options of the stores' sections only."""
    sections = {}
    for store in stores if isinstance(stores, list) else []:
        if isinstance(store, dict) and store.get("id") and isinstance(store.get("options"), dict):
            sections[store["id"]] = {k: str(v) for k, v in store["options"].items()}
    return split_secrets(sections)[1]


def glance_swift_references(stores, directory="/etc/glance"):
    """Return [{store, path, content}]: the reference file of every Swift store that has auth."""
    if not isinstance(directory, str) or not posixpath.isabs(directory):
        raise AnsibleFilterError(f"directory must be an absolute path, got {directory!r}")
    return [{"store": store["id"], "path": swift_reference_path(store["id"], directory),
             "content": swift_reference(store)}
            for store in stores if isinstance(store, dict) and store.get("type") == "swift"
            and isinstance(store.get("auth"), dict)]


class FilterModule:
    """glance-api.conf settings for a host."""

    def filters(self):
        return {"glance_api_settings": glance_api_settings, "glance_api_secrets": glance_api_secrets,
                "glance_swift_references": glance_swift_references}
