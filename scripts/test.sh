#!/usr/bin/env bash
# The test command: builds and runs every test. The report check opens report.html in
# headless Chromium; where Chromium is missing and we are root, it is installed from
# Debian's packages (apt-get), otherwise the command says how to install it; NumPy,
# for the check of the benchmark's reference model, comes from PyPI (pip).
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
# Real clients: SALib, in a virtual environment of its own under target/, checks
# povsim's Morris and Sobol estimators on povsim's own designs.
venv=target/clients-venv
if ! "$venv/bin/python" -c "import SALib" >/dev/null 2>&1; then
    echo "== installing SALib for the estimator cross-check (pip, in $venv)"
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet "SALib>=1.5,<2"
fi
export POVSIM_PYTHON="$PWD/$venv/bin/python" POVSIM_REQUIRE_SALIB=1
# The full-disk and read-only checks mount a small tmpfs, which needs root: as root a
# failure to mount is a test failure, otherwise those checks say "skipped".
if [ "$(id -u)" = 0 ]; then
    export POVSIM_REQUIRE_TMPFS=1
fi
POVSIM_REQUIRE_BROWSER=1 POVSIM_REQUIRE_NUMPY=1 cargo test --all-targets --locked "$@"
