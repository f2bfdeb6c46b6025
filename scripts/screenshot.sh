#!/usr/bin/env bash
# Rebuild docs/report.png: the bundled study's report.html in headless Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
profile=$(mktemp -d)
trap 'rm -rf "$out" "$profile"' EXIT
command -v chromium >/dev/null 2>&1 || {
    echo "scripts/screenshot.sh needs Chromium: sudo apt-get install chromium" >&2
    exit 1
}
cargo run --release --quiet -- compare --quiet --out "$out/study"
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$profile" --hide-scrollbars --window-size=1200,2200 \
    --screenshot="$out/shot.png" "file://$out/study/report.html" 2>/dev/null
cp "$out/shot.png" docs/report.png
echo "wrote docs/report.png"
