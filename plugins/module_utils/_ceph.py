# -*- coding: utf-8 -*-
# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One way to talk to a Ceph cluster, with two transports behind it.

``librados``
    python3-rados in the module's interpreter: one connection per module run,
    monitor commands sent as JSON (``mon_command``), secrets as ``inbuf``.

``cli``
    the ``ceph``/``rados``/``rbd`` commands: argv lists, ``--format json``,
    ``LC_ALL=C``, ``--connect-timeout`` plus an overall subprocess timeout,
    secrets on stdin (``-i -``), optionally run through a command prefix such
    as ``cephadm shell --`` for containerized clusters.

Both transports take the same command dictionaries (the JSON form of a
monitor command, e.g. ``{"prefix": "osd pool set", "pool": "images", "var":
"size", "val": "3"}``) and count the requests they send (``round_trips``).

This file is private to the collection (leading underscore): its interface
may change without notice.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shlex
import subprocess
import sys

from ansible_collections.edgestack.glance_ceph.plugins.module_utils import _lifecycle
from ansible_collections.edgestack.glance_ceph.plugins.module_utils import _rules

TRANSPORTS = ('auto', 'librados', 'cli')

DEFAULT_TIMEOUT = 10

# Seconds added to the overall limit of one CLI process: interpreter start-up,
# fetching command descriptions, and a container prefix starting up.
CLI_STARTUP_ALLOWANCE = 10


def connection_argument_spec():
    """The shared connection options (documented in doc_fragments/ceph.py)."""
    return dict(
        cluster=dict(type='str', default='ceph'),
        conf=dict(type='path'),
        auth_id=dict(type='str', default='client.admin'),
        keyring=dict(type='path', no_log=False),
        timeout=dict(type='int', default=DEFAULT_TIMEOUT),
        transport=dict(type='str', default='auto', choices=list(TRANSPORTS)),
        cli_prefix=dict(type='list', elements='str'),
    )


def module_argument_spec(options):
    """The whole argument spec of a module that changes a cluster: the connection
    options, its own ``options``, and the monitor check's."""
    spec = connection_argument_spec()
    spec.update(options)
    spec.update(monitor_argument_spec())
    return spec


def monitor_argument_spec():
    """The monitor check's options (documented in doc_fragments/ceph.py, MONITORS)."""
    return dict(
        mon_addresses=dict(type='list', elements='str'),
        mon_addresses_variable=dict(type='str', default='mon_addresses'),
    )


class CephError(_lifecycle.EdgestackModuleError):
    """A failure talking to the cluster.

    ``cmd`` is the command as sent (a JSON string for librados, a shell-quoted
    argv for the CLI), ``rc`` the errno (librados) or exit status (CLI) and
    ``stderr`` the cluster's error text. None of them ever holds a secret:
    secrets travel as inbuf or on stdin only.
    """

    def __init__(self, msg, cmd=None, rc=None, stderr=None):
        super(CephError, self).__init__(msg, cmd=cmd, rc=rc, stderr=stderr)
        self.cmd = cmd
        self.rc = rc
        self.stderr = stderr


class CephConnectError(CephError):
    """The cluster could not be reached or refused the credentials."""


class CephCommandError(CephError):
    """The cluster answered a command with an error."""


class CephMissingDependency(CephError):
    """Neither python3-rados nor the ceph CLI (as asked for) is available."""


def _normalise_conf_key(key):
    return re.sub(r'[\s_]+', '_', key.strip().lower())


def read_conf_values(path, names=('mon_host',), sections=('global',)):
    """Return ``{name: value}`` for ``names`` found in ``sections`` of a ceph.conf.

    Ceph spells option names with spaces or underscores interchangeably and
    indents keys freely, which ``configparser`` does not accept, hence this
    small reader. Later sections in ``sections`` override earlier ones.
    Returns None when the file cannot be read.
    """
    wanted = set(names)
    found = {}
    section = None
    try:
        with open(path, 'r') as handle:
            lines = handle.read().splitlines()
    except (IOError, OSError):
        return None
    per_section = {}
    for raw in lines:
        line = raw.strip()
        if not line or line[0] in '#;':
            continue
        if line.startswith('[') and line.endswith(']'):
            section = line[1:-1].strip()
            continue
        if '=' not in line or section is None:
            continue
        key, value = line.split('=', 1)
        key = _normalise_conf_key(key)
        if key not in wanted:
            continue
        value = re.split(r'\s[#;]', value, 1)[0].strip()
        per_section.setdefault(section, {})[key] = value
    for name in sections:
        found.update(per_section.get(name, {}))
    return found


