#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: ceph_mon_info
short_description: Read the monitor map of a Ceph cluster
version_added: 0.1.0
description:
  - Returns the fsid and the monitor map of one Ceph cluster (C(mon dump)),
    read in one request with the same transports as the collection's other
    Ceph modules.
author:
  - edgestack maintainers (@edgestack)
extends_documentation_fragment:
  - edgestack.glance_ceph.ceph
  - edgestack.glance_ceph.ceph.read_only
options: {}
seealso:
  - module: edgestack.glance_ceph.ceph_auth
'''

EXAMPLES = r'''
- name: Read the monitor map of the dcn0 cluster
  edgestack.glance_ceph.ceph_mon_info:
    cluster: dcn0
  register: dcn0_mons

- name: Check that the inventory names the cluster's monitors
  ansible.builtin.assert:
    that: >-
      ['192.0.2.20'] | edgestack.glance_ceph.ceph_mon_host_problems('dcn0_mon_addresses', monmap=dcn0_mons.monmap)
      | length == 0
'''

RETURN = r'''
fsid:
  description: The cluster's fsid.
  returned: always
  type: str
  sample: 6a0d1c3e-0f43-4bd5-9b0e-2d63c2a7b8f1
monmap:
  description: The monitor map, as C(ceph mon dump --format json) prints it.
  returned: always
  type: dict
  sample:
    fsid: 6a0d1c3e-0f43-4bd5-9b0e-2d63c2a7b8f1
    epoch: 1
    mons:
      - name: a
        rank: 0
        public_addrs:
          addrvec:
            - {type: v2, addr: "192.0.2.10:3300", nonce: 0}
            - {type: v1, addr: "192.0.2.10:6789", nonce: 0}
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

from ansible_collections.edgestack.glance_ceph.plugins.module_utils import _ceph


class MonInfoModule(_ceph.CephModule):

    def read(self):
        return self.connect().mon(_ceph.MON_DUMP)

    def result(self, current, plan):
        return dict(fsid=current.get('fsid'), monmap=current)


def main():
    MonInfoModule(AnsibleModule(argument_spec=_ceph.connection_argument_spec(), supports_check_mode=True)).run()


if __name__ == '__main__':
    main()
