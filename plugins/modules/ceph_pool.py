#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: ceph_pool
short_description: Manage Ceph pools
version_added: 0.1.0
description:
  - Creates, updates and deletes the pools of one Ceph cluster.
  - Reads the whole cluster's pools in one request (C(osd pool ls detail)),
    plus C(osd crush rule dump) only when a pool names a O(pools[].crush_rule),
    then plans the commands that converge every listed pool and runs them in order.
  - Unset means unmanaged. A setting left out of a pool entry is never
    compared and never changed; no default is applied to an existing pool.
    Settings left out when a pool is created get the cluster's defaults.
  - Check mode reads the cluster and reports exactly the commands a real run
    would send, in RV(actions), without sending them.
author:
  - edgestack maintainers (@edgestack)
extends_documentation_fragment:
  - edgestack.glance_ceph.ceph
  - edgestack.glance_ceph.ceph.monitors
  - edgestack.glance_ceph.ceph.lookup
attributes:
  check_mode:
    support: full
    description: Reads the cluster and reports the commands it would send.
  diff_mode:
    support: full
    description: Shows each changed pool's settings before and after.
options:
  pools:
    description:
      - The pools to manage. Pools of the cluster that are not listed are left alone.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: Pool name.
        type: str
        required: true
      state:
        description:
          - V(present) creates or updates the pool, V(absent) deletes it.
          - Deleting needs O(allow_delete=true).
        type: str
        choices: [present, absent]
        default: present
      pool_type:
        description:
          - Data protection of a new pool. Cannot change once the pool exists;
            a mismatch fails before anything changes.
        type: str
        choices: [replicated, erasure]
      erasure_profile:
        description:
          - Erasure-code profile of a new erasure-coded pool (needs
            O(pools[].pool_type=erasure)). Cannot change once the pool exists.
        type: str
      pg_num:
        description:
          - Number of placement groups (the target, which Ceph moves towards gradually).
          - When the pool's autoscale mode is V(on) (the mode set by
            O(pools[].pg_autoscale_mode), else the pool's current mode), the
            autoscaler owns pg_num; the value is used when the pool is
            created and otherwise not applied; a warning says so when it
            differs. Set O(pools[].pg_autoscale_mode=off) or V(warn) in the
            same entry to manage pg_num; the mode is changed first, so one run converges.
        type: int
      pgp_num:
        description:
          - Number of placement groups for placement. When unset Ceph keeps
            it equal to pg_num. Subject to the autoscaler like O(pools[].pg_num).
        type: int
      pg_autoscale_mode:
        description: PG autoscaler mode of the pool.
        type: str
        choices: ['on', 'off', warn]
      size:
        description:
          - Number of replicas of a replicated pool. Not valid for erasure-coded pools.
          - V(1) also needs the cluster option C(mon_allow_pool_size_one);
            the module confirms the monitor's "are you sure" itself since
            the value was asked for explicitly.
          - A size below the current min_size lowers min_size with it.
        type: int
      min_size:
        description: Minimum number of replicas (or chunks) for I/O to proceed.
        type: int
      crush_rule:
        description:
          - Name of the CRUSH rule. An unknown name fails before anything changes.
        type: str
      application:
        description:
          - Application to enable on the pool (V(rbd), V(rgw), V(cephfs) or a
            custom name). Other applications already enabled are kept; the
            monitor's confirmation prompt for a second application is
            answered since the application was asked for explicitly.
        type: str
      rbd_init:
        description:
          - Initialise the pool for RBD as C(rbd pool init) does, which enables the
            V(rbd) application and validates the pool, writing its
            C(rbd_info) object. Done when either is missing.
          - V(false) does nothing (a pool cannot be un-initialised).
          - With the librados transport this uses python3-rbd.
        type: bool
        default: false
      target_size_ratio:
        description: Expected share of the cluster's capacity, a hint for the autoscaler. V(0) clears it.
        type: float
      max_bytes:
        description: Quota on the pool's bytes. V(0) removes the quota.
        type: int
      max_objects:
        description: Quota on the pool's objects. V(0) removes the quota.
        type: int
  allow_delete:
    description:
      - Must be V(true) for any pool with O(pools[].state=absent) that exists
        to be deleted, with all its data. Otherwise the module fails before
        changing anything.
    type: bool
    default: false
  override_mon_allow_pool_delete:
    description:
      - Ceph itself refuses pool deletion while the monitors' option
        C(mon_allow_pool_delete) is false (its default). With V(false) the
        module then fails with a message saying how to change the option.
      - With V(true) the module sets C(mon_allow_pool_delete) to true in the
        cluster's configuration database for the deletions and restores the
        previous setting afterwards (also when a deletion fails).
      - A C(mon_allow_pool_delete) set in the monitors' own configuration
        files wins over the database; the module then fails and says so.
    type: bool
    default: false
