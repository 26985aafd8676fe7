#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: ceph_keyring
short_description: Write one CephX keyring file on a Ceph client host
version_added: 0.1.0
description:
  - Writes (or removes) the keyring file of one CephX client, such as
    C(/etc/ceph/central.client.glance.keyring) for Glance, on the host that
    uses it.
  - The key is a module option (O(key), C(no_log)), so it reaches the host
    only inside the module's arguments (over the connection's standard input
    when pipelining is on) and is never staged in a file on the controller,
    as C(ansible.builtin.copy) with C(content) would do.
  - The file is replaced atomically. A temporary file in the same directory
    gets its owner, group and mode before the key is written to it, and is
    then renamed over the target, so the key is never readable by anyone the
    final mode excludes, and readers never see a partial file.
  - The file starts with a header comment, C(# Managed by edgestack.glance_ceph).
    A file without it was not written by the collection and is neither replaced
    nor removed unless O(force=true).
  - Does not talk to a Ceph cluster; the key comes from
    M(edgestack.glance_ceph.ceph_auth) with C(return_keyring=true).
author:
  - edgestack maintainers (@edgestack)
attributes:
  check_mode:
    support: full
    description: Reports what would be written, changed or removed.
  diff_mode:
    support: full
    description: >-
      Shows the entity, a fingerprint of the key (C(sha256:) and 12 hex digits),
      owner, group and mode, before and after. Never the key.
options:
  path:
    description:
      - Absolute path of the keyring file. Its directory must exist.
      - A symbolic link is refused.
    type: path
    required: true
  name:
    description:
      - The CephX entity whose key the file holds, C(client.<id>), for example C(client.glance).
      - Required with O(state=present).
    type: str
  key:
    description:
      - The entity's CephX key, as C(ceph auth get) shows it.
      - Required with O(state=present). Never logged, never returned.
    type: str
  owner:
    description: Owner of the file, a user name or a numeric id.
    type: str
    default: root
  group:
    description:
      - Group of the file, a group name or a numeric id. For a service that
        runs as its own user (Glance runs as C(glance)), the service's group
        with O(mode=0640).
    type: str
    default: root
  mode:
    description:
      - Permissions of the file, as an octal string such as V("0640").
      - Bits for other users are refused, since the file holds a key.
    type: raw
    default: "0600"
  state:
    description:
      - V(present) writes the file, V(absent) removes it.
    type: str
    choices: [present, absent]
    default: present
  force:
    description:
      - Replace (O(state=present)) or remove (O(state=absent)) a file that
        lacks the collection's header comment. Without it such a file makes
        the module fail, before anything changes.
    type: bool
    default: false
notes:
  - The file holds only the entity's key (no caps), which is all a client needs.
  - SELinux contexts are not managed.
seealso:
  - module: edgestack.glance_ceph.ceph_auth
'''

EXAMPLES = r'''
- name: Read Glance's key on the Ceph admin host (the task's output is hidden)
  edgestack.glance_ceph.ceph_auth:
    cluster: central
    clients:
      - name: client.glance
        caps:
          mon: profile rbd
          osd: profile rbd pool=images
    return_keyring: true
  register: central_glance
  delegate_to: central-ceph
  run_once: true

- name: Install it for glance-api, readable by the glance group only
  edgestack.glance_ceph.ceph_keyring:
    path: /etc/ceph/central.client.glance.keyring
    name: client.glance
    key: >-
      {{ (central_glance.keyrings | edgestack.glance_ceph.ceph_keyring_keys(['client.glance']))[0].key }}
    owner: root
    group: glance
    mode: "0640"
  no_log: true

- name: Remove a keyring the collection wrote
  edgestack.glance_ceph.ceph_keyring:
    path: /etc/ceph/dcn1.client.glance.keyring
    state: absent
'''

RETURN = r'''
path:
  description: The keyring file.
  returned: always
  type: str
  sample: /etc/ceph/central.client.glance.keyring
actions:
  description:
    - What was done (in check mode, would be). V(write) (content replaced
      atomically, with owner, group and mode), V(attributes) (owner, group or
      mode set on an unchanged content) or V(remove).
  returned: always
  type: list
  elements: str
  sample: [write]
key_fingerprint:
  description: Fingerprint of the key the file holds after the run (null when absent).
  returned: always
  type: str
  sample: "sha256:0c1d2e3f4a5b"
