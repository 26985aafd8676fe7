#!/usr/bin/env bash
# Every test layer; `make test` runs it after installing everything. Fails if any layer fails.
#
# Two streams run side by side, so that the machine's cores are both used:
#   lab stream:    molecule (destroy, create = lab up, converge, idempotence, verify),
#                  the integration tests on that lab, then molecule's destroy = lab down
#                  and the check that tear-down left nothing;
#   static stream: changelog lint, collection build + ansible-doc, ansible-test sanity,
#                  unit and Kubernetes render tests, ansible-lint.
# The static stream's output is printed as a block when it ends; the summary lists
# every layer with its time, and the closing line counts tests.
set -uo pipefail
cd "$(dirname "$0")/.."
export ANSIBLE_CONFIG="$PWD/ansible.cfg" PYTHONPATH="$PWD/build/collections" ANSIBLE_FORCE_COLOR=0 PY_COLORS=0
export EDGESTACK_REQUIRE_LAB=1
reports=build/reports
rm -rf "$reports"
mkdir -p "$reports"
layers="$reports/layers.txt"
: > "$layers"
t_start=$SECONDS

layer() {
  local name=$1; shift
  local t0=$SECONDS
  echo; echo "=== $name"
  if "$@"; then
    echo "ok    $name ($((SECONDS - t0))s)" >> "$layers"
  else
    echo "FAIL  $name ($((SECONDS - t0))s)" >> "$layers"
  fi
}

static_stream() {
  layer "changelog fragments (antsibull-changelog lint)" antsibull-changelog lint
  layer "collection build, install and ansible-doc" bash scripts/build-check.sh
  layer "ansible-test sanity" bash scripts/sanity.sh
  layer "pytest: unit and Kubernetes render tests" \
    python3 -m pytest -p no:cacheprovider -q -rs --junitxml="$reports/pytest-static.xml" tests/unit tests/k8s
  layer "ansible-lint (production profile)" ansible-lint --profile production --nocolor
}

static_stream > "$reports/static.log" 2>&1 &
static_pid=$!

# The lab stream starts from a freshly built lab (molecule's destroy, then create): a
# lab left from an earlier run may have lost its daemons (memstore OSDs keep their
# data only while they run). The lab stays up for the integration tests.
if [ -d molecule ] && ls molecule/*/molecule.yml >/dev/null 2>&1; then
  layer "molecule (destroy, create = lab up, converge, idempotence, verify)" molecule test --all --destroy never
else
  layer "lab bring-up (fresh)" bash -c 'python3 lab/lab.py down && python3 lab/lab.py up'
fi
layer "pytest: integration on the lab" \
  python3 -m pytest -p no:cacheprovider -q -rs --junitxml="$reports/pytest-integration.xml" tests/integration
if [ -d molecule ] && ls molecule/*/molecule.yml >/dev/null 2>&1; then
  layer "molecule destroy (lab down)" molecule destroy --all
fi
layer "lab tear-down leaves nothing" bash -c 'python3 lab/lab.py down && python3 tests/lab/check_teardown.py'

wait "$static_pid"
echo; echo "=== static stream (ran beside the lab stream)"
cat "$reports/static.log"

echo; echo "=== summary ($((SECONDS - t_start))s in all)"
cat "$layers"
# The closing line: pytest's tests plus each other layer counted as one test.
python3 - "$layers" "$reports"/pytest-*.xml <<'PY'
import sys, xml.etree.ElementTree as ET
rows = open(sys.argv[1], encoding="utf-8").read().splitlines()
others = [r for r in rows if "pytest:" not in r]
passed = failed = skipped = 0
for path in sys.argv[2:]:
    try:
        for suite in ET.parse(path).getroot().iter("testsuite"):
            t, f, e, s = (int(suite.get(k, 0)) for k in ("tests", "failures", "errors", "skipped"))
            passed += t - f - e - s; failed += f + e; skipped += s
    except (OSError, ET.ParseError):
        pass
pytest_failed_layers = sum(r.startswith("FAIL") and "pytest:" in r for r in rows)
failed = max(failed, pytest_failed_layers)
others_failed = sum(r.startswith("FAIL") for r in others)
print(f"summary: {passed + len(others) - others_failed} passed, {failed + others_failed} failed, {skipped} skipped")
sys.exit(1 if failed + others_failed else 0)
PY
