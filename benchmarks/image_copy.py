# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark: import with conversion to raw at central, copy-image to each edge, beside the floor.

On a running lab converged by site.yml (image conversion on), it:

1. makes a qcow2 image of a disk of --size-mib MiB (random data, so neither
   qcow2 nor the copy can skip anything);
2. imports it at central through the VIP (glance-direct): the upload to the
   staging area, then the import (qemu-img convert to raw, write to central's
   RBD pool) until the image is active;
3. copies it to each edge store in turn (copy-image), timing each until the
   image lists the store;
4. measures the floor of such a copy, `rbd export | rbd import` of the same
   image between the same two clusters, on the central Glance host that ran
   the copies, with Glance's own CephX user;
5. deletes what it made.

It prints figures; it asserts nothing. Run as root beside the lab:

    EDGESTACK_LAB_INSTANCE=N python3 benchmarks/image_copy.py [--size-mib 256]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path


REPO = Path(__file__).resolve().parents[1]
LAB = [sys.executable, str(REPO / "lab" / "lab.py")]
sys.path.insert(0, str(REPO / "lab"))
import lab as labtool  # noqa: E402  pylint: disable=wrong-import-position
MIB = 1024 * 1024


def lab_status():
    proc = subprocess.run([*LAB, "status", "--json"], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.exit("the lab is not up and healthy: run lab/lab.py up and playbooks/site.yml first")
    return json.loads(proc.stdout)


def lab_exec(host, argv, check=True):
    proc = subprocess.run([*LAB, "exec", host, "--", *argv], capture_output=True, text=True, check=False)
    if check and proc.returncode != 0:
        sys.exit(f"{host}: {argv} failed: {proc.stderr.strip()}")
    return proc


class Glance:
    def __init__(self, base, tok):
        self.base, self.tok = base, tok

    def call(self, method, path, body=None, data=None, headers=None, timeout=600):
        hdrs = {"X-Auth-Token": self.tok}
        if body is not None:
            data = json.dumps(body).encode()
            hdrs["Content-Type"] = "application/json"
        hdrs.update(headers or {})
        req = urllib.request.Request(self.base + path, data=data, headers=hdrs, method=method)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                raw = resp.read()
                return resp.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode(errors="replace")

    def image(self, image_id):
        return self.call("GET", f"/v2/images/{image_id}")[1]

    def wait(self, image_id, done, timeout=1800):
        deadline = time.monotonic() + timeout
        while True:
            image = self.image(image_id)
            if done(image):
                return image
            if image.get("os_glance_failed_import"):
                sys.exit(f"import failed: {image.get('os_glance_failed_import')}")
            if time.monotonic() > deadline:
                sys.exit(f"timed out: {image}")
            time.sleep(0.25)


def make_qcow2(size_mib, directory):
    raw = os.path.join(directory, "disk.raw")
    with open(raw, "wb") as fh:
        for _mib in range(size_mib):
            fh.write(os.urandom(MIB))
    qcow2 = os.path.join(directory, "disk.qcow2")
    subprocess.run(["qemu-img", "convert", "-f", "raw", "-O", "qcow2", raw, qcow2], check=True)
    os.unlink(raw)
    return qcow2


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mib", type=int, default=256, help="disk size of the image (MiB)")
    args = parser.parse_args()
    status = lab_status()
    edges = sorted(site for site in status["sites"] if site != "central")
    central_hosts = sorted(h for h, v in status["hosts"].items() if v["site"] == "central" and "glance" in v["services"])
    vip = Glance(f"http://{status['sites_vip']['central']}:9292", labtool.cloud_token(status["clouds_yaml"])[0])
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.monotonic()
        qcow2 = make_qcow2(args.size_mib, tmp)
        qcow2_mib = os.path.getsize(qcow2) / MIB
        print(f"qcow2 image of a {args.size_mib} MiB disk: {qcow2_mib:.0f} MiB, made in {time.monotonic() - t0:.1f}s",
              flush=True)
        st, image = vip.call("POST", "/v2/images", body={"name": f"bench-convert-{uuid.uuid4().hex[:8]}",
                                                         "disk_format": "qcow2", "container_format": "bare"})
        if st != 201:
            sys.exit(f"image create: {st} {image}")
        image_id = image["id"]
        try:
            with open(qcow2, "rb") as fh:
                data = fh.read()
            t0 = time.monotonic()
            st, body = vip.call("PUT", f"/v2/images/{image_id}/stage", data=data,
                                headers={"Content-Type": "application/octet-stream"})
            stage_s = time.monotonic() - t0
            if st != 204:
                sys.exit(f"stage: {st} {body}")
            t1 = time.monotonic()
            st, body = vip.call("POST", f"/v2/images/{image_id}/import", body={"method": {"name": "glance-direct"}})
            if st != 202:
                sys.exit(f"import: {st} {body}")
            image = vip.wait(image_id, lambda i: i["status"] == "active")
            import_s = time.monotonic() - t1
            if image["disk_format"] != "raw":
                sys.exit(f"the image is {image['disk_format']} after import: is image conversion on at central?")
            rows.append(("upload qcow2 to staging (glance-direct stage)", stage_s, qcow2_mib))
            rows.append(("import: convert to raw + write to central RBD", import_s, image["size"] / MIB))
            rows.append(("import + convert, total", stage_s + import_s, image["size"] / MIB))
            print(f"imported and converted: stage {stage_s:.1f}s, import {import_s:.1f}s "
                  f"(raw {image['size'] / MIB:.0f} MiB)", flush=True)
            for edge in edges:
                # The previous import releases the image's task lock just after it is done.
                vip.wait(image_id, lambda i: not i.get("os_glance_import_task"))
                t0 = time.monotonic()
                for _attempt in range(120):
                    st, body = vip.call("POST", f"/v2/images/{image_id}/import",
                                        body={"method": {"name": "copy-image"}, "stores": [edge]})
                    if st != 409:
                        break
                    time.sleep(0.25)
                if st != 202:
                    sys.exit(f"copy-image to {edge}: {st} {body}")
                vip.wait(image_id, lambda i, e=edge: e in (i.get("stores") or "").split(",")
                         and not i.get("os_glance_importing_to_stores"))
                copy_s = time.monotonic() - t0
                rows.append((f"copy-image central -> {edge}", copy_s, image["size"] / MIB))
                print(f"copy-image to {edge}: {copy_s:.1f}s", flush=True)
            # The floor: the same bytes between the same clusters, by a central Glance host.
            host = central_hosts[0]
            for edge in edges:
                name = f"bench-floor-{uuid.uuid4().hex[:8]}"
                t0 = time.monotonic()
                lab_exec(host, ["sh", "-c", f"rbd --cluster central --id glance export images/{image_id} - "
                                            f"| rbd --cluster {edge} --id glance import - images/{name}"])
                floor_s = time.monotonic() - t0
                lab_exec(host, ["rbd", "--cluster", edge, "--id", "glance", "rm", f"images/{name}"], check=False)
                rows.append((f"rbd export | rbd import central -> {edge}", floor_s, image["size"] / MIB))
                print(f"rbd export | rbd import to {edge}: {floor_s:.1f}s", flush=True)
        finally:
            vip.call("DELETE", f"/v2/images/{image_id}")
    print()
    print(f"| step ({args.size_mib} MiB disk, {len(edges)} edge sites) | seconds | MiB | MiB/s |")
    print("| --- | --- | --- | --- |")
    for what, seconds, mib in rows:
        print(f"| {what} | {seconds:.1f} | {mib:.0f} | {mib / seconds:.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
