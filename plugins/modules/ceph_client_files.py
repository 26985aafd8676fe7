#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: ceph_client_files
short_description: Keep the Ceph client files of every cluster a host uses, in one pass
version_added: 0.1.0
description:
  - On a host that consumes Ceph clusters (a Glance API host), writes the
    client conf (C(<dir>/<cluster>.conf), with fsid and mon_host) and the
    keyrings (C(<dir>/<cluster>.<client>.keyring)) of every cluster in
    O(clusters), and removes the files the collection wrote for clusters or
    clients the host no longer gets.
  - One module call per host reads the directory, plans every change and
    applies it; the same work as one conf, keyring and removal task per file,
    without a round trip per file.
  - Files the collection wrote start with C(# Managed by edgestack.glance_ceph).
    A file without that first line is never removed, and never replaced
    unless it is a conf and O(adopt=true).
  - The conf of a cluster in O(local) belongs to that cluster's daemons on this
    host (a hyperconverged host). It is never written, only checked to carry
    the cluster's fsid (read with C(ceph-conf)).
  - Every problem (a foreign file in the way, a local conf of another
    cluster) is found before anything changes, and the module then fails
    with all of them in RV(problems), changing nothing.
  - Keyrings are written atomically, through a temporary file that has its
    final owner, group and mode before the key goes in. Each conf is checked
    with C(ceph-conf) before it replaces the old one.
  - With O(preflight), once the files are in place (not in check mode), it checks
    as the service user that each cluster can be used through them, the way
    M(edgestack.glance_ceph.ceph_client_check) does, in the same call. The
    result is in RV(preflight); a failed check does not fail the module, the
    caller decides.
  - The role M(edgestack.glance_ceph.ceph_client_auth) (deliver entry point)
    calls this module; it can also be used on its own.
requirements:
  - On the managed host, C(ceph-conf) from the C(ceph-common) package (Debian,
    Ubuntu, RHEL and Fedora name it so). It checks each conf before it
    replaces the old one and reads a local conf's fsid; the module fails
    before changing anything when it is missing. The controller needs no
    Ceph package.
author:
  - edgestack maintainers (@edgestack)
attributes:
  check_mode:
    support: full
    description: Reads everything and reports the actions it would take; changes nothing.
  diff_mode:
    support: full
    description: >-
      One diff per changed file. A conf shows its text before and after; a
      keyring shows its entity, key fingerprint (C(sha256:) and 12 hex
      digits), owner, group and mode. Never a key.
options:
  dir:
    description: The client directory, an absolute path. Created (root, 0755) when missing.
    type: path
    default: /etc/ceph
  clusters:
    description:
      - The clusters this host gets, with what their files hold.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: The cluster name (also the files' prefix), for example V(central).
        type: str
        required: true
      fsid:
        description: The cluster's fsid.
        type: str
        required: true
      mon_host:
        description: The conf's C(mon_host) value, for example V([v2:192.0.2.10:3300,v1:192.0.2.10:6789]).
        type: str
        required: true
      clients:
        description:
          - The clients whose keyring the host gets. A client whose O(clusters[].clients[].key)
            is null (its key is not known yet, as in check mode before it exists) keeps its
            file as it is.
        type: list
        elements: dict
        default: []
        suboptions:
          name:
            description: The CephX entity, V(client.<id>).
            type: str
            required: true
          key:
            description: The entity's key. Never logged, never returned.
            type: str
  local:
    description:
      - Names of clusters in O(clusters) whose daemons run on this host. Their conf is
        verified (fsid), never written; their keyrings are written.
    type: list
    elements: str
    default: []
  absent:
    description:
      - Names of clusters this host no longer gets. The files the collection wrote for
        them are removed; others are left.
    type: list
    elements: str
    default: []
  adopt:
    description: Replace a conf that exists without the collection's first line.
    type: bool
    default: false
  client_options:
    description:
      - Options written into the C([client]) section of every conf the module writes
        (never into a local cluster's conf), in Ceph's spelling, sorted by name.
      - The role M(edgestack.glance_ceph.ceph_client_auth) sets C(client_mount_timeout),
        C(rados_mon_op_timeout) and C(rados_osd_op_timeout) here, so that a Glance API
        whose remote cluster is down waits seconds for it, not librados' default of
        five minutes, at start-up and on every request that touches that store.
      - An empty dict writes no extra option.
    type: dict
    default: {}
  conf_mode:
    description: Mode of the conf files (owner and group root).
    type: raw
    default: "0644"
  keyring_owner:
    description: Owner of the keyrings, a user name or numeric id.
    type: str
    default: root
  keyring_group:
    description: Group of the keyrings, such as the group of the service that reads them.
    type: str
    default: root
  keyring_mode:
    description: Mode of the keyrings. Bits for other users are refused.
    type: raw
    default: "0600"
  preflight:
    description:
      - After the files are in place, check these clusters as O(preflight.run_as), read-only
        (see M(edgestack.glance_ceph.ceph_client_check)). Skipped in check mode. Omit it to check nothing.
    type: dict
    suboptions:
      run_as:
        description: The local user the check runs as, the one the service runs as.
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
        description:
          - The clusters to check, all at the same time. Each one's fsid is the one of
            its entry in O(clusters), when it has one.
        type: list
        elements: dict
        required: true
        suboptions:
          name:
            description: The cluster name.
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
            description: The expected fsid, when the cluster is not in O(clusters).
            type: str
notes:
  - SELinux contexts are not managed.
seealso:
  - module: edgestack.glance_ceph.ceph_client_check
  - module: edgestack.glance_ceph.ceph_keyring
  - module: edgestack.glance_ceph.ceph_auth
'''

EXAMPLES = r'''
- name: Give a central Glance host the files of central and dcn0
  edgestack.glance_ceph.ceph_client_files:
    clusters:
      - name: central
        fsid: 6a0d1c3e-0f43-4bd5-9b0e-2d63c2a7b8f1
        mon_host: "[v2:192.0.2.10:3300,v1:192.0.2.10:6789]"
        clients:
          - name: client.glance
            key: "{{ central_glance_key }}"
      - name: dcn0
        fsid: 0b7e2c1a-3f7d-4c84-8a55-61a0f5d2e9c4
        mon_host: "[v2:192.0.2.20:3300,v1:192.0.2.20:6789]"
        clients:
          - name: client.glance
            key: "{{ dcn0_glance_key }}"
    absent: [dcn1]
    keyring_group: glance
    keyring_mode: "0640"
    # Then check, as user glance, that each cluster answers and lists its pool.
    preflight:
      run_as: glance
      clusters:
        - {name: central, user: glance, pool: images}
        - {name: dcn0, user: glance, pool: images}
  register: files

- name: Fail on the clusters user glance cannot use
  ansible.builtin.assert:
    that: files.preflight | rejectattr('ok') | list | length == 0
    fail_msg: "{{ files.preflight | rejectattr('ok') | map(attribute='message') | join(' | ') }}"
'''

RETURN = r'''
actions:
  description:
    - What was done (in check mode, would be), one entry per file. V(write)
      (content replaced atomically, with owner, group and mode), V(attributes)
      (owner, group or mode set on an unchanged content) or V(remove).
  returned: always
  type: list
  elements: dict
  sample: [{path: /etc/ceph/dcn0.conf, cluster: dcn0, kind: conf, action: write}]
before:
  description:
    - Per path that changes, the file before the run as its diff shows it (a keyring's entity,
      key fingerprint, owner, group and mode; never a key).
  returned: always
  type: dict
  sample: {/etc/ceph/dcn0.conf: "state: absent\n"}
after:
  description: Per path that changes, the file after the run, in the same form as RV(before).
  returned: always
  type: dict
  sample: {/etc/ceph/dcn0.conf: "# Managed by edgestack.glance_ceph (ceph_client_auth): ..."}
problems:
  description:
    - What stopped the module before it changed anything (then it fails). V(kind)
      is V(foreign_conf), V(foreign_keyring) or V(local_conf).
  returned: always
  type: list
  elements: dict
  sample: [{kind: foreign_conf, cluster: dcn0, path: /etc/ceph/dcn0.conf, detail: exists and was not written by edgestack.glance_ceph}]
preflight:
  description:
    - "With O(preflight), one entry per checked cluster, in its order; empty in check mode,
      without O(preflight), or when the module failed. V(message) is C(cluster <name>: ok: ...)
      or C(cluster <name>: <cause>: <detail>), the causes of M(edgestack.glance_ceph.ceph_client_check)."
  returned: always
  type: list
  elements: dict
  sample: [{cluster: dcn0, ok: false, message: "cluster dcn0: network: no monitor at mon_host ... answered within 10s"}]
'''

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.edgestack.glance_ceph.plugins.module_utils import _auth
from ansible_collections.edgestack.glance_ceph.plugins.module_utils import _client_files as _files
from ansible_collections.edgestack.glance_ceph.plugins.module_utils import _lifecycle
from ansible_collections.edgestack.glance_ceph.plugins.module_utils import _preflight
from ansible_collections.edgestack.glance_ceph.plugins.module_utils import _rules

ROOT = _files.ROOT


def _read_local_fsid(module, ceph_conf, path):
    rc, out, err = module.run_command([ceph_conf, '-c', path, '--lookup', 'fsid'])
    if rc != 0:
        return None, (err or out).strip() or 'ceph-conf exited with %d' % rc
    return out.strip(), None


def _diff(action, current):
    """One file's diff, without a key."""
    header = {'before_header': action['path'], 'after_header': action['path']}
    if action['kind'] == 'conf':
        before = current['content'] if current else ''
        if current and not current['managed']:
            # A conf the collection did not write (replaced with adopt) may hold anything,
            # keys included: it is summarised, never shown.
            before = '(a conf the collection did not write, %d lines: not shown)\n' % len(
                current['content'].splitlines())
        after = '' if action['action'] == 'remove' else action['content']
        if action['action'] == 'attributes':
            before = _attributes_text(current['uid'], current['gid'], current['mode'])
            after = _attributes_text(action['uid'], action['gid'], action['mode'])
        return dict(header, before=before, after=after)
    if current:
        entity = _files.first_section(current['content'])
        before = _files.describe(current['content'], entity, _files.user_name(current['uid']),
                                 _files.group_name(current['gid']), current['mode'])
    else:
        before = {'state': 'absent'}
    if action['action'] == 'remove':
        after = {'state': 'absent'}
    else:
        entity = _files.first_section(action['content'])
        after = _files.describe(action['content'], entity, _files.user_name(action['uid']),
                                _files.group_name(action['gid']), action['mode'])
    return dict(header, before=_describe_text(before), after=_describe_text(after))


def _attributes_text(uid, gid, mode):
    return 'owner: %s\ngroup: %s\nmode: %04o\n' % (_files.user_name(uid), _files.group_name(gid), mode)


def _describe_text(side):
    return ''.join('%s: %s\n' % (k, side[k]) for k in ('state', 'entity', 'key', 'managed', 'owner', 'group', 'mode')
                   if k in side)


class ClientFilesModule(_lifecycle.Lifecycle):

    def read(self):
        module = self.module
        desired = self.desired = _files.desired_state(self.params)
        self.hide(*[client['key'] for cluster in desired['clusters'] for client in cluster['clients']])
        directory = desired['dir']
        try:
            self.dir_info = None
            if os.path.lexists(directory):
                if not os.path.isdir(directory) or os.path.islink(directory):
                    raise _files.FileError('%s exists and is not a directory' % directory)
                self.dir_info = os.stat(directory)
            names = [c['name'] for c in desired['clusters']]
            names += [n for n in desired['absent'] if n not in names]
            current = {}
            if self.dir_info is not None:
                local_confs = set(_rules.ceph_conf_path('', n) for n in desired['local'])
                for entry in _files.cluster_file_names(names, os.listdir(directory)):
                    if entry in local_confs:
                        continue  # the daemons' own conf: never written, checked with ceph-conf below
                    state = _files.read_file(os.path.join(directory, entry))
                    if state is None:
                        continue
                    if entry.endswith('.keyring'):
                        self.hide(_auth.keyring_key(state['content'], _files.first_section(state['content']) or ''))
                    current[entry] = state
        except (IOError, OSError) as exc:
            raise _files.FileError('cannot read the client directory: %s' % exc)
        # Found before anything changes: it checks every conf written and every local conf.
        self.ceph_conf = module.get_bin_path('ceph-conf', required=True) if desired['clusters'] else None
        self.local_fsids = {}
        for name in desired['local']:
            path = _rules.ceph_conf_path(directory, name)
            if not os.path.isfile(path):
                self.local_fsids[name] = (None, '%s does not exist' % path)
            else:
                self.local_fsids[name] = _read_local_fsid(module, self.ceph_conf, path)
        return current

    def plan(self, current):
        directory = self.desired['dir']
        self.file_actions, problems = _files.plan_directory(self.desired, current, self.local_fsids)
        if problems:
            raise _files.FileError('nothing changed; ' + '; '.join('%s %s' % (p['path'], p['detail'])
                                                                   for p in problems), problems=problems)
        dir_info = self.dir_info
        self.dir_action = None
        if dir_info is None:
            self.dir_action = 'create'
        elif (dir_info.st_uid, dir_info.st_gid, dir_info.st_mode & 0o7777) != (ROOT, ROOT, 0o755):
            self.dir_action = 'attributes'
        shown = [{k: a[k] for k in ('path', 'cluster', 'kind', 'action')} for a in self.file_actions]
        diffs = [_diff(a, current.get(a['file'])) for a in self.file_actions]
        if self.dir_action:
            shown.insert(0, {'path': directory, 'cluster': None, 'kind': 'directory', 'action': self.dir_action})
            diffs.insert(0, {'before_header': directory, 'after_header': directory,
                             'before': 'state: absent\n' if dir_info is None else _attributes_text(
                                 dir_info.st_uid, dir_info.st_gid, dir_info.st_mode & 0o7777),
                             'after': _attributes_text(ROOT, ROOT, 0o755)})
        return _lifecycle.Plan(actions=shown, diff=diffs, before=dict((d['before_header'], d['before']) for d in diffs),
                               after=dict((d['after_header'], d['after']) for d in diffs))

    def apply(self, plan):
        directory = path = self.desired['dir']
        try:
            if self.dir_action == 'create':
                os.makedirs(directory, 0o755)
            if self.dir_action:
                _files.set_attributes(directory, ROOT, ROOT, 0o755)
                self.done.append(plan.actions[0])
            for action, shown in zip(self.file_actions, plan.actions[len(self.done):]):
                path = action['path']
                if action['action'] == 'remove':
                    os.unlink(path)
                elif action['action'] == 'attributes':
                    _files.set_attributes(path, action['uid'], action['gid'], action['mode'])
                else:
                    validate = _conf_validator(self.module, self.ceph_conf) if action['kind'] == 'conf' else None
                    _files.write_atomically(path, action['content'], action['uid'], action['gid'], action['mode'],
                                            validate=validate)
                self.done.append(shown)
        except (IOError, OSError, _files.FileError) as exc:
            raise _files.FileError('cannot change %s: %s' % (path, exc))

    def result(self, current, plan):
        options = self.params['preflight']
        if not options or self.module.check_mode:
            return dict(preflight=[])
        clusters = _preflight.with_fsids(options['clusters'], self.desired['clusters'])
        return dict(preflight=_preflight.check_or_report(options['run_as'], options['python'], options['timeout'],
                                                         clusters, self.desired['dir']))

    def partial(self):
        return dict(problems=[])


def _conf_validator(module, ceph_conf):
    def validate(path):
        rc, out, err = module.run_command([ceph_conf, '-c', path, '--lookup', 'fsid'])
        if rc != 0:
            raise _files.FileError('ceph-conf does not accept the new conf: %s' % (err or out).strip())
    return validate


def main():
    module = AnsibleModule(
        argument_spec=_files.argument_spec(),
        supports_check_mode=True,
    )
    ClientFilesModule(module).run()


if __name__ == '__main__':
    main()
