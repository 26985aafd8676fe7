# -*- coding: utf-8 -*-
# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures of the Kubernetes render tests (helpers and data: render_helpers.py)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from render_helpers import CLUSTERS, COLLECTION_LINK, HELM_CHARTS, PLAYBOOK, REPO, SITES, Chart, Run, helm_binary, new_cephx_key


@pytest.fixture(scope="session")
def keys():
    """{cluster: key} for client.glance on every cluster."""
    return {site["name"]: new_cephx_key() for site in SITES}


@pytest.fixture(scope="session")
def keyrings(keys):
    return [{"cluster": name, "user": "glance", "key": key} for name, key in keys.items()]


@pytest.fixture(scope="session")
def run_role(tmp_path_factory, keyrings):
    """Run tests/k8s/playbooks/render.yml; return a Run."""
    if not COLLECTION_LINK.exists():
        pytest.skip(f"{COLLECTION_LINK} is missing: run `make link` first")

    def run(target, role_vars=None, store_args=None, site_settings=None, args=(), json_output=False,
            clusters=None, extra=None, output_dir=None, playbook=PLAYBOOK, inventories=("localhost,",)):
        work = tmp_path_factory.mktemp(target)
        output_dir = output_dir or work / "out"
        variables = {
            "k8s_test_target": target,
            "k8s_test_sites": SITES,
            "k8s_test_clusters": clusters if clusters is not None else CLUSTERS,
            "k8s_test_keyrings": keyrings,
            "k8s_test_output_dir": str(output_dir),
            "k8s_test_role_vars": role_vars or {},
            "k8s_test_store_args": store_args or {},
            "k8s_test_site_settings": site_settings or [],
        }
        variables.update(extra or {})
        vars_file = work / "vars.json"
        fd = os.open(vars_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(variables, handle)
        env = dict(os.environ)
        env.update({
            "ANSIBLE_CONFIG": str(REPO / "lab" / "ansible.cfg"),
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_FORCE_COLOR": "0",
            "ANSIBLE_RETRY_FILES_ENABLED": "0",
            "ANSIBLE_LOCAL_TEMP": str(work / "tmp"),
        })
        if json_output:
            env["ANSIBLE_STDOUT_CALLBACK"] = "ansible.builtin.json"
        command = [shutil.which("ansible-playbook") or "ansible-playbook"]
        for inventory in inventories:
            command += ["-i", str(inventory)]
        command += [
            "-e", f"@{vars_file}",
            # The interpreter running the tests has the kubernetes library.
            "-e", f"ansible_python_interpreter={sys.executable}",
            str(playbook),
            *args,
        ]
        process = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=600, check=False)
        return Run(process, output_dir)

    return run


@pytest.fixture(scope="session")
def glance_chart(tmp_path_factory):
    """The reference glance chart (../shared/reference/openstack-helm/charts), ready for helm template."""
    helm = helm_binary()
    if not (HELM_CHARTS / "glance" / "Chart.yaml").is_file():
        pytest.skip(f"the glance chart is absent at {HELM_CHARTS} (expected ../shared/reference next to the repository)")
    return Chart(helm, tmp_path_factory.mktemp("chart"))
