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

from ansible import constants as C
from ansible.errors import AnsibleActionFail
from ansible.executor.interpreter_discovery import discover_interpreter
from ansible.plugins.action import ActionBase
from ansible.utils.display import Display
from ansible.utils.vars import merge_hash

from ansible_collections.edgestack.glance_ceph.plugins.module_utils import _ceph
from ansible_collections.edgestack.glance_ceph.plugins.module_utils import _lifecycle

display = Display()

# Interpreter settings that ask Ansible to discover the host's Python.
DISCOVERY_MODES = ('auto', 'auto_legacy', 'auto_silent', 'auto_legacy_silent')

# What the host expands in a path option (the module's "path" type does it there,
# as the user the module runs as); the controller must not expand it in its place.
HOST_EXPANDED = ('~', '$')


def lookup_interpreter(configured, discovered=None):
    """The command words of the host's Python: the configured one (``ansible_python_interpreter``,
    or the ``interpreter_python`` setting) unless it asks for discovery, else the discovered one;
    None when it is still to be discovered."""
    if configured and str(configured) not in DISCOVERY_MODES:
        return shlex.split(str(configured))
    return shlex.split(str(discovered)) if discovered else None


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

    def lookup_entities(self, params):
        """The only CephX entities an ``auth ls`` answer brings back (keys included), or None."""
        return None

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
            settled = self._lookup(params, task_vars, result) if params is not None else None
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
        """The task's arguments as the module would see them, or None (the module then runs)."""
        spec = self.argument_spec()
        for name, option in spec.items():
            value = self._task.args.get(name)
            if option.get('type') == 'path' and isinstance(value, str) and any(c in value for c in HOST_EXPANDED):
                self._miss('%s %s is expanded on the host' % (name, value))
                return None
        try:
            dummy, params = self.validate_argument_spec(argument_spec=spec)
        except AnsibleActionFail:
            return None
        return params

    def _miss(self, reason):
        display.vvv('%s: the module runs: %s' % (self._task.action, reason),
                    host=getattr(self._play_context, 'remote_addr', None))

    def _interpreter(self, task_vars, result):
        """The host's Python as Ansible would run the module with it: the configured one, or the
        discovered one, discovering it now (once per host, as a module would) when it is not yet."""
        use_vars = task_vars
        if self._task.delegate_to:
            use_vars = (task_vars.get('ansible_delegated_vars') or {}).get(self._task.delegate_to) or task_vars
        configured = C.config.get_config_value('INTERPRETER_PYTHON', variables=use_vars)
        configured = self._templar.template(configured) if configured else configured
        facts = use_vars.get('ansible_facts') or {}
        words = lookup_interpreter(configured, facts.get('discovered_interpreter_python'))
        if words is not None:
            return words
        found = discover_interpreter(action=self, interpreter_name='python', discovery_mode=configured or 'auto',
                                     task_vars=use_vars)
        if found and (not self._task.delegate_to or self._task.delegate_facts):
            # As Ansible does for a module: the next tasks on this host (and a module this task
            # runs) use it without discovering it again.
            task_vars.setdefault('ansible_facts', {})['discovered_interpreter_python'] = found
            result.setdefault('ansible_facts', {})['discovered_interpreter_python'] = found
        return lookup_interpreter(found)

    def _quiet(self):
        """Treat what the host prints as no_log while the task runs (connections print it from -vvv on)."""
        contexts = []
        for holder in (self, self._connection):
            context = getattr(holder, '_play_context', None)
            if context is not None and all(context is not c for c, dummy in contexts):
                contexts.append((context, context.no_log))
                context.no_log = True
        return contexts

    def _lookup(self, params, task_vars, result):
        try:
            settings, request = self.lookup_request(params)
        except (_lifecycle.EdgestackModuleError, ValueError, KeyError, TypeError) as exc:
            self._miss(str(exc))
            return None
        if request is None:
            self._miss('transport %s%s' % (settings.transport, ' with cli_prefix' if settings.cli_prefix else ''))
            return None
        interpreter = self._interpreter(task_vars, result)
        if not interpreter:
            self._miss('no Python found on the host')
            return None
        command = self._low_level_execute_command(shlex.join(_ceph.lookup_argv(interpreter, request)))
        if command.get('rc') != 0:
            self._miss('the lookup exited with %s' % command.get('rc'))
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
        return settings, _ceph.lookup_request(settings, cmds, objects, self.lookup_entities(params))

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
        except (_ceph.LookupMiss, _lifecycle.EdgestackModuleError) as exc:
            # The collection's messages name commands, options and pools, never a key.
            self._miss(exc.msg if isinstance(exc, _lifecycle.EdgestackModuleError) else str(exc))
            return None
        except (ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
            # An answer the plan could not read: only the kind of error, since the text of one
            # could quote the answer (keys, for auth ls).
            self._miss('an answer the plan could not read (%s)' % type(exc).__name__)
            return None
        if values is None:
            self._miss('the plan has work')
            return None
        values.update(_ceph.connection_values(client, monmap))
        values.update(changed=False, actions=[], lookup_only=True)
        if diff:
            values['diff'] = []
        return values
