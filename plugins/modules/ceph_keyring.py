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
before:
  description: The file before the run (entity, key fingerprint, owner, group, mode), or C(state=absent). Never a key.
  returned: always
  type: dict
  sample: {state: absent}
after:
  description: The file after the run, in the same form as RV(before).
  returned: always
  type: dict
  sample: {entity: client.glance, key: "sha256:0c1d2e3f4a5b", managed: true, owner: root, group: glance, mode: "0640"}
key_fingerprint:
  description: Fingerprint of the key the file holds after the run (null when absent).
  returned: always
  type: str
  sample: "sha256:0c1d2e3f4a5b"
'''

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.edgestack.glance_ceph.plugins.module_utils import _auth
from ansible_collections.edgestack.glance_ceph.plugins.module_utils import _client_files as _files
from ansible_collections.edgestack.glance_ceph.plugins.module_utils import _lifecycle

KeyringError = _files.FileError


def validate(params):
    """Check the options; return the desired state (no secrets in errors)."""
    path = params['path']
    if not path or not os.path.isabs(path) or path.endswith('/'):
        raise KeyringError('path must be the absolute path of a file, got %r' % (path,))
    desired = {'path': path, 'state': params['state'], 'force': params['force']}
    if params['state'] == 'absent':
        return desired
    name = params.get('name')
    if not name or not _files.ENTITY_RE.match(name):
        raise KeyringError('name must be the CephX entity, such as client.glance, got %r' % (name,))
    if not params.get('key'):
        raise KeyringError('key is required with state present')
    key = _files.checked_key(params['key'], name)
    desired.update(name=name, key=key, mode=_files.parse_mode(params['mode']),
                   content=_files.keyring_content(name, key, 'ceph_keyring'))
    return desired


def _describe(content, entity, uid, gid, mode):
    """A diff side: fingerprint instead of the key."""
    return _files.describe(content, entity, _files.user_name(uid), _files.group_name(gid), mode)


class KeyringModule(_lifecycle.Lifecycle):

    def read(self):
        params = self.params
        desired = self.desired = validate(params)
        if desired['state'] == 'present':
            self.hide(desired['key'])
            desired['uid'] = _files.user_id(params['owner'])
            desired['gid'] = _files.group_id(params['group'])
            directory = os.path.dirname(desired['path'])
            if not os.path.isdir(directory):
                raise KeyringError('directory %s does not exist: create it first' % directory)
        try:
            current = _files.read_file(desired['path'])
        except (IOError, OSError) as exc:
            raise KeyringError('cannot read %s: %s' % (params['path'], exc))
        if current is not None:
            self.hide(_auth.keyring_key(current['content'], params.get('name') or ''))
        return current

    def plan(self, current):
        desired = self.desired
        present = desired['state'] == 'present'
        entity = self.params.get('name') or (_files.first_section(current['content']) if current else None)
        before = (_describe(current['content'], entity, current['uid'], current['gid'], current['mode'])
                  if current else {'state': 'absent'})
        after = (_describe(desired['content'], desired['name'], desired['uid'], desired['gid'], desired['mode'])
                 if present else {'state': 'absent'})
        return _lifecycle.Plan(actions=_files.plan_file(desired, current), before=before, after=after,
                               diff={'before_header': desired['path'], 'after_header': desired['path'],
                                     'before': before, 'after': after})

    def apply(self, plan):
        desired = self.desired
        try:
            if 'write' in plan.actions:
                _files.write_atomically(desired['path'], desired['content'], desired['uid'], desired['gid'],
                                        desired['mode'])
            elif 'attributes' in plan.actions:
                _files.set_attributes(desired['path'], desired['uid'], desired['gid'], desired['mode'])
            elif 'remove' in plan.actions:
                os.unlink(desired['path'])
        except (IOError, OSError) as exc:
            raise KeyringError('cannot %s %s: %s' % (plan.actions[0], desired['path'], exc))

    def result(self, current, plan):
        present = self.desired['state'] == 'present'
        return dict(key_fingerprint=_auth.fingerprint(self.desired['key']) if present else None)

    def partial(self):
        return dict(path=self.params['path'])


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
    KeyringModule(module).run()


if __name__ == '__main__':
    main()
