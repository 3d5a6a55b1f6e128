#!/usr/bin/env python3
"""Peer for Benchmarks/clv.sh: lifetimes 0.11.3 BG/NBD + Gamma-Gamma on the same files retain reads,
and the generator of the simulated purchase log.

  generate --customers N --out FILE.csv [--seed S]
      Simulates a BG/NBD + Gamma-Gamma purchase log (CDNOW's published parameters: r=0.243,
      alpha=4.414 weeks, a=0.793, b=2.426; p=6.25, q=3.74, gamma=15.44): first purchases spread
      over the 12 weeks from 2024-01-01, purchases to 2025-06-30, written in time order as an
      events CSV (customer_id,timestamp,event_type,value; ISO-8601 UTC, event_type purchase).

  fit --events FILE.csv | --cdnow FILE.txt | --summary FILE.csv  --calibration-end YYYY-MM-DD
      [--check RETAIN_OUT.csv]
      Builds the RFM summary exactly as retain does (purchases grouped by UTC day; x = days - 1;
      t_x, T in days / 7; monetary value = mean of the repeat days' summed values), or reads a
      summary CSV (ID,x,t_x,T,zbar), then fits BetaGeoFitter and GammaGammaFitter
      (penalizer_coef=0, defaults otherwise; Gamma-Gamma on customers with x > 0 and a positive
      mean repeat value, as retain clv).
      With --check, compares its summary with retain's --out CSV (max abs difference).
      Prints one JSON line: params, log-likelihood (total, weeks), and seconds per step.
"""
import argparse
import json
import sys
import time
import warnings

T0 = time.perf_counter()
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

warnings.simplefilter("ignore")


def generate(a):
    rng = np.random.default_rng(a.seed)
    n = a.customers
    r, alpha, ba, bb = 0.243, 4.414, 0.793, 2.426      # BG/NBD, alpha per week
    p, q, g = 6.25, 3.74, 15.44                         # Gamma-Gamma
    start = np.datetime64("2024-01-01T00:00:00")
    end_days = (np.datetime64("2025-06-30T23:59:59") - start) / np.timedelta64(1, "D")
    lam = rng.gamma(r, 1 / alpha, n) / 7                # purchases per day
    drop = rng.beta(ba, bb, n)
    nu = rng.gamma(q, 1 / g, n)
    t = rng.uniform(0, 84, n)                           # first purchase, days from start
    cust, times = [np.arange(n)], [t.copy()]
    active = np.arange(n)
    cur = t.copy()
    while active.size:
        cur[active] += rng.exponential(1, active.size) / np.maximum(lam[active], 1e-300)
        active = active[cur[active] <= end_days]
        cust.append(active)
        times.append(cur[active].copy())
        active = active[rng.uniform(size=active.size) >= drop[active]]
    c = np.concatenate(cust)
    d = np.concatenate(times)
    value = np.round(rng.gamma(p, 1, c.size) / nu[c], 2)
    order = np.argsort(d, kind="stable")
    c, d, value = c[order], d[order], value[order]
    ts = np.datetime_as_string(start + (d * 86400).astype("timedelta64[s]"), unit="s")
    df = pd.DataFrame({"customer_id": np.char.add("c", np.char.zfill(c.astype(str), 7)),
                       "timestamp": np.char.add(ts.astype(str), "Z"), "event_type": "purchase",
                       "value": np.char.mod("%.2f", value)})
    df.to_csv(a.out, index=False)
    print(json.dumps({"customers": n, "events": int(c.size), "out": a.out,
                      "seconds": round(time.perf_counter() - T0, 3)}))


def summary_from_transactions(cust, day, value, cal_end_day):
    """retain's RFMSummary: one transaction per (customer, day), calibration days <= cal_end_day."""
    tx = pd.DataFrame({"c": cust, "d": day, "v": value})
    tx = tx[tx.d <= cal_end_day]
    days = tx.groupby(["c", "d"], sort=True).v.sum().reset_index()
    grp = days.groupby("c", sort=False)
    first = grp.d.transform("min")
    days["first_v"] = np.where(days.d == first, days.v, 0.0)
    s = grp.agg(first=("d", "min"), last=("d", "max"), n=("d", "size"), total=("v", "sum"), first_v=("first_v", "sum"))
    out = pd.DataFrame(index=s.index)
    out["frequency"] = (s.n - 1).astype(float)
    out["recency"] = (s["last"] - s["first"]) / 7.0
    out["T"] = (cal_end_day - s["first"]) / 7.0
    out["monetary_value"] = np.where(s.n > 1, (s.total - s.first_v) / np.maximum(s.n - 1, 1), 0.0)
    return out