seealso:
  - module: edgestack.glance_ceph.ceph_pool_info
  - name: Ceph pool operations
    description: Ceph documentation on pools.
    link: https://docs.ceph.com/en/pacific/rados/operations/pools/
'''

EXAMPLES = r'''
- name: Create the Glance images pool, initialised for RBD
  edgestack.glance_ceph.ceph_pool:
    cluster: central
    pools:
      - name: images
        application: rbd
        rbd_init: true

- name: Manage placement groups by hand (one run converges)
  edgestack.glance_ceph.ceph_pool:
    cluster: dcn0
    pools:
      - name: images
        pg_autoscale_mode: "off"
        pg_num: 64
        max_bytes: 107374182400

- name: Same, with the connection shared by every Ceph task of the play
  module_defaults:
    group/edgestack.glance_ceph.ceph:
      cluster: dcn0
      timeout: 5
  block:
    - name: Converge the site's pools
      edgestack.glance_ceph.ceph_pool:
        pools: "{{ edgestack_ceph_pools }}"

- name: Delete an old pool, lifting mon_allow_pool_delete just for that
  edgestack.glance_ceph.ceph_pool:
    cluster: central
    pools:
      - name: images-old
        state: absent
    allow_delete: true
    override_mon_allow_pool_delete: true

- name: Stop before any change unless the monitors are the ones the clients are given
  edgestack.glance_ceph.ceph_pool:
    cluster: dcn0
    mon_addresses: "{{ edgestack_ceph_mon_addresses }}"
    mon_addresses_variable: edgestack_ceph_mon_addresses
    pools:
      - name: images
        application: rbd
        rbd_init: true

- name: Containerized cluster, through cephadm
  edgestack.glance_ceph.ceph_pool:
    transport: cli
    cli_prefix: [cephadm, shell, --]
    pools:
      - name: images
        application: rbd
        rbd_init: true
'''

RETURN = r'''
actions:
  description:
    - The commands sent to the cluster (or, in check mode, that would be),
      in order, as monitor command dictionaries. C(rbd pool init) appears as
      a dictionary with prefix V(rbd pool init) and the pool.
  returned: always
  type: list
  elements: dict
  sample:
    - {prefix: osd pool set, pool: images, var: pg_autoscale_mode, val: "off"}
    - {prefix: osd pool set, pool: images, var: pg_num, val: "64"}
    - {prefix: rbd pool init, pool: images}
