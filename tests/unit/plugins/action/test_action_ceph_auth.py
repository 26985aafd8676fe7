# -*- coding: utf-8 -*-
# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ceph_auth action plugin hides a result that holds keyrings, and what the host prints."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


FIXTURES = Path(__file__).resolve().parents[2] / 'fixtures'
GLANCE = 'client.it-fx-glance'
GLANCE_CAPS = {'mon': 'profile rbd', 'osd': 'profile rbd pool=images', 'mgr': 'profile rbd pool=images'}


def _answers(caps_of_glance=None):
    """What the lookup script prints for `auth ls` on the cluster the fixtures were captured from."""
    dump = json.loads((FIXTURES / 'central_auth_ls.json').read_text())
    if caps_of_glance is not None:
        for entry in dump['auth_dump']:
            if entry['entity'] == GLANCE:
                entry['caps'] = caps_of_glance
    return 'librados chatter\n' + json.dumps({'mon': [[0, json.dumps(dump), '']], 'objects': []}) + '\n'


@pytest.fixture
def action_run(monkeypatch):
    """Runs the ceph_auth action with a host that prints ``stdout`` for the lookup; records what ran."""
    from ansible_collections.edgestack.glance_ceph.plugins.action import ceph_auth as action
    from ansible.plugins.action import ActionBase

    def run(args, stdout, rc=0, task_vars=None, module_result=None):
        class Task(object):
            action = 'edgestack.glance_ceph.ceph_auth'
            async_val = 0
            diff = False
            delegate_to = None
            delegate_facts = None

        class PlayContext(object):
            no_log = False

        class Connection(object):
            has_native_async = False
            _play_context = PlayContext()

            class _shell(object):
                tmpdir = None

        class Templar(object):
            @staticmethod
            def template(value):
                return value

        seen = {'commands': [], 'modules': []}

        def command(self, cmd, **kw):
            seen['commands'].append((cmd, self._play_context.no_log, self._connection._play_context.no_log))
            return {'rc': rc, 'stdout': stdout, 'stderr': ''}

        def execute(self, **kw):
            seen['modules'].append((self._play_context.no_log, self._connection._play_context.no_log))
            return dict(module_result if module_result is not None else {'changed': True, 'actions': [{'action': 'caps'}]})

        plugin = action.ActionModule.__new__(action.ActionModule)
        plugin._task = Task()
        plugin._task.args = args
        plugin._connection = Connection()
        plugin._play_context = PlayContext()
        plugin._templar = Templar()
        monkeypatch.setattr(ActionBase, 'run', lambda self, tmp=None, task_vars=None: {})
        monkeypatch.setattr(action.ActionModule, '_low_level_execute_command', command)
        monkeypatch.setattr(action.ActionModule, '_execute_module', execute)
        monkeypatch.setattr(action.ActionModule, '_remove_tmp_path', lambda self, path: None)
        out = plugin.run(task_vars=dict({'ansible_python_interpreter': '/usr/bin/python3'}, **(task_vars or {})))
        assert plugin._play_context.no_log is False and plugin._connection._play_context.no_log is False
        return out, seen
    return run


# Arguments the module's spec refuses (no clients): the lookup is not tried and the module runs.
# What the host prints is no_log in every case: the lookup's answers (auth ls) hold keys.
@pytest.mark.parametrize('args, result, hidden', [
    ({}, {'changed': False}, False),
    ({'return_keyring': True}, {'keyrings': {}}, False),
    ({'return_keyring': 'yes'}, {'keyrings': {'client.x': '[client.x]\n'}}, True),
])
def test_action_plugin_hides_keyrings(action_run, args, result, hidden):
    out, seen = action_run(args, '', module_result=result)
    assert out.get('_ansible_no_log', False) is hidden
    # the raw module output is no_log while the module runs, and only then (action_run checks after)
    assert seen == {'commands': [], 'modules': [(True, True)]}
    assert out['lookup_only'] is False


def test_clients_as_declared_are_answered_by_the_lookup_quietly(action_run):
    args = {'cluster': 'central', 'return_keyring': True, 'clients': [{'name': GLANCE, 'caps': GLANCE_CAPS}]}
    out, seen = action_run(args, _answers())
    assert seen['modules'] == []
    [(cmd, quiet, connection_quiet)] = seen['commands']
    # the host's Python, isolated, with the script and the request: where and what, no key
    assert cmd.startswith('/usr/bin/python3 -I -c ') and 'AQ' not in cmd
    assert quiet and connection_quiet
    assert out['lookup_only'] is True and out['changed'] is False and sorted(out['keyrings']) == [GLANCE]
    assert out['_ansible_no_log'] is True


@pytest.mark.parametrize('stdout, rc', [
    (_answers({'mon': 'profile rbd'}), 0),   # drift: the module converges it
    (_answers(), 1),                          # the command failed
    ('', 0),                                  # no answer
])
def test_anything_else_runs_the_module_quietly(action_run, stdout, rc):
    args = {'cluster': 'central', 'clients': [{'name': GLANCE, 'caps': GLANCE_CAPS}]}
    out, seen = action_run(args, stdout, rc=rc)
    assert len(seen['commands']) == 1 and seen['modules'] == [(True, True)]
    assert out['lookup_only'] is False and out['changed'] is True


def test_no_lookup_over_the_cli_or_with_paths_the_host_expands(action_run):
    for extra in ({'transport': 'cli'}, {'conf': '~/central.conf'}, {'keyring': '$HOME/admin.keyring'}):
        args = dict({'cluster': 'central', 'clients': [{'name': GLANCE, 'caps': GLANCE_CAPS}]}, **extra)
        out, seen = action_run(args, _answers())
        assert seen['commands'] == [] and len(seen['modules']) == 1, extra
