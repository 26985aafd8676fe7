# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ceph_keyring: its option check and file plan table-driven, and the module end
to end on a temporary directory, owned by the test's own user."""

from __future__ import annotations

import grp
import json
import os
import pwd
import stat

import pytest

from ansible.module_utils.testing import patch_module_args
from ansible_collections.edgestack.glance_ceph.plugins.module_utils import _auth
from ansible_collections.edgestack.glance_ceph.plugins.modules import ceph_keyring
from ansible_collections.edgestack.glance_ceph.plugins.module_utils._auth import keyring_key
from ansible_collections.edgestack.glance_ceph.plugins.module_utils._client_files import (
    FileError as KeyringError,
    is_managed,
    keyring_content,
    plan_file as plan,
)
from ansible_collections.edgestack.glance_ceph.plugins.modules.ceph_keyring import validate

KEY = _auth.generate_key(now=1700000000.5, random_bytes=lambda n: b'\x01' * n)
OTHER = _auth.generate_key(now=1700000001.5, random_bytes=lambda n: b'\x02' * n)
UID = os.getuid()
GID = os.getgid()


# ------------------------------------------------------------------ pure parts
def params(**kwargs):
    base = dict(path='/etc/ceph/central.client.glance.keyring', name='client.glance', key=KEY, owner='root',
                group='glance', mode='0640', state='present', force=False)
    base.update(kwargs)
    return base


def desired(**kwargs):
    result = validate(params(**kwargs))
    result.update(uid=0, gid=64062)
    return result


def current(content=None, uid=0, gid=64062, mode=0o640):
    content = keyring_content('client.glance', KEY, 'ceph_keyring') if content is None else content
    return {'content': content, 'managed': is_managed(content), 'uid': uid, 'gid': gid, 'mode': mode}


@pytest.mark.parametrize('want, have, actions', [
    (desired(), None, ['write']),
    (desired(), current(), []),
    (desired(key=OTHER), current(), ['write']),
    (desired(key='  %s\n' % KEY), current(), []),
    (desired(name='client.glance2'), current(), ['write']),
    (desired(), current(mode=0o600), ['attributes']),
    (desired(), current(gid=0), ['attributes']),
    (desired(), current(uid=1000), ['attributes']),
    (desired(mode='0600'), current(), ['attributes']),
    # content and attributes: one atomic write sets both
    (desired(key=OTHER), current(mode=0o600, gid=0), ['write']),
    (desired(force=True), current(content='[client.glance]\n\tkey = %s\n' % KEY), ['write']),
    (desired(state='absent'), None, []),
    (desired(state='absent'), current(), ['remove']),
    (desired(state='absent', force=True), current(content='[client.glance]\n'), ['remove']),
])
def test_plan(want, have, actions):
    assert plan(want, have) == actions


def test_plan_refuses_foreign_files():
    foreign = current(content='[client.glance]\n\tkey = %s\n' % OTHER)
    with pytest.raises(KeyringError, match='not written by edgestack.glance_ceph.*force: true') as info:
        plan(desired(), foreign)
    assert OTHER not in str(info.value) and KEY not in str(info.value)
    with pytest.raises(KeyringError, match='refusing to remove'):
        plan(desired(state='absent'), foreign)


@pytest.mark.parametrize('kwargs, needle', [
    ({'path': 'relative.keyring'}, 'absolute path'),
    ({'path': '/etc/ceph/'}, 'absolute path'),
    ({'name': 'glance'}, 'CephX entity'),
    ({'name': 'client.a b'}, 'CephX entity'),
    ({'key': ''}, 'key is required'),
    ({'key': 'not-a-key'}, 'not a valid CephX key'),
    ({'key': 'QUJD'}, 'not a valid CephX key'),
    ({'key': KEY[:-6] + '=='}, 'not a valid CephX key'),
    ({'mode': '0644'}, 'every user'),
])
def test_validate(kwargs, needle):
    with pytest.raises(KeyringError, match=needle) as info:
        validate(params(**kwargs))
    assert KEY not in str(info.value)


def test_validate_absent_needs_no_key():
    assert validate(params(state='absent', name=None, key=None))['state'] == 'absent'


# ------------------------------------------------------------------ the module
def run(args, capsys, check=False, diff=False):
    args = dict(args)
    args['_ansible_check_mode'] = check
    args['_ansible_diff'] = diff
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            ceph_keyring.main()
    out = capsys.readouterr().out
    return json.loads(out), out


