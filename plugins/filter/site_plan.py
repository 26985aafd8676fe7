# -*- coding: utf-8 -*-
# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""site_plan: the inventory's site plan and every problem of it (module_utils/_site_plan.py)."""

from __future__ import annotations

import os

import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.edgestack.glance_ceph.plugins.filter.role_problems import SETTINGS as ROLE_SETTINGS
from ansible_collections.edgestack.glance_ceph.plugins.module_utils import _site_plan


# The collection's roles, beside its plugins.
ROLES_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), 'roles')
_ROLE_OPTIONS = {}


def role_options(roles_dir=ROLES_DIR):
    """``{role: {variable: spec}}``: the options of every entry point of each of the collection's
    roles (meta/argument_specs.yml), read once per process."""
    if roles_dir not in _ROLE_OPTIONS:
        loader = getattr(yaml, 'CSafeLoader', yaml.SafeLoader)
        found = {}
        for role in sorted(os.listdir(roles_dir)) if os.path.isdir(roles_dir) else []:
            path = os.path.join(roles_dir, role, 'meta', 'argument_specs.yml')
            if not os.path.isfile(path):
                continue
            with open(path, encoding='utf-8') as handle:
                data = yaml.load(handle, Loader=loader) or {}
            options = {}
            for entry in (data.get('argument_specs') or {}).values():
                options.update((entry or {}).get('options') or {})
            found[role] = options
        _ROLE_OPTIONS[roles_dir] = found
    return _ROLE_OPTIONS[roles_dir]


def site_plan(hostvars, groups, conf_dir=_site_plan.CONF_DIR):
    """``{plan, problems}`` of the inventory (``hostvars`` and ``groups``); the role variables its
    hosts set are checked against the collection's role argument specs, and the role settings
    they set against the roles' own checks (role_problems)."""
    if not hasattr(hostvars, '__getitem__') or not hasattr(groups, 'get'):
        raise AnsibleFilterError('site_plan takes hostvars and groups: hostvars | edgestack.glance_ceph.site_plan(groups)')
    return _site_plan.build(hostvars, groups, conf_dir=conf_dir, role_options=role_options(),
                            role_settings=ROLE_SETTINGS)


def site_plan_hosts(groups):
    """The host pattern of ``groups``, which must be among the groups the site plan reads."""
    if isinstance(groups, str) or not isinstance(groups, (list, tuple)) or not groups:
        raise AnsibleFilterError('site_plan_hosts takes a list of the site plan\'s groups (%s)'
                                 % ', '.join(_site_plan.ROLE_GROUPS))
    unknown = [g for g in groups if g not in _site_plan.ROLE_GROUPS]
    if unknown:
        raise AnsibleFilterError('site_plan_hosts: %s not among the groups the site plan reads (%s)'
                                 % (', '.join(map(str, unknown)), ', '.join(_site_plan.ROLE_GROUPS)))
    return ':'.join(groups)


def site_plan_unavailable(plan, hostvars, fact='edgestack_ceph_converged'):
    """The sites whose Ceph admin host did not set ``fact`` this run ([] when none did)."""
    try:
        admins = [entry.get('ceph_admin') for entry in plan['site'].values()]
    except (KeyError, TypeError, AttributeError):
        raise AnsibleFilterError('site_plan_unavailable takes the plan of site_plan (its plan key)') from None
    converged = {}
    for admin in admins:
        if admin:
            try:
                converged[admin] = bool(hostvars[admin].get(fact))
            except KeyError:
                converged[admin] = False
    return _site_plan.unavailable_sites(plan, converged)


def site_plan_published(plan, hostvars, fact='ceph_client_auth_cluster'):
    """What each site's Ceph admin host published in ``fact`` this run, by cluster name.

    Sites whose admin host did not publish (it failed, or --limit left it out) are not keys.
    The values hold keys: callers keep them out of output (no_log)."""
    try:
        admins = [(name, entry.get('ceph_admin')) for name, entry in plan['site'].items()]
    except (KeyError, TypeError, AttributeError):
        raise AnsibleFilterError('site_plan_published takes the plan of site_plan (its plan key)') from None
    published = {}
    for name, admin in admins:
        if not admin:
            continue
        try:
            value = hostvars[admin].get(fact)
        except KeyError:
            continue
        if value:
            published[name] = value
    return published


def site_plan_reachable_stores(stores, unavailable):
    """The stores whose cluster is not among ``unavailable`` (stores of other types stay)."""
    return _site_plan.reachable_stores(stores, unavailable)


def site_plan_store_secrets(stores, explicit):
    """The plan's ``stores`` with the secrets of the site's explicit stores (``edgestack_glance_stores``) put back."""
    if not isinstance(stores, list):
        raise AnsibleFilterError('site_plan_store_secrets takes a store list of the plan (plan.site[site].stores)')
    return _site_plan.with_store_secrets(stores, explicit)


def site_plan_summary(plan, hostvars):
    """One line per site of the plan: what converged this run, and which hosts did not."""
    facts = {}
    for entry in plan['site'].values():
        for group in ('ceph_admins', 'glance_api', 'glance_haproxy'):
            for host in entry.get(group) or []:
                if host in facts:
                    continue
                try:
                    host_vars = hostvars[host]
                except KeyError:
                    facts[host] = set()
                    continue
                facts[host] = set(fact for _stage, _group, fact in _site_plan.STAGES if host_vars.get(fact))
    return _site_plan.summary(plan, facts)


class FilterModule:
    """The site plan."""

    def filters(self):
        return {
            'site_plan': site_plan,
            'site_plan_hosts': site_plan_hosts,
            'site_plan_unavailable': site_plan_unavailable,
            'site_plan_published': site_plan_published,
            'site_plan_reachable_stores': site_plan_reachable_stores,
            'site_plan_summary': site_plan_summary,
            'site_plan_store_secrets': site_plan_store_secrets,
        }
