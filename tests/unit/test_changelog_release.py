# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A trial `antsibull-changelog release` (in a scratch copy) lists every module and role."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]


def test_release_lists_every_module_and_role(tmp_path):
    tool = shutil.which("antsibull-changelog")
    if tool is None:
        pytest.skip("antsibull-changelog is not installed (make deps)")
    copy = tmp_path / "ansible_collections" / "edgestack" / "glance_ceph"
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                           capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, files):
        if (REPO / name).is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, copy / name)
    version = yaml.safe_load((REPO / "galaxy.yml").read_text())["version"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_") and k != "PYTHONPATH"}
    env["ANSIBLE_COLLECTIONS_PATH"] = str(tmp_path)
    proc = subprocess.run([tool, "release", "--version", version, "--date", "2026-01-01"], cwd=copy, env=env,
                          capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    text = (copy / "CHANGELOG.rst").read_text()

    def section(title):
        match = re.search(rf"^{title}\n-+\n\n((?:- .*\n)+)", text, re.M)
        return set(re.findall(r"^- edgestack\.glance_ceph\.([a-z_]+) ", match.group(1), re.M)) if match else set()

    modules = {p.stem for p in (REPO / "plugins" / "modules").glob("*.py") if p.stem != "__init__"}
    roles = {p.name for p in (REPO / "roles").iterdir() if p.is_dir()}
    assert section("New Modules") == modules
    assert section("New Roles") == roles
