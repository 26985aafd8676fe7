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
import hashlib
import os
import pwd
import re
import stat
import tempfile

from ansible_collections.edgestack.glance_ceph.plugins.module_utils import _auth
from ansible_collections.edgestack.glance_ceph.plugins.module_utils import _lifecycle
from ansible_collections.edgestack.glance_ceph.plugins.module_utils import _preflight
from ansible_collections.edgestack.glance_ceph.plugins.module_utils import _rules

#: First line of every file the collection writes into a Ceph client directory.
MANAGED_PREFIX = '# Managed by edgestack.glance_ceph'
# The owner and group of every conf and of the client directory.
ROOT = 0

ENTITY_RE = _rules.ENTITY_RE
CLUSTER_RE = _rules.NAME_RE


class FileError(_lifecycle.EdgestackModuleError, ValueError):
    """The request is invalid, or would change a file the collection does not own."""


# --------------------------------------------------------------------------
# Pure parts
# --------------------------------------------------------------------------
def argument_spec():
    """ceph_client_files' options; the lookup filters (ceph_client_files_lookup, _state) take its defaults."""
    return dict(
        dir=dict(type='path', default='/etc/ceph'),
        clusters=dict(type='list', elements='dict', required=True, options=dict(
            name=dict(type='str', required=True),
            fsid=dict(type='str', required=True),
            mon_host=dict(type='str', required=True),
            clients=dict(type='list', elements='dict', default=[], options=dict(
                name=dict(type='str', required=True),
                key=dict(type='str', no_log=True),
            )),
        )),
        local=dict(type='list', elements='str', default=[]),
        absent=dict(type='list', elements='str', default=[]),
        adopt=dict(type='bool', default=False),
        client_options=dict(type='dict', default={}),
        conf_mode=dict(type='raw', default='0644'),
        keyring_owner=dict(type='str', default='root', no_log=False),
        keyring_group=dict(type='str', default='root', no_log=False),
        keyring_mode=dict(type='raw', default='0600', no_log=False),
        preflight=dict(type='dict', options=_preflight.argument_spec()),
    )


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
    if not same_content(current, desired['content']):
        return ['write']
    if (current['uid'], current['gid'], current['mode']) != (desired['uid'], desired['gid'], desired['mode']):
        return ['attributes']
    return []


def text_digest(text):
    """The SHA-256 of a file's text, as ``sha256sum`` prints it."""
    return hashlib.sha256(text.encode('utf-8')).hexdigest()


def same_content(current, content):
    """Whether a file's ``current`` state (its text, or only its digest when a lookup read it)
    holds ``content``."""
    if 'sha256' in current:
        return current['sha256'] == text_digest(content)
    return current['content'] == content


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


def desired_state(params, ids=None):
    """The desired state from ceph_client_files' options (no key in any error).

    ``ids`` maps the keyring's owner and group names to their ids on the host, when the caller
    read them there (the role's lookup, on the controller); else they are resolved here."""
    if ids is None:
        ids = {'owner': user_id(params['keyring_owner']), 'group': group_id(params['keyring_group'])}
    directory = params['dir']
    if not directory or not os.path.isabs(directory) or (directory.endswith('/') and directory != '/'):
        raise FileError('dir must be an absolute directory path without a trailing slash, got %r'
                        % (directory,))
    names = [c['name'] for c in params['clusters']]
    for name in names + params['absent'] + params['local']:
        if not CLUSTER_RE.match(name or ''):
            raise FileError('cluster name %r is invalid: a lowercase letter, then lowercase letters, '
                            'digits, "_" or "-"' % (name,))
    if len(set(names)) != len(names):
        twice = sorted(n for n in set(names) if names.count(n) > 1)
        raise FileError('clusters lists a name twice: %s' % ', '.join(twice))
    for option, bad in (('local', sorted(set(params['local']) - set(names))),
                        ('absent', sorted(set(params['absent']) & set(names)))):
        if bad:
            raise FileError('%s lists %s, which %s in clusters' % (
                option, ', '.join(bad), 'are not' if option == 'local' else 'are also'))
    option_problems = client_option_problems(params['client_options'])
    if option_problems:
        raise FileError('client_options: %s' % '; '.join(option_problems))
    clusters = []
    for cluster in params['clusters']:
        if not cluster['mon_host'] or any(c.isspace() for c in cluster['mon_host']):
            raise FileError('mon_host of cluster %s is empty or has spaces' % cluster['name'])
        clients = []
        for client in cluster['clients'] or []:
            if not ENTITY_RE.match(client['name'] or '') or not client['name'].startswith('client.'):
                raise FileError('client %r of cluster %s is not client.<id>' % (client['name'], cluster['name']))
            key = client.get('key')
            if key is not None:
                key = checked_key(key, '%s on cluster %s' % (client['name'], cluster['name']))
            clients.append({'name': client['name'], 'key': key})
        clusters.append({'name': cluster['name'], 'fsid': cluster['fsid'], 'mon_host': cluster['mon_host'],
                         'clients': clients})
    return {
        'dir': directory.rstrip('/') or '/',
        'clusters': clusters,
        'local': list(params['local']),
        'absent': list(params['absent']),
        'adopt': params['adopt'],
        'client_options': dict(params['client_options'] or {}),
        'conf': {'uid': ROOT, 'gid': ROOT, 'mode': parse_mode(params['conf_mode'], secret=False)},
        'keyring': {'uid': ids['owner'], 'gid': ids['group'], 'mode': parse_mode(params['keyring_mode'])},
    }


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


