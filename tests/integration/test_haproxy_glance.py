# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The haproxy_glance role: HAProxy in front of each site's Glance API.

Without the lab: the template rendered on the controller and checked by
`haproxy -c`, the role's input checks, and a configuration that `haproxy -c`
rejects never reaching its destination.

On the lab: image list and upload through each site's HAProxy address, a
killed central glance-api under a polling client, a rolling restart of
central's glance-api under a polling client, a configuration change reloaded
under a polling client, an invalid variable that leaves the live
configuration and process alone, and a second run that changes nothing.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import pytest
import yaml

from _vip import Poller, http, wait_until
from conftest import REPO, run_playbook

HERE = Path(__file__).resolve().parent
SITE_PLAYBOOK = HERE / "playbooks" / "haproxy_site.yml"
RENDER_PLAYBOOK = HERE / "playbooks" / "haproxy_render.yml"
ROLLING_RESTART_PLAYBOOK = REPO / "playbooks" / "glance_rolling_restart.yml"

CONFIG = "/etc/haproxy/haproxy.cfg"
PIDFILE = "/run/haproxy.pid"
SOCKET = "/run/haproxy/admin.sock"
BACKEND = "glance_api"
ROLE = "edgestack.glance_ceph.haproxy_glance"
TEMPLATE_TASK = f"{ROLE} : Write the HAProxy configuration once haproxy -c accepts it"
BLOCK_TASK = f"{ROLE} : Write the Glance proxies into the shared HAProxy configuration once haproxy -c accepts it"
RELOAD_HANDLER = f"{ROLE} : Reload HAProxy gracefully"

# Read `show stat` from the runtime API, inside a lab host.
SHOW_STAT = (
    "import socket, sys\n"
    "s = socket.socket(socket.AF_UNIX)\n"
    "s.settimeout(5)\n"
    f"s.connect({SOCKET!r})\n"
    "s.sendall(b'show stat\\n')\n"
    "out = b''\n"
    "while True:\n"
    "    b = s.recv(65536)\n"
    "    if not b:\n"
    "        break\n"
    "    out += b\n"
    "sys.stdout.write(out.decode())\n"
)


# --------------------------------------------------------------- without lab


