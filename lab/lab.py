# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The edgestack.glance_ceph lab: real Ceph, Keystone and Glance hosts on one machine.

Every lab host is a network namespace (its own address on the lab bridge), a
mount namespace (its own /etc/ceph, /etc/glance, /etc/haproxy, /etc/keystone,
/var/lib/glance, /var/lib/ceph, /root, /tmp and a private /run) and a UTS
namespace (its own hostname), with an sshd that Ansible reaches.

    lab.py up [--edge-sites N]   bring the lab up (idempotent)
    lab.py status [--json]       print each host's state; exit 0 when all is up
    lab.py down                  stop everything; leave no process, mount or namespace
    lab.py exec HOST -- ARGV     run a command inside a lab host
    lab.py env                   print shell variables for the lab (credentials file ...)
"""

from __future__ import annotations

import argparse
import concurrent.futures
import ipaddress
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
# EDGESTACK_LAB_INSTANCE=N (1-3) runs a second, independent lab beside the default
# one (instance 0): its own state directory, bridge, namespaces and network 10.(251+N).0.0/24.
INSTANCE = int(os.environ.get("EDGESTACK_LAB_INSTANCE", "0"))
if not 0 <= INSTANCE <= 3:
    raise SystemExit("EDGESTACK_LAB_INSTANCE must be between 0 and 3")
_SUFFIX = str(INSTANCE) if INSTANCE else ""
STATE = Path(os.environ.get("EDGESTACK_LAB_STATE", "/var/lib/edgestack-lab" + _SUFFIX))
NS_DIR = STATE / "ns"
BRIDGE = f"eslbr{INSTANCE}"
NETNS_PREFIX = f"esl{_SUFFIX}-"
VETH_PREFIX = f"esl{_SUFFIX}"
# Directories every host gets for itself (bind mounts over the machine's own).
HOST_DIRS = {
    "/etc/ceph": ("root", 0o755, None),
    "/etc/glance": ("root", 0o755, "/etc/glance"),
    "/etc/haproxy": ("root", 0o755, "/etc/haproxy"),
    "/etc/keystone": ("root", 0o755, "/etc/keystone"),
    "/etc/keepalived": ("root", 0o755, None),
    "/var/lib/glance": ("glance", 0o755, None),
    "/var/log/glance": ("glance", 0o750, None),
    "/var/lib/ceph": ("ceph", 0o750, None),
    "/var/log/ceph": ("ceph", 0o770, None),
    "/var/lib/keystone": ("keystone", 0o750, None),
    "/var/log/keystone": ("keystone", 0o750, None),
    "/var/lib/haproxy": ("root", 0o755, None),
    "/var/lib/postgresql": ("postgres", 0o755, None),
    "/root": ("root", 0o700, None),
    "/tmp": ("root", 0o1777, None),
    "/var/tmp": ("root", 0o1777, None),
}
ENV = {
    "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "LANG": "C.UTF-8",
    "LC_ALL": "C.UTF-8",
    "HOME": "/root",
}
BUDGET_SECONDS = 120
BUDGET_RSS_MIB = 4096


class LabError(Exception):
    pass


def log(msg: str) -> None:
    print(f"[lab {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def run(argv, *, check=True, input=None, timeout=120, env=None, quiet=False):
    proc = subprocess.run(
        argv, input=input, capture_output=True, text=True, timeout=timeout, check=False,
        env=env or {**os.environ, **ENV},
    )
    if check and proc.returncode != 0:
        raise LabError(f"{' '.join(map(str, argv))} failed (rc={proc.returncode}): "
                       f"{proc.stderr.strip() or proc.stdout.strip()}")
    return proc


# --------------------------------------------------------------------- topology


class Host:
    def __init__(self, name, site, site_type, address, services, index):
        self.name = name
        self.site = site
        self.site_type = site_type
        self.address = address
        self.services = list(services)
        self.index = index

    @property
    def netns(self):
        return NETNS_PREFIX + self.name

    @property
    def root(self):
        return STATE / "hosts" / self.name


class Topology:
    def __init__(self, data, edge_sites):
        self.network = ipaddress.ip_network(data["network"])
        self.controller = data["controller"]
        self.hosts: list[Host] = []
        self.sites: dict[str, dict] = {}
        idx = 0
        self.sites["central"] = {"type": "central", "vip": data["central"]["vip"]}
        self.keystone_proxy_port = data["central"].get("keystone_proxy_port")
        for name, h in data["central"]["hosts"].items():
            self.hosts.append(Host(name, "central", "central", h["address"], h["services"], idx))
            idx += 1
        edge = data["edge"]
        first = ipaddress.ip_address(edge["first_address"])
        for n in range(edge_sites):
            site = f"dcn{n}"
            addr = first + n * edge["step"]
            self.sites[site] = {"type": "edge", "vip": str(addr + edge["vip_offset"])}
            self.hosts.append(Host(f"{site}-hci", site, "edge", str(addr), edge["services"], idx))
            idx += 1
        for host in self.hosts:
            if ipaddress.ip_address(host.address) not in self.network:
                raise LabError(f"{host.name}: {host.address} is outside {self.network}")

    def host(self, name) -> Host:
        for h in self.hosts:
            if h.name == name:
                return h
        raise LabError(f"no lab host named {name!r} (hosts: {', '.join(h.name for h in self.hosts)})")

    def site_hosts(self, site, service=None):
        return [h for h in self.hosts if h.site == site and (service is None or service in h.services)]

    def with_service(self, service):
        return [h for h in self.hosts if service in h.services]

    @property
    def keystone(self) -> Host:
        return self.with_service("keystone")[0]

    def vip_host(self, site) -> Host:
        return self.site_hosts(site, "haproxy")[0]


def load_topology(edge_sites=None) -> Topology:
    text = (HERE / "topology.yml").read_text()
    if INSTANCE:
        text = text.replace("10.251.", f"10.{251 + INSTANCE}.")
    data = yaml.safe_load(text)
    saved = STATE / "topology.json"
    if edge_sites is None:
        if saved.exists():
            edge_sites = json.loads(saved.read_text())["edge_sites"]
        else:
            edge_sites = int(os.environ.get("EDGESTACK_LAB_EDGE_SITES", data["edge_sites"]))
    if edge_sites < 0 or edge_sites > 9:
        raise LabError("--edge-sites must be between 0 and 9")
    return Topology(data, edge_sites)


# -------------------------------------------------------------- host plumbing


def nsenter(host: Host, argv):
    return ["nsenter", f"--net=/run/netns/{host.netns}", f"--mount={NS_DIR / (host.name + '.mnt')}",
            f"--uts={NS_DIR / (host.name + '.uts')}", "--wd=/", "--", *argv]


def hexec(host: Host, argv, **kw):
    return run(nsenter(host, argv), **kw)


def as_user(user, argv):
    return ["runuser", "-u", user, "--", *argv]


def is_mounted(path: Path) -> bool:
    target = str(path)
    with open("/proc/self/mountinfo") as fh:
        return any(line.split()[4] == target for line in fh)


def netns_exists(name) -> bool:
    return Path("/run/netns", name).exists()


def host_pids(host: Host) -> list[int]:
    if not netns_exists(host.netns):
        return []
    proc = run(["ip", "netns", "pids", host.netns], check=False)
    return [int(p) for p in proc.stdout.split()]


def proc_cmdline(pid) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def running(host: Host, needle: str) -> list[int]:
    return [p for p in host_pids(host) if needle in proc_cmdline(p)]


def tcp_open(address, port, timeout=0.5) -> bool:
    try:
        with socket.create_connection((address, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_for(what, predicate, timeout, interval=0.3):
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise LabError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def setup_bridge(topo: Topology):
    prefix = topo.network.prefixlen
    if not Path(f"/sys/class/net/{BRIDGE}").exists():
        run(["ip", "link", "add", BRIDGE, "type", "bridge"])
    addrs = run(["ip", "-o", "addr", "show", "dev", BRIDGE]).stdout
    if f" {topo.controller}/" not in addrs:
        run(["ip", "addr", "add", f"{topo.controller}/{prefix}", "dev", BRIDGE])
    run(["ip", "link", "set", BRIDGE, "up"])


def setup_host_network(topo: Topology, host: Host):
    prefix = topo.network.prefixlen
    if not netns_exists(host.netns):
        run(["ip", "netns", "add", host.netns])
    outer, inner = f"{VETH_PREFIX}v{host.index}", f"{VETH_PREFIX}p{host.index}"
    links = run(["ip", "netns", "exec", host.netns, "ip", "-o", "link"]).stdout
    if " eth0:" not in links and " eth0@" not in links:
        if Path(f"/sys/class/net/{outer}").exists():
            run(["ip", "link", "del", outer])
        run(["ip", "link", "add", outer, "type", "veth", "peer", "name", inner])
        run(["ip", "link", "set", inner, "netns", host.netns])
        run(["ip", "netns", "exec", host.netns, "ip", "link", "set", inner, "name", "eth0"])
        run(["ip", "link", "set", outer, "master", BRIDGE, "up"])
    addresses = [host.address]
    # A site with one HAProxy host has its VIP there; where several share it,
    # keepalived (the collection's glance_vip role) puts it on one of them.
    if "haproxy" in host.services and len(topo.site_hosts(host.site, "haproxy")) == 1:
        addresses.append(topo.sites[host.site]["vip"])
    current = run(["ip", "netns", "exec", host.netns, "ip", "-o", "addr", "show", "dev", "eth0"]).stdout
    for addr in addresses:
        if f" {addr}/" not in current:
            run(["ip", "netns", "exec", host.netns, "ip", "addr", "add", f"{addr}/{prefix}", "dev", "eth0"])
    run(["ip", "netns", "exec", host.netns, "ip", "link", "set", "lo", "up"])
    run(["ip", "netns", "exec", host.netns, "ip", "link", "set", "eth0", "up"])
    routes = run(["ip", "netns", "exec", host.netns, "ip", "route"]).stdout
    if "default" not in routes:
        run(["ip", "netns", "exec", host.netns, "ip", "route", "add", "default", "via", topo.controller])


def prepare_host_dirs(host: Host):
    for path, (owner, mode, seed) in HOST_DIRS.items():
        target = host.root / path.lstrip("/")
        if not target.exists():
            if seed and Path(seed).is_dir():
                shutil.copytree(seed, target, symlinks=True)
                copy_ownership(Path(seed), target)
            else:
                target.mkdir(parents=True)
            if not seed:
                shutil.chown(target, owner, owner)
            target.chmod(mode)


def write_host_files(topo: Topology, host: Host):
    """/etc/hosts naming every lab host, and a resolver that answers at once: lab
    hosts look up their own name (Ansible's service and package modules do) and
    must not wait on a nameserver they cannot reach."""
    lines = ["127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback"]
    lines += [f"{h.address}\t{h.name}" for h in topo.hosts]
    (host.root / "etc-hosts").write_text("\n".join(lines) + "\n")
    (host.root / "etc-resolv.conf").write_text("# lab host: no resolver; names are in /etc/hosts\n"
                                               "options timeout:1 attempts:1\n")


def copy_ownership(src: Path, dst: Path):
    for path in [src, *src.rglob("*")]:
        st = path.lstat()
        os.lchown(dst / path.relative_to(src), st.st_uid, st.st_gid)


def setup_host_mounts(host: Host):
    NS_DIR.mkdir(parents=True, exist_ok=True)
    if not is_mounted(NS_DIR):
        run(["mount", "--bind", str(NS_DIR), str(NS_DIR)])
        run(["mount", "--make-private", str(NS_DIR)])
    mnt, uts = NS_DIR / f"{host.name}.mnt", NS_DIR / f"{host.name}.uts"
    if is_mounted(mnt) and is_mounted(uts):
        return
    for f in (mnt, uts):
        if is_mounted(f):
            run(["umount", str(f)])
        f.touch()
    binds = []
    for path in HOST_DIRS:
        src = host.root / path.lstrip("/")
        binds.append(f"mount --bind {src} {path}")
    binds.append(f"mount --bind {host.root / 'etc-hosts'} /etc/hosts")
    binds.append(f"mount --bind {host.root / 'etc-resolv.conf'} /etc/resolv.conf")
    script = " && ".join([
        f"hostname {host.name}",
        *binds,
        "mount -t tmpfs -o mode=0755,size=64m lab-run /run",
        "mkdir -p /run/sshd /run/lock /run/ceph /run/glance /run/haproxy /run/keystone /run/postgresql",
        "chown postgres:postgres /run/postgresql",
        "chmod 1777 /run/lock",
        "chown ceph:ceph /run/ceph && chown glance:glance /run/glance && chown keystone:keystone /run/keystone",
    ])
    run(["unshare", f"--mount={mnt}", f"--uts={uts}", "--propagation", "private", "sh", "-c", script])


def write_ssh_material(topo: Topology):
    ssh = STATE / "ssh"
    ssh.mkdir(parents=True, exist_ok=True)
    ssh.chmod(0o700)
    key = ssh / "id_ed25519"
    if not key.exists():
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "edgestack-lab", "-f", str(key)])
    hostkey = ssh / "ssh_host_ed25519_key"
    if not hostkey.exists():
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(hostkey)])
    (ssh / "authorized_keys").write_text((ssh / "id_ed25519.pub").read_text())
    (ssh / "authorized_keys").chmod(0o600)
    (ssh / "sshd_config").write_text("\n".join([
        "Port 22",
        f"HostKey {hostkey}",
        f"AuthorizedKeysFile {ssh / 'authorized_keys'}",
        "PermitRootLogin prohibit-password",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "UsePAM no",
        "StrictModes no",
        "PidFile /run/sshd.pid",
        "MaxSessions 50",
        "MaxStartups 100:30:200",
        "UseDNS no",
        "Subsystem sftp internal-sftp",
        "",
    ]))


def start_sshd(host: Host):
    if tcp_open(host.address, 22):
        return
    hexec(host, ["/usr/sbin/sshd", "-f", str(STATE / "ssh" / "sshd_config"), "-o", f"ListenAddress={host.address}"])
    wait_for(f"sshd on {host.name}", lambda: tcp_open(host.address, 22), 15)


# ----------------------------------------------------------------------- ceph

CEPH_CONF = """[global]
fsid = {fsid}
mon_host = [v2:{ip}:3300,v1:{ip}:6789]
public_network = {network}
public_addr = {ip}
cluster_addr = {ip}
auth_cluster_required = cephx
auth_service_required = cephx
auth_client_required = cephx
auth_allow_insecure_global_id_reclaim = false
osd_pool_default_size = 1
osd_pool_default_min_size = 1
osd_crush_chooseleaf_type = 0
mon_allow_pool_size_one = true
mon_warn_on_pool_no_redundancy = false
# lab hosts share the machine's disk: warn only when it is really low
mon_data_avail_warn = 5
mon_data_avail_crit = 2
paxos_propose_interval = 0.1
osd_objectstore = memstore
memstore_device_bytes = 2147483648
osd_fast_shutdown = false
mgr_initial_modules = iostat
client_mount_timeout = 10
rados_mon_op_timeout = 20

[client]
keyring = /etc/ceph/{cluster}.$name.keyring
"""


def site_state(site) -> dict:
    path = STATE / "sites" / f"{site}.json"
    if path.exists():
        return json.loads(path.read_text())
    data = {"fsid": str(uuid.uuid4()), "osd_uuid": str(uuid.uuid4())}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))
    return data


def ceph(host: Host, *args, **kw):
    return hexec(host, ["ceph", "--cluster", host.site, "--connect-timeout", "15", *args], **kw)


def up_ceph(topo: Topology, host: Host):
    cluster, ip, mon_id = host.site, host.address, host.name
    st = site_state(cluster)
    etc = host.root / "etc/ceph"
    conf = etc / f"{cluster}.conf"
    conf.write_text(CEPH_CONF.format(fsid=st["fsid"], ip=ip, network=topo.network, cluster=cluster))
    conf.chmod(0o644)
    admin = etc / f"{cluster}.client.admin.keyring"
    libceph = host.root / "var/lib/ceph"
    mon_dir = libceph / "mon" / f"{cluster}-{mon_id}"
    if not (mon_dir / "done").exists():
        if mon_dir.exists():
            shutil.rmtree(mon_dir)
        tmp = libceph / "tmp"
        tmp.mkdir(exist_ok=True)
        monkr = f"/var/lib/ceph/tmp/{cluster}.mon.keyring"
        hexec(host, ["ceph-authtool", "--create-keyring", monkr, "--gen-key", "-n", "mon.", "--cap", "mon", "allow *"])
        if not admin.exists():
            hexec(host, ["ceph-authtool", "--create-keyring", str(Path("/etc/ceph") / admin.name), "--gen-key",
                         "-n", "client.admin", "--cap", "mon", "allow *", "--cap", "osd", "allow *",
                         "--cap", "mds", "allow *", "--cap", "mgr", "allow *"])
        admin.chmod(0o600)
        hexec(host, ["ceph-authtool", monkr, "--import-keyring", f"/etc/ceph/{admin.name}"])
        monmap = f"/var/lib/ceph/tmp/{cluster}.monmap"
        hexec(host, ["monmaptool", "--create", "--clobber", "--addv", mon_id, f"[v2:{ip}:3300,v1:{ip}:6789]",
                     "--fsid", st["fsid"], monmap])
        (mon_dir).mkdir(parents=True)
        for p in (libceph, libceph / "mon", libceph / "tmp", mon_dir, Path(str(tmp) + f"/{cluster}.mon.keyring"),
                  Path(str(tmp) + f"/{cluster}.monmap")):
            shutil.chown(p, "ceph", "ceph")
        hexec(host, ["ceph-mon", "--cluster", cluster, "--mkfs", "-i", mon_id, "--monmap", monmap,
                     "--keyring", monkr, "--setuser", "ceph", "--setgroup", "ceph"])
        (mon_dir / "done").touch()
        shutil.chown(mon_dir / "done", "ceph", "ceph")
    if not running(host, "ceph-mon"):
        hexec(host, ["ceph-mon", "--cluster", cluster, "-i", mon_id, "--setuser", "ceph", "--setgroup", "ceph"])
    wait_for(f"mon of {cluster}", lambda: tcp_open(ip, 3300), 30)
    # mgr
    mgr_dir = libceph / "mgr" / f"{cluster}-{mon_id}"
    if not (mgr_dir / "keyring").exists():
        mgr_dir.mkdir(parents=True, exist_ok=True)
        out = ceph(host, "auth", "get-or-create", f"mgr.{mon_id}", "mon", "allow profile mgr", "osd", "allow *",
                   "mds", "allow *").stdout
        (mgr_dir / "keyring").write_text(out)
        for p in (libceph / "mgr", mgr_dir, mgr_dir / "keyring"):
            shutil.chown(p, "ceph", "ceph")
        (mgr_dir / "keyring").chmod(0o600)
    if not running(host, "ceph-mgr"):
        hexec(host, ["ceph-mgr", "--cluster", cluster, "-i", mon_id, "--setuser", "ceph", "--setgroup", "ceph"])
    # osd
    osd_dir = libceph / "osd" / f"{cluster}-0"
    if not (osd_dir / "done").exists():
        osd_dir.mkdir(parents=True, exist_ok=True)
        key = hexec(host, ["ceph-authtool", "--gen-print-key"]).stdout.strip()
        out = ceph(host, "osd", "new", st["osd_uuid"], "-i", "-", input=json.dumps({"cephx_secret": key})).stdout
        osd_id = out.strip()
        if osd_id != "0":
            raise LabError(f"{cluster}: expected osd id 0, got {osd_id!r}")
        (osd_dir / "keyring").write_text(f"[osd.0]\n\tkey = {key}\n")
        (osd_dir / "keyring").chmod(0o600)
        for p in (libceph / "osd", osd_dir, osd_dir / "keyring"):
            shutil.chown(p, "ceph", "ceph")
        hexec(host, ["ceph-osd", "--cluster", cluster, "-i", "0", "--mkfs", "--osd-uuid", st["osd_uuid"],
                     "--setuser", "ceph", "--setgroup", "ceph"])
        (osd_dir / "done").touch()
    if not running(host, "ceph-osd"):
        hexec(host, ["ceph-osd", "--cluster", cluster, "-i", "0", "--setuser", "ceph", "--setgroup", "ceph"])


def ceph_status(host: Host) -> dict:
    proc = ceph(host, "status", "--format", "json", check=False, timeout=30)
    if proc.returncode != 0:
        return {"ok": False, "why": proc.stderr.strip()[-200:]}
    st = json.loads(proc.stdout)
    health = st["health"]["status"]
    mgr = st.get("mgrmap", {}).get("available", False)
    osdmap = st.get("osdmap", {})
    osd_up = osdmap.get("num_up_osds", osdmap.get("osdmap", {}).get("num_up_osds", 0))
    pgs = st.get("pgmap", {})
    total = pgs.get("num_pgs", 0)
    clean = sum(s["count"] for s in pgs.get("pgs_by_state", []) if s["state_name"] == "active+clean")
    # total >= 1: the mgr creates its own pool (one PG) shortly after it becomes
    # active; a cluster with no PG yet is about to get one that is not clean.
    ok = health == "HEALTH_OK" and mgr and osd_up >= 1 and total >= 1 and clean == total
    return {"ok": ok, "health": health, "mgr_available": mgr, "osds_up": osd_up, "pgs": total,
            "pgs_active_clean": clean, "fsid": st.get("fsid")}


# ------------------------------------------------------------------- keystone


CREDENTIALS = ("admin_password", "glance_password", "glance_db_password")


def credentials() -> dict:
    path = STATE / "credentials.json"
    creds = json.loads(path.read_text()) if path.exists() else {}
    if all(key in creds for key in CREDENTIALS):
        return creds
    for key in CREDENTIALS:
        creds.setdefault(key, secrets.token_urlsafe(18))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(creds))
    path.chmod(0o600)
    return creds


KEYSTONE_UWSGI = """[uwsgi]
buffer-size = 65535
rem-header = Content-Length
master = true
plugins = python3
lazy-apps = true
paste-logger = true
no-orphans = true
die-on-term = true
enable-threads = true
processes = 2
threads = 4
listen = 100
logto = /var/log/keystone/keystone.log
name = keystone-api
uid = keystone
gid = keystone
chdir = /var/lib/keystone
wsgi-file = /usr/bin/keystone-wsgi-public
"""


PG_BIN = "/usr/lib/postgresql/15/bin"
PG_DATA = "/var/lib/postgresql/keystone"


def up_postgres(topo: Topology, host: Host):
    """The central site's database server: Keystone's database (a unix socket; SQLite
    locks under Keystone) and the database every central glance-api shares (over the
    lab network, as a site's APIs share one database in a real deployment)."""
    creds = credentials()

    def pg(*argv):
        return hexec(host, as_user("postgres", list(argv)), timeout=120)

    fresh = not (host.root / PG_DATA.lstrip("/") / "PG_VERSION").exists()
    if fresh:
        pg(f"{PG_BIN}/initdb", "-D", PG_DATA, "--auth-local=trust", "--auth-host=scram-sha-256",
           "-U", "postgres", "--no-sync")
        hba = host.root / PG_DATA.lstrip("/") / "pg_hba.conf"
        hba.write_text(hba.read_text() + f"host glance glance {topo.network} scram-sha-256\n")
    if not running(host, "postgres -D") and not running(host, f"{PG_BIN}/postgres"):
        pg(f"{PG_BIN}/pg_ctl", "-D", PG_DATA, "-l", "/var/lib/postgresql/keystone.log", "-w", "-o",
           f"-c listen_addresses='{host.address}' -c unix_socket_directories=/run/postgresql -c fsync=off "
           "-c synchronous_commit=off -c shared_buffers=16MB -c max_connections=100", "start")
    if fresh:
        pg(f"{PG_BIN}/createuser", "-h", "/run/postgresql", "keystone")
        pg(f"{PG_BIN}/createdb", "-h", "/run/postgresql", "-O", "keystone", "keystone")
        hexec(host, as_user("postgres", [f"{PG_BIN}/psql", "-h", "/run/postgresql", "-q", "-f", "-"]),
              input=f"CREATE ROLE glance LOGIN PASSWORD '{creds['glance_db_password']}';\n")
        pg(f"{PG_BIN}/createdb", "-h", "/run/postgresql", "-O", "glance", "glance")


def keystone_url(topo: Topology) -> str:
    return f"http://{topo.keystone.address}:5000"


def up_keystone(topo: Topology):
    host = topo.keystone
    creds = credentials()
    etc = host.root / "etc/keystone"
    (etc / "keystone.conf").write_text(
        "[DEFAULT]\nlog_dir = /var/log/keystone\n\n"
        "[database]\nconnection = postgresql+psycopg2://keystone@/keystone?host=/run/postgresql\n\n"
        "[token]\nprovider = fernet\n\n"
        "[oslo_policy]\npolicy_dirs = /etc/keystone/policy.d\n")
    (etc / "keystone-uwsgi.ini").write_text(KEYSTONE_UWSGI)
    marker = host.root / "var/lib/keystone/.bootstrapped"
    if not marker.exists():
        hexec(host, as_user("keystone", ["keystone-manage", "db_sync"]), timeout=300)
        hexec(host, ["keystone-manage", "fernet_setup", "--keystone-user", "keystone", "--keystone-group", "keystone"])
        hexec(host, ["keystone-manage", "credential_setup", "--keystone-user", "keystone",
                     "--keystone-group", "keystone"])
        url = keystone_url(topo) + "/v3/"
        hexec(host, as_user("keystone", ["keystone-manage", "bootstrap", "--bootstrap-password",
                                         creds["admin_password"], "--bootstrap-admin-url", url,
                                         "--bootstrap-internal-url", url, "--bootstrap-public-url", url,
                                         "--bootstrap-region-id", "central"]), timeout=120)
        marker.touch()
    if not tcp_open(host.address, 5000):
        hexec(host, ["service", "keystone", "start"])
    wait_for("keystone", lambda: http_get(keystone_url(topo) + "/v3") is not None, 60)
    register_identities(topo, creds)


SHARED_HAPROXY = """# lab: the shared HAProxy of {site}'s load balancers, written by lab/lab.py.
# It fronts the lab's other services; the collection adds its Glance proxies
# in a marked block (haproxy_glance, shared mode) and leaves the rest alone.
global
    log /dev/log local0
    chroot /var/lib/haproxy
    stats socket /run/haproxy/admin.sock mode 660 level admin expose-fd listeners
    stats timeout 30s
    user haproxy
    group haproxy
    daemon

defaults
    log global
    mode http
    option httplog
    option dontlognull
    timeout connect 5s
    timeout client 50s
    timeout server 50s

# Keystone, on the site's VIP (transparent: the VIP may be on the other node).
frontend keystone_front
    bind {vip}:{port} transparent
    default_backend keystone_api

backend keystone_api
    option httpchk GET /v3
    server {keystone} {keystone_address}:5000 check inter 2000 rise 2 fall 3
"""


def up_shared_haproxy(topo: Topology):
    """Central's HAProxy hosts run a configuration the collection did not write
    (Keystone behind the VIP), written once: later runs keep what the collection added."""
    if not topo.keystone_proxy_port:
        return
    for host in topo.site_hosts("central", "haproxy"):
        cfg = host.root / "etc/haproxy/haproxy.cfg"
        if not cfg.exists() or not cfg.read_text().startswith("# lab: the shared HAProxy"):
            cfg.write_text(SHARED_HAPROXY.format(site="central", vip=topo.sites["central"]["vip"],
                                                 port=topo.keystone_proxy_port, keystone=topo.keystone.name,
                                                 keystone_address=topo.keystone.address))
            cfg.chmod(0o640)
        if not running(host, "haproxy -f"):
            hexec(host, ["service", "haproxy", "start"])


def http(method, url, body=None, token=None, timeout=10):
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if token:
        headers["X-Auth-Token"] = token
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, headers=headers, method=method)
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        raw = resp.read()
        return resp.status, dict(resp.headers), (json.loads(raw) if raw and raw[:1] in b"{[" else raw.decode())


def http_get(url, token=None):
    try:
        return http("GET", url, token=token, timeout=3)[2]
    except (urllib.error.URLError, OSError, ValueError):
        return None


def token(topo: Topology, user="admin", password=None, project="admin") -> str:
    password = password or credentials()["admin_password"]
    body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": user, "domain": {"id": "default"}, "password": password}}},
        "scope": {"project": {"name": project, "domain": {"id": "default"}}}}}
    headers = http("POST", keystone_url(topo) + "/v3/auth/tokens", body)[1]
    return headers["X-Subject-Token"]


