# -*- coding: utf-8 -*-
# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs the ceph_auth module, hiding its output when it returns keyrings.

A module cannot mark its own result no_log; an action plugin can. With
``return_keyring: true`` the module's raw output (which Ansible's connection
plugins print from -vvv on) is treated as no_log while the module runs, and a
result that holds keyrings is flagged ``_ansible_no_log``, so that callbacks,
the log and every verbosity show it censored, exactly as for a task with
``no_log: true``. The registered variable keeps the data.
"""

from __future__ import annotations

from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase
from ansible.utils.vars import merge_hash


class ActionModule(ActionBase):

    _supports_check_mode = True
    _supports_async = True

    # the result keys that hold secrets when present and not empty
    SECRET_RESULT_KEYS = ('keyrings',)

    def _returns_secrets(self):
        try:
            return boolean(self._task.args.get('return_keyring', False), strict=False)
        except TypeError:
            return False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp  # tmp no longer has any effect

        wrap_async = self._task.async_val and not self._connection.has_native_async
        contexts = []
        if self._returns_secrets():
            # The connection prints the module's raw output at -vvv unless the
            # play context says no_log.
            for holder in (self, self._connection):
                context = getattr(holder, '_play_context', None)
                if context is not None and all(context is not c for c, dummy in contexts):
                    contexts.append((context, context.no_log))
                    context.no_log = True
        try:
            result = merge_hash(result, self._execute_module(task_vars=task_vars, wrap_async=wrap_async))
        finally:
            for context, no_log in contexts:
                context.no_log = no_log
        if any(result.get(key) for key in self.SECRET_RESULT_KEYS):
            result['_ansible_no_log'] = True

        if not wrap_async:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        return result