class ConnectionSettings(object):
    """The validated connection options of one module run."""

    def __init__(self, cluster='ceph', conf=None, auth_id='client.admin', keyring=None,
                 timeout=DEFAULT_TIMEOUT, transport='auto', cli_prefix=None):
        if not cluster or not re.match(r'^[A-Za-z0-9_.-]+$', cluster):
            raise CephError('cluster must be a plain cluster name (letters, digits, "-", "_", "."), got %r' % (cluster,))
        if timeout is None or int(timeout) < 1:
            raise CephError('timeout must be a positive number of seconds, got %r' % (timeout,))
        if transport not in TRANSPORTS:
            raise CephError('transport must be one of %s, got %r' % (', '.join(TRANSPORTS), transport))
        auth_id = auth_id or 'client.admin'
        if '.' not in auth_id:
            auth_id = 'client.' + auth_id
        self.cluster = cluster
        self.conf = conf or _rules.ceph_conf_path('/etc/ceph', cluster)
        self.name = auth_id
        self.keyring = keyring or None
        self.timeout = int(timeout)
        self.transport = transport
        self.cli_prefix = list(cli_prefix or [])

    @classmethod
    def from_params(cls, params):
        return cls(
            cluster=params.get('cluster') or 'ceph',
            conf=params.get('conf'),
            auth_id=params.get('auth_id'),
            keyring=params.get('keyring'),
            timeout=params.get('timeout') if params.get('timeout') is not None else DEFAULT_TIMEOUT,
            transport=params.get('transport') or 'auto',
            cli_prefix=params.get('cli_prefix'),
        )

    def mon_host(self):
        """The conf's mon_host (or a note why it is unknown), for messages."""
        values = read_conf_values(self.conf, names=('mon_host',), sections=('global', 'client', self.name))
        if values is None:
            if self.cli_prefix:
                return 'unknown: %s is read inside %s' % (self.conf, ' '.join(self.cli_prefix))
            return 'unknown: %s is not readable here' % self.conf
        return values.get('mon_host') or 'unset in %s' % self.conf

    def describe(self, mon_host=None):
        """The cluster for messages; ``mon_host`` as the host's librados read it, else read from the conf here."""
        return "Ceph cluster '%s' (mon_host %s; conf %s)" % (self.cluster, mon_host or self.mon_host(), self.conf)

    def connect_failure(self, reason, mon_host=None):
        return 'cannot connect to %s as %s within %ds: %s' % (self.describe(mon_host), self.name, self.timeout, reason)


def command_text(cmd):
    """A command dictionary as readable, stable JSON (no inbuf: never secret)."""
    return json.dumps(cmd, sort_keys=True)


# Arguments given positionally on the ceph command line, in the order of the
# monitor's command signature. Every other argument is passed as --name=value
# (booleans as --name), which the ceph CLI maps to the same JSON fields. A list
# value (a CephString with n=N, e.g. caps) is always positional: the keyword
# form would split its items on commas.
CLI_POSITIONAL = {
    'osd pool ls': ('detail',),
    'osd pool create': ('pool',),
    'osd pool set': ('pool', 'var', 'val'),
    'osd pool set-quota': ('pool', 'field', 'val'),
    'osd pool application enable': ('pool', 'app'),
    'osd pool rm': ('pool', 'pool2'),
    'osd pool get': ('pool', 'var'),
    'config get': ('who', 'key'),
    'config set': ('who', 'name', 'value'),
    'config rm': ('who', 'name'),
    'auth get': ('entity',),
    'auth get-or-create': ('entity', 'caps'),
    'auth add': ('entity', 'caps'),
    'auth caps': ('entity', 'caps'),
    'auth del': ('entity',),
    'auth rm': ('entity',),
}


