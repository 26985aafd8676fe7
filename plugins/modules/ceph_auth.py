#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: ceph_auth
short_description: Manage CephX clients (keys and caps)
version_added: 0.1.0
description:
  - Creates, updates and deletes CephX clients of one Ceph cluster, such as
    the C(client.glance) user Glance's RBD store authenticates as.
  - Reads every client in one request (C(auth ls)), plans, then applies. The
    action plugin's lookup (see the notes) brings back the entries of the listed
    clients only; no other key leaves the host.
  - Caps are compared after normalising whitespace, and changed in place
    (C(auth caps)), which keeps the client's key.
  - A key never reaches a command line, a diff, a warning or the task output
    (unless O(return_keyring=true), see there); keys are sent as the
    request's input buffer (librados) or on standard input (C(ceph auth import -i -)).
    Diffs show a fingerprint (C(sha256:) and 12 hex digits of the key's SHA-256) at most.
author:
  - edgestack maintainers (@edgestack)
extends_documentation_fragment:
  - edgestack.glance_ceph.ceph
  - edgestack.glance_ceph.ceph.monitors
  - edgestack.glance_ceph.ceph.lookup
attributes:
  check_mode:
    support: full
    description: Reads the cluster and reports the actions it would take.
  diff_mode:
    support: full
    description: >-
      Shows caps before and after, and a fingerprint of the key before and
      after (after a rotation, C((new random key))). Never a key.
options:
  clients:
    description: The CephX clients to manage. Other clients are left alone.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: The client's name, C(client.<id>), for example C(client.glance).
        type: str
        required: true
      state:
        description: V(present) creates or updates the client, V(absent) deletes it (and its key).
        type: str
        choices: [present, absent]
        default: present
      caps:
        description:
          - The client's capabilities, one string per daemon type
            (C(mon), C(osd), C(mgr), C(mds)). When set, this is the whole set;
            cap types the client has but this dict lacks are removed, which
            needs O(allow_caps_removal=true).
          - When unset, an existing client's caps are not managed; a new
            client is created without caps.
          - Compared after normalising whitespace, so C(profile  rbd pool = images)
            equals C(profile rbd pool=images).
        type: dict
      secret:
        description:
          - The client's key, as C(ceph-authtool --gen-print-key) prints it.
            Imported when the client is created or its key differs.
          - When unset, the cluster generates the key of a new client and the
            key of an existing client is kept.
        type: str
      rotate:
        description:
          - Give the client a new random key, generated on the target and
            imported like O(clients[].secret). Every run with V(true) rotates
            (and reports a change), so use it in a task run on purpose, not in the steady-state play.
          - Excludes O(clients[].secret).
        type: bool
        default: false
  allow_caps_removal:
    description:
      - Removing a cap type a client has (for example its C(mgr) cap, or its
        C(mon) cap, which locks it out) fails unless this is V(true).
    type: bool
    default: false
  return_keyring:
    description:
      - Return the keyring of every listed client with O(clients[].state=present)
        in RV(keyrings).
      - The keyrings contain keys. The collection's action plugin treats
        the module's raw output as C(no_log) (connection plugins print it
        from C(-vvv) on) and, when RV(keyrings) is not empty, marks the
        result C(no_log), so Ansible hides the task's output (at every
        verbosity, and in the log) as if the task had C(no_log=true); the
        registered variable still holds the keyrings. Write them out with a task that has C(no_log=true)
        and a restrictive C(mode), never print them.
      - In check mode, keys that would change or be generated are unknown,
        so those clients are left out.
    type: bool
    default: false
notes:
  - List every client in one task's O(clients) rather than looping over the
    module. If you loop anyway, set C(loop_control.label) to the client's
    name, since Ansible's default label is the whole item, secret included.
  - Keep C(pipelining) on (C(pipelining = True) under C([ssh_connection]) in
    C(ansible.cfg), or C(ANSIBLE_PIPELINING=true)) so that module arguments,
    secrets included, reach the host on standard input instead of in a
    temporary module file.
seealso:
  - module: edgestack.glance_ceph.ceph_auth_info
  - name: Ceph user management
    description: Ceph documentation on CephX users and caps.
    link: https://docs.ceph.com/en/pacific/rados/operations/user-management/
'''

EXAMPLES = r'''
- name: Glance's client at the central site
  edgestack.glance_ceph.ceph_auth:
    cluster: central
    clients:
      - name: client.glance
        caps:
          mon: profile rbd
          osd: profile rbd pool=images
          mgr: profile rbd pool=images

- name: Same client at an edge site, with a key kept in a vault
  edgestack.glance_ceph.ceph_auth:
    cluster: dcn0
    clients:
      - name: client.glance
        secret: "{{ vault_dcn0_glance_key }}"
        caps:
          mon: profile rbd
          osd: profile rbd pool=images

- name: Fetch the keyring to install it for glance-api
  edgestack.glance_ceph.ceph_auth:
    cluster: dcn0
    clients:
      - name: client.glance
        caps:
          mon: profile rbd
          osd: profile rbd pool=images
    return_keyring: true
  register: glance_auth

- name: Install the keyring (never printed)
  ansible.builtin.copy:
    content: "{{ glance_auth.keyrings['client.glance'] }}"
    dest: /etc/ceph/dcn0.client.glance.keyring
    owner: root
    group: glance
    mode: "0640"
  no_log: true

- name: Rotate the key of a client (run on purpose)
  edgestack.glance_ceph.ceph_auth:
    cluster: central
    clients:
      - name: client.glance
        rotate: true

