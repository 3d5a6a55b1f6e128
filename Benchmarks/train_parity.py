#!/usr/bin/env python3
"""Holdout parity of `retain train --events` with a scikit-learn pipeline doing the same thing.

The training set comes from `retain features` (the same observation dates as `retain train`:
T_k = as-of - horizon - k * 30 days); everything after that is redone here independently, in
numpy/scikit-learn, from the rules documented in the bundle's notes: training rows = every date but
the latest, drop constant columns, impute the training median, log1p for non-negative columns with
skewness > 2 or max > 100 * (median + 1), standardise (population sd), then
LogisticRegression(C = the bundle's C, newton-cholesky) and holdout ROC AUC and top-decile lift
on the latest date (before calibration; the bundle's `metrics.auc`/`lift_top_decile` are too).

    python3 Benchmarks/train_parity.py RETAIN_BIN BUNDLE.json EVENTS.csv CUSTOMERS.csv AS_OF
Exit 0 when |AUC difference| and |lift difference| are both <= 0.005.
"""
import json
import subprocess
import sys
import tempfile
from datetime import date, timedelta

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

binary, bundle_path, events, customers, as_of = sys.argv[1:6]
bundle = json.load(open(bundle_path))
horizon = bundle["churn"]["horizon_days"] if isinstance(bundle.get("churn"), dict) else 30
dates = sorted(bundle["observation_dates"])
latest = date.fromisoformat(dates[-1])
out = tempfile.mktemp(suffix=".csv")
subprocess.run([binary, "features", "--events", events, "--customers", customers, "--as-of", latest.isoformat(),
                "--snapshots", str(len(dates)), "--every", "30d", "--label", "--out", out], check=True,
               stdout=subprocess.DEVNULL)
d = pd.read_csv(out)
assert sorted(d["as_of"].unique()) == dates, (sorted(d["as_of"].unique()), dates)
y = d.pop("churned").to_numpy()
asof = d.pop("as_of").to_numpy()
d.pop("customer_id")
train, hold = asof != dates[-1], asof == dates[-1]
cols, X_parts = [], []
for name in d.columns:
    v = d[name].to_numpy(dtype=float)
    t = v[train]
    obs = t[~np.isnan(t)]
    if obs.size == 0 or obs.min() == obs.max():
        continue
    med = float(np.median(obs))
    v = np.where(np.isnan(v), med, v)
    t = v[train]
    m = t.mean(); s2 = ((t - m) ** 2).mean(); m3 = ((t - m) ** 3).mean()
    skew = m3 / s2 ** 1.5 if s2 > 0 else 0.0
    if obs.min() >= 0 and (skew > 2 or obs.max() > 100 * (med + 1)):
        v = np.log1p(v)
    t = v[train]
    sd = t.std()
    if sd == 0:
        continue
    cols.append(name)
    X_parts.append((v - t.mean()) / sd)
X = np.column_stack(X_parts)
model = LogisticRegression(C=bundle["c"], solver="newton-cholesky", tol=1e-10, max_iter=1000).fit(X[train], y[train])
p = model.predict_proba(X[hold])[:, 1]
auc = roc_auc_score(y[hold], p)
k = int(np.ceil(0.1 * hold.sum()))
order = np.lexsort((np.arange(p.size), -p))[:k]
lift = y[hold][order].mean() / y[hold].mean()
ours = bundle["metrics"]
print(f"features: retain {len(bundle['features'])} kept (training-only fit may differ), sklearn {len(cols)}; C = {bundle['c']}")
print(f"holdout AUC: retain {ours['auc']:.6f}  sklearn {auc:.6f}  diff {ours['auc'] - auc:+.2e}")
print(f"top-decile lift: retain {ours['lift_top_decile']:.6f}  sklearn {lift:.6f}  diff {ours['lift_top_decile'] - lift:+.2e}")
ok = abs(ours["auc"] - auc) <= 0.005 and abs(ours["lift_top_decile"] - lift) <= 0.005
print("PARITY OK (<= 0.005)" if ok else "PARITY FAILED (> 0.005)")
sys.exit(0 if ok else 1)
