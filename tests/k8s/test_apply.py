# -*- coding: utf-8 -*-
# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The apply path of the Kubernetes targets, as far as it goes without a cluster.

- Without a kubeconfig or context nothing is contacted: the apply tasks skip.
- With an unreachable API the run fails with a message that says so, after
  the objects are written, in check mode too.
- Against a stand-in API (fake_apiserver.py: discovery, get, list, create,
  replace, merge patch with resourceVersion preconditions, dry run), starting
  from a control plane that already uses Ceph the documented way (a shared
  ceph-conf-files Secret mounted at /etc/ceph into Cinder, Glance and
  Manila): the objects arrive as rendered, every key of a shared object is
  still there, the operator's mount rules (operator_rules.py) give no Glance
  pod two volumes of one name or two mounts at one path, a write racing
  another writer is refused, a second site's release in a namespace is
  refused, a second run changes nothing, check mode writes nothing, and keys
  are never printed.

Not covered: a real API server (admission, server-side apply, RBAC), the
operators' webhooks and reconciliation, Helm installing the release.
"""

from __future__ import annotations

import base64
import re

import jsonschema
import pytest

from ansible_collections.edgestack.glance_ceph.plugins.filter.glance_stores import glance_store_map
from fake_apiserver import FakeAPIServer, kubeconfig_text
from operator_rules import glance_api_instances, glance_api_pod, pod_problems
from render_helpers import (
    BASE_CONTROLPLANE as CONTROLPLANE,
    SHARED_CEPH_SECRET,
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
    "Read the namespace of the site's Glance release",
    "Check that the namespace exists",
    "Read the Glance objects the namespace already holds",
    "Write the ConfigMap and the Secret next to what the namespace holds",
    "Read the OpenStackControlPlane to merge with",
    "Check that the OpenStackControlPlane exists",
    "Write the Secrets next to what the namespace holds",
    "Merge-patch the OpenStackControlPlane at the resourceVersion read",
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
    if check or target == "openstack_operator":
        # The operator target reads the control plane first, to merge with it.
        assert written == []
    else:
        assert written, "the objects are written before the API is contacted"


# ---------------------------------------------------------------------------
# Stand-in API: openstack-operator
# ---------------------------------------------------------------------------
OSCP = ("core.openstack.org/v1beta1", "OpenStackControlPlane", "openstack", "openstack")
# The shared Ceph files of the control plane, as Cinder, Glance and Manila read them.
SHARED_FILES = {
    "ceph.conf": "[global]\nfsid = 5f0e7c52-8d3c-4b1e-9a55-2d1c0c0000aa\nmon_host = 192.0.2.99\n",
    "ceph.client.openstack.keyring": "[client.openstack]\n\tkey = AQBoZXJlaXNub3RyZWFsbHlhbnlrZXkAAAAAAAA==\n",
}
SHARED_SECRET = {
    "apiVersion": "v1", "kind": "Secret", "type": "Opaque",
    "metadata": {"name": SHARED_CEPH_SECRET, "namespace": "openstack"},
    "data": {name: base64.b64encode(text.encode()).decode() for name, text in SHARED_FILES.items()},
}


def seeded(api):
    api.add(NAMESPACE)
    api.add(CONTROLPLANE)
    api.add(SHARED_SECRET)


def test_operator_apply_on_a_control_plane_with_ceph(run_role, kubeconfig, keys):
    with FakeAPIServer() as api:
        seeded(api)
        config = kubeconfig(api.url)
        run = run_role("openstack_operator", role_vars={"kubeconfig": config}, args=["--diff", "-v"])
        assert run.rc == 0, run.output
        assert recap(run.output)["failed"] == 0
        directory = run.output_dir / "openstack_operator"

        # The shared Secret is untouched: every key, the same content.
        assert api.get("v1", "Secret", SHARED_CEPH_SECRET, "openstack")["data"] == SHARED_SECRET["data"]
        assert not [request for request in api.writes() if request["path"].endswith(f"/{SHARED_CEPH_SECRET}")]
        # One Secret per site, as rendered; an edge holds its own and central's keys only.
        for site in SITE_NAMES:
            secret = api.get("v1", "Secret", f"glance-ceph-files-{site}", "openstack")
            assert secret["data"] == read_yaml(directory / f"secret-glance-ceph-files-{site}.yaml")["data"]
            clusters = {store["cluster"] for store in glance_store_map(SITES, site)}
            assert set(decode_secret(secret)) == {f"{name}.conf" for name in clusters} | {
                f"{name}.client.glance.keyring" for name in clusters}
            for other in set(SITE_NAMES) - clusters:
                assert keys[other] not in "".join(decode_secret(secret).values())

        controlplane = api.get(*OSCP)
        template = controlplane["spec"]["glance"]["template"]
        assert template["keystoneEndpoint"] == "central"
        assert template["databaseInstance"] == "openstack"
        assert {name: api_spec.get("type") for name, api_spec in template["glanceAPIs"].items()} == {
            "default": None, "central": "split", "dcn0": "edge", "dcn1": "edge"}
        # The shared entry is as it was; the role's entry is Glance's own.
        assert controlplane["spec"]["extraMounts"] == CONTROLPLANE["spec"]["extraMounts"]
        patch = read_yaml(directory / "openstackcontrolplane-openstack-patch.yaml")
        assert template["extraMounts"] == patch["spec"]["glance"]["template"]["extraMounts"]
        assert [entry["name"] for entry in template["extraMounts"]] == ["glance-ceph"]

        # What the operators make of it: no Glance pod with two volumes of one
        # name or two mounts at one path; each API mounts its own site's Secret
        # at /etc/ceph-glance (/etc/ceph is the shared Secret's) and its
        # stores read their files there.
        for api_name, api_type in glance_api_instances(controlplane):
            pod = glance_api_pod(controlplane, api_name)
            assert pod_problems(pod) == [], (api_name, api_type)
            ours = [source["secret"]["secretName"] for _name, source in pod["volumes"]
                    if source and "secret" in source]
            assert ours == ([] if api_name == "default" else [f"glance-ceph-files-{api_name}"]), api_name
            assert ("ceph", "/etc/ceph") in pod["mounts"]
            if api_name != "default":
                assert (f"glance-ceph-{api_name}", "/etc/ceph-glance") in pod["mounts"]
                conf = template["glanceAPIs"][api_name]["customServiceConfig"]
                for store in glance_store_map(SITES, api_name):
                    assert f"rbd_store_ceph_conf = /etc/ceph-glance/{store['cluster']}.conf" in conf
                assert "show_image_direct_url" not in conf
        for site in SITE_NAMES:
            conf = decode_secret(api.get("v1", "Secret", f"glance-ceph-files-{site}", "openstack"))[f"{site}.conf"]
            assert f"keyring = /etc/ceph-glance/{site}.client.glance.keyring" in conf

        # The result as the API holds it still validates against the CRD.
        stored = {key: value for key, value in controlplane.items() if key != "metadata"}
        stored["metadata"] = {"name": "openstack", "namespace": "openstack"}
        jsonschema.validate(stored, strict_schema(crd_schema(
            load_reference("openstack-operator", "core.openstack.org_openstackcontrolplanes.yaml"),
            "core.openstack.org/v1beta1")))
        patches = [request for request in api.writes() if request["method"] == "PATCH"]
        assert len(patches) == 1
        assert patches[0]["content_type"] == "application/merge-patch+json"
        assert patches[0]["body"]["metadata"]["resourceVersion"]
        for form in secret_strings(keys):
            assert form not in run.output

        # A second run changes nothing.
        again = run_role("openstack_operator", role_vars={"kubeconfig": config}, output_dir=run.output_dir)
        assert again.rc == 0, again.output
        assert recap(again.output)["changed"] == 0, again.output
        assert api.get(*OSCP) == controlplane


def test_operator_shared_secret_keeps_other_keys_and_refuses_a_race(run_role, kubeconfig, keys):
    """Given the shared Secret's name, the role adds its keys only, at the resourceVersion it read."""
    with FakeAPIServer() as api:
        seeded(api)
        config = kubeconfig(api.url)
        role_vars = {"kubeconfig": config, "operator_secret": SHARED_CEPH_SECRET, "secret_per_site": False}
        raced = []

        def other_writer(server, method, path):
            # Manila's operator adds a file between the role's read and its write.
            if method == "PATCH" and path.endswith(f"/secrets/{SHARED_CEPH_SECRET}") and not raced:
                raced.append(path)
                server.change("v1", "Secret", SHARED_CEPH_SECRET, "openstack",
                              {"manila.conf": base64.b64encode(b"[global]\n").decode()})

        api.before_write = other_writer
        run = run_role("openstack_operator", role_vars=role_vars)
        assert run.rc != 0
        assert "after the role read it (the API server refused the stale resourceVersion" in run.output
        shared = api.get("v1", "Secret", SHARED_CEPH_SECRET, "openstack")
        assert set(shared["data"]) == set(SHARED_FILES) | {"manila.conf"}
        assert api.get(*OSCP)["spec"] == CONTROLPLANE["spec"], "nothing after the refused write ran"

        api.before_write = None
        run = run_role("openstack_operator", role_vars=role_vars, args=["--diff"])
        assert run.rc == 0, run.output
        shared = api.get("v1", "Secret", SHARED_CEPH_SECRET, "openstack")
        ours = {f"{name}.conf" for name in SITE_NAMES} | {f"{name}.client.glance.keyring" for name in SITE_NAMES}
        assert set(shared["data"]) == set(SHARED_FILES) | {"manila.conf"} | ours
        for name, value in SHARED_SECRET["data"].items():
            assert shared["data"][name] == value
        # What changes is said, by key name: the other keys are kept.
        said = " ".join(run.output.split())  # the callback wraps long messages
        assert ("removes no key; keeps ceph.client.openstack.keyring, ceph.conf, manila.conf "
                "(not written by edgestack.glance_ceph)") in said
        for form in secret_strings(keys):
            assert form not in run.output
        # The files are mounted at /etc/ceph-glance: the shared Secret's mount keeps /etc/ceph.
        controlplane = api.get(*OSCP)
        for api_name, _api_type in glance_api_instances(controlplane):
            assert pod_problems(glance_api_pod(controlplane, api_name)) == [], api_name


