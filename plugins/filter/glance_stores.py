# -*- coding: utf-8 -*-
# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Glance store map filters (the logic lives in module_utils/_glance_stores.py).

Filters:
  glance_store_map            sites -> the stores of one site's Glance API
  glance_store_maps           sites -> [{site, type, stores}] for every site
  glance_enabled_backends     stores -> "central:rbd,dcn0:rbd"
  glance_store_sections       stores -> {section: {option: value}} for glance-api.conf
  glance_store_clusters       stores -> [{name, user, pool}] of their RBD clusters
  glance_multistore_problems  stores + clusters + keyrings -> [problem, ...]
"""

from __future__ import annotations

import functools

from ansible.errors import AnsibleFilterError

from ansible_collections.edgestack.glance_ceph.plugins.module_utils import _glance_stores
from ansible_collections.edgestack.glance_ceph.plugins.module_utils._glance_stores import (  # noqa: F401
    DEFAULT_IMPORT_METHODS,
    GLANCE_STORE_TYPES,
    validate_sites as _validate_sites,
    validate_stores as _validate_stores,
)

__all__ = [
    "DEFAULT_IMPORT_METHODS",
    "GLANCE_STORE_TYPES",
    "glance_store_map",
    "glance_store_maps",
    "glance_enabled_backends",
    "glance_store_sections",
    "glance_multistore_problems",
    "validate_sites",
    "validate_stores",
]


def _filter(func):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except _glance_stores.StoreError as exc:
            raise AnsibleFilterError(str(exc)) from None
    return wrapper


validate_sites = _filter(_validate_sites)
validate_stores = _filter(_validate_stores)
glance_store_map = _filter(_glance_stores.glance_store_map)
glance_store_maps = _filter(_glance_stores.glance_store_maps)
glance_enabled_backends = _filter(_glance_stores.glance_enabled_backends)
glance_store_sections = _filter(_glance_stores.glance_store_sections)
glance_store_clusters = _filter(_glance_stores.glance_store_clusters)
glance_multistore_problems = _filter(_glance_stores.glance_multistore_problems)


class FilterModule:
    """Glance store map filters."""

    def filters(self):
        return {
            "glance_store_map": glance_store_map,
            "glance_store_maps": glance_store_maps,
            "glance_enabled_backends": glance_enabled_backends,
            "glance_store_sections": glance_store_sections,
            "glance_store_clusters": glance_store_clusters,
            "glance_multistore_problems": glance_multistore_problems,
        }
