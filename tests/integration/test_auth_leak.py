# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""No CephX key ever shows: not in output, results, diffs, warnings or the log
at -vvvv, not on a command line, not in a file the modules leave behind.

playbooks/ceph_auth_leak.yml runs, stage by stage, everything that handles a
key (create with return_keyring, caps change, rotate, import of a supplied key,
reads with and without keys, a refused change, delete) at -vvvv with --diff and
ANSIBLE_LOG_PATH. After each stage the test reads the key the cluster holds,
so it knows every key involved, and searches everything Ansible printed and
logged for them. With the CLI transport the ceph commands run through a
cli_prefix wrapper that records their argv: the keys must not be there either
(they travel on stdin), while the wrapper must have seen `auth import -i -`.
"""

from __future__ import annotations

import subprocess
import uuid

import pytest

from _ceph_it import PLAYBOOKS, TRANSPORT_SITES, auth_entry

PLAYBOOK = PLAYBOOKS / "ceph_auth_leak.yml"
STAGES = ["create", "caps", "rotate", "import", "read", "delete"]
WRAPPER = "/tmp/it-ceph-argv-wrapper.sh"
ARGV_LOG = "/tmp/it-ceph-argv.log"


def new_key() -> str:
    return subprocess.run(["ceph-authtool", "--gen-print-key"], capture_output=True, text=True,
                          check=True).stdout.strip()


def leaked(keys, text):
    """Which keys (by position, never the key itself) appear in text."""
    return [i for i, key in enumerate(keys) if key and key in text]


def files_holding(lab, host, keys, paths):
    """Files under paths on host that contain a key (patterns on stdin, not argv)."""
    proc = lab.exec(host, ["sh", "-c", "grep -rlF -f - %s 2>/dev/null || true" % " ".join(paths)],
                    input="\n".join(k for k in keys if k) + "\n")
    return [line for line in proc.stdout.splitlines() if line.strip()]


@pytest.mark.parametrize("transport, site_name", TRANSPORT_SITES, ids=[t for t, s in TRANSPORT_SITES])
def test_no_key_anywhere(lab, ansible_playbook, tmp_path, transport, site_name):
    host = lab.ceph_host(site_name)
    entity = "client.it-leak-%s-%s" % (transport, uuid.uuid4().hex[:6])
    secret = new_key()
    secret_file = tmp_path / "secret"
    secret_file.touch(mode=0o600)
    secret_file.write_text(secret)
    log = tmp_path / "ansible.log"
    extra = {"it_host": host, "it_cluster": site_name, "it_transport": transport, "it_client": entity,
             "it_secret_file": str(secret_file)}
    if transport == "cli":
        lab.exec(host, ["sh", "-c", "cat > %s && chmod 0700 %s && rm -f %s" % (WRAPPER, WRAPPER, ARGV_LOG)],
                 check=True, input='#!/bin/sh\nprintf "%%s\\n" "$*" >> %s\nexec "$@"\n' % ARGV_LOG)
        extra["it_cli_prefix"] = [WRAPPER]

    admin = auth_entry(lab, site_name, "client.admin")
    keys = [admin["key"], secret]
    output = []
    try:
        for stage in STAGES:
            run = ansible_playbook(PLAYBOOK, extra_vars=dict(extra, it_stage=stage), diff=True, verbosity=4,
                                   env={"ANSIBLE_LOG_PATH": str(log)})
            output.append(run.stdout)
            output.append(run.stderr)
            assert run.rc == 0, "stage %s failed (rc %d); see the captured output" % (stage, run.rc)
            entry = auth_entry(lab, site_name, entity)
            if stage != "delete":
                assert entry is not None, stage
                keys.append(entry["key"])
            else:
                assert entry is None
        # the stages did what they say: admin, supplied, created (kept by the
        # caps change), rotated, then the supplied key imported
        assert len(set(keys)) == 4, "expected admin, supplied, created and rotated keys to differ"
        assert keys[2] == keys[3] and keys[4] not in keys[:4] and keys[5] == keys[6] == secret

        everything = "\n".join(output)
        assert "censored" in everything, "return_keyring results must be hidden"
        assert "auth_id" in everything, "-vvvv output should include the module arguments"
        assert leaked(keys, everything) == [], "a key appears in ansible-playbook's output"
        logged = log.read_text()
        assert entity in logged
        assert leaked(keys, logged) == [], "a key appears in the Ansible log"

        # the documented way of writing a returned keyring worked, with 0600
        mode = lab.exec(host, ["stat", "-c", "%a", "/tmp/%s.keyring" % entity], check=True).stdout.strip()
        assert mode == "600"

        # no file the modules may have written holds a key (the keyring file above aside)
        found = files_holding(lab, host, keys, ["/tmp", "/root/.ansible", "/var/tmp"])
        assert [f for f in found if f != "/tmp/%s.keyring" % entity] == []

        if transport == "cli":
            argv_log = lab.exec(host, ["cat", ARGV_LOG], check=True).stdout
            assert "auth import -i -" in argv_log and "auth ls" in argv_log
            assert leaked(keys, argv_log) == [], "a key appeared on a ceph command line"
    finally:
        lab.exec(host, ["rm", "-f", "/tmp/%s.keyring" % entity, WRAPPER, ARGV_LOG])
        if auth_entry(lab, site_name, entity) is not None:
            ansible_playbook(PLAYBOOK, extra_vars=dict(extra, it_stage="delete"))
