#!/usr/bin/env python3
"""Reference k-means fits from scikit-learn for KMeansTests.swift.

Each data set writes Fixtures/kmeans/<data>.x.csv (rows) and <data>.init.csv (initial centres,
from sklearn.cluster.kmeans_plusplus unless the case builds its own); each case writes <case>.json
with its data set's name, the settings and scikit-learn's result of
KMeans(n_clusters=k, init=centres, n_init=1, algorithm="lloyd", tol=tol, max_iter=max_iter):
centres, labels, inertia, n_iter. CSVs have no header and use %.17g (exact round trip).

    python3 make_kmeans_fixtures.py        # needs numpy and scikit-learn (written with 1.9.1)
"""
import json
import os

import numpy as np
import sklearn
from sklearn.cluster import KMeans, kmeans_plusplus
from sklearn.datasets import make_blobs

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "kmeans")


def write(name, X, init, tol, max_iter, data=None):
    data = data or name
    km = KMeans(n_clusters=init.shape[0], init=init, n_init=1, algorithm="lloyd", tol=tol, max_iter=max_iter)
    km.fit(X)
    np.savetxt(os.path.join(OUT, f"{data}.x.csv"), X, delimiter=",", fmt="%.17g")
    np.savetxt(os.path.join(OUT, f"{data}.init.csv"), init, delimiter=",", fmt="%.17g")
    ref = {
        "data": data,
        "sklearn": sklearn.__version__,
        "k": int(init.shape[0]),
        "tol": tol,
        "max_iter": max_iter,
        "n_iter": int(km.n_iter_),
        "inertia": float(km.inertia_),
        "centres": km.cluster_centers_.tolist(),
        "labels": km.labels_.tolist(),
    }
    with open(os.path.join(OUT, f"{name}.json"), "w") as f:
        json.dump(ref, f)
    print(f"{name}: {X.shape[0]} x {X.shape[1]}, k={init.shape[0]}, n_iter={km.n_iter_}, inertia={km.inertia_:.6f}")


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(20250101)

    # Well separated blobs away from the origin: strict convergence.
    X, _ = make_blobs(n_samples=600, n_features=4, centers=5, cluster_std=1.5, random_state=1)
    X += np.array([50.0, -20.0, 5.0, 100.0])
    init, _ = kmeans_plusplus(X, 5, random_state=0)
    write("blobs", X, init, 0.0, 300)

    # Overlapping mixture: many iterations; stops on the tolerance, then a final E-step.
    X = np.concatenate([rng.normal(m, 1.0, size=(300, 5)) for m in (0.0, 1.0, 2.0, 3.5)])
    X = X[rng.permutation(X.shape[0])]
    init, _ = kmeans_plusplus(X, 6, random_state=0)
    write("overlap_tol", X, init, 1e-4, 300, data="overlap")
    write("overlap_exact", X, init, 0.0, 300, data="overlap")
    write("overlap_maxiter", X, init, 0.0, 3, data="overlap")

    # One initial centre far from all data: its cluster is empty on the first iteration and is
    # re-seeded on the row farthest from its centre. A tiny tolerance: after the re-seeding the
    # centre shift is 0 or a few ulps depending on rounding, so tol = 0 would make n_iter fragile.
    X = np.concatenate([rng.normal(c, 0.5, size=(100, 3)) for c in (0.0, 5.0, 10.0)])
    X[37] = [30.0, 30.0, 30.0]
    init = np.array([[0.5, 0.0, 0.0], [5.0, 5.5, 5.0], [10.0, 10.0, 9.0], [1000.0, 1000.0, 1000.0]])
    write("empty", X, init, 1e-10, 300)


if __name__ == "__main__":
    main()