# ---------------------------------------------------------------------------
# The role's lookup: what ceph_client_files would find on a host, read by one shell
# command (ansible.builtin.raw: no module packed, no Ansible code loaded on the host),
# so that a host whose files are as wanted needs no module run. Positional parameters:
# DIR OWNER GROUP PREFIX, the count and names of the clusters whose files it reads, the
# count and names of the local clusters; then, when the preflight runs in the same
# command, "preflight" and the check's own (module_utils/_preflight.shell_check). It
# prints a digest only of the files the collection wrote (their first line is its
# header), never a file's text.
# ---------------------------------------------------------------------------
LOOKUP_SCRIPT = (
    'd=$1 owner=$2 group=$3 prefix=$4; shift 4; '
    'names=""; n=$1; shift; while [ "$n" -gt 0 ]; do names="$names $1"; shift; n=$((n - 1)); done; '
    'locals=""; n=$1; shift; while [ "$n" -gt 0 ]; do locals="$locals $1"; shift; n=$((n - 1)); done; '
    'echo "ids $(id -u "$owner" 2>/dev/null || echo -) $(getent group "$group" | cut -d: -f3 | grep . || echo -)"; '
    'if [ -L "$d" ]; then echo "dir link"; elif [ -d "$d" ]; then echo "dir $(stat -c \'%u %g %a\' "$d")"; '
    'elif [ -e "$d" ]; then echo "dir other"; else echo "dir absent"; fi; '
    'for c in $names; do for f in "$d/$c.conf" "$d/$c".*.keyring; do '
    '[ -e "$f" ] || [ -L "$f" ] || continue; b=${f##*/}; '
    'if [ -L "$f" ]; then printf "file %s link\\n" "$b"; elif [ ! -f "$f" ]; then printf "file %s other\\n" "$b"; '
    'else case "$(head -n 1 "$f")" in "$prefix"*) sum=$(sha256sum < "$f" | cut -c1-64);; *) sum=-;; esac; '
    'printf "file %s %s %s\\n" "$b" "$sum" "$(stat -c \'%u %g %a\' "$f")"; fi; done; done; '
    'for c in $locals; do fsid=$(ceph-conf -c "$d/$c.conf" --lookup fsid 2>/dev/null) '
    '&& echo "local $c $fsid" || echo "local $c -"; done; '
    # The module needs ceph-conf to check every conf it writes: without it, it fails.
    'command -v ceph-conf >/dev/null 2>&1 || echo "no ceph-conf"'
)


def lookup_names(params):
    """The clusters whose files ceph_client_files reads: the delivered ones, then the absent ones."""
    names = [c['name'] for c in params['clusters']]
    return names + [n for n in params['absent'] if n not in names]


def parse_lookup(output):
    """What LOOKUP_SCRIPT printed: {ids: {owner, group} (None when unknown), dir: None (absent),
    'link', 'other' or (uid, gid, mode), files: {name: None (a link or not a file) or
    {sha256 (None when the collection did not write it), managed, uid, gid, mode}}, local:
    {cluster: fsid or None}, odd: whether a line was not the lookup's}, and the lines from
    the line "preflight" on (the preflight's, when it ran in the same command)."""
    found = {'ids': {'owner': None, 'group': None}, 'dir': None, 'files': {}, 'local': {}, 'odd': False}
    lines = output.splitlines()
    for number, line in enumerate(lines):
        words = line.split()
        kind = words[0] if words else ''
        if kind == 'preflight':
            return found, lines[number:]
        if kind == 'ids' and len(words) == 3:
            found['ids'] = dict((k, int(v) if v.isdigit() else None) for k, v in zip(('owner', 'group'), words[1:]))
        elif kind == 'dir' and len(words) == 2:
            found['dir'] = None if words[1] == 'absent' else words[1]
        elif kind == 'dir' and len(words) == 4 and all(w.isdigit() for w in words[1:]):
            found['dir'] = (int(words[1]), int(words[2]), int(words[3], 8))
        elif kind == 'file' and len(words) == 3:
            found['files'][words[1]] = None
        elif kind == 'file' and len(words) == 6 and all(w.isdigit() for w in words[3:]):
            found['files'][words[1]] = {
                'sha256': None if words[2] == '-' else words[2], 'managed': words[2] != '-',
                'uid': int(words[3]), 'gid': int(words[4]), 'mode': int(words[5], 8)}
        elif kind == 'local' and len(words) == 3:
            found['local'][words[1]] = None if words[2] == '-' else words[2]
        else:
            # A file name with spaces, an error of a command: the module reads it all itself.
            found['odd'] = True
    return found, []


def lookup_differs(params, found):
    """Whether ceph_client_files has anything to do, or anything to refuse, on the host whose
    lookup ``found`` (parse_lookup), with the module's options ``params``: when it does, the
    caller runs the module, which reads everything again and decides (and reports) itself."""
    ids = found['ids']
    if found['odd'] or ids['owner'] is None or ids['group'] is None:
        return True
    try:
        desired = desired_state(params, ids=ids)
    except FileError:
        return True
    if found['dir'] != (ROOT, ROOT, 0o755):
        return True
    local_confs = set(_rules.ceph_conf_path('', n) for n in desired['local'])
    current = {}
    for entry in cluster_file_names(lookup_names(desired), found['files']):
        if entry in local_confs:
            continue
        state = found['files'][entry]
        if state is None:
            return True
        current[entry] = state
    local_fsids = dict((name, (found['local'].get(name), 'ceph-conf cannot read it')) for name in desired['local'])
    actions, problems = plan_directory(desired, current, local_fsids)
    return bool(actions or problems)
