# -*- coding: utf-8 -*-
# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Render the Kubernetes targets of glance_multistore through ansible-playbook and validate them.

- ConfigMaps and Secrets validate against the Kubernetes schemas
  (kubernetes-validate, strict).
- The OpenStackControlPlane patch validates against the CRDs in
  ../shared/reference (jsonschema, unknown fields rejected), on its own and
  applied to a control plane; each glanceAPIs entry also against the Glance CRD.
- The glance chart overrides use only keys of the chart's values.yaml there.
- Deliberately invalid values fail validation with a message naming them.
- Keys are only in Secret files (0600) and never in the output of a run.
"""

from __future__ import annotations

import configparser
import copy
import stat

import jsonschema
import kubernetes_validate
import pytest
import yaml

from ansible_collections.edgestack.glance_ceph.plugins.filter.glance_stores import glance_store_map
from ansible_collections.edgestack.glance_ceph.plugins.filter.k8s_glance import glance_k8s_helm_unknown_keys
from render_helpers import (
    FSID,
    HELM_VALUES,
    K8S_VERSIONS,
    SITE_NAMES,
    SITES,
    InvalidManifest,
    decode_secret,
    load_reference,
    read_yaml,
    reference,
    secret_strings,
    validate_controlplane_patch,
    validate_core,
)


def ini(text):
    parser = configparser.ConfigParser(interpolation=None, default_section="__none__")
    parser.read_string(text)
    return parser


def mode(path):
    return stat.S_IMODE(path.stat().st_mode)


# ---------------------------------------------------------------------------
# Session renders
# ---------------------------------------------------------------------------
@pytest.fixture(scope="session")
def helm_run(run_role):
    run = run_role("openstack_helm", args=["--diff", "-v"])
    assert run.rc == 0, run.output
    return run


@pytest.fixture(scope="session")
def operator_run(run_role):
    run = run_role("openstack_operator", args=["--diff", "-v"])
    assert run.rc == 0, run.output
    return run


@pytest.fixture(scope="session")
def operator_one_secret_run(run_role):
    run = run_role("openstack_operator", role_vars={"secret_per_site": False})
    assert run.rc == 0, run.output
    return run


def helm_files(run, site):
    directory = run.output_dir / site
    return {
        "dir": directory,
        "configmap": directory / f"configmap-glance-{site}-ceph-etc.yaml",
        "secret": directory / f"secret-glance-{site}-rbd-keyring.yaml",
        "overrides": directory / "glance-overrides.yaml",
    }


def operator_dir(run):
    return run.output_dir / "openstack_operator"


def operator_patch(run):
    return read_yaml(operator_dir(run) / "openstackcontrolplane-openstack-patch.yaml")


# ---------------------------------------------------------------------------
# Files, modes, keys
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("site", SITE_NAMES)
def test_helm_files_and_modes(helm_run, site):
    files = helm_files(helm_run, site)
    assert sorted(path.name for path in files["dir"].iterdir()) == sorted(
        path.name for key, path in files.items() if key != "dir")
    assert mode(files["dir"]) == 0o700
    assert mode(files["secret"]) == 0o600
    assert mode(files["configmap"]) == 0o644
    assert mode(files["overrides"]) == 0o644


def test_operator_files_and_modes(operator_run):
    directory = operator_dir(operator_run)
    assert sorted(path.name for path in directory.iterdir()) == [
        "openstackcontrolplane-openstack-patch.yaml"] + [f"secret-glance-ceph-files-{site}.yaml" for site in SITE_NAMES]
    assert mode(directory) == 0o700
    for site in SITE_NAMES:
        assert mode(directory / f"secret-glance-ceph-files-{site}.yaml") == 0o600
    assert mode(directory / "openstackcontrolplane-openstack-patch.yaml") == 0o644


@pytest.mark.parametrize("fixture", ["helm_run", "operator_run", "operator_one_secret_run"])
def test_keys_only_in_secret_files(request, keys, fixture):
    run = request.getfixturevalue(fixture)
    secret_files = 0
    for path in run.output_dir.rglob("*.yaml"):
        text = path.read_text()
        leaked = [form for form in secret_strings(keys) if form in text]
        if read_yaml(path).get("kind") == "Secret":
            secret_files += 1
            assert mode(path) == 0o600, path
        else:
            assert leaked == [], f"{path} holds a key"
    assert secret_files >= 1


@pytest.mark.parametrize("fixture", ["helm_run", "operator_run"])
def test_keys_never_printed(request, keys, fixture):
    # Both runs used --diff and -v.
    run = request.getfixturevalue(fixture)
    for form in secret_strings(keys):
        assert form not in run.output


def test_skip_writing_secrets(run_role):
    run = run_role("openstack_helm", role_vars={"write_secrets": False}, extra={"k8s_test_helm_sites": ["dcn1"]})
    assert run.rc == 0, run.output
    assert [path.name for path in run.output_dir.iterdir()] == ["dcn1"]
    for site in ["dcn1"]:
        assert sorted(path.name for path in (run.output_dir / site).iterdir()) == [
            "configmap-glance-dcn1-ceph-etc.yaml", "glance-overrides.yaml"]


# ---------------------------------------------------------------------------
# Kubernetes schemas
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("version", K8S_VERSIONS)
def test_core_objects_validate(helm_run, operator_run, operator_one_secret_run, version):
    objects = []
    for site in SITE_NAMES:
        files = helm_files(helm_run, site)
        objects += [read_yaml(files["configmap"]), read_yaml(files["secret"])]
    for run in (operator_run, operator_one_secret_run):
        objects += [read_yaml(path) for path in operator_dir(run).glob("secret-*.yaml")]
    assert len(objects) == 6 + 3 + 1
    for obj in objects:
        validate_core(obj, version)


@pytest.mark.parametrize(
    "change, named",
    [
        pytest.param(lambda obj: obj["data"].update({"ceph.conf": 12345}), "12345", id="configmap-data-not-a-string"),
        pytest.param(lambda obj: obj["metadata"].update({"name": "Ceph_Etc"}), "Ceph_Etc", id="configmap-name"),
        pytest.param(lambda obj: obj["data"].update({"ceph conf": "x"}), "ceph conf", id="configmap-key"),
        pytest.param(lambda obj: obj.update({"immutable": "yes"}), "yes", id="configmap-immutable-not-bool"),
    ],
)
def test_invalid_configmap_fails(helm_run, change, named):
    obj = read_yaml(helm_files(helm_run, "dcn0")["configmap"])
    validate_core(obj, K8S_VERSIONS[0])
    change(obj)
    with pytest.raises((kubernetes_validate.ValidationError, InvalidManifest)) as excinfo:
        validate_core(obj, K8S_VERSIONS[0])
    assert named in str(excinfo.value)


@pytest.mark.parametrize(
    "change, named",
    [
        pytest.param(lambda obj: obj.update({"type": 7}), "7", id="secret-type-not-a-string"),
        pytest.param(lambda obj: obj["data"].update({"key": "not base64!"}), "data.key is not base64", id="secret-data-not-base64"),
        pytest.param(lambda obj: obj.update({"stringdata": {"a": "b"}}), "stringdata", id="secret-unknown-field"),
    ],
)
def test_invalid_secret_fails(helm_run, change, named):
    obj = read_yaml(helm_files(helm_run, "dcn0")["secret"])
    validate_core(obj, K8S_VERSIONS[0])
    change(obj)
    with pytest.raises((kubernetes_validate.ValidationError, InvalidManifest)) as excinfo:
        validate_core(obj, K8S_VERSIONS[0])
    assert named in str(excinfo.value)


def test_controlplane_patch_validates(operator_run, operator_one_secret_run):
    for run in (operator_run, operator_one_secret_run):
        merged = validate_controlplane_patch(operator_patch(run))
        # The shared extraMounts and the control plane's own settings are kept;
        # the role's entry is Glance's own.
        assert [entry["name"] for entry in merged["spec"]["extraMounts"]] == ["v1"]
        assert [entry["name"] for entry in merged["spec"]["glance"]["template"]["extraMounts"]] == ["glance-ceph"]
        assert merged["spec"]["glance"]["template"]["databaseInstance"] == "openstack"
        assert merged["spec"]["glance"]["template"]["keystoneEndpoint"] == "central"


@pytest.mark.parametrize(
    "change, named",
    [
        pytest.param(lambda spec: spec["glance"]["template"]["glanceAPIs"]["dcn0"].update({"type": "hub"}), "hub",
                     id="api-type-not-in-enum"),
        pytest.param(lambda spec: spec["glance"]["template"]["glanceAPIs"]["central"].update({"replicas": "three"}),
                     "three", id="replicas-not-an-integer"),
        pytest.param(lambda spec: spec["glance"]["template"]["glanceAPIs"]["central"].update({"customServiceConfg": "x"}),
                     "customServiceConfg", id="misspelt-field"),
        pytest.param(lambda spec: spec["glance"]["template"]["extraMounts"][0]["extraVol"][0]["mounts"][0].pop("mountPath"),
                     "mountPath",
                     id="mount-without-path"),
        pytest.param(lambda spec: spec["glance"].update({"enabled": "yes"}), "yes", id="enabled-not-bool"),
    ],
)
def test_invalid_controlplane_patch_fails(operator_run, change, named):
    patch = operator_patch(operator_run)
    validate_controlplane_patch(patch)
    broken = copy.deepcopy(patch)
    change(broken["spec"])
    with pytest.raises(jsonschema.ValidationError) as excinfo:
        validate_controlplane_patch(broken)
    assert named in str(excinfo.value)


# ---------------------------------------------------------------------------
# What the issue asks to show: each API lists exactly the computed stores,
# each store section reads that store's own cluster conf.
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("site", SITE_NAMES)
def test_custom_service_config_lists_the_computed_stores(operator_run, site):
    patch = operator_patch(operator_run)
    template = patch["spec"]["glance"]["template"]
    api = template["glanceAPIs"][site]
    assert api["type"] == ("split" if site == "central" else "edge")
    assert template["keystoneEndpoint"] == "central"
    computed = glance_store_map(SITES, site)
    conf = ini(api["customServiceConfig"])
    assert conf["DEFAULT"]["enabled_backends"] == ",".join(f"{store['id']}:{store['type']}" for store in computed)
    assert "copy-image" in conf["DEFAULT"]["enabled_import_methods"]
    assert conf["glance_store"]["default_backend"] == next(store["id"] for store in computed if store["default"])
    store_sections = [name for name in conf.sections() if name not in ("DEFAULT", "glance_store")]
    assert store_sections == [store["id"] for store in computed]
    secret = decode_secret(read_yaml(operator_dir(operator_run) / f"secret-glance-ceph-files-{site}.yaml"))
    (vol,) = [vol for vol in template["extraMounts"][0]["extraVol"] if vol["propagation"] == [site]]
    (mount,) = vol["mounts"]
    assert vol["volumes"] == [{"name": mount["name"], "secret": {"secretName": f"glance-ceph-files-{site}"}}]
    mount_path = mount["mountPath"]
    # Without a control plane to read, the files stay where the store map puts them.
    assert mount_path == "/etc/ceph"
    # The operator decides per API type (off for the external half of a split API).
    assert "show_image_direct_url" not in conf["DEFAULT"]
    for store in computed:
        section = conf[store["id"]]
        # The store's own cluster conf, never another site's.
        assert section["rbd_store_ceph_conf"] == f"{mount_path}/{store['id']}.conf"
        ceph_conf = ini(secret[f"{store['id']}.conf"])
        assert ceph_conf["global"]["fsid"] == FSID[store["id"]]
        keyring_path = ceph_conf[f"client.{section['rbd_store_user']}"]["keyring"]
        assert keyring_path == f"{mount_path}/{store['id']}.client.glance.keyring"
        assert keyring_path.rsplit("/", 1)[1] in secret


def test_per_site_secrets_hold_only_the_site_files(operator_run, keys):
    directory = operator_dir(operator_run)
    patch = operator_patch(operator_run)
    vols = patch["spec"]["glance"]["template"]["extraMounts"][0]["extraVol"]
    assert {vol["propagation"][0]: vol["volumes"][0]["secret"]["secretName"] for vol in vols} == {
        site: f"glance-ceph-files-{site}" for site in SITE_NAMES}
    for site in SITE_NAMES:
        files = decode_secret(read_yaml(directory / f"secret-glance-ceph-files-{site}.yaml"))
        clusters = [store["cluster"] for store in glance_store_map(SITES, site)]
        assert set(files) == {f"{name}.conf" for name in clusters} | {f"{name}.client.glance.keyring" for name in clusters}
        others = set(SITE_NAMES) - set(clusters)
        for other in others:
            assert keys[other] not in "".join(files.values())


@pytest.mark.parametrize("site", SITE_NAMES)
def test_helm_overrides_match_the_store_map(helm_run, keys, site):
    files = helm_files(helm_run, site)
    overrides = read_yaml(files["overrides"])
    configmap = read_yaml(files["configmap"])
    secret = decode_secret(read_yaml(files["secret"]))
    computed = glance_store_map(SITES, site)
    glance = overrides["conf"]["glance"]
    assert overrides["storage"] == "rbd"
    assert glance["DEFAULT"]["enabled_backends"] == ",".join(f"{store['id']}:rbd" for store in computed)
    # The chart's one API serves the public endpoint too.
    assert glance["DEFAULT"]["show_image_direct_url"] == "False"
    assert glance["glance_store"]["default_backend"] == site
    assert overrides["ceph_client"]["configmap"] == configmap["metadata"]["name"] == f"glance-{site}-ceph-etc"
    assert secret["key"] == keys[site]
    assert ini(configmap["data"]["ceph.conf"])["global"]["fsid"] == FSID[site]
    mounts = {mount["mountPath"]: mount for mount in overrides["pod"]["mounts"]["glance_api"]["glance_api"]["volumeMounts"]}
    for store in computed:
        path = glance[store["id"]]["rbd_store_ceph_conf"]
        assert path == f"/etc/ceph/{store['id']}.conf"
        assert mounts[path]["name"] == "ceph-etc"
        assert ini(configmap["data"][mounts[path]["subPath"]])["global"]["fsid"] == FSID[store["id"]]
        keyring = f"/etc/ceph/{store['id']}.client.glance.keyring"
        assert mounts[keyring]["name"] == "ceph-keyring"
        assert keys[store["id"]] in secret[mounts[keyring]["subPath"]]


# ---------------------------------------------------------------------------
# Helm overrides against the chart's values.yaml
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("site", SITE_NAMES)
def test_helm_overrides_use_chart_keys(helm_run, site):
    values = load_reference(*HELM_VALUES)
    overrides = read_yaml(helm_files(helm_run, site)["overrides"])
    assert glance_k8s_helm_unknown_keys(overrides, values) == []
    # The chart's own names and switches the overrides rely on.
    assert values["ceph_client"]["configmap"] == "ceph-etc"
    assert values["secrets"]["rbd"] == "images-rbd-keyring"
    assert "job_storage_init" in values["manifests"]
    assert "volumeMounts" in values["pod"]["mounts"]["glance_api"]["glance_api"]
    assert {"rbd_store_user", "rbd_store_pool", "rbd_store_ceph_conf"} <= set(values["conf"]["glance"]["rbd"])


def test_helm_overrides_invalid_key_is_named(helm_run):
    values = load_reference(*HELM_VALUES)
    overrides = read_yaml(helm_files(helm_run, "dcn0")["overrides"])
    overrides["manifests"]["job_storage_initt"] = overrides["manifests"].pop("job_storage_init")
    overrides["storagee"] = overrides.pop("storage")
    assert glance_k8s_helm_unknown_keys(overrides, values) == ["manifests.job_storage_initt", "storagee"]


def test_role_checks_overrides_against_chart(run_role, tmp_path):
    values_path = reference(*HELM_VALUES)
    run = run_role("openstack_helm", role_vars={"helm_chart_values": str(values_path)})
    assert run.rc == 0, run.output
    assert sorted(path.name for path in run.output_dir.iterdir()) == SITE_NAMES
    # A chart without the storage-init switch: the role refuses, naming the key.
    values = load_reference(*HELM_VALUES)
    del values["manifests"]["job_storage_init"]
    older = tmp_path / "values.yaml"
    older.write_text(yaml.safe_dump(values))
    run = run_role("openstack_helm", role_vars={"helm_chart_values": str(older)}, extra={"k8s_test_helm_sites": ["central"]})
    assert run.rc != 0
    assert "has no manifests.job_storage_init" in run.output


def test_helm_given_names(run_role):
    run = run_role("openstack_helm", role_vars={"helm_configmap": "edge-a-ceph"}, extra={"k8s_test_helm_sites": ["dcn0"]})
    assert run.rc == 0, run.output
    overrides = read_yaml(run.output_dir / "dcn0" / "glance-overrides.yaml")
    assert overrides["ceph_client"] == {"configmap": "edge-a-ceph"}
    assert overrides["secrets"] == {"rbd": "glance-dcn0-rbd-keyring"}
    assert (run.output_dir / "dcn0" / "configmap-edge-a-ceph.yaml").is_file()


# ---------------------------------------------------------------------------
# Layout rules, refused before anything is written
# ---------------------------------------------------------------------------
FILE_STORE = {"id": "local", "type": "file", "options": {"filesystem_store_datadir": "/var/lib/glance/images"}}


@pytest.mark.parametrize(
    "store_args, site_settings, role_vars, message",
    [
        pytest.param({"stores": {"central": [FILE_STORE]}}, [{"site": "central", "layout": "split"}], {},
                     "file store local with the split layout is refused", id="file-store-split"),
        pytest.param({}, [], {"keystone_endpoint": "dcn0"}, "is an edge API", id="keystone-endpoint-at-edge"),
        pytest.param({}, [{"site": "dcn1", "layout": "single"}], {}, "glanceAPI has layout edge", id="edge-layout"),
    ],
)
def test_operator_layout_rules(run_role, store_args, site_settings, role_vars, message):
    run = run_role("openstack_operator", store_args=store_args, site_settings=site_settings, role_vars=role_vars)
    assert run.rc != 0
    assert message in run.output
    assert not (run.output_dir / "openstack_operator").exists()


def test_operator_file_store_single_layout(run_role):
    run = run_role("openstack_operator", store_args={"stores": {"central": [FILE_STORE]}})
    assert run.rc == 0, run.output
    patch = operator_patch(run)
    validate_controlplane_patch(patch)
    central = patch["spec"]["glance"]["template"]["glanceAPIs"]["central"]
    assert central["type"] == "single"
    assert ini(central["customServiceConfig"])["local"]["filesystem_store_datadir"] == "/var/lib/glance/images"


def test_inconsistent_inputs_are_refused(run_role, keyrings):
    run = run_role("openstack_operator", extra={"k8s_test_keyrings": keyrings[:2]})
    assert run.rc != 0
    assert "needs the key of client.glance on cluster 'dcn1'" in run.output
    assert not run.output_dir.exists()


S3_STORE = {"id": "objects", "type": "s3", "options": {
    "s3_store_host": "http://192.0.2.5:8080", "s3_store_access_key": "AKIDKUBE0000EXAMPLE",
    "s3_store_secret_key": "kube-secret-key-never-written", "s3_store_bucket": "glance"}}


@pytest.mark.parametrize("target", ["openstack_helm", "openstack_operator"])
def test_stores_with_credentials_are_refused_before_anything_is_written(run_role, target):
    run = run_role(target, store_args={"stores": {"central": [S3_STORE]}})
    assert run.rc != 0
    assert "store objects carries credentials (s3_store_access_key, s3_store_secret_key)" in run.output
    assert "kube-secret-key-never-written" not in run.output
    assert not (run.output_dir / target).exists() and not (run.output_dir / "central").exists()
