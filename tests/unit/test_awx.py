# Copyright: edgestack.glance_ceph contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The AWX objects as code (docs/awx/): what a real AWX accepts.

- every awx.awx module option used in docs/awx/job-templates.yml exists in the
  installed awx.awx collection (ansible-doc of the collection the `ansible`
  package ships), with a value among its choices where it has some;
- the survey the playbook would set (shown by its `preview` tag, run on the
  example inventory) passes the checks AWX's API makes when a survey spec is
  saved (api/v2/job_templates/N/survey_spec/), and its store choices are the
  inventory's edge sites;
- the Vault credential is attached only when a vault password is given, and
  the site templates escalate privileges unless they log in as root.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
AWX_DIR = REPO / "docs" / "awx"
PLAYBOOK = AWX_DIR / "job-templates.yml"
EXAMPLE = [arg for site in ("central", "dcn0", "dcn1") for arg in ("-i", str(REPO / "inventories" / "example" / site))]

# The survey question types AWX accepts, and the Python type of a default for each.
AWX_SURVEY_TYPES = {"text": str, "textarea": str, "password": str, "multiplechoice": str, "multiselect": str,
                    "integer": int, "float": float}


def _tasks() -> list[dict]:
    plays = yaml.safe_load(PLAYBOOK.read_text())
    return [task for play in plays for task in play.get("tasks", [])]


def _awx_tasks() -> list[tuple[str, str, dict]]:
    out = []
    for task in _tasks():
        for key, args in task.items():
            if key.startswith("awx.awx."):
                out.append((task["name"], key, args))
    return out


def _env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "EDGESTACK_VAULT_PASSWORD"}
    env.update(ANSIBLE_CONFIG=str(REPO / "lab" / "ansible.cfg"), PYTHONPATH=str(REPO / "build" / "collections"),
               ANSIBLE_STDOUT_CALLBACK="ansible.posix.json", ANSIBLE_NOCOLOR="1")
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def awx_docs() -> dict:
    modules = sorted({task[1] for task in _awx_tasks()})
    proc = subprocess.run(["ansible-doc", "-j", *modules], capture_output=True, text=True, timeout=300,
                          env=_env(), check=False)
    if proc.returncode != 0 and "not found" in proc.stderr:
        pytest.skip(f"awx.awx is not installed (the `ansible` package ships it): {proc.stderr.strip()}")
    assert proc.returncode == 0, proc.stderr
    return {name: data["doc"] for name, data in json.loads(proc.stdout).items()}