def render(tmp_path: Path, **extra) -> tuple:
    """Run the role's checks and template on the controller; return (result, rendered path)."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    dest = tmp_path / "haproxy.cfg"
    extra_vars = {
        "haproxy_glance_frontend_address": "192.0.2.9",
        "haproxy_glance_backends": [
            {"name": "central-glance0", "address": "192.0.2.11"},
            {"name": "central-glance1", "address": "2001:db8::12", "port": 9393},
            {"name": "glance2", "address": "localhost"},
        ],
        "haproxy_glance_test_dest": str(dest),
        **extra,
    }
    result = run_playbook(RENDER_PLAYBOOK, ["-i", "localhost,"], extra_vars=extra_vars, timeout=300)
    return result, dest


def failure_messages(result) -> str:
    msgs = []
    for task in result.tasks or []:
        for res in task["hosts"].values():
            if res.get("failed"):
                msgs += [str(res.get("msg", "")), str(res.get("stderr", ""))]
                msgs += [str(r.get("msg", "")) for r in res.get("results", []) if r.get("failed")]
    return "\n".join(msgs) + result.stderr


needs_haproxy = pytest.mark.skipif(shutil.which("haproxy") is None, reason="haproxy is not installed here")


@needs_haproxy
def test_rendered_configuration_passes_haproxy_check(tmp_path):
    result, dest = render(tmp_path)
    assert result.rc == 0, result.stdout[-4000:] + result.stderr
    cfg = dest.read_text()
    for line in [
        "stats socket /run/haproxy/admin.sock mode 660 level admin expose-fd listeners",
        "bind 192.0.2.9:9292",
        "option forwardfor",
        "balance source",
        "option httpchk GET /healthcheck",
        "http-check expect status 200",
        "default-server check inter 2000 rise 2 fall 5 observe layer4 error-limit 1 on-error mark-down",
        "option redispatch 1",
        "retry-on conn-failure empty-response junk-response",
        "http-request disable-l7-retry unless METH_GET || METH_HEAD",
        "timeout client 10m",
        "timeout server 10m",
        "server central-glance0 192.0.2.11:9292",
        "server central-glance1 [2001:db8::12]:9393",
        "server glance2 localhost:9292",
    ]:
        assert f"    {line}\n" in cfg, line
    assert " ssl crt " not in cfg and " ssl verify " not in cfg
    subprocess.run(["haproxy", "-c", "-q", "-f", str(dest)], check=True)


@needs_haproxy
def test_fast_mark_down_and_read_retries_can_be_turned_off(tmp_path):
    result, dest = render(tmp_path, haproxy_glance_observe_layer4=False, haproxy_glance_retry_reads=False)
    assert result.rc == 0, result.stdout[-4000:] + result.stderr
    cfg = dest.read_text()
    assert "observe layer4" not in cfg and "retry-on" not in cfg and "disable-l7-retry" not in cfg
    assert "    default-server check inter 2000 rise 2 fall 5\n" in cfg


@needs_haproxy
@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed here")
def test_tls_on_both_sides(tmp_path):
    key, crt, bundle = tmp_path / "key.pem", tmp_path / "crt.pem", tmp_path / "bundle.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
                    "/CN=glance.example.test", "-keyout", str(key), "-out", str(crt)],
                   check=True, capture_output=True)
    bundle.write_text(crt.read_text() + key.read_text())
    result, dest = render(tmp_path, haproxy_glance_tls_cert=str(bundle), haproxy_glance_backend_tls=True,
                          haproxy_glance_backend_tls_ca_file=str(crt))
    assert result.rc == 0, result.stdout[-4000:] + result.stderr
    cfg = dest.read_text()
    assert f"    bind 192.0.2.9:9292 ssl crt {bundle}\n" in cfg
    assert f"on-error mark-down ssl verify required ca-file {crt}\n" in cfg
    assert "http-request set-header X-Forwarded-Proto https if { ssl_fc }" in cfg


@needs_haproxy
def test_the_order_of_the_backends_does_not_change_the_file(tmp_path):
    backends = [{"name": f"glance{i}", "address": f"192.0.2.{20 + i}"} for i in range(4)]
    first, dest = render(tmp_path / "a", haproxy_glance_backends=backends)
    second, other = render(tmp_path / "b", haproxy_glance_backends=backends[::-1])
    assert first.rc == 0 and second.rc == 0
    assert dest.read_text() == other.read_text()


@pytest.mark.parametrize("extra, names", [
    ({"haproxy_glance_backends": []}, "haproxy_glance_backends"),
    ({"haproxy_glance_backends": [{"name": "a", "address": "192.0.2.11"},
                                  {"name": "a", "address": "192.0.2.12"}]}, "haproxy_glance_backends"),
    ({"haproxy_glance_backends": [{"name": "a", "address": "192.0.2.11"},
                                  {"name": "b", "address": "192.0.2.11", "port": 9292}]}, "haproxy_glance_backends"),
    ({"haproxy_glance_backends": [{"name": "a", "address": "192.0.2.9"}]}, "haproxy_glance_backends"),
    ({"haproxy_glance_backends": [{"name": "a b", "address": "192.0.2.11"}]}, "haproxy_glance_backends entry a b"),
    ({"haproxy_glance_backends": [{"name": "a", "address": "192.0.2.311"}]}, "haproxy_glance_backends entry a"),
    ({"haproxy_glance_backends": [{"name": "a", "address": "192.0.2.11", "port": 0}]}, "haproxy_glance_backends entry a"),
    ({"haproxy_glance_frontend_address": "glance.example.test"}, "haproxy_glance_frontend_address"),
    ({"haproxy_glance_frontend_port": 70000}, "haproxy_glance_frontend_port"),
    ({"haproxy_glance_timeout_client": "10 minutes"}, "haproxy_glance_timeout_"),
    ({"haproxy_glance_check_path": "healthcheck"}, "haproxy_glance_check_path"),
    ({"haproxy_glance_tls_cert": "server.pem"}, "haproxy_glance_tls_cert"),
])
def test_invalid_inputs_are_refused_before_anything_is_written(tmp_path, extra, names):
    result, dest = render(tmp_path, **extra)
    assert result.rc != 0
    assert names in failure_messages(result)
    assert not dest.exists()


@needs_haproxy
def test_a_configuration_haproxy_rejects_is_not_written(tmp_path):
    result, dest = render(tmp_path, haproxy_glance_balance="sourcehash")
    assert result.rc != 0
    msgs = failure_messages(result)
    assert "failed to validate" in msgs and "balance only supports" in msgs
    assert not dest.exists()


# ------------------------------------------------------------------ lab helpers


def sites_of(lab) -> dict:
    """site -> {vip, port, haproxy: [hosts], glance: [hosts]} from the lab inventory."""
    out = {}
    for path in lab.status["inventory"]:
        children = yaml.safe_load((Path(path) / "hosts.yml").read_text())["all"]["children"]
        for site, group in children.items():
            if "edgestack_site" not in group.get("vars", {}):
                continue
            members = set(group["hosts"])
            out[site] = {
                "vip": group["vars"]["edgestack_glance_vip"],
                "port": group["vars"].get("edgestack_glance_port", 9292),
                "haproxy": sorted(members & set(children["glance_haproxy"]["hosts"])),
                "glance": sorted(members & set(children["glance_api"]["hosts"])),
                "mode": group["vars"].get("edgestack_glance_haproxy_mode", "exclusive"),
            }
    return out


def show_stat(lab, host) -> dict:
    """(backend, server) -> row of HAProxy's `show stat` on a lab host."""
    out = lab.exec(host, ["python3", "-c", SHOW_STAT], check=True, timeout=30).stdout
    rows = csv.DictReader(io.StringIO(out.lstrip("# ")))
    return {(r["pxname"], r["svname"]): r for r in rows if r.get("pxname")}