def fit(a):
    from lifetimes import BetaGeoFitter, GammaGammaFitter
    import lifetimes
    secs = {}
    cal_end_day = (np.datetime64(a.calibration_end) - np.datetime64("1970-01-01")) / np.timedelta64(1, "D")
    t = time.perf_counter()
    if a.summary:
        s = pd.read_csv(a.summary)
        s = s.rename(columns={"x": "frequency", "t_x": "recency", "zbar": "monetary_value"})
        secs["read"] = time.perf_counter() - t
        secs["summary"] = 0.0
    else:
        if a.cdnow:
            raw = pd.read_csv(a.cdnow, sep=r"\s+", header=None, dtype=str)
            if not raw.iloc[0, 1].isdigit():
                raw = raw.iloc[1:]
            idc, datec = (1, 2) if raw.shape[1] == 5 else (0, 1)
            cust = raw[idc].to_numpy()
            day = (pd.to_datetime(raw[datec], format="%Y%m%d").to_numpy().astype("datetime64[D]").astype(np.int64)).astype(float)
            value = raw[raw.shape[1] - 1].astype(float).to_numpy()
        else:
            raw = pd.read_csv(a.events, dtype={"customer_id": str, "event_type": str, "timestamp": str})
            raw = raw[raw.event_type == "purchase"]
            cust = raw.customer_id.to_numpy()
            ts = pd.to_datetime(raw.timestamp, format="%Y-%m-%dT%H:%M:%SZ").to_numpy()
            day = np.floor(ts.astype("datetime64[s]").astype(np.int64) / 86400.0)
            value = raw.value.fillna(0).astype(float).to_numpy()
        secs["read"] = time.perf_counter() - t
        t = time.perf_counter()
        s = summary_from_transactions(cust, day, value, cal_end_day)
        secs["summary"] = time.perf_counter() - t
    check = None
    if a.check:
        ours = pd.read_csv(a.check, dtype={"customer_id": str}).set_index("customer_id")
        mine = s.copy()
        mine.index = mine.index.astype(str)
        ours = ours.loc[mine.index]
        check = {"customers_retain": int(len(ours)), "customers_peer": int(len(mine)),
                 **{f"max_abs_diff_{k}": float(np.max(np.abs(ours[k].to_numpy() - mine[k].to_numpy())))
                    for k in ["frequency", "recency", "T", "monetary_value"]}}
    x, tx_, T = s.frequency.to_numpy(), s.recency.to_numpy(), s["T"].to_numpy()
    bgf = BetaGeoFitter(penalizer_coef=0.0)
    t = time.perf_counter()
    bgf.fit(x, tx_, T)
    secs["fit_bgnbd"] = time.perf_counter() - t
    bp = bgf.params_
    ll = -len(x) * BetaGeoFitter._negative_log_likelihood(
        np.log(bp[["r", "alpha", "a", "b"]].to_numpy()), x.astype(int), tx_, T, np.ones(len(x)), 0.0)
    rep = s[(s.frequency > 0) & (s.monetary_value > 0)]   # as retain clv: repeat customers with a positive mean
    ggf = GammaGammaFitter(penalizer_coef=0.0)
    t = time.perf_counter()
    ggf.fit(rep.frequency, rep.monetary_value)
    secs["fit_gg"] = time.perf_counter() - t
    gp = ggf.params_
    secs["fit"] = secs["fit_bgnbd"] + secs["fit_gg"]
    secs["total"] = time.perf_counter() - T0
    print(json.dumps({
        "lifetimes": lifetimes.__version__, "customers": int(len(x)), "repeat_customers": int(len(rep)),
        "bgnbd": {"r": bp["r"], "alpha": bp["alpha"], "a": bp["a"], "b": bp["b"], "log_likelihood": float(ll)},
        "gamma_gamma": {"p": gp["p"], "q": gp["q"], "gamma": gp["v"],
                        "log_likelihood": float(-ggf._negative_log_likelihood_ * len(rep))},
        "seconds": {k: round(v, 4) for k, v in secs.items()}, "summary_check": check}))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("generate")
    g.add_argument("--customers", type=int, required=True)
    g.add_argument("--out", required=True)
    g.add_argument("--seed", type=int, default=20251123)
    f = sub.add_parser("fit")
    src = f.add_mutually_exclusive_group(required=True)
    src.add_argument("--events")
    src.add_argument("--cdnow")
    src.add_argument("--summary")
    f.add_argument("--calibration-end", default="1997-09-30")
    f.add_argument("--check")
    a = ap.parse_args()
    generate(a) if a.cmd == "generate" else fit(a)
    return 0


if __name__ == "__main__":
    sys.exit(main())
