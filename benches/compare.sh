#!/usr/bin/env bash
# Engine against the draw-loop floor and the NumPy reference of the core model,
# interleaved; agreement of the return rates; scaling, start-up and memory.
# Usage: benches/compare.sh [--rounds N] [--skip-scaling] ...  (see benches/compare.py)
# Run it on an otherwise idle machine; figures go to docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked --quiet
python3 -c "import numpy" 2>/dev/null || python3 -m pip install --quiet numpy
floor_bin=$(cargo bench --locked --bench draw_floor --no-run --message-format=json 2>/dev/null \
    | python3 -c 'import json,sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "draw_floor" and m.get("executable"):
        print(m["executable"])')
exec python3 benches/compare.py --floor-bin "$floor_bin" "$@"
