#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: ceph_pool_info
short_description: Read the pools of a Ceph cluster
version_added: 0.1.0
description:
  - Returns every pool of one Ceph cluster, or the named ones, with their
    settings, quotas and applications, in the shape that
    M(edgestack.glance_ceph.ceph_pool) compares.
  - Two requests whatever the number of pools (C(osd pool ls detail) and
    C(osd crush rule dump)), three if the cluster's pool listing lacks quotas.
author:
  - edgestack maintainers (@edgestack)
extends_documentation_fragment:
  - edgestack.glance_ceph.ceph
  - edgestack.glance_ceph.ceph.read_only
options:
  names:
    description:
      - Pools to return. Names that do not exist are left out of RV(pools)
        and listed in RV(missing). When unset, all pools are returned.
    type: list
    elements: str
seealso:
  - module: edgestack.glance_ceph.ceph_pool
'''

EXAMPLES = r'''
- name: Read the images pool of the dcn0 cluster
  edgestack.glance_ceph.ceph_pool_info:
    cluster: dcn0
    names: [images]
  register: dcn0_pools

- name: Show its placement groups
  ansible.builtin.debug:
    msg: "{{ dcn0_pools.pools[0].pg_num }}"
'''

RETURN = r'''
pools:
  description: The pools, sorted by name.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Pool name.
      type: str
    id:
      description: Pool id.
      type: int
    pool_type:
      description: V(replicated) or V(erasure).
      type: str
    erasure_profile:
      description: Erasure-code profile (erasure-coded pools), else null.
      type: str
    size:
      description: Replicas (or k+m chunks).
      type: int
    min_size:
      description: Minimum replicas (or chunks) for I/O.
      type: int
    crush_rule:
      description: CRUSH rule name.
      type: str
    crush_rule_id:
      description: CRUSH rule id.
      type: int
    pg_num:
      description: Placement groups (the target Ceph is moving towards).
      type: int
    pgp_num:
      description: Placement groups for placement (target).
      type: int
    pg_autoscale_mode:
      description: V(on), V(off) or V(warn).
      type: str
    target_size_ratio:
      description: Expected share of capacity (0.0 when unset).
      type: float
    max_bytes:
      description: Byte quota (0 for none).
      type: int
    max_objects:
      description: Object quota (0 for none).
      type: int
    application:
      description: Applications enabled on the pool.
      type: list
      elements: str
  sample:
    - name: images
      id: 2
      pool_type: replicated
      erasure_profile: null
      size: 3
      min_size: 2
      crush_rule: replicated_rule
      crush_rule_id: 0
      pg_num: 32
      pgp_num: 32
      pg_autoscale_mode: "on"
      target_size_ratio: 0.0
      max_bytes: 0
      max_objects: 0
      application: [rbd]
missing:
  description: Names in O(names) that are not pools of the cluster.
  returned: always
  type: list
  elements: str
  sample: []
transport:
  description: The transport used, V(librados) or V(cli).
  returned: always
  type: str
  sample: librados
round_trips:
  description: Requests sent to the cluster.
  returned: always
  type: int
  sample: 2
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.edgestack.glance_ceph.plugins.module_utils import _ceph
from ansible_collections.edgestack.glance_ceph.plugins.module_utils import _pool


class PoolInfoModule(_ceph.CephModule):

    def read(self):
        client = self.connect()
        ls_detail = client.mon(_pool.LS_DETAIL) or []
        rule_dump = client.mon(_pool.RULE_DUMP)
        osd_dump = client.mon(_pool.OSD_DUMP) if _pool.needs_osd_dump(ls_detail) else None
        return _pool.current_pools(ls_detail, rule_dump, osd_dump)

    def result(self, current, plan):
        names = self.params['names']
        return dict(pools=_pool.info(current, names), missing=[name for name in names or [] if name not in current])


def main():
    argument_spec = _ceph.connection_argument_spec()
    argument_spec.update(names=dict(type='list', elements='str'))
    PoolInfoModule(AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)).run()


if __name__ == '__main__':
    main()
