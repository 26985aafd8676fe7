# -*- coding: utf-8 -*-
# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests of the cluster connection (plugins/module_utils/_ceph.py).

The CLI transport runs a stand-in `ceph` (a small script that records its
argv, stdin and environment) through cli_prefix; the librados transport gets
a stand-in rados module. The lab integration tests run both for real.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from ansible_collections.edgestack.glance_ceph.plugins.module_utils import _ceph
from ansible_collections.edgestack.glance_ceph.plugins.module_utils import _lifecycle

SECRET = 'AQBKtwFlAAAAABAAJ4cTqXyHBmhMAnnMX1/KZw=='

FAKE_CEPH = textwrap.dedent('''\
    import json, os, sys, time
    data = sys.stdin.buffer.read()
    with open(os.environ['FAKE_CEPH_LOG'], 'a') as log:
        log.write(json.dumps({'argv': sys.argv[1:], 'stdin': data.decode(),
                              'lc_all': os.environ.get('LC_ALL')}) + '\\n')
    mode = os.environ.get('FAKE_CEPH_MODE', 'ok')
    if mode == 'sleep':
        time.sleep(30)
    if mode == 'connect':
        sys.stderr.write('2026-01-01T00:00:00.000+0000 7f 0 monclient(hunting): authenticate timed out after 1\\n'
                         '[errno 110] RADOS timed out (error connecting to the cluster)\\n')
        sys.exit(1)
    if mode == 'eperm':
        sys.stderr.write('Error EPERM: pool deletion is disabled; you must first set the '
                         'mon_allow_pool_delete config option to true before you can destroy a pool\\n')
        sys.exit(1)
    if mode == 'enoent':
        sys.stderr.write('error getting it/rbd_info: (2) No such file or directory\\n')
        sys.exit(1)
    if mode == 'nopool':
        sys.stderr.write('error opening pool gone: (2) No such file or directory\\n')
        sys.exit(1)
    sys.stderr.write('exported keyring for client.x\\n')
    sys.stdout.write(os.environ.get('FAKE_CEPH_OUT', ''))
''')


@pytest.fixture
def conf(tmp_path):
    path = tmp_path / 'lab.conf'
    path.write_text(textwrap.dedent('''\
        # written by a test
        [global]
        \tfsid = 00000000-0000-0000-0000-000000000001
        \tmon host = [v2:10.251.0.10:3300,v1:10.251.0.10:6789]   ; the only mon
        [client]
        \tkeyring = /etc/ceph/lab.$name.keyring
    '''))
    return str(path)


@pytest.fixture
def fake_cli(tmp_path, monkeypatch, conf):
    script = tmp_path / 'fake_ceph.py'
    script.write_text(FAKE_CEPH)
    log = tmp_path / 'calls.jsonl'
    monkeypatch.setenv('FAKE_CEPH_LOG', str(log))
    monkeypatch.setenv('LC_ALL', 'de_DE.UTF-8')

    class Fake(object):
        settings = _ceph.ConnectionSettings(cluster='lab', conf=conf, timeout=3, transport='cli',
                                            cli_prefix=[sys.executable, str(script)])

        @staticmethod
        def client():
            return _ceph.connect(Fake.settings, shutil.which)

        @staticmethod
        def calls():
            if not log.exists():
                return []
            return [json.loads(line) for line in log.read_text().splitlines()]

        @staticmethod
        def mode(mode, out=''):
            monkeypatch.setenv('FAKE_CEPH_MODE', mode)
            monkeypatch.setenv('FAKE_CEPH_OUT', out)

    return Fake


# ------------------------------------------------------------ conf and args


def test_read_conf_values(conf):
    assert _ceph.read_conf_values(conf) == {'mon_host': '[v2:10.251.0.10:3300,v1:10.251.0.10:6789]'}
    assert _ceph.read_conf_values(conf, names=('keyring',), sections=('global', 'client')) == {
        'keyring': '/etc/ceph/lab.$name.keyring'}
    assert _ceph.read_conf_values('/nonexistent/ceph.conf') is None


