# -*- coding: utf-8 -*-
# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The files of a Ceph client directory (/etc/ceph): conf and keyring files.

Shared by the ceph_keyring module (one keyring) and the ceph_client_files
module (every file of the clusters a host gets, in one pass). The pure parts
(content, modes, the per-file and per-directory plans) take plain data; the
host parts read and write files. No function here returns or raises a key.
"""

from __future__ import annotations

import errno
import grp
import os
import pwd
import re
import stat
import tempfile

from ansible_collections.edgestack.glance_ceph.plugins.module_utils import _auth
from ansible_collections.edgestack.glance_ceph.plugins.module_utils import _lifecycle
from ansible_collections.edgestack.glance_ceph.plugins.module_utils import _rules

#: First line of every file the collection writes into a Ceph client directory.
MANAGED_PREFIX = '# Managed by edgestack.glance_ceph'

ENTITY_RE = _rules.ENTITY_RE
CLUSTER_RE = _rules.NAME_RE


class FileError(_lifecycle.EdgestackModuleError, ValueError):
    """The request is invalid, or would change a file the collection does not own."""


# --------------------------------------------------------------------------
# Pure parts
# --------------------------------------------------------------------------
def parse_mode(value, secret=True):
    """An octal mode from a string ("0640", "640") or an int.

    For a file holding a key (``secret``), bits for other users are refused and
    the owner must be able to read it.
    """
    if isinstance(value, bool) or value is None:
        raise FileError('mode must be an octal string such as "0640", got %r' % (value,))
    if isinstance(value, int):
        mode = value
    else:
        text = str(value).strip()
        if not re.match(r'^0?[0-7]{3,4}$', text):
            raise FileError('mode must be an octal string such as "0640", got %r' % (value,))
        mode = int(text, 8)
    if mode < 0 or mode > 0o7777:
        raise FileError('mode %o is out of range' % mode)
    if secret and mode & 0o007:
        raise FileError('mode %04o lets every user of the host read or change the key: use 0600, or '
                        '0640 with the group of the service that reads it' % mode)
    if not mode & 0o400:
        raise FileError('mode %04o does not let the owner read the file' % mode)
    return mode


def keyring_content(entity, key, writer='ceph_client_files'):
    """A keyring's text: header (naming the module that writes it), section and key, tab-indented as Ceph
    writes keyrings."""
    return '%s (%s): local changes are overwritten.\n[%s]\n\tkey = %s\n' % (MANAGED_PREFIX, writer, entity, key)


def checked_key(key, what):
    """``key`` stripped, once it decodes as a CephX key; ``what`` names it in the error (never the key)."""
    key = key.strip()
    try:
        _auth.decode_key(key)
    except _auth.AuthSpecError as exc:
        raise FileError('key of %s is not a valid CephX key (%s)' % (what, exc))
    return key


# Option names a conf's [client] section may carry: Ceph's own spelling.
CLIENT_OPTION_RE = re.compile(r'^[a-z][a-z0-9_]*$')


def client_option_problems(options):
    """Why ``options`` cannot go into a conf's [client] section ([] when they can)."""
    problems = []
    for name, value in sorted((options or {}).items()):
        if not CLIENT_OPTION_RE.match(str(name)) or name == 'keyring':
            problems.append('%r is not a client option this conf may set (lowercase, digits and "_"; '
                            'not keyring)' % (name,))
        elif isinstance(value, (dict, list)) or value is None or any(c in str(value) for c in '\n\r#;'):
            problems.append('value of %s must be one plain value on one line' % name)
    return problems


def conf_content(cluster, fsid, mon_host, directory, client_options=None):
    """A cluster's client conf: the header, fsid, mon_host, where its keyrings are, and
    ``client_options`` (such as the timeouts that bound a wait on an unreachable cluster)."""
    extra = ''.join('%s = %s\n' % (name, _option_text(value))
                    for name, value in sorted((client_options or {}).items()))
    return ('%s (ceph_client_auth): client configuration of Ceph cluster %s; local changes are overwritten.\n'
            '[global]\nfsid = %s\nmon_host = %s\n\n[client]\nkeyring = %s\n%s'
            % (MANAGED_PREFIX, cluster, fsid, mon_host, _rules.ceph_keyring_path(directory, cluster, '$name'), extra))