def test_operator_check_mode_writes_nothing(run_role, kubeconfig):
    with FakeAPIServer() as api:
        seeded(api)
        run = run_role("openstack_operator", role_vars={"kubeconfig": kubeconfig(api.url)}, args=["--check"])
        assert run.rc == 0, run.output
        assert recap(run.output)["changed"] > 0
        assert api.get("v1", "Secret", "glance-ceph-files-dcn0", "openstack") is None
        assert api.get(*OSCP)["spec"] == CONTROLPLANE["spec"]
        writes = api.writes()
        assert writes and all(request["query"].get("dryRun") == ["All"] for request in writes)


def test_operator_missing_controlplane(run_role, kubeconfig):
    with FakeAPIServer() as api:
        api.add(NAMESPACE)
        run = run_role("openstack_operator", role_vars={"kubeconfig": kubeconfig(api.url)})
        assert run.rc != 0
        assert "OpenStackControlPlane openstack is not in namespace openstack" in run.output
        assert api.writes() == []


# ---------------------------------------------------------------------------
# Stand-in API: openstack-helm
# ---------------------------------------------------------------------------
def test_helm_apply(run_role, kubeconfig, keys):
    with FakeAPIServer() as api:
        api.add(NAMESPACE)
        config = kubeconfig(api.url)
        run = run_role("openstack_helm", role_vars={"kubeconfig": config}, extra={"k8s_test_helm_sites": ["dcn0"]},
                       args=["--diff", "-v"])
        assert run.rc == 0, run.output
        directory = run.output_dir / "dcn0"
        configmap = api.get("v1", "ConfigMap", "glance-dcn0-ceph-etc", "openstack")
        secret = api.get("v1", "Secret", "glance-dcn0-rbd-keyring", "openstack")
        assert configmap["data"] == read_yaml(directory / "configmap-glance-dcn0-ceph-etc.yaml")["data"]
        assert secret["data"] == read_yaml(directory / "secret-glance-dcn0-rbd-keyring.yaml")["data"]
        assert decode_secret(secret)["key"] == keys["dcn0"]
        assert configmap["metadata"]["annotations"]["edgestack.glance-ceph/owner"] == "openstack-helm site dcn0"
        for form in secret_strings(keys):
            assert form not in run.output
        again = run_role("openstack_helm", role_vars={"kubeconfig": config}, extra={"k8s_test_helm_sites": ["dcn0"]},
                         output_dir=run.output_dir)
        assert again.rc == 0, again.output
        assert recap(again.output)["changed"] == 0, again.output