@pytest.mark.parametrize('params, expected', [
    ({}, ('ceph', '/etc/ceph/ceph.conf', 'client.admin', None, 10, 'auto')),
    ({'cluster': 'dcn0', 'auth_id': 'glance', 'timeout': 3}, ('dcn0', '/etc/ceph/dcn0.conf', 'client.glance', None, 3, 'auto')),
    ({'cluster': 'central', 'conf': '/x.conf', 'keyring': '/k', 'transport': 'cli'},
     ('central', '/x.conf', 'client.admin', '/k', 10, 'cli')),
])
def test_settings_defaults(params, expected):
    s = _ceph.ConnectionSettings.from_params(params)
    assert (s.cluster, s.conf, s.name, s.keyring, s.timeout, s.transport) == expected


@pytest.mark.parametrize('params, message', [
    ({'cluster': '../etc'}, 'plain cluster name'),
    ({'timeout': 0}, 'positive number of seconds'),
    ({'transport': 'ssh'}, 'transport must be one of'),
])
def test_settings_rejects(params, message):
    with pytest.raises(_ceph.CephError) as err:
        _ceph.ConnectionSettings.from_params(params)
    assert message in err.value.msg


def test_mon_host_in_messages(conf):
    s = _ceph.ConnectionSettings(cluster='lab', conf=conf)
    assert s.describe() == ("Ceph cluster 'lab' (mon_host [v2:10.251.0.10:3300,v1:10.251.0.10:6789]; "
                            "conf %s)" % conf)
    missing = _ceph.ConnectionSettings(cluster='lab', conf='/nonexistent.conf')
    assert 'mon_host unknown: /nonexistent.conf is not readable here' in missing.describe()


@pytest.mark.parametrize('cmd, words', [
    ({'prefix': 'osd pool ls', 'detail': 'detail'}, ['osd', 'pool', 'ls', 'detail']),
    ({'prefix': 'osd pool set', 'pool': 'images', 'var': 'size', 'val': '1', 'yes_i_really_mean_it': True},
     ['osd', 'pool', 'set', 'images', 'size', '1', '--yes-i-really-mean-it']),
    ({'prefix': 'osd pool create', 'pool': 'images', 'pg_num': 16, 'autoscale_mode': 'off', 'rule': 'r'},
     ['osd', 'pool', 'create', 'images', '--autoscale-mode=off', '--pg-num=16', '--rule=r']),
    ({'prefix': 'osd pool rm', 'pool': 'a', 'pool2': 'a', 'yes_i_really_really_mean_it': True},
     ['osd', 'pool', 'rm', 'a', 'a', '--yes-i-really-really-mean-it']),
    ({'prefix': 'auth caps', 'entity': 'client.glance', 'caps': ['mon', 'profile rbd', 'osd', 'profile rbd pool=a, profile rbd pool=b']},
     ['auth', 'caps', 'client.glance', 'mon', 'profile rbd', 'osd', 'profile rbd pool=a, profile rbd pool=b']),
    ({'prefix': 'osd pool set', 'pool': 'p', 'var': 'target_size_ratio', 'val': 0.25},
     ['osd', 'pool', 'set', 'p', 'target_size_ratio', '0.25']),
    ({'prefix': 'auth import', 'format': 'json'}, ['auth', 'import']),
])
def test_cli_args(cmd, words):
    assert _ceph.cli_args(cmd) == words


# -------------------------------------------------------------------- CLI


def test_cli_command_line(fake_cli):
    fake_cli.mode('ok', out='[{"pool_name": "images"}]')
    client = fake_cli.client()
    assert client.transport == 'cli'
    assert client.mon({'prefix': 'osd pool ls', 'detail': 'detail'}) == [{'pool_name': 'images'}]
    call, = fake_cli.calls()
    assert call['argv'] == ['ceph', '--cluster', 'lab', '--conf', fake_cli.settings.conf, '--name', 'client.admin',
                            '--connect-timeout', '3', '--format', 'json', 'osd', 'pool', 'ls', 'detail']
    assert call['lc_all'] == 'C'
    assert client.round_trips == 1


