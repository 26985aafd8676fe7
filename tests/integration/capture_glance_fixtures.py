# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Capture the Glance JSON the image distribution unit tests use, from the lab.

    python3 tests/integration/capture_glance_fixtures.py

Needs the lab up with Glance multistore converged (playbooks/site.yml). Talks
to central's Glance API, creates its own images (names starting with fx-),
writes tests/unit/fixtures/glance_*.json and deletes the images. Nothing the
files hold is secret (Glance never returns tokens); the script checks that the
token it used appears in none of them.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from conftest import REPO, Lab, _lab_status  # noqa: E402  pylint: disable=wrong-import-position

OUT = REPO / "tests" / "unit" / "fixtures"
MIB = 1024 * 1024


def main() -> int:
    status = _lab_status()
    if not status or not status.get("ok"):
        print("the lab is not up: python3 lab/lab.py up", file=sys.stderr)
        return 1
    lab = Lab(status)
    token = lab.token()
    base = lab.vip("central")
    edges = sorted(s for s in lab.sites if s != "central")
    written = {}
    created = []

    def call(method, path, expect, **kwargs):
        code, body = lab.glance(base, method, path, token=token, **kwargs)
        assert code in expect, f"{method} {path}: {code} {body}"
        return body

    def save(name, data):
        written[name] = data

    def upload(name, disk_format="raw", size=MIB, store=None):
        image = call("POST", "/v2/images", (201,), body={"name": name, "disk_format": disk_format,
                                                         "container_format": "bare"})
        created.append(image["id"])
        headers = {"Content-Type": "application/octet-stream"}
        if store:
            headers["X-Image-Meta-Store"] = store
        call("PUT", f"/v2/images/{image['id']}/file", (204,), data=b"\0" * size, headers=headers)
        return wait(image["id"], lambda i: i["status"] == "active")

    def wait(image_id, until, timeout=120, interval=0.5):
        deadline = time.monotonic() + timeout
        while True:
            image = call("GET", f"/v2/images/{image_id}", (200,))
            if until(image):
                return image
            assert time.monotonic() < deadline, image
            time.sleep(interval)

    try:
        stores = call("GET", "/v2/info/stores", (200,))
        assert {s["id"] for s in stores["stores"]} == set(lab.sites), f"Glance multistore is not on: {stores}"
        save("glance_stores.json", stores)
        save("glance_stores_detail.json", call("GET", "/v2/info/stores/detail", (200,)))

        raw = upload("fx-raw", size=8 * MIB)
        save("glance_image_raw_central.json", raw)
        call("POST", f"/v2/images/{raw['id']}/import", (202,),
             body={"method": {"name": "copy-image"}, "stores": edges, "all_stores_must_succeed": False})
        importing = wait(raw["id"], lambda i: i.get("os_glance_import_task") and i.get("os_glance_importing_to_stores"),
                         interval=0.02)
        save("glance_image_raw_importing.json", importing)
        distributed = wait(raw["id"], lambda i: not i.get("os_glance_import_task"))
        assert set(distributed["stores"].split(",")) == set(lab.sites), distributed
        save("glance_image_raw_distributed.json", distributed)

        save("glance_image_qcow2_central.json", upload("fx-qcow2", disk_format="qcow2"))
        save("glance_image_raw_dcn0_only.json", upload("fx-raw-dcn0", store=edges[0]))

        queued = call("POST", "/v2/images", (201,), body={"name": "fx-queued", "disk_format": "raw",
                                                          "container_format": "bare"})
        created.append(queued["id"])
        save("glance_image_queued.json", call("GET", f"/v2/images/{queued['id']}", (200,)))

        for copy_number in (1, 2):
            image = call("POST", "/v2/images", (201,), body={"name": "fx-dup", "disk_format": "raw",
                                                             "container_format": "bare",
                                                             "fx_copy": str(copy_number)})
            created.append(image["id"])
        save("glance_images_named_dup.json", call("GET", "/v2/images?name=fx-dup", (200,)))

        # A copy that fails: the source data is removed from central's pool behind Glance's back.
        broken = upload("fx-broken")
        host = lab.ceph_host("central")
        for argv in (["snap", "unprotect", f"images/{broken['id']}@snap"], ["snap", "purge", f"images/{broken['id']}"],
                     ["rm", f"images/{broken['id']}"]):
            lab.exec(host, ["rbd", "--cluster", "central", *argv], check=True)
        call("POST", f"/v2/images/{broken['id']}/import", (202,),
             body={"method": {"name": "copy-image"}, "stores": edges, "all_stores_must_succeed": False})
        failed = wait(broken["id"], lambda i: not i.get("os_glance_import_task"))
        save("glance_image_failed.json", failed)
        save("glance_image_failed_tasks.json", call("GET", f"/v2/images/{broken['id']}/tasks", (200,)))
    finally:
        for image_id in created:
            lab.glance(base, "DELETE", f"/v2/images/{image_id}", token=token)

    for name, data in written.items():
        text = json.dumps(data, indent=2, sort_keys=True) + "\n"
        assert token not in text, f"{name} holds the token"
        (OUT / name).write_text(text)
        print(f"wrote {OUT / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
