#!/usr/bin/env python3
"""Writes the reference fixtures for MetricsTests and ClusterMetricsTests.

Run from anywhere (scikit-learn >= 1.9, numpy):

    python Tests/RetainNumericsTests/Fixtures/make_metrics_fixtures.py

Outputs, beside this script in metrics/:
  binary.csv        label,score,probability,weight  (1,500 rows; scores rounded to 2 decimals for ties;
                    probabilities include exact 0 and 1 to exercise log-loss clipping)
  binary.json       scikit-learn references (ROC AUC, average precision, log loss, Brier, confusion
                    matrices) and numpy references for lift/capture and equal-count calibration bins
  clusters.csv      label,x0..x4  (900 rows, 4 blobs, labels not 0-based, one singleton cluster)
  clusters.json     scikit-learn silhouette_score / calinski_harabasz_score, and per-row silhouettes

Every float is written with repr (shortest round-trip), so Swift reads back the identical doubles.
"""
import json
import math
import os

import numpy as np
import sklearn
from sklearn import metrics

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "metrics")
os.makedirs(HERE, exist_ok=True)
rng = np.random.default_rng(20240611)


def write_csv(name, header, columns, fmt):
    with open(os.path.join(HERE, name), "w") as f:
        f.write(",".join(header) + "\n")
        for row in zip(*columns):
            f.write(",".join(fm(v) for fm, v in zip(fmt, row)) + "\n")


def r(x):
    return repr(float(x))


def write_json(name, obj):
    with open(os.path.join(HERE, name), "w") as f:
        json.dump(obj, f, indent=1, sort_keys=True)
        f.write("\n")


# ----------------------------------------------------------------------------- binary
n = 1500
latent = rng.normal(size=n)
y = (latent + rng.normal(scale=1.2, size=n) > 0.6).astype(int)
# Scores rounded to 2 decimals: many ties, including ties across classes.
score = np.round(1.0 / (1.0 + np.exp(-(latent * 1.3 - 0.8))), 2)
# Probabilities at full precision, a few exactly 0 or 1 (clipped by log loss).
prob = 1.0 / (1.0 + np.exp(-(latent * 1.1 - 0.7 + rng.normal(scale=0.3, size=n))))
prob[rng.choice(n, 6, replace=False)] = 0.0
prob[rng.choice(n, 6, replace=False)] = 1.0
weight = rng.choice([0.5, 1.0, 2.0, 3.25], size=n) * rng.uniform(0.5, 1.5, size=n)
weight[rng.choice(n, 10, replace=False)] = 0.0

write_csv("binary.csv", ["label", "score", "probability", "weight"],
          [y, score, prob, weight], [str, r, r, r])


def confusion(t, w):
    y_pred = (score >= t).astype(int)
    tn, fp, fn, tp = metrics.confusion_matrix(y, y_pred, labels=[0, 1], sample_weight=w).ravel()
    return {
        "threshold": t,
        "tp": float(tp), "fp": float(fp), "tn": float(tn), "fn": float(fn),
        "precision": metrics.precision_score(y, y_pred, sample_weight=w, zero_division=0.0),
        "recall": metrics.recall_score(y, y_pred, sample_weight=w, zero_division=0.0),
        "accuracy": metrics.accuracy_score(y, y_pred, sample_weight=w),
        "f1": metrics.f1_score(y, y_pred, sample_weight=w, zero_division=0.0),
    }


def lift_reference(labels, scores, fraction):
    """Top ceil(fraction * n) rows by score descending, ties by row index ascending."""
    m = len(labels)
    top = fraction * m
    top = round(top) if abs(top - round(top)) <= 1e-9 * max(1.0, top) else math.ceil(top)
    top = max(1, int(top))
    order = np.lexsort((np.arange(m), -scores))  # last key is primary
    pos_top = int(labels[order[:top]].sum())
    pos = int(labels.sum())
    return {
        "fraction": fraction, "top_count": top, "positives_in_top": pos_top, "positives": pos,
        "capture": pos_top / pos, "lift": (pos_top / top) / (pos / m),
    }


