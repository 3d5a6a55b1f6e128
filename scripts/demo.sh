#!/usr/bin/env bash
# The README's main command: installs what is missing, builds retain (release) and runs the daily
# workflow on the bundled sample (datasets/sample): train a churn model and segments from the
# event log, then the engagement KPIs of the last month. Everything it writes goes to out/demo/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
echo "building retain (release; the first build takes a few minutes)..." >&2
swift build -c release --product retain 2>&1 | grep -E "error|Build of product" >&2 || true
BIN="$(swift build -c release --show-bin-path)/retain"
[ -x "$BIN" ] || { echo "build failed: run 'swift build -c release' to see why" >&2; exit 1; }
OUT=out/demo
mkdir -p "$OUT"
DATA=(--events datasets/sample/events.csv --customers datasets/sample/customers.csv)
if "$BIN" --help | grep -qE '^ +demo +'; then
  exec "$BIN" demo --out "$OUT"
fi
echo
echo "== retain train: churn model from 6 monthly snapshots, holdout on the latest"
"$BIN" train "${DATA[@]}" --as-of 2025-12-01 --out "$OUT/churn.json"
echo
echo "== retain segment: k chosen by silhouette, named segments, RFM"
"$BIN" segment "${DATA[@]}" --as-of 2025-12-01 --k auto --out "$OUT/segments.json"
echo
echo "== retain metrics: engagement KPIs for November 2025"
"$BIN" metrics "${DATA[@]}" --from 2025-11-01 --to 2025-12-01
echo
echo "Model bundles written to $OUT/ (the committed ones in models/ were made by the same commands)."
