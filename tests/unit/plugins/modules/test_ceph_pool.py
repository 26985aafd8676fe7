# -*- coding: utf-8 -*-
# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ceph_pool against the stand-in cluster of conftest.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ansible_collections.edgestack.glance_ceph.plugins.modules import ceph_auth, ceph_pool

FIXTURES = Path(__file__).resolve().parents[2] / 'fixtures'


POOLS = [{'name': 'it-fx-plain', 'pg_autoscale_mode': 'off', 'pg_num': 64},
         {'name': 'it-new', 'application': 'rbd', 'rbd_init': True}]


def test_pool_check_mode_reads_but_sends_no_write(cluster, run_module):
    result, dummy = run_module(ceph_pool, {'cluster': 'central', 'pools': POOLS}, check=True, diff=True)
    client = cluster['client']
    assert client.writes() == []
    assert result['changed'] is True
    assert [a['prefix'] for a in result['actions']] == ['osd pool set', 'osd pool set', 'osd pool create',
                                                        'rbd pool init']
    assert [d['before_header'] for d in result['diff']] == ['pool it-fx-plain', 'pool it-new']
    assert result['round_trips'] == 1 and result['transport'] == 'librados'
    assert client.closed


def test_pool_real_run_sends_the_checked_actions(cluster, run_module):
    checked, dummy = run_module(ceph_pool, {'cluster': 'central', 'pools': POOLS}, check=True)
    cluster['client'] = cluster['new']()
    result, dummy = run_module(ceph_pool, {'cluster': 'central', 'pools': POOLS})
    assert result['actions'] == checked['actions']
    assert cluster['client'].writes() == result['actions']
    assert 'diff' not in result


def test_pool_delete_lifts_and_restores_the_guard(cluster, run_module):
    cluster['client'] = cluster['new'](delete_guard=True)
    args = {'cluster': 'central', 'allow_delete': True, 'override_mon_allow_pool_delete': True,
            'pools': [{'name': 'it-fx-rbd', 'state': 'absent'}, {'name': 'it-fx-plain', 'state': 'absent'}]}
    result, dummy = run_module(ceph_pool, args)
    assert result['mon_allow_pool_delete_overridden'] is True
    sent = [(c['prefix'], c.get('pool') or c.get('value')) for c, dummy in cluster['client'].sent]
    assert sent == [('osd pool ls', None), ('osd pool rm', 'it-fx-rbd'), ('config dump', None),
                    ('config set', 'true'), ('osd pool rm', 'it-fx-rbd'), ('osd pool rm', 'it-fx-plain'),
                    ('config rm', None)]


def test_pool_delete_guard_message(cluster, run_module):
    cluster['client'] = cluster['new'](delete_guard=True)
    args = {'cluster': 'central', 'allow_delete': True, 'pools': [{'name': 'it-fx-rbd', 'state': 'absent'}]}
    result, dummy = run_module(ceph_pool, args)
    assert result['failed'] is True
    assert "its monitors' mon_allow_pool_delete is false" in result['msg']
    assert 'config set mon mon_allow_pool_delete true' in result['msg']
    assert 'override_mon_allow_pool_delete: true' in result['msg']
    assert result['rc'] == 1 and 'cmd' in result and 'stderr' in result


def test_pool_spec_error_fails_before_connecting(cluster, run_module):
    cluster['client'] = None
    result, dummy = run_module(ceph_pool, {'pools': [{'name': 'a'}, {'name': 'a'}]})
    assert result['failed'] and "listed more than once" in result['msg']


def _monitors():
    """The plain monitor addresses and the fsid of the captured `mon dump`."""
    dump = json.loads((FIXTURES / 'central_mon_dump.json').read_text())
    addresses = sorted({a['addr'].rsplit(':', 1)[0] for m in dump['mons'] for a in m['public_addrs']['addrvec']})
    return addresses, dump['fsid']