def server_status(lab, host, server) -> str:
    return show_stat(lab, host)[(BACKEND, server)]["status"]


def vip_holder(lab, site) -> str:
    """The site's HAProxy host that holds its VIP."""
    holders = [lb for lb in site["haproxy"]
               if f" {site['vip']}/" in lab.exec(lb, ["ip", "-o", "addr", "show", "dev", "eth0"]).stdout]
    assert len(holders) == 1, holders
    return holders[0]


def haproxy_pid(lab, host) -> str:
    return lab.exec(host, ["cat", PIDFILE], check=True).stdout.strip()


def config_sha256(lab, host) -> str:
    return lab.exec(host, ["sha256sum", CONFIG], check=True).stdout.split()[0]


def glance_pids(lab, host) -> set:
    """glance-api processes of this lab host only (its network namespace)."""
    proc = lab.exec(host, ["sh", "-c", "exec pgrep --ns $$ --nslist net -f glance-api"])
    return set(proc.stdout.split())


def all_servers_up(lab, site):
    return all(server_status(lab, lb, g) == "UP" for lb in site["haproxy"] for g in site["glance"])


# ------------------------------------------------------------------ on the lab


@pytest.fixture(scope="module")
def sites(lab):
    return sites_of(lab)


@pytest.fixture(scope="module")
def deployed(lab, sites):
    result = run_playbook(SITE_PLAYBOOK, lab.inventory_args, timeout=900)
    assert result.rc == 0, result.stdout[-6000:] + result.stderr[-3000:]
    for name, site in sites.items():
        wait_until(f"{name}'s glance-api servers UP in HAProxy", lambda s=site: all_servers_up(lab, s), 60)
    return result


@pytest.fixture(scope="module")
def token(lab):
    return lab.token()


def test_every_site_gets_its_frontend_and_backends(lab, sites, deployed):
    for name, site in sites.items():
        for lb in site["haproxy"]:
            cfg = lab.exec(lb, ["cat", CONFIG], check=True).stdout
            moving_vip = " transparent" if len(site["haproxy"]) > 1 else ""
            assert f"    bind {site['vip']}:{site['port']}{moving_vip}\n" in cfg, (lb, cfg)
            for g in site["glance"]:
                assert f"    server {g} {lab.address(g)}:{site['port']}\n" in cfg, (lb, g)
            assert lab.exec(lb, ["service", "haproxy", "status"]).returncode == 0
            mode = lab.exec(lb, ["stat", "-c", "%U:%G %a", CONFIG], check=True).stdout.strip()
            if site["mode"] == "exclusive":
                assert mode == "root:haproxy 640"
            else:
                # shared: the file keeps the owner and mode it had; never world-readable
                assert mode.endswith("640") or mode.endswith("600"), mode
            stats = show_stat(lab, lb)
            assert {sv for (px, sv) in stats if px == BACKEND} == set(site["glance"]) | {"BACKEND"}


