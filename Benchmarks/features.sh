#!/usr/bin/env bash
# Feature-builder benchmark: retain features vs the DuckDB, polars and pandas peers on the peer
# harness's 10M-event log, whole process, same run (median wall, CPU and peak RSS), plus a
# cell-by-cell comparison with the polars peer (rtol 1e-9).
#
#   Benchmarks/features.sh            # RUNS=5; data in /tmp/bench-data (made on first use)
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED=${SHARED:-$(cd .. && pwd)/shared}
BENCH=$SHARED/bench
PY=${PY:-/tmp/bench-venv/bin/python}
DATA=${DATA:-/tmp/bench-data}
OUT=${OUT:-/tmp/retain-features-bench}
RUNS=${RUNS:-5}
[ -d "$BENCH" ] || { echo "no peer harness at $BENCH (set SHARED=...)" >&2; exit 2; }
command -v /usr/bin/time >/dev/null || apt-get install -y -qq time >/dev/null
[ -x "$PY" ] || { python3 -m venv /tmp/bench-venv && "$PY" -m pip install -q -r "$BENCH/requirements.txt"; }
[ -f "$DATA/events.csv" ] || "$PY" "$BENCH/gen.py" --out "$DATA" --only events
swift build -c release --product retain >/dev/null
BIN=$(swift build -c release --show-bin-path)/retain
mkdir -p "$OUT"
ROLES="--role session=session_end --role nps=nps_response --role csat=csat_response --role ticket_opened=support_ticket"
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%F)"
RUNS=$RUNS ONLY='feat_duckdb|feat_polars|feat_pandas|retain_features' "$BENCH/run_peers.sh" "$DATA" "$OUT" \
  retain_features="$BIN features --events $DATA/events.csv --as-of 2025-10-28 --label $ROLES --out $OUT/retain.csv" >/dev/null
S=$OUT/summary.tsv
cut -f1-5 "$S" | column -t
w() { awk -F'\t' -v n="$1" '$1==n {print $3}' "$S"; }
m() { awk -F'\t' -v n="$1" '$1==n {print $5}' "$S"; }
echo "wall ratio retain / duckdb: $("$PY" -c "print(f'{$(w retain_features)/$(w feat_duckdb):.3f}')")"
echo "wall ratio retain / polars: $("$PY" -c "print(f'{$(w retain_features)/$(w feat_polars):.3f}')")"
echo "wall ratio retain / pandas: $("$PY" -c "print(f'{$(w retain_features)/$(w feat_pandas):.3f}')")"
echo "peak RSS retain / lowest peer: $("$PY" -c "print(f'{$(m retain_features)/min($(m feat_duckdb),$(m feat_polars),$(m feat_pandas)):.3f}')")"
"$PY" - "$OUT/feat_polars.csv" "$OUT/retain.csv" <<'PY'
import sys, polars as pl
p = pl.read_csv(sys.argv[1], infer_schema_length=0); r = pl.read_csv(sys.argv[2], infer_schema_length=0)
types = ["login","page_view","session_end","purchase","email_open","email_click","support_ticket","nps_response","csat_response"]
m = {f"n30_{t}": f"n_{t}_30d" for t in types} | {f"n90_{t}": f"n_{t}_90d" for t in types} | {
    "purchase_sum_90": "sum_purchase_90d", "days_since_last_event": "recency_days",
    "days_since_last_purchase": "recency_purchase_days", "session_mean_30": "mean_session_seconds_30d",
    "last_nps": "nps_last", "churned": "churned"}
j = p.join(r.select(["customer_id"] + list(m.values())).rename({v: "r_" + v for v in m.values()}), on="customer_id", how="left")
bad = 0; cells = 0
for a, b in m.items():
    x = j[a].cast(pl.Float64, strict=False); y = j["r_" + b].cast(pl.Float64, strict=False)
    ok = (x.is_null() & y.is_null()) | ((x - y).abs() <= 1e-9 * (x.abs() + 1)).fill_null(False)
    bad += int((~ok).sum()); cells += len(ok)
print(f"same numbers as the polars peer: {cells - bad}/{cells} cells within 1e-9 relative, {p.height} peer rows, "
      f"{j.filter(pl.col('r_recency_days').is_null()).height} missing from retain")
PY