def register_identities(topo: Topology, creds):
    base = keystone_url(topo) + "/v3"
    tok = token(topo)

    def find(kind, name, extra=""):
        items = http("GET", f"{base}/{kind}?name={name}{extra}", token=tok)[2][kind]
        return items[0]["id"] if items else None

    project = find("projects", "service") or http(
        "POST", f"{base}/projects", {"project": {"name": "service", "domain_id": "default"}}, tok)[2]["project"]["id"]
    user = find("users", "glance")
    if not user:
        user = http("POST", f"{base}/users", {"user": {"name": "glance", "domain_id": "default",
                                                       "password": creds["glance_password"]}}, tok)[2]["user"]["id"]
    role = find("roles", "admin")
    http("PUT", f"{base}/projects/{project}/users/{user}/roles/{role}", token=tok)
    service = None
    for svc in http("GET", f"{base}/services?type=image", token=tok)[2]["services"]:
        service = svc["id"]
    if not service:
        service = http("POST", f"{base}/services", {"service": {"name": "glance", "type": "image"}},
                       tok)[2]["service"]["id"]
    identity = http("GET", f"{base}/services?type=identity", token=tok)[2]["services"][0]["id"]
    regions = {r["id"] for r in http("GET", f"{base}/regions", token=tok)[2]["regions"]}
    endpoints = http("GET", f"{base}/endpoints", token=tok)[2]["endpoints"]
    have = {(e["service_id"], e["region_id"], e["interface"]) for e in endpoints}
    for site, info in topo.sites.items():
        if site not in regions:
            http("POST", f"{base}/regions", {"region": {"id": site}}, tok)
        # Each site is a region: its own Glance, and central's Keystone (as in DCN deployments).
        for svc, url in ((service, f"http://{info['vip']}:9292"), (identity, keystone_url(topo) + "/v3/")):
            for iface in ("public", "internal", "admin"):
                if (svc, site, iface) not in have:
                    http("POST", f"{base}/endpoints", {"endpoint": {
                        "service_id": svc, "interface": iface, "region_id": site, "url": url}}, tok)


