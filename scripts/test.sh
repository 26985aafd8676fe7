#!/usr/bin/env bash
# Every test layer; `make test` runs it after installing everything. Fails if any layer fails.
# Group C prints the output of its passed tests too (-rP): the availability figures.
#
# Two streams run side by side, so that the machine's cores are both used:
#   lab stream:    molecule (destroy, create = lab up, then converge, idempotence,
#                  verify), the integration tests on that lab (one group of them starts
#                  as soon as the lab is up), then molecule's destroy = lab down and the
#                  check that tear-down left nothing;
#   static stream: changelog lint, collection build + ansible-doc, ansible-test sanity,
#                  unit and Kubernetes render tests, ansible-lint.
# The static stream's output is printed as a block when it ends; the summary lists
# every layer with its time, and the closing line counts tests.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
# shellcheck source=scripts/venv.sh
source scripts/venv.sh
export ANSIBLE_CONFIG="$PWD/lab/ansible.cfg" PYTHONPATH="$PWD/build/collections" ANSIBLE_FORCE_COLOR=0 PY_COLORS=0
export EDGESTACK_REQUIRE_LAB=1
reports=build/reports
rm -rf "$reports"
mkdir -p "$reports"
layers="$reports/layers.txt"
: > "$layers"
t_start=$SECONDS

# Every layer call counts; the summary fails when a layer wrote no result row
# (a stream that died before it could).
expected=0
layer() {
  expected=$((expected + 1))
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

# At a lower CPU priority: the lab stream is the longer one, and the total waits for it.
( renice -n 10 -p "$BASHPID" >/dev/null 2>&1 || true; static_stream ) > "$reports/static.log" 2>&1 &
static_pid=$!
expected=$((expected + 5))  # the static stream's layers, counted in its own shell

# The lab stream starts from a freshly built lab (molecule's destroy, then create): a
# lab left from an earlier run may have lost its daemons (memstore OSDs keep their
# data only while they run). The lab stays up for the integration tests.
#
# The integration tests, in three groups:
#   A  the Ceph module tests: they touch only pools and clients named it-* on
#      two Ceph hosts, so they start as soon as the lab is up, beside molecule's
#      converge, idempotence and verify, and beside B;
#   B  every other test file (roles, site.yml, HAProxy, images, image conversion
#      and the object gateway's stores: these rewrite central's glance-api.conf
#      and restart it, so they cannot run beside B's other files);
#   C  tests that change the lab itself (its health, an edge site down, a site
#      added), after A and B.
it_a=(tests/integration/test_ceph_pool.py tests/integration/test_ceph_auth.py tests/integration/test_auth_leak.py)
it_c=(tests/integration/test_lab.py tests/integration/test_availability.py tests/integration/test_site_topology.py)
it_b=()
for f in tests/integration/test_*.py; do
  [[ " ${it_a[*]} ${it_c[*]} " == *" $f "* ]] || it_b+=("$f")
done
integration() {
  local name=$1; shift
  python3 -m pytest -p no:cacheprovider -q -rs --junitxml="$reports/pytest-integration-$name.xml" "$@"
}
molecule=0
if [ -d molecule ] && ls molecule/*/molecule.yml >/dev/null 2>&1; then molecule=1; fi
if [ $molecule = 1 ]; then
  layer "molecule destroy, create (lab down, lab up)" bash -c 'molecule destroy --all && molecule create --all'
else
  layer "lab bring-up (fresh)" bash -c 'python3 lab/lab.py down && python3 lab/lab.py up'
fi
layer "pytest: integration A (Ceph modules, beside molecule and B)" integration a "${it_a[@]}" \
  > "$reports/integration-a.log" 2>&1 &
it_a_pid=$!
expected=$((expected + 1))
if [ $molecule = 1 ]; then
  layer "molecule converge, idempotence, verify" \
    bash -c 'molecule converge --all && molecule idempotence --all && molecule verify --all'
fi
layer "pytest: integration B (roles, site.yml, HAProxy, images)" integration b "${it_b[@]}"
wait "$it_a_pid" || echo "FAIL  integration A (exit $?)" >> "$layers"
echo; echo "=== integration A (ran beside B)"
cat "$reports/integration-a.log"
layer "pytest: integration C (the lab itself, edge site down, site added)" integration c -rP "${it_c[@]}"
if [ $molecule = 1 ]; then
  layer "molecule destroy (lab down)" molecule destroy --all
fi
layer "lab tear-down leaves nothing" bash -c 'python3 lab/lab.py down && python3 tests/lab/check_teardown.py'

wait "$static_pid" || echo "FAIL  static stream (exit $?)" >> "$layers"
echo; echo "=== static stream (ran beside the lab stream)"
cat "$reports/static.log"

echo; echo "=== summary ($((SECONDS - t_start))s in all)"
cat "$layers"
# The closing line: pytest's tests plus each other layer counted as one test.
python3 - "$expected" "$layers" "$reports"/pytest-*.xml <<'PY'
import sys, xml.etree.ElementTree as ET
expected = int(sys.argv.pop(1))
rows = open(sys.argv[1], encoding="utf-8").read().splitlines()
missing = max(0, expected - len(rows))
if missing:
    print(f"{missing} layer(s) wrote no result: counted as failed")
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
others_failed = sum(r.startswith("FAIL") for r in others) + missing
print(f"summary: {passed + len(others) - others_failed} passed, {failed + others_failed} failed, {skipped} skipped")
sys.exit(1 if failed + others_failed else 0)
PY
