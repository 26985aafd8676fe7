# -*- coding: utf-8 -*-
# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The four Ceph modules end to end against a stand-in cluster.

The stand-in serves the JSON captured from a lab cluster and records every
command; what is tested here is the module glue: check mode sends no write,
actions run in plan order, the pool delete guard is lifted and restored,
and keys never leave in a result unless asked for.
"""

from __future__ import annotations

import json
import os

import pytest

from ansible.module_utils.testing import patch_module_args
from ansible_collections.edgestack.glance_ceph.plugins.module_utils import _auth
from ansible_collections.edgestack.glance_ceph.plugins.module_utils import _ceph
from ansible_collections.edgestack.glance_ceph.plugins.modules import ceph_auth
from ansible_collections.edgestack.glance_ceph.plugins.modules import ceph_auth_info
from ansible_collections.edgestack.glance_ceph.plugins.modules import ceph_pool
from ansible_collections.edgestack.glance_ceph.plugins.modules import ceph_pool_info

FIXTURES = os.path.join(os.path.dirname(__file__), '..', '..', 'fixtures')
READS = ('osd pool ls', 'osd crush rule dump', 'osd dump', 'auth ls', 'config dump')


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as handle:
        return json.load(handle)


AUTH_LS = fixture('central_auth_ls.json')
KEYS = [entry['key'] for entry in AUTH_LS['auth_dump']]
GLANCE = 'client.it-fx-glance'
GLANCE_KEY = _auth.current_clients(AUTH_LS)[GLANCE]['key']


class FakeClient(object):
    """A cluster that answers from fixtures and records what it is sent."""

    transport = 'librados'

    def __init__(self, delete_guard=False):
        self.settings = _ceph.ConnectionSettings(cluster='central', conf='/nonexistent/central.conf')
        self.round_trips = 0
        self.sent = []
        self.delete_guard = delete_guard
        self.closed = False

    def mon(self, cmd, inbuf=None):
        self.round_trips += 1
        self.sent.append((cmd, inbuf))
        prefix = cmd['prefix']
        if prefix == 'osd pool ls':
            return fixture('central_osd_pool_ls_detail.json')
        if prefix == 'osd crush rule dump':
            return fixture('central_osd_crush_rule_dump.json')
        if prefix == 'auth ls':
            return AUTH_LS
        if prefix == 'config dump':
            return []
        if prefix == 'config set' and cmd['name'] == 'mon_allow_pool_delete':
            self.delete_guard = cmd['value'] != 'true'
        if prefix == 'osd pool rm' and self.delete_guard:
            raise _ceph.CephCommandError('osd pool rm failed', cmd=_ceph.command_text(cmd), rc=1,
                                         stderr='pool deletion is disabled; you must first set the '
                                                'mon_allow_pool_delete config option to true')
        if prefix == 'auth get-or-create':
            return [{'entity': cmd['entity'], 'key': 'AQAoFAJrAAAAABAAcmVhdGVkYnljbHVzdGVyISE=', 'caps': {}}]
        return None

    def read_object(self, pool, oid):
        self.round_trips += 1
        self.sent.append(({'prefix': 'read', 'pool': pool, 'oid': oid}, None))
        return b'overwrite validated' if pool == 'it-fx-rbd' else None

    def rbd_pool_init(self, pool, force=False):
        self.round_trips += 1
        self.sent.append(({'prefix': 'rbd pool init', 'pool': pool}, None))

    def close(self):
        self.closed = True

    def writes(self):
        return [cmd for cmd, dummy in self.sent if cmd['prefix'] not in READS and cmd['prefix'] != 'read']


@pytest.fixture
def cluster(monkeypatch):
    holder = {}

    def connect(settings, which, rados_module=None, interpreter=None):
        holder['client'] = holder.get('client') or FakeClient()
        return holder['client']

    monkeypatch.setattr(_ceph, 'connect', connect)
    holder['client'] = FakeClient()
    return holder


def run(module, args, capsys, check=False, diff=False):
    args = dict(args)
    args['_ansible_check_mode'] = check
    args['_ansible_diff'] = diff
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            module.main()
    out = capsys.readouterr().out
    return json.loads(out), out


# ------------------------------------------------------------------- pools


POOLS = [{'name': 'it-fx-plain', 'pg_autoscale_mode': 'off', 'pg_num': 64},
         {'name': 'it-new', 'application': 'rbd', 'rbd_init': True}]


def test_pool_check_mode_reads_but_sends_no_write(cluster, capsys):
    result, dummy = run(ceph_pool, {'cluster': 'central', 'pools': POOLS}, capsys, check=True, diff=True)
    client = cluster['client']
    assert client.writes() == []
    assert result['changed'] is True
    assert [a['prefix'] for a in result['actions']] == ['osd pool set', 'osd pool set', 'osd pool create',
                                                        'rbd pool init']
    assert [d['before_header'] for d in result['diff']] == ['pool it-fx-plain', 'pool it-new']
    assert result['round_trips'] == 1 and result['transport'] == 'librados'
    assert client.closed


def test_pool_real_run_sends_the_checked_actions(cluster, capsys):
    checked, dummy = run(ceph_pool, {'cluster': 'central', 'pools': POOLS}, capsys, check=True)
    cluster['client'] = FakeClient()
    result, dummy = run(ceph_pool, {'cluster': 'central', 'pools': POOLS}, capsys)
    assert result['actions'] == checked['actions']
    assert cluster['client'].writes() == result['actions']
    assert 'diff' not in result


def test_pool_delete_lifts_and_restores_the_guard(cluster, capsys):
    cluster['client'] = FakeClient(delete_guard=True)
    args = {'cluster': 'central', 'allow_delete': True, 'override_mon_allow_pool_delete': True,
            'pools': [{'name': 'it-fx-rbd', 'state': 'absent'}, {'name': 'it-fx-plain', 'state': 'absent'}]}
    result, dummy = run(ceph_pool, args, capsys)
    assert result['mon_allow_pool_delete_overridden'] is True
    sent = [(c['prefix'], c.get('pool') or c.get('value')) for c, dummy in cluster['client'].sent]
    assert sent == [('osd pool ls', None), ('osd pool rm', 'it-fx-rbd'), ('config dump', None),
                    ('config set', 'true'), ('osd pool rm', 'it-fx-rbd'), ('osd pool rm', 'it-fx-plain'),
                    ('config rm', None)]


def test_pool_delete_guard_message(cluster, capsys):
    cluster['client'] = FakeClient(delete_guard=True)
    args = {'cluster': 'central', 'allow_delete': True, 'pools': [{'name': 'it-fx-rbd', 'state': 'absent'}]}
    result, dummy = run(ceph_pool, args, capsys)
    assert result['failed'] is True
    assert "its monitors' mon_allow_pool_delete is false" in result['msg']
    assert 'config set mon mon_allow_pool_delete true' in result['msg']
    assert 'override_mon_allow_pool_delete: true' in result['msg']
    assert result['rc'] == 1 and 'cmd' in result and 'stderr' in result


def test_pool_spec_error_fails_before_connecting(cluster, capsys):
    cluster['client'] = None
    result, dummy = run(ceph_pool, {'pools': [{'name': 'a'}, {'name': 'a'}]}, capsys)
    assert result['failed'] and "listed more than once" in result['msg']


def test_pool_info(cluster, capsys):
    result, dummy = run(ceph_pool_info, {'cluster': 'central', 'names': ['it-fx-plain', 'nope']}, capsys)
    assert [p['name'] for p in result['pools']] == ['it-fx-plain']
    assert result['pools'][0]['crush_rule'] == 'it-fx-rule'
    assert result['missing'] == ['nope']
    assert result['round_trips'] == 2 and result['changed'] is False


# -------------------------------------------------------------------- auth


GLANCE_CAPS = {'mon': 'profile rbd', 'osd': 'profile rbd pool=images', 'mgr': 'profile rbd pool=images'}


def assert_no_key(text, extra=()):
    for key in list(KEYS) + list(extra):
        assert key not in text


def test_auth_check_mode_and_no_keys_in_output(cluster, capsys):
    new = _auth.generate_key()
    args = {'cluster': 'central', 'clients': [
        {'name': GLANCE, 'secret': new, 'caps': dict(GLANCE_CAPS, osd='profile rbd pool=vms')},
        {'name': 'client.it-other', 'rotate': True},
        {'name': 'client.bootstrap-rgw', 'state': 'absent'},
    ]}
    result, out = run(ceph_auth, args, capsys, check=True, diff=True)
    assert cluster['client'].writes() == []
    assert [a['action'] for a in result['actions']] == ['import', 'create', 'delete']
    assert result['invocation']['module_args']['clients'][0]['secret'] == 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER'
    assert result['diff'][0]['after']['key'] == _auth.fingerprint(new)
    assert_no_key(out, [new])


def test_auth_apply_sends_keys_as_inbuf_only(cluster, capsys):
    new = _auth.generate_key()
    args = {'cluster': 'central', 'clients': [
        {'name': GLANCE, 'secret': new, 'caps': GLANCE_CAPS},
        {'name': 'client.it-rot', 'rotate': True},
    ]}
    result, out = run(ceph_auth, args, capsys, diff=True)
    assert_no_key(out, [new])
    sent = cluster['client'].sent
    imports = [(cmd, inbuf) for cmd, inbuf in sent if cmd['prefix'] == 'auth import']
    assert len(imports) == 1
    cmd, inbuf = imports[0]
    assert cmd == {'prefix': 'auth import'}
    assert inbuf.decode() == _auth.keyring_text(GLANCE, new, GLANCE_CAPS)
    for cmd, dummy in sent:
        assert_no_key(json.dumps(cmd), [new])
    assert result['clients'][GLANCE]['key_fingerprint'] == _auth.fingerprint(new)
    assert 'keyrings' not in result


def test_auth_rotate_existing_client_generates_a_new_key(cluster, capsys):
    result, out = run(ceph_auth, {'cluster': 'central', 'clients': [{'name': GLANCE, 'rotate': True}]}, capsys)
    (cmd, inbuf), = [(c, i) for c, i in cluster['client'].sent if c['prefix'] == 'auth import']
    new_key = inbuf.decode().split('key = ')[1].split('\n')[0]
    assert new_key != GLANCE_KEY and len(_auth.decode_key(new_key)) == 16
    assert result['changed'] and result['actions'][0]['action'] == 'rotate'
    assert_no_key(out, [new_key])


def test_auth_return_keyring(cluster, capsys):
    new = _auth.generate_key()
    args = {'cluster': 'central', 'return_keyring': True, 'clients': [
        {'name': GLANCE, 'caps': GLANCE_CAPS},
        {'name': 'client.it-sup', 'secret': new},
        {'name': 'client.it-made'},
    ]}
    result, out = run(ceph_auth, args, capsys)
    assert result['keyrings'][GLANCE] == _auth.keyring_text(GLANCE, GLANCE_KEY, GLANCE_CAPS)
    assert result['keyrings']['client.it-sup'] == _auth.keyring_text('client.it-sup', new, {})
    assert 'key = AQAoFAJrAAAAABAAcmVhdGVkYnljbHVzdGVyISE=' in result['keyrings']['client.it-made']
    # the supplied secret is still masked in the echoed arguments
    assert result['invocation']['module_args']['clients'][1]['secret'] == 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER'
    # keys of clients not asked for stay out
    others = [k for k in KEYS if k != GLANCE_KEY]
    assert_no_key(out.replace(GLANCE_KEY, ''), others)


def test_auth_return_keyring_in_check_mode_omits_unknown_keys(cluster, capsys):
    args = {'cluster': 'central', 'return_keyring': True, 'clients': [
        {'name': GLANCE, 'rotate': True}, {'name': 'client.it-made'}, {'name': 'client.admin'}]}
    result, dummy = run(ceph_auth, args, capsys, check=True)
    assert sorted(result['keyrings']) == ['client.admin']


def test_auth_caps_removal_guard(cluster, capsys):
    args = {'cluster': 'central', 'clients': [{'name': GLANCE, 'caps': {'mon': 'profile rbd'}}]}
    result, out = run(ceph_auth, args, capsys)
    assert result['failed'] and 'allow_caps_removal: true' in result['msg']
    assert cluster['client'].writes() == []
    assert_no_key(out)


def test_auth_info_keys_only_when_asked(cluster, capsys):
    result, out = run(ceph_auth_info, {'cluster': 'central'}, capsys)
    assert_no_key(out)
    assert 'keyrings' not in result
    assert {c['name'] for c in result['clients']} == {e['entity'] for e in AUTH_LS['auth_dump']}
    result, out = run(ceph_auth_info, {'cluster': 'central', 'names': [GLANCE], 'return_keyring': True}, capsys)
    assert list(result['keyrings']) == [GLANCE] and GLANCE_KEY in result['keyrings'][GLANCE]
    assert_no_key(out.replace(GLANCE_KEY, ''))


@pytest.mark.parametrize('args, result, hidden, quiet', [
    ({}, {'changed': False}, False, False),
    ({'return_keyring': True}, {'keyrings': {}}, False, True),
    ({'return_keyring': 'yes'}, {'keyrings': {'client.x': '[client.x]\n'}}, True, True),
])
def test_action_plugin_hides_keyrings(monkeypatch, args, result, hidden, quiet):
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
    assert seen == [(quiet, quiet)]
    assert plugin._play_context.no_log is False and plugin._connection._play_context.no_log is False