def test_monitors_that_are_not_the_clusters_fail_before_anything_else(cluster, run_module):
    """ceph_pool and ceph_auth share the check: after `mon dump`, nothing is read or sent."""
    addresses, fsid = _monitors()
    for module, args in ((ceph_pool, {'pools': POOLS}),
                         (ceph_auth, {'clients': [{'name': 'client.it-new', 'caps': {'mon': 'profile rbd'}}]})):
        cluster['client'] = cluster['new']()
        result, dummy = run_module(module, dict(args, cluster='central', mon_addresses=['192.0.2.77'],
                                                mon_addresses_variable='edgestack_ceph_mon_addresses (site central)'))
        assert result['failed'] is True and result['changed'] is False and result['actions'] == []
        assert [c['prefix'] for c, dummy in cluster['client'].sent] == ['mon dump']
        assert result['msg'].startswith('Ceph cluster central: edgestack_ceph_mon_addresses (site central) '
                                        "(192.0.2.77) does not match the cluster's monitors")
        assert all(a in result['msg'] for a in addresses) and fsid in result['msg']
        assert result['mon_addresses'] == addresses and result['fsid'] == fsid


def test_the_clusters_monitors_pass_and_are_returned(cluster, run_module):
    addresses, fsid = _monitors()
    result, dummy = run_module(ceph_pool, {'cluster': 'central', 'pools': POOLS, 'mon_addresses': addresses},
                               check=True)
    assert 'failed' not in result and result['changed'] is True
    assert [c['prefix'] for c, dummy in cluster['client'].sent] == ['mon dump', 'osd pool ls']
    assert result['mon_addresses'] == addresses and result['fsid'] == fsid and result['round_trips'] == 2
    # Without the option, the monitor map is not read.
    cluster['client'] = cluster['new']()
    result, dummy = run_module(ceph_pool, {'cluster': 'central', 'pools': POOLS}, check=True)
    assert 'mon dump' not in [c['prefix'] for c, dummy in cluster['client'].sent] and 'fsid' not in result


# The pools as the fixtures hold them: the module has nothing to do.
SETTLED = [{'name': 'it-fx-rbd', 'application': 'rbd', 'rbd_init': True, 'pg_autoscale_mode': 'off', 'pg_num': 16,
            'size': 1, 'min_size': 1, 'max_bytes': 10485760, 'max_objects': 1000, 'target_size_ratio': 0.2},
           {'name': 'it-fx-plain', 'application': 'rgw', 'crush_rule': 'it-fx-rule'}]


def test_lookup_gives_the_modules_result_without_the_module(cluster, run_module, settle_by_lookup):
    """The action's plan over the lookup's answers is the module's own: same pools, before, after,
    monitor map and round trips, for a plan with nothing to do."""
    from ansible_collections.edgestack.glance_ceph.plugins.action import ceph_pool as action
    addresses, fsid = _monitors()
    args = {'cluster': 'central', 'pools': SETTLED, 'mon_addresses': addresses}
    module, dummy = run_module(ceph_pool, args, diff=True)
    assert module['changed'] is False and cluster['client'].writes() == []
    settled, asked = settle_by_lookup(action, args, diff=True)
    assert settled is not None and settled['lookup_only'] is True
    assert [c['prefix'] for c in asked['mon']] == ['mon dump', 'osd pool ls', 'osd crush rule dump']
    assert asked['objects'] == [['it-fx-rbd', 'rbd_info']]
    # the whole result, but the arguments the module echoes and the lookup's own flag
    assert dict(settled, invocation=None, lookup_only=None) == dict(module, invocation=None, lookup_only=None)
    assert settled['fsid'] == fsid


@pytest.mark.parametrize('pool', [
    dict(SETTLED[0], pg_num=8),                      # an action
    dict(SETTLED[0], name='it-new'),                 # a creation
    {'name': 'it-fx-plain', 'pg_num': 64},           # a warning alone: pg_num under the autoscaler
    dict(SETTLED[0], crush_rule='no-such-rule'),     # a spec the module refuses, in its words
    {'name': 'it-fx-ec', 'state': 'absent'},         # a deletion (refused without allow_delete)
], ids=['action', 'creation', 'warning', 'refused', 'deletion'])
def test_lookup_leaves_any_work_to_the_module(settle_by_lookup, pool):
    from ansible_collections.edgestack.glance_ceph.plugins.action import ceph_pool as action
    settled, dummy = settle_by_lookup(action, {'cluster': 'central', 'pools': [pool]})
    assert settled is None


def test_lookup_leaves_wrong_monitors_to_the_module(settle_by_lookup):
    from ansible_collections.edgestack.glance_ceph.plugins.action import ceph_pool as action
    settled, dummy = settle_by_lookup(action, {'cluster': 'central', 'pools': SETTLED, 'mon_addresses': ['192.0.2.77']})
    assert settled is None
