#!/usr/bin/env bash
# The README's main command: installs what is missing, builds retain (release), and runs it on
# the bundled sample feature table: a churn model and customer segments, written to models/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
echo "building retain (release; the first build takes a minute or two)..." >&2
swift build -c release --product retain 2>&1 | grep -E "error|warning: unre|Compiling retain|Build complete" >&2 || true
BIN="$(swift build -c release --show-bin-path)/retain"
[ -x "$BIN" ] || { echo "build failed: run 'swift build -c release' to see why" >&2; exit 1; }
echo
echo "== retain train: churn model on datasets/sample/features.csv"
"$BIN" train --features datasets/sample/features.csv --label churned --id customer_id --c 1.0 --out models/sample-churn.json
echo
echo "== retain segment: 4 segments on recency, activity and spend (standardised)"
"$BIN" segment --features datasets/sample/features.csv --id customer_id \
  --columns days_since_last_event,n90_login,n90_session_end,n90_purchase,purchase_sum_90 \
  --k 4 --seed 1 --n-init 4 --standardize --out models/sample-segments.json
