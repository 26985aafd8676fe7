# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read-only preflight of Ceph clients' files, as the service user.

Two halves in one file:

- ``check_as()``, called by the modules ceph_client_files (after it wrote the
  files) and ceph_client_check (on its own): it runs this very file, as a
  script on standard input, with the Python that has python3-rados, as the
  service user (its uid, gid and groups; the module runs as root), once for
  all of a host's clusters, and returns one result per cluster.
- The script (``main()``), standard library only, which checks:

    python3 - TIMEOUT CONF USER POOL KEYRING FSID CLUSTER [CONF USER POOL KEYRING FSID CLUSTER ...]

The clusters are checked at the same time, so a host that reads several
clusters waits for the slowest one only. For each cluster, it connects the way glance_store does (a conf file and a rados id, no
cluster name), checks that the conf points the client at KEYRING, that the
cluster is the one with FSID, and lists the RBD images of POOL. It changes
nothing. It prints one line per cluster, in the order given: "cluster CLUSTER:
ok: ..." when everything works, otherwise "cluster CLUSTER: CAUSE: detail",
CAUSE being one of the following. It exits 0 when every cluster works, else 1.

    conf                 the conf is missing, unreadable or does not lead to KEYRING
    keyring permissions  the keyring exists but the service user cannot read it
    keyring              the keyring is missing or holds no key for the client
    key mismatch         the cluster refused the key (it differs, or the client does not exist)
    network              no monitor or OSD answered within TIMEOUT seconds
    wrong cluster        the conf leads to a cluster with another fsid
    pool                 the pool does not exist
    caps                 the client may not list the pool
    libraries            python3-rados is not importable

