#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: ceph_client_check
short_description: Check, as the service user, that a host can use each Ceph cluster through its client files
version_added: 0.1.0
description:
  - For each cluster, as O(run_as) (the user the service runs as), connects the
    way glance_store does (C(<dir>/<cluster>.conf) and the rados id, no cluster
    name) and lists the RBD images of the pool. All clusters are checked at the
    same time, in one process, so a host that reads several clusters waits for
    the slowest one only.
  - Per cluster, it checks that the conf and keyring exist and the user can read
    them, that the keyring holds the client's key, that the conf leads the client
    to that keyring, that the cluster has the expected fsid, and that the client
    may list the pool.
  - Changes nothing, in any mode. A failed cluster does not fail the module;
    RV(preflight) says which clusters answered, and the caller decides (the role
    M(edgestack.glance_ceph.ceph_client_auth) fails the host, naming it, or
    publishes the answer).
  - M(edgestack.glance_ceph.ceph_client_files) runs the same check right after it
    writes the files, in the same call (its O(edgestack.glance_ceph.ceph_client_files#module:preflight)
    option).
requirements:
  - On the managed host, python3-rados (and python3-rbd) for O(python), and root
    (C(become)) to run the check as another user.
author:
  - edgestack maintainers (@edgestack)
attributes:
  check_mode:
    support: full
    description: The check only reads; it runs in check mode too.
  diff_mode:
    support: none
    description: It changes nothing, so it has no diff.
options:
  dir:
    description: The client directory of the conf and keyring files.
    type: path
    default: /etc/ceph
  run_as:
    description: The local user the check runs as.
    type: str
    default: glance
  python:
    description: A Python with python3-rados (and python3-rbd), as the service uses.
    type: path
    default: /usr/bin/python3
  timeout:
    description: Seconds each cluster's monitors and OSDs have to answer.
    type: int
    default: 10
  clusters:
    description: The clusters to check.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: The cluster name (its files are C(<dir>/<name>.conf) and C(<dir>/<name>.client.<user>.keyring)).
        type: str
        required: true
      user:
        description: The CephX id the service uses, without C(client.).
        type: str
        required: true
      pool:
        description: The pool to list.
        type: str
        required: true
      fsid:
        description: The expected fsid; a cluster with another one fails.
        type: str
seealso:
  - module: edgestack.glance_ceph.ceph_client_files
'''

EXAMPLES = r'''
- name: Check that user glance can use central and dcn0
  edgestack.glance_ceph.ceph_client_check:
    run_as: glance
    clusters:
      - {name: central, user: glance, pool: images}
      - {name: dcn0, user: glance, pool: images}
  register: check

- name: Fail on the clusters user glance cannot use
  ansible.builtin.assert:
    that: check.preflight | rejectattr('ok') | list | length == 0
    fail_msg: "{{ check.preflight | rejectattr('ok') | map(attribute='message') | join(' | ') }}"
'''

RETURN = r'''
preflight:
  description:
    - "One entry per cluster, in the order given. V(message) is C(cluster <name>: ok: ...) or
      C(cluster <name>: <cause>: <detail>), the cause being one of V(conf), V(keyring permissions),
      V(keyring), V(key mismatch), V(network), V(wrong cluster), V(pool), V(caps), V(libraries)
      or V(no answer) (the check could not run: no such user or Python, or no root). Never a key."
  returned: always
  type: list
  elements: dict
  sample: [{cluster: dcn0, ok: true, message: "cluster dcn0: ok: glance lists pool images (3 images) of cluster fsid ..."}]
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.edgestack.glance_ceph.plugins.module_utils import _lifecycle
from ansible_collections.edgestack.glance_ceph.plugins.module_utils import _preflight


class ClientCheckModule(_lifecycle.Lifecycle):
    """Read-only: the check is the reading; there is no plan."""

    def result(self, current, plan):
        params = self.params
        return dict(preflight=_preflight.check_or_report(params['run_as'], params['python'], params['timeout'],
                                                         params['clusters'], params['dir']))


def main():
    module = AnsibleModule(
        argument_spec=dict(dir=dict(type='path', default='/etc/ceph'), **_preflight.argument_spec()),
        supports_check_mode=True,
    )
    ClientCheckModule(module).run()


if __name__ == '__main__':
    main()