def test_cli_secret_on_stdin_never_in_argv(fake_cli):
    fake_cli.mode('ok')
    client = fake_cli.client()
    keyring = '[client.x]\n\tkey = %s\n' % SECRET
    assert client.mon({'prefix': 'auth import'}, inbuf=keyring.encode()) is None
    call, = fake_cli.calls()
    assert call['argv'][-4:] == ['auth', 'import', '-i', '-']
    assert SECRET not in ' '.join(call['argv'])
    assert call['stdin'] == keyring


def test_cli_parses_stdout_only(fake_cli):
    # `auth get` says "exported keyring" on stderr: must not break the JSON
    fake_cli.mode('ok', out='[{"entity": "client.x", "caps": {}}]')
    assert fake_cli.client().mon({'prefix': 'auth get', 'entity': 'client.x'}) == [{'entity': 'client.x', 'caps': {}}]


def test_cli_connect_failure_names_cluster_and_mons(fake_cli):
    fake_cli.mode('connect')
    with pytest.raises(_ceph.CephConnectError) as err:
        fake_cli.client().mon({'prefix': 'osd pool ls', 'detail': 'detail'})
    msg = err.value.msg
    assert "cannot connect to Ceph cluster 'lab' (mon_host [v2:10.251.0.10:3300,v1:10.251.0.10:6789]" in msg
    assert 'within 3s' in msg and 'error connecting to the cluster' in msg
    assert err.value.rc == 1 and 'authenticate timed out' in err.value.stderr


def test_cli_command_error_keeps_cmd_rc_stderr(fake_cli):
    fake_cli.mode('eperm')
    with pytest.raises(_ceph.CephCommandError) as err:
        fake_cli.client().mon({'prefix': 'osd pool rm', 'pool': 'a', 'pool2': 'a', 'yes_i_really_really_mean_it': True})
    assert err.value.rc == 1
    assert 'mon_allow_pool_delete' in err.value.stderr
    assert err.value.cmd.endswith('osd pool rm a a --yes-i-really-really-mean-it')
    assert err.value.msg.startswith("osd pool rm failed on Ceph cluster 'lab'")
    assert set(err.value.fail_kwargs()) == {'msg', 'cmd', 'rc', 'stderr'}


def test_cli_overall_timeout(fake_cli):
    fake_cli.mode('sleep')
    client = fake_cli.client()
    client.process_timeout = 1
    start = time.time()
    with pytest.raises(_ceph.CephConnectError) as err:
        client.mon({'prefix': 'status'})
    assert time.time() - start < 5
    assert 'ceph did not finish within 1s' in err.value.msg


def test_cli_process_timeout_bounds(fake_cli):
    assert fake_cli.client().process_timeout == 2 * 3 + _ceph.CLI_STARTUP_ALLOWANCE


def test_cli_read_object_and_rbd_init(fake_cli):
    fake_cli.mode('ok', out='overwrite validated')
    client = fake_cli.client()
    assert client.read_object('images', 'rbd_info') == b'overwrite validated'
    client.rbd_pool_init('images')
    read, init = fake_cli.calls()
    assert read['argv'][0] == 'rados' and read['argv'][-5:] == ['--pool', 'images', 'get', 'rbd_info', '-']
    assert '--client_mount_timeout' in read['argv']
    assert init['argv'][0] == 'rbd' and init['argv'][-3:] == ['pool', 'init', 'images']
    fake_cli.mode('enoent')
    assert client.read_object('images', 'rbd_info') is None
    assert client.round_trips == 3
    fake_cli.mode('nopool')
    with pytest.raises(_ceph.CephCommandError) as err:
        client.read_object('gone', 'rbd_info')
    assert 'error opening pool gone' in err.value.msg


