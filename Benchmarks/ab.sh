#!/usr/bin/env bash
# Same-run A/B of two retain binaries (e.g. before and after a refactor) on the peer harness's
# 10M-event log: `retain features` and `retain score --features` on a 1,000,000-row table,
# alternating rounds, with a byte comparison of their outputs.
#
#   Benchmarks/ab.sh OLD_BIN NEW_BIN            # ROUNDS=5 by default; data in /tmp/bench-data
#
# Each binary scores with a model it trained itself (model files may differ between versions).
set -u
OLD=${1:?old retain binary}; NEW=${2:?new retain binary}
D=${DATA:-/tmp/bench-data}; O=${OUT:-/tmp/retain-ab}; ROUNDS=${ROUNDS:-5}
mkdir -p "$O"
[ -f "$D/events.csv" ] || { echo "no $D/events.csv: make it with ../shared/bench/gen.py --out $D --only events" >&2; exit 2; }
command -v /usr/bin/time >/dev/null || apt-get install -y -qq time >/dev/null
ROLES="--role session=session_end --role nps=nps_response --role csat=csat_response --role ticket_opened=support_ticket"
t() { /usr/bin/time -f '%e s %M KB' -o "$O/t" "$@" > /dev/null 2>"$O/err" || { echo "FAILED: $*"; tail -3 "$O/err"; }; cat "$O/t"; }
echo "load before: $(uptime | sed 's/.*load average://')"
for r in $(seq 1 "$ROUNDS"); do
  a=$(t "$OLD" features --events "$D/events.csv" --as-of 2025-10-28 --label $ROLES --out "$O/feat-old.csv")
  b=$(t "$NEW" features --events "$D/events.csv" --as-of 2025-10-28 --label $ROLES --out "$O/feat-new.csv")
  echo "features round $r: old $a  new $b"
done
cmp "$O/feat-old.csv" "$O/feat-new.csv" && echo "features: outputs identical"
if [ ! -f "$O/table.csv" ]; then
  "$NEW" features --events "$D/events.csv" --customers "$D/customers.csv" $ROLES --as-of 2025-12-31 --out "$O/f1.csv" > /dev/null
  python3 - "$O/f1.csv" "$O/table.csv" 1000000 <<'PY'
import sys
src, dst, rows = sys.argv[1], sys.argv[2], int(sys.argv[3])
lines = open(src).read().splitlines(); header, body = lines[0], [l for l in lines[1:] if l]
with open(dst, "w") as f:
    f.write(header + "\n"); n = k = 0
    while n < rows:
        for line in body[: rows - n]: f.write(f"X{k}_{line}\n")
        n += min(len(body), rows - n); k += 1
PY
fi
for v in old new; do
  B=$OLD; [ $v = new ] && B=$NEW
  "$B" train --events "$D/events.csv" --customers "$D/customers.csv" $ROLES --as-of 2025-12-31 --snapshots 4 --out "$O/model-$v.json" > /dev/null 2>&1
done
for r in $(seq 1 "$ROUNDS"); do
  a=$(t "$OLD" score --features "$O/table.csv" --id customer_id --model "$O/model-old.json" --as-of 2026-01-01 --out "$O/s-old.csv")
  b=$(t "$NEW" score --features "$O/table.csv" --id customer_id --model "$O/model-new.json" --as-of 2026-01-01 --out "$O/s-new.csv")
  echo "score 1M round $r: old $a  new $b"
done
cmp "$O/s-old.csv" "$O/s-new.csv" && echo "score: outputs identical"
echo "load after: $(uptime | sed 's/.*load average://')"