A key is never printed.
"""

from __future__ import annotations


import concurrent.futures
import errno
import grp
import inspect
import os
import pwd
import re
import shlex
import stat
import subprocess
import sys


class Failure(Exception):
    def __init__(self, cause, detail):
        super().__init__(detail)
        self.cause = cause
        self.detail = detail


def owner_text(path):
    try:
        info = os.stat(path)
    except OSError as exc:
        return 'cannot stat: %s' % exc.strerror
    try:
        user = pwd.getpwuid(info.st_uid).pw_name
    except KeyError:
        user = str(info.st_uid)
    try:
        group = grp.getgrgid(info.st_gid).gr_name
    except KeyError:
        group = str(info.st_gid)
    return '%s:%s %04o' % (user, group, stat.S_IMODE(info.st_mode))


def me():
    try:
        return pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:
        return str(os.geteuid())


def has_key(path, entity):
    section = None
    with open(path, 'r') as handle:
        for line in handle:
            match = re.match(r'^\s*\[([^\]]+)\]\s*$', line)
            if match:
                section = match.group(1).strip()
                continue
            if section == entity and re.match(r'^\s*key\s*=\s*\S+\s*$', line):
                return True
    return False


def check_files(conf, keyring, entity):
    if not os.path.exists(conf):
        raise Failure('conf', '%s does not exist' % conf)
    if not os.access(conf, os.R_OK):
        raise Failure('conf', '%s is not readable by user %s (%s)' % (conf, me(), owner_text(conf)))
    if not os.path.exists(keyring):
        raise Failure('keyring', '%s does not exist' % keyring)
    if not os.access(keyring, os.R_OK):
        raise Failure('keyring permissions',
                      '%s is not readable by user %s (%s); it must be owned by root, group %s, mode 0640'
                      % (keyring, me(), owner_text(keyring), me()))
    if not has_key(keyring, entity):
        raise Failure('keyring', '%s holds no key for %s' % (keyring, entity))


def classify_connect(exc, keyring, entity, mon_host, timeout):
    code = getattr(exc, 'errno', None)
    if code in (errno.EACCES, errno.EPERM):
        return Failure('key mismatch',
                       'the cluster refused the key of %s from %s: the key differs from the cluster\'s, or the '
                       'client does not exist in the cluster (%s)' % (entity, keyring, exc))
    if code in (errno.ETIMEDOUT, errno.ECONNREFUSED, errno.EHOSTUNREACH, errno.ENETUNREACH):
        return Failure('network', 'no monitor at mon_host %s answered within %ss (%s)' % (mon_host, timeout, exc))
    return Failure('network', 'cannot connect to the monitors at %s: %s' % (mon_host, exc))


def preflight(conf, user, pool, keyring, fsid, timeout, rados_module, rbd_module):
    entity = 'client.%s' % user
    check_files(conf, keyring, entity)
    settings = {'client_mount_timeout': str(timeout), 'rados_mon_op_timeout': str(timeout),
                'rados_osd_op_timeout': str(timeout)}
    cluster = rados_module.Rados(conffile=conf, rados_id=user, conf=settings)
    try:
        resolved = [p.strip() for p in re.split(r'[,;\s]+', cluster.conf_get('keyring') or '') if p.strip()]
        if os.path.realpath(keyring) not in [os.path.realpath(p) for p in resolved]:
            raise Failure('conf', '%s does not lead %s to %s (its keyring search path is %s): add "[client] '
                                  'keyring = %s" with the cluster name written out'
                          % (conf, entity, keyring, ', '.join(resolved) or 'empty',
                             keyring.replace(entity, '$name')))
        conf_fsid = cluster.conf_get('fsid') or ''
        if fsid and conf_fsid and conf_fsid != fsid:
            raise Failure('wrong cluster', '%s has fsid %s, the cluster\'s is %s' % (conf, conf_fsid, fsid))
        mon_host = cluster.conf_get('mon_host') or 'unset'
        try:
            cluster.connect(timeout=int(timeout))
        except rados_module.Error as exc:
            raise classify_connect(exc, keyring, entity, mon_host, timeout)
        actual = cluster.get_fsid()
        if fsid and actual != fsid:
            raise Failure('wrong cluster', 'mon_host %s in %s leads to the cluster with fsid %s, expected %s'
                          % (mon_host, conf, actual, fsid))
        try:
            ioctx = cluster.open_ioctx(pool)
        except rados_module.ObjectNotFound:
            raise Failure('pool', 'pool %s does not exist in the cluster' % pool)
        except rados_module.Error as exc:
            raise Failure('caps', '%s may not open pool %s (%s)' % (entity, pool, exc))
        try:
            if rbd_module is not None:
                images = len(rbd_module.RBD().list(ioctx))
            else:
                images = sum(1 for dummy in ioctx.list_objects())
        except Exception as exc:  # rbd and rados raise their own classes
            code = getattr(exc, 'errno', None)
            if code in (errno.EACCES, errno.EPERM):
                raise Failure('caps', '%s may not list pool %s: its osd caps must allow it, for example '
                                      '"profile rbd pool=%s" (%s)' % (entity, pool, pool, exc))
            if code == errno.ETIMEDOUT:
                raise Failure('network', 'the OSDs did not answer within %ss (%s)' % (timeout, exc))
            raise Failure('caps', 'cannot list pool %s as %s: %s' % (pool, entity, exc))
        finally:
            ioctx.close()
        return 'ok: %s lists pool %s (%d images) of cluster fsid %s as %s' % (me(), pool, images, actual, entity)
    finally:
        cluster.shutdown()


def check(args, timeout, rados, rbd):
    conf, user, pool, keyring, fsid, name = args
    try:
        if rados is None:
            raise Failure('libraries', 'python3-rados is not importable by %s' % sys.executable)
        return True, 'cluster %s: %s' % (name, preflight(conf, user, pool, keyring, fsid, timeout, rados, rbd))
    except Failure as failure:
        return False, 'cluster %s: %s: %s' % (name, failure.cause, failure.detail)
    except Exception as exc:  # anything else still names its cluster
        return False, 'cluster %s: error: %s' % (name, exc)


def main(argv):
    timeout = int(argv[1])
    fields = argv[2:]
    if not fields or len(fields) % 6:
        sys.stdout.write('usage: python3 - TIMEOUT CONF USER POOL KEYRING FSID CLUSTER [...]\n')
        return 2
    try:
        import rados
    except ImportError:
        rados = None
    try:
        import rbd
    except ImportError:
        rbd = None
    clusters = [fields[i:i + 6] for i in range(0, len(fields), 6)]
    # librados waits without the GIL: one thread per cluster checks them all at once.
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(clusters)) as pool:
        results = list(pool.map(lambda args: check(args, timeout, rados, rbd), clusters))
    for dummy, line in results:
        sys.stdout.write(line + '\n')
    return 0 if all(ok for ok, dummy in results) else 1


# ---------------------------------------------------------------------------
# The modules' half: run the script above as the service user.
# ---------------------------------------------------------------------------
class RunError(Exception):
    """The check could not run at all (no such user, no such Python, not root)."""


class NoSuchUser(RunError):
    """The service user does not exist."""


def with_fsids(clusters, delivered):
    """The clusters to check (``{name, user, pool, fsid?}``), each with the fsid of the cluster of
    that name among ``delivered`` (the clusters whose files were written), else its own, else ''."""
    fsids = dict((c['name'], c.get('fsid')) for c in delivered)
    return [dict(c, fsid=fsids.get(c['name']) or c.get('fsid') or '') for c in clusters]


def script_args(clusters, directory):
    """The script's arguments, six per cluster: conf, user, pool, keyring, fsid ('' when unknown), name.

    ``clusters`` are dicts with ``name``, ``user`` (the CephX id) and ``pool``, and
    optionally ``fsid``: never a key."""
    # Imported here: the script half of this file runs on its own, with the standard library only.
    from ansible_collections.edgestack.glance_ceph.plugins.module_utils import _rules  # pylint: disable=import-outside-toplevel
    args = []
    for cluster in clusters:
        name, user = cluster['name'], cluster['user']
        args += [_rules.ceph_conf_path(directory, name), user, cluster['pool'],
                 _rules.ceph_keyring_path(directory, name, 'client.' + user), cluster.get('fsid') or '', name]
    return args


def parse_lines(clusters, stdout):
    """One result per cluster, in the order given: name, ok, and the script's line for it."""
    lines = {}
    for line in stdout.splitlines():
        match = re.match(r'^cluster (\S+): ', line)
        if match and match.group(1) not in lines:
            lines[match.group(1)] = line
    results = []
    for cluster in clusters:
        line = lines.get(cluster['name'])
        results.append({'cluster': cluster['name'], 'ok': bool(line) and line.startswith('cluster %s: ok: ' % cluster['name']),
                        'message': line or ''})
    return results