def test_cli_missing_binary():
    settings = _ceph.ConnectionSettings(transport='cli')
    with pytest.raises(_ceph.CephMissingDependency) as err:
        _ceph.connect(settings, lambda name: None)
    assert 'the ceph command is not in PATH' in err.value.msg
    settings = _ceph.ConnectionSettings(transport='cli', cli_prefix=['podman', 'exec', '-i', 'ceph-mon'])
    with pytest.raises(_ceph.CephMissingDependency) as err:
        _ceph.connect(settings, lambda name: None)
    assert "cli_prefix command 'podman' not found" in err.value.msg


# --------------------------------------------------------------- librados


class FakeRados(object):
    """Stands in for the python3-rados module."""

    class Error(Exception):
        pass

    class ObjectNotFound(Error):
        pass

    def __init__(self, connect_error=None, replies=None, objects=None):
        self.connect_error = connect_error
        self.replies = replies or {}
        self.objects = objects or {}
        self.sent = []
        self.created = None
        self.shut = False

    def Rados(self, **kwargs):  # noqa: N802 - the binding's name
        self.created = kwargs
        return FakeCluster(self)


class FakeCluster(object):
    def __init__(self, mod):
        self.mod = mod

    def connect(self):
        if self.mod.connect_error:
            raise self.mod.Error(self.mod.connect_error)

    def shutdown(self):
        self.mod.shut = True

    def mon_command(self, cmd, inbuf):
        cmd = json.loads(cmd)
        self.mod.sent.append((cmd, inbuf))
        return self.mod.replies.get(cmd['prefix'], (0, b'', ''))

    def open_ioctx(self, pool):
        return FakeIoctx(self.mod, pool)


class FakeIoctx(object):
    def __init__(self, mod, pool):
        self.mod = mod
        self.pool = pool

    def read(self, oid, length=8192):
        try:
            return self.mod.objects[(self.pool, oid)]
        except KeyError:
            raise self.mod.ObjectNotFound(oid)

    def close(self):
        pass


def librados(conf, rados, **kw):
    settings = _ceph.ConnectionSettings(cluster='lab', conf=conf, timeout=4, **kw)
    return _ceph.connect(settings, shutil.which, rados_module=rados)


def test_librados_connection_settings(conf):
    rados = FakeRados()
    client = librados(conf, rados, keyring='/etc/ceph/lab.client.admin.keyring')
    assert client.transport == 'librados'
    assert rados.created == {
        'name': 'client.admin', 'clustername': 'lab', 'conffile': conf,
        'conf': {'client_mount_timeout': '4', 'rados_mon_op_timeout': '4', 'rados_osd_op_timeout': '4',
                 'keyring': '/etc/ceph/lab.client.admin.keyring'},
    }
    client.close()
    assert rados.shut


def test_librados_mon_command_json_and_inbuf(conf):
    rados = FakeRados(replies={'auth ls': (0, b'{"auth_dump": []}', '')})
    client = librados(conf, rados)
    assert client.mon({'prefix': 'auth ls'}) == {'auth_dump': []}
    assert client.mon({'prefix': 'auth import'}, inbuf=b'[client.x]\n') is None
    assert rados.sent == [({'prefix': 'auth ls', 'format': 'json'}, b''),
                          ({'prefix': 'auth import', 'format': 'json'}, b'[client.x]\n')]
    assert client.round_trips == 2


def test_librados_command_error(conf):
    refusal = 'pool deletion is disabled; you must first set the mon_allow_pool_delete config option to true'
    rados = FakeRados(replies={'osd pool rm': (-1, b'', refusal)})
    client = librados(conf, rados)
    with pytest.raises(_ceph.CephCommandError) as err:
        client.mon({'prefix': 'osd pool rm', 'pool': 'a', 'pool2': 'a'})
    assert err.value.rc == 1
    assert 'mon_allow_pool_delete' in err.value.stderr
    assert json.loads(err.value.cmd)['prefix'] == 'osd pool rm'