def cli_args(cmd):
    """The ceph CLI words for a monitor command dictionary (without options)."""
    prefix = cmd['prefix']
    words = prefix.split()
    positional = CLI_POSITIONAL.get(prefix, ())
    for name in positional:
        if name not in cmd:
            break
        value = cmd[name]
        if isinstance(value, (list, tuple)):
            words.extend(str(item) for item in value)
        else:
            words.append(_cli_value(value))
    for name in sorted(cmd):
        if name in ('prefix', 'format') or name in positional:
            continue
        value = cmd[name]
        flag = '--' + name.replace('_', '-')
        if value is True:
            words.append(flag)
        elif value is False or value is None:
            continue
        elif isinstance(value, (list, tuple)):
            words.extend(str(item) for item in value)
        else:
            words.append('%s=%s' % (flag, _cli_value(value)))
    return words


def _cli_value(value):
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _parse_json(text, cmd_text):
    text = text.strip() if text else ''
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        raise CephError('the cluster answered %s with output that is not JSON' % cmd_text, cmd=cmd_text)


class CephClient(object):
    """The interface both transports implement."""

    transport = None

    def __init__(self, settings):
        self.settings = settings
        self.round_trips = 0

    def mon(self, cmd, inbuf=None):
        """Send a monitor command; return its parsed JSON output (or None).

        ``inbuf`` (bytes) is the command's input: the CLI feeds it on stdin
        with ``-i -``, librados passes it as inbuf. Secrets go there only.
        """
        raise NotImplementedError

    def read_object(self, pool, oid):
        """Return the content of object ``oid`` in ``pool`` (bytes) or None if absent."""
        raise NotImplementedError

    def rbd_pool_init(self, pool, force=False):
        """What ``rbd pool init`` does: enable the rbd application and validate the pool."""
        raise NotImplementedError

    def close(self):
        pass

    def _with_format(self, cmd):
        return with_format(cmd)


def with_format(cmd):
    """A monitor command dictionary asking for JSON output."""
    full = dict(cmd)
    full.setdefault('format', 'json')
    return full


class LibradosClient(CephClient):
    """Talks to the cluster through python3-rados (and python3-rbd for rbd_pool_init)."""

    transport = 'librados'

    def __init__(self, settings, rados_module):
        super(LibradosClient, self).__init__(settings)
        self._rados = rados_module
        if not os.path.exists(settings.conf):
            raise CephConnectError('cannot connect to Ceph cluster %r: conf %s does not exist on this host'
                                   % (settings.cluster, settings.conf))
        timeout = str(settings.timeout)
        # client_mount_timeout bounds connect(); the op timeouts bound each
        # request (rados_connect_timeout is not an option of Pacific's librados).
        conf = {
            'client_mount_timeout': timeout,
            'rados_mon_op_timeout': timeout,
            'rados_osd_op_timeout': timeout,
        }
        if settings.keyring:
            conf['keyring'] = settings.keyring
        self._cluster = None
        try:
            cluster = rados_module.Rados(name=settings.name, clustername=settings.cluster,
                                         conffile=settings.conf, conf=conf)
        except rados_module.Error as exc:
            raise CephConnectError(settings.connect_failure('cannot load the configuration: %s' % exc))
        try:
            cluster.connect()
        except rados_module.Error as exc:
            try:
                cluster.shutdown()
            except Exception:  # pylint: disable=broad-except
                pass
            raise CephConnectError(settings.connect_failure(str(exc)))
        self._cluster = cluster

    def mon(self, cmd, inbuf=None):
        full = self._with_format(cmd)
        text = command_text(full)
        self.round_trips += 1
        try:
            ret, outbuf, outs = self._cluster.mon_command(json.dumps(full), inbuf or b'')
        except self._rados.Error as exc:
            raise CephCommandError('%s failed: %s' % (cmd['prefix'], exc), cmd=text, stderr=str(exc))
        if ret != 0:
            errno = abs(ret)
            if errno == 110:
                reason = 'no answer within %ds (%s)' % (self.settings.timeout, outs or 'timed out')
            else:
                reason = outs or os.strerror(errno)
            raise CephCommandError('%s failed on %s: %s' % (cmd['prefix'], self.settings.describe(), reason),
                                   cmd=text, rc=errno, stderr=outs)
        if isinstance(outbuf, bytes):
            outbuf = outbuf.decode('utf-8', 'replace')
        return _parse_json(outbuf, text)

    def _ioctx(self, pool):
        try:
            return self._cluster.open_ioctx(pool)
        except self._rados.Error as exc:
            raise CephCommandError('cannot open pool %r on %s: %s' % (pool, self.settings.describe(), exc),
                                   cmd='open_ioctx %s' % pool, stderr=str(exc))

    def read_object(self, pool, oid):
        ioctx = self._ioctx(pool)
        self.round_trips += 1
        try:
            return ioctx.read(oid, length=4096)
        except self._rados.ObjectNotFound:
            return None
        except self._rados.Error as exc:
            raise CephCommandError('cannot read object %s in pool %r: %s' % (oid, pool, exc),
                                   cmd='read %s/%s' % (pool, oid), stderr=str(exc))
        finally:
            ioctx.close()

    def rbd_pool_init(self, pool, force=False):
        try:
            import rbd  # pylint: disable=import-outside-toplevel
        except ImportError:
            raise CephMissingDependency(
                'rbd_init needs python3-rbd next to python3-rados for the librados transport; '
                'install python3-rbd on the target or use transport: cli')
        ioctx = self._ioctx(pool)
        self.round_trips += 1
        try:
            rbd.RBD().pool_init(ioctx, force)
        except Exception as exc:  # rbd raises its own exception classes
            raise CephCommandError('rbd pool init %s failed on %s: %s' % (pool, self.settings.describe(), exc),
                                   cmd='rbd pool init %s' % pool, stderr=str(exc))
        finally:
            ioctx.close()

    def close(self):
        if self._cluster is not None:
            try:
                self._cluster.shutdown()
            finally:
                self._cluster = None


