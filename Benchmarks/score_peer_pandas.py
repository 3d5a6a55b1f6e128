#!/usr/bin/env python3
"""Peer for `retain score --features`: pandas + scikit-learn predict_proba + CSV write.

Reads a prepared feature table, applies the bundle's preprocessing (median imputation, log1p,
standardisation), scores with a scikit-learn LogisticRegression carrying the bundle's
coefficients, applies the bundle's isotonic (or Platt) calibration, and writes customer_id and
churn_probability. (retain does more per customer: tier, value, flags, action, reasons.)

  python3 Benchmarks/score_peer_pandas.py BUNDLE.json TABLE.csv OUT.csv
"""
import json
import sys
import time

T0 = time.perf_counter()
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402

bundle_path, table, out = sys.argv[1:4]
b = json.load(open(bundle_path))
d = pd.read_csv(table)
t_read = time.perf_counter() - T0
cols = []
for f in b["features"]:
    v = d[f["name"]].to_numpy(dtype=float)
    v = np.where(np.isnan(v), f["impute"], v)
    if f["log1p"]:
        v = np.log1p(v)
    cols.append((v - f["mean"]) / f["scale"])
X = np.column_stack(cols)
m = LogisticRegression()
m.classes_ = np.array([0, 1]); m.coef_ = np.array([b["coefficients"]]); m.intercept_ = np.array([b["intercept"]])
p = m.predict_proba(X)[:, 1]
z = np.log(p) - np.log1p(-p)
if b.get("calibration_method") == "isotonic" and b.get("isotonic"):
    p = np.interp(z, b["isotonic"]["z"], b["isotonic"]["p"])
elif b.get("calibration"):
    p = 1 / (1 + np.exp(-(b["calibration"]["a"] * z + b["calibration"]["b"])))
t_score = time.perf_counter() - T0 - t_read
pd.DataFrame({"customer_id": d["customer_id"], "churn_probability": p}).to_csv(out, index=False)
print(f"rows={len(d)} read_s={t_read:.2f} score_s={t_score:.2f} total_s={time.perf_counter() - T0:.2f}")
