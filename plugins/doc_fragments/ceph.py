# -*- coding: utf-8 -*-
# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment(object):

    # Connection options shared by every module that talks to a Ceph cluster.
    DOCUMENTATION = r'''
options:
  cluster:
    description:
      - Name of the Ceph cluster. It selects the configuration file
        C(/etc/ceph/<cluster>.conf) and the default keyring name.
      - At edgestack sites the cluster is named after the site (C(central), C(dcn0), ...).
    type: str
    default: ceph
  conf:
    description:
      - Path of the cluster's configuration file on the target host (inside
        the container when O(cli_prefix) is set).
      - Defaults to C(/etc/ceph/<cluster>.conf).
      - Its C(mon_host) is named in the error message when the cluster cannot be reached.
    type: path
  auth_id:
    description:
      - CephX name the module authenticates as, for example C(client.admin).
        A bare id such as C(admin) means C(client.admin).
    type: str
    default: client.admin
  keyring:
    description:
      - Keyring file holding the key of O(auth_id).
      - When unset, Ceph's own search applies, which is the C(keyring) setting of the
        configuration file if there is one, else
        C(/etc/ceph/<cluster>.<auth_id>.keyring).
    type: path
  timeout:
    description:
      - Seconds to wait for the connection to the cluster, and again for each
        request. An unreachable cluster fails within this time with a message
        naming the cluster and its monitor addresses; nothing waits forever.
      - With the CLI transport each C(ceph)/C(rados)/C(rbd) process is also
        killed after twice this time plus 10 seconds (start-up allowance).
    type: int
    default: 10
  transport:
    description:
      - How to talk to the cluster.
      - V(librados) uses the python3-rados bindings (and python3-rbd for
        C(rbd pool init)) of the module's interpreter, one connection per
        task, requests take milliseconds.
      - V(cli) runs the C(ceph), C(rados) and C(rbd) commands, one process per
        request (about a third of a second each).
      - V(auto) uses the CLI when O(cli_prefix) is set, else librados when the
        interpreter can import it, else the CLI.
      - Secrets never reach a command line with either transport; they are
        passed as the request's input buffer or on standard input.
    type: str
    choices: [auto, librados, cli]
    default: auto
  cli_prefix:
    description:
      - Command prepended to every C(ceph)/C(rados)/C(rbd) invocation, as a
        list, for clusters whose tools run in a container, for example
        V([cephadm, shell, --]) or V([podman, exec, -i, ceph-mon-host1]).
      - The prefix must pass standard input through (C(podman exec -i)),
        since secrets are sent that way.
      - Paths in O(conf) and O(keyring) are then paths inside the container.
    type: list
    elements: str
notes:
  - The result's C(round_trips) counts the requests sent to the cluster (a
    CLI process or a librados request each; C(rbd pool init) counts as one),
    and C(transport) says which transport was used.
requirements:
  - python3-rados (and python3-rbd for RBD pool initialisation) on the target
    for the librados transport, or the C(ceph) CLI (ceph-common) for the CLI transport.
'''

    # The monitor check of the modules that converge a cluster (ceph_pool, ceph_auth).
    MONITORS = r'''
options:
  mon_addresses:
    description:
      - The monitor addresses the caller gives the cluster's clients (plain
        IPv4/IPv6 addresses, as in C(mon_host) without ports).
      - When set, the module first reads the monitor map (C(mon dump)), in the
        same connection, and fails before it reads or changes anything else
        unless these are exactly the cluster's monitors. An empty list is
        refused; leave the option out to skip the check. Its result then has
        C(fsid) (the cluster's fsid) and C(mon_addresses) (the plain addresses
        of the cluster's monitors, sorted).
      - A caller that converges several things on one cluster can give it to
        the first module it runs, so that a wrong address stops the run before
        the first change.
    type: list
    elements: str
  mon_addresses_variable:
    description:
      - The name a monitor address problem names, for a caller that sets
        O(mon_addresses) from a variable of its own.
    type: str
    default: mon_addresses
'''

    # The attributes of the read-only modules (ceph_pool_info, ceph_auth_info, ceph_mon_info).
    READ_ONLY = r'''
attributes:
  check_mode:
    support: full
    description: The module only reads.
  diff_mode:
    support: none
    description: Nothing changes, so there is nothing to show.
'''

    # The read-only lookup of the modules with an action plugin (ceph_pool, ceph_auth).
    LOOKUP = r'''
attributes:
  action:
    support: full
    description: An action plugin reads the cluster on the host first, and runs the module only when there is something to do.
notes:
  - An action plugin reads the cluster first, with one command on the host, and runs
    the module only when there is something to do. That command is the host's
    Python, the one Ansible would run the module with (C(ansible_python_interpreter)
    or the C(interpreter_python) setting, else discovered as for a module), with a
    short script that needs python3-rados and nothing of Ansible's. The module's own
    read and plan then run on the controller over its answers.
  - When that plan has nothing to do, the task's result is the module's, built from
    that plan, with RV(lookup_only=true) and without the module's echo of its
    arguments (C(invocation)), and no module is sent to the host.
  - In every other case the module runs as usual (RV(lookup_only=false)). These
    cases are an action, a warning or a refusal in the plan (a key rotation
    included), the CLI transport or O(cli_prefix), a O(conf) or O(keyring) with
    C(~) or C($) (the host expands them), a Python without python3-rados, a missing
    conf, a lookup that fails or answers with an error, a read the lookup did not
    make (a cluster older than Pacific), a mistake in the task's arguments, and an
    asynchronous task. C(-vvv) says why the module runs.
  - When the cluster does not let the lookup connect, the task fails as the module
    would, in its words, without the module waiting as long again.
  - The command line holds where to connect and what to read, never a secret. Its
    output is treated as C(no_log) while the task runs when it can hold keys.
'''