def test_image_list_and_upload_through_each_site_vip(lab, sites, deployed, token):
    for name, site in sites.items():
        base = f"http://{site['vip']}:{site['port']}"
        status, body = http("GET", base + "/v2/images", token)
        assert status == 200 and "images" in json.loads(body), name
        data = os.urandom(1024 * 1024)
        meta = json.dumps({"name": f"haproxy-glance-{name}-{uuid.uuid4().hex[:8]}", "disk_format": "raw",
                           "container_format": "bare"}).encode()
        status, body = http("POST", base + "/v2/images", token, meta, {"Content-Type": "application/json"})
        assert status == 201, name
        image = json.loads(body)["id"]
        try:
            status = http("PUT", f"{base}/v2/images/{image}/file", token, data,
                          {"Content-Type": "application/octet-stream"}, timeout=60)[0]
            assert status == 204, name
            body = http("GET", f"{base}/v2/images/{image}", token)[1]
            info = json.loads(body)
            assert info["status"] == "active", (name, info)
            assert info["checksum"] == hashlib.md5(data).hexdigest()
            assert info["size"] == len(data)
        finally:
            http("DELETE", f"{base}/v2/images/{image}", token)


def test_killing_the_serving_central_glance_api_fails_at_most_2_percent(lab, sites, deployed, token):
    central = sites["central"]
    # The HAProxy host that holds the VIP (keepalived) serves the requests.
    lb = vip_holder(lab, central)
    base = f"http://{central['vip']}:{central['port']}"
    assert len(central["glance"]) >= 2
    # The server that `balance source` gives this controller: kill that one.
    before = show_stat(lab, lb)
    for _attempt in range(5):
        http("GET", base + "/healthcheck")
    after = show_stat(lab, lb)
    victim = max(central["glance"], key=lambda g: int(after[(BACKEND, g)]["stot"]) - int(before[(BACKEND, g)]["stot"]))
    assert int(after[(BACKEND, victim)]["stot"]) - int(before[(BACKEND, victim)]["stot"]) >= 5
    poller = Poller(base, token=token, interval=0.25, duration=20)
    poller.start()
    try:
        time.sleep(4)
        killed = lab.exec(victim, ["sh", "-c", "exec pkill -KILL --ns $$ --nslist net -f glance-api"])
        assert killed.returncode == 0, killed.stderr
        poller.join(timeout=60)
    finally:
        poller.stop()
        lab.exec(victim, ["service", "glance-api", "start"])
        wait_until(f"{victim} UP again in HAProxy", lambda: server_status(lab, lb, victim) == "UP", 90)
    ok, total, failures = poller.summary()
    hc_ok, hc_total = poller.summary("healthcheck")[:2]
    img_ok, img_total = poller.summary("images")[:2]
    print(f"\nFAILOVER victim={victim} healthcheck {hc_ok}/{hc_total} images {img_ok}/{img_total} "
          f"all {ok}/{total} = {ok / total:.1%} failures={failures}")
    assert hc_total >= 70, hc_total
    assert ok / total >= 0.98, failures


def test_rolling_restart_of_central_fails_no_request(lab, sites, deployed, token):
    central = sites["central"]
    base = f"http://{central['vip']}:{central['port']}"
    pids_before = {g: glance_pids(lab, g) for g in central["glance"]}
    poller = Poller(base, token=token, interval=0.25, duration=None, max_duration=600)
    poller.start()
    try:
        time.sleep(2)
        t0 = time.monotonic()
        result = run_playbook(ROLLING_RESTART_PLAYBOOK, lab.inventory_args, limit="central", timeout=600)
        elapsed = time.monotonic() - t0
        time.sleep(2)
    finally:
        poller.stop()
    assert result.rc == 0, result.stdout[-6000:] + result.stderr[-3000:]
    ok, total, failures = poller.summary()
    print(f"\nROLLING RESTART {elapsed:.1f}s: {ok}/{total} requests succeeded, failures={failures}")
    for g in central["glance"]:
        after = glance_pids(lab, g)
        assert after and not (after & pids_before[g]), f"glance-api on {g} was not restarted"
    assert all_servers_up(lab, central)
    assert total >= 4 * elapsed * 0.5
    assert failures == []


def test_a_single_glance_api_site_is_not_restarted_without_consent(lab, sites, deployed):
    edge = next((n for n, s in sites.items() if len(s["glance"]) == 1), None)
    if edge is None:
        pytest.skip("no site with a single glance-api")
    pids = glance_pids(lab, sites[edge]["glance"][0])
    result = run_playbook(ROLLING_RESTART_PLAYBOOK, lab.inventory_args, limit=edge, timeout=300)
    assert result.rc != 0
    assert "haproxy_glance_rolling_restart_allow_outage" in failure_messages(result)
    assert glance_pids(lab, sites[edge]["glance"][0]) == pids


