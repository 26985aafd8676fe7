# -*- coding: utf-8 -*-
# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The action side of the Ceph modules: read first, run the module only when it has work.

An action plugin built on ``LookupAction`` first reads the cluster with one
command on the host (``module_utils/_ceph.LOOKUP_SCRIPT`` run by the host's
Python, which needs python3-rados and nothing of Ansible), then runs the
module's own read and plan functions on the controller over the answers
(``_ceph.RecordedClient``). When that plan has nothing to do, the task's
result is what the module would have returned, built by the same functions,
and no module is packed, sent or started: a run that changes nothing costs
one command per host (docs/scale.md). In every other case the module runs, as
it always did, and decides, applies and reports itself:

- the plan has an action, a warning or a need;
- the lookup cannot tell: the transport is the CLI or has a command prefix,
  the host's Python lacks python3-rados, the conf is missing, an answer is an
  error, or the read asks for something the lookup did not read;
- the task's arguments do not validate against the module's argument spec
  (the module reports that in its own words);
- the task is asynchronous.

A cluster that does not let the lookup connect fails the task as the module
would, in its words: the module, with the same library and time limits, would
only wait as long again.

Check and diff modes behave as the module's: the lookup only reads, and a
plan without actions has an empty diff.

This file is private to the collection (leading underscore): its interface
may change without notice.
"""

from __future__ import annotations

import shlex

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase
from ansible.utils.vars import merge_hash

from ansible_collections.edgestack.glance_ceph.plugins.module_utils import _ceph
from ansible_collections.edgestack.glance_ceph.plugins.module_utils import _lifecycle

# The host's Python when the inventory names none and no module has discovered it yet.
DEFAULT_INTERPRETER = '/usr/bin/python3'


def lookup_interpreter(interpreter, discovered=None):
    """The command words of the host's Python: ``ansible_python_interpreter`` unless it asks
    for discovery, else the discovered one, else DEFAULT_INTERPRETER."""
    if not interpreter or str(interpreter).startswith('auto'):
        interpreter = discovered or DEFAULT_INTERPRETER
    return shlex.split(str(interpreter))


class LookupAction(ActionBase):
    """Runs a Ceph module only when a read-only lookup finds work for it (see the file's docstring)."""

    _supports_check_mode = True
    _supports_async = True

    def module_argument_spec(self):
        """The module's options but the connection and monitor ones."""
        raise NotImplementedError

    def argument_spec(self):
        """The module's whole argument spec."""
        return _ceph.module_argument_spec(self.module_argument_spec())

    def lookup_reads(self, params):
        """(monitor commands, objects) the module's read needs for ``params``, the monitor map aside."""
        raise NotImplementedError

    def settle(self, client, params):
        """The module's return values when its plan over ``client`` has nothing to do, else None.

        ``client`` answers from the lookup; a read it cannot answer raises
        ``_ceph.LookupMiss``, as a module error raises ``EdgestackModuleError``:
        both mean "run the module".
        """
        raise NotImplementedError

    def failure(self):
        """The module's return values that a failure reports too, beyond the connection's."""
        return {}

    # Whether the lookup's output or the module's can hold keys: then what the host prints
    # is treated as no_log while the task runs.
    SECRET_OUTPUT = False

    def run(self, tmp=None, task_vars=None):
        result = super(LookupAction, self).run(tmp, task_vars)
        del tmp  # tmp no longer has any effect
        task_vars = task_vars or {}
        wrap_async = self._task.async_val and not self._connection.has_native_async
        params = None if self._task.async_val else self._validated()
        contexts = self._quiet() if self.SECRET_OUTPUT else []
        try:
            settled = self._lookup(params, task_vars) if params is not None else None
            if settled is None:
                result = merge_hash(result, self._execute_module(task_vars=task_vars, wrap_async=wrap_async))
                result.setdefault('lookup_only', False)
            else:
                result.update(settled)
        finally:
            for context, no_log in contexts:
                context.no_log = no_log
        if not wrap_async:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        return result

    def _validated(self):
        try:
            dummy, params = self.validate_argument_spec(argument_spec=self.argument_spec())
        except AnsibleActionFail:
            return None
        return params

    def _quiet(self):
        """Treat what the host prints as no_log while the task runs (connections print it from -vvv on)."""
        contexts = []
        for holder in (self, self._connection):
            context = getattr(holder, '_play_context', None)
            if context is not None and all(context is not c for c, dummy in contexts):
                contexts.append((context, context.no_log))
                context.no_log = True
        return contexts

    def _lookup(self, params, task_vars):
        try:
            settings, request = self.lookup_request(params)
        except (_lifecycle.EdgestackModuleError, ValueError, KeyError, TypeError):
            return None
        if request is None:
            return None
        interpreter = lookup_interpreter(
            self._templar.template(task_vars.get('ansible_python_interpreter')),
            (task_vars.get('ansible_facts') or {}).get('discovered_interpreter_python'))
        command = self._low_level_execute_command(shlex.join(_ceph.lookup_argv(interpreter, request)))
        if command.get('rc') != 0:
            return None
        return self.outcome(settings, request, command.get('stdout'), params, diff=self._task.diff)

    def lookup_request(self, params):
        """(connection settings, the lookup's request), the request None when no lookup can read this cluster."""
        settings = _ceph.ConnectionSettings.from_params(params)
        if not _ceph.lookup_possible(settings):
            return settings, None
        cmds, objects = self.lookup_reads(params)
        if params.get('mon_addresses') is not None:
            cmds = [_ceph.MON_DUMP] + list(cmds)
        return settings, _ceph.lookup_request(settings, cmds, objects)

    def outcome(self, settings, request, stdout, params, diff=False):
        """The task's result from the lookup's output: the module's result without the module,
        its failure to connect, or None (run the module)."""
        try:
            client = _ceph.RecordedClient(settings, request, _ceph.lookup_answers(stdout, settings))
            monmap = _ceph.monitor_map(client, params)
            _ceph.check_monitors(monmap, params, settings.cluster)
            values = self.settle(client, params)
        except _ceph.CephConnectError as exc:
            # The module's failure, as the module would report it after waiting as long again.
            return dict(self.failure(), failed=True, changed=False, actions=[], msg=exc.msg, lookup_only=True)
        except (_ceph.LookupMiss, _lifecycle.EdgestackModuleError, ValueError, KeyError, TypeError):
            return None
        if values is None:
            return None
        values.update(_ceph.connection_values(client, monmap))
        values.update(changed=False, actions=[], lookup_only=True)
        if diff:
            values['diff'] = []
        return values
