# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A site's Glance API never goes dark, and a lost edge never stalls or darkens the rest.

Each test polls central's VIP every 0.25 s with an authenticated image list
while something happens, and reports the share of requests that succeeded
and the longest gap between two successful ones:

- a store change at central rolls the glance-api hosts one at a time;
- an edge cluster down (its monitor stopped, its host up) during a store
  change at central and during a distribution to every edge store;
- the host holding central's VIP lost (its interface down): the VIP moves
  to the other HAProxy host, and does not move back when it returns;
- the shared HAProxy: the lab's own Keystone proxy still answers through it,
  and the statistics page works without its password reaching any output;
- an edge host's interface cut in the middle of each play: the run ends
  within a bound and the other sites converge.

These tests change the lab (a monitor stopped, links cut), so they run with
the lab-changing group, and each leaves the lab converged.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
import uuid

import pytest
import yaml

from _vip import Poller, http, wait_until
from conftest import LAB, REPO, playbook_env, run_playbook

SITE = REPO / "playbooks" / "site.yml"
HAPROXY = REPO / "playbooks" / "haproxy.yml"
DISTRIBUTE = REPO / "playbooks" / "distribute_images.yml"
# What the availability standard asks of every measured run.
MIN_SUCCESS = 0.98
MAX_GAP = 1.0
# A run with a lost edge host ends within this many seconds (SSH keepalives
# give a lost host up after about 15 s; every wait on a cluster is bounded).
CUT_BOUND = 420


def run_with(lab, tmp_path, overlay=None, playbook=SITE, **kw):
    """Run a playbook on the lab, with an extra inventory overlay ({group: vars})."""
    args = list(lab.inventory_args)
    if overlay:
        path = tmp_path / f"overlay-{uuid.uuid4().hex[:8]}.yml"
        path.write_text(yaml.safe_dump({"all": {"children": {g: {"vars": v} for g, v in overlay.items()}}}))
        args += ["-i", str(path)]
    return run_playbook(playbook, args, **kw)


def polled(lab, token, action, site="central", settle=2.0):
    """Run action() while polling the site's VIP; return (action's result, seconds, poller)."""
    poller = Poller(lab.vip(site), token=token, interval=0.25, duration=None, max_duration=1500)
    poller.start()
    try:
        time.sleep(settle)
        t0 = time.monotonic()
        result = action()
        elapsed = time.monotonic() - t0
        time.sleep(settle)
    finally:
        poller.stop()
    return result, elapsed, poller


def assert_available(poller, what, max_gap=MAX_GAP):
    """At least 98% of the requests succeeded, and no outage (failed requests in a row) was
    longer than max_gap. The wait between two answers is printed too: on a loaded 2-core
    machine a slow answer (a cold token cache behind a newly enabled server) can exceed a
    second without any request failing."""
    ok, total = poller.summary("images")[:2]
    print(f"\n{what}: {poller.report('images')}")
    assert total > 0
    assert ok / total >= MIN_SUCCESS, poller.report("images")
    if max_gap is not None:
        assert poller.longest_outage("images") <= max_gap, poller.report("images")


def glance_pids(lab, host) -> set:
    proc = lab.exec(host, ["sh", "-c", "exec pgrep --ns $$ --nslist net -f glance-api"])
    return set(proc.stdout.split())


def vip_holders(lab, site="central") -> list:
    vip = lab.status["sites_vip"][site]
    return [h for h in lab.hosts_with("haproxy", site)
            if f" {vip}/" in lab.exec(h, ["ip", "-o", "addr", "show", "dev", "eth0"]).stdout]


def set_link(lab, host, state):
    # Inside the host, through the lab (a second lab instance names its namespaces differently).
    lab.exec(host, ["ip", "link", "set", "eth0", state], check=True)


def restore_lab(lab):
    proc = subprocess.run(["python3", str(LAB), "up"], capture_output=True, text=True, timeout=900, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]


@pytest.fixture(scope="module")
def token(lab):
    return lab.token()


@pytest.fixture(scope="module")
def converged(lab):
    result = run_playbook(SITE, lab.inventory_args, timeout=1500)
    assert result.rc == 0, result.stdout[-6000:] + result.stderr[-3000:]
    return result


CHUNK_16 = {"central": {"edgestack_glance_stores": [{"id": "dcn0", "options": {"rbd_store_chunk_size": 16}}]}}