def test_a_configuration_change_reloads_without_failing_a_request(lab, sites, deployed, token):
    central = sites["central"]
    lb = central["haproxy"][0]
    pid = haproxy_pid(lab, lb)
    poller = Poller(f"http://{central['vip']}:{central['port']}", token=token, duration=None, max_duration=300)
    poller.start()
    try:
        time.sleep(1)
        changed = run_playbook(SITE_PLAYBOOK, lab.inventory_args, limit=lb,
                               extra_vars={"haproxy_glance_timeout_queue": "2m"}, timeout=600)
        time.sleep(1)
        restored = run_playbook(SITE_PLAYBOOK, lab.inventory_args, limit=lb, timeout=600)
        time.sleep(1)
    finally:
        poller.stop()
    assert changed.rc == 0 and restored.rc == 0, changed.stdout[-4000:] + restored.stdout[-4000:]
    assert changed.task_results(RELOAD_HANDLER)[lb].get("changed")
    assert restored.task_results(RELOAD_HANDLER)[lb].get("changed")
    assert haproxy_pid(lab, lb) != pid
    ok, total, failures = poller.summary()
    print(f"\nRELOADS: {ok}/{total} requests succeeded across 2 reloads, failures={failures}")
    assert failures == []


@pytest.mark.parametrize("extra_vars", [
    {"haproxy_glance_balance": "sourcehash"},
    {"haproxy_glance_tls_cert": "/etc/hostname"},
], ids=["unknown-balance-algorithm", "certificate-not-pem"])
def test_an_invalid_variable_leaves_the_live_config_and_haproxy_alone(lab, sites, deployed, extra_vars):
    central = sites["central"]
    lb = central["haproxy"][0]
    sha, pid = config_sha256(lab, lb), haproxy_pid(lab, lb)
    result = run_playbook(SITE_PLAYBOOK, lab.inventory_args, limit=lb, extra_vars=extra_vars, timeout=600)
    assert result.rc != 0
    failed = result.task_results(TEMPLATE_TASK if central["mode"] == "exclusive" else BLOCK_TASK)[lb]
    assert failed.get("failed") and "failed to validate" in failed.get("msg", ""), failed
    assert config_sha256(lab, lb) == sha
    assert haproxy_pid(lab, lb) == pid
    assert lab.exec(lb, ["service", "haproxy", "status"]).returncode == 0
    assert http("GET", f"http://{central['vip']}:{central['port']}/healthcheck")[0] == 200


def test_a_missing_certificate_is_refused_before_anything_changes(lab, sites, deployed):
    # Whether the certificate is on the host is asked by the role's lookup, on the host.
    central = sites["central"]
    lb = central["haproxy"][0]
    sha, pid = config_sha256(lab, lb), haproxy_pid(lab, lb)
    result = run_playbook(SITE_PLAYBOOK, lab.inventory_args, limit=lb, timeout=600,
                          extra_vars={"haproxy_glance_tls_cert": "/nonexistent/glance.pem"})
    assert result.rc != 0
    failed = result.task_results(f"{ROLE} : Stop on what the live configuration or the host lacks "
                                 "(nothing was changed)")[lb]
    assert failed.get("failed"), failed
    assert "haproxy_glance_tls_cert is /nonexistent/glance.pem, which is not a file on " + lb in failed["msg"]
    assert config_sha256(lab, lb) == sha
    assert haproxy_pid(lab, lb) == pid


def test_a_second_run_changes_nothing_and_does_not_reload(lab, sites, deployed):
    lbs = [lb for s in sites.values() for lb in s["haproxy"]]
    pids = {lb: haproxy_pid(lab, lb) for lb in lbs}
    result = run_playbook(SITE_PLAYBOOK, lab.inventory_args, timeout=600)
    assert result.rc == 0, result.stdout[-4000:]
    assert result.changed == 0, result.stats
    assert {lb: haproxy_pid(lab, lb) for lb in lbs} == pids
    reloads = [t for t in result.tasks if t["task"]["name"] == RELOAD_HANDLER]
    assert all(not r.get("changed") for t in reloads for r in t["hosts"].values())
    check = run_playbook(SITE_PLAYBOOK, lab.inventory_args, check=True, diff=True, timeout=600)
    assert check.rc == 0 and check.changed == 0, check.stats
