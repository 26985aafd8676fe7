# -*- coding: utf-8 -*-
# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs the ceph_pool module only when the pools differ from the declared ones.

A read-only lookup (plugin_utils/_ceph_lookup.py) reads the pools, the CRUSH
rules a pool names, the rbd_info objects and the monitor map in one command on
the host; the module's own read and plan (module_utils/_pool.py) run on the
answers. Pools as declared: the result is the module's, without the module.
"""

from __future__ import annotations

from ansible_collections.edgestack.glance_ceph.plugins.module_utils import _pool
from ansible_collections.edgestack.glance_ceph.plugins.plugin_utils._ceph_lookup import LookupAction


class ActionModule(LookupAction):

    def module_argument_spec(self):
        return _pool.module_argument_spec()

    def failure(self):
        return dict(mon_allow_pool_delete_overridden=False)

    def lookup_reads(self, params):
        return _pool.lookup_reads(_pool.desired_pools(params['pools']))

    def settle(self, client, params):
        desired = _pool.desired_pools(params['pools'])
        current, rule_dump = _pool.read(client, desired)
        plan = _pool.plan(desired, current, allow_delete=params['allow_delete'], rule_dump=rule_dump)
        if plan.has_work:
            return None
        return dict(self.failure(), pools=plan.after, before=plan.before, after=plan.after)
