# -*- coding: utf-8 -*-
# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""_client_files, the pure parts: modes, file contents, and the plan of a client directory."""

from __future__ import annotations

import json

import pytest

from ansible_collections.edgestack.glance_ceph.plugins.module_utils import _auth
from ansible_collections.edgestack.glance_ceph.plugins.module_utils import _client_files as files
from ansible_collections.edgestack.glance_ceph.plugins.module_utils._auth import keyring_key
from ansible_collections.edgestack.glance_ceph.plugins.module_utils._client_files import (
    MANAGED_PREFIX,
    FileError,
    is_managed,
    keyring_content,
    parse_mode,
)

KEY = _auth.generate_key(now=1700000000.5, random_bytes=lambda n: b'\x01' * n)
OTHER = _auth.generate_key(now=1700000001.5, random_bytes=lambda n: b'\x02' * n)
FSID = {'central': '6a0d1c3e-0f43-4bd5-9b0e-2d63c2a7b8f1', 'dcn0': '0b7e2c1a-3f7d-4c84-8a55-61a0f5d2e9c4',
        'dcn1': '9c1e5d7a-2b4f-4e6a-8c0d-1f2e3a4b5c6d'}
MON = {'central': '[v2:192.0.2.10:3300,v1:192.0.2.10:6789]', 'dcn0': '[v2:192.0.2.20:3300,v1:192.0.2.20:6789]',
       'dcn1': '[v2:192.0.2.30:3300,v1:192.0.2.30:6789]'}
CONF = {'uid': 0, 'gid': 0, 'mode': 0o644}
KEYRING = {'uid': 0, 'gid': 0, 'mode': 0o640}


def cluster(name, key=KEY, clients=('client.glance',)):
    return {'name': name, 'fsid': FSID[name], 'mon_host': MON[name],
            'clients': [{'name': c, 'key': key} for c in clients]}


def desired(clusters, local=(), absent=(), adopt=False):
    return {'dir': '/etc/ceph', 'clusters': clusters, 'local': list(local), 'absent': list(absent),
            'adopt': adopt, 'conf': CONF, 'keyring': KEYRING}


def on_disk(text, attrs=None):
    attrs = attrs or (CONF if text.startswith(files.MANAGED_PREFIX + ' (ceph_client_auth)') else KEYRING)
    return {'content': text, 'managed': files.is_managed(text), **attrs}


def converged(*names, key=KEY):
    out = {}
    for name in names:
        out[name + '.conf'] = on_disk(files.conf_content(name, FSID[name], MON[name], '/etc/ceph'))
        out[name + '.client.glance.keyring'] = on_disk(files.keyring_content('client.glance', key))
    return out


def summary(actions):
    return sorted((a['file'], a['action']) for a in actions)


# ------------------------------------------------------------------ the plan
def test_conf_text_is_the_delivered_form():
    assert files.conf_content('dcn0', FSID['dcn0'], MON['dcn0'], '/etc/ceph') == (
        '# Managed by edgestack.glance_ceph (ceph_client_auth): client configuration of Ceph cluster dcn0; '
        'local changes are overwritten.\n[global]\nfsid = %s\nmon_host = %s\n\n[client]\n'
        'keyring = /etc/ceph/dcn0.$name.keyring\n' % (FSID['dcn0'], MON['dcn0']))


TIMEOUTS = {'client_mount_timeout': 5, 'rados_osd_op_timeout': 60, 'rados_mon_op_timeout': 10}


def test_conf_carries_the_client_options_sorted():
    text = files.conf_content('dcn0', FSID['dcn0'], MON['dcn0'], '/etc/ceph', TIMEOUTS)
    assert text.endswith('[client]\nkeyring = /etc/ceph/dcn0.$name.keyring\nclient_mount_timeout = 5\n'
                         'rados_mon_op_timeout = 10\nrados_osd_op_timeout = 60\n')