def test_librados_timeout_error(conf):
    client = librados(conf, FakeRados(replies={'status': (-110, b'', '')}))
    with pytest.raises(_ceph.CephCommandError) as err:
        client.mon({'prefix': 'status'})
    assert 'no answer within 4s' in err.value.msg


def test_librados_connect_failure(conf):
    with pytest.raises(_ceph.CephConnectError) as err:
        librados(conf, FakeRados(connect_error='[errno 110] RADOS timed out (error connecting to the cluster)'))
    assert err.value.msg == (
        "cannot connect to Ceph cluster 'lab' (mon_host [v2:10.251.0.10:3300,v1:10.251.0.10:6789]; conf %s) "
        "as client.admin within 4s: [errno 110] RADOS timed out (error connecting to the cluster)" % conf)


def test_librados_missing_conf():
    with pytest.raises(_ceph.CephConnectError) as err:
        librados('/nonexistent/lab.conf', FakeRados())
    assert 'conf /nonexistent/lab.conf does not exist' in err.value.msg


def test_librados_read_object(conf):
    client = librados(conf, FakeRados(objects={('images', 'rbd_info'): b'overwrite validated'}))
    assert client.read_object('images', 'rbd_info') == b'overwrite validated'
    assert client.read_object('vms', 'rbd_info') is None
    assert client.round_trips == 2


# ---------------------------------------------------------- transport choice


@pytest.mark.parametrize('transport, prefix, has_rados, chosen', [
    ('auto', None, True, 'librados'),
    ('auto', None, False, 'cli'),
    ('auto', ['cephadm', 'shell', '--'], True, 'cli'),
    ('librados', None, True, 'librados'),
    ('cli', None, True, 'cli'),
])
def test_transport_choice(conf, monkeypatch, transport, prefix, has_rados, chosen):
    monkeypatch.setattr(_ceph, 'import_rados', lambda: FakeRados() if has_rados else None)
    settings = _ceph.ConnectionSettings(cluster='lab', conf=conf, transport=transport, cli_prefix=prefix)
    assert _ceph.connect(settings, lambda name: '/usr/bin/' + name).transport == chosen


def test_auto_with_neither_transport(conf, monkeypatch):
    monkeypatch.setattr(_ceph, 'import_rados', lambda: None)
    settings = _ceph.ConnectionSettings(cluster='lab', conf=conf)
    with pytest.raises(_ceph.CephMissingDependency) as err:
        _ceph.connect(settings, lambda name: None, interpreter='/usr/bin/python3')
    assert 'interpreter (/usr/bin/python3) cannot import python3-rados and the ceph command is not in PATH' in err.value.msg


def test_librados_requested_but_missing(conf, monkeypatch):
    monkeypatch.setattr(_ceph, 'import_rados', lambda: None)
    settings = _ceph.ConnectionSettings(cluster='lab', conf=conf, transport='librados')
    with pytest.raises(_ceph.CephMissingDependency) as err:
        _ceph.connect(settings, shutil.which, interpreter='/usr/local/bin/python3.11')
    assert 'python3-rados bindings importable by the module interpreter (/usr/local/bin/python3.11)' in err.value.msg
    assert 'transport: cli' in err.value.msg


# ------------------------------------------------------------------ lookup
#
# The lookup script runs for real here where it cannot reach a cluster (a missing conf,
# an interpreter without python3-rados); the lab tests (test_ceph_lookup.py) run it
# against real clusters.

FIXTURES = Path(__file__).resolve().parents[2] / 'fixtures'


def _fixture_text(name):
    return (FIXTURES / name).read_text()


def _settings(**kw):
    return _ceph.ConnectionSettings(**dict(dict(cluster='central', conf='/nonexistent/central.conf'), **kw))


def test_lookup_request_asks_json_and_holds_only_where_and_what(tmp_path):
    keyring = str(tmp_path / 'central.client.admin.keyring')
    request = json.loads(_ceph.lookup_request(_settings(keyring=keyring, timeout=3), [_ceph.MON_DUMP, {'prefix': 'auth ls'}],
                                              [('images', 'rbd_info')]))
    assert request == {'cluster': 'central', 'conf': '/nonexistent/central.conf', 'name': 'client.admin',
                       'keyring': keyring, 'timeout': 3,
                       'mon': [{'prefix': 'mon dump', 'format': 'json'}, {'prefix': 'auth ls', 'format': 'json'}],
                       'objects': [['images', 'rbd_info']]}