def _option_text(value):
    if isinstance(value, bool):
        return 'true' if value else 'false'
    return str(value)


def is_managed(text):
    """True when the file's first line is the collection's header."""
    return text.split('\n', 1)[0].startswith(MANAGED_PREFIX)


def first_section(text):
    """The first [section] of a keyring's text, or None."""
    for line in text.splitlines():
        match = _auth.KEYRING_SECTION_RE.match(line)
        if match:
            return match.group(1).strip()
    return None


def plan_file(desired, current):
    """Actions turning one file's ``current`` state into ``desired``.

    ``desired``: {path, state, force} and, when present, {content, uid, gid, mode}.
    ``current``: None (no file) or {content, managed, uid, gid, mode}.
    Returns [] or one of ['write'], ['attributes'], ['remove'].
    """
    if desired['state'] == 'absent':
        if current is None:
            return []
        if not current['managed'] and not desired['force']:
            raise FileError('%s was not written by edgestack.glance_ceph (no "%s" header): refusing to '
                            'remove it; remove it by hand or set force: true' % (desired['path'], MANAGED_PREFIX))
        return ['remove']
    if current is None:
        return ['write']
    if not current['managed'] and not desired['force']:
        raise FileError('%s exists and was not written by edgestack.glance_ceph (no "%s" header): refusing '
                        'to replace it; move it away or set force: true' % (desired['path'], MANAGED_PREFIX))
    if current['content'] != desired['content']:
        return ['write']
    if (current['uid'], current['gid'], current['mode']) != (desired['uid'], desired['gid'], desired['mode']):
        return ['attributes']
    return []


def cluster_file_names(names, listing):
    """The names in ``listing`` (a directory's entries) that belong to the clusters ``names``:
    <cluster>.conf and <cluster>.client.<id>.keyring (the rule is _rules.ceph_client_file)."""
    return [entry for entry in sorted(listing) if _rules.ceph_client_file(entry, names)]


def plan_directory(desired, current, local_fsids):
    """Everything to do in a client directory, and every problem that stops it.

    ``desired``: {dir, clusters: [{name, fsid, mon_host, clients: [{name, key}]}],
    local: [cluster names whose conf belongs to daemons on this host: verified,
    never written], absent: [cluster names whose files the collection wrote must
    go], adopt (replace confs without the header), conf: {uid, gid, mode},
    keyring: {uid, gid, mode}}. A client whose key is None keeps its file as it is.

    ``current``: {file name: {content, managed, uid, gid, mode}} for the files of
    those clusters (see cluster_file_names).

    ``local_fsids``: {cluster: (fsid or None, reason when None)} read from the
    local clusters' own conf.

    Returns (actions, problems): actions are dicts {path, file, cluster, kind
    (conf or keyring), action (write, attributes or remove), content, uid, gid,
    mode}; problems are dicts {kind, cluster, path, detail}. Nothing may be done
    while there is a problem.
    """
    directory = desired['dir']
    actions, problems, wanted = [], [], set()
    delivered = [c['name'] for c in desired['clusters']]
    for cluster in desired['clusters']:
        name = cluster['name']
        conf_file = _rules.ceph_conf_path('', name)
        conf_path = os.path.join(directory, conf_file)
        wanted.add(conf_file)
        if name in desired['local']:
            fsid, reason = local_fsids.get(name, (None, 'it was not read'))
            if fsid is None:
                problems.append({'kind': 'local_conf', 'cluster': name, 'path': conf_path,
                                 'detail': 'cannot be read: %s' % reason})
            elif fsid != cluster['fsid']:
                problems.append({'kind': 'local_conf', 'cluster': name, 'path': conf_path,
                                 'detail': 'has fsid %s while the cluster has %s' % (fsid, cluster['fsid'])})
        else:
            spec = dict(desired['conf'], path=conf_path, state='present', force=desired['adopt'],
                        content=conf_content(name, cluster['fsid'], cluster['mon_host'], directory,
                                             desired.get('client_options')))
            _add(actions, problems, spec, current.get(conf_file), name, conf_file, 'conf', 'foreign_conf')
        for client in cluster['clients']:
            keyring_file = _rules.ceph_keyring_path('', name, client['name'])
            wanted.add(keyring_file)
            if client.get('key') is None:
                continue
            spec = dict(desired['keyring'], path=os.path.join(directory, keyring_file), state='present',
                        force=False, content=keyring_content(client['name'], client['key']))
            _add(actions, problems, spec, current.get(keyring_file), name, keyring_file, 'keyring',
                 'foreign_keyring')
    names = delivered + [n for n in desired['absent'] if n not in delivered]
    for entry in cluster_file_names(names, current):
        if entry in wanted or not current[entry]['managed']:
            continue
        cluster, kind = _rules.ceph_client_file(entry, names)
        actions.append({'path': os.path.join(directory, entry), 'file': entry, 'cluster': cluster,
                        'kind': kind, 'action': 'remove'})
    return actions, problems


