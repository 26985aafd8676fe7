# -*- coding: utf-8 -*-
# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ceph_auth action plugin hides a result that holds keyrings, and what the host prints."""

from __future__ import annotations

import pytest


# Arguments the module's spec refuses (no clients): the lookup is not tried and the module runs.
# What the host prints is no_log in every case: the lookup's answers (auth ls) hold keys.
@pytest.mark.parametrize('args, result, hidden', [
    ({}, {'changed': False}, False),
    ({'return_keyring': True}, {'keyrings': {}}, False),
    ({'return_keyring': 'yes'}, {'keyrings': {'client.x': '[client.x]\n'}}, True),
])
def test_action_plugin_hides_keyrings(monkeypatch, args, result, hidden):
    from ansible_collections.edgestack.glance_ceph.plugins.action import ceph_auth as action
    from ansible.plugins.action import ActionBase

    class Task(object):
        async_val = 0

    class PlayContext(object):
        no_log = False

    class Connection(object):
        has_native_async = False
        _play_context = PlayContext()

        class _shell(object):
            tmpdir = None

    seen = []

    def execute(self, **kw):
        seen.append((self._play_context.no_log, self._connection._play_context.no_log))
        return dict(result)

    plugin = action.ActionModule.__new__(action.ActionModule)
    plugin._task = Task()
    plugin._task.args = args
    plugin._connection = Connection()
    plugin._play_context = PlayContext()
    monkeypatch.setattr(ActionBase, 'run', lambda self, tmp=None, task_vars=None: {})
    monkeypatch.setattr(action.ActionModule, '_execute_module', execute)
    monkeypatch.setattr(action.ActionModule, '_remove_tmp_path', lambda self, path: None)
    out = plugin.run(task_vars={})
    assert out.get('_ansible_no_log', False) is hidden
    # the raw module output is no_log while the module runs, and only then
    assert seen == [(True, True)]
    assert out['lookup_only'] is False
    assert plugin._play_context.no_log is False and plugin._connection._play_context.no_log is False