_CONNECT_ERROR = re.compile(r'error connecting to the cluster|^timed out$|monclient\S*: (keyring not found|authenticate)',
                            re.MULTILINE)


class CliClient(CephClient):
    """Talks to the cluster by running the ceph, rados and rbd commands."""

    transport = 'cli'

    def __init__(self, settings, which):
        super(CliClient, self).__init__(settings)
        self._which = which
        if settings.cli_prefix:
            if not which(settings.cli_prefix[0]):
                raise CephMissingDependency('cli_prefix command %r not found in PATH' % settings.cli_prefix[0])
        elif not which('ceph'):
            raise CephMissingDependency('the ceph command is not in PATH on this host: install ceph-common, '
                                        'or use transport: librados with python3-rados')
        # The connect timeout bounds reaching the cluster; the command itself
        # gets as long again, plus start-up time for the interpreter/container.
        self.process_timeout = 2 * settings.timeout + CLI_STARTUP_ALLOWANCE

    def _argv(self, binary, config_timeouts=True):
        s = self.settings
        if s.cli_prefix:
            argv = list(s.cli_prefix) + [binary]
        else:
            argv = [self._which(binary) or binary]
        argv += ['--cluster', s.cluster, '--conf', s.conf, '--name', s.name]
        if s.keyring:
            argv += ['--keyring', s.keyring]
        if config_timeouts:
            timeout = str(s.timeout)
            argv += ['--client_mount_timeout', timeout,
                     '--rados_mon_op_timeout', timeout,
                     '--rados_osd_op_timeout', timeout]
        return argv

    def _run(self, argv, stdin=None):
        env = dict(os.environ)
        env.update(LC_ALL='C', LANG='C')
        text = ' '.join(shlex.quote(a) for a in argv)
        self.round_trips += 1
        try:
            proc = subprocess.run(argv, input=stdin if stdin is not None else b'', stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, env=env, timeout=self.process_timeout, check=False)
        except subprocess.TimeoutExpired:
            raise CephConnectError(
                self.settings.connect_failure('%s did not finish within %ds' % (argv[len(self.settings.cli_prefix)],
                                                                                self.process_timeout)),
                cmd=text)
        except OSError as exc:
            raise CephMissingDependency('cannot run %s: %s' % (argv[0], exc), cmd=text)
        stderr = proc.stderr.decode('utf-8', 'replace')
        return proc.returncode, proc.stdout, stderr, text

    @staticmethod
    def _reason(stderr):
        lines = [line.strip() for line in stderr.splitlines() if line.strip()]
        return lines[-1] if lines else 'no error text'

    def mon(self, cmd, inbuf=None):
        argv = self._argv('ceph', config_timeouts=False)
        argv += ['--connect-timeout', str(self.settings.timeout), '--format', 'json']
        argv += cli_args(cmd)
        if inbuf is not None:
            argv += ['-i', '-']
        rc, stdout, stderr, text = self._run(argv, stdin=inbuf)
        if rc != 0:
            reason = self._reason(stderr)
            if _CONNECT_ERROR.search(stderr) and 'Error ' not in reason:
                raise CephConnectError(self.settings.connect_failure(reason), cmd=text, rc=rc, stderr=stderr)
            raise CephCommandError('%s failed on %s: %s' % (cmd['prefix'], self.settings.describe(), reason),
                                   cmd=text, rc=rc, stderr=stderr)
        # Only stdout is parsed: some commands chat on stderr ("exported keyring").
        return _parse_json(stdout.decode('utf-8', 'replace'), text)

    def read_object(self, pool, oid):
        argv = self._argv('rados') + ['--pool', pool, 'get', oid, '-']
        rc, stdout, stderr, text = self._run(argv)
        if rc != 0:
            # "error getting POOL/OID: (2) No such file or directory"; a
            # missing pool ("error opening pool") is an error
            if 'error getting' in stderr and 'No such file or directory' in stderr:
                return None
            self._raise('rados get %s' % oid, rc, stderr, text)
        return stdout

    def rbd_pool_init(self, pool, force=False):
        argv = self._argv('rbd') + ['pool', 'init', pool]
        if force:
            argv.append('--force')
        rc, dummy, stderr, text = self._run(argv)
        if rc != 0:
            self._raise('rbd pool init %s' % pool, rc, stderr, text)

    def _raise(self, what, rc, stderr, text):
        reason = self._reason(stderr)
        if _CONNECT_ERROR.search(stderr):
            raise CephConnectError(self.settings.connect_failure(reason), cmd=text, rc=rc, stderr=stderr)
        raise CephCommandError('%s failed on %s: %s' % (what, self.settings.describe(), reason),
                               cmd=text, rc=rc, stderr=stderr)


