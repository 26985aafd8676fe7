# -*- coding: utf-8 -*-
# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs the ceph_auth module only when the clients differ, and hides keyrings.

A read-only lookup (plugin_utils/_ceph_lookup.py) reads every client and the
monitor map in one command on the host; the module's own read and plan
(module_utils/_auth.py) run on the answers. Clients as declared: the result is
the module's, without the module.

The answers of ``auth ls`` hold keys, and so does the result with
``return_keyring: true``. A module cannot mark its own result no_log; an
action plugin can. While the task runs, what the host prints (the lookup's
answers, the module's output: Ansible's connection plugins print it from -vvv
on) is treated as no_log, and a result that holds keyrings is flagged
``_ansible_no_log``, so that callbacks, the log and every verbosity show it
censored, exactly as for a task with ``no_log: true``. The registered variable
keeps the data.
"""

from __future__ import annotations


from ansible_collections.edgestack.glance_ceph.plugins.module_utils import _auth
from ansible_collections.edgestack.glance_ceph.plugins.plugin_utils._ceph_lookup import LookupAction


class ActionModule(LookupAction):

    # the result keys that hold secrets when present and not empty
    SECRET_RESULT_KEYS = ('keyrings',)
    # The lookup's answers (auth ls) hold keys, and so does the module's output with return_keyring.
    SECRET_OUTPUT = True

    def module_argument_spec(self):
        return _auth.module_argument_spec()

    def lookup_reads(self, params):
        return [_auth.READ], []

    def lookup_entities(self, params):
        # The plan looks at these only: no other key leaves the host.
        return [client['name'] for client in params['clients']]

    def settle(self, client, params):
        desired = _auth.desired_clients(params['clients'])
        current = _auth.read(client)
        if _auth.rotations(desired, current):
            return None
        plan = _auth.plan(desired, current, allow_caps_removal=params['allow_caps_removal'])
        if plan.has_work:
            return None
        clients, keyrings = _auth.outcome(plan, current, return_keyring=params['return_keyring'])
        values = dict(clients=clients, before=plan.before, after=clients)
        if keyrings is not None:
            values['keyrings'] = keyrings
        return values

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        if any(result.get(key) for key in self.SECRET_RESULT_KEYS):
            result['_ansible_no_log'] = True
        return result
