#!/usr/bin/env python3
"""Reference values for LifetimesTests from lifetimes 0.11.3 (and scipy) on the CDNOW data.

Writes, beside this script, in lifetimes/:
  cdnow_fits.json    BetaGeoFitter, ModifiedBetaGeoFitter, ParetoNBDFitter, GammaGammaFitter on
                     datasets/cdnow/cdnow_customers_summary_with_transactions.csv (weeks, penalizer 0):
                     parameters, log-likelihood in the data's units, standard errors, and conditional
                     expectations / P(alive) / E[X(t)] / expected spend / CLV at fixed points, each
                     computed with the lifetimes fitter's own methods at lifetimes' fitted parameters.
                     ParetoNBDFitter is fitted twice: with its defaults (Nelder-Mead, tol 1e-4) and
                     with tol 1e-10, maxiter 20000 (the tight optimum); its standard errors come
                     from a finite-difference Hessian of lifetimes' log-likelihood (it has none).
                     CLV: lifetimes' customer_lifetime_value(freq="W") (4.345 weeks a month) and the
                     same discounted sum stepped by 30.4375 / 7 weeks (our month).
  pareto_loglik.json Per-customer Pareto/NBD log-likelihoods (lifetimes' scipy-hyp2f1 formula) at
                     parameter sets covering alpha >> beta, alpha << beta, alpha = beta, large x.
  cdnow_sample_calibration_holdout.csv
                     calibration_and_holdout_data(freq="D") on datasets/cdnow/CDNOW_sample.txt
                     (calibration end 1997-09-30, observation end 1998-06-30), times in days, plus
                     monetary_value_holdout_per_day (holdout mean per transaction day).

  /tmp/bench-venv/bin/python Tests/RetainNumericsTests/Fixtures/make_lifetimes_fixtures.py
"""
import json
import os
import warnings

import numpy as np
import pandas as pd
import lifetimes
from lifetimes import BetaGeoFitter, GammaGammaFitter, ModifiedBetaGeoFitter, ParetoNBDFitter
from lifetimes.utils import calibration_and_holdout_data

warnings.simplefilter("ignore")
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
OUT = os.path.join(HERE, "lifetimes")
CDNOW = os.path.join(ROOT, "datasets", "cdnow")

# Fixed query points: (x, t_x, T) in weeks.
POINTS = [(0, 0.0, 38.86), (1, 1.71, 38.86), (2, 30.43, 38.86), (5, 20.0, 30.0), (14, 38.0, 38.86),
          (29, 35.0, 39.0), (0, 0.0, 3.0), (3, 2.5, 2.9)]
HORIZONS = [1.0, 4.0, 39.0, 52.0, 260.0]


def rows(model, kind):
    out = []
    for x, tx, T in POINTS:
        e = {"x": x, "tx": tx, "T": T,
             "p_alive": float(np.atleast_1d(model.conditional_probability_alive(x, tx, T))[0]),
             "expected": {str(t): float(np.atleast_1d(
                 model.conditional_expected_number_of_purchases_up_to_time(t, x, tx, T))[0]) for t in HORIZONS}}
        out.append(e)
    return out


def ll_bg(cls, p, d):
    return float(-len(d) * cls._negative_log_likelihood(
        np.log(np.array([p["r"], p["alpha"], p["a"], p["b"]])), d["frequency"].to_numpy().astype(int),
        d["recency"].to_numpy(), d["T"].to_numpy(), np.ones(len(d)), 0.0))


def ll_pareto(p, d):
    params = [p["r"], p["alpha"], p["s"], p["beta"]]
    return float(ParetoNBDFitter._conditional_log_likelihood(
        params, d["frequency"].to_numpy(), d["recency"].to_numpy(), d["T"].to_numpy()).sum())


def pareto_se(p, d):
    """Standard errors from a central-difference Hessian (relative step 1e-4) of lifetimes' total
    Pareto/NBD log-likelihood in (r, alpha, s, beta); lifetimes itself reports none for this model."""
    theta = np.array([p["r"], p["alpha"], p["s"], p["beta"]])
    f = lambda th: -ll_pareto(dict(zip(["r", "alpha", "s", "beta"], th)), d)
    h = 1e-4 * theta
    H = np.zeros((4, 4))
    for i in range(4):
        for j in range(4):
            ei, ej = np.eye(4)[i] * h[i], np.eye(4)[j] * h[j]
            H[i, j] = (f(theta + ei + ej) - f(theta + ei - ej) - f(theta - ei + ej) + f(theta - ei - ej)) / (4 * h[i] * h[j])
    se = np.sqrt(np.diag(np.linalg.inv(H)))
    return dict(zip(["r", "alpha", "s", "beta"], map(float, se)))