def import_rados():
    """Return the rados module or None when this interpreter cannot import it."""
    try:
        import rados  # pylint: disable=import-outside-toplevel
    except ImportError:
        return None
    return rados


def connect(settings, which, rados_module=None, interpreter=None):
    """Open a client for ``settings`` with the transport it asks for.

    ``which`` looks a command up in PATH (``AnsibleModule.get_bin_path``),
    ``rados_module`` overrides the import (tests). ``auto`` picks the CLI when
    ``cli_prefix`` is set (a containerized cluster), else librados when this
    interpreter can import it, else the CLI.
    """
    transport = settings.transport
    if transport in ('auto', 'librados') and not (transport == 'auto' and settings.cli_prefix):
        rados_mod = rados_module if rados_module is not None else import_rados()
        if rados_mod is not None:
            return LibradosClient(settings, rados_mod)
        if transport == 'librados':
            raise CephMissingDependency(
                'transport librados needs the python3-rados bindings importable by the module interpreter%s; '
                'install python3-rados (and python3-rbd) for that interpreter, set ansible_python_interpreter '
                'to one that has them, or use transport: cli'
                % (' (%s)' % interpreter if interpreter else ''))
        try:
            return CliClient(settings, which)
        except CephMissingDependency:
            raise CephMissingDependency(
                'cannot talk to Ceph from this host: the module interpreter%s cannot import python3-rados and '
                'the ceph command is not in PATH; install python3-rados or ceph-common'
                % (' (%s)' % interpreter if interpreter else ''))
    return CliClient(settings, which)


class CephModule(_lifecycle.Lifecycle):
    """The lifecycle of a module that talks to one cluster (the connection options).

    A module that takes the monitor options (``monitor_argument_spec``) has its
    connection check them first: with ``mon_addresses`` set, ``connect`` reads the
    monitor map (``mon dump``, one request) and fails, before the module reads or
    changes anything else, unless the addresses are exactly the cluster's monitors.
    The result then carries the cluster's ``fsid`` and ``mon_addresses``.
    """

    client = None
    monmap = None

    def connect(self):
        settings = ConnectionSettings.from_params(self.params)
        self.client = connect(settings, self.module.get_bin_path, interpreter=sys.executable)
        self.monmap = monitor_map(self.client, self.params)
        check_monitors(self.monmap, self.params, settings.cluster)
        return self.client

    def partial(self):
        return connection_values(self.client, self.monmap)

    def close(self):
        if self.client is not None:
            self.client.close()