pools:
  description:
    - The settings of every listed pool with O(pools[].state=present) after
      the run (in check mode, as they would be), keyed by pool name.
    - For a pool that is created, only the settings the module chose.
    - C(crush_rule) (the rule's name) is there only when the module read the
      CRUSH rules, that is when some pool sets O(pools[].crush_rule);
      C(crush_rule_id) always is, for existing pools.
  returned: always
  type: dict
  sample:
    images:
      pool_type: replicated
      erasure_profile: null
      size: 3
      min_size: 2
      crush_rule_id: 0
      pg_num: 64
      pgp_num: 64
      pg_autoscale_mode: "off"
      target_size_ratio: 0.0
      max_bytes: 107374182400
      max_objects: 0
      application: [rbd]
      rbd_init: true
before:
  description: The settings of every listed pool that exists before the run, keyed by pool name.
  returned: always
  type: dict
  sample: {images: {pool_type: replicated, size: 3, pg_num: 32, application: [rbd]}}
after:
  description: The same as RV(pools).
  returned: always
  type: dict
  sample: {images: {pool_type: replicated, size: 3, pg_num: 64, application: [rbd]}}
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
mon_allow_pool_delete_overridden:
  description: Whether the module lifted C(mon_allow_pool_delete) (and restored it) to delete pools.
  returned: always
  type: bool
  sample: false
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

import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.edgestack.glance_ceph.plugins.module_utils import _ceph
from ansible_collections.edgestack.glance_ceph.plugins.module_utils import _pool

DELETE_GUARD = 'mon_allow_pool_delete'


class PoolModule(_ceph.CephModule):

    overridden = False
    previous_guard = None

    def read(self):
        self.desired = _pool.desired_pools(self.params['pools'])
        current, self.rule_dump = _pool.read(self.connect(), self.desired)
        return current

    def plan(self, current):
        return _pool.plan(self.desired, current, allow_delete=self.params['allow_delete'], rule_dump=self.rule_dump)

    def apply(self, plan):
        try:
            for action in plan.actions:
                if action['prefix'] == _pool.RBD_INIT:
                    self.client.rbd_pool_init(action['pool'])
                elif action['prefix'] == 'osd pool rm':
                    self.delete(action)
                else:
                    self.client.mon(action)
                self.done.append(action)
        finally:
            if self.overridden:
                self.restore_guard()

    def result(self, current, plan):
        return dict(pools=plan.after)

    def partial(self):
        return dict(super(PoolModule, self).partial(), mon_allow_pool_delete_overridden=self.overridden)

    def delete(self, action):
        if not self.overridden:
            try:
                self.client.mon(action)
                return
            except _ceph.CephCommandError as exc:
                if not _pool.pool_delete_disabled(exc.stderr or exc.msg):
                    raise
                if not self.params['override_mon_allow_pool_delete']:
                    settings = self.client.settings
                    raise _ceph.CephCommandError(
                        "cannot delete pool %r: %s refuses pool deletion because its monitors' %s is false. "
                        "Allow it with `ceph --cluster %s config set mon %s true` (and set it back "
                        "afterwards), or set override_mon_allow_pool_delete: true to have this module lift "
                        "it for the deletion and restore it"
                        % (action['pool'], settings.describe(), DELETE_GUARD, settings.cluster, DELETE_GUARD),
                        cmd=exc.cmd, rc=exc.rc, stderr=exc.stderr)
            self.previous_guard = _pool.config_db_value(self.client.mon({'prefix': 'config dump'}), 'mon',
                                                        DELETE_GUARD)
            self.client.mon({'prefix': 'config set', 'who': 'mon', 'name': DELETE_GUARD, 'value': 'true'})
            self.overridden = True
        # The monitors pick up a config database change within moments.
        deadline = time.time() + self.client.settings.timeout
        while True:
            try:
                self.client.mon(action)
                return
            except _ceph.CephCommandError as exc:
                if not _pool.pool_delete_disabled(exc.stderr or exc.msg):
                    raise
                if time.time() >= deadline:
                    raise _ceph.CephCommandError(
                        "cannot delete pool %r: %s still refuses pool deletion after %s was set to true in "
                        "its configuration database; a monitor configuration file probably sets it to false"
                        % (action['pool'], self.client.settings.describe(), DELETE_GUARD),
                        cmd=exc.cmd, rc=exc.rc, stderr=exc.stderr)
            time.sleep(0.2)

    def restore_guard(self):
        if self.previous_guard is None:
            self.client.mon({'prefix': 'config rm', 'who': 'mon', 'name': DELETE_GUARD})
        else:
            self.client.mon({'prefix': 'config set', 'who': 'mon', 'name': DELETE_GUARD,
                             'value': self.previous_guard})


def main():
    argument_spec = _ceph.module_argument_spec(_pool.module_argument_spec())
    PoolModule(AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)).run()


if __name__ == '__main__':
    main()
