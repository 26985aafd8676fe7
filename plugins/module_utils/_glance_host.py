# -*- coding: utf-8 -*-
# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a Glance API host needs beside the settings of glance-api.conf.

The glance_store_config module's ``host`` option: the files the service user
must read (the stores' Ceph confs and keyrings), room in the staging directory
for image conversion, the commands conversion runs, the service's directories
(staging, tasks, file stores), and a restart kept pending until it is done.

``host_problems()`` and ``directory_actions()`` are pure (what the unit tests
exercise); ``read_host()`` reads the host, in the module's one process: a
forked child that takes the service user's identity tries to read each file.
"""

from __future__ import annotations

import grp
import os
import shutil

from ansible_collections.edgestack.glance_ceph.plugins.module_utils import _preflight

CONFIG_HINT = ("Deliver the site's Ceph client files first (role edgestack.glance_ceph.ceph_client_auth: "
               "conf 0644, keyring root:{group} 0640), or fix the store's ceph_conf/keyring paths ({stores}).")


def directory_actions(wanted, current, uid, gid, mode):
    """[{action, path}] for the ``wanted`` directories that are missing (``create_dir``) or have
    another owner, group or mode (``dir_attributes``); ``current`` maps a path to None (missing)
    or its (uid, gid, mode)."""
    actions = []
    for path in wanted:
        state = current.get(path)
        if state is None:
            actions.append({'action': 'create_dir', 'path': path})
        elif tuple(state) != (uid, gid, mode):
            actions.append({'action': 'dir_attributes', 'path': path})
    return actions


def host_problems(host, state, conversion_turns_on, names):
    """Every problem of the host, each with its fix, before anything changes.

    ``host`` is the module's host option, ``state`` what ``read_host()`` found, and
    ``conversion_turns_on`` whether the new settings turn image conversion on while the
    file has it off (once it is on, a staging area busy with an import fails no run).
    ``names`` are the variables an operator sets, for the messages."""
    problems = []
    if not state['user_exists']:
        problems.append('the %s user does not exist: install glance-api first (its package creates it), or set %s'
                        % (host['user'], names.get('user') or 'the service user'))
    elif state['unreadable']:
        problems.append('the %s user cannot read %s, which its stores need. %s' % (
            host['user'], ', '.join(state['unreadable']),
            CONFIG_HINT.format(group=host['group'], stores=names.get('stores') or 'the stores')))
    if state['group_gid'] is None:
        problems.append('the %s group does not exist: install glance-api first (its package creates it), or set %s'
                        % (host['group'], names.get('group') or 'the service group'))
    minimum = host.get('min_free_gib') or 0
    if conversion_turns_on and minimum and state['free_bytes'] is not None \
            and state['free_bytes'] < minimum * 1024 ** 3:
        problems.append(
            'image conversion needs at least %s GiB free in %s (an upload and its converted copy sit there), '
            'which has %.1f GiB. Give the staging directory more room, lower %s, or turn conversion off with %s: '
            'false.' % (minimum, host['staging_dir'], state['free_bytes'] / 1024.0 ** 3,
                        names.get('min_free_gib') or 'min_free_gib', names.get('image_conversion') or 'image_conversion'))
    return problems


def _free_bytes(path):
    """Free bytes for an unprivileged user on the file system that holds ``path`` (or would)."""
    while path and not os.path.exists(path):
        parent = os.path.dirname(path)
        if parent == path:
            break
        path = parent
    try:
        info = os.statvfs(path or '/')
    except OSError:
        return None
    return info.f_bavail * info.f_frsize


def unreadable_as(entry, groups, paths):
    """The ``paths`` that the user of passwd ``entry`` cannot open for reading: a forked
    child takes the user's uid, gid and ``groups`` and tries each one."""
    if not paths:
        return []
    if os.geteuid() == entry.pw_uid:
        return [p for p in paths if not _can_read(p)]
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        status = 1
        try:
            os.close(read_end)
            os.setgroups(groups)
            os.setgid(entry.pw_gid)
            os.setuid(entry.pw_uid)
            out = '\n'.join(p for p in paths if not _can_read(p))
            os.write(write_end, out.encode('utf-8', 'surrogateescape'))
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)
    chunks = []
    while True:
        chunk = os.read(read_end, 65536)
        if not chunk:
            break
        chunks.append(chunk)
    os.close(read_end)
    _pid, status = os.waitpid(pid, 0)
    if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0:
        return [line for line in b''.join(chunks).decode('utf-8', 'surrogateescape').split('\n') if line]
    return list(paths)  # the child could not take the user's identity: nothing is known readable


def _can_read(path):
    try:
        with open(path, 'rb'):
            return True
    except OSError:
        return False


def _dir_state(path):
    try:
        info = os.stat(path)
    except OSError:
        return None
    if not os.path.isdir(path):
        return (-1, -1, -1)
    return (info.st_uid, info.st_gid, info.st_mode & 0o7777)


def read_host(host):
    """What the host has: the service user and group, the files the user cannot read, the
    directories, the staging directory's free space, the commands found, and a pending restart."""
    try:
        # The collection's one rule for acting as the service user (RunError when this
        # process is neither root nor that user).
        entry, groups = _preflight.service_identity(host['user'])
    except _preflight.NoSuchUser:
        entry, groups = None, []
    try:
        gid = grp.getgrnam(host['group']).gr_gid
    except KeyError:
        gid = None
    return {
        'user_exists': entry is not None,
        'uid': entry.pw_uid if entry else None,
        'group_gid': gid,
        'unreadable': unreadable_as(entry, groups, list(host['readable'])) if entry else [],
        'dirs': dict((path, _dir_state(path)) for path in host['directories']),
        'free_bytes': _free_bytes(host['staging_dir']) if host.get('staging_dir') else None,
        'missing_commands': [c for c in host['commands'] if shutil.which(c) is None],
        'restart_pending': bool(host.get('restart_marker')) and os.path.exists(host['restart_marker']),
    }


def make_directory(path, uid, gid, mode):
    """Create ``path`` (and missing parents, root's) and give it its owner, group and mode."""
    if not os.path.isdir(path):
        os.makedirs(path, 0o755)
    os.chown(path, uid, gid)
    os.chmod(path, mode)


def write_marker(path, text):
    """The pending-restart marker: root's, 0644, written atomically."""
    tmp = path + '.edgestack-tmp'
    with open(tmp, 'w', encoding='utf-8') as handle:
        handle.write(text)
    os.chown(tmp, 0, 0)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)
