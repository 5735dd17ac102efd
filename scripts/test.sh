#!/usr/bin/env bash
# The whole test suite, as CI runs it: unit tests, the sandbox's conformance tests, the
# integration tests (real ansible-playbook against the sandbox), ansible-test sanity and
# ansible-lint. Installs what it needs first (scripts/bootstrap.sh).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
"$root/scripts/bootstrap.sh"
venv="$root/.venv"
collections="$(cat "$venv/.collections-path")"
export PYTHONDONTWRITEBYTECODE=1

step() { printf '\n== %s\n' "$*"; }
started=$(date +%s)

step "unit tests (ansible-test units)"
"$root/scripts/ansible_test.sh" units

step "sandbox conformance and integration tests (pytest, two workers, each with its own sandbox)"
"$venv/bin/python" -m pytest tests/sandbox tests/integration -n 2 --dist loadfile -p no:cacheprovider -rs -q

step "ansible-test sanity"
"$root/scripts/ansible_test.sh" sanity

step "ansible-lint"
ANSIBLE_COLLECTIONS_PATH="$collections" "$venv/bin/ansible-lint" --offline --nocolor

step "collection build and install"
build="$(mktemp -d)"
trap 'rm -rf "$build"' EXIT
"$venv/bin/ansible-galaxy" collection build --output-path "$build" "$root" >/dev/null
"$venv/bin/ansible-galaxy" collection install --offline -p "$build/installed" "$build"/aliasguard-cloudfront-*.tar.gz >/dev/null
ANSIBLE_COLLECTIONS_PATH="$build/installed" "$venv/bin/ansible-doc" aliasguard.cloudfront.cloudfront_alias_conflict_info >/dev/null
if tar -tzf "$build"/aliasguard-cloudfront-*.tar.gz | grep -qE '^(sandbox|benchmarks)/'; then
  echo "the built collection contains sandbox/ or benchmarks/" >&2; exit 1
fi
echo "built and installed $(basename "$build"/aliasguard-cloudfront-*.tar.gz)"

printf '\nall tests passed in %ss\n' "$(( $(date +%s) - started ))"