def no_user_message(user):
    return 'no local user %s: the service user must exist before its files are checked' % user


def needs_root_message(user):
    return 'checking as user %s needs root (become: true)' % user


def no_python_message(python):
    return '%s is not an executable Python (the one with python3-rados that the service uses)' % python


def service_identity(user):
    """The passwd entry and groups of ``user``, whom this process must be able to act as.

    Shared by the check below and by the Glance host's readable-file check
    (module_utils/_glance_host.py). Raises RunError, naming the fix, when the user
    does not exist or when this process is neither root nor that user."""
    try:
        entry = pwd.getpwnam(user)
    except KeyError:
        raise NoSuchUser(no_user_message(user))
    if os.geteuid() not in (0, entry.pw_uid):
        raise RunError(needs_root_message(user))
    return entry, os.getgrouplist(user, entry.pw_gid)


def no_answer(clusters, reason):
    """The same failure for every cluster: the check could not run, or did not end."""
    return [{'cluster': c['name'], 'ok': False, 'message': 'cluster %s: no answer: %s' % (c['name'], reason)}
            for c in clusters]


# The check's environment: nothing of the caller's but these (and HOME, the user's).
CHILD_ENV = (('PATH', '/usr/sbin:/usr/bin:/sbin:/bin'), ('LANG', 'C.UTF-8'))


def time_limit(timeout):
    """Seconds the whole check may take: every cluster waits at most ``timeout`` per step."""
    return int(timeout) * 3 + 20


def results_from_output(clusters, stdout, stderr, timed_out=False, returncode=0, limit=None):
    """One result per cluster from the script's output; a cluster without a line of its own
    gets the last line of the errors (or of the output) as the reason."""
    if timed_out:
        return no_answer(clusters, 'the check took more than %ss' % limit)
    detail = (stderr or stdout or 'exit code %d' % returncode).strip().splitlines()
    silent = dict((r['cluster'], r) for r in no_answer(clusters, detail[-1] if detail else ''))
    return [r if r['message'] else silent[r['cluster']] for r in parse_lines(clusters, stdout)]


def check_as(user, python, timeout, clusters, directory):
    """Run the check of ``clusters`` as ``user`` with ``python``; one result per cluster.

    The module runs as root: the child gets the user's uid, gid and groups, and a
    minimal environment. When the check cannot run at all, every cluster gets the
    same message, naming the cause."""
    if not clusters:
        return []
    entry, groups = service_identity(user)
    if not os.path.isfile(python) or not os.access(python, os.X_OK):
        raise RunError(no_python_message(python))
    same_user = os.geteuid() == entry.pw_uid
    source = inspect.getsource(sys.modules[__name__])
    argv = [python, '-', str(int(timeout))] + script_args(clusters, directory)
    env = dict(CHILD_ENV, HOME=entry.pw_dir or '/', USER=user, LOGNAME=user)
    identity = {} if same_user else {'user': entry.pw_uid, 'group': entry.pw_gid, 'extra_groups': groups}
    limit = time_limit(timeout)
    try:
        # The clusters are checked in parallel: the slowest one sets the time.
        proc = subprocess.run(argv, input=source, capture_output=True, text=True, env=env, cwd='/',
                              timeout=limit, check=False, **identity)
    except subprocess.TimeoutExpired:
        return results_from_output(clusters, '', '', timed_out=True, limit=limit)
    return results_from_output(clusters, proc.stdout, proc.stderr, returncode=proc.returncode)