def _preview(**env) -> dict:
    proc = subprocess.run(["ansible-playbook", str(PLAYBOOK), *EXAMPLE, "--tags", "preview"],
                          capture_output=True, text=True, timeout=300, env=_env(**env), cwd=REPO, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr
    data = json.loads(proc.stdout[proc.stdout.index("{"):])
    for play in data["plays"]:
        for task in play["tasks"]:
            if task["task"]["name"].startswith("Show what the job templates would get"):
                return task["hosts"]["localhost"]["msg"]
    raise AssertionError("the preview task did not run")


def awx_survey_errors(spec: dict) -> list[str]:
    """The problems AWX's API reports when this survey spec is saved (an empty list: accepted)."""
    errors = []
    for field, kind in (("name", str), ("description", str), ("spec", list)):
        if not isinstance(spec.get(field), kind):
            errors.append(f"{field}: missing or not a {kind.__name__}")
    if errors:
        return errors
    if not spec["spec"]:
        return ["spec has no question"]
    seen = set()
    for idx, item in enumerate(spec["spec"]):
        if not isinstance(item, dict):
            errors.append(f"question {idx}: not an object")
            continue
        for field in ("type", "question_name", "variable", "required"):
            kind = bool if field == "required" else str
            if not isinstance(item.get(field), kind):
                errors.append(f"question {idx}: {field} missing or not a {kind.__name__}")
        if errors:
            continue
        if item["variable"] in seen:
            errors.append(f"question {idx}: variable {item['variable']} twice")
        seen.add(item["variable"])
        qtype = item["type"]
        if qtype not in AWX_SURVEY_TYPES:
            errors.append(f"question {idx}: type {qtype} is not one of {sorted(AWX_SURVEY_TYPES)}")
            continue
        default = item.get("default", "")
        if default != "" and not isinstance(default, AWX_SURVEY_TYPES[qtype]):
            errors.append(f"question {idx}: default {default!r} is not a {AWX_SURVEY_TYPES[qtype].__name__}")
        for key in ("min", "max"):
            if item.get(key) is not None and not isinstance(item[key], int):
                errors.append(f"question {idx}: {key} is not an integer")
        if qtype in ("multiselect", "multiplechoice"):
            if "choices" not in item:
                errors.append(f"question {idx}: {qtype} without choices")
                continue
            choices = item["choices"]
            if isinstance(choices, str):
                choices = [c for c in choices.splitlines() if c.strip()]
            defaults = [d for d in default.splitlines() if d.strip()] if isinstance(default, str) else default
            if qtype == "multiplechoice" and len(defaults) > 1:
                errors.append(f"question {idx}: a multiple choice has one default at most")
            if any(d not in choices for d in defaults):
                errors.append(f"question {idx}: default {defaults} not among the choices {choices}")
        if isinstance(default, str) and default.startswith("$encrypted$"):
            errors.append(f"question {idx}: $encrypted$ is reserved")
    return errors


def test_awx_survey_rules_catch_what_awx_refuses():
    good = {"name": "n", "description": "", "spec": [
        {"type": "multiplechoice", "question_name": "q", "variable": "v", "required": True,
         "choices": "a\nb", "default": "a"}]}
    assert awx_survey_errors(good) == []
    bad_default = json.loads(json.dumps(good))
    bad_default["spec"][0]["default"] = "c"
    assert awx_survey_errors(bad_default)
    bad_type = json.loads(json.dumps(good))
    bad_type["spec"][0]["type"] = "list"
    assert awx_survey_errors(bad_type)
    assert awx_survey_errors({"name": "n", "description": "", "spec": []})


def test_awx_module_options_exist(awx_docs):
    problems = []
    for name, module, args in _awx_tasks():
        doc = awx_docs[module]
        options = doc["options"]
        known = set(options) | {alias for opt in options.values() for alias in opt.get("aliases", [])}
        for key, value in args.items():
            if key not in known:
                problems.append(f"{name}: {module} has no option {key}")
                continue
            opt = options.get(key) or next(o for o in options.values() if key in o.get("aliases", []))
            literal = not (isinstance(value, str) and "{{" in value)
            if literal and opt.get("choices") and value not in opt["choices"]:
                problems.append(f"{name}: {module} {key}={value!r} is not one of {opt['choices']}")
            if literal and opt.get("type") == "bool" and not isinstance(value, bool):
                problems.append(f"{name}: {module} {key}={value!r} is not a boolean")
            if literal and opt.get("type") == "list" and not isinstance(value, list):
                problems.append(f"{name}: {module} {key}={value!r} is not a list")
    assert not problems, "\n".join(problems)


def test_every_documented_template_is_defined():
    templates = {args["playbook"]: args for _name, module, args in _awx_tasks() if module == "awx.awx.job_template"}
    # docs/awx.md has one "### <template>: `playbooks/<x>.yml`" section per job template.
    documented = set(re.findall(r"^### .*`(playbooks/[a-z_]+\.yml)`$", (REPO / "docs" / "awx.md").read_text(), re.M))
    assert documented == set(templates), f"docs/awx.md: {sorted(documented)}; job-templates.yml: {sorted(templates)}"
    for playbook, args in templates.items():
        assert (REPO / playbook).is_file(), playbook
    for playbook in ("playbooks/site.yml", "playbooks/glance_rolling_restart.yml"):
        assert templates[playbook]["become_enabled"] == "{{ awx_become | bool }}"
        assert templates[playbook]["ask_limit_on_launch"] is True


def test_vault_credential_only_with_a_password():
    vault = [args for _name, module, args in _awx_tasks()
             if module == "awx.awx.credential" and args["credential_type"] == "Vault"]
    assert len(vault) == 1
    without = _preview()
    assert without["site_credentials"] == ["edgestack glance machine"]
    assert without["become_enabled"] is False
    with_password = _preview(EDGESTACK_VAULT_PASSWORD="not-a-real-password")
    assert with_password["site_credentials"] == ["edgestack glance machine", "edgestack glance vault"]


def test_survey_is_accepted_and_offers_the_inventory_edge_sites():
    survey = _preview()["survey_spec"]
    assert awx_survey_errors(survey) == []
    questions = {q["variable"]: q for q in survey["spec"]}
    assert questions["glance_target_stores"]["choices"].splitlines() == ["dcn0", "dcn1"]
    # The file on its own (imported by hand) is accepted too.
    assert awx_survey_errors(json.loads((AWX_DIR / "survey-distribute-images.json").read_text())) == []
    # A textarea answer is a string: the playbook splits it.
    assert questions["glance_images"]["type"] == "textarea"
    header = (REPO / "playbooks" / "distribute_images.yml").read_text()
    for variable in questions:
        assert re.search(rf"^#\s+{variable}\s", header, re.M), f"distribute_images.yml does not document {variable}"


def test_api_launch_example_sends_survey_types():
    # With a survey, AWX checks launch answers against the question types: a textarea takes a string.
    text = (REPO / "docs" / "awx.md").read_text()
    for extra_vars in re.findall(r"-d '(\{.*\})'", text):
        answers = json.loads(extra_vars)["extra_vars"]
        assert isinstance(answers["glance_images"], str), extra_vars
