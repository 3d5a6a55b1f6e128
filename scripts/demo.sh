#!/usr/bin/env bash
# The README's main command: installs what is missing, builds retain (release) and runs
# `retain demo` on the bundled sample (datasets/sample): features, train, segment, score, export.
# Everything it writes goes to out/demo/. (The step-by-step fallback below runs if the binary has
# no demo command.)
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
