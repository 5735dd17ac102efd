#!/usr/bin/env bash
# Prepare a machine to run the demo and the tests: a venv with pinned packages,
# BIND 9 for the RFC 2136 part of the sandbox, and the collection on a collections path.
# Safe to run again: each step is skipped when it is already done.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv"

# Debian's own /usr/bin/python3.11 first: the tests spend their CPU in Python (ansible-playbook, its
# modules, the sandbox), and on the CI machine the same one-module playbook took about 15% less CPU with
# it than with pyenv's 3.11, which is built without --enable-optimizations (see its sysconfig
# CONFIG_ARGS); Debian builds its Python optimised. PYTHON=... still chooses. An existing .venv is kept:
# `make clean` (or rm -rf .venv) and bootstrap again to move it.
# A candidate that cannot make a venv (Debian's Python without its python3.11-venv package has no
# ensurepip) is passed over for the next one.
make_venv() {
  for candidate in "${PYTHON:-}" /usr/bin/python3.11 python3.11 python3; do
    if [ -n "$candidate" ] && command -v "$candidate" >/dev/null 2>&1; then
      if "$candidate" -m venv "$venv" >/dev/null 2>&1; then
        echo "   with $candidate"; return
      fi
      rm -rf "$venv"
    fi
  done
  echo "error: no Python 3 here can make a venv; install Python 3.11 and its venv module (python3.11-venv)" >&2
  exit 1
}

if [ ! -x "$venv/bin/python" ]; then
  echo "== creating $venv"
  make_venv
fi

stamp="$venv/.requirements-dev.sha256"
want="$(sha256sum "$root/requirements-dev.txt" | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "== installing Python packages (requirements-dev.txt)"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
  # uv installs the same packages as pip, from the same index, in a third of the time (it unpacks and
  # compiles in parallel: 33 s against about 90 s on two cores, measured); pip when uv cannot be had.
  if "$venv/bin/python" -m pip install --quiet --disable-pip-version-check uv >/dev/null 2>&1; then
    "$venv/bin/python" -m uv pip install --quiet --python "$venv/bin/python" --compile-bytecode \
      -r "$root/requirements-dev.txt"
  else
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$root/requirements-dev.txt"
  fi
  echo "$want" > "$stamp"
fi

# Debian packages: BIND 9 for the sandbox's RFC 2136 server, Chromium and its driver for the
# audit report's browser test.
missing=()
if ! command -v named >/dev/null 2>&1 && [ ! -x /usr/sbin/named ]; then missing+=(bind9); fi
if [ "${ALIASGUARD_NO_BROWSER:-}" != 1 ]; then
  if ! command -v chromium >/dev/null 2>&1; then missing+=(chromium); fi
  if ! command -v chromedriver >/dev/null 2>&1; then missing+=(chromium-driver); fi
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "== installing Debian packages: ${missing[*]}"
  sudo_cmd=""
  if [ "$(id -u)" != 0 ]; then sudo_cmd="sudo"; fi
  $sudo_cmd env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo_cmd env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# ansible-playbook finds the collection through a collections path; a link to the
# working tree (outside it, so that no tool walks into itself) keeps edits live.
collections="$(python3 -c 'import hashlib,sys,tempfile,os; print(os.path.join(tempfile.gettempdir(), "aliasguard-collections-" + hashlib.sha1(sys.argv[1].encode()).hexdigest()[:10]))' "$root")"
mkdir -p "$collections/ansible_collections/aliasguard"
ln -sfn "$root" "$collections/ansible_collections/aliasguard/cloudfront"
echo "$collections" > "$venv/.collections-path"