def test_new_client_options_rewrite_only_the_written_confs():
    want = dict(desired([cluster('central'), cluster('dcn0')], local=['dcn0']), client_options=TIMEOUTS)
    actions, problems = files.plan_directory(want, converged('central'), {'dcn0': (FSID['dcn0'], None)})
    assert problems == []
    # dcn0's conf is the local daemons' own: never written, whatever the options.
    assert summary(actions) == [('central.conf', 'write'), ('dcn0.client.glance.keyring', 'write')]
    conf = next(a for a in actions if a['file'] == 'central.conf')
    assert 'client_mount_timeout = 5\n' in conf['content']


@pytest.mark.parametrize('options, problem', [
    ({'keyring': '/tmp/x'}, "'keyring' is not a client option"),
    ({'Client Mount': 5}, "'Client Mount' is not a client option"),
    ({'client_mount_timeout': '5\nkey = x'}, 'client_mount_timeout must be one plain value'),
    ({'debug_ms': None}, 'debug_ms must be one plain value'),
])
def test_bad_client_options_are_refused(options, problem):
    assert problem in '; '.join(files.client_option_problems(options))


def test_empty_directory_gets_every_file():
    actions, problems = files.plan_directory(desired([cluster('central'), cluster('dcn0')]), {}, {})
    assert problems == []
    assert summary(actions) == [('central.client.glance.keyring', 'write'), ('central.conf', 'write'),
                                ('dcn0.client.glance.keyring', 'write'), ('dcn0.conf', 'write')]
    keyring = next(a for a in actions if a['file'] == 'central.client.glance.keyring')
    assert (keyring['uid'], keyring['gid'], keyring['mode']) == (0, 0, 0o640)


def test_converged_directory_needs_nothing():
    actions, problems = files.plan_directory(desired([cluster('central'), cluster('dcn0')]),
                                             converged('central', 'dcn0'), {})
    assert (actions, problems) == ([], [])


def test_new_key_mode_and_mon_host_are_repaired():
    current = converged('central', 'dcn0')
    current['dcn0.client.glance.keyring']['mode'] = 0o600
    current['central.conf'] = on_disk(files.conf_content('central', FSID['central'], '[v1:192.0.2.99:6789]',
                                                         '/etc/ceph'))
    plan = desired([cluster('central', key=OTHER), cluster('dcn0')])
    actions, problems = files.plan_directory(plan, current, {})
    assert problems == []
    assert summary(actions) == [('central.client.glance.keyring', 'write'), ('central.conf', 'write'),
                                ('dcn0.client.glance.keyring', 'attributes')]


def test_stale_managed_files_go_and_foreign_ones_stay():
    current = converged('central', 'dcn0', 'dcn1')
    current['dcn1.client.it-foreign.keyring'] = on_disk('[client.it-foreign]\n\tkey = %s\n' % KEY)
    current['central.client.old.keyring'] = on_disk(files.keyring_content('client.old', KEY))
    current['central.client.hand.keyring'] = on_disk('[client.hand]\n\tkey = %s\n' % KEY)
    actions, problems = files.plan_directory(desired([cluster('central'), cluster('dcn0')], absent=['dcn1']),
                                             current, {})
    assert problems == []
    assert summary(actions) == [('central.client.old.keyring', 'remove'), ('dcn1.client.glance.keyring', 'remove'),
                                ('dcn1.conf', 'remove')]


def test_files_of_clusters_not_named_are_not_looked_at():
    current = converged('central', 'dcn0', 'dcn1')
    actions, problems = files.plan_directory(desired([cluster('central')]), current, {})
    assert (actions, problems) == ([], [])


def test_a_client_without_a_key_keeps_its_file():
    current = converged('central')
    actions, problems = files.plan_directory(desired([cluster('central', key=None)]), current, {})
    assert (actions, problems) == ([], [])
    actions = files.plan_directory(desired([cluster('central', key=None)]), {}, {})
    assert summary(actions[0]) == [('central.conf', 'write')]


