# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""S3, Swift and file stores at central, on the lab's real object gateway (radosgw).

The lab runs Ceph's RADOS Gateway on central's cluster with a user for Glance
(S3 keys and a Swift subuser); `lab.py up` leaves their credentials in
<state>/object-stores.json. The module fixture gives central's Glance hosts an
S3 store, a Swift store and a file store besides the RBD stores (glance.yml
with edgestack_glance_stores, limited to central) and takes them away again at
the end. Images are read back through Glance and checked in the gateway
itself (boto3, Swift API) and in the edge cluster (`rbd export`), independently
of Glance's answers. Bad store settings are refused before glance-api is
restarted: the file and the process stay as they were.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import tempfile
import urllib.request
import uuid

import pytest

from _ceph_it import PLAYBOOKS, fingerprint, module_result
from conftest import REPO, run_playbook

GLANCE_PLAY = REPO / "playbooks" / "glance.yml"
DISTRIBUTE = PLAYBOOKS / "images_distribute.yml"
CONF = "/etc/glance/glance-api.conf"
MIB = 1024 * 1024
ROLE = "edgestack.glance_ceph.glance_multistore : "
BUCKET = "glance-it"
CONTAINER = "glance-it"
FILE_DIR = "/var/lib/glance/it-file-store"
SWIFT_REFERENCE = "/etc/glance/glance-swift-swift.conf"


class Credentials(dict):
    """The gateway's credentials; shown as a placeholder in tracebacks and assertion output."""

    def __repr__(self):
        return "<object gateway credentials>"


class Converged(dict):
    def __repr__(self):
        return f"<central converged with the object stores, rc={self['first'].rc}>"


def credentials(lab):
    path = lab.state_dir / "object-stores.json"
    if not path.exists():
        pytest.skip("the lab has no object gateway (radosgw not installed when it came up)")
    return Credentials(json.loads(path.read_text()))


def object_stores(creds, **s3_overrides):
    s3 = {"s3_store_host": creds["s3"]["endpoint"], "s3_store_access_key": creds["s3"]["access_key"],
          "s3_store_secret_key": creds["s3"]["secret_key"], "s3_store_bucket": BUCKET,
          "s3_store_create_bucket_on_put": True, "s3_store_bucket_url_format": "path"}
    s3.update(s3_overrides)
    return [
        {"id": "objects", "type": "s3", "description": "central's object gateway (S3)", "options": s3},
        {"id": "swift", "type": "swift", "description": "central's object gateway (Swift)",
         "auth": dict(creds["swift"]),
         "options": {"swift_store_container": CONTAINER, "swift_store_create_container_on_put": True}},
        {"id": "local", "type": "file", "description": "a local directory",
         "options": {"filesystem_store_datadir": FILE_DIR}},
    ]


def converge(lab, stores, check=False, diff=False, limit="central", direct_url=None):
    """glance.yml on central's Glance hosts with these explicit stores (from a 0600 vars file).

    With an S3 store, Glance must not show image locations (they carry the S3 keys)."""
    if direct_url is None:
        direct_url = not any(store["type"] == "s3" for store in stores)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump({"edgestack_glance_stores": stores, "edgestack_glance_show_image_direct_url": direct_url}, fh)
        path = fh.name
    os.chmod(path, 0o600)
    try:
        return run_playbook(GLANCE_PLAY, [*lab.inventory_args, "-e", f"@{path}"], limit=limit, check=check,
                            diff=diff, timeout=900)
    finally:
        os.unlink(path)


def secrets_of(creds):
    return [creds["s3"]["secret_key"], creds["s3"]["access_key"], creds["swift"]["key"]]


def leaked(secrets, text):
    """Fingerprints of the secrets that appear in text. Tests assert on the returned list kept in a
    local variable, so that a failing assertion shows fingerprints, never a secret."""
    return [fingerprint(secret) for secret in secrets if secret in text]


def glance_pid(lab, host):
    return lab.exec(host, ["cat", "/run/glance/glance-api.pid"]).stdout.strip()


# boto3 is Debian's (python3-boto3, bindep profile lab), beside python3-rados: the test runs it
# with Debian's python3, the credentials on stdin (never on a command line).
S3_MD5 = """
import hashlib, json, sys
import boto3
a = json.load(sys.stdin)
client = boto3.session.Session(aws_access_key_id=a["access_key"], aws_secret_access_key=a["secret_key"]).client(
    "s3", endpoint_url=a["endpoint"])
print(hashlib.md5(client.get_object(Bucket=a["bucket"], Key=a["key"])["Body"].read()).hexdigest())
"""


def s3_object_md5(creds, bucket, key):
    """md5 of an object read from the gateway with its S3 API (boto3), independently of Glance."""
    args = dict(creds["s3"], bucket=bucket, key=key)
    proc = subprocess.run(["/usr/bin/python3", "-c", S3_MD5], input=json.dumps(args), capture_output=True,
                          text=True, timeout=120, check=False)
    if proc.returncode != 0 and "No module named 'boto3'" in proc.stderr:
        pytest.skip("python3-boto3 is not installed (bindep.txt, profile lab)")
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout.strip()


