# -*- coding: utf-8 -*-
# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Client-side Ceph filters: monitor addresses, client declarations, keyrings.

An inventory lists a cluster's monitors as plain IP addresses; the client
configuration needs them as a ``mon_host`` string in Ceph's address-vector
syntax. The filters here build that string, validate the addresses (and,
given a ``mon dump``, compare them with the cluster's monitors), validate
the CephX clients a site declares against the pools it declares, and pick
keys out of keyring text. They are pure: no I/O, no Ansible state.

Filters:
  ceph_mon_host           addresses -> "[v2:10.0.0.1:3300,v1:10.0.0.1:6789],..."
  ceph_mon_host_problems  addresses (+ mon dump) -> [problem, ...]
  ceph_client_problems    clients + declared pools -> [problem, ...]
  ceph_keyring_keys       ceph_auth keyrings + names -> [{name, key}]

The ``*_problems`` filters return messages instead of raising so that a
role's ``ansible.builtin.assert`` can name the variable and the fix; none of
them ever quotes a key.
"""

from __future__ import annotations

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.edgestack.glance_ceph.plugins.module_utils import _rules
from ansible_collections.edgestack.glance_ceph.plugins.module_utils._auth import keyring_key
from ansible_collections.edgestack.glance_ceph.plugins.module_utils._rules import (
    CAP_TYPES,
    CLIENT_NAME_RE,
    RESERVED_CLIENTS,
)

__all__ = [
    "MSGR_MODES",
    "ceph_mon_host",
    "ceph_mon_host_problems",
    "ceph_client_problems",
    "ceph_keyring_keys",
    "mon_addresses_of_monmap",
]

MSGR_MODES = ("both", "v2", "v1")
DEFAULT_V2_PORT = 3300
DEFAULT_V1_PORT = 6789

#: Keys a client declaration may carry (see roles/ceph_client_auth).
CLIENT_KEYS = ("name", "state", "caps", "secret", "deliver")


def _is_list(value):
    return not isinstance(value, (str, bytes, Mapping)) and hasattr(value, "__iter__")


# --------------------------------------------------------------------------
# Monitor addresses
# --------------------------------------------------------------------------
def mon_addresses_of_monmap(monmap):
    """The plain monitor addresses of a ``ceph mon dump --format json``, sorted."""
    if not isinstance(monmap, Mapping):
        raise AnsibleFilterError(f"monmap must be the JSON of `ceph mon dump`, got {type(monmap).__name__}")
    return _rules.mon_addresses_of_monmap(monmap)


def ceph_mon_host_problems(addresses, name="addresses", monmap=None):
    """Problems with a list of monitor addresses, each naming ``name`` and the fix; [] when fine.

    With ``monmap`` (the JSON of ``ceph mon dump``) the addresses must also be
    exactly the cluster's monitors (the collection's rule, module_utils/_rules.py).
    """
    if monmap is not None and not isinstance(monmap, Mapping):
        raise AnsibleFilterError(f"monmap must be the JSON of `ceph mon dump`, got {type(monmap).__name__}")
    return _rules.mon_list_problems(addresses, name, monmap)


def _port(value, what):
    if isinstance(value, bool):
        raise AnsibleFilterError(f"{what} must be a port number, got {value!r}")
    try:
        port = int(value)
    except (TypeError, ValueError):
        raise AnsibleFilterError(f"{what} must be a port number, got {value!r}")
    if not 1 <= port <= 65535:
        raise AnsibleFilterError(f"{what} must be between 1 and 65535, got {port}")
    return port


def ceph_mon_host(addresses, msgr="both", v2_port=DEFAULT_V2_PORT, v1_port=DEFAULT_V1_PORT):
    """The ``mon_host`` value for plain monitor addresses.

    ``msgr`` both: ``[v2:A:3300,v1:A:6789]`` per monitor; v2: ``[v2:A:3300]``;
    v1: ``[v1:A:6789]``. IPv6 addresses are bracketed (``[v2:[fd00::1]:3300]``).
    Monitors keep the inventory's order and are joined with commas.
    """
    problems = ceph_mon_host_problems(addresses)
    if problems:
        raise AnsibleFilterError("ceph_mon_host: " + "; ".join(problems))
    if msgr not in MSGR_MODES:
        raise AnsibleFilterError(f"ceph_mon_host: msgr must be one of {', '.join(MSGR_MODES)}, got {msgr!r}")
    v2_port = _port(v2_port, "ceph_mon_host: v2_port")
    v1_port = _port(v1_port, "ceph_mon_host: v1_port")
    if msgr == "both" and v2_port == v1_port:
        raise AnsibleFilterError(f"ceph_mon_host: v2_port and v1_port must differ, both are {v2_port}")
    vectors = []
    for entry in addresses:
        address = _rules.ip_address(entry)
        host = f"[{address}]" if ":" in address else address
        parts = []
        if msgr in ("both", "v2"):
            parts.append(f"v2:{host}:{v2_port}")
        if msgr in ("both", "v1"):
            parts.append(f"v1:{host}:{v1_port}")
        vectors.append("[" + ",".join(parts) + "]")
    return ",".join(vectors)


# --------------------------------------------------------------------------
# Client declarations
# --------------------------------------------------------------------------
def _cap_pools(cap):
    return _rules.cap_pools(cap)


def ceph_client_problems(clients, pools, name="clients"):
    """Problems with a site's CephX client declarations; [] when fine.

    ``clients`` is a list of {name, state, caps, secret, deliver}; ``pools``
    the names of the pools the site declares. Every ``pool=`` a present
    client's caps name must be one of ``pools``. Messages name ``name`` and
    the fix, never a secret.
    """
    if not _is_list(clients):
        return [f"{name} must be a list of clients ({{name: client.<id>, caps: {{...}}}}), "
                f"got {type(clients).__name__}"]
    declared = set(pools or []) if _is_list(pools) else set()
    problems = []
    seen = {}
    for index, client in enumerate(clients):
        where = f"{name}[{index}]"
        if not isinstance(client, Mapping):
            problems.append(f"{where} must be a mapping {{name: client.<id>, caps: {{...}}}}, "
                            f"got {type(client).__name__}")
            continue
        client_name = client.get("name")
        if isinstance(client_name, str):
            where = f"{where} ({client_name})"
        unknown = sorted(str(k) for k in set(client) - set(CLIENT_KEYS))
        if unknown:
            problems.append(f"{where} has unknown keys {unknown}: a client takes {', '.join(CLIENT_KEYS)}")
        if not isinstance(client_name, str) or not CLIENT_NAME_RE.match(client_name):
            problems.append(f"{where}: name must look like client.<id> (letters, digits, '_', '.', '-'), "
                            f"got {client_name!r}")
            continue
        if client_name in RESERVED_CLIENTS:
            problems.append(f"{where}: {client_name} is the cluster's administrator and is never managed "
                            f"here: remove it from {name}")
            continue
        if client_name in seen:
            problems.append(f"{where}: {client_name} is declared twice (also {name}[{seen[client_name]}]): "
                            f"declare each client once")
            continue
        seen[client_name] = index
        state = client.get("state", "present")
        if state not in ("present", "absent"):
            problems.append(f"{where}: state must be present or absent, got {state!r}")
            continue
        deliver = client.get("deliver", False)
        if not isinstance(deliver, bool):
            problems.append(f"{where}: deliver must be true or false, got {deliver!r}")
        secret = client.get("secret")
        if secret is not None and _rules.cephx_key_problem(secret):
            problems.append(f"{where}: secret {_rules.cephx_key_problem(secret)}, or leave it unset")
        if state == "absent":
            if deliver is True:
                problems.append(f"{where}: a client with state absent cannot be delivered: drop deliver")
            continue
        caps = client.get("caps")
        if caps is None:
            continue
        if not isinstance(caps, Mapping):
            problems.append(f"{where}: caps must map a cap type ({', '.join(CAP_TYPES)}) to a cap string, "
                            f"got {type(caps).__name__}")
            continue
        for cap_type, cap in caps.items():
            if cap_type not in CAP_TYPES:
                problems.append(f"{where}: caps has an unknown type {cap_type!r}: use {', '.join(CAP_TYPES)}")
                continue
            if not isinstance(cap, str) or not cap.strip():
                problems.append(f"{where}: caps.{cap_type} must be a non-empty string such as 'profile rbd'")
                continue
            if '"' in cap or "\n" in cap:
                problems.append(f"{where}: caps.{cap_type} must not contain double quotes or newlines")
                continue
            for pool in _cap_pools(cap):
                if pool not in declared:
                    problems.append(
                        f"{where}: caps.{cap_type} names pool {pool!r}, which the site does not declare "
                        f"(its pools: {', '.join(sorted(declared)) or 'none'}): add the pool to the site's "
                        f"pools or fix the pool name in the caps")
    return problems


# --------------------------------------------------------------------------
# Keyrings (parsed by module_utils/_auth.keyring_key)
# --------------------------------------------------------------------------
def ceph_keyring_keys(keyrings, names):
    """[{name, key}] for ``names``, taken from ceph_auth's ``keyrings`` (name -> keyring text).

    A name without a keyring (a key the cluster has yet to generate, in check
    mode) gets ``key: null``. A keyring without a key for its name raises,
    without quoting the keyring.
    """
    if keyrings is None:
        keyrings = {}
    if not isinstance(keyrings, Mapping):
        raise AnsibleFilterError("ceph_keyring_keys: the input must be the keyrings of ceph_auth "
                                 "(a mapping of client name to keyring text)")
    if not _is_list(names):
        raise AnsibleFilterError("ceph_keyring_keys: names must be a list of client names")
    result = []
    for entity in names:
        text = keyrings.get(entity)
        if text is None:
            result.append({"name": entity, "key": None})
            continue
        if not isinstance(text, str):
            raise AnsibleFilterError(f"ceph_keyring_keys: the keyring of {entity} is not text")
        key = keyring_key(text, entity)
        if not key:
            raise AnsibleFilterError(f"ceph_keyring_keys: the keyring returned for {entity} holds no key "
                                     f"for [{entity}]")
        result.append({"name": entity, "key": key})
    return result


class FilterModule:
    """Client-side Ceph filters."""

    def filters(self):
        return {
            "ceph_mon_host": ceph_mon_host,
            "ceph_mon_host_problems": ceph_mon_host_problems,
            "ceph_client_problems": ceph_client_problems,
            "ceph_keyring_keys": ceph_keyring_keys,
        }
