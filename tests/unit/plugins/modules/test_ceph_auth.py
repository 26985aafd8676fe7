# -*- coding: utf-8 -*-
# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ceph_auth against the stand-in cluster of conftest.py: keys never in the output unless asked for."""

from __future__ import annotations

import json
import os

import pytest

from ansible_collections.edgestack.glance_ceph.plugins.module_utils import _auth
from ansible_collections.edgestack.glance_ceph.plugins.modules import ceph_auth

FIXTURES = os.path.join(os.path.dirname(__file__), '..', '..', 'fixtures')
with open(os.path.join(FIXTURES, 'central_auth_ls.json')) as _handle:
    AUTH_LS = json.load(_handle)
KEYS = [entry['key'] for entry in AUTH_LS['auth_dump']]
GLANCE = 'client.it-fx-glance'
GLANCE_KEY = _auth.current_clients(AUTH_LS)[GLANCE]['key']


GLANCE_CAPS = {'mon': 'profile rbd', 'osd': 'profile rbd pool=images', 'mgr': 'profile rbd pool=images'}


def assert_no_key(text, extra=()):
    for key in list(KEYS) + list(extra):
        assert key not in text


def test_auth_check_mode_and_no_keys_in_output(cluster, run_module):
    new = _auth.generate_key()
    args = {'cluster': 'central', 'clients': [
        {'name': GLANCE, 'secret': new, 'caps': dict(GLANCE_CAPS, osd='profile rbd pool=vms')},
        {'name': 'client.it-other', 'rotate': True},
        {'name': 'client.bootstrap-rgw', 'state': 'absent'},
    ]}
    result, out = run_module(ceph_auth, args, check=True, diff=True)
    assert cluster['client'].writes() == []
    assert [a['action'] for a in result['actions']] == ['import', 'create', 'delete']
    assert result['invocation']['module_args']['clients'][0]['secret'] == 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER'
    assert result['diff'][0]['after']['key'] == _auth.fingerprint(new)
    assert_no_key(out, [new])


def test_auth_apply_sends_keys_as_inbuf_only(cluster, run_module):
    new = _auth.generate_key()
    args = {'cluster': 'central', 'clients': [
        {'name': GLANCE, 'secret': new, 'caps': GLANCE_CAPS},
        {'name': 'client.it-rot', 'rotate': True},
    ]}
    result, out = run_module(ceph_auth, args, diff=True)
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


def test_auth_rotate_existing_client_generates_a_new_key(cluster, run_module):
    result, out = run_module(ceph_auth, {'cluster': 'central', 'clients': [{'name': GLANCE, 'rotate': True}]})
    (cmd, inbuf), = [(c, i) for c, i in cluster['client'].sent if c['prefix'] == 'auth import']
    new_key = inbuf.decode().split('key = ')[1].split('\n')[0]
    assert new_key != GLANCE_KEY and len(_auth.decode_key(new_key)) == 16
    assert result['changed'] and result['actions'][0]['action'] == 'rotate'
    assert_no_key(out, [new_key])


def test_auth_return_keyring(cluster, run_module):
    new = _auth.generate_key()
    args = {'cluster': 'central', 'return_keyring': True, 'clients': [
        {'name': GLANCE, 'caps': GLANCE_CAPS},
        {'name': 'client.it-sup', 'secret': new},
        {'name': 'client.it-made'},
    ]}
    result, out = run_module(ceph_auth, args)
    assert result['keyrings'][GLANCE] == _auth.keyring_text(GLANCE, GLANCE_KEY, GLANCE_CAPS)
    assert result['keyrings']['client.it-sup'] == _auth.keyring_text('client.it-sup', new, {})
    assert 'key = AQAoFAJrAAAAABAAcmVhdGVkYnljbHVzdGVyISE=' in result['keyrings']['client.it-made']
    # the supplied secret is still masked in the echoed arguments
    assert result['invocation']['module_args']['clients'][1]['secret'] == 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER'
    # keys of clients not asked for stay out
    others = [k for k in KEYS if k != GLANCE_KEY]
    assert_no_key(out.replace(GLANCE_KEY, ''), others)


def test_auth_return_keyring_in_check_mode_omits_unknown_keys(cluster, run_module):
    args = {'cluster': 'central', 'return_keyring': True, 'clients': [
        {'name': GLANCE, 'rotate': True}, {'name': 'client.it-made'}, {'name': 'client.admin'}]}
    result, dummy = run_module(ceph_auth, args, check=True)
    assert sorted(result['keyrings']) == ['client.admin']


def test_auth_caps_removal_guard(cluster, run_module):
    args = {'cluster': 'central', 'clients': [{'name': GLANCE, 'caps': {'mon': 'profile rbd'}}]}
    result, out = run_module(ceph_auth, args)
    assert result['failed'] and 'allow_caps_removal: true' in result['msg']
    assert cluster['client'].writes() == []
    assert_no_key(out)


DEV = 'client.it-dev'
DEV_CAPS = {'mon': 'profile rbd', 'osd': 'profile rbd pool=it-dev1'}


@pytest.mark.parametrize('return_keyring', [False, True])
def test_lookup_gives_the_modules_result_without_the_module(cluster, run_module, settle_by_lookup, return_keyring):
    """The action's plan over the lookup's answers is the module's own: same clients, before, after and
    keyrings (the keys of the clients asked for, and no other), for a plan with nothing to do."""
    from ansible_collections.edgestack.glance_ceph.plugins.action import ceph_auth as action
    args = {'cluster': 'central', 'return_keyring': return_keyring, 'clients': [
        {'name': GLANCE, 'caps': GLANCE_CAPS}, {'name': DEV, 'secret': _auth.current_clients(AUTH_LS)[DEV]['key']},
        {'name': 'client.it-gone', 'state': 'absent'}]}
    module, dummy = run_module(ceph_auth, args, diff=True)
    assert module['changed'] is False and cluster['client'].writes() == []
    settled, asked = settle_by_lookup(action, args, diff=True)
    assert settled is not None and settled['lookup_only'] is True
    assert asked['mon'] == [{'prefix': 'auth ls', 'format': 'json'}] and asked['objects'] == []
    # the whole result, but the arguments the module echoes and the lookup's own flag
    assert dict(settled, invocation=None, lookup_only=None) == dict(module, invocation=None, lookup_only=None)
    assert ('keyrings' in settled) is return_keyring
    if return_keyring:
        assert sorted(settled['keyrings']) == [DEV, GLANCE]
    assert_no_key(json.dumps(dict((k, v) for k, v in settled.items() if k != 'keyrings')))


@pytest.mark.parametrize('client', [
    {'name': GLANCE, 'caps': dict(GLANCE_CAPS, osd='profile rbd pool=other')},   # caps to change
    {'name': GLANCE, 'rotate': True},                                           # a rotation
    {'name': DEV, 'secret': 'AQBKtwFlAAAAABAAJ4cTqXyHBmhMAnnMX1/KZw=='},          # another key to import
    {'name': 'client.it-new'},                                                  # a creation
    {'name': DEV, 'state': 'absent'},                                           # a deletion
    {'name': GLANCE, 'caps': {'mon': 'profile rbd'}},                           # caps removal, refused
], ids=['caps', 'rotate', 'import', 'creation', 'deletion', 'refused'])
def test_lookup_leaves_any_work_to_the_module(settle_by_lookup, client):
    from ansible_collections.edgestack.glance_ceph.plugins.action import ceph_auth as action
    settled, dummy = settle_by_lookup(action, {'cluster': 'central', 'clients': [client]})
    assert settled is None
