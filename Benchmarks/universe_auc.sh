#!/usr/bin/env bash
# Issue #11 target: on a subscription log where churn is a cancellation, retain's holdout AUC on the
# at-risk universe (new/active/reactivated) against a plain L2 logistic regression (scikit-learn) on
# 7/30/90-day counts, 30-day trends, recency and tenure, fitted on the same universe rows and dates.
#
#   Benchmarks/universe_auc.sh [RETAIN_BIN]     # CUSTOMERS=20000 SEED=20261202 by default; needs python3 + scikit-learn
#
# The log is `retain generate` output restricted to subscribers (customers with a subscription_start),
# so every customer can cancel. Prints both AUCs and how many customers who cancelled before the
# scoring date were flagged at_risk by `retain score` (must be 0).
set -euo pipefail
BIN=${1:-.build/release/retain}; PY=${PY:-/tmp/bench-venv/bin/python}
N=${CUSTOMERS:-20000}; SEED=${SEED:-20261202}; O=${OUT:-/tmp/retain-universe}
mkdir -p "$O"
"$BIN" generate --customers "$N" --days 365 --start 2025-01-01 --seed "$SEED" --out "$O/all" > /dev/null
"$PY" - "$O" <<'PY'
import csv, sys
o = sys.argv[1]
subs = set()
for r in csv.DictReader(open(f"{o}/all/events.csv")):
    if r["event_type"] == "subscription_start": subs.add(r["customer_id"])
def keep(src, dst):
    with open(src) as f, open(dst, "w", newline="") as g:
        rd = csv.reader(f); w = csv.writer(g); w.writerow(next(rd))
        for row in rd:
            if row[0] in subs: w.writerow(row)
keep(f"{o}/all/events.csv", f"{o}/events.csv"); keep(f"{o}/all/customers.csv", f"{o}/customers.csv")
print(f"subscribers: {len(subs)}", file=sys.stderr)
PY
D=(--events "$O/events.csv" --customers "$O/customers.csv")
"$BIN" train "${D[@]}" --as-of 2025-12-01 --churn cancellation --out "$O/m.json" --json > "$O/t.json"
LATEST=$("$PY" -c "import json;print(json.load(open('$O/m.json'))['observation_dates'][-1])")
NS=$("$PY" -c "import json;print(len(json.load(open('$O/m.json'))['observation_dates']))")
"$BIN" features "${D[@]}" --as-of "$LATEST" --snapshots "$NS" --every 30d --label --churn cancellation --out "$O/f.csv" > /dev/null
"$BIN" score "${D[@]}" --model "$O/m.json" --as-of 2025-12-01 --db "$O/h.sqlite" --out "$O/scores.csv" > /dev/null
"$PY" - "$O" <<'PY'
import csv, json, re, sys
import numpy as np, pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
o = sys.argv[1]
m = json.load(open(f"{o}/m.json")); t = json.load(open(f"{o}/t.json"))
f = pd.read_csv(f"{o}/f.csv")
f = f[f["in_universe"] == 1]
hold = set(m["holdout_dates"]); horizon = m["churn"]["horizon_days"]
first_hold = min(pd.Timestamp(d) for d in hold)
train_dates = [d for d in m["observation_dates"] if d not in hold and pd.Timestamp(d) + pd.Timedelta(days=horizon) <= first_hold]
cols = [c for c in f.columns if re.fullmatch(r"n_.+_(7|30|90)d|trend_.+_30d|recency_days|tenure_days", c)]
tr = f[f["as_of"].isin(train_dates)]; te = f[f["as_of"].isin(hold)]
def prep(x, ref):
    med = ref.median(); x = x.fillna(med); r = ref.fillna(med)
    mu, sd = r.mean(), r.std(ddof=0).replace(0, 1)
    return ((x - mu) / sd).to_numpy()
lr = LogisticRegression(C=1.0, max_iter=1000).fit(prep(tr[cols], tr[cols]), tr["churned"])
auc = roc_auc_score(te["churned"], lr.predict_proba(prep(te[cols], tr[cols]))[:, 1])
ev = {}
for r in csv.DictReader(open(f"{o}/events.csv")):
    if r["timestamp"] < "2025-12-01" and r["event_type"] in ("subscription_start", "subscription_cancel"):
        c = r["customer_id"]
        if c not in ev or r["timestamp"] >= ev[c][0]: ev[c] = (r["timestamp"], r["event_type"])
cancelled = {c for c, (_, k) in ev.items() if k == "subscription_cancel"}
flagged = sum(1 for r in csv.DictReader(open(f"{o}/scores.csv")) if r["customer_id"] in cancelled and "at_risk" in (r.get("flags") or "").split(";"))
h = t.get("holdout") or t.get("metrics") or m["metrics"]
print(f"rows: train {len(tr)} holdout {len(te)} (universe); features {len(cols)} simple columns")
print(f"retain holdout AUC {m['metrics']['auc']:.4f} (recency baseline {m['metrics'].get('baseline_auc') or float('nan'):.4f}); "
      f"plain L2 LR on counts/trends/recency/tenure {auc:.4f}; ratio {m['metrics']['auc']/auc:.3f}; "
      f"cancelled before T: {len(cancelled)}, flagged at_risk: {flagged}")
PY
