#!/usr/bin/env bash
# Daily-run benchmark (issue #5): `retain score` + `retain export` on the peer harness's 10M-event
# log vs Benchmarks/daily_peer_polars.py (the same job in polars + scikit-learn), whole process,
# alternating rounds in the same run; per-run wall seconds and peak RSS, and the ratio retain / peer.
#
#   Benchmarks/daily.sh [RETAIN_BIN] [DATA_DIR]    # defaults: .build/release/retain, /tmp/bench-data
#   ROUNDS=5 OUT=/tmp/x Benchmarks/daily.sh /tmp/retain-ref
#
# Builds nothing (pass the binary). Setup, not timed: `retain train --events` (as of 2025-11-30,
# 4 monthly snapshots) and `daily_peer_polars.py --train` (same dates). Each round then runs the
# peer and retain, each into a fresh directory (new SQLite history, scores CSV and lists):
#   peer    daily_peer_polars.py --as-of 2025-12-01 --db --out --lists      (one process)
#   retain  retain score --as-of 2025-12-01 --db --out, then retain export --customers (all lists)
# retain's time is the sum of its two processes, its peak RSS the larger of the two.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-.build/release/retain}
DATA=${2:-/tmp/bench-data}
SHARED=${SHARED:-$(cd .. && pwd)/shared}
BENCH=$SHARED/bench
PY=${PY:-/tmp/bench-venv/bin/python}
OUT=${OUT:-/tmp/retain-daily-bench}
ROUNDS=${ROUNDS:-3}
TRAIN_AS_OF=2025-11-30
DATE=2025-12-01
PEER=Benchmarks/daily_peer_polars.py
[ -x "$BIN" ] || { echo "no retain binary at $BIN (swift build -c release, or pass its path)" >&2; exit 2; }
[ -d "$BENCH" ] || { echo "no peer harness at $BENCH (set SHARED=...)" >&2; exit 2; }
command -v /usr/bin/time >/dev/null || apt-get install -y -qq time >/dev/null
[ -x "$PY" ] || { python3 -m venv /tmp/bench-venv && "$PY" -m pip install -q -r "$BENCH/requirements.txt"; }
[ -f "$DATA/events.csv" ] || "$PY" "$BENCH/gen.py" --out "$DATA" --only events
[ -f "$DATA/customers.csv" ] || { echo "no $DATA/customers.csv (gen.py writes it with the events)" >&2; exit 2; }
rm -rf "$OUT"; mkdir -p "$OUT"
ROLES="--role session=session_end --role nps=nps_response --role csat=csat_response --role ticket_opened=support_ticket"
EV="--events $DATA/events.csv --customers $DATA/customers.csv"

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u '+%F %H:%M UTC'), load:$(uptime | sed 's/.*load average://')"
echo "== retain: $BIN ($("$BIN" --version 2>/dev/null || echo '?')); data: $DATA"

# Setup (not timed in the comparison).
/usr/bin/time -f '%e %M' -o "$OUT/train.retain.time" \
  "$BIN" train $EV $ROLES --as-of $TRAIN_AS_OF --snapshots 4 --out "$OUT/model.json" > "$OUT/train.retain.out" 2>&1 \
  || { echo "retain train failed; see $OUT/train.retain.out" >&2; exit 1; }
/usr/bin/time -f '%e %M' -o "$OUT/train.peer.time" \
  "$PY" $PEER --train --data "$DATA" --as-of $TRAIN_AS_OF --snapshots 4 --model "$OUT/peer.pkl" > "$OUT/train.peer.out" 2>&1 \
  || { echo "peer --train failed; see $OUT/train.peer.out" >&2; exit 1; }
echo "setup: retain train $(cut -d' ' -f1 "$OUT/train.retain.time") s; peer --train $(cut -d' ' -f1 "$OUT/train.peer.time") s"
echo "   peer: $(cat "$OUT/train.peer.out")"

for r in $(seq 1 "$ROUNDS"); do
  P=$OUT/peer.$r; R=$OUT/retain.$r
  mkdir -p "$P" "$R"
  /usr/bin/time -f '%e %M' -o "$P/time" \
    "$PY" $PEER --data "$DATA" --model "$OUT/peer.pkl" --as-of $DATE --db "$P/h.sqlite" --out "$P/scores.csv" --lists "$P/lists" \
    > "$P/out" 2>&1 || { echo "peer failed (round $r); see $P/out" >&2; exit 1; }
  /usr/bin/time -f '%e %M' -o "$R/time.score" \
    "$BIN" score $EV $ROLES --model "$OUT/model.json" --as-of $DATE --db "$R/h.sqlite" --out "$R/scores.csv" \
    > "$R/out" 2>&1 || { echo "retain score failed (round $r); see $R/out" >&2; exit 1; }
  /usr/bin/time -f '%e %M' -o "$R/time.export" \
    "$BIN" export --db "$R/h.sqlite" --date $DATE --customers "$DATA/customers.csv" --out "$R/lists" \
    >> "$R/out" 2>&1 || { echo "retain export failed (round $r); see $R/out" >&2; exit 1; }
done
echo "load after: $(uptime | sed 's/.*load average://')"

"$PY" - "$OUT" "$ROUNDS" <<'EOF'
import json, os, re, statistics, sys
out, rounds = sys.argv[1], int(sys.argv[2])
t = lambda p: [float(x) for x in open(p).read().split()[-2:]]      # wall s, peak KiB
print(f"{'round':>5} {'peer s':>8} {'peer MB':>8} {'retain s':>9} {'(score':>7} {'+ export)':>9} {'retain MB':>9} {'ratio':>6}")
ratios, pw, rw = [], [], []
for r in range(1, rounds + 1):
    p = t(f"{out}/peer.{r}/time"); s = t(f"{out}/retain.{r}/time.score"); e = t(f"{out}/retain.{r}/time.export")
    rs, rm = s[0] + e[0], max(s[1], e[1])
    ratios.append(rs / p[0]); pw.append(p[0]); rw.append(rs)
    print(f"{r:>5} {p[0]:>8.2f} {p[1] / 1024:>8.0f} {rs:>9.2f} {s[0]:>7.2f} {e[0]:>9.2f} {rm / 1024:>9.0f} {rs / p[0]:>6.3f}")
print(f"median ratio retain / peer: {statistics.median(ratios):.3f} (per-round ratios); "
      f"ratio of median walls {statistics.median(rw):.2f} / {statistics.median(pw):.2f} = {statistics.median(rw) / statistics.median(pw):.3f}")
print(f"peer phases (round {rounds}): " + " ".join(re.findall(r"\w+_s=[\d.]+", open(f"{out}/peer.{rounds}/out").read())))
print("retain score (round %d): %s" % (rounds, open(f"{out}/retain.{rounds}/out").readline().strip()))
# Same-sized outputs? scored customers and list rows, last round.
def side(d):
    rows = sum(1 for _ in open(f"{d}/scores.csv")) - 1
    m = json.load(open(f"{d}/lists/manifest.json"))
    return rows, {e["list"]: e["rows"] for e in m["lists"]}
(pn, pl_), (rn, rl) = side(f"{out}/peer.{rounds}"), side(f"{out}/retain.{rounds}")
print(f"scored customers: peer {pn}, retain {rn}")
for name in ["at-risk", "high-value", "personal_outreach", "win_back_offer", "service_recovery", "loyalty_reward", "referral_invitation"]:
    print(f"  {name:<20} peer {pl_.get(name, 0):>6}  retain {rl.get(name, 0):>6}")
EOF
