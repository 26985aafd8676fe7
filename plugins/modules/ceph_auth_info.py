#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: ceph_auth_info
short_description: Read the CephX clients of a Ceph cluster
version_added: 0.1.0
description:
  - Returns the CephX entities of one Ceph cluster (all, or the named ones)
    with their caps and a fingerprint of their key, read in one request (C(auth ls)).
  - Keys are returned only with O(return_keyring=true).
author:
  - edgestack maintainers (@edgestack)
extends_documentation_fragment:
  - edgestack.glance_ceph.ceph
  - edgestack.glance_ceph.ceph.read_only
options:
  names:
    description:
      - Entities to return, for example C(client.glance). Names that do not
        exist are listed in RV(missing). When unset, all entities are
        returned (daemons' included, for example C(osd.0)).
    type: list
    elements: str
  return_keyring:
    description:
      - Also return the keyring of every returned entity in RV(keyrings).
      - The collection's action plugin then treats the module's raw output
        as C(no_log) (connection plugins print it from C(-vvv) on) and, when
        RV(keyrings) is not empty, marks the result C(no_log), so Ansible
        hides the task's output at every verbosity; the registered variable
        still holds the keyrings. Handle them only in tasks with
        C(no_log=true).
    type: bool
    default: false
seealso:
  - module: edgestack.glance_ceph.ceph_auth
'''

EXAMPLES = r'''
- name: Read Glance's client at the central site
  edgestack.glance_ceph.ceph_auth_info:
    cluster: central
    names: [client.glance]
  register: central_auth

- name: Check its caps
  ansible.builtin.assert:
    that:
      - central_auth.clients[0].caps.osd == 'profile rbd pool=images'

- name: Fetch the keyring (the task's output is hidden)
  edgestack.glance_ceph.ceph_auth_info:
    cluster: central
    names: [client.glance]
    return_keyring: true
  register: glance_keyring
'''

RETURN = r'''
clients:
  description: The entities, sorted by name. Never contains a key.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Entity name.
      type: str
    caps:
      description: Caps by daemon type.
      type: dict
    key_fingerprint:
      description: C(sha256:) and the first 12 hex digits of the key's SHA-256, to compare keys without showing them.
      type: str
  sample:
    - name: client.glance
      caps: {mon: profile rbd, osd: profile rbd pool=images}
      key_fingerprint: "sha256:0c1d2e3f4a5b"
missing:
  description: Names in O(names) that the cluster does not know.
  returned: always
  type: list
  elements: str
  sample: []
keyrings:
  description: Keyring text per entity, as C(ceph auth get) prints it. Contains keys.
  returned: when O(return_keyring=true)
  type: dict
  sample:
    client.glance: "[client.glance]\n\tkey = <key>\n\tcaps mon = \"profile rbd\"\n"
transport:
  description: The transport used, V(librados) or V(cli).
  returned: always
  type: str
  sample: librados
round_trips:
  description: Requests sent to the cluster.
  returned: always
  type: int
  sample: 1
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.edgestack.glance_ceph.plugins.module_utils import _auth
from ansible_collections.edgestack.glance_ceph.plugins.module_utils import _ceph


class AuthInfoModule(_ceph.CephModule):

    def read(self):
        return _auth.read(self.connect())

    def result(self, current, plan):
        names = self.params['names']
        clients = _auth.info(current, names)
        returned = set(c['name'] for c in clients) if self.params['return_keyring'] else set()
        self.hide(*[entry['key'] for name, entry in current.items() if name not in returned])
        result = dict(clients=clients, missing=[name for name in names or [] if name not in current])
        if self.params['return_keyring']:
            result['keyrings'] = dict(
                (name, _auth.keyring_text(name, current[name]['key'], current[name]['caps']))
                for name in sorted(returned) if current[name]['key'])
        return result


def main():
    argument_spec = _ceph.connection_argument_spec()
    argument_spec.update(
        names=dict(type='list', elements='str'),
        return_keyring=dict(type='bool', default=False),
    )
    AuthInfoModule(AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)).run()


if __name__ == '__main__':
    main()
