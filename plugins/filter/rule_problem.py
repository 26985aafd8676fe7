# -*- coding: utf-8 -*-
# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""rule_problem: what is wrong with a value under one of the collection's rules (module_utils/_rules.py)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.edgestack.glance_ceph.plugins.module_utils import _rules

RULES = {
    'site_name': _rules.site_name_problem,
    'cluster_name': _rules.cluster_name_problem,
    'ceph_user': _rules.ceph_user_problem,
    'client_name': _rules.client_name_problem,
    'pool_name': _rules.pool_name_problem,
    'fsid': _rules.fsid_problem,
    'cephx_key': _rules.cephx_key_problem,
    'port': _rules.port_problem,
    'host_address': _rules.host_address_problem,
}


def rule_problem(value, rule):
    """The reason ``value`` breaks ``rule``, or an empty string. Never quotes a key."""
    if rule not in RULES:
        raise AnsibleFilterError('rule_problem: unknown rule %r, use one of %s' % (rule, ', '.join(sorted(RULES))))
    return RULES[rule](value) or ''


def url_host(value):
    """An address as a URL or a HAProxy bind or server line writes it: IPv6 in brackets."""
    return _rules.url_host(value)


class FilterModule:
    """The collection's rules for role checks and templates."""

    def filters(self):
        return {'rule_problem': rule_problem, 'url_host': url_host}