# --------------------------------------------------------------------- glance

GLANCE_CONF = """# glance-api.conf of the lab's pre-existing deployment. The deployment owns the
# database, identity and paste settings; edgestack.glance_ceph owns storage.
[DEFAULT]
bind_host = {address}
bind_port = 9292
workers = 1
log_file = /var/log/glance/glance-api.log

[database]
connection = {database}

[keystone_authtoken]
www_authenticate_uri = {keystone}
auth_url = {keystone}
auth_type = password
project_domain_name = Default
user_domain_name = Default
project_name = service
username = glance
password = {password}
region_name = {site}

[paste_deploy]
flavor = keystone

[oslo_concurrency]
lock_path = /var/lock/glance

[glance_store]
stores = file,http
default_store = file
filesystem_store_datadir = /var/lib/glance/images/
"""


def glance_database(topo: Topology, host: Host) -> str:
    """Central's APIs share one PostgreSQL database; an edge site's API has its own."""
    if host.site_type == "central":
        return (f"postgresql+psycopg2://glance:{credentials()['glance_db_password']}"
                f"@{topo.keystone.address}/glance")
    return "sqlite:////var/lib/glance/glance.sqlite"


def prepare_glance(topo: Topology, host: Host, db_sync=True):
    creds = credentials()
    conf = host.root / "etc/glance/glance-api.conf"
    marker = host.root / "var/lib/glance/.lab-initialised"
    if not marker.exists():
        conf.write_text(GLANCE_CONF.format(address=host.address, keystone=keystone_url(topo),
                                           password=creds["glance_password"], site=host.site,
                                           database=glance_database(topo, host)))
        shutil.chown(conf, "root", "glance")
        conf.chmod(0o640)
        images = host.root / "var/lib/glance/images"
        images.mkdir(exist_ok=True)
        shutil.chown(images, "glance", "glance")
        if db_sync:
            hexec(host, as_user("glance", ["glance-manage", "--config-file", "/etc/glance/glance-api.conf",
                                           "db_sync"]), timeout=300)
        marker.touch()