def test_a_store_change_at_central_restarts_one_glance_api_at_a_time(lab, converged, token, tmp_path):
    central = lab.glance_hosts("central")
    before = {h: glance_pids(lab, h) for h in central}
    result, elapsed, poller = polled(lab, token, lambda: run_with(lab, tmp_path, CHUNK_16, timeout=1500))
    assert result.rc == 0, result.stdout[-6000:]
    for host in central:
        assert glance_pids(lab, host) and not glance_pids(lab, host) & before[host], f"{host} was not restarted"
    conf = lab.exec(central[0], ["cat", "/etc/glance/glance-api.conf"], check=True).stdout
    assert "rbd_store_chunk_size = 16" in conf
    assert_available(poller, f"store change at central ({elapsed:.0f}s)")
    # and back, rolling again
    result, elapsed, poller = polled(lab, token, lambda: run_playbook(SITE, lab.inventory_args, timeout=1500))
    assert result.rc == 0, result.stdout[-6000:]
    assert_available(poller, f"store change reverted ({elapsed:.0f}s)")
    # nothing left to restart
    again = run_playbook(SITE, lab.inventory_args, timeout=1500)
    assert again.rc == 0 and again.changed == 0, again.stats


def upload_image(lab, token, name, size=1 << 20):
    status, image = lab.glance(lab.vip("central"), "POST", "/v2/images", token=token,
                               body={"name": name, "disk_format": "raw", "container_format": "bare"})
    assert status == 201, image
    status = lab.glance(lab.vip("central"), "PUT", f"/v2/images/{image['id']}/file", token=token,
                        data=uuid.uuid4().bytes * (size // 16),
                        headers={"Content-Type": "application/octet-stream"})[0]
    assert status == 204
    wait_until(f"image {name} active", lambda: lab.glance(lab.vip("central"), "GET", f"/v2/images/{image['id']}",
                                                          token=token)[1]["status"] == "active", 120)
    return image["id"]


def test_an_edge_cluster_down_costs_central_nothing(lab, converged, token, tmp_path):
    edge = sorted(s for s in lab.sites if s != "central")[-1]
    up = [s for s in lab.sites if s not in ("central", edge)]
    image = upload_image(lab, token, f"it-avail-{uuid.uuid4().hex[:6]}")
    lab.exec(lab.ceph_host(edge), ["pkill", "-TERM", "-f", f"ceph-mon --cluster {edge}"], check=True)
    try:
        result, elapsed, poller = polled(
            lab, token, lambda: run_with(lab, tmp_path, CHUNK_16, env={"ANSIBLE_STDOUT_CALLBACK": "default"},
                                         timeout=1500))
        print(f"\nsite.yml with {edge}'s monitor stopped and a store change at central: {elapsed:.0f}s, rc={result.rc}")
        assert result.rc != 0
        assert f"{edge} (edge): INCOMPLETE" in result.stdout
        assert "central (central): ok" in result.stdout
        assert elapsed < CUT_BOUND
        assert_available(poller, f"store change at central with {edge}'s cluster down ({elapsed:.0f}s)")

        env = {"OS_CLIENT_CONFIG_FILE": lab.clouds_yaml}
        result, elapsed, poller = polled(
            lab, token, lambda: run_playbook(DISTRIBUTE, lab.inventory_args, env=env, timeout=900, extra_vars={
                "glance_images": [image], "glance_cloud": "lab-central", "glance_distribution_timeout": 300}))
        print(f"\ndistribution to every edge store with {edge}'s cluster down: {elapsed:.0f}s, rc={result.rc}")
        assert result.rc != 0
        messages = " ".join(str(r.get("msg", "")) for t in result.tasks or [] for r in t["hosts"].values())
        assert f"Not copied to {edge}" in messages, messages[-3000:]
        assert elapsed < CUT_BOUND
        status, info = lab.glance(lab.vip("central"), "GET", f"/v2/images/{image}", token=token)
        stores = set(info["stores"].split(","))
        assert set(up) <= stores and edge not in stores, stores
        assert_available(poller, f"distribution with {edge}'s cluster down ({elapsed:.0f}s)")
    finally:
        restore_lab(lab)
    again = run_playbook(SITE, lab.inventory_args, timeout=1500)
    assert again.rc == 0, again.stdout[-4000:]
    lab.glance(lab.vip("central"), "DELETE", f"/v2/images/{image}", token=token)


def test_the_vip_moves_when_its_holder_is_lost_and_stays_when_it_returns(lab, converged, token):
    lbs = lab.hosts_with("haproxy", "central")
    if len(lbs) < 2:
        pytest.skip("central has a single HAProxy host")
    keystone_host = lab.hosts_with("keystone")[0]
    holder = vip_holders(lab)
    assert len(holder) == 1, holder
    if holder[0] == keystone_host:
        # The lab's Keystone lives on one HAProxy host; losing that host would also lose
        # Keystone (Glance validates tokens there). Move the VIP off it first: a
        # keepalived restart gives it up, and it comes back as backup (no preemption).
        lab.exec(keystone_host, ["sh", "-c", "service keepalived stop; while [ -e /run/keepalived.pid ]; "
                                             "do sleep 0.2; done; service keepalived start"], check=True)
        wait_until("the VIP on the other HAProxy host",
                   lambda: vip_holders(lab) and vip_holders(lab)[0] != keystone_host, 30)
        time.sleep(3)
        assert vip_holders(lab) != [keystone_host], "a returning node took the VIP back"
    lost = vip_holders(lab)[0]
    other = next(h for h in lbs if h != lost)

    def lose_and_return():
        set_link(lab, lost, "down")
        try:
            t0 = time.monotonic()
            wait_until(f"the VIP on {other}", lambda: other in vip_holders(lab), 30, interval=0.1)
            moved = time.monotonic() - t0
            time.sleep(30)
        finally:
            set_link(lab, lost, "up")
        time.sleep(20)
        return moved

    poller = Poller(lab.vip("central"), token=token, interval=0.25, duration=60, max_duration=120)
    poller.start()
    time.sleep(3)
    moved = lose_and_return()
    poller.join(timeout=120)
    print(f"\nVIP moved from {lost} to {other} within {moved:.1f}s (upper bound: includes the checks' own time)")
    assert vip_holders(lab) == [other], "the VIP moved back when its old holder returned"
    # A failover costs the requests in flight when the holder is lost and about
    # three advertisements (0.75 s here): the share of successes is the measure.
    assert_available(poller, f"{lost} lost for 30 s", max_gap=None)


def test_the_shared_haproxy_keeps_what_the_collection_did_not_write(lab, converged, tmp_path):
    port = yaml.safe_load((REPO / "lab" / "topology.yml").read_text())["central"].get("keystone_proxy_port")
    if not port:
        pytest.skip("the lab's central HAProxy fronts no other service")
    vip = lab.status["sites_vip"]["central"]
    assert http("GET", f"http://{vip}:{port}/v3")[0] == 200
    for lb in lab.hosts_with("haproxy", "central"):
        cfg = lab.exec(lb, ["cat", "/etc/haproxy/haproxy.cfg"], check=True).stdout
        assert cfg.startswith("# lab: the shared HAProxy")
        assert "frontend keystone_front" in cfg and "backend keystone_api" in cfg
        assert cfg.count("# BEGIN edgestack.glance_ceph haproxy_glance") == 1
    again = run_playbook(HAPROXY, lab.inventory_args, timeout=600)
    assert again.rc == 0 and again.changed == 0, again.stats
    # exclusive mode would replace the lab's proxies: refused, nothing changes
    lbs = lab.hosts_with("haproxy", "central")
    before = {lb: lab.exec(lb, ["sh", "-c", "sha256sum /etc/haproxy/haproxy.cfg; cat /run/haproxy.pid"],
                           check=True).stdout for lb in lbs}
    refused = run_with(lab, tmp_path, {"central": {"edgestack_glance_haproxy_mode": "exclusive"}},
                       playbook=HAPROXY, env={"ANSIBLE_STDOUT_CALLBACK": "default"}, timeout=600)
    assert refused.rc != 0
    assert "defines proxies this role did not write" in refused.stdout, refused.stdout[-3000:]
    assert "edgestack_glance_haproxy_mode: shared" in refused.stdout
    assert {lb: lab.exec(lb, ["sh", "-c", "sha256sum /etc/haproxy/haproxy.cfg; cat /run/haproxy.pid"],
                         check=True).stdout for lb in lbs} == before


def test_the_statistics_page_needs_its_password_which_no_output_shows(lab, converged, tmp_path):
    password = "st-" + uuid.uuid4().hex[:12]
    lb = lab.hosts_with("haproxy", "central")[0]
    address = lab.address(lb)
    overlay = {"central": {"edgestack_glance_haproxy_stats_enabled": True,
                           "edgestack_glance_haproxy_stats_password": password}}
    result = run_with(lab, tmp_path, overlay, playbook=HAPROXY, verbosity=3, timeout=600)
    try:
        assert result.rc == 0, result.stdout[-4000:]
        assert password not in result.stdout + result.stderr
        for host in lab.hosts_with("haproxy", "central"):
            assert password not in lab.exec(host, ["cat", "/etc/haproxy/haproxy.cfg"], check=True).stdout
        url = f"http://{address}:8404/;csv"
        try:
            http("GET", url)
            raise AssertionError("the statistics page answered without a password")
        except Exception as exc:  # pylint: disable=broad-except
            assert "401" in str(exc), exc
        import base64  # pylint: disable=import-outside-toplevel
        auth = base64.b64encode(f"admin:{password}".encode()).decode()
        status, body = http("GET", url, headers={"Authorization": f"Basic {auth}"})
        assert status == 200 and b"glance_api" in body
        twice = run_with(lab, tmp_path, overlay, playbook=HAPROXY, timeout=600)
        assert twice.rc == 0 and twice.changed == 0, twice.stats
    finally:
        off = run_playbook(HAPROXY, lab.inventory_args, timeout=600)
        assert off.rc == 0, off.stdout[-3000:]


#: The line of site.yml's output at which the edge host is cut, for each play: the play's banner,
#: or for the verify play, whose one task ends within a second, the last step of the play before
#: it (a record made on the controller), so that the cut is in place as the verify play starts.
PLAYS = {
    "ceph": "PLAY [Converge each site's pools and CephX clients]",
    "haproxy": "PLAY [HAProxy for every site's Glance API]",
    "glance": "PLAY [Glance multistore on every site's Glance API hosts]",
    "verify": "TASK [Record on each host still in the play that this stage converged, as edgestack_glance_converged]",
}


@pytest.mark.parametrize("play", list(PLAYS))
def test_an_edge_host_cut_in_the_middle_of_a_play_costs_the_others_nothing(lab, converged, play):
    edge = sorted(s for s in lab.sites if s != "central")[-1]
    host = lab.hosts_with("glance", edge)[0]
    argv = ["ansible-playbook", str(SITE), *lab.inventory_args]
    env = {**playbook_env(), "ANSIBLE_STDOUT_CALLBACK": "default"}
    # A session of its own: the run (its workers and connections) is held still while the link goes down.
    proc = subprocess.Popen(argv, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    lines, cut_at = [], []

    def read():
        for line in proc.stdout:
            lines.append(line)
            if not cut_at and line.startswith(PLAYS[play]):
                # A no-change play can end within a second: the run waits for the cut, which then
                # comes as the play starts, whatever the machine's speed.
                cut_at.append(time.monotonic())
                os.killpg(proc.pid, signal.SIGSTOP)
                try:
                    set_link(lab, host, "down")
                finally:
                    os.killpg(proc.pid, signal.SIGCONT)

    reader = threading.Thread(target=read, daemon=True)
    t0 = time.monotonic()
    reader.start()
    try:
        rc = proc.wait(timeout=CUT_BOUND + 300)
        reader.join(timeout=30)
    finally:
        set_link(lab, host, "up")
        if proc.poll() is None:
            proc.kill()
    elapsed = time.monotonic() - t0
    out = "".join(lines)
    assert cut_at, f"the play never started: {out[-3000:]}"
    print(f"\n{host} cut {cut_at[0] - t0:.0f}s into the run ({play} play): the run ended after {elapsed:.0f}s, rc={rc}")
    assert elapsed < CUT_BOUND, out[-4000:]
    assert rc != 0
    assert f"{edge} (edge): INCOMPLETE" in out, out[-4000:]
    assert "central (central): ok" in out, out[-4000:]
    for other in lab.sites:
        if other not in (edge, "central"):
            assert f"{other} (edge): ok" in out, out[-4000:]


def test_the_lab_converges_again_after_the_cuts(lab, converged):
    # each cut run above starts from what the previous one left: the link is back
    result = run_playbook(SITE, lab.inventory_args, timeout=1500)
    assert result.rc == 0, result.stdout[-4000:]