def clv(bgf, ggf, d, factor):
    """lifetimes' _customer_lifetime_value loop with a chosen period length `factor` (model units)."""
    x, tx, T, m = d["frequency"], d["recency"], d["T"], d["monetary_value"]
    v = ggf.conditional_expected_average_profit(x, m)
    total = np.zeros(len(d))
    for k in range(1, 13):
        i = k * factor
        n = bgf.predict(i, x, tx, T) - bgf.predict(i - factor, x, tx, T)
        total += v * n / 1.01 ** k
    return total


def main():
    os.makedirs(OUT, exist_ok=True)
    raw = pd.read_csv(os.path.join(CDNOW, "cdnow_customers_summary_with_transactions.csv"))
    d = pd.DataFrame({"frequency": raw["x"], "recency": raw["t_x"], "T": raw["T"], "monetary_value": raw["zbar"]})
    fits = {"lifetimes": lifetimes.__version__, "n": len(d), "points": POINTS, "horizons": HORIZONS}

    for name, cls in [("bgnbd", BetaGeoFitter), ("mbgnbd", ModifiedBetaGeoFitter)]:
        m = cls(penalizer_coef=0.0).fit(d["frequency"], d["recency"], d["T"])
        p = m.params_.to_dict()
        fits[name] = {"params": p, "loglik": ll_bg(cls, p, d), "se": m.standard_errors_.to_dict(),
                      "points": rows(m, name),
                      "unconditional": {str(t): float(m.expected_number_of_purchases_up_to_time(t)) for t in HORIZONS}}
        if name == "bgnbd":
            bgf = m

    for name, kw in [("pareto_default", {}), ("pareto", {"tol": 1e-10, "maxiter": 20000})]:
        m = ParetoNBDFitter(penalizer_coef=0.0).fit(d["frequency"], d["recency"], d["T"], **kw)
        p = m.params_.to_dict()
        fits[name] = {"params": p, "loglik": ll_pareto(p, d), "points": rows(m, name), "se": pareto_se(p, d),
                      "unconditional": {str(t): float(m.expected_number_of_purchases_up_to_time(t)) for t in HORIZONS}}

    ret = d[d["frequency"] > 0]
    ggf = GammaGammaFitter(penalizer_coef=0.0).fit(ret["frequency"], ret["monetary_value"])
    p = ggf.params_.to_dict()
    first = d.iloc[:10]
    fits["gammagamma"] = {
        "params": p, "loglik": float(-ggf._negative_log_likelihood_ * len(ret)), "n": len(ret),
        "se": ggf.standard_errors_.to_dict(),
        "expected_average": [float(v) for v in ggf.conditional_expected_average_profit(first["frequency"], first["monetary_value"])],
        "clv_lifetimes_freq_W": [float(v) for v in ggf.customer_lifetime_value(
            bgf, first["frequency"], first["recency"], first["T"], first["monetary_value"], time=12,
            discount_rate=0.01, freq="W")],
        "clv_month_30_4375_days": [float(v) for v in clv(bgf, ggf, first, 30.4375 / 7)],
    }
    with open(os.path.join(OUT, "cdnow_fits.json"), "w") as f:
        json.dump(fits, f, indent=1, sort_keys=True)

    # Pareto/NBD per-customer log-likelihood at stress parameters.
    cases = []
    for params in [[0.553, 10.578, 0.606, 11.669], [0.5, 50.0, 0.6, 1.0], [0.5, 1.0, 0.6, 60.0],
                   [0.7, 5.0, 0.9, 5.0], [2.0, 0.2, 0.3, 0.5], [0.3, 400.0, 1.5, 2.0]]:
        for x, tx, T in POINTS + [(50, 20.0, 39.0), (3, 0.5, 200.0)]:
            ll = ParetoNBDFitter._conditional_log_likelihood(params, np.array([x]), np.array([tx]), np.array([T]))[0]
            cases.append({"params": params, "x": x, "tx": tx, "T": T, "loglik": float(ll)})
    with open(os.path.join(OUT, "pareto_loglik.json"), "w") as f:
        json.dump(cases, f, indent=1)

    tx = pd.read_csv(os.path.join(CDNOW, "CDNOW_sample.txt"), sep=r"\s+", header=None,
                     names=["master_id", "id", "date", "cds", "amount"], dtype={"date": str})
    tx["date"] = pd.to_datetime(tx["date"], format="%Y%m%d")
    s = calibration_and_holdout_data(tx, "id", "date", "1997-09-30", "1998-06-30", freq="D",
                                     monetary_value_col="amount")
    h = tx[(tx["date"] > "1997-09-30") & (tx["date"] <= "1998-06-30")]
    per_day = h.groupby(["id", "date"])["amount"].sum().groupby("id").mean()
    s["monetary_value_holdout_per_day"] = per_day.reindex(s.index).fillna(0.0)
    s = s.sort_index()
    s.index.name = "id"
    s.to_csv(os.path.join(OUT, "cdnow_sample_calibration_holdout.csv"), float_format="%.17g")


if __name__ == "__main__":
    main()