MON_DUMP = {'prefix': 'mon dump'}


def monitor_map(client, params):
    """The monitor map (one request) when ``params`` set ``mon_addresses``, else None."""
    return client.mon(MON_DUMP) if params.get('mon_addresses') is not None else None


def check_monitors(monmap, params, cluster):
    """Raise ``EdgestackModuleError``, naming ``mon_addresses_variable``, unless ``params``'
    ``mon_addresses`` are exactly the monitors of ``monmap`` (``monitor_map``)."""
    if monmap is None:
        return
    problems = _rules.mon_list_problems(params['mon_addresses'], params.get('mon_addresses_variable') or 'mon_addresses',
                                        monmap)
    if problems:
        raise _lifecycle.EdgestackModuleError('Ceph cluster %s: %s' % (cluster, '; '.join(problems)))


def connection_values(client, monmap):
    """The return values every Ceph module has: transport, round trips, and the monitor map's fsid and addresses."""
    out = {}
    if client is not None:
        out.update(transport=client.transport, round_trips=client.round_trips)
    if monmap is not None:
        out.update(fsid=monmap.get('fsid'), mon_addresses=_rules.mon_addresses_of_monmap(monmap))
    return out


# ------------------------------------------------------------------ lookup
#
# A module's reads, made without the module: the controller sends LOOKUP_SCRIPT
# (standard library and python3-rados only) to the host's Python with one request
# (the monitor commands and the objects to read, never a secret), and replays the
# answers to the module's own read and plan functions through ``RecordedClient``
# (plugin_utils/_ceph_lookup.py). Only when the plan has something to do, or the lookup
# could not tell, does the module run. The answers of ``auth ls`` hold keys: the
# caller treats the command's output as a secret.

LOOKUP_SCRIPT = r'''
import base64, json, os, signal, sys
request = json.loads(sys.argv[1])
# Every step is bounded by the timeout; the whole, once more: SIGALRM ends the process.
signal.alarm(int(request["timeout"]) * (2 + len(request["mon"]) + len(request["objects"])) + 10)
def answer(**values):
    sys.stdout.write("\n" + json.dumps(values) + "\n")
    sys.exit(0)
try:
    import rados
except ImportError as exc:
    answer(error="python3-rados cannot be imported by %s: %s" % (sys.executable, exc))
if not os.path.exists(request["conf"]):
    answer(error="conf %s does not exist on this host" % request["conf"])
limit = str(request["timeout"])
conf = {"client_mount_timeout": limit, "rados_mon_op_timeout": limit, "rados_osd_op_timeout": limit}
if request.get("keyring"):
    conf["keyring"] = request["keyring"]
try:
    cluster = rados.Rados(name=request["name"], clustername=request["cluster"], conffile=request["conf"], conf=conf)
except Exception as exc:
    answer(error="cannot load the configuration: %s" % exc)
try:
    mon_host = cluster.conf_get("mon_host")
except Exception:
    mon_host = None
try:
    cluster.connect()
except Exception as exc:
    try:
        cluster.shutdown()
    except Exception:
        pass
    answer(connect_error=str(exc), mon_host=mon_host)
mon, objects = [], []
try:
    for cmd in request["mon"]:
        ret, outbuf, outs = cluster.mon_command(json.dumps(cmd), b"")
        text = outbuf.decode("utf-8", "replace")
        if ret == 0 and cmd["prefix"] == "auth ls" and request.get("entities") is not None:
            # Only the entities asked for leave the host, keys included.
            dump = json.loads(text)
            dump["auth_dump"] = [e for e in dump.get("auth_dump", []) if e.get("entity") in request["entities"]]
            text = json.dumps(dump)
        mon.append([ret, text, outs])
    for pool, oid in request["objects"]:
        try:
            ioctx = cluster.open_ioctx(pool)
        except rados.Error as exc:
            objects.append({"error": str(exc)})
            continue
        try:
            objects.append({"data": base64.b64encode(ioctx.read(oid, length=4096)).decode("ascii")})
        except rados.ObjectNotFound:
            objects.append({"data": None})
        except rados.Error as exc:
            objects.append({"error": str(exc)})
        finally:
            ioctx.close()
except Exception as exc:
    answer(error="%s: %s" % (type(exc).__name__, exc))
finally:
    cluster.shutdown()
answer(mon=mon, objects=objects)
'''


