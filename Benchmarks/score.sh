#!/usr/bin/env bash
# Scoring benchmark (issue #5): `retain score --features` on a prepared 1,000,000-row feature table vs
# Benchmarks/score_peer_pandas.py (pandas read_csv, the bundle's preprocessing in numpy,
# scikit-learn predict_proba, the bundle's calibration, to_csv), whole process, alternating rounds.
#
#   Benchmarks/score.sh [RETAIN_BIN] [DATA_DIR]    # defaults: .build/release/retain, /tmp/bench-data
#   ROUNDS=5 OUT=/tmp/x Benchmarks/score.sh
#
# Setup, not timed: a model (`retain train --events`, 4 monthly snapshots as of 2025-12-31), the
# `retain features` table of the 10M-event log as of 2025-12-31 (100k customers, 66 features), and
# that table repeated to 1,000,000 rows with distinct ids (X<k>_<id>). retain writes more per row than
# the peer: tier, value, segment, flags, action and three reasons in words beside the probability.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-.build/release/retain}
DATA=${2:-/tmp/bench-data}
SHARED=${SHARED:-$(cd .. && pwd)/shared}
BENCH=$SHARED/bench
PY=${PY:-/tmp/bench-venv/bin/python}
OUT=${OUT:-/tmp/retain-score-bench}
ROUNDS=${ROUNDS:-3}
ROWS=${ROWS:-1000000}
[ -x "$BIN" ] || { echo "no retain binary at $BIN (swift build -c release, or pass its path)" >&2; exit 2; }
command -v /usr/bin/time >/dev/null || apt-get install -y -qq time >/dev/null
[ -x "$PY" ] || { python3 -m venv /tmp/bench-venv && "$PY" -m pip install -q -r "$BENCH/requirements.txt"; }
[ -f "$DATA/events.csv" ] || "$PY" "$BENCH/gen.py" --out "$DATA" --only events
mkdir -p "$OUT"
ROLES="--role session=session_end --role nps=nps_response --role csat=csat_response --role ticket_opened=support_ticket"
if [ ! -f "$OUT/table.csv" ]; then
  "$BIN" train --events "$DATA/events.csv" --customers "$DATA/customers.csv" $ROLES --as-of 2025-12-31 --snapshots 4 \
    --out "$OUT/model.json" > "$OUT/train.out"
  "$BIN" features --events "$DATA/events.csv" --customers "$DATA/customers.csv" $ROLES --as-of 2025-12-31 --out "$OUT/features.csv" > /dev/null
  "$PY" - "$OUT/features.csv" "$OUT/table.csv" "$ROWS" <<'PY'
import sys
src, dst, rows = sys.argv[1], sys.argv[2], int(sys.argv[3])
lines = open(src).read().splitlines()
header, body = lines[0], [l for l in lines[1:] if l]
with open(dst, "w") as f:
    f.write(header + "\n")
    n = k = 0
    while n < rows:
        for line in body[: rows - n]:
            f.write(f"X{k}_{line}\n")
        n += min(len(body), rows - n); k += 1
PY
fi
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u '+%F %H:%M UTC'), load:$(uptime | sed 's/.*load average://')"
echo "== table: $(($(wc -l < "$OUT/table.csv") - 1)) rows, $(du -m "$OUT/table.csv" | cut -f1) MB; retain: $BIN"
for r in $(seq 1 "$ROUNDS"); do
  /usr/bin/time -f '%e %M' -o "$OUT/peer.$r.time" "$PY" Benchmarks/score_peer_pandas.py "$OUT/model.json" "$OUT/table.csv" "$OUT/peer.csv" > "$OUT/peer.$r.out"
  /usr/bin/time -f '%e %M' -o "$OUT/retain.$r.time" "$BIN" score --features "$OUT/table.csv" --id customer_id --model "$OUT/model.json" \
    --as-of 2026-01-01 --out "$OUT/retain.csv" > "$OUT/retain.$r.out"
done
echo "load after: $(uptime | sed 's/.*load average://')"
"$PY" - "$OUT" "$ROUNDS" <<'PY'
import statistics, sys
import pandas as pd
out, rounds = sys.argv[1], int(sys.argv[2])
t = lambda p: [float(x) for x in open(p).read().split()[-2:]]
print(f"{'round':>5} {'peer s':>8} {'peer MB':>8} {'retain s':>9} {'retain MB':>9} {'ratio':>6}")
ratios = []
for r in range(1, rounds + 1):
    p, q = t(f"{out}/peer.{r}.time"), t(f"{out}/retain.{r}.time")
    ratios.append(q[0] / p[0])
    print(f"{r:>5} {p[0]:>8.2f} {p[1] / 1024:>8.0f} {q[0]:>9.2f} {q[1] / 1024:>9.0f} {q[0] / p[0]:>6.3f}")
print(f"median ratio retain / peer: {statistics.median(ratios):.3f}")
a = pd.read_csv(f"{out}/peer.csv"); b = pd.read_csv(f"{out}/retain.csv", usecols=["customer_id", "churn_probability"])
assert len(a) == len(b) and (a.customer_id == b.customer_id).all(), "row order or count differs"
print(f"rows {len(b)}; max |p_retain - p_peer| = {(a.churn_probability - b.churn_probability).abs().max():.2e} (retain writes 6 decimals)")
PY