def calibration_reference(labels, scores, bins):
    """Sort ascending by score, ties by index; sorted position p goes to bin floor(p * bins / n)."""
    m = len(labels)
    order = np.lexsort((np.arange(m), scores))
    b = (np.arange(m) * bins) // m
    out = []
    for k in range(bins):
        idx = order[b == k]
        s = scores[idx]
        out.append({
            "count": int(len(idx)), "positives": int(labels[idx].sum()),
            "mean_predicted": float(np.mean(s)), "observed_rate": float(np.mean(labels[idx])),
            "min_score": float(s.min()), "max_score": float(s.max()),
        })
    return out


binary = {
    "sklearn_version": sklearn.__version__,
    "numpy_version": np.__version__,
    "roc_auc": metrics.roc_auc_score(y, score),
    "roc_auc_weighted": metrics.roc_auc_score(y, score, sample_weight=weight),
    "roc_auc_probability": metrics.roc_auc_score(y, prob),
    "average_precision": metrics.average_precision_score(y, score),
    "average_precision_weighted": metrics.average_precision_score(y, score, sample_weight=weight),
    "average_precision_probability": metrics.average_precision_score(y, prob),
    "log_loss": metrics.log_loss(y, prob),
    "log_loss_weighted": metrics.log_loss(y, prob, sample_weight=weight),
    "brier": metrics.brier_score_loss(y, prob),
    "brier_weighted": metrics.brier_score_loss(y, prob, sample_weight=weight),
    "confusion": [confusion(t, None) for t in (0.05, 0.3, 0.5, 0.71, 2.0)],
    "confusion_weighted": [confusion(t, weight) for t in (0.3, 0.5, 0.71)],
    "lift": [lift_reference(y, score, f) for f in (0.01, 0.05, 0.1, 0.2, 0.25, 1 / 3, 0.7, 1.0)],
    "calibration_10": calibration_reference(y, prob, 10),
    "calibration_7": calibration_reference(y, score, 7),
}
write_json("binary.json", binary)

# ----------------------------------------------------------------------------- clusters
centres = np.array([[0.0, 0.0, 0.0, 0.0, 0.0],
                    [3.0, 1.0, -2.0, 0.5, 1.0],
                    [-2.5, 2.0, 1.0, -1.0, 0.0],
                    [1.0, -3.0, 1.5, 2.0, -1.5]])
sizes = [330, 250, 200, 119]
label_values = [7, -2, 3, 11]   # deliberately not 0..k-1 and not sorted
xs, ls = [], []
for c, sz, lv in zip(centres, sizes, label_values):
    xs.append(c + rng.normal(scale=[1.0, 0.8, 1.2, 0.9, 1.1], size=(sz, 5)))
    ls += [lv] * sz
xs.append(np.array([[8.0, 8.0, 8.0, 8.0, 8.0]]))   # a singleton cluster: its silhouette is 0
ls.append(42)
X = np.vstack(xs)
labels = np.array(ls)
perm = rng.permutation(len(labels))              # interleave the clusters
X, labels = X[perm], labels[perm]
write_csv("clusters.csv", ["label"] + [f"x{j}" for j in range(X.shape[1])],
          [labels] + [X[:, j] for j in range(X.shape[1])], [str] + [r] * X.shape[1])

# An independent check of scikit-learn's GEMM-based distances: exact pairwise differences.
diff = X[:, None, :] - X[None, :, :]
D = np.sqrt((diff ** 2).sum(-1))
exact = []
for i in range(len(labels)):
    own = labels == labels[i]
    if own.sum() == 1:
        exact.append(0.0)
        continue
    a = D[i, own].sum() / (own.sum() - 1)
    b = min(D[i, labels == l].mean() for l in np.unique(labels) if l != labels[i])
    exact.append((b - a) / max(a, b))
samples = metrics.silhouette_samples(X, labels)
assert np.max(np.abs(samples - np.array(exact))) < 1e-13

clusters = {
    "sklearn_version": sklearn.__version__,
    "silhouette": metrics.silhouette_score(X, labels),
    "silhouette_samples": [float(v) for v in samples],
    "calinski_harabasz": metrics.calinski_harabasz_score(X, labels),
    # Without the singleton cluster (rows whose label is 42 dropped).
    "silhouette_without_singleton": metrics.silhouette_score(X[labels != 42], labels[labels != 42]),
    "calinski_harabasz_without_singleton": metrics.calinski_harabasz_score(X[labels != 42], labels[labels != 42]),
}
write_json("clusters.json", clusters)
print("wrote", sorted(os.listdir(HERE)))