class LookupMiss(Exception):
    """The lookup cannot tell: the module must run (it reads, and reports any failure, itself)."""


def lookup_possible(settings):
    """Whether a lookup can read this cluster: librados on the host, no command prefix."""
    return settings.transport in ('auto', 'librados') and not settings.cli_prefix


def lookup_request(settings, mon_cmds, objects=(), entities=None):
    """The JSON argument of LOOKUP_SCRIPT: where to connect, what to read (never a secret).

    ``entities``: the only CephX entities whose entries (keys included) an
    ``auth ls`` answer brings back from the host; None for all of them.
    """
    request = {
        'cluster': settings.cluster, 'conf': settings.conf, 'name': settings.name, 'keyring': settings.keyring,
        'timeout': settings.timeout,
        'mon': [with_format(cmd) for cmd in mon_cmds],
        'objects': [list(item) for item in objects],
    }
    if entities is not None:
        request['entities'] = sorted(entities)
    return json.dumps(request, sort_keys=True)


def lookup_argv(interpreter, request):
    """The command that runs the lookup with ``interpreter`` (a list: the path and its own arguments)."""
    return list(interpreter) + ['-I', '-c', LOOKUP_SCRIPT, request]


def lookup_answers(stdout, settings):
    """The script's answers from its output: its last line that is JSON.

    Raises LookupMiss when there is none, or the script could not read, and
    CephConnectError, in the module's words, when the cluster did not let it
    connect: the module, with the same library and limits, would wait as long
    and fail the same way.
    """
    for line in reversed((stdout or '').splitlines()):
        line = line.strip()
        if line.startswith('{'):
            try:
                answers = json.loads(line)
            except ValueError:
                break
            if answers.get('connect_error'):
                raise CephConnectError(settings.connect_failure(answers['connect_error'], answers.get('mon_host')))
            if answers.get('error'):
                raise LookupMiss(answers['error'])
            if isinstance(answers.get('mon'), list) and isinstance(answers.get('objects'), list):
                return answers
            break
    raise LookupMiss('the lookup printed no answer')


class RecordedClient(CephClient):
    """A client that answers from a lookup's answers: reads only, no request the lookup did not make.

    Any request it cannot answer (not recorded, answered with an error, or a change)
    raises LookupMiss: the module then runs and makes, or reports, it itself.
    """

    transport = 'librados'

    def __init__(self, settings, request, answers):
        super(RecordedClient, self).__init__(settings)
        request = json.loads(request)
        if len(answers['mon']) != len(request['mon']) or len(answers['objects']) != len(request['objects']):
            raise LookupMiss('the lookup answered another request')
        self._mon = dict((command_text(cmd), answer) for cmd, answer in zip(request['mon'], answers['mon']))
        self._objects = dict((tuple(item), answer) for item, answer in zip(request['objects'], answers['objects']))

    def mon(self, cmd, inbuf=None):
        text = command_text(self._with_format(cmd))
        answer = self._mon.get(text)
        if inbuf is not None or answer is None:
            raise LookupMiss('not read by the lookup: %s' % text)
        ret, outbuf, dummy = answer
        if ret != 0:
            raise LookupMiss('the lookup got an error for %s' % text)
        self.round_trips += 1
        return _parse_json(outbuf, text)

    def read_object(self, pool, oid):
        answer = self._objects.get((pool, oid))
        if answer is None or 'error' in answer:
            raise LookupMiss('object %s of pool %s not read by the lookup' % (oid, pool))
        self.round_trips += 1
        return None if answer['data'] is None else base64.b64decode(answer['data'])

    def rbd_pool_init(self, pool, force=False):
        raise LookupMiss('a lookup makes no change')

    def close(self):
        if self.client is not None:
            self.client.close()