def swift_session(creds):
    sw = creds["swift"]
    req = urllib.request.Request(sw["auth_address"], headers={"X-Auth-User": sw["user"], "X-Auth-Key": sw["key"]})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return resp.headers["X-Storage-Url"], resp.headers["X-Auth-Token"]


@pytest.fixture(scope="module")
def stores(lab):
    creds = credentials(lab)
    first = converge(lab, object_stores(creds))
    assert first.rc == 0, first.stdout[-4000:] + first.stderr[-2000:]
    yield Converged(creds=creds, first=first)
    restore = converge(lab, [])
    assert restore.rc == 0, restore.stdout[-3000:]
    for host in lab.glance_hosts("central"):
        status, info = lab.glance(f"http://{lab.address(host)}:9292", "GET", "/v2/info/stores")
        assert {s["id"] for s in info["stores"]} == set(lab.sites), info
        # The Swift store is gone: so is its reference file, with its credentials.
        left = lab.exec(host, ["test", "-e", SWIFT_REFERENCE]).returncode == 0
        assert not left, f"{SWIFT_REFERENCE} stayed on {host} after its store was removed"


@pytest.fixture(scope="module")
def api(lab, stores):
    """One central Glance host directly (file stores are local to a host) and a token."""
    return {"base": f"http://{lab.address(lab.glance_hosts('central')[0])}:9292", "token": lab.token(),
            "created": []}


@pytest.fixture(scope="module", autouse=True)
def cleanup(lab, api):
    yield
    for image_id in api["created"]:
        lab.glance(api["base"], "DELETE", f"/v2/images/{image_id}", token=api["token"])


def upload(lab, api, store, data, name=None):
    status, image = lab.glance(api["base"], "POST", "/v2/images", token=api["token"], body={
        "name": name or f"it-{store}-{uuid.uuid4().hex[:8]}", "disk_format": "raw", "container_format": "bare"})
    assert status == 201, image
    api["created"].append(image["id"])
    status, body = lab.glance(api["base"], "PUT", f"/v2/images/{image['id']}/file", data=data, token=api["token"],
                              headers={"Content-Type": "application/octet-stream", "X-Image-Meta-Store": store})
    assert status == 204, body
    status, image = lab.glance(api["base"], "GET", f"/v2/images/{image['id']}", token=api["token"])
    assert image["status"] == "active" and image["stores"] == store, image
    return image


def download_md5(lab, api, image_id):
    req = urllib.request.Request(f"{api['base']}/v2/images/{image_id}/file", headers={"X-Auth-Token": api["token"]})
    with urllib.request.urlopen(req, timeout=60) as resp:
        return hashlib.md5(resp.read()).hexdigest()


def test_every_store_is_listed_and_written_as_glance_store_reads_it(lab, stores):
    for host in lab.glance_hosts("central"):
        status, info = lab.glance(f"http://{lab.address(host)}:9292", "GET", "/v2/info/stores")
        assert status == 200
        assert {s["id"] for s in info["stores"]} == set(lab.sites) | {"objects", "swift", "local"}
        conf = lab.exec(host, ["cat", CONF], check=True).stdout
        # Booleans first: the file holds the S3 keys, which a failing assertion must not print.
        has_s3 = "\n[objects]\n" in conf and "s3_store_bucket = glance-it" in conf
        assert has_s3
        ref = "/etc/glance/glance-swift-swift.conf"
        has_swift = f"swift_store_config_file = {ref}" in conf and "default_swift_reference = swift" in conf
        assert has_swift
        found = leaked([stores["creds"]["swift"]["key"]], conf)
        assert not found
        st = lab.exec(host, ["stat", "-c", "%U:%G %a", ref, CONF], check=True).stdout.split("\n")
        assert st[0] == "root:glance 640" and st[1] == "root:glance 640", st


def test_no_secret_in_the_playbook_output(stores):
    found = leaked(secrets_of(stores["creds"]), stores["first"].stdout + stores["first"].stderr)
    assert not found


def test_second_run_and_diff_change_nothing_and_show_no_secret(lab, stores):
    run = converge(lab, object_stores(stores["creds"]), check=True, diff=True)
    assert run.rc == 0, run.stdout[-3000:]
    assert run.task_results(ROLE + "Set the storage settings in glance-api.conf")[
        lab.glance_hosts("central")[0]]["changed"] is False
    found = leaked(secrets_of(stores["creds"]), run.stdout + run.stderr)
    assert not found


