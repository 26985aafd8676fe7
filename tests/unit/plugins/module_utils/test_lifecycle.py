# -*- coding: utf-8 -*-
# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""_lifecycle: the result shape, check mode, and errors, through a real AnsibleModule."""

from __future__ import annotations

import json
import uuid

import pytest

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.testing import patch_module_args
from ansible_collections.edgestack.glance_ceph.plugins.module_utils import _lifecycle

SECRET = 'AQBvZXJzZWNyZXRrZXlfZm9yX3Rlc3RzX29ubHk='


class Counter(_lifecycle.Lifecycle):
    """Brings a counter from ``have`` to ``want`` one step at a time."""

    def read(self):
        self.hide(self.params['secret'])
        return {'value': self.params['have']}

    def plan(self, current):
        steps = [{'step': n} for n in range(current['value'], self.params['want'])]
        return _lifecycle.Plan(actions=steps, before=current, after={'value': self.params['want']},
                               diff={'before': current, 'after': {'value': self.params['want']}},
                               warnings=[self.params['note']] if steps else [])

    def apply(self, plan):
        for action in plan.actions:
            if action['step'] == self.params['fail_at']:
                raise _lifecycle.EdgestackModuleError('step %d failed (%s)' % (action['step'], self.params['secret']),
                                                      step=action['step'], rc=None)
            self.done.append(action)
        self.applied = True

    def result(self, current, plan):
        return dict(applied=getattr(self, 'applied', False))

    def partial(self):
        return dict(counter=True)


def run(capsys, check=False, diff=False, **params):
    args = dict(dict(have=0, want=2, fail_at=-1, secret=SECRET, note='unused'), **params)
    args.update(_ansible_check_mode=check, _ansible_diff=diff)
    with patch_module_args(args):
        module = AnsibleModule(dict(have=dict(type='int'), want=dict(type='int'), fail_at=dict(type='int'),
                                    secret=dict(type='str', no_log=True), note=dict(type='str')), supports_check_mode=True)
        with pytest.raises(SystemExit):
            Counter(module).run()
    out = capsys.readouterr().out
    assert SECRET not in out
    return json.loads(out)


def test_error_details_leave_out_what_is_unset():
    error = _lifecycle.EdgestackModuleError('boom', cmd='ceph x', rc=None)
    assert error.fail_kwargs() == {'msg': 'boom', 'cmd': 'ceph x'}


@pytest.mark.parametrize('actions, changed', [([], False), ([{'a': 1}], True)])
def test_a_plan_changes_when_it_has_actions(actions, changed):
    assert _lifecycle.Plan(actions=actions).changed is changed


def test_check_mode_plans_and_applies_nothing(capsys, monkeypatch):
    warned = []
    monkeypatch.setattr(AnsibleModule, 'warn', lambda self, text: warned.append(text))
    note = 'warning %s' % uuid.uuid4().hex
    result = run(capsys, check=True, diff=True, note=note)
    assert result['changed'] is True and result['applied'] is False
    assert result['actions'] == [{'step': 0}, {'step': 1}]
    assert (result['before'], result['after']) == ({'value': 0}, {'value': 2})
    assert result['diff'] == {'before': {'value': 0}, 'after': {'value': 2}}
    assert warned == [note] and result['counter'] is True


def test_a_real_run_applies_the_plan_and_shows_no_diff_unless_asked(capsys):
    result = run(capsys)
    assert result['changed'] is True and result['applied'] is True and 'diff' not in result


def test_nothing_to_do(capsys):
    result = run(capsys, have=2)
    assert result['changed'] is False and result['actions'] == [] and result['applied'] is True


def test_an_error_reports_what_was_done_and_hides_secrets(capsys):
    result = run(capsys, have=0, want=3, fail_at=1)
    assert result['failed'] is True and result['msg'].startswith('step 1 failed')
    assert result['changed'] is True and result['actions'] == [{'step': 0}]
    assert result['step'] == 1 and 'rc' not in result and result['counter'] is True