def test_foreign_conf_is_a_problem_unless_adopted():
    current = converged('central')
    current['central.conf'] = on_disk('# written by hand\n[global]\nfsid = %s\n' % FSID['central'], CONF)
    actions, problems = files.plan_directory(desired([cluster('central')]), current, {})
    assert [(p['kind'], p['path']) for p in problems] == [('foreign_conf', '/etc/ceph/central.conf')]
    actions, problems = files.plan_directory(desired([cluster('central')], adopt=True), current, {})
    assert problems == [] and summary(actions) == [('central.conf', 'write')]


def test_foreign_keyring_is_a_problem_even_when_adopting():
    current = converged('central')
    current['central.client.glance.keyring'] = on_disk('[client.glance]\n\tkey = %s\n' % OTHER, KEYRING)
    problems = files.plan_directory(desired([cluster('central')], adopt=True), current, {})[1]
    assert [(p['kind'], p['cluster']) for p in problems] == [('foreign_keyring', 'central')]
    assert not any(OTHER in json.dumps(p) for p in problems)


@pytest.mark.parametrize('local_fsid, detail', [
    ((FSID['dcn0'], None), None),
    ((FSID['central'], None), 'has fsid %s while the cluster has %s' % (FSID['central'], FSID['dcn0'])),
    ((None, '/etc/ceph/dcn0.conf does not exist'), 'cannot be read: /etc/ceph/dcn0.conf does not exist'),
])
def test_local_conf_is_verified_never_written(local_fsid, detail):
    current = converged('central')
    current['dcn0.client.glance.keyring'] = on_disk(files.keyring_content('client.glance', KEY))
    # The daemons' own conf, without the header: never a problem, never written.
    current['dcn0.conf'] = on_disk('[global]\nfsid = %s\n' % FSID['dcn0'], CONF)
    actions, problems = files.plan_directory(desired([cluster('dcn0'), cluster('central')], local=['dcn0']),
                                             current, {'dcn0': local_fsid})
    assert actions == []
    assert [p['detail'] for p in problems] == ([detail] if detail else [])


def test_cluster_file_names_match_exact_cluster_prefixes():
    listing = ['central.conf', 'central.client.glance.keyring', 'central2.conf', 'central.client.admin.keyring',
               'central.conf.bak', 'dcn0.client..keyring', 'rbdmap', 'dcn0.conf']
    assert files.cluster_file_names(['central'], listing) == [
        'central.client.admin.keyring', 'central.client.glance.keyring', 'central.conf']


@pytest.mark.parametrize('value, expected', [
    ('0640', 0o640), ('640', 0o640), ('0600', 0o600), ('0400', 0o400), (0o640, 0o640), ('2640', 0o2640),
])
def test_parse_mode(value, expected):
    assert parse_mode(value) == expected


@pytest.mark.parametrize('value, needle', [
    ('0644', 'every user'), ('0604', 'every user'), ('0641', 'every user'), (0o777, 'every user'),
    ('0040', 'owner read'), ('rw-r-----', 'octal'), ('0649', 'octal'), (True, 'octal'), (None, 'octal'),
    ('u=rw,g=r', 'octal'),
])
def test_bad_modes(value, needle):
    with pytest.raises(FileError, match=needle):
        parse_mode(value)


def test_content_is_header_section_key():
    text = keyring_content('client.glance', KEY, 'ceph_keyring')
    assert text == '%s (ceph_keyring): local changes are overwritten.\n[client.glance]\n\tkey = %s\n' % (
        MANAGED_PREFIX, KEY)
    assert is_managed(text)
    assert keyring_key(text, 'client.glance') == KEY
    assert keyring_key(text, 'client.other') is None


@pytest.mark.parametrize('text, managed', [
    (keyring_content('client.glance', KEY, 'ceph_keyring'), True),
    ('# Managed by edgestack.glance_ceph (ceph_client_auth): conf\n[global]\n', True),
    ('[client.glance]\n\tkey = %s\n' % KEY, False),
    ('# written by hand\n# Managed by edgestack.glance_ceph\n', False),
    ('', False),
])
def test_is_managed(text, managed):
    assert is_managed(text) is managed
