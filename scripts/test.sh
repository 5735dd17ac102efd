#!/usr/bin/env bash
# The whole test suite, as CI runs it: unit tests, the sandbox's conformance tests, the
# integration tests (real ansible-playbook against the sandbox, also through ansible-runner as
# AWX runs it, and on the ansible-core floor of meta/runtime.yml), ansible-test sanity,
# ansible-lint, and what the collection ships: its changelog, its docs site, the built tarball
# and its execution environment. Installs what it needs first (scripts/bootstrap.sh).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
"$root/scripts/bootstrap.sh"
venv="$root/.venv"
collections="$(cat "$venv/.collections-path")"
export PYTHONDONTWRITEBYTECODE=1

step() { printf '\n== %s\n' "$*"; }
started=$(date +%s)
# Every step says what it cost: CPU seconds (its processes and their children) barely depend on what else
# the machine runs, wall time does. Compare CPU when you make the suite cheaper or dearer.
TIMEFORMAT='   (CPU: %U s user + %S s sys; wall: %R s)'

# Everything but the pytest suite runs beside it, one step after another, in the background: the
# suite spends much of its time waiting on the sandbox (deploy and DNS-check delays, propagation,
# retries), and these checks fill that time. Their output is shown after the suite's.
checks() {
  step "unit tests (ansible-test units)"
  time "$root/scripts/ansible_test.sh" units

  step "ansible-test sanity"
  time "$root/scripts/ansible_test.sh" sanity

  step "ansible-lint"
  time env ANSIBLE_COLLECTIONS_PATH="$collections" "$venv/bin/ansible-lint" --offline --nocolor

  step "types (mypy over plugins/module_utils and plugins/plugin_utils, mypy.ini)"
  time env MYPYPATH="$collections" "$venv/bin/mypy" --config-file mypy.ini --cache-dir "$work/mypy-cache" \
    -p ansible_collections.aliasguard.cloudfront.plugins.module_utils \
    -p ansible_collections.aliasguard.cloudfront.plugins.plugin_utils

  step "changelog (antsibull-changelog)"
  time changelog_checks

  step "docs site (antsibull-docs lint-collection-docs)"
  # It runs ansible and ansible-doc from PATH (ansible-core's are enough; the ansible package is not needed).
  time env PATH="$venv/bin:$PATH" "$venv/bin/antsibull-docs" lint-collection-docs --plugin-docs --check-extra-docs-refs .
  echo "docs/docsite and every plugin's documentation lint clean"

  step "collection build and install"
  time build_and_install

  step "execution environment (ansible-builder)"
  time "$venv/bin/python" scripts/check_collection.py ee "$work/installed" "$work/ee-context"
}

changelog_checks() {
  "$venv/bin/antsibull-changelog" lint
  "$venv/bin/antsibull-changelog" lint-changelog-yaml changelogs/changelog.yaml
  # CHANGELOG.md is generated from changelogs/changelog.yaml: generate it again, apart, and compare.
  cp -r galaxy.yml changelogs CHANGELOG.md "$work/"
  (cd "$work" && "$venv/bin/antsibull-changelog" generate)
  cmp -s CHANGELOG.md "$work/CHANGELOG.md" || {
    echo "CHANGELOG.md is not what changelogs/changelog.yaml generates: run antsibull-changelog generate" >&2
    diff -u CHANGELOG.md "$work/CHANGELOG.md" | head -40 >&2; exit 1; }
  "$venv/bin/python" scripts/check_collection.py changelog
}

build_and_install() {
  "$venv/bin/ansible-galaxy" collection build --output-path "$work/build" "$root" >/dev/null
  tarball="$(echo "$work"/build/aliasguard-cloudfront-*.tar.gz)"
  "$venv/bin/ansible-galaxy" collection install --offline -p "$work/installed" "$tarball" >/dev/null
  ANSIBLE_COLLECTIONS_PATH="$work/installed" "$venv/bin/ansible-doc" aliasguard.cloudfront.cloudfront_alias_conflict_info >/dev/null
  "$venv/bin/python" scripts/check_collection.py tarball "$tarball"
}

work="$(mktemp -d)"
checks_log="$work/checks.log"
trap 'rm -rf "$work"' EXIT
checks >"$checks_log" 2>&1 &
checks_pid=$!

step "sandbox conformance and integration tests, and the ansible-core floor (pytest, three workers, each with its own sandbox; the other checks run meanwhile)"
pytest_status=0
export ALIASGUARD_CPU_REPORT="$work/cpu.jsonl"
# Whole files go to workers (module fixtures such as the bad-input corpus run once), in an order that
# keeps both cores busy: the sandbox's conformance files first (they mostly wait on deployment delays,
# while ansible-test and the other checks beside the suite use the CPU), then the few long end-to-end
# files (left to xdist, which orders files by their number of tests, they came last and ran alone),
# then the files that run many short playbooks, then the rest.
order=(
  tests/sandbox
  tests/integration/test_remediate.py tests/integration/test_remediate_tenants.py
  tests/integration/test_kill_rerun.py tests/integration/test_remediate_scenarios.py
  tests/integration/test_documented_aws_behaviour.py
  tests/integration/test_dns_cname_repoint.py tests/integration/test_bad_input.py
  tests/integration/test_conflict_info.py tests/integration/test_distribution_alias.py
  tests/integration/test_audit.py tests/integration/test_dns_cname_verify.py
  tests/integration tests/compat
)
time "$venv/bin/python" -m pytest "${order[@]}" \
  -n 3 --dist loadfile --no-loadscope-reorder -p no:cacheprovider -rs -q --durations=25 \
  || pytest_status=$?
# CPU seconds per test file (tests/conftest.py records them: its own, ansible-playbook's, the sandboxes').
"$venv/bin/python" scripts/cpu_report.py "$work/cpu.jsonl" | head -n 40 || true

checks_status=0
wait "$checks_pid" || checks_status=$?
cat "$checks_log"
[ "$pytest_status" -eq 0 ] || { echo "the pytest suite failed (exit $pytest_status)" >&2; exit "$pytest_status"; }
[ "$checks_status" -eq 0 ] || { echo "a check beside the pytest suite failed (exit $checks_status): see above" >&2; exit "$checks_status"; }

printf '\nall tests passed in %ss\n' "$(( $(date +%s) - started ))"