def test_lookup_possible_only_over_librados_without_a_prefix():
    assert _ceph.lookup_possible(_settings())
    assert _ceph.lookup_possible(_settings(transport='librados'))
    assert not _ceph.lookup_possible(_settings(transport='cli'))
    assert not _ceph.lookup_possible(_settings(cli_prefix=['cephadm', 'shell', '--']))


def _run_script(interpreter, request):
    proc = subprocess.run(_ceph.lookup_argv([interpreter], request), capture_output=True, text=True, timeout=60,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def _python_with_rados():
    for candidate in ('/usr/bin/python3', sys.executable):
        if shutil.which(candidate) and subprocess.run([candidate, '-I', '-c', 'import rados'],
                                                      capture_output=True, check=False).returncode == 0:
            return candidate
    return None


def test_lookup_script_without_rados_asks_for_the_module():
    if subprocess.run([sys.executable, '-I', '-c', 'import rados'], capture_output=True, check=False).returncode == 0:
        pytest.skip('this interpreter imports python3-rados: no interpreter without it to run the script with')
    out = _run_script(sys.executable, _ceph.lookup_request(_settings(), [_ceph.MON_DUMP]))
    with pytest.raises(_ceph.LookupMiss, match='python3-rados cannot be imported by'):
        _ceph.lookup_answers(out, _settings())


def test_lookup_script_with_a_missing_conf_asks_for_the_module(tmp_path):
    python = _python_with_rados()
    if python is None:
        pytest.skip('no interpreter here imports python3-rados (make deps installs it)')
    settings = _settings(conf=str(tmp_path / 'absent.conf'))
    out = _run_script(python, _ceph.lookup_request(settings, [_ceph.MON_DUMP]))
    with pytest.raises(_ceph.LookupMiss, match='absent.conf does not exist on this host'):
        _ceph.lookup_answers(out, settings)


def test_lookup_script_reports_a_refused_connection_in_the_modules_words(tmp_path):
    """A monitor address where nothing listens: librados gives up at the timeout, and the answer
    becomes the module's own failure (cluster, mon_host as librados read it, the limit)."""
    python = _python_with_rados()
    if python is None:
        pytest.skip('no interpreter here imports python3-rados (make deps installs it)')
    conf = tmp_path / 'central.conf'
    conf.write_text('[global]\nfsid = 9b2b3a56-2a2f-4b61-9d0e-3d7a4c1f0c11\nmon_host = [v2:127.0.0.1:9,v1:127.0.0.1:9]\n'
                    'auth_client_required = none\n')
    settings = _settings(conf=str(conf), timeout=1)
    start = time.monotonic()
    out = _run_script(python, _ceph.lookup_request(settings, [_ceph.MON_DUMP]))
    assert time.monotonic() - start < 20
    with pytest.raises(_ceph.CephConnectError) as failure:
        _ceph.lookup_answers(out, settings)
    assert failure.value.msg.startswith("cannot connect to Ceph cluster 'central' (mon_host [v2:127.0.0.1:9,v1:127.0.0.1:9]; "
                                        "conf %s) as client.admin within 1s: " % conf), failure.value.msg


@pytest.mark.parametrize('stdout, message', [
    ('', 'printed no answer'),
    ('Traceback (most recent call last):\n', 'printed no answer'),
    ('\n{not json\n', 'printed no answer'),
    ('\n{"mon": {}, "objects": []}\n', 'printed no answer'),
    ('\n{"error": "cannot connect"}\n', 'cannot connect'),
])
def test_lookup_answers_that_cannot_tell(stdout, message):
    with pytest.raises(_ceph.LookupMiss, match=message):
        _ceph.lookup_answers(stdout, _settings())


def _recorded(cmds, answers, objects=(), object_answers=()):
    request = _ceph.lookup_request(_settings(), cmds, objects)
    stdout = 'librados chatter\n' + json.dumps({'mon': answers, 'objects': list(object_answers)}) + '\n'
    return _ceph.RecordedClient(_settings(), request, _ceph.lookup_answers(stdout, _settings()))


def test_recorded_client_answers_what_the_lookup_read():
    ls_detail = _fixture_text('central_osd_pool_ls_detail.json')
    client = _recorded([{'prefix': 'osd pool ls', 'detail': 'detail'}], [[0, ls_detail, '']],
                       [('it-fx-rbd', 'rbd_info'), ('gone', 'rbd_info'), ('it-fx-plain', 'rbd_info')],
                       [{'data': 'b3ZlcndyaXRlIHZhbGlkYXRlZA=='}, {'error': 'pool not found'}, {'data': None}])
    assert client.mon({'prefix': 'osd pool ls', 'detail': 'detail'}) == json.loads(ls_detail)
    assert client.read_object('it-fx-rbd', 'rbd_info') == b'overwrite validated'
    assert client.read_object('it-fx-plain', 'rbd_info') is None
    assert client.round_trips == 3 and client.transport == 'librados'
    for call in (lambda: client.mon({'prefix': 'osd dump'}),
                 lambda: client.mon({'prefix': 'osd pool ls', 'detail': 'detail'}, inbuf=b'x'),
                 lambda: client.read_object('gone', 'rbd_info'),
                 lambda: client.read_object('images', 'rbd_info'),
                 lambda: client.rbd_pool_init('images')):
        with pytest.raises(_ceph.LookupMiss):
            call()


def test_recorded_client_turns_an_error_answer_into_a_miss():
    client = _recorded([_ceph.MON_DUMP], [[-13, '', 'access denied']])
    with pytest.raises(_ceph.LookupMiss, match='got an error'):
        client.mon(_ceph.MON_DUMP)


def test_recorded_client_refuses_answers_to_another_request():
    request = _ceph.lookup_request(_settings(), [_ceph.MON_DUMP])
    with pytest.raises(_ceph.LookupMiss, match='another request'):
        _ceph.RecordedClient(_settings(), request, {'mon': [], 'objects': []})


def test_monitor_check_is_the_modules():
    monmap = json.loads(_fixture_text('central_mon_dump.json'))
    client = _recorded([_ceph.MON_DUMP], [[0, json.dumps(monmap), '']])
    assert _ceph.monitor_map(client, {'mon_addresses': None}) is None
    params = {'mon_addresses': ['192.0.2.77'], 'mon_addresses_variable': 'edgestack_ceph_mon_addresses (site central)'}
    got = _ceph.monitor_map(client, params)
    assert got == monmap
    with pytest.raises(_lifecycle.EdgestackModuleError) as failure:
        _ceph.check_monitors(got, params, 'central')
    assert 'edgestack_ceph_mon_addresses (site central) (192.0.2.77) does not match' in str(failure.value)


# A stand-in python3-rados for the script's own logic (what it sends, what it keeps), run
# without -I so that it is found; the lab tests run the script against real clusters.
FAKE_RADOS = textwrap.dedent('''\
    import json, os
    FIXTURES = os.environ["FAKE_RADOS_FIXTURES"]
    class Error(Exception):
        pass
    class ObjectNotFound(Error):
        pass
    class Ioctx(object):
        def __init__(self, pool):
            self.pool = pool
        def read(self, oid, length=8192):
            if self.pool == "gone":
                raise ObjectNotFound(oid)
            return b"overwrite validated"
        def close(self):
            pass
    class Rados(object):
        def __init__(self, name, clustername, conffile, conf):
            self.conf = conf
        def conf_get(self, name):
            return "[v2:192.0.2.10:3300,v1:192.0.2.10:6789]"
        def connect(self):
            if os.environ.get("FAKE_RADOS_REFUSE"):
                raise Error("[errno 110] RADOS timed out (error connecting to the cluster)")
        def mon_command(self, cmd, inbuf):
            prefix = json.loads(cmd)["prefix"]
            with open(os.path.join(FIXTURES, {"auth ls": "central_auth_ls.json", "mon dump": "central_mon_dump.json"}[prefix])) as f:
                return 0, f.read().encode(), ""
        def open_ioctx(self, pool):
            if pool == "missing":
                raise Error("pool missing does not exist")
            return Ioctx(pool)
        def shutdown(self):
            with open(os.environ["FAKE_RADOS_LOG"], "a") as log:
                log.write("shutdown\\n")
''')


@pytest.fixture
def fake_rados(tmp_path, conf):
    (tmp_path / 'rados.py').write_text(FAKE_RADOS)
    log = tmp_path / 'rados.log'

    def run(request, refuse=False):
        env = {'PATH': '/usr/bin:/bin', 'PYTHONPATH': str(tmp_path), 'FAKE_RADOS_FIXTURES': str(FIXTURES),
               'FAKE_RADOS_LOG': str(log)}
        if refuse:
            env['FAKE_RADOS_REFUSE'] = '1'
        argv = [arg for arg in _ceph.lookup_argv([sys.executable], request) if arg != '-I']
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=60, env=env, check=False)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout, log.read_text().splitlines() if log.exists() else []
    return run