@pytest.fixture
def target(tmp_path):
    return dict(path=str(tmp_path / 'central.client.glance.keyring'), name='client.glance', key=KEY,
                owner=str(UID), group=str(GID), mode='0640')


def file_state(path):
    info = os.lstat(path)
    with open(path) as handle:
        return handle.read(), info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)


def test_write_check_mode_idempotence_and_diff(target, capsys, tmp_path):
    result, out = run(target, capsys, check=True, diff=True)
    assert result['changed'] is True and result['actions'] == ['write']
    assert not os.path.exists(target['path'])
    assert KEY not in out
    assert result['diff']['before'] == {'state': 'absent'}
    assert result['diff']['after']['key'] == _auth.fingerprint(KEY)
    assert result['diff']['after']['mode'] == '0640'

    result, out = run(target, capsys, diff=True)
    assert result['changed'] is True and result['key_fingerprint'] == _auth.fingerprint(KEY)
    assert KEY not in out
    assert file_state(target['path']) == (keyring_content('client.glance', KEY, 'ceph_keyring'), UID, GID, 0o640)
    # no temporary file is left behind
    assert os.listdir(str(tmp_path)) == ['central.client.glance.keyring']

    result, out = run(target, capsys, diff=True)
    assert result['changed'] is False and result['actions'] == []


def test_new_key_replaces_the_file_atomically(target, capsys):
    run(target, capsys)
    before_inode = os.stat(target['path']).st_ino
    result, out = run(dict(target, key=OTHER), capsys, diff=True)
    assert result['actions'] == ['write']
    assert OTHER not in out and KEY not in out
    assert result['diff']['before']['key'] == _auth.fingerprint(KEY)
    assert result['diff']['after']['key'] == _auth.fingerprint(OTHER)
    assert keyring_key(file_state(target['path'])[0], 'client.glance') == OTHER
    assert os.stat(target['path']).st_ino != before_inode


def test_attributes_are_fixed_in_place(target, capsys):
    run(target, capsys)
    os.chmod(target['path'], 0o600)
    result, dummy = run(target, capsys, check=True)
    assert result['actions'] == ['attributes']
    assert stat.S_IMODE(os.stat(target['path']).st_mode) == 0o600
    result, dummy = run(target, capsys)
    assert result['actions'] == ['attributes']
    assert stat.S_IMODE(os.stat(target['path']).st_mode) == 0o640


def test_foreign_file_is_left_alone_unless_forced(target, capsys):
    with open(target['path'], 'w') as handle:
        handle.write('[client.glance]\n\tkey = %s\n' % OTHER)
    result, out = run(target, capsys)
    assert result['failed'] is True and 'force: true' in result['msg']
    assert OTHER not in out and KEY not in out
    assert keyring_key(file_state(target['path'])[0], 'client.glance') == OTHER
    result, out = run(dict(target, force=True), capsys)
    assert result['changed'] is True
    assert is_managed(file_state(target['path'])[0])


def test_remove(target, capsys):
    run(target, capsys)
    absent = dict(path=target['path'], state='absent')
    result, dummy = run(absent, capsys, check=True)
    assert result['actions'] == ['remove'] and os.path.exists(target['path'])
    result, dummy = run(absent, capsys)
    assert result['changed'] is True and not os.path.exists(target['path'])
    result, dummy = run(absent, capsys)
    assert result['changed'] is False


def test_symlink_and_missing_directory_are_refused(target, capsys, tmp_path):
    os.symlink(str(tmp_path / 'elsewhere'), target['path'])
    result, dummy = run(target, capsys)
    assert result['failed'] is True and 'symbolic link' in result['msg']
    result, dummy = run(dict(target, path=str(tmp_path / 'missing' / 'x.keyring')), capsys)
    assert result['failed'] is True and 'does not exist' in result['msg']


def test_unknown_group_is_named(target, capsys):
    result, out = run(dict(target, group='no-such-group-xyz'), capsys)
    assert result['failed'] is True and "group 'no-such-group-xyz' does not exist" in result['msg']
    assert KEY not in out


def test_owner_and_group_by_name(target, capsys):
    user = pwd.getpwuid(UID).pw_name
    group = grp.getgrgid(GID).gr_name
    result, dummy = run(dict(target, owner=user, group=group), capsys, diff=True)
    assert result['changed'] is True
    assert result['diff']['after']['owner'] == user and result['diff']['after']['group'] == group
