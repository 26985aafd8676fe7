# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ceph_client_files end to end on a temporary directory (as root, with the real
ceph-conf checking each conf); its plan is tested in module_utils/test_client_files.py."""

from __future__ import annotations

import json
import os
import shutil
import stat

import pytest

from ansible.module_utils.testing import patch_module_args
from ansible_collections.edgestack.glance_ceph.plugins.module_utils import _auth
from ansible_collections.edgestack.glance_ceph.plugins.module_utils import _client_files as files
from ansible_collections.edgestack.glance_ceph.plugins.modules import ceph_client_files

KEY = _auth.generate_key(now=1700000000.5, random_bytes=lambda n: b'\x01' * n)
OTHER = _auth.generate_key(now=1700000001.5, random_bytes=lambda n: b'\x02' * n)
FSID = {'central': '6a0d1c3e-0f43-4bd5-9b0e-2d63c2a7b8f1', 'dcn0': '0b7e2c1a-3f7d-4c84-8a55-61a0f5d2e9c4',
        'dcn1': '9c1e5d7a-2b4f-4e6a-8c0d-1f2e3a4b5c6d'}
MON = {'central': '[v2:192.0.2.10:3300,v1:192.0.2.10:6789]', 'dcn0': '[v2:192.0.2.20:3300,v1:192.0.2.20:6789]',
       'dcn1': '[v2:192.0.2.30:3300,v1:192.0.2.30:6789]'}


def cluster(name, key=KEY, clients=('client.glance',)):
    return {'name': name, 'fsid': FSID[name], 'mon_host': MON[name],
            'clients': [{'name': c, 'key': key} for c in clients]}


# ------------------------------------------------------------------ the module
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason='the module sets root ownership on confs: run as root')
needs_ceph_conf = pytest.mark.skipif(shutil.which('ceph-conf') is None,
                                     reason='ceph-conf (Debian package ceph-common) is not installed')


def run(args, capsys, check=False, diff=False):
    args = dict(args, _ansible_check_mode=check, _ansible_diff=diff)
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            ceph_client_files.main()
    out = capsys.readouterr().out
    return json.loads(out), out


@pytest.fixture
def args(tmp_path):
    return {'dir': str(tmp_path / 'ceph'), 'clusters': [cluster('central'), cluster('dcn0')],
            'keyring_group': 'root', 'keyring_mode': '0640'}


def listing(directory):
    out = {}
    for name in sorted(os.listdir(directory)):
        info = os.lstat(os.path.join(directory, name))
        with open(os.path.join(directory, name)) as handle:
            out[name] = (handle.read(), stat.S_IMODE(info.st_mode))
    return out


@needs_root
@needs_ceph_conf
def test_module_check_mode_then_write_then_nothing(args, capsys):
    result, out = run(args, capsys, check=True, diff=True)
    assert result['changed'] is True and not os.path.exists(args['dir'])
    assert [a['action'] for a in result['actions']] == ['create', 'write', 'write', 'write', 'write']
    assert KEY not in out
    keyring_diff = next(d for d in result['diff'] if d['after_header'].endswith('central.client.glance.keyring'))
    assert 'key: %s' % _auth.fingerprint(KEY) in keyring_diff['after'] and 'mode: 0640' in keyring_diff['after']

    result, out = run(args, capsys, diff=True)
    assert result['changed'] is True and KEY not in out
    files_now = listing(args['dir'])
    assert sorted(files_now) == ['central.client.glance.keyring', 'central.conf', 'dcn0.client.glance.keyring',
                                 'dcn0.conf']
    assert files_now['dcn0.conf'] == (files.conf_content('dcn0', FSID['dcn0'], MON['dcn0'], args['dir']), 0o644)
    assert files_now['central.client.glance.keyring'] == (files.keyring_content('client.glance', KEY), 0o640)
    assert stat.S_IMODE(os.stat(args['dir']).st_mode) == 0o755

    result, out = run(args, capsys, check=True, diff=True)
    assert result['changed'] is False and result['actions'] == [] and result['diff'] == []


@needs_root
@needs_ceph_conf
def test_module_removes_stale_files_and_keeps_foreign_ones(args, capsys):
    run(dict(args, clusters=args['clusters'] + [cluster('dcn1')]), capsys)
    foreign = os.path.join(args['dir'], 'dcn1.client.hand.keyring')
    with open(foreign, 'w') as handle:
        handle.write('[client.hand]\n\tkey = %s\n' % OTHER)
    result, out = run(dict(args, absent=['dcn1']), capsys, diff=True)
    assert sorted((a['path'].rsplit('/', 1)[1], a['action']) for a in result['actions']) == [
        ('dcn1.client.glance.keyring', 'remove'), ('dcn1.conf', 'remove')]
    assert KEY not in out and OTHER not in out
    assert sorted(os.listdir(args['dir'])) == ['central.client.glance.keyring', 'central.conf',
                                               'dcn0.client.glance.keyring', 'dcn0.conf', 'dcn1.client.hand.keyring']
    assert os.path.exists(foreign)
    assert not os.path.exists(os.path.join(args['dir'], 'dcn1.conf'))


@needs_root
@needs_ceph_conf
def test_module_changes_nothing_while_a_file_is_in_the_way(args, capsys):
    os.makedirs(args['dir'])
    hand = os.path.join(args['dir'], 'dcn0.conf')
    with open(hand, 'w') as handle:
        handle.write('# written by hand\n[global]\nfsid = %s\n' % FSID['dcn0'])
    result, out = run(args, capsys)
    assert result['failed'] is True and result['changed'] is False
    assert [(p['kind'], p['path']) for p in result['problems']] == [('foreign_conf', hand)]
    assert os.listdir(args['dir']) == ['dcn0.conf']  # not even central's files were written
    assert KEY not in out
    result = run(dict(args, adopt=True), capsys)[0]
    assert result['changed'] is True and files.is_managed(open(hand).read())


@needs_root
@needs_ceph_conf
def test_module_verifies_a_local_conf_with_ceph_conf(args, capsys):
    os.makedirs(args['dir'])
    own = os.path.join(args['dir'], 'dcn0.conf')
    with open(own, 'w') as handle:
        handle.write('[global]\nfsid = %s\nmon_host = 192.0.2.20\n' % FSID['dcn0'])
    result = run(dict(args, local=['dcn0']), capsys)[0]
    assert result.get('failed') is not True and open(own).read().startswith('[global]')
    with open(own, 'w') as handle:
        handle.write('[global]\nfsid = %s\n' % FSID['central'])
    result = run(dict(args, local=['dcn0']), capsys)[0]
    assert result['failed'] is True
    assert [p['kind'] for p in result['problems']] == ['local_conf']
    assert FSID['central'] in result['problems'][0]['detail']


@pytest.mark.parametrize('change, needle', [
    ({'local': ['dcn9']}, 'local lists dcn9, which are not in clusters'),
    ({'absent': ['dcn0']}, 'absent lists dcn0, which are also in clusters'),
    ({'clusters': [cluster('central'), cluster('central')]}, 'clusters lists a name twice: central'),
    ({'keyring_mode': '0644'}, 'every user'),
    ({'dir': 'etc/ceph'}, 'dir must be an absolute directory path'),
    ({'clusters': [dict(cluster('central'), clients=[{'name': 'client.glance', 'key': 'not-a-key'}])]},
     'key of client.glance on cluster central is not a valid CephX key'),
    ({'clusters': [dict(cluster('central'), mon_host='')]}, 'mon_host of cluster central is empty'),
    ({'keyring_group': 'no-such-group-xyz'}, "group 'no-such-group-xyz' does not exist"),
])
def test_module_bad_input_fails_before_reading(args, capsys, change, needle):
    result, out = run(dict(args, **change), capsys)
    assert result['failed'] is True and needle in result['msg']
    assert not os.path.exists(args['dir'])
    assert KEY not in out


@needs_root
@needs_ceph_conf
def test_module_adopting_a_conf_never_shows_its_old_text(args, capsys):
    os.makedirs(args['dir'])
    hand = os.path.join(args['dir'], 'dcn0.conf')
    with open(hand, 'w') as handle:
        handle.write('# written by hand\n[global]\nfsid = %s\n[client.old]\nkey = %s\n' % (FSID['dcn0'], OTHER))
    result, out = run(dict(args, adopt=True), capsys, check=True, diff=True)
    assert OTHER not in out and KEY not in out
    conf_diff = next(d for d in result['diff'] if d['before_header'] == hand)
    assert conf_diff['before'] == '(a conf the collection did not write, 5 lines: not shown)\n'


@needs_root
@needs_ceph_conf
def test_module_follows_a_local_conf_that_is_a_link(args, capsys, tmp_path):
    os.makedirs(args['dir'])
    real = tmp_path / 'daemons.conf'
    real.write_text('[global]\nfsid = %s\nmon_host = 192.0.2.20\n' % FSID['dcn0'])
    os.symlink(str(real), os.path.join(args['dir'], 'dcn0.conf'))
    result = run(dict(args, local=['dcn0']), capsys)[0]
    assert result.get('failed') is not True, result
    assert os.path.islink(os.path.join(args['dir'], 'dcn0.conf'))


@needs_root
@needs_ceph_conf
def test_module_checks_the_written_files_as_the_service_user_after_writing(args, capsys, monkeypatch):
    """The preflight runs after the files are in place, with each cluster's fsid, never in check mode."""
    from ansible_collections.edgestack.glance_ceph.plugins.module_utils import _preflight
    calls = []

    def fake_check(user, python, timeout, clusters, directory):
        calls.append((user, python, timeout, clusters, directory, sorted(os.listdir(directory))))
        return [{'cluster': c['name'], 'ok': c['name'] == 'central', 'message': 'cluster %s: ...' % c['name']}
                for c in clusters]

    monkeypatch.setattr(_preflight, 'check_or_report', fake_check)
    args = dict(args, preflight={'run_as': 'glance', 'timeout': 3, 'clusters': [
        {'name': 'dcn0', 'user': 'glance', 'pool': 'images'}, {'name': 'central', 'user': 'glance', 'pool': 'images'}]})
    result, _out = run(args, capsys, check=True)
    assert result['preflight'] == [] and calls == []
    result, _out = run(args, capsys)
    assert result['changed'] is True
    assert [(r['cluster'], r['ok']) for r in result['preflight']] == [('dcn0', False), ('central', True)]
    (user, python, timeout, clusters, directory, present), = calls
    assert (user, python, timeout, directory) == ('glance', '/usr/bin/python3', 3, args['dir'])
    # The files were written before the check, and each cluster carries its fsid.
    assert 'dcn0.client.glance.keyring' in present
    assert [(c['name'], c['fsid']) for c in clusters] == [('dcn0', FSID['dcn0']), ('central', FSID['central'])]
