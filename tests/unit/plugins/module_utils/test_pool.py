# -*- coding: utf-8 -*-
# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Table-driven tests of the pool planner (plugins/module_utils/_pool.py).

The cluster state comes from JSON captured on a lab cluster (Ceph 16.2.15):
tests/unit/fixtures/central_*.json. In it:

- device_health_metrics: the mgr's pool (autoscale on, pg 1)
- it-fx-rbd: rbd application, autoscale off, pg_num 8 moving to 16 (target),
  quotas 10 MiB / 1000 objects, target_size_ratio 0.2
- it-fx-plain: rgw application, crush rule it-fx-rule (id 1), autoscale on, pg 32
- it-fx-ec: erasure-coded (profile it-fx-k2m1, k=2 m=1), autoscale warn, pg 1
"""

from __future__ import annotations

import copy
import json
import os

import pytest

from ansible_collections.edgestack.glance_ceph.plugins.module_utils import _pool

FIXTURES = os.path.join(os.path.dirname(__file__), '..', '..', 'fixtures')


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as handle:
        return json.load(handle)


LS_DETAIL = fixture('central_osd_pool_ls_detail.json')
OSD_DUMP = fixture('central_osd_dump.json')
RULES = fixture('central_osd_crush_rule_dump.json')
CONFIG_DUMP = fixture('central_config_dump.json')


def current(rules=True):
    return _pool.current_pools(LS_DETAIL, RULES if rules else None)


def want(**kw):
    return _pool.desired_pools([kw])


def plan_for(pools, allow_delete=False, rbd_info=None, rules=True):
    desired = _pool.desired_pools(pools)
    have = current(rules)
    _pool.record_rbd_info(have, rbd_info or {})
    return _pool.plan(desired, have, allow_delete=allow_delete, rule_dump=RULES if rules else None)


def set_(pool, var, val):
    return {'prefix': 'osd pool set', 'pool': pool, 'var': var, 'val': val}


def quota(pool, field, val):
    return {'prefix': 'osd pool set-quota', 'pool': pool, 'field': field, 'val': val}


# ---------------------------------------------------------------- reading


def test_fixture_state_is_normalised():
    pools = current()
    assert sorted(pools) == ['device_health_metrics', 'it-fx-ec', 'it-fx-plain', 'it-fx-rbd']
    rbd = pools['it-fx-rbd']
    assert rbd == {
        'name': 'it-fx-rbd', 'id': 3, 'pool_type': 'replicated', 'erasure_profile': None,
        'size': 1, 'min_size': 1, 'crush_rule': 'replicated_rule', 'crush_rule_id': 0,
        'pg_num': 16, 'pgp_num': 16,  # the targets, not the current 8
        'pg_autoscale_mode': 'off', 'target_size_ratio': 0.2,
        'max_bytes': 10485760, 'max_objects': 1000, 'application': ['rbd'],
    }
    assert pools['it-fx-plain']['crush_rule'] == 'it-fx-rule'
    ec = pools['it-fx-ec']
    assert (ec['pool_type'], ec['erasure_profile'], ec['size'], ec['min_size']) == ('erasure', 'it-fx-k2m1', 3, 2)


def test_rule_names_unknown_without_rule_dump():
    pools = current(rules=False)
    assert 'crush_rule' not in pools['it-fx-plain']
    assert pools['it-fx-plain']['crush_rule_id'] == 1


def test_quotas_from_osd_dump_when_listing_lacks_them():
    stripped = copy.deepcopy(LS_DETAIL)
    for raw in stripped:
        del raw['quota_max_bytes']
        del raw['quota_max_objects']
    assert not _pool.needs_osd_dump(LS_DETAIL)
    assert _pool.needs_osd_dump(stripped)
    assert _pool.current_pools(stripped, RULES, OSD_DUMP) == _pool.current_pools(LS_DETAIL, RULES)


def test_osd_dump_pools_read_like_the_listing():
    # `osd dump` keys pools by "pool", the listing by "pool_id"
    from_dump = _pool.current_pools(OSD_DUMP['pools'], RULES)
    assert from_dump == _pool.current_pools(LS_DETAIL, RULES)


@pytest.mark.parametrize('pools, expected', [
    ([{'name': 'it-fx-rbd'}], False),
    ([{'name': 'it-fx-rbd', 'crush_rule': 'replicated_rule'}], True),
    ([{'name': 'it-fx-rbd', 'crush_rule': 'x', 'state': 'absent'}], False),
])
def test_rule_dump_only_when_needed(pools, expected):
    assert _pool.needs_rule_dump(_pool.desired_pools(pools)) is expected


def test_rbd_info_read_only_where_it_decides():
    desired = _pool.desired_pools([
        {'name': 'it-fx-rbd', 'rbd_init': True},      # has rbd: must read rbd_info
        {'name': 'it-fx-plain', 'rbd_init': False},   # not asked
        {'name': 'device_health_metrics', 'rbd_init': True},  # no rbd app: init needed anyway
        {'name': 'it-new', 'rbd_init': True},         # to be created
    ])
    assert _pool.rbd_info_reads(desired, current()) == ['it-fx-rbd']


@pytest.mark.parametrize('content, initialised', [
    (b'overwrite validated', True),
    (b'validate', False),
    (None, False),
])
def test_record_rbd_info(content, initialised):
    pools = current()
    _pool.record_rbd_info(pools, {'it-fx-rbd': content})
    assert pools['it-fx-rbd']['rbd_init'] is initialised


# ------------------------------------------------------------- validation


@pytest.mark.parametrize('pools, message', [
    ([{'name': 'a'}, {'name': 'a'}], 'listed more than once'),
    ([{'name': ' a'}], 'without surrounding spaces'),
    ([{'name': 'a', 'pg_num': 8, 'pgp_num': 16}], 'pgp_num (16) cannot exceed pg_num (8)'),
    ([{'name': 'a', 'size': 2, 'min_size': 3}], 'min_size (3) cannot exceed size (2)'),
    ([{'name': 'a', 'size': 11}], 'between 1 and 10'),
    ([{'name': 'a', 'pg_num': 0}], 'pg_num must be at least 1'),
    ([{'name': 'a', 'max_bytes': -1}], 'max_bytes must be at least 0'),
    ([{'name': 'a', 'target_size_ratio': -0.1}], 'cannot be negative'),
    ([{'name': 'a', 'erasure_profile': 'p'}], 'needs pool_type: erasure'),
    ([{'name': 'a', 'pool_type': 'erasure', 'size': 3}], 'leave size unset'),
    ([{'name': 'a', 'application': 'rgw', 'rbd_init': True}], "application is 'rgw'"),
])
def test_invalid_requests(pools, message):
    with pytest.raises(_pool.PoolSpecError) as err:
        _pool.desired_pools(pools)
    assert message in str(err.value)


def test_absent_entries_skip_setting_checks():
    assert _pool.desired_pools([{'name': 'a', 'state': 'absent', 'pg_num': 0}])[0]['state'] == 'absent'


# ------------------------------------------------------------------ plans


PLANS = [
    pytest.param(
        [{'name': 'it-fx-rbd', 'pg_num': 16, 'pg_autoscale_mode': 'off', 'application': 'rbd',
          'max_bytes': 10485760, 'max_objects': 1000, 'target_size_ratio': 0.2, 'size': 1, 'min_size': 1,
          'crush_rule': 'replicated_rule'}],
        [], id='converged pool: pg_num compared with its target'),
    pytest.param(
        [{'name': 'it-fx-rbd', 'target_size_ratio': 0.2000000000001}],
        [], id='float ratio compared with tolerance'),
    pytest.param(
        [{'name': 'it-fx-rbd'}, {'name': 'it-fx-plain'}, {'name': 'it-fx-ec'}],
        [], id='nothing set: nothing managed'),
    pytest.param(
        [{'name': 'it-fx-rbd', 'pg_num': 32}],
        [set_('it-fx-rbd', 'pg_num', '32')], id='pg_num with autoscaler off'),
    pytest.param(
        [{'name': 'it-fx-plain', 'pg_num': 64}],
        [], id='pg_num left to an autoscaler that is on'),
    pytest.param(
        [{'name': 'it-fx-plain', 'pg_num': 64, 'pg_autoscale_mode': 'off'}],
        [set_('it-fx-plain', 'pg_autoscale_mode', 'off'), set_('it-fx-plain', 'pg_num', '64')],
        id='autoscale off first, then pg_num: converges in one run'),
    pytest.param(
        [{'name': 'it-fx-ec', 'pg_num': 4, 'pgp_num': 2}],
        [set_('it-fx-ec', 'pg_num', '4'), set_('it-fx-ec', 'pgp_num', '2')],
        id='warn mode lets pg_num be managed; pg before pgp'),
    pytest.param(
        [{'name': 'it-fx-rbd', 'pg_autoscale_mode': 'on', 'pg_num': 8}],
        [set_('it-fx-rbd', 'pg_autoscale_mode', 'on')], id='turning the autoscaler on hands pg_num over'),
    pytest.param(
        [{'name': 'it-fx-plain', 'crush_rule': 'replicated_rule'}],
        [set_('it-fx-plain', 'crush_rule', 'replicated_rule')], id='crush rule by name'),
    pytest.param(
        [{'name': 'it-fx-plain', 'crush_rule': 'it-fx-rule'}],
        [], id='same crush rule'),
    pytest.param(
        [{'name': 'it-fx-rbd', 'size': 3, 'min_size': 2}],
        [set_('it-fx-rbd', 'size', '3'), set_('it-fx-rbd', 'min_size', '2')], id='size before min_size'),
    pytest.param(
        [{'name': 'it-fx-ec', 'min_size': 3}],
        [set_('it-fx-ec', 'min_size', '3')], id='min_size of an erasure-coded pool'),
    pytest.param(
        [{'name': 'it-fx-rbd', 'max_bytes': 0, 'max_objects': 5}],
        [quota('it-fx-rbd', 'max_bytes', '0'), quota('it-fx-rbd', 'max_objects', '5')], id='quotas, 0 removes'),
    pytest.param(
        [{'name': 'it-fx-rbd', 'target_size_ratio': 0.5}],
        [set_('it-fx-rbd', 'target_size_ratio', '0.5')], id='target_size_ratio'),
    pytest.param(
        [{'name': 'it-fx-plain', 'application': 'rgw'}],
        [], id='application already enabled'),
    pytest.param(
        [{'name': 'it-fx-plain', 'application': 'cephfs'}],
        [{'prefix': 'osd pool application enable', 'pool': 'it-fx-plain', 'app': 'cephfs',
          'yes_i_really_mean_it': True}],
        id='second application added, confirmed'),
    pytest.param(
        [{'name': 'it-fx-ec', 'application': 'rgw'}],
        [{'prefix': 'osd pool application enable', 'pool': 'it-fx-ec', 'app': 'rgw'}],
        id='first application enabled'),
    pytest.param(
        [{'name': 'device_health_metrics', 'rbd_init': True, 'application': 'rbd'}],
        [{'prefix': 'rbd pool init', 'pool': 'device_health_metrics'}],
        id='rbd_init enables rbd itself'),
    pytest.param(
        [{'name': 'it-absent', 'state': 'absent'}],
        [], id='absent pool already gone'),
]


@pytest.mark.parametrize('pools, actions', PLANS)
def test_plan_actions(pools, actions):
    result = plan_for(pools)
    assert result.actions == actions
    assert result.changed is bool(actions)
    assert len(result.diff) == len(set(a['pool'] for a in actions))


def test_create_with_everything_in_order():
    result = plan_for([{
        'name': 'it-new', 'pool_type': 'replicated', 'pg_num': 16, 'pgp_num': 8, 'pg_autoscale_mode': 'off',
        'size': 1, 'min_size': 1, 'crush_rule': 'it-fx-rule', 'target_size_ratio': 0.1,
        'max_bytes': 1024, 'max_objects': 0, 'application': 'rbd', 'rbd_init': True,
    }])
    assert result.actions == [
        {'prefix': 'osd pool create', 'pool': 'it-new', 'pg_num': 16, 'pgp_num': 8, 'pool_type': 'replicated',
         'rule': 'it-fx-rule', 'size': 1, 'autoscale_mode': 'off'},
        set_('it-new', 'min_size', '1'),
        set_('it-new', 'target_size_ratio', '0.1'),
        quota('it-new', 'max_bytes', '1024'),
        # max_objects 0 is a new pool's state already; application rbd comes with rbd pool init
        {'prefix': 'rbd pool init', 'pool': 'it-new'},
    ]
    assert result.diff[0]['before'] == {'state': 'absent'}
    assert result.diff[0]['after']['rbd_init'] is True
    assert result.diff[0]['after']['application'] == ['rbd']


def test_create_minimal_uses_cluster_defaults():
    result = plan_for([{'name': 'it-new'}])
    assert result.actions == [{'prefix': 'osd pool create', 'pool': 'it-new'}]


def test_create_erasure_coded():
    result = plan_for([{'name': 'it-new-ec', 'pool_type': 'erasure', 'erasure_profile': 'it-fx-k2m1',
                        'application': 'rgw'}])
    assert result.actions == [
        {'prefix': 'osd pool create', 'pool': 'it-new-ec', 'pool_type': 'erasure',
         'erasure_code_profile': 'it-fx-k2m1'},
        {'prefix': 'osd pool application enable', 'pool': 'it-new-ec', 'app': 'rgw'},
    ]


def test_autoscaler_warning_names_the_way_out():
    result = plan_for([{'name': 'it-fx-plain', 'pg_num': 64, 'pgp_num': 64}])
    assert result.actions == []
    assert len(result.warnings) == 2
    assert "pg_num 64 not applied" in result.warnings[0]
    assert 'pg_autoscale_mode: off or warn' in result.warnings[0]


def test_pg_num_moves_pgp_num_in_the_prediction():
    result = plan_for([{'name': 'it-fx-rbd', 'pg_num': 32}])
    assert result.diff[0]['before']['pgp_num'] == 16
    assert result.diff[0]['after']['pgp_num'] == 32


def test_size_clamps_min_size_in_the_prediction():
    have = current()
    have['it-fx-rbd'].update(size=3, min_size=2)
    result = _pool.plan(_pool.desired_pools([{'name': 'it-fx-rbd', 'size': 1}]), have, rule_dump=RULES)
    assert result.actions == [dict(set_('it-fx-rbd', 'size', '1'), yes_i_really_mean_it=True)]
    assert result.after['it-fx-rbd']['min_size'] == 1


@pytest.mark.parametrize('rbd_info, actions', [
    ({'it-fx-rbd': b'overwrite validated'}, []),
    ({'it-fx-rbd': None}, [{'prefix': 'rbd pool init', 'pool': 'it-fx-rbd'}]),
])
def test_rbd_init_on_existing_rbd_pool(rbd_info, actions):
    result = plan_for([{'name': 'it-fx-rbd', 'application': 'rbd', 'rbd_init': True}], rbd_info=rbd_info)
    assert result.actions == actions


def test_diff_before_after_of_changed_pools_only():
    result = plan_for([{'name': 'it-fx-rbd', 'max_objects': 7}, {'name': 'it-fx-plain', 'application': 'rgw'}])
    assert [d['before_header'] for d in result.diff] == ['pool it-fx-rbd']
    diff = result.diff[0]
    changed = dict((k, (diff['before'][k], diff['after'][k])) for k in diff['after'] if diff['before'][k] != diff['after'][k])
    assert changed == {'max_objects': (1000, 7)}
    # but every listed present pool is in the result
    assert sorted(result.after) == ['it-fx-plain', 'it-fx-rbd']


@pytest.mark.parametrize('pools, message', [
    ([{'name': 'it-fx-ec', 'pool_type': 'replicated'}], 'the type of an existing pool cannot change'),
    ([{'name': 'it-fx-ec', 'pool_type': 'erasure', 'erasure_profile': 'other'}], 'profile of an existing pool'),
    ([{'name': 'it-fx-ec', 'size': 4}], 'leave size unset'),
    ([{'name': 'it-fx-plain', 'crush_rule': 'no-such-rule'}], "crush rule 'no-such-rule' does not exist"),
    ([{'name': 'it-new', 'crush_rule': 'no-such-rule'}], 'rules: it-fx-ec, it-fx-rule, replicated_rule'),
    ([{'name': 'it-fx-rbd', 'state': 'absent'}], 'set allow_delete: true'),
])
def test_impossible_plans_fail_before_any_action(pools, message):
    with pytest.raises(_pool.PoolSpecError) as err:
        plan_for(pools)
    assert message in str(err.value)


def test_delete_with_allow_delete():
    result = plan_for([{'name': 'it-fx-rbd', 'state': 'absent'}, {'name': 'it-gone', 'state': 'absent'}],
                      allow_delete=True)
    assert result.actions == [{'prefix': 'osd pool rm', 'pool': 'it-fx-rbd', 'pool2': 'it-fx-rbd',
                               'yes_i_really_really_mean_it': True}]
    assert result.deletions == ['it-fx-rbd']
    assert result.diff[0]['after'] == {'state': 'absent'}
    assert result.diff[0]['after_header'] == 'pool it-fx-rbd (deleted)'


def test_a_failing_entry_fails_the_whole_plan():
    with pytest.raises(_pool.PoolSpecError):
        plan_for([{'name': 'it-fx-rbd', 'pg_num': 32}, {'name': 'it-fx-ec', 'pool_type': 'replicated'}])


@pytest.mark.parametrize('dump, section, value', [
    (CONFIG_DUMP, 'mon', 'false'),
    (CONFIG_DUMP, 'global', None),
    ([], 'mon', None),
])
def test_config_db_value(dump, section, value):
    assert _pool.config_db_value(dump, section, 'mon_allow_pool_delete') == value


@pytest.mark.parametrize('text, disabled', [
    ('pool deletion is disabled; you must first set the mon_allow_pool_delete config option to true '
     'before you can destroy a pool', True),
    ('Error ENOENT: pool x does not exist', False),
    (None, False),
])
def test_pool_delete_disabled(text, disabled):
    assert _pool.pool_delete_disabled(text) is disabled


def test_info_filters_and_sorts():
    pools = current()
    assert [p['name'] for p in _pool.info(pools)] == sorted(pools)
    assert [p['name'] for p in _pool.info(pools, ['it-fx-rbd', 'missing'])] == ['it-fx-rbd']
