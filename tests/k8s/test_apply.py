# -*- coding: utf-8 -*-
# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The apply path of the Kubernetes targets, as far as it goes without a cluster.

- Without a kubeconfig or context nothing is contacted: the apply tasks skip.
- With an unreachable API the run fails with a message that says so, after
  the objects are written, in check mode too.
- Against a stand-in API (fake_apiserver.py: discovery, get, create,
  replace, merge patch, dry run) the objects arrive as rendered, the
  OpenStackControlPlane keeps the other services' extraMounts, a second run
  changes nothing, check mode writes nothing, and keys are never printed.

Not covered: a real API server, the openstack-operator's admission webhooks
and reconciliation, Helm itself.
"""

from __future__ import annotations

import re

import jsonschema
import pytest

from ansible_collections.edgestack.glance_ceph.plugins.filter.glance_stores import glance_store_map
from fake_apiserver import FakeAPIServer, kubeconfig_text
from render_helpers import (
    BASE_CONTROLPLANE as CONTROLPLANE,
    SITES,
    crd_schema,
    decode_secret,
    load_reference,
    read_yaml,
    secret_strings,
    strict_schema,
)

SITE_NAMES = [site["name"] for site in SITES]
APPLY_TASKS = (
    "Read the namespace of the OpenStack services",
    "Check that the namespace exists",
    "Apply the ConfigMap with the Ceph confs",
    "Apply the Secret with the Glance keys",
    "Read the OpenStackControlPlane",
    "Check that the OpenStackControlPlane exists",
    "Apply the Secrets with the Ceph confs and keyrings",
    "Patch the OpenStackControlPlane with the glanceAPIs and the extraMounts entry",
)
NAMESPACE = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "openstack"}}


def recap(output):
    match = re.search(r"localhost\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", output)
    assert match, output
    return {key: int(value) for key, value in zip(("ok", "changed", "unreachable", "failed"), match.groups())}


def task_results(run):
    """{task name: [host result]} from the json callback."""
    results = {}
    for play in run.json()["plays"]:
        for task in play["tasks"]:
            name = task["task"]["name"].split(" : ", 1)[-1]
            results.setdefault(name, []).append(task["hosts"].get("localhost", {}))
    return results


@pytest.fixture
def kubeconfig(tmp_path):
    def write(url):
        path = tmp_path / "kubeconfig"
        path.write_text(kubeconfig_text(url))
        path.chmod(0o600)
        return str(path)
    return write


# ---------------------------------------------------------------------------
# No kubeconfig: render only
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("target", ["openstack_helm", "openstack_operator"])
def test_apply_skipped_without_kubeconfig(run_role, target):
    run = run_role(target, json_output=True, extra={"k8s_test_helm_sites": ["dcn0"]})
    assert run.rc == 0, run.output
    results = task_results(run)
    applied = [name for name in results if name in APPLY_TASKS]
    assert applied, sorted(results)
    for name in applied:
        for result in results[name]:
            assert result.get("skipped") is True, (name, result)


# ---------------------------------------------------------------------------
# Unreachable API
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("target", ["openstack_helm", "openstack_operator"])
@pytest.mark.parametrize("check", [False, True], ids=["apply", "check-mode"])
def test_unreachable_api_fails_clearly(run_role, kubeconfig, keys, target, check):
    # Port 9 (discard) refuses connections on this host.
    run = run_role(target, role_vars={"kubeconfig": kubeconfig("https://127.0.0.1:9")},
                   args=["--check"] if check else [], extra={"k8s_test_helm_sites": ["dcn0"]})
    assert run.rc != 0
    assert "Could not read from the Kubernetes API (kubeconfig" in run.output
    assert "Nothing was applied" in run.output
    assert "Connection refused" in run.output
    for form in secret_strings(keys):
        assert form not in run.output
    written = sorted(path.name for path in run.output_dir.rglob("*.yaml")) if run.output_dir.exists() else []
    if check:
        assert written == []
    else:
        assert written, "the objects are written before the API is contacted"


# ---------------------------------------------------------------------------
# Stand-in API
# ---------------------------------------------------------------------------
def test_operator_apply(run_role, kubeconfig, keys):
    with FakeAPIServer() as api:
        api.add(NAMESPACE)
        api.add(CONTROLPLANE)
        config = kubeconfig(api.url)
        run = run_role("openstack_operator", role_vars={"kubeconfig": config}, args=["--diff"])
        assert run.rc == 0, run.output
        assert recap(run.output)["failed"] == 0

        rendered = read_yaml(run.output_dir / "openstack_operator" / "secret-ceph-conf-files.yaml")
        secret = api.get("v1", "Secret", "ceph-conf-files", "openstack")
        assert secret["data"] == rendered["data"]
        assert secret["type"] == "Opaque"
        files = decode_secret(secret)
        assert set(files) == {f"{name}.conf" for name in SITE_NAMES} | {f"{name}.client.glance.keyring" for name in SITE_NAMES}

        controlplane = api.get("core.openstack.org/v1beta1", "OpenStackControlPlane", "openstack", "openstack")
        template = controlplane["spec"]["glance"]["template"]
        assert template["keystoneEndpoint"] == "central"
        assert {name: api_spec.get("type") for name, api_spec in template["glanceAPIs"].items()} == {
            "default": None, "central": "split", "dcn0": "edge", "dcn1": "edge"}
        assert template["databaseInstance"] == "openstack"
        # Cinder's entry is still there; the role's entry came after it.
        assert [entry["name"] for entry in controlplane["spec"]["extraMounts"]] == ["cinder-ceph", "glance-ceph"]
        patch = read_yaml(run.output_dir / "openstack_operator" / "openstackcontrolplane-openstack-patch.yaml")
        assert controlplane["spec"]["extraMounts"][1] == patch["spec"]["extraMounts"][0]
        for name in SITE_NAMES:
            assert template["glanceAPIs"][name]["customServiceConfig"] == patch["spec"]["glance"]["template"]["glanceAPIs"][name]["customServiceConfig"]
        # The result as the API holds it still validates against the CRD.
        stored = {key: value for key, value in controlplane.items() if key != "metadata"}
        stored["metadata"] = {"name": "openstack", "namespace": "openstack"}
        jsonschema.validate(stored, strict_schema(crd_schema(
            load_reference("openstack-operator", "core.openstack.org_openstackcontrolplanes.yaml"),
            "core.openstack.org/v1beta1")))
        patches = [request for request in api.writes() if request["method"] == "PATCH"]
        assert len(patches) == 1
        assert patches[0]["content_type"] == "application/merge-patch+json"
        for form in secret_strings(keys):
            assert form not in run.output

        # A second run changes nothing.
        before = len([request for request in api.writes() if not request["query"].get("dryRun")])
        again = run_role("openstack_operator", role_vars={"kubeconfig": config}, output_dir=run.output_dir)
        assert again.rc == 0, again.output
        assert recap(again.output)["changed"] == 0, again.output
        assert api.get("core.openstack.org/v1beta1", "OpenStackControlPlane", "openstack", "openstack") == controlplane
        assert api.get("v1", "Secret", "ceph-conf-files", "openstack") == secret
        assert before >= 2


def test_operator_check_mode_writes_nothing(run_role, kubeconfig):
    with FakeAPIServer() as api:
        api.add(NAMESPACE)
        api.add(CONTROLPLANE)
        run = run_role("openstack_operator", role_vars={"kubeconfig": kubeconfig(api.url)}, args=["--check"])
        assert run.rc == 0, run.output
        assert recap(run.output)["changed"] > 0
        assert api.get("v1", "Secret", "ceph-conf-files", "openstack") is None
        assert api.get("core.openstack.org/v1beta1", "OpenStackControlPlane", "openstack", "openstack")["spec"] == (
            api.add(CONTROLPLANE)["spec"])
        writes = api.writes()
        assert writes and all(request["query"].get("dryRun") == ["All"] for request in writes)


def test_operator_missing_controlplane(run_role, kubeconfig):
    with FakeAPIServer() as api:
        api.add(NAMESPACE)
        run = run_role("openstack_operator", role_vars={"kubeconfig": kubeconfig(api.url)})
        assert run.rc != 0
        assert "OpenStackControlPlane openstack is not in namespace openstack" in run.output
        assert api.writes() == []


def test_operator_per_site_apply(run_role, kubeconfig, keys):
    with FakeAPIServer() as api:
        api.add(NAMESPACE)
        api.add(CONTROLPLANE)
        run = run_role("openstack_operator", role_vars={"kubeconfig": kubeconfig(api.url), "secret_per_site": True})
        assert run.rc == 0, run.output
        for site in SITE_NAMES:
            files = decode_secret(api.get("v1", "Secret", f"ceph-conf-files-{site}", "openstack"))
            others = set(SITE_NAMES) - {store["cluster"] for store in glance_store_map(SITES, site)}
            assert not any(keys[other] in text for other in others for text in files.values())
        extra = api.get("core.openstack.org/v1beta1", "OpenStackControlPlane", "openstack", "openstack")["spec"]["extraMounts"]
        assert [vol["propagation"] for vol in extra[1]["extraVol"]] == [["central"], ["dcn0"], ["dcn1"]]


def test_helm_apply(run_role, kubeconfig, keys):
    with FakeAPIServer() as api:
        api.add(NAMESPACE)
        config = kubeconfig(api.url)
        run = run_role("openstack_helm", role_vars={"kubeconfig": config}, extra={"k8s_test_helm_sites": ["dcn0"]},
                       args=["--diff"])
        assert run.rc == 0, run.output
        directory = run.output_dir / "dcn0"
        configmap = api.get("v1", "ConfigMap", "ceph-etc", "openstack")
        secret = api.get("v1", "Secret", "images-rbd-keyring", "openstack")
        assert configmap["data"] == read_yaml(directory / "configmap-ceph-etc.yaml")["data"]
        assert secret["data"] == read_yaml(directory / "secret-images-rbd-keyring.yaml")["data"]
        assert decode_secret(secret)["key"] == keys["dcn0"]
        for form in secret_strings(keys):
            assert form not in run.output
        again = run_role("openstack_helm", role_vars={"kubeconfig": config}, extra={"k8s_test_helm_sites": ["dcn0"]},
                         output_dir=run.output_dir)
        assert again.rc == 0, again.output
        assert recap(again.output)["changed"] == 0, again.output


def test_helm_missing_namespace(run_role, kubeconfig):
    with FakeAPIServer() as api:
        run = run_role("openstack_helm", role_vars={"kubeconfig": kubeconfig(api.url)}, extra={"k8s_test_helm_sites": ["dcn0"]})
        assert run.rc != 0
        assert "Namespace openstack does not exist" in run.output
        assert api.writes() == []