def prepare_site_glance(topo: Topology, site: str):
    """db_sync once per site database: central's hosts share theirs."""
    hosts = topo.site_hosts(site, "glance")
    if not hosts:
        return
    prepare_glance(topo, hosts[0])
    for host in hosts[1:]:
        prepare_glance(topo, host, db_sync=hosts[0].site_type != "central")


def http_status(url, timeout=3):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except (urllib.error.URLError, OSError, ValueError):
        return None


def glance_healthy(host: Host) -> bool:
    return http_status(f"http://{host.address}:9292/healthcheck") == 200


def start_glance(host: Host):
    if not glance_healthy(host):
        if not running(host, "glance-api"):
            hexec(host, ["service", "glance-api", "start"])
        wait_for(f"glance-api on {host.name}", lambda: glance_healthy(host), 90, interval=0.5)


# ------------------------------------------------------------- object gateway

RGW_PORT = 8080
OBJECT_STORES = "object-stores.json"
# The pools radosgw uses with its default zone (it would create them at the default pg_num).
RGW_POOLS = (".rgw.root", "default.rgw.log", "default.rgw.control", "default.rgw.meta",
             "default.rgw.buckets.index", "default.rgw.buckets.data", "default.rgw.buckets.non-ec")


def rgw_url(host: Host) -> str:
    return f"http://{host.address}:{RGW_PORT}"


