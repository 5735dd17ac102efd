#!/usr/bin/env bash
# Run ansible-test on a copy of the collection (ansible-test refuses a symlinked tree).
# Usage: scripts/ansible_test.sh sanity|units [more ansible-test arguments]
# The copy holds the tracked files plus untracked, not ignored ones, so that it tests the working tree.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv"
work="$(mktemp -d "${TMPDIR:-/tmp}/aliasguard-ansible-test.XXXXXX")"
trap 'rm -rf "$work"' EXIT

copy="$work/ansible_collections/aliasguard/cloudfront"
mkdir -p "$copy"
(cd "$root" && git ls-files -z --cached --others --exclude-standard | xargs -0 -I{} sh -c 'test -e "{}" && printf "%s\0" "{}"' | tar --null -T - -cf -) | tar -xf - -C "$copy"
# ansible-test reads the file list from git; give the copy its own repository.
(cd "$copy" && git init -q && git add -A)

# ansible-test keeps the venvs of its sanity tests under ~/.ansible/test/venv, one per set of pinned
# requirements (it rebuilds one that was left half made). HOME is a cache of our own that outlives this
# run, so that they are built once per machine, not once per run; a lock keeps two runs from building
# the same venv at once. Offline, those venvs get pip from the stand-in for get-pip.py written below.
cache="${ALIASGUARD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/aliasguard}"
mkdir -p "$cache/ansible-test-home"
exec 9>"$cache/ansible-test.lock"
flock 9
export HOME="$cache/ansible-test-home"
mkdir -p "$HOME/.ansible/test/cache"
cat > "$HOME/.ansible/test/cache/get_pip_24_2.py" <<'PY'
import subprocess
import sys

args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade"])
if args:
    subprocess.check_call([sys.executable, "-m", "pip", "install"] + args)
PY

cd "$copy"
command="$1"; shift
"$venv/bin/ansible-test" "$command" --local --python 3.11 --color no "$@"
