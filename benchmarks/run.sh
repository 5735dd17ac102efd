#!/usr/bin/env bash
# make benchmarks: the full benchmark (1,000 distributions x 3 aliases; the baseline takes a while).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
exec "$root/.venv/bin/python" "$root/benchmarks/run.py" "$@"
