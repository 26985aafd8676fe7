# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""After `lab.py down`: no lab process, mount, namespace, interface or state is left."""

import os
import re
import subprocess
import sys
from pathlib import Path

STATE = os.environ.get("EDGESTACK_LAB_STATE", "/var/lib/edgestack-lab")
left = []
netns = Path("/run/netns")
if netns.exists():
    left += [f"network namespace {p.name}" for p in netns.glob("esl-*")]
with open("/proc/self/mountinfo") as fh:
    left += [f"mount {line.split()[4]}" for line in fh
             if line.split()[4] == STATE or line.split()[4].startswith(STATE + "/")]
left += [f"interface {p.name}" for p in Path("/sys/class/net").iterdir()
         if p.name == "eslbr0" or re.fullmatch(r"esl[vp][0-9]+", p.name)]
ps = subprocess.run(["ps", "-eo", "pid=,args="], capture_output=True, text=True, check=True).stdout
needles = (f"-f {STATE}/ssh/sshd_config", "--cluster central", "--cluster dcn", "/etc/keystone/keystone-uwsgi",
           "glance-api --config-file", "postgresql/keystone", "/usr/sbin/keepalived", "haproxy -f /etc/haproxy")
left += [f"process {line.strip()}" for line in ps.splitlines() if any(n in line for n in needles)]
if Path(STATE).exists():
    left.append(f"directory {STATE}")
if left:
    print("the lab left behind:\n  " + "\n  ".join(left))
    sys.exit(1)
print("tear-down: no lab process, mount, namespace, interface or state left")