# The same check from a shell, for a caller without a module (the ceph_client_auth role's
# lookup, run with ansible.builtin.raw): positional parameters USER PYTHON TIMEOUT LIMIT
# SOURCE, then the script's arguments. It prints "error REASON" when the check cannot run,
# "timeout LIMIT" when it did not end, else "rc CODE" and the script's output (its errors
# after it).
SHELL_CHECK = (
    'user=$1 py=$2 secs=$3 limit=$4 src=$5; shift 5; '
    'home=$(getent passwd "$user" | cut -d: -f6); '
    # By name only, as the module looks it up (getent also takes a uid).
    'if expr "x$user" : "x[0-9]*$" >/dev/null || ! getent passwd "$user" >/dev/null; then echo "error $NO_USER"; '
    'elif [ "$(id -u)" != 0 ] && [ "$(id -u)" != "$(id -u "$user")" ]; then echo "error $NEEDS_ROOT"; '
    'elif [ ! -f "$py" ] || [ ! -x "$py" ]; then echo "error $NO_PYTHON"; '
    'else '
    'if [ "$(id -u)" = "$(id -u "$user")" ]; then as=""; '
    'else as="setpriv --reuid=$(id -u "$user") --regid=$(id -g "$user") --init-groups"; fi; '
    'out=$(cd / && timeout "$limit" $as env -i %(env)s HOME="${home:-/}" USER="$user" LOGNAME="$user" '
    '"$py" -c "$src" "$secs" "$@" 2>&1); '
    'rc=$?; if [ "$rc" = 124 ]; then echo "timeout $limit"; else echo "rc $rc"; printf "%%s\n" "$out"; fi; '
    'fi'
)


def shell_check(user, python, timeout, clusters, directory):
    """``(script, arguments)``: the shell text of the check and its positional parameters (the
    check's own source among them); the caller runs ``sh -c SCRIPT sh ARGUMENTS...`` as root."""
    env = ' '.join('%s=%s' % pair for pair in CHILD_ENV)
    script = ('NO_USER=%s NEEDS_ROOT=%s NO_PYTHON=%s; ' % tuple(
        shlex.quote(m) for m in (no_user_message(user), needs_root_message(user), no_python_message(python)))
        + SHELL_CHECK % {'env': env})
    source = inspect.getsource(sys.modules[__name__])
    return script, [user, python, str(int(timeout)), str(time_limit(timeout)), source] + script_args(
        clusters, directory)


def shell_results(clusters, output):
    """One result per cluster (``clusters``: their names) from what SHELL_CHECK printed."""
    clusters = [{'name': name} for name in clusters]
    lines = output.splitlines()
    first = lines[0].strip() if lines else ''
    if first.startswith('error '):
        return no_answer(clusters, first[len('error '):])
    if first.startswith('timeout '):
        return results_from_output(clusters, '', '', timed_out=True, limit=first[len('timeout '):])
    code = first[len('rc '):] if first.startswith('rc ') else ''
    return results_from_output(clusters, '\n'.join(lines[1:]), '', returncode=int(code) if code.isdigit() else 1)


def argument_spec():
    """The check's options, the same in ceph_client_check and in ceph_client_files' preflight option."""
    return dict(
        run_as=dict(type='str', default='glance'),
        python=dict(type='path', default='/usr/bin/python3'),
        timeout=dict(type='int', default=10),
        clusters=dict(type='list', elements='dict', required=True, options=dict(
            name=dict(type='str', required=True),
            user=dict(type='str', required=True),
            pool=dict(type='str', required=True),
            fsid=dict(type='str'),
        )),
    )


def check_or_report(user, python, timeout, clusters, directory):
    """``check_as()``, with a check that cannot run reported on every cluster instead of raised."""
    try:
        return check_as(user, python, timeout, clusters, directory)
    except RunError as exc:
        return no_answer(clusters, exc)


if __name__ == '__main__':
    raise SystemExit(main(sys.argv))
