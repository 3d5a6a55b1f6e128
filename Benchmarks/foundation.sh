#!/usr/bin/env bash
# Foundation benchmark: retain vs scikit-learn on the peer harness's data, same machine, same run.
#
#   Benchmarks/foundation.sh            # RUNS=5 by default; data in /tmp/bench-data
#
# Needs ../shared/bench (the peer harness): makes its venv (/tmp/bench-venv) and data
# (/tmp/bench-data: lr.csv 1,000,000 x 32 + label, km.csv 1,000,000 x 16) on first use.
# Prints (1) whole-process medians (run_peers.sh, /usr/bin/time -v) and (2) in-process fit
# times (retain-bench on the .bin matrices vs the peers' fit_s with --format bin), and the ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED=${SHARED:-$(cd .. && pwd)/shared}
BENCH=$SHARED/bench
PY=${PY:-/tmp/bench-venv/bin/python}
DATA=${DATA:-/tmp/bench-data}
OUT=${OUT:-/tmp/retain-foundation-bench}
RUNS=${RUNS:-5}
[ -d "$BENCH" ] || { echo "no peer harness at $BENCH (set SHARED=...)" >&2; exit 2; }
command -v /usr/bin/time >/dev/null || apt-get install -y -qq time >/dev/null
[ -x "$PY" ] || { python3 -m venv /tmp/bench-venv && "$PY" -m pip install -q -r "$BENCH/requirements.txt"; }
[ -f "$DATA/lr.csv" ] && [ -f "$DATA/km.csv" ] || "$PY" "$BENCH/gen.py" --out "$DATA"
[ -f "$DATA/km_init.csv" ] || "$PY" -c "
import numpy as np, pandas as pd; from sklearn.cluster import kmeans_plusplus
X = np.fromfile('$DATA/km.bin').reshape(-1, 16); c, _ = kmeans_plusplus(X, 8, random_state=0)
pd.DataFrame(c, columns=[f'f{i}' for i in range(16)]).to_csv('$DATA/km_init.csv', index=False, float_format='%.17g')"
swift build -c release --product retain >/dev/null
swift build -c release --product retain-bench >/dev/null
BIN=$(swift build -c release --show-bin-path)
mkdir -p "$OUT"

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%F)"
echo "== whole process (median of $RUNS after a warm-up)"
RUNS=$RUNS ONLY='lr_newton_csv|km_csv|km_init_csv|retain_train|retain_segment' "$BENCH/run_peers.sh" "$DATA" "$OUT" \
  km_init_csv="$PY $BENCH/peers/sk_kmeans.py --data $DATA --init $DATA/km_init.csv" \
  retain_train="$BIN/retain train --features $DATA/lr.csv --label label --c 1.0 --json" \
  retain_segment="$BIN/retain segment --features $DATA/km.csv --k 8 --init $DATA/km_init.csv --json" >/dev/null
S=$OUT/summary.tsv
cat "$S" | cut -f1-5 | column -t
w() { awk -F'\t' -v n="$1" '$1==n {print $3}' "$S"; }
echo "ratio train (retain / sklearn newton-cholesky, CSV): $("$PY" -c "print(f'{$(w retain_train)/$(w lr_newton_csv):.3f}')")"
echo "ratio segment (retain / sklearn lloyd from the same centres, CSV): $("$PY" -c "print(f'{$(w retain_segment)/$(w km_init_csv):.3f}')")"

echo "== in-process fit (binary matrices, no parsing; 3 alternating rounds)"
for round in 1 2 3; do
  "$PY" "$BENCH/peers/sk_logreg.py" --data "$DATA" --format bin --solver newton-cholesky | grep -o 'fit_s=[0-9.]* n_iter=[0-9]*' | sed 's/^/sklearn lr /'
  "$BIN/retain-bench" lr "$DATA" | sed 's/^/retain /'
  "$PY" "$BENCH/peers/sk_kmeans.py" --data "$DATA" --format bin --init "$DATA/km_init.csv" | grep -o 'fit_s=[0-9.]* n_iter=[0-9]*' | sed 's/^/sklearn km tol=1e-6 /'
  "$BIN/retain-bench" km "$DATA" "$DATA/km_init.csv" 1e-6 | sed 's/^/retain /'
  "$BIN/retain-bench" km "$DATA" "$DATA/km_init.csv" 0 | grep hamerly | sed 's/^/retain /'
done
