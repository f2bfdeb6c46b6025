#!/usr/bin/env bash
# The test command: builds and runs every test. Needs only the Rust toolchain.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --all-targets --locked "$@"