def test_helm_second_site_in_one_namespace_is_refused(run_role, kubeconfig):
    with FakeAPIServer() as api:
        api.add(NAMESPACE)
        run = run_role("openstack_helm", role_vars={"kubeconfig": kubeconfig(api.url)},
                       extra={"k8s_test_helm_sites": ["dcn0", "dcn1"]})
        assert run.rc != 0
        assert "ConfigMap glance-dcn0-ceph-etc holds the Glance files of site dcn0" in run.output
        assert "set glance_multistore_k8s_namespace to a namespace of site dcn1's own" in run.output
        assert api.get("v1", "ConfigMap", "glance-dcn1-ceph-etc", "openstack") is None
        assert decode_secret(api.get("v1", "Secret", "glance-dcn0-rbd-keyring", "openstack"))["key"]


def test_helm_shared_configmap_key_is_not_replaced(run_role, kubeconfig):
    """Pointed at the Ceph adapter's shared ceph-etc, the role refuses to replace its ceph.conf."""
    with FakeAPIServer() as api:
        api.add(NAMESPACE)
        shared = api.add({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ceph-etc", "namespace": "openstack"},
                          "data": {"ceph.conf": SHARED_FILES["ceph.conf"]}})
        run = run_role("openstack_helm", role_vars={"kubeconfig": kubeconfig(api.url), "helm_configmap": "ceph-etc"},
                       extra={"k8s_test_helm_sites": ["dcn0"]})
        assert run.rc != 0
        assert "ConfigMap openstack/ceph-etc already has ceph.conf with other content" in run.output
        assert "glance_multistore_k8s_helm_configmap" in run.output
        assert api.get("v1", "ConfigMap", "ceph-etc", "openstack") == shared
        assert api.get("v1", "Secret", "glance-dcn0-rbd-keyring", "openstack") is None


def test_helm_missing_namespace(run_role, kubeconfig):
    with FakeAPIServer() as api:
        run = run_role("openstack_helm", role_vars={"kubeconfig": kubeconfig(api.url)}, extra={"k8s_test_helm_sites": ["dcn0"]})
        assert run.rc != 0
        assert "Namespace openstack does not exist" in run.output
        assert api.writes() == []