def up_object_gateway(topo: Topology):
    """Ceph's RADOS Gateway on central's cluster, with a user for Glance: S3 keys and a
    Swift subuser (the gateway's own v1 auth). Their credentials go to
    <state>/object-stores.json (0600), which the tests read."""
    if not shutil.which("radosgw"):
        log("radosgw is not installed: the lab runs without an object gateway (bindep.txt, profile lab)")
        return
    host = topo.site_hosts("central", "ceph")[0]
    cluster, name = host.site, f"client.rgw.{host.name}"
    rgw_dir = host.root / "var/lib/ceph/radosgw" / f"{cluster}-rgw.{host.name}"
    keyring = rgw_dir / "keyring"
    if not keyring.exists():
        # The gateway's pools are made here with few PGs each (seven pools on the lab's single
        # OSD would pass its PG limit at the default pg_num); the cluster's defaults, which
        # the pool tests rely on, stay as they are.
        existing = set(ceph(host, "osd", "pool", "ls").stdout.split())
        for pool in RGW_POOLS:
            if pool not in existing:
                ceph(host, "osd", "pool", "create", pool, "8", "8")
                ceph(host, "osd", "pool", "set", pool, "pg_autoscale_mode", "off")
                ceph(host, "osd", "pool", "application", "enable", pool, "rgw")
        out = ceph(host, "auth", "get-or-create", name, "mon", "allow rw", "osd", "allow rwx").stdout
        rgw_dir.mkdir(parents=True, exist_ok=True)
        keyring.write_text(out)
        keyring.chmod(0o600)
        for p in (rgw_dir.parent, rgw_dir, keyring):
            shutil.chown(p, "ceph", "ceph")
    if not running(host, "radosgw"):
        hexec(host, ["radosgw", "--cluster", cluster, "-n", name, "--keyring", f"/var/lib/ceph/radosgw/{rgw_dir.name}/keyring",
                     "--rgw-frontends", f"beast endpoint={host.address}:{RGW_PORT}",
                     "--rgw-dns-name", host.address, "--log-file", f"/var/log/ceph/{cluster}-rgw.log",
                     "--setuser", "ceph", "--setgroup", "ceph"])
    wait_for("the object gateway", lambda: http_status(rgw_url(host)) == 200, 90, interval=0.5)
    path = STATE / OBJECT_STORES
    if path.exists():
        return
    admin = ["radosgw-admin", "--cluster", cluster, "--format", "json"]
    info = hexec(host, admin + ["user", "info", "--uid", "glance"], check=False)
    if info.returncode != 0:
        hexec(host, admin + ["user", "create", "--uid", "glance", "--display-name", "Glance"])
        hexec(host, admin + ["subuser", "create", "--uid", "glance", "--subuser", "glance:swift",
                             "--access", "full", "--key-type", "swift", "--gen-secret"])
        info = hexec(host, admin + ["user", "info", "--uid", "glance"])
    user = json.loads(info.stdout)
    s3 = user["keys"][0]
    swift = next(k for k in user["swift_keys"] if k["user"] == "glance:swift")
    path.write_text(json.dumps({
        "s3": {"endpoint": rgw_url(host), "access_key": s3["access_key"], "secret_key": s3["secret_key"]},
        "swift": {"auth_address": rgw_url(host) + "/auth/1.0", "user": swift["user"], "key": swift["secret_key"],
                  "auth_version": "1"},
    }))
    path.chmod(0o600)
    wait_for(f"ceph cluster {cluster} healthy with the gateway's pools", lambda: ceph_status(host)["ok"], 120, interval=1)
    log(f"object gateway on {host.name} ({rgw_url(host)}): S3 and Swift credentials in {path}")