def _add(actions, problems, spec, current, cluster, entry, kind, problem_kind):
    try:
        todo = plan_file(spec, current)
    except FileError:
        problems.append({'kind': problem_kind, 'cluster': cluster, 'path': spec['path'],
                         'detail': 'exists and was not written by edgestack.glance_ceph (no "%s" first line)'
                                   % MANAGED_PREFIX})
        return
    if todo:
        actions.append({'path': spec['path'], 'file': entry, 'cluster': cluster, 'kind': kind, 'action': todo[0],
                        'content': spec['content'], 'uid': spec['uid'], 'gid': spec['gid'], 'mode': spec['mode']})


def describe(content, entity, owner, group, mode):
    """A keyring diff side: fingerprint instead of the key."""
    if content is None:
        return {'state': 'absent'}
    key = _auth.keyring_key(content, entity) if entity else None
    return {
        'entity': entity,
        'key': _auth.fingerprint(key) if key else '(no key for %s)' % entity,
        'managed': is_managed(content),
        'owner': owner,
        'group': group,
        'mode': '%04o' % mode,
    }


# --------------------------------------------------------------------------
# The host
# --------------------------------------------------------------------------
def user_id(value):
    if re.match(r'^[0-9]+$', str(value)):
        return int(value)
    try:
        return pwd.getpwnam(value).pw_uid
    except KeyError:
        raise FileError('user %r does not exist on this host' % value)


def group_id(value):
    if re.match(r'^[0-9]+$', str(value)):
        return int(value)
    try:
        return grp.getgrnam(value).gr_gid
    except KeyError:
        raise FileError('group %r does not exist on this host: install the service that reads the keyring '
                        '(its package creates the group) or pick another group' % value)


def user_name(uid):
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def group_name(gid):
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


def read_file(path):
    """None when the file is absent, else its content and attributes. Refuses links and non-files."""
    try:
        info = os.lstat(path)
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            return None
        raise
    if stat.S_ISLNK(info.st_mode):
        raise FileError('%s is a symbolic link: refusing to write a key or conf through it' % path)
    if not stat.S_ISREG(info.st_mode):
        raise FileError('%s exists and is not a regular file' % path)
    with open(path, 'rb') as handle:
        content = handle.read().decode('utf-8', 'replace')
    return {'content': content, 'managed': is_managed(content), 'uid': info.st_uid, 'gid': info.st_gid,
            'mode': stat.S_IMODE(info.st_mode)}


def write_atomically(path, content, uid, gid, mode, validate=None):
    """Write ``content`` to ``path`` through a temporary file that has its final owner and mode first.

    ``validate``, when given, is called with the temporary file's path before it
    replaces ``path``; an exception from it leaves ``path`` as it was.
    """
    directory = os.path.dirname(path)
    fd, tmp = tempfile.mkstemp(prefix='.%s.' % os.path.basename(path), suffix='.tmp', dir=directory)
    try:
        os.fchown(fd, uid, gid)
        os.fchmod(fd, mode)
        data = content.encode('utf-8')
        while data:
            written = os.write(fd, data)
            data = data[written:]
        os.fsync(fd)
        os.close(fd)
        fd = None
        if validate is not None:
            validate(tmp)
        os.rename(tmp, path)
        tmp = None
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    finally:
        if fd is not None:
            os.close(fd)
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass


def set_attributes(path, uid, gid, mode):
    os.chown(path, uid, gid, follow_symlinks=False)
    os.chmod(path, mode)