- name: Drop a client's mgr cap and delete an old client
  edgestack.glance_ceph.ceph_auth:
    cluster: central
    clients:
      - name: client.glance
        caps:
          mon: profile rbd
          osd: profile rbd pool=images
      - name: client.glance-old
        state: absent
    allow_caps_removal: true
'''

RETURN = r'''
actions:
  description:
    - What was done (or, in check mode, would be), in order. C(action) is
      V(create) (key generated by the cluster), V(import) (key supplied, or
      all caps removed), V(rotate) (new random key), V(caps) (caps changed,
      key kept) or V(delete). C(removed_caps) lists cap types taken away. Never contains a key.
  returned: always
  type: list
  elements: dict
  sample:
    - {entity: client.glance, action: caps, caps: {mon: profile rbd, osd: profile rbd pool=images}, removed_caps: [mgr]}
clients:
  description:
    - Every listed client with O(clients[].state=present) after the run (in
      check mode, as it would be), with its caps and the fingerprint of its key
      (null while unknown, for a key the cluster has yet to generate, or a rotation in check mode).
  returned: always
  type: dict
  sample:
    client.glance:
      caps: {mon: profile rbd, osd: profile rbd pool=images}
      key_fingerprint: "sha256:0c1d2e3f4a5b"
before:
  description: Caps and key fingerprint of every listed client that exists before the run. Never a key.
  returned: always
  type: dict
  sample: {client.glance: {caps: {mon: profile rbd}, key_fingerprint: "sha256:0c1d2e3f4a5b"}}
after:
  description: The same as RV(clients).
  returned: always
  type: dict
  sample: {client.glance: {caps: {mon: profile rbd, osd: profile rbd pool=images}, key_fingerprint: "sha256:0c1d2e3f4a5b"}}
keyrings:
  description:
    - Keyring text per client, as C(ceph auth get) prints it. Contains keys;
      the task's output is hidden when this is not empty (see O(return_keyring)).
  returned: when O(return_keyring=true)
  type: dict
  sample:
    client.glance: "[client.glance]\n\tkey = <key>\n\tcaps mon = \"profile rbd\"\n\tcaps osd = \"profile rbd pool=images\"\n"
fsid:
  description: The cluster's fsid, from its monitor map.
  returned: when O(mon_addresses) is set
  type: str
  sample: 5b8a2a3e-5a1c-4f7e-9a43-2f1b7d4c9e10
mon_addresses:
  description: The plain addresses of the cluster's monitors, sorted.
  returned: when O(mon_addresses) is set
  type: list
  elements: str
  sample: [192.0.2.10]
transport:
  description: The transport used, V(librados) or V(cli).
  returned: always
  type: str
  sample: librados
round_trips:
  description: Requests sent to the cluster (reads included).
  returned: always
  type: int
  sample: 2
lookup_only:
  description:
    - Whether the action's read-only lookup answered the task and the module did
      not run. It is V(true) when the cluster is as declared, or could not be
      reached; it is V(false) when the module ran.
  returned: always, but by C(async_status)
  type: bool
  sample: true
'''

import copy

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.edgestack.glance_ceph.plugins.module_utils import _auth
from ansible_collections.edgestack.glance_ceph.plugins.module_utils import _ceph

NO_LOG_PLACEHOLDER = 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER'


class AuthModule(_ceph.CephModule):

    def read(self):
        self.desired = _auth.desired_clients(self.params['clients'])
        self.keys = {}  # entity -> key set during this run
        current = _auth.read(self.connect())
        self.hide(*[entry['key'] for entry in current.values()])
        return current

    def plan(self, current):
        new_keys = {}
        for name in _auth.rotations(self.desired, current):
            new_keys[name] = _auth.generate_key()
            self.hide(new_keys[name])
        return _auth.plan(self.desired, current, allow_caps_removal=self.params['allow_caps_removal'],
                          new_keys=new_keys)

    def apply(self, plan):
        client = self.client
        for action in plan.actions:
            entity = action['entity']
            kind = action['action']
            if kind == 'create':
                cmd = {'prefix': 'auth get-or-create', 'entity': entity}
                if action['caps']:
                    cmd['caps'] = _auth.flat_caps(action['caps'])
                key = (_auth.current_clients(client.mon(cmd)).get(entity) or {}).get('key')
                self.hide(key)
                if key:
                    self.keys[entity] = key
            elif kind in ('import', 'rotate'):
                key, caps = plan.imports[entity]
                client.mon({'prefix': 'auth import'}, inbuf=_auth.keyring_text(entity, key, caps).encode('utf-8'))
                self.keys[entity] = key
            elif kind == 'caps':
                client.mon({'prefix': 'auth caps', 'entity': entity, 'caps': _auth.flat_caps(action['caps'])})
            elif kind == 'delete':
                client.mon({'prefix': 'auth del', 'entity': entity})
            self.done.append(action)

    def result(self, current, plan):
        clients, keyrings = _auth.outcome(plan, current, self.keys, self.params['return_keyring'])
        result = dict(clients=clients, after=clients)
        if keyrings is not None:
            # The returned keys must survive the no_log masking of the
            # result; the action plugin hides the whole result instead.
            for name in keyrings:
                self.module.no_log_values.discard(_auth.keyring_key(keyrings[name], name))
            params = copy.deepcopy(self.params)
            for client in params['clients']:
                if client.get('secret') is not None:
                    client['secret'] = NO_LOG_PLACEHOLDER
            result.update(keyrings=keyrings, invocation={'module_args': params})
        return result


def main():
    argument_spec = _ceph.module_argument_spec(_auth.module_argument_spec())
    AuthModule(AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)).run()


if __name__ == '__main__':
    main()
