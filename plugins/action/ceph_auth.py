# -*- coding: utf-8 -*-
# Copyright (c) 2026, edgestack maintainers
# Apache License, Version 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Runs the ceph_auth module and hides its result when it returns keyrings.

A module cannot mark its own result no_log; an action plugin can. When the
module returns keys (``keyrings``), the result is flagged ``_ansible_no_log``
so that callbacks, the log and every verbosity show it censored, exactly as
for a task with ``no_log: true``. The registered variable keeps the data.
"""

from __future__ import annotations

from ansible.plugins.action import ActionBase
from ansible.utils.vars import merge_hash


class ActionModule(ActionBase):

    _supports_check_mode = True
    _supports_async = True

    # the result keys that hold secrets when present and not empty
    SECRET_RESULT_KEYS = ('keyrings',)

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp  # tmp no longer has any effect

        wrap_async = self._task.async_val and not self._connection.has_native_async
        result = merge_hash(result, self._execute_module(task_vars=task_vars, wrap_async=wrap_async))
        if any(result.get(key) for key in self.SECRET_RESULT_KEYS):
            result['_ansible_no_log'] = True

        if not wrap_async:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        return result
