#!/usr/bin/env python3
"""Peer for `retain train --events`: the same training workflow in polars + scikit-learn.

Monthly observation dates T_k = as-of - 30 d - k * 30 d (k < snapshots), features and the
30-day inactivity label for each with the peer harness's polars definition (featspec.py; events
at or after the as-of date dropped first, so no label looks past it), the latest date held out,
forward-chaining cross-validation over the same C grid as retain (0.001 ... 100, 11 values, warm
starts along the path, a fold trains on dates whose label window closes by its validation date),
median imputation + standardisation, the final fit on all dates, Platt calibration on the holdout.

  python3 Benchmarks/train_peer_polars.py --data /tmp/bench-data --as-of 2025-12-31 --snapshots 12
"""
import argparse
import os
import sys
import time

T_START = time.perf_counter()
import numpy as np  # noqa: E402
import polars as pl  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import log_loss, roc_auc_score  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--data", required=True)
ap.add_argument("--as-of", required=True)
ap.add_argument("--snapshots", type=int, default=12)
ap.add_argument("--bench", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "bench"))
a = ap.parse_args()
sys.path.insert(0, os.path.join(a.bench, "peers"))
from feat_polars import build  # noqa: E402
from featspec import DAY, TIMESTAMP_FORMAT, cutoff_epoch  # noqa: E402

as_of = cutoff_epoch(a.as_of)
dates = sorted(as_of - 30 * DAY - k * 30 * DAY for k in range(a.snapshots))
lf = pl.scan_csv(os.path.join(a.data, "events.csv"),
                 schema={"customer_id": pl.String, "timestamp": pl.String, "event_type": pl.String, "value": pl.Float64})
lf = (lf.select(pl.col("customer_id"),
                pl.col("timestamp").str.strptime(pl.Datetime("us", "UTC"), TIMESTAMP_FORMAT).dt.epoch("s").alias("t"),
                pl.col("event_type"), pl.col("value"))
      .filter(pl.col("t") < as_of))
df = lf.collect()
frames = [build(df.lazy(), T).with_columns(pl.lit(T).alias("as_of")) for T in dates]
table = pl.concat([f.collect() for f in frames])
t_features = time.perf_counter() - T_START
y = table["churned"].to_numpy().astype(float)
when = table["as_of"].to_numpy()
X = table.drop(["customer_id", "churned", "as_of"]).to_numpy().astype(float)


def prep(rows):
    med = np.nanmedian(X[rows], axis=0)
    Z = np.where(np.isnan(X), med, X)
    mu, sd = Z[rows].mean(axis=0), Z[rows].std(axis=0)
    keep = sd > 0
    return (Z[:, keep] - mu[keep]) / sd[keep]


grid = np.logspace(-3, 2, 11)
train_dates, hold_date = dates[:-1], dates[-1]
scores = np.zeros(len(grid)); folds = 0
for i, v in enumerate(train_dates):
    tr_dates = [d for d in train_dates[:i] if d + 30 * DAY <= v]
    if len(tr_dates) == 0:
        continue
    tr, va = np.isin(when, tr_dates), when == v
    Z = prep(tr)
    m = LogisticRegression(solver="newton-cholesky", tol=1e-8, max_iter=100, warm_start=True)
    for k, c in enumerate(grid):
        m.set_params(C=c).fit(Z[tr], y[tr])
        scores[k] += log_loss(y[va], m.predict_proba(Z[va])[:, 1])
    folds += 1
best = grid[int(np.argmin(scores))]
tr, ho = np.isin(when, train_dates), when == hold_date
Z = prep(tr)
m = LogisticRegression(C=best, solver="newton-cholesky", tol=1e-8, max_iter=100).fit(Z[tr], y[tr])
z = m.decision_function(Z[ho])
auc = roc_auc_score(y[ho], z)
platt = LogisticRegression(C=1e10, solver="newton-cholesky").fit(z.reshape(-1, 1), y[ho])
Zall = prep(np.ones_like(tr))
final = LogisticRegression(C=best, solver="newton-cholesky", tol=1e-8, max_iter=100).fit(Zall, y)
print(f"rows={len(y)} features={X.shape[1]} folds={folds} c={best:g} holdout_auc={auc:.4f} "
      f"features_s={t_features:.2f} total_s={time.perf_counter() - T_START:.2f}")
