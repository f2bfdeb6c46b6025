#!/usr/bin/env bash
# The test command: builds and runs every test. The report check opens report.html in
# headless Chromium; where Chromium is missing and we are root, it is installed from
# Debian's packages (apt-get), otherwise the command says how to install it; NumPy,
# for the check of the benchmark's reference model, comes from PyPI (pip), as do the
# Python clients below.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null 2>&1 && [ -z "${POVSIM_CHROMIUM:-}" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "== installing Chromium for the browser check (apt-get install chromium)"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    else
        echo "Chromium is needed for the report's browser check: install it (Debian: sudo apt-get install chromium) or set POVSIM_CHROMIUM to its path." >&2
        exit 1
    fi
fi
# The benchmark's NumPy reference is checked against the engine.
if ! python3 -c "import numpy" >/dev/null 2>&1; then
    echo "== installing NumPy for the reference-model check (pip install numpy)"
    python3 -m pip install --quiet numpy
fi
# Real clients, in a virtual environment of their own under target/: SALib checks
# povsim's Morris and Sobol estimators on povsim's own designs; EMA Workbench, Dask,
# pandas and polars drive the Python package (python/), which maturin builds into the
# same environment (incrementally: seconds when nothing changed); Playwright drives
# Debian's Chromium (never its own browser download) through the classroom's page.
venv=target/clients-venv
clients=("SALib>=1.5,<2" "ema_workbench>=2.5,<3" "scipy" "dask[distributed]" "pandas" "polars" "maturin>=1.9,<2" "playwright>=1.40,<2")
if ! "$venv/bin/python" -c "import SALib, ema_workbench, scipy, distributed, pandas, polars, maturin, playwright" >/dev/null 2>&1; then
    echo "== installing SALib, EMA Workbench, Dask, pandas, polars, maturin and Playwright (pip, in $venv)"
    [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet "${clients[@]}"
fi
echo "== building the Python package into $venv (maturin develop)"
(cd python && VIRTUAL_ENV="$PWD/../$venv" PATH="$PWD/../$venv/bin:$PATH" maturin develop --locked --quiet)
export POVSIM_PYTHON="$PWD/$venv/bin/python" POVSIM_REQUIRE_SALIB=1 POVSIM_REQUIRE_PYTHON_PACKAGE=1
# The full-disk and read-only checks mount a small tmpfs, which needs root: as root a
# failure to mount is a test failure, otherwise those checks say "skipped".
if [ "$(id -u)" = 0 ]; then
    export POVSIM_REQUIRE_TMPFS=1
fi
POVSIM_REQUIRE_BROWSER=1 POVSIM_REQUIRE_NUMPY=1 cargo test --all-targets --locked "$@"
# --all-targets leaves out documentation examples: run them too (the step API's).
cargo test --doc --locked
