#!/usr/bin/env python3
"""Reference fixtures for LogisticRegressionTests, from scikit-learn.

Run from the repository root with a Python that has numpy and scikit-learn:
    python Tests/RetainNumericsTests/Fixtures/make_logistic_fixtures.py
Writes Tests/RetainNumericsTests/Fixtures/logistic/<case>.csv (features, then `label`, then
`weight`) and <case>.json (coefficients and intercept from
LogisticRegression(solver="newton-cholesky", tol=1e-10), plus the settings used).
"""
import json
import os

import numpy as np
import sklearn
from sklearn.linear_model import LogisticRegression

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "logistic")
os.makedirs(OUT, exist_ok=True)
rng = np.random.default_rng(20251123)


def correlated(n, p):
    z = rng.normal(size=(n, p))
    x = z.copy()
    for j in range(1, p):
        x[:, j] = 0.6 * x[:, j - 1] + 0.8 * z[:, j]
    return x * rng.uniform(0.5, 3.0, size=p) + rng.uniform(-2, 2, size=p)


def labels(x, beta, b0):
    eta = x @ beta + b0
    return (rng.uniform(size=len(eta)) < 1 / (1 + np.exp(-eta))).astype(float)


def write(name, x, y, w, C, class_weight=None, use_weights=False):
    kw = dict(solver="newton-cholesky", tol=1e-10, max_iter=1000)
    if C is None:
        kw["C"] = np.inf  # no penalty (sklearn >= 1.8 spelling)
    else:
        kw["C"] = C
    if class_weight:
        kw["class_weight"] = class_weight
    m = LogisticRegression(**kw).fit(x, y, sample_weight=w if use_weights else None)
    cols = [f"x{j}" for j in range(x.shape[1])]
    with open(os.path.join(OUT, f"{name}.csv"), "w") as f:
        f.write(",".join(cols + ["label", "weight"]) + "\n")
        for i in range(x.shape[0]):
            f.write(",".join(repr(float(v)) for v in x[i]) + f",{int(y[i])},{float(w[i])!r}\n")
    json.dump({
        "sklearn": sklearn.__version__,
        "C": C, "class_weight": class_weight, "use_weights": use_weights,
        "coefficients": m.coef_.ravel().tolist(), "intercept": float(m.intercept_[0]),
        "n_iter": int(m.n_iter_[0]),
    }, open(os.path.join(OUT, f"{name}.json"), "w"), indent=1)


n, p = 600, 6
x = correlated(n, p)
beta = np.array([0.8, -0.5, 0.0, 0.3, -1.2, 0.1]) / x.std(axis=0)
y = labels(x, beta, -0.7)
ones = np.ones(n)
write("plain_c1", x, y, ones, 1.0)
write("plain_c0_01", x, y, ones, 0.01)
write("unpenalised", x, y, ones, None)
w = rng.uniform(0.2, 3.0, size=n).round(3)
write("weighted", x, y, w, 1.0, use_weights=True)
yi = labels(x, beta, -3.0)  # imbalanced
write("balanced", x, yi, ones, 0.5, class_weight="balanced")
write("balanced_weighted", x, yi, w, 2.0, class_weight="balanced", use_weights=True)
# Perfectly separable: penalised fit must converge.
xs = rng.normal(size=(200, 3))
ys = (xs[:, 0] + 0.5 * xs[:, 1] > 0).astype(float)
write("separable_c1", xs, ys, np.ones(200), 1.0)
# Collinear: a duplicated column and a constant column, penalised.
xc = np.column_stack([x[:, :3], x[:, 1], np.full(n, 2.5)])
write("collinear_c1", xc, y, ones, 1.0)
print("wrote", sorted(os.listdir(OUT)))