# ------------------------------------------------------------------ inventory


def write_inventory(topo: Topology):
    base = REPO / "inventories" / "lab"
    key = STATE / "ssh" / "id_ed25519"
    for site, info in topo.sites.items():
        hosts = topo.site_hosts(site)
        d = base / site
        d.mkdir(parents=True, exist_ok=True)
        inv = {"all": {"children": {
            site: {"hosts": {h.name: {"ansible_host": h.address} for h in hosts}, "vars": None},
            "ceph_admin": {"hosts": {h.name: {} for h in hosts if "ceph" in h.services}},
            "glance_api": {"hosts": {h.name: {} for h in hosts if "glance" in h.services}},
            "glance_haproxy": {"hosts": {h.name: {} for h in hosts if "haproxy" in h.services}},
        }}}
        ceph_hosts = [h for h in hosts if "ceph" in h.services]
        gvars = {
            "edgestack_site": site,
            "edgestack_site_type": info["type"],
            "edgestack_ceph_mon_addresses": [h.address for h in ceph_hosts],
            "edgestack_glance_vip": info["vip"],
            "edgestack_glance_port": 9292,
            "ansible_user": "root",
            "ansible_ssh_private_key_file": str(key),
            "ansible_python_interpreter": "/usr/bin/python3",
        }
        if len([h for h in hosts if "haproxy" in h.services]) > 1:
            # Several HAProxy hosts share the VIP (keepalived) and one HAProxy
            # configuration with the lab's other proxies. VRRP version 3 allows
            # advertisements below a second: a node takes over about 0.8 s after
            # the holder goes silent.
            gvars.update({"edgestack_glance_haproxy_mode": "shared",
                          "edgestack_glance_vrrp_version": 3,
                          "edgestack_glance_vrrp_advert_int": 0.25})
        inv["all"]["children"][site]["vars"] = gvars
        header = ("# Written by lab/lab.py for the running lab: do not edit, `lab.py up` rewrites it.\n"
                  "# Site variables are inline so that `-i inventories/lab` and `-i inventories/lab/<site>` both work.\n")
        (d / "hosts.yml").write_text(header + "---\n" + yaml.safe_dump(inv, sort_keys=False))
    for stale in base.iterdir():
        if stale.is_dir() and stale.name not in topo.sites:
            shutil.rmtree(stale)
    write_clouds(topo)