'''

import errno
import grp
import os
import pwd
import re
import stat
import tempfile

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.edgestack.glance_ceph.plugins.module_utils import _auth

#: First line of every file the collection writes into a Ceph client directory.
MANAGED_PREFIX = '# Managed by edgestack.glance_ceph'
HEADER = MANAGED_PREFIX + ' (ceph_keyring): local changes are overwritten.'

ENTITY_RE = re.compile(r'^[a-z]+\.[A-Za-z0-9][A-Za-z0-9_.-]*$')
_SECTION_RE = _auth.KEYRING_SECTION_RE
keyring_key = _auth.keyring_key


class KeyringError(ValueError):
    """The request is invalid or would change a file the collection does not own."""


# --------------------------------------------------------------------------
# Pure parts
# --------------------------------------------------------------------------
def parse_mode(value):
    """An octal mode from a string ("0640", "640") or an int; refuses bits for others."""
    if isinstance(value, bool) or value is None:
        raise KeyringError('mode must be an octal string such as "0640", got %r' % (value,))
    if isinstance(value, int):
        mode = value
    else:
        text = str(value).strip()
        if not re.match(r'^0?[0-7]{3,4}$', text):
            raise KeyringError('mode must be an octal string such as "0640", got %r' % (value,))
        mode = int(text, 8)
    if mode < 0 or mode > 0o7777:
        raise KeyringError('mode %o is out of range' % mode)
    if mode & 0o007:
        raise KeyringError('mode %04o lets every user of the host read or change the key: use 0600, or '
                           '0640 with the group of the service that reads it' % mode)
    if not mode & 0o400:
        raise KeyringError('mode %04o does not let the owner read the key' % mode)
    return mode


def keyring_content(entity, key):
    """The file's text: header, section and key, tab-indented as Ceph writes keyrings."""
    return '%s\n[%s]\n\tkey = %s\n' % (HEADER, entity, key)


def is_managed(text):
    """True when the file's first line is the collection's header."""
    return text.split('\n', 1)[0].startswith(MANAGED_PREFIX)


def validate(params):
    """Check the options; return the desired state (no secrets in errors)."""
    path = params['path']
    if not path or not os.path.isabs(path) or path.endswith('/'):
        raise KeyringError('path must be the absolute path of a file, got %r' % (path,))
    desired = {'path': path, 'state': params['state'], 'force': params['force']}
    if params['state'] == 'absent':
        return desired
    name = params.get('name')
    if not name or not ENTITY_RE.match(name):
        raise KeyringError('name must be the CephX entity, such as client.glance, got %r' % (name,))
    key = params.get('key')
    if not key:
        raise KeyringError('key is required with state present')
    try:
        _auth.decode_key(key)
    except _auth.AuthSpecError as exc:
        raise KeyringError('key of %s is not a valid CephX key (%s)' % (name, exc))
    desired.update(name=name, key=key.strip(), mode=parse_mode(params['mode']),
                   content=keyring_content(name, key.strip()))
    return desired


def plan(desired, current):
    """Actions turning ``current`` into ``desired``.

    ``current`` is None (no file) or {content, managed, uid, gid, mode};
    ``desired`` carries ``uid``/``gid`` resolved on the host.
    """
    if desired['state'] == 'absent':
        if current is None:
            return []
        if not current['managed'] and not desired['force']:
            raise KeyringError('%s was not written by edgestack.glance_ceph (no "%s" header): refusing to '
                               'remove it; remove it by hand or set force: true'
                               % (desired['path'], MANAGED_PREFIX))
        return ['remove']
    if current is None:
        return ['write']
    if not current['managed'] and not desired['force']:
        raise KeyringError('%s exists and was not written by edgestack.glance_ceph (no "%s" header): refusing '
                           'to replace it; move it away or set force: true' % (desired['path'], MANAGED_PREFIX))
    if current['content'] != desired['content']:
        return ['write']
    if (current['uid'], current['gid'], current['mode']) != (desired['uid'], desired['gid'], desired['mode']):
        return ['attributes']
    return []


def describe(content, entity, uid, gid, mode, names):
    """A diff side: fingerprint instead of the key."""
    if content is None:
        return {'state': 'absent'}
    key = keyring_key(content, entity) if entity else None
    return {
        'entity': entity,
        'key': _auth.fingerprint(key) if key else '(no key for %s)' % entity,
        'managed': is_managed(content),
        'owner': names[0](uid),
        'group': names[1](gid),
        'mode': '%04o' % mode,
    }


# --------------------------------------------------------------------------
# The host
# --------------------------------------------------------------------------
def _user_id(value):
    if re.match(r'^[0-9]+$', str(value)):
        return int(value)
    try:
        return pwd.getpwnam(value).pw_uid
    except KeyError:
        raise KeyringError('user %r does not exist on this host' % value)


def _group_id(value):
    if re.match(r'^[0-9]+$', str(value)):
        return int(value)
    try:
        return grp.getgrnam(value).gr_gid
    except KeyError:
        raise KeyringError('group %r does not exist on this host: install the service that reads the keyring '
                           '(its package creates the group) or pick another group' % value)


def _user_name(uid):
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def _group_name(gid):
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


def read_current(path):
    """None when the file is absent, else its content and attributes."""
    try:
        info = os.lstat(path)
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            return None
        raise
    if stat.S_ISLNK(info.st_mode):
        raise KeyringError('%s is a symbolic link: refusing to write a key through it' % path)
    if not stat.S_ISREG(info.st_mode):
        raise KeyringError('%s exists and is not a regular file' % path)
    with open(path, 'rb') as handle:
        content = handle.read().decode('utf-8', 'replace')
    return {'content': content, 'managed': is_managed(content), 'uid': info.st_uid, 'gid': info.st_gid,
            'mode': stat.S_IMODE(info.st_mode)}


def write_atomically(path, content, uid, gid, mode):
    """Write ``content`` to ``path`` through a temporary file that has its final owner and mode first."""
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


def run_module(module):
    params = module.params
    try:
        desired = validate(params)
        if desired['state'] == 'present':
            module.no_log_values.add(desired['key'])
            desired['uid'] = _user_id(params['owner'])
            desired['gid'] = _group_id(params['group'])
            directory = os.path.dirname(desired['path'])
            if not os.path.isdir(directory):
                raise KeyringError('directory %s does not exist: create it first' % directory)
        current = read_current(desired['path'])
        if current is not None:
            old_key = keyring_key(current['content'], params.get('name') or '')
            if old_key:
                module.no_log_values.add(old_key)
        actions = plan(desired, current)
    except KeyringError as exc:
        module.fail_json(msg=str(exc), path=params['path'], changed=False, actions=[])
    except (IOError, OSError) as exc:
        module.fail_json(msg='cannot read %s: %s' % (params['path'], exc), path=params['path'], changed=False,
                         actions=[])

    result = dict(changed=bool(actions), path=desired['path'], actions=actions)
    present = desired['state'] == 'present'
    result['key_fingerprint'] = _auth.fingerprint(desired['key']) if present else None
    if module._diff:
        names = (_user_name, _group_name)
        entity = params.get('name')
        before = (describe(current['content'], entity or _first_section(current['content']), current['uid'],
                           current['gid'], current['mode'], names) if current else {'state': 'absent'})
        after = (describe(desired['content'], desired['name'], desired['uid'], desired['gid'], desired['mode'],
                          names) if present else {'state': 'absent'})
        result['diff'] = {'before_header': desired['path'], 'after_header': desired['path'],
                          'before': before, 'after': after}

    if actions and not module.check_mode:
        try:
            if 'write' in actions:
                write_atomically(desired['path'], desired['content'], desired['uid'], desired['gid'],
                                 desired['mode'])
            elif 'attributes' in actions:
                set_attributes(desired['path'], desired['uid'], desired['gid'], desired['mode'])
            elif 'remove' in actions:
                os.unlink(desired['path'])
        except (IOError, OSError) as exc:
            module.fail_json(msg='cannot %s %s: %s' % (actions[0], desired['path'], exc), path=desired['path'],
                             changed=False, actions=[])
    module.exit_json(**result)


def _first_section(text):
    for line in text.splitlines():
        match = _SECTION_RE.match(line)
        if match:
            return match.group(1).strip()
    return None


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type='path', required=True),
            name=dict(type='str'),
            key=dict(type='str', no_log=True),
            owner=dict(type='str', default='root'),
            group=dict(type='str', default='root'),
            mode=dict(type='raw', default='0600'),
            state=dict(type='str', default='present', choices=['present', 'absent']),
            force=dict(type='bool', default=False),
        ),
        required_if=[('state', 'present', ('name', 'key'))],
        supports_check_mode=True,
    )
    run_module(module)


if __name__ == '__main__':
    main()
