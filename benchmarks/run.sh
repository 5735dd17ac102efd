#!/usr/bin/env bash
# make benchmarks: the full benchmark (1,000 distributions x 3 aliases; the baseline takes a while);
# make benchmarks QUICK=1 / make benchmarks-quick: run.py --quick (the ratios in under five minutes).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
exec "$root/.venv/bin/python" "$root/benchmarks/run.py" "$@"
