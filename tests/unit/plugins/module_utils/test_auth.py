# -*- coding: utf-8 -*-
# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Table-driven tests of the CephX client planner (plugins/module_utils/_auth.py).

tests/unit/fixtures/central_auth_ls.json is `auth ls -f json` of a lab
cluster with every key replaced by a freshly generated fake one.
"""

from __future__ import annotations

import base64
import json
import os
import struct

import pytest

from ansible_collections.edgestack.glance_ceph.plugins.module_utils import _auth

FIXTURES = os.path.join(os.path.dirname(__file__), '..', '..', 'fixtures')


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as handle:
        return json.load(handle)


AUTH_LS = fixture('central_auth_ls.json')
GET_OR_CREATE = fixture('central_auth_get_or_create.json')
CURRENT = _auth.current_clients(AUTH_LS)
GLANCE = 'client.it-fx-glance'
GLANCE_CAPS = {'mon': 'profile rbd', 'osd': 'profile rbd pool=images', 'mgr': 'profile rbd pool=images'}
NEW_KEY = _auth.generate_key(now=1700000000.5, random_bytes=lambda n: b'\x01' * n)
OTHER_KEY = _auth.generate_key(now=1700000001.0, random_bytes=lambda n: b'\x02' * n)


def all_keys():
    return [entry['key'] for entry in CURRENT.values()] + [NEW_KEY, OTHER_KEY]


def plan_for(clients, allow_caps_removal=False, new_keys=None):
    return _auth.plan(_auth.desired_clients(clients), CURRENT, allow_caps_removal=allow_caps_removal,
                      new_keys=new_keys)


def assert_no_key_in(*values):
    text = json.dumps(values, default=repr)
    for key in all_keys():
        assert key not in text


# --------------------------------------------------------------- caps text


@pytest.mark.parametrize('text, normal', [
    ('profile rbd', 'profile rbd'),
    ('  profile   rbd  ', 'profile rbd'),
    ('profile rbd pool = images', 'profile rbd pool=images'),
    ('profile rbd pool=images,profile rbd pool=vms', 'profile rbd pool=images, profile rbd pool=vms'),
    ('profile rbd pool=images ,\tprofile rbd-read-only pool=vms', 'profile rbd pool=images, profile rbd-read-only pool=vms'),
    ('allow rwx', 'allow rwx'),
])
def test_normalize_cap(text, normal):
    assert _auth.normalize_cap(text) == normal


def test_normalize_caps_drops_empty_and_keeps_none_unmanaged():
    assert _auth.normalize_caps(None) is None
    assert _auth.normalize_caps({'mon': 'profile  rbd', 'mgr': '', 'mds': None}) == {'mon': 'profile rbd'}


@pytest.mark.parametrize('caps, message', [
    ({'rgw': 'allow *'}, "unknown cap type 'rgw'"),
    ({'mon': 3}, 'must be a string'),
    ({'mon': 'allow command "auth get"'}, 'double quotes'),
])
def test_normalize_caps_rejects(caps, message):
    with pytest.raises(_auth.AuthSpecError) as err:
        _auth.normalize_caps(caps)
    assert message in str(err.value)


def test_flat_caps_in_fixed_order():
    assert _auth.flat_caps(GLANCE_CAPS) == ['mon', 'profile rbd', 'mgr', 'profile rbd pool=images',
                                            'osd', 'profile rbd pool=images']


# -------------------------------------------------------------------- keys


def test_fixture_keys_are_valid_cephx_keys():
    for entry in CURRENT.values():
        assert len(_auth.decode_key(entry['key'])) == 16


def test_generated_key_layout():
    raw = base64.b64decode(NEW_KEY)
    assert struct.unpack('<HIIH', raw[:12]) == (1, 1700000000, 500000000, 16)
    assert raw[12:] == b'\x01' * 16
    assert NEW_KEY.startswith('AQ')
    assert _auth.decode_key(NEW_KEY) == b'\x01' * 16
    assert _auth.generate_key() != _auth.generate_key()


@pytest.mark.parametrize('secret, reason', [
    ('not base64 at all!', 'not base64'),
    (base64.b64encode(b'\x01\x00' + b'\x00' * 6).decode(), 'too short'),
    (base64.b64encode(struct.pack('<HIIH', 2, 0, 0, 16) + b'\x00' * 16).decode(), 'unsupported key type 2'),
    (base64.b64encode(struct.pack('<HIIH', 1, 0, 0, 16) + b'\x00' * 8).decode(), 'wrong length'),
])
def test_decode_key_rejects(secret, reason):
    with pytest.raises(_auth.AuthSpecError) as err:
        _auth.decode_key(secret)
    assert reason in str(err.value)


def test_invalid_secret_error_does_not_quote_it():
    secret = base64.b64encode(struct.pack('<HIIH', 1, 0, 0, 16) + b'\x07' * 8).decode()
    with pytest.raises(_auth.AuthSpecError) as err:
        _auth.desired_clients([{'name': 'client.x', 'secret': secret}])
    assert 'client.x: secret is not a valid CephX key (wrong length)' in str(err.value)
    assert secret not in str(err.value)


def test_fingerprint():
    fp = _auth.fingerprint(NEW_KEY)
    assert fp.startswith('sha256:') and len(fp) == len('sha256:') + 12
    assert fp == _auth.fingerprint(' %s\n' % NEW_KEY)
    assert fp != _auth.fingerprint(OTHER_KEY)
    assert _auth.fingerprint(None) is None


def test_keyring_text_is_what_auth_get_prints():
    assert _auth.keyring_text(GLANCE, NEW_KEY, GLANCE_CAPS) == (
        '[client.it-fx-glance]\n'
        '\tkey = %s\n'
        '\tcaps mon = "profile rbd"\n'
        '\tcaps mgr = "profile rbd pool=images"\n'
        '\tcaps osd = "profile rbd pool=images"\n' % NEW_KEY)


def test_current_clients_reads_auth_ls_and_get_or_create():
    assert CURRENT[GLANCE]['caps'] == GLANCE_CAPS
    assert 'osd.0' in CURRENT and 'client.admin' in CURRENT
    created = _auth.current_clients(GET_OR_CREATE)
    assert created[GLANCE] == CURRENT[GLANCE]


# -------------------------------------------------------------- validation


@pytest.mark.parametrize('clients, message', [
    ([{'name': 'glance'}], 'client names look like client.<id>'),
    ([{'name': 'osd.0'}], 'client names look like client.<id>'),
    ([{'name': 'client.a'}, {'name': 'client.a'}], 'listed more than once'),
    ([{'name': 'client.a', 'secret': 'AQ', 'rotate': True}], 'secret and rotate exclude each other'),
])
def test_invalid_clients(clients, message):
    with pytest.raises(_auth.AuthSpecError) as err:
        _auth.desired_clients(clients)
    assert message in str(err.value)


# ------------------------------------------------------------------- plans


def test_unchanged_client():
    result = plan_for([{'name': GLANCE, 'caps': dict(GLANCE_CAPS)}])
    assert result.actions == [] and result.diff == [] and not result.changed
    assert result.final_caps[GLANCE] == GLANCE_CAPS


def test_whitespace_only_caps_difference_is_no_change():
    caps = {'mon': ' profile   rbd', 'osd': 'profile rbd  pool = images', 'mgr': 'profile rbd pool=images '}
    assert plan_for([{'name': GLANCE, 'caps': caps}]).actions == []


def test_caps_unset_are_unmanaged():
    assert plan_for([{'name': GLANCE}]).actions == []


def test_same_secret_is_no_change():
    assert plan_for([{'name': GLANCE, 'secret': CURRENT[GLANCE]['key'], 'caps': GLANCE_CAPS}]).actions == []


def test_create_without_secret():
    result = plan_for([{'name': 'client.it-new', 'caps': {'mon': 'profile rbd'}}])
    assert result.actions == [{'entity': 'client.it-new', 'action': 'create', 'caps': {'mon': 'profile rbd'}}]
    assert result.imports == {}
    assert result.diff[0]['before'] == {'state': 'absent'}
    assert result.diff[0]['after'] == {'caps': {'mon': 'profile rbd'}, 'key': '(generated by the cluster)'}


def test_create_with_secret_imports_it():
    result = plan_for([{'name': 'client.it-new', 'secret': NEW_KEY, 'caps': {'mon': 'profile rbd'}}])
    assert result.actions == [{'entity': 'client.it-new', 'action': 'import', 'caps': {'mon': 'profile rbd'}}]
    assert result.imports == {'client.it-new': (NEW_KEY, {'mon': 'profile rbd'})}
    assert result.diff[0]['after']['key'] == _auth.fingerprint(NEW_KEY)
    assert_no_key_in(result.actions, result.diff, result.warnings)


def test_caps_change_keeps_the_key():
    caps = dict(GLANCE_CAPS, osd='profile rbd pool=images, profile rbd pool=vms')
    result = plan_for([{'name': GLANCE, 'caps': caps}])
    assert result.actions == [{'entity': GLANCE, 'action': 'caps', 'caps': caps}]
    assert result.imports == {}
    diff = result.diff[0]
    assert diff['before']['key'] == diff['after']['key'] == _auth.fingerprint(CURRENT[GLANCE]['key'])
    assert diff['before']['caps']['osd'] == 'profile rbd pool=images'
    assert diff['after']['caps']['osd'] == 'profile rbd pool=images, profile rbd pool=vms'


def test_caps_removal_needs_allow_caps_removal():
    with pytest.raises(_auth.AuthSpecError) as err:
        plan_for([{'name': GLANCE, 'caps': {'mon': 'profile rbd', 'osd': 'profile rbd pool=images'}}])
    assert 'caps mgr (profile rbd pool=images) would be removed' in str(err.value)
    assert 'allow_caps_removal: true' in str(err.value)


def test_caps_removal_allowed_is_reported():
    caps = {'mon': 'profile rbd', 'osd': 'profile rbd pool=images'}
    result = plan_for([{'name': GLANCE, 'caps': caps}], allow_caps_removal=True)
    assert result.actions == [{'entity': GLANCE, 'action': 'caps', 'caps': caps, 'removed_caps': ['mgr']}]
    assert 'mgr' in result.diff[0]['before']['caps'] and 'mgr' not in result.diff[0]['after']['caps']


def test_removing_every_cap_imports_the_unchanged_key():
    result = plan_for([{'name': GLANCE, 'caps': {}}], allow_caps_removal=True)
    assert result.actions == [{'entity': GLANCE, 'action': 'import', 'caps': {},
                               'removed_caps': ['mon', 'mgr', 'osd']}]
    assert result.imports[GLANCE] == (CURRENT[GLANCE]['key'], {})


def test_new_secret_is_imported_with_current_caps_when_caps_unmanaged():
    result = plan_for([{'name': GLANCE, 'secret': NEW_KEY}])
    assert result.actions == [{'entity': GLANCE, 'action': 'import', 'caps': GLANCE_CAPS}]
    assert result.imports[GLANCE] == (NEW_KEY, GLANCE_CAPS)
    assert result.diff[0]['after']['key'] == _auth.fingerprint(NEW_KEY)
    assert result.diff[0]['before']['key'] == _auth.fingerprint(CURRENT[GLANCE]['key'])
    assert_no_key_in(result.actions, result.diff)


def test_rotate_imports_the_generated_key():
    result = plan_for([{'name': GLANCE, 'rotate': True}], new_keys={GLANCE: OTHER_KEY})
    assert result.actions == [{'entity': GLANCE, 'action': 'rotate', 'caps': GLANCE_CAPS}]
    assert result.imports[GLANCE] == (OTHER_KEY, GLANCE_CAPS)
    assert result.diff[0]['after'] == {'caps': GLANCE_CAPS, 'key': '(new random key)'}
    assert_no_key_in(result.actions, result.diff)


def test_rotate_of_a_new_client_just_creates_it():
    result = plan_for([{'name': 'client.it-new', 'rotate': True}])
    assert result.actions == [{'entity': 'client.it-new', 'action': 'create', 'caps': {}}]


def test_delete_and_absent():
    result = plan_for([{'name': GLANCE, 'state': 'absent'}, {'name': 'client.it-gone', 'state': 'absent'}])
    assert result.actions == [{'entity': GLANCE, 'action': 'delete'}]
    assert result.diff[0]['after_header'] == '%s (deleted)' % GLANCE
    assert result.diff[0]['before']['caps'] == GLANCE_CAPS
    assert result.diff[0]['after'] == {'state': 'absent'}
    assert_no_key_in(result.actions, result.diff)


def test_info_never_holds_keys():
    clients = _auth.info(CURRENT, [GLANCE, 'client.nobody'])
    assert clients == [{'name': GLANCE, 'caps': GLANCE_CAPS,
                        'key_fingerprint': _auth.fingerprint(CURRENT[GLANCE]['key'])}]
    assert_no_key_in(_auth.info(CURRENT))