@pytest.mark.parametrize("store", ["objects", "swift"])
def test_image_in_the_object_gateway_reads_back_with_equal_checksum(lab, stores, api, store):
    data = os.urandom(4 * MIB)
    image = upload(lab, api, store, data)
    assert image["checksum"] == hashlib.md5(data).hexdigest()
    assert download_md5(lab, api, image["id"]) == hashlib.md5(data).hexdigest()
    creds = stores["creds"]
    if store == "objects":
        status, body = lab.glance(api["base"], "GET", f"/v2/images/{image['id']}", token=api["token"])
        found = leaked(secrets_of(creds), json.dumps(body))
        assert not found, "the image's record shows the S3 keys (its location, through direct_url)"
        assert s3_object_md5(creds, BUCKET, image["id"]) == image["checksum"]
    else:
        url, token = swift_session(creds)
        req = urllib.request.Request(f"{url}/{CONTAINER}/{image['id']}", headers={"X-Auth-Token": token})
        with urllib.request.urlopen(req, timeout=30) as resp:
            assert hashlib.md5(resp.read()).hexdigest() == image["checksum"]
        # The location names the reference, never the key.
        status, body = lab.glance(api["base"], "GET", f"/v2/images/{image['id']}", token=api["token"])
        found = leaked([creds["swift"]["key"]], json.dumps(body))
        assert not found


def test_image_in_the_file_store_reads_back(lab, stores, api):
    data = os.urandom(2 * MIB)
    image = upload(lab, api, "local", data)
    assert download_md5(lab, api, image["id"]) == hashlib.md5(data).hexdigest()
    host = lab.glance_hosts("central")[0]
    out = lab.exec(host, ["md5sum", f"{FILE_DIR}/{image['id']}"], check=True).stdout
    assert out.split()[0] == image["checksum"]


def test_image_in_s3_is_copied_to_an_edge_rbd_store(lab, stores, api):
    edge = sorted(s for s in lab.sites if s != "central")[0]
    data = os.urandom(4 * MIB)
    image = upload(lab, api, "objects", data)
    run = run_playbook(DISTRIBUTE, lab.inventory_args, extra_vars={
        "it_images": [image["id"]], "it_cloud": "lab-central", "it_stores": [edge],
        "it_image_endpoint": api["base"], "it_central_store": "objects"}, env={"OS_CLIENT_CONFIG_FILE": lab.clouds_yaml})
    result = module_result(run, "Distribute images", "localhost")
    assert run.rc == 0 and not result.get("failed"), result
    status, after = lab.glance(api["base"], "GET", f"/v2/images/{image['id']}", token=api["token"])
    assert set(after["stores"].split(",")) == {"objects", edge}
    proc = lab.exec(lab.ceph_host(edge), ["sh", "-c", f"rbd --cluster {edge} export images/{image['id']} - | md5sum"],
                    check=True)
    assert proc.stdout.split()[0] == hashlib.md5(data).hexdigest()


def refused(lab, stores_value, expect):
    return refused_with(lab, stores_value, None, expect)


def refused_with(lab, stores_value, direct_url, expect, variable="edgestack_glance_stores (site central"):
    """glance.yml on one central host fails naming the variable; the file and the process are unchanged."""
    host = lab.glance_hosts("central")[0]
    files = [CONF, SWIFT_REFERENCE]
    before = lab.exec(host, ["md5sum", *files]).stdout
    pid = glance_pid(lab, host)
    run = converge(lab, stores_value, limit=host, direct_url=direct_url)
    out = run.stdout + run.stderr
    assert run.rc != 0
    assert variable in out, out[-3000:]
    for text in expect:
        assert text in out, out[-3000:]
    assert lab.exec(host, ["md5sum", *files]).stdout == before
    assert glance_pid(lab, host) == pid
    return out


def test_unknown_option_is_refused(lab, stores):
    bad = object_stores(stores["creds"])
    bad[0]["options"]["s3_store_bukket"] = "x"
    out = refused(lab, bad, ["s3_store_bukket", "not options of glance_store's s3 driver"])
    found = leaked(secrets_of(stores["creds"]), out)
    assert not found


def test_missing_credential_is_refused(lab, stores):
    bad = object_stores(stores["creds"])
    del bad[1]["auth"]["key"]
    refused(lab, bad, ["(swift): auth needs ['key']"])


def test_s3_keys_shown_in_image_records_are_refused(lab, stores):
    out = refused_with(lab, object_stores(stores["creds"]), True, ["has S3 stores (objects)"],
                       variable="edgestack_glance_show_image_direct_url (site central")
    found = leaked(secrets_of(stores["creds"]), out)
    assert not found


def test_unreachable_endpoint_is_refused_before_a_restart(lab, stores):
    bad = object_stores(stores["creds"], s3_store_host="http://127.0.0.1:1")
    refused(lab, bad, ["store objects (s3): endpoint http://127.0.0.1:1: cannot reach 127.0.0.1:1"])


def test_wrong_key_is_refused_before_a_restart(lab, stores):
    bad = object_stores(stores["creds"], s3_store_secret_key="not-the-key-" + uuid.uuid4().hex)
    out = refused(lab, bad, ["refused the store's keys"])
    assert "not-the-key-" not in out
    found = leaked(secrets_of(stores["creds"]), out)
    assert not found


def test_wrong_swift_key_is_refused_before_a_restart(lab, stores):
    bad = object_stores(stores["creds"])
    bad[1]["auth"]["key"] = "not-the-key-" + uuid.uuid4().hex
    out = refused(lab, bad, ["store swift (swift): auth_address", "refused the store's user and key (401)"])
    assert "not-the-key-" not in out
    found = leaked(secrets_of(stores["creds"]), out)
    assert not found