def test_lookup_script_brings_back_only_the_entities_asked_for(fake_rados, conf):
    dump = json.loads(_fixture_text('central_auth_ls.json'))['auth_dump']
    settings = _settings(conf=conf)
    request = _ceph.lookup_request(settings, [{'prefix': 'auth ls'}], entities=['client.it-fx-glance', 'client.it-none'])
    out, log = fake_rados(request)
    client = _ceph.RecordedClient(settings, request, _ceph.lookup_answers(out, settings))
    assert [e['entity'] for e in client.mon({'prefix': 'auth ls'})['auth_dump']] == ['client.it-fx-glance']
    others = [e['key'] for e in dump if e['entity'] != 'client.it-fx-glance']
    assert others and not any(key in out for key in others)
    assert log == ['shutdown']
    # without entities (the pools' lookup asks for none), the answer is the cluster's
    request = _ceph.lookup_request(settings, [{'prefix': 'auth ls'}])
    out, dummy = fake_rados(request)
    assert len(_ceph.RecordedClient(settings, request, _ceph.lookup_answers(out, settings))
               .mon({'prefix': 'auth ls'})['auth_dump']) == len(dump)


def test_lookup_script_reads_objects_and_says_which_are_absent(fake_rados, conf):
    settings = _settings(conf=conf)
    request = _ceph.lookup_request(settings, [_ceph.MON_DUMP], [('images', 'rbd_info'), ('gone', 'rbd_info'),
                                                                ('missing', 'rbd_info')])
    out, dummy = fake_rados(request)
    client = _ceph.RecordedClient(settings, request, _ceph.lookup_answers(out, settings))
    assert client.mon(_ceph.MON_DUMP)['fsid'] == json.loads(_fixture_text('central_mon_dump.json'))['fsid']
    assert client.read_object('images', 'rbd_info') == b'overwrite validated'
    assert client.read_object('gone', 'rbd_info') is None
    with pytest.raises(_ceph.LookupMiss):
        client.read_object('missing', 'rbd_info')


def test_lookup_script_shuts_a_refused_connection_down(fake_rados, conf):
    settings = _settings(conf=conf, timeout=2)
    out, log = fake_rados(_ceph.lookup_request(settings, [_ceph.MON_DUMP]), refuse=True)
    expected = r"mon_host \[v2:192.0.2.10:3300,v1:192.0.2.10:6789\]; .* within 2s: \[errno 110\] RADOS timed out"
    with pytest.raises(_ceph.CephConnectError, match=expected):
        _ceph.lookup_answers(out, settings)
    assert log == ['shutdown']