def write_clouds(topo: Topology):
    creds = credentials()
    clouds = {"clouds": {}}
    for site in topo.sites:
        clouds["clouds"][f"lab-{site}"] = {
            "auth": {"auth_url": keystone_url(topo) + "/v3", "username": "admin",
                     "password": creds["admin_password"], "project_name": "admin",
                     "user_domain_name": "Default", "project_domain_name": "Default"},
            "region_name": site, "interface": "public", "identity_api_version": 3,
        }
    path = STATE / "clouds.yaml"
    path.write_text(yaml.safe_dump(clouds, sort_keys=False))
    path.chmod(0o600)


def cloud_token(clouds_yaml, cloud: str = "lab-central", timeout: int = 30) -> tuple[str, dict]:
    """A Keystone token for one of the clouds `write_clouds` wrote, and the token's body (its catalog).

    The tests and benchmarks call the lab's Glance APIs with it.
    """
    auth = yaml.safe_load(Path(clouds_yaml).read_text(encoding="utf-8"))["clouds"][cloud]["auth"]
    body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": auth["username"], "domain": {"name": auth["user_domain_name"]}, "password": auth["password"]}}},
        "scope": {"project": {"name": auth["project_name"], "domain": {"name": auth["project_domain_name"]}}}}}
    req = urllib.request.Request(auth["auth_url"] + "/auth/tokens", data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return resp.headers["X-Subject-Token"], json.loads(resp.read())


# --------------------------------------------------------------------- status


def status(topo: Topology) -> dict:
    out = {"hosts": {}, "sites": {}, "ok": True}
    for host in topo.hosts:
        h = {"address": host.address, "site": host.site, "services": host.services,
             "netns": netns_exists(host.netns), "ssh": tcp_open(host.address, 22)}
        if "glance" in host.services:
            h["glance"] = glance_healthy(host)
        if "keystone" in host.services:
            h["keystone"] = http_get(keystone_url(topo) + "/v3") is not None
        out["hosts"][host.name] = h
        if not all(v for k, v in h.items() if k in ("netns", "ssh", "glance", "keystone")):
            out["ok"] = False
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        futs = {site: pool.submit(ceph_status, topo.site_hosts(site, "ceph")[0])
                for site in topo.sites if all(out["hosts"][h.name]["netns"] for h in topo.site_hosts(site))}
        for site in topo.sites:
            st = futs[site].result() if site in futs else {"ok": False, "why": "host namespaces missing"}
            out["sites"][site] = st
            out["ok"] = out["ok"] and st["ok"]
    out["sites_vip"] = {site: info["vip"] for site, info in topo.sites.items()}
    out["rss_mib"] = lab_rss_mib(topo)
    out["state_dir"] = str(STATE)
    out["clouds_yaml"] = str(STATE / "clouds.yaml")
    out["inventory"] = [str(REPO / "inventories" / "lab" / s) for s in topo.sites]
    return out


def lab_rss_mib(topo: Topology) -> float:
    total = 0
    for host in topo.hosts:
        for pid in host_pids(host):
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
            except OSError:
                pass
    return round(total / 1024, 1)


# ------------------------------------------------------------------- commands


def cmd_up(args):
    if os.geteuid() != 0:
        raise LabError("the lab needs root (network and mount namespaces)")
    for binary in ("ceph-mon", "ceph-osd", "ceph-mgr", "glance-api", "keystone-manage", "haproxy",
                   "/usr/sbin/sshd", "nsenter", "unshare"):
        if not shutil.which(binary):
            raise LabError(f"{binary} is not installed: run `make deps` first (Debian packages in bindep.txt)")
    t0 = time.monotonic()
    saved = STATE / "topology.json"
    if args.edge_sites is not None and saved.exists():
        old = json.loads(saved.read_text())["edge_sites"]
        if old != args.edge_sites:
            if args.edge_sites < old:
                raise LabError(f"the lab runs {old} edge sites; `lab.py down` first to shrink it")
    topo = load_topology(args.edge_sites)
    STATE.mkdir(parents=True, exist_ok=True)
    STATE.chmod(0o755)
    saved.write_text(json.dumps({"edge_sites": len(topo.sites) - 1}))
    write_ssh_material(topo)
    credentials()
    setup_bridge(topo)
    for host in topo.hosts:
        setup_host_network(topo, host)
        prepare_host_dirs(host)
        write_host_files(topo, host)
        setup_host_mounts(host)
        start_sshd(host)
    log(f"{len(topo.hosts)} hosts have their namespaces and sshd ({time.monotonic() - t0:.1f}s)")

    def site_ceph(site):
        host = topo.site_hosts(site, "ceph")[0]
        up_ceph(topo, host)
        return site

    up_postgres(topo, topo.keystone)
    log(f"central database server up ({time.monotonic() - t0:.1f}s)")
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        ceph_futs = [pool.submit(site_ceph, s) for s in topo.sites]
        ks_fut = pool.submit(up_keystone, topo)
        glance_futs = [pool.submit(prepare_site_glance, topo, s) for s in topo.sites]
        for f in glance_futs:
            f.result()
        ks_fut.result()
        up_shared_haproxy(topo)
        log(f"keystone ready, glance databases synced ({time.monotonic() - t0:.1f}s)")
        start_futs = [pool.submit(start_glance, h) for h in topo.with_service("glance")]
        for f in ceph_futs:
            log(f"ceph {f.result()} daemons started ({time.monotonic() - t0:.1f}s)")
        for f in start_futs:
            f.result()
        log(f"glance-api answering on every glance host ({time.monotonic() - t0:.1f}s)")

        def healthy(site):
            host = topo.site_hosts(site, "ceph")[0]
            return wait_for(f"ceph cluster {site} HEALTH_OK with mgr active", lambda: ceph_status(host)["ok"], 120,
                            interval=1)

        for f in [pool.submit(healthy, s) for s in topo.sites]:
            f.result()
    up_object_gateway(topo)
    write_inventory(topo)
    elapsed = time.monotonic() - t0
    st = status(topo)
    if not st["ok"]:
        raise LabError("lab is not healthy after bring-up:\n" + json.dumps(st, indent=2))
    rss = st["rss_mib"]
    log(f"lab up: {len(topo.sites)} sites, {len(topo.hosts)} hosts in {elapsed:.1f}s "
        f"(budget {BUDGET_SECONDS}s), RSS {rss:.0f} MiB (budget {BUDGET_RSS_MIB} MiB)")
    print(f"BRINGUP_SECONDS={elapsed:.1f} RSS_MIB={rss:.0f}")
    log("inventory: " + " ".join(f"-i inventories/lab/{s}" for s in topo.sites))
    if elapsed > BUDGET_SECONDS or rss > BUDGET_RSS_MIB:
        log("WARNING: over budget")
    return 0


def kill_all(pids, sig):
    for pid in pids:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


def cmd_down(args):
    topo = None
    try:
        topo = load_topology()
    except (LabError, OSError):
        pass
    names = sorted(p.name for p in Path("/run/netns").glob(NETNS_PREFIX + "*")) if Path("/run/netns").exists() else []
    pids = []
    for name in names:
        proc = run(["ip", "netns", "pids", name], check=False)
        pids += [int(p) for p in proc.stdout.split()]
    kill_all(pids, signal.SIGTERM)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and any(Path(f"/proc/{p}").exists() for p in pids):
        time.sleep(0.2)
    kill_all([p for p in pids if Path(f"/proc/{p}").exists()], signal.SIGKILL)
    time.sleep(0.3)
    for name in names:
        run(["ip", "netns", "del", name], check=False)
    if NS_DIR.exists():
        for f in NS_DIR.iterdir():
            if is_mounted(f):
                run(["umount", "-l", str(f)], check=False)
        if is_mounted(NS_DIR):
            run(["umount", "-l", str(NS_DIR)], check=False)
    for link in Path("/sys/class/net").iterdir():
        if re.fullmatch(re.escape(VETH_PREFIX) + r"v[0-9]+", link.name):
            run(["ip", "link", "del", link.name], check=False)
    if Path(f"/sys/class/net/{BRIDGE}").exists():
        run(["ip", "link", "del", BRIDGE], check=False)
    if STATE.exists():
        shutil.rmtree(STATE)
    inv = REPO / "inventories" / "lab"
    if inv.exists():
        for d in inv.iterdir():
            if d.is_dir():
                shutil.rmtree(d)
    left = leftovers()
    if left:
        raise LabError("tear-down left: " + "; ".join(left))
    log(f"lab down: {len(pids)} processes stopped, {len(names)} namespaces removed, nothing left")
    return 0


def leftovers() -> list[str]:
    left = []
    if Path("/run/netns").exists():
        left += [f"namespace {p.name}" for p in Path("/run/netns").glob(NETNS_PREFIX + "*")]
    with open("/proc/self/mountinfo") as fh:
        left += [f"mount {line.split()[4]}" for line in fh
                 if line.split()[4] == str(STATE) or line.split()[4].startswith(str(STATE) + "/")]
    left += [f"interface {p.name}" for p in Path("/sys/class/net").iterdir()
             if p.name == BRIDGE or re.fullmatch(re.escape(VETH_PREFIX) + r"[vp][0-9]+", p.name)]
    if STATE.exists():
        left.append(f"directory {STATE}")
    return left


def cmd_status(args):
    if not (STATE / "topology.json").exists():
        if args.json:
            print(json.dumps({"ok": False, "why": "the lab is down"}))
        else:
            print("lab is down")
        return 3
    topo = load_topology()
    st = status(topo)
    if args.json:
        print(json.dumps(st, indent=2))
    else:
        for name, h in st["hosts"].items():
            flags = " ".join(f"{k}={'ok' if v else 'DOWN'}" for k, v in h.items()
                             if k in ("netns", "ssh", "glance", "keystone"))
            print(f"{name:18} {h['address']:15} {h['site']:8} {','.join(h['services']):22} {flags}")
        for site, s in st["sites"].items():
            print(f"ceph {site:8} " + ("ok " if s["ok"] else "NOT OK ") +
                  json.dumps({k: v for k, v in s.items() if k != "ok"}))
        print(f"RSS {st['rss_mib']} MiB; clouds.yaml {st['clouds_yaml']}")
        print("lab is up" if st["ok"] else "lab is NOT healthy")
    return 0 if st["ok"] else 1


def cmd_exec(args):
    topo = load_topology()
    host = topo.host(args.host)
    argv = args.argv[1:] if args.argv and args.argv[0] == "--" else args.argv
    if not argv:
        raise LabError("exec needs a command: lab.py exec HOST -- ARGV")
    os.execvpe("nsenter", nsenter(host, argv), {**os.environ, **ENV})


def cmd_sites(args):
    if not (STATE / "topology.json").exists():
        return 3
    print(" ".join(load_topology().sites))
    return 0


def cmd_env(args):
    topo = load_topology()
    print(f"export OS_CLIENT_CONFIG_FILE={STATE / 'clouds.yaml'}")
    print(f"export EDGESTACK_LAB_STATE={STATE}")
    print("export EDGESTACK_LAB_INVENTORY='" + " ".join(f"-i inventories/lab/{s}" for s in topo.sites) + "'")
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("up")
    p.add_argument("--edge-sites", type=int, default=None)
    p.set_defaults(func=cmd_up)
    p = sub.add_parser("down")
    p.set_defaults(func=cmd_down)
    p = sub.add_parser("status")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_status)
    p = sub.add_parser("exec")
    p.add_argument("host")
    p.add_argument("argv", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_exec)
    p = sub.add_parser("sites")
    p.set_defaults(func=cmd_sites)
    p = sub.add_parser("env")
    p.set_defaults(func=cmd_env)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except LabError as exc:
        print(f"lab: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
