#!/usr/bin/env bash
# CLV benchmark: BG/NBD + Gamma-Gamma fits in retain vs lifetimes 0.11.3, same data, same run.
#
#   Benchmarks/clv.sh            # data in /tmp/clv-bench (the 1M-customer log is generated once)
#
# Three data sets:
#   sample   the published CDNOW summary (2,357 customers; datasets/cdnow/cdnow_customers_summary_with_transactions.csv)
#   master   the full CDNOW log datasets/cdnow/CDNOW_master.txt (23,570 customers), calibration to 1997-09-30
#   sim1m    a simulated BG/NBD + Gamma-Gamma purchase log of 1,000,000 customers (events CSV, made by
#            Benchmarks/clv_lifetimes_peer.py generate), calibration to 2024-09-30
# Both sides read the same file. For master and sim1m, `retain clv --out` writes its RFM summary and
# the peer checks that its own pandas summary of the raw file equals it (printed as max differences),
# so both fit the same numbers.
#
# Timings:
#   fit   retain: retain-bench clv on the summary (median of up to 7 runs after a warm-up; BG/NBD fit
#         with standard errors + Gamma-Gamma fit); lifetimes: BetaGeoFitter.fit + GammaGammaFitter.fit
#         (one run each; includes its Hessian), perf_counter.
#   e2e   retain clv (read + summary + both fits; per-customer predictions reported apart) vs the peer
#         (pandas read + summary + both fits), wall-clock inside each process.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-/tmp/bench-venv/bin/python}
DATA=${DATA:-/tmp/clv-bench}
SCRATCH=${SCRATCH:-.build}
PEER=Benchmarks/clv_lifetimes_peer.py
[ -x "$PY" ] || { echo "no Python with lifetimes at $PY (set PY=...; pip install lifetimes==0.11.3)" >&2; exit 2; }
mkdir -p "$DATA"
swift build -c release --scratch-path "$SCRATCH" --product retain >/dev/null
swift build -c release --scratch-path "$SCRATCH" --product retain-bench >/dev/null
BIN=$(swift build -c release --scratch-path "$SCRATCH" --show-bin-path)
[ -f "$DATA/events_1m.csv" ] || "$PY" "$PEER" generate --customers 1000000 --out "$DATA/events_1m.csv" >&2

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%F)"

run() {  # NAME, retain clv args..., -- peer args...
  local name=$1; shift
  local rargs=() pargs=()
  while [ "$1" != "--" ]; do rargs+=("$1"); shift; done; shift
  pargs=("$@")
  local summary=$DATA/$name.summary.csv rjson pjson bench
  if [ "${#rargs[@]}" -gt 0 ]; then
    rjson=$("$BIN/retain" clv "${rargs[@]}" --out "$summary" --json 2>"$DATA/$name.retain.stderr" | "$PY" -c "import json,sys; print(json.dumps(json.load(sys.stdin)))")
    pjson=$("$PY" "$PEER" fit "${pargs[@]}" --check "$summary")
  else
    summary=${pargs[1]}
    rjson=""
    pjson=$("$PY" "$PEER" fit "${pargs[@]}")
  fi
  bench=$("$BIN/retain-bench" clv "$summary")
  "$PY" - "$name" "$bench" "$pjson" "$rjson" <<'EOF'
import json, re, sys
name, bench, pj, rj = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), (json.loads(sys.argv[4]) if sys.argv[4] else None)
b = dict(kv.split("=", 1) for kv in bench.split()[1:] if "=" in kv)
ours = {k: float(b[k]) for k in ["r", "alpha", "a", "b", "p", "q", "gamma"]}
theirs = {**{k: pj["bgnbd"][k] for k in ["r", "alpha", "a", "b"]}, **{k: pj["gamma_gamma"][k] for k in ["p", "q", "gamma"]}}
rel = {k: abs(ours[k] - theirs[k]) / abs(theirs[k]) for k in ours}
ps = pj["seconds"]
print(f"-- {name}: {pj['customers']:,} customers ({pj['repeat_customers']:,} repeat customers with a positive mean value in the Gamma-Gamma fit)")
print(f"   params retain   " + " ".join(f"{k}={ours[k]:.6g}" for k in ours) + f"  LL={float(b['loglik']):.4f}")
print(f"   params lifetimes" + " ".join(f" {k}={theirs[k]:.6g}" for k in theirs) + f"  LL={pj['bgnbd']['log_likelihood']:.4f}")
print(f"   max relative parameter difference {max(rel.values()):.2e} ({max(rel, key=rel.get)})" + ("  [OK <= 1e-4]" if max(rel.values()) <= 1e-4 else "  [> 1e-4]"))
if pj.get("summary_check"):
    c = pj["summary_check"]
    print(f"   summary check: customers retain {c['customers_retain']:,} / peer {c['customers_peer']:,}; max |diff| "
          + ", ".join(f"{k.replace('max_abs_diff_', '')} {v:.1e}" for k, v in c.items() if k.startswith("max")))
fit_r = float(b["fit_s"])
print(f"   fit  retain {fit_r*1e3:9.2f} ms (BG/NBD {float(b['bgnbd_s'])*1e3:.2f} + GG {float(b['gg_s'])*1e3:.2f}; median of {b['runs']}, {b['threads']} threads)"
      f"   lifetimes {ps['fit']*1e3:9.1f} ms (BG/NBD {ps['fit_bgnbd']*1e3:.1f} + GG {ps['fit_gg']*1e3:.1f})   ratio {ps['fit']/fit_r:7.1f}x")
if rj:
    s = rj["seconds"]
    e2e_r = s["read"] + s["summary"] + s["fit_purchase"] + s["fit_spend"]
    e2e_p = ps["read"] + ps["summary"] + ps["fit"]
    print(f"   e2e  retain {e2e_r:9.3f} s  (read {s['read']:.3f}, summary {s['summary']:.3f}, fit {s['fit_purchase'] + s['fit_spend']:.3f}; "
          f"+ predictions for every customer {s['predict']:.3f})   lifetimes {e2e_p:8.3f} s (read {ps['read']:.3f}, summary {ps['summary']:.3f}, fit {ps['fit']:.3f})"
          f"   ratio {e2e_p/e2e_r:6.1f}x")
    print(f"        retain clv CLI single-run fit_seconds {rj['fit_seconds']*1e3:.2f} ms -> ratio {ps['fit']/rj['fit_seconds']:.1f}x")
EOF
}

run sample -- --summary datasets/cdnow/cdnow_customers_summary_with_transactions.csv
run master --cdnow --events datasets/cdnow/CDNOW_master.txt --calibration-end 1997-09-30 --time-unit week \
    -- --cdnow datasets/cdnow/CDNOW_master.txt --calibration-end 1997-09-30
run sim1m --events "$DATA/events_1m.csv" --calibration-end 2024-09-30 --holdout-end 2025-06-30 --time-unit week \
    -- --events "$DATA/events_1m.csv" --calibration-end 2024-09-30
