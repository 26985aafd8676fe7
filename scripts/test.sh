#!/usr/bin/env bash
# Every test layer, in order; `make test` runs it after installing everything.
# Fails if any layer fails. The lab is brought up for the integration tests and
# torn down at the end (molecule's destroy), then checked to have left nothing.
set -uo pipefail
cd "$(dirname "$0")/.."
export ANSIBLE_CONFIG="$PWD/ansible.cfg" PYTHONPATH="$PWD/build/collections" ANSIBLE_FORCE_COLOR=0 PY_COLORS=0
export EDGESTACK_REQUIRE_LAB=1
mkdir -p build/reports
results=()
failed=0
layer() {
  local name=$1; shift
  local t0=$SECONDS
  echo; echo "=== $name"
  if "$@"; then
    results+=("ok    $name ($((SECONDS - t0))s)")
  else
    results+=("FAIL  $name ($((SECONDS - t0))s)")
    failed=$((failed + 1))
  fi
}

layer "changelog fragments (antsibull-changelog lint)" antsibull-changelog lint
layer "collection build, install and ansible-doc" bash scripts/build-check.sh
layer "ansible-lint (production profile)" ansible-lint --profile production --nocolor
layer "ansible-test sanity" bash scripts/sanity.sh
# The tests start from a freshly built lab: a lab left from an earlier run may
# have lost its daemons (memstore OSDs keep their data only while they run).
layer "lab bring-up (fresh)" bash -c 'python3 lab/lab.py down && python3 lab/lab.py up'
layer "pytest: unit, kubernetes render, integration on the lab" \
  python3 -m pytest -p no:cacheprovider -q -rs --junitxml=build/reports/pytest.xml tests/unit tests/k8s tests/integration
if [ -d molecule ] && ls molecule/*/molecule.yml >/dev/null 2>&1; then
  layer "molecule (create = lab up, converge, idempotence, verify, destroy = lab down)" molecule test --all
fi
layer "lab tear-down leaves nothing" bash -c 'python3 lab/lab.py down && python3 tests/lab/check_teardown.py'

echo; echo "=== summary"
printf '%s\n' "${results[@]}"
# The closing line: pytest's tests plus each other layer counted as one test.
python3 - "${results[@]}" <<'PY'
import sys, xml.etree.ElementTree as ET
rows = sys.argv[1:]
others = [r for r in rows if "pytest:" not in r]
pytest_layer_failed = any(r.startswith("FAIL") and "pytest:" in r for r in rows)
passed = failed = skipped = 0
try:
    for suite in ET.parse("build/reports/pytest.xml").getroot().iter("testsuite"):
        t, f, e, s = (int(suite.get(k, 0)) for k in ("tests", "failures", "errors", "skipped"))
        passed += t - f - e - s; failed += f + e; skipped += s
except (OSError, ET.ParseError):
    pass
if pytest_layer_failed and not failed:
    failed = 1
others_failed = sum(r.startswith("FAIL") for r in others)
print(f"summary: {passed + len(others) - others_failed} passed, {failed + others_failed} failed, {skipped} skipped")
PY
exit $((failed > 0))
