#!/usr/bin/env python3
"""Peer for the daily run (issue #5): `retain score --db --out` + `retain export` in polars + scikit-learn.

The same job as retain's daily run, as an analyst would write it in one script:

  --train   (setup, not timed) features as of the monthly dates T_k = as-of - 30 d - k * 30 d
            (k < snapshots; events at or after as-of dropped first) with the harness's `churned`
            label; median imputation, log1p on the counts and the spend, standardisation,
            LogisticRegression (newton-cholesky, C = 1) fitted on all dates but the latest, Platt
            calibration on the latest, refit on all dates; high / medium cut-offs = the 90th /
            75th percentile of the calibrated training probabilities; everything pickled.
  (daily)   (timed as a whole process) read the events with polars, features as of --as-of,
            customers.csv joined (signup_date -> tenure_days; plan, country, email), churn
            probability (predict_proba + Platt), risk tier, predicted value, flags, one action by
            first-match rules, top-3 reasons in words, the SQLite history (this day replaced in
            one transaction), the scores CSV, and the marketing lists (at-risk, high-value, one
            per action with rows) with the customer attributes, each written to a temporary
            file (mode 0600, fsync) and renamed into place, plus manifest.json with rows and
            SHA-256 checksums.

Features: the peer harness's own definition, `feat_polars.build` (../shared/bench/peers,
featspec.py): 25 feature columns (+ tenure_days from customers.csv), against retain's 66 -- fewer
features to build and score, which favours the peer. `build` keeps only customers active in the
last 90 days; to score the same population as retain (every customer signed up before the date,
or with an event before it), a second, small aggregation over the same scan (collected together
with `build` by `pl.collect_all`, so the CSV is read once) gives the all-history columns of the
others (last event, last purchase, last NPS, CSAT mean); their window counts are 0.

Rules, as retain's defaults: at_risk = p >= high cut-off or among the riskiest top 10 %;
value at stake = monthly spend = purchase_sum_90 / 3 (retain: aov_90d x purchase_frequency_per_30d);
high_value = top 10 % by value at stake (> 0, ties at the cut-off included); predicted value =
monthly spend / max(p, 1/24); detractor / promoter = last_nps 0-6 / 9-10; new = tenure < 30 days.
Actions, first match: personal_outreach (at_risk & high_value), win_back_offer (at_risk),
service_recovery (detractor), loyalty_reward (high_value & not at_risk), referral_invitation
(promoter), else none. Reasons: the three largest positive contributions coef x standardised
value, as short texts ("no purchase in 64 days").

Differences that favour the peer: 26 features instead of 66; no drift report; the lists are
written from the frames in memory in the same process (retain's export is a second process that
reads the day back from SQLite).

  python3 Benchmarks/daily_peer_polars.py --train --data /tmp/bench-data --as-of 2025-11-30 --snapshots 4 --model M.pkl
  python3 Benchmarks/daily_peer_polars.py --data /tmp/bench-data --model M.pkl --as-of 2025-12-01 \\
      --db H.sqlite --out scores.csv --lists DIR
"""
import argparse
import hashlib
import json
import os
import pickle
import sqlite3
import sys
import time
from datetime import datetime, timezone

T_START = time.perf_counter()
import numpy as np  # noqa: E402
import polars as pl  # noqa: E402
from sklearn.impute import SimpleImputer  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
ap.add_argument("--data", required=True, help="directory with events.csv and customers.csv")
ap.add_argument("--as-of", required=True, help="training as-of date (--train) or scoring date (YYYY-MM-DD)")
ap.add_argument("--model", required=True, help="pickle to write (--train) or read")
ap.add_argument("--train", action="store_true", help="setup: fit and save the model")
ap.add_argument("--snapshots", type=int, default=4)
ap.add_argument("--db", help="SQLite score history")
ap.add_argument("--out", help="scores CSV")
ap.add_argument("--lists", help="directory for the marketing lists")
ap.add_argument("--bench", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "bench"))
a = ap.parse_args()
sys.path.insert(0, os.path.join(a.bench, "peers"))
from feat_polars import build  # noqa: E402
from featspec import COLUMNS, DAY, EVENT_TYPES, TIMESTAMP_FORMAT, cutoff_epoch  # noqa: E402

HARNESS = [c for c in COLUMNS if c not in ("customer_id", "churned")]
FEATURES = HARNESS + ["tenure_days"]
LOG1P = [c.startswith(("n30_", "n90_")) or c == "purchase_sum_90" for c in FEATURES]
COUNTS = [c for c in HARNESS if c.startswith(("n30_", "n90_"))]
HISTORY = ["days_since_last_event", "days_since_last_purchase", "last_nps", "csat_mean"]


def events():
    lf = pl.scan_csv(os.path.join(a.data, "events.csv"),
                     schema={"customer_id": pl.String, "timestamp": pl.String, "event_type": pl.String, "value": pl.Float64})
    return lf.select(pl.col("customer_id"),
                     pl.col("timestamp").str.strptime(pl.Datetime("us", "UTC"), TIMESTAMP_FORMAT).dt.epoch("s").alias("t"),
                     pl.col("event_type"), pl.col("value"))


def customers():
    c = pl.read_csv(os.path.join(a.data, "customers.csv"), infer_schema_length=0)
    return c.with_columns(pl.col("signup_date").str.strptime(pl.Datetime("us", "UTC"), "%Y-%m-%d").dt.epoch("s").alias("_signup"))


def history(lf, T):
    """All-history columns (the harness's definitions) and the label for every customer with an event before T."""
    t, et, v = pl.col("t"), pl.col("event_type"), pl.col("value")
    b = t < T
    nps = b & (et == "nps_response")
    return (lf.group_by("customer_id")
            .agg(((T - t.filter(b).max()) / DAY).alias("days_since_last_event"),
                 ((T - t.filter(b & (et == "purchase")).max()) / DAY).alias("days_since_last_purchase"),
                 v.filter(nps).sort_by(t.filter(nps), v.filter(nps)).last().alias("last_nps"),
                 v.filter(b & (et == "csat_response")).mean().alias("csat_mean"),
                 ((t >= T) & (t < T + 30 * DAY)).any().not_().cast(pl.Int64).alias("churned"),
                 b.any().alias("_seen"))
            .filter(pl.col("_seen")).drop("_seen"))


def population(lf, T, cust):
    """One row per customer signed up before T or with an event before T: the harness's columns
    from `build` for the customers active in the last 90 days, window counts 0 and the all-history
    columns for the others; tenure_days and the customer attributes from customers.csv."""
    feat, hist = pl.collect_all([build(lf, T), history(lf, T)])
    ids = (pl.concat([cust.filter(pl.col("_signup") < T).select("customer_id"), hist.select("customer_id")])
           .unique().sort("customer_id"))
    table = (ids.join(feat.drop("churned"), on="customer_id", how="left")
             .join(hist.rename({c: "h_" + c for c in HISTORY}), on="customer_id", how="left")
             .join(cust, on="customer_id", how="left")
             .with_columns([pl.col(c).fill_null(0) for c in COUNTS + ["purchase_sum_90"]]
                           + [pl.coalesce(c, "h_" + c).alias(c) for c in HISTORY]
                           + [pl.col("login_ratio").fill_null(1.0), pl.col("churned").fill_null(1),
                              ((T - pl.col("_signup")) / DAY).alias("tenure_days")]))
    return table, feat.height


def matrix(table):
    X = table.select(FEATURES).to_numpy().astype(float)
    return X


def standardise(m, X):
    Z = m["imputer"].transform(X)
    Z[:, m["log1p"]] = np.log1p(Z[:, m["log1p"]])
    return m["scaler"].transform(Z)


def fit(X, y):
    imp = SimpleImputer(strategy="median", keep_empty_features=True).fit(X)
    log1p = np.array(LOG1P)
    Z = imp.transform(X)
    Z[:, log1p] = np.log1p(Z[:, log1p])
    sc = StandardScaler().fit(Z)
    lr = LogisticRegression(C=1.0, solver="newton-cholesky", tol=1e-8, max_iter=100).fit(sc.transform(Z), y)
    return {"imputer": imp, "log1p": log1p, "scaler": sc, "model": lr}


if a.train:
    as_of = cutoff_epoch(a.as_of)
    dates = sorted(as_of - 30 * DAY - k * 30 * DAY for k in range(a.snapshots))
    df = events().filter(pl.col("t") < as_of).collect()
    cust = customers()
    table = pl.concat([population(df.lazy(), T, cust)[0].select(FEATURES + ["churned"]).with_columns(pl.lit(T).alias("as_of"))
                       for T in dates])
    X, y, when = matrix(table), table["churned"].to_numpy().astype(float), table["as_of"].to_numpy()
    tr, ho = when < dates[-1], when == dates[-1]
    m = fit(X[tr], y[tr])
    z = m["model"].decision_function(standardise(m, X[ho]))
    platt = LogisticRegression(C=1e10, solver="newton-cholesky").fit(z.reshape(-1, 1), y[ho])
    m = fit(X, y)
    m["platt"] = platt
    p = platt.predict_proba(m["model"].decision_function(standardise(m, X)).reshape(-1, 1))[:, 1]
    m.update(features=FEATURES, high=float(np.quantile(p, 0.90)), medium=float(np.quantile(p, 0.75)),
             top_fraction=0.1, as_of=a.as_of, rows=len(y))
    blob = pickle.dumps(m)
    tmp = a.model + ".tmp"
    with open(tmp, "wb") as f:
        f.write(blob)
    os.replace(tmp, a.model)
    print(f"trained rows={len(y)} features={len(FEATURES)} dates={len(dates)} churn_rate={y.mean():.4f} "
          f"high={m['high']:.4f} medium={m['medium']:.4f} model=model@{hashlib.sha256(blob).hexdigest()[:12]} "
          f"total_s={time.perf_counter() - T_START:.2f}")
    sys.exit(0)

# ---------------------------------------------------------------- daily run
date = a.as_of
T = cutoff_epoch(date)
with open(a.model, "rb") as f:
    blob = f.read()
m = pickle.loads(blob)
model_id = "model@" + hashlib.sha256(blob).hexdigest()[:12]

# Features: the harness's table for the active customers, the all-history columns for the rest.
cust = customers()
table, n_active = population(events(), T, cust)
t_features = time.perf_counter() - T_START

# Score: probability, tier, value, flags, action.
t0 = time.perf_counter()
X = matrix(table)
Z = standardise(m, X)
lr = m["model"]
p = m["platt"].predict_proba(lr.decision_function(Z).reshape(-1, 1))[:, 1]
n = len(p)
tier = np.select([p >= m["high"], p >= m["medium"]], ["high", "medium"], "low")
stake = table["purchase_sum_90"].to_numpy() / 3.0
value = stake / np.maximum(p, 1 / 24)
k = max(1, int(m["top_fraction"] * n))
at_risk = (p >= m["high"]) | (p >= np.sort(p)[::-1][k - 1])
kv = max(1, int(0.1 * n))
high_value = (stake > 0) & (stake >= np.sort(stake)[::-1][kv - 1])
nps = table["last_nps"].to_numpy().astype(float)
detractor, promoter = nps <= 6, nps >= 9          # NaN compares False
new = table["tenure_days"].to_numpy().astype(float) < 30
action = np.select([at_risk & high_value, at_risk, detractor, high_value & ~at_risk, promoter],
                   ["personal_outreach", "win_back_offer", "service_recovery", "loyalty_reward", "referral_invitation"],
                   "none")

# Reasons: top-3 positive contributions coef x standardised value, in words.
contrib = Z * lr.coef_[0]
top = np.argsort(-contrib, axis=1)[:, :3]
rows = np.repeat(np.arange(n), 3)
kk = top.ravel()
LABEL = {"login": "logins", "page_view": "page views", "session_end": "sessions", "purchase": "purchases",
         "email_open": "email opens", "email_click": "email clicks", "support_ticket": "support tickets",
         "nps_response": "NPS responses", "csat_response": "CSAT responses"}
TEXT = {**{f"n{w}_{e}": (f"{{}} {LABEL[e]} in {w} days", f"only {{}} {LABEL[e]} in {w} days")
           for w in (30, 90) for e in EVENT_TYPES},
        "purchase_sum_90": ("spent {} in 90 days", "spent only {} in 90 days"),
        "days_since_last_event": ("no activity in {} days", "last active {} days ago"),
        "days_since_last_purchase": ("no purchase in {} days", "last purchase {} days ago"),
        "session_mean_30": ("sessions of {} s on average in 30 days", "short sessions ({} s) in 30 days"),
        "last_nps": ("last NPS {}", "last NPS only {}"),
        "csat_mean": ("CSAT high ({})", "CSAT low ({})"),
        "login_ratio": ("logins up {}% vs previous month", "logins down {}% vs previous month"),
        "tenure_days": ("customer for {} days", "customer for only {} days")}
INTEGRAL = set(COUNTS) | {"days_since_last_event", "days_since_last_purchase", "tenure_days", "last_nps", "session_mean_30"}
long = pl.DataFrame({"row": rows, "slot": np.tile(np.arange(3), n), "k": kk,
                     "c": contrib[rows, kk], "raw": X[rows, kk], "up": Z[rows, kk] > 0}).filter(pl.col("c") > 0)
parts = []
for j, name in enumerate(FEATURES):
    up_t, down_t = TEXT[name]
    r = pl.col("raw")
    v = ((r - 1).abs() * 100).round(0).cast(pl.Int64).cast(pl.String) if name == "login_ratio" else \
        r.round(0).cast(pl.Int64).cast(pl.String) if name in INTEGRAL else r.round(1).cast(pl.String)
    parts.append(long.filter(pl.col("k") == j).select(
        "row", "slot",
        pl.when(r.is_null() | r.is_nan()).then(pl.lit(f"{name} unknown"))
        .when(pl.col("up")).then(pl.format(up_t, v)).otherwise(pl.format(down_t, v)).alias("text")))
reasons = (pl.concat(parts).sort("row", "slot").group_by("row", maintain_order=True)
           .agg(pl.col("text").str.join("; ").alias("reasons")))
reason_col = np.full(n, "", dtype=object)
reason_col[reasons["row"].to_numpy()] = reasons["reasons"].to_numpy()

flags = pl.DataFrame({"at_risk": at_risk, "high_value": high_value, "detractor": detractor, "promoter": promoter, "new": new})
scores = pl.DataFrame({
    "customer_id": table["customer_id"], "churn_probability": p, "risk_tier": tier, "predicted_value": value,
    "segment": pl.Series([None] * n, dtype=pl.String),
    "flags": flags.select(pl.concat_list([pl.when(pl.col(c)).then(pl.lit(c)) for c in flags.columns])
                          .list.drop_nulls().list.join(";").replace("", None).alias("flags"))["flags"],
    "action": action, "reasons": pl.Series(reason_col, dtype=pl.String)})
t_score = time.perf_counter() - t0

# History: this day replaces any earlier run of it, in one transaction.
t0 = time.perf_counter()
con = sqlite3.connect(a.db)
con.executescript("""
    CREATE TABLE IF NOT EXISTS scores (
        date TEXT NOT NULL, customer_id TEXT NOT NULL, model_id TEXT NOT NULL,
        churn_probability REAL NOT NULL, risk_tier TEXT NOT NULL, predicted_value REAL NOT NULL,
        segment TEXT NOT NULL, flags TEXT NOT NULL, action TEXT NOT NULL, reasons TEXT NOT NULL,
        PRIMARY KEY (date, customer_id)) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS scores_by_customer ON scores(customer_id, date);
    CREATE TABLE IF NOT EXISTS runs (date TEXT PRIMARY KEY, model_id TEXT NOT NULL, rows INTEGER NOT NULL, written_at TEXT NOT NULL);
""")
with con:
    con.execute("DELETE FROM scores WHERE date = ?", (date,))
    con.execute("DELETE FROM runs WHERE date = ?", (date,))
    con.executemany("INSERT INTO scores VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    scores.select(pl.lit(date).alias("date"), "customer_id", pl.lit(model_id).alias("model_id"),
                                  pl.all().exclude("customer_id").fill_null("")).iter_rows())
    con.execute("INSERT INTO runs VALUES (?, ?, ?, ?)",
                (date, model_id, n, datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")))
con.close()
t_history = time.perf_counter() - t0


def write_atomic(path, data: bytes):
    """Temporary file in the same directory (mode 0600), fsync, rename."""
    tmp = f"{path}.tmp{os.getpid()}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


# Scores CSV.
t0 = time.perf_counter()
write_atomic(a.out, scores.write_csv().encode())
t_csv = time.perf_counter() - t0

# Lists: at-risk, high-value, one per action with rows; customer attributes carried in.
t0 = time.perf_counter()
os.makedirs(a.lists, mode=0o700, exist_ok=True)
attrs = [c for c in cust.columns if c not in ("customer_id", "signup_date", "_signup") and c not in scores.columns]
out = (scores.with_columns(pl.Series("_at_risk", at_risk), pl.Series("_high_value", high_value))
       .join(cust.select(["customer_id"] + attrs), on="customer_id", how="left")
       .select(["customer_id"] + attrs + ["churn_probability", "risk_tier", "predicted_value", "segment", "action",
                                          "reasons", "_at_risk", "_high_value"]))
lists = [("at-risk", "at-risk.csv", pl.col("_at_risk")), ("high-value", "high-value.csv", pl.col("_high_value"))]
lists += [(act, f"action-{act}.csv", pl.col("action") == act) for act in sorted(set(action.tolist()) - {"none"})]
entries = []
for name, file, cond in lists:
    rows_l = out.filter(cond).drop("_at_risk", "_high_value")
    data = rows_l.write_csv().encode()
    write_atomic(os.path.join(a.lists, file), data)
    entries.append({"list": name, "file": file, "rows": rows_l.height, "date": date, "model_id": model_id,
                    "checksum": "sha256:" + hashlib.sha256(data).hexdigest()})
write_atomic(os.path.join(a.lists, "manifest.json"),
             json.dumps({"date": date, "model_id": model_id, "format": "csv", "lists": entries}, indent=2).encode())
t_export = time.perf_counter() - t0

counts = dict(zip(*np.unique(action, return_counts=True)))
print(f"customers={n} active_90d={n_active} high={int((tier == 'high').sum())} at_risk={int(at_risk.sum())} "
      f"high_value={int(high_value.sum())} " + " ".join(f"{k}={counts.get(k, 0)}" for k in
      ["personal_outreach", "win_back_offer", "service_recovery", "loyalty_reward", "referral_invitation", "none"])
      + f" lists={len(entries)} features_s={t_features:.2f} score_s={t_score:.2f} history_s={t_history:.2f} "
      f"csv_s={t_csv:.2f} export_s={t_export:.2f} total_s={time.perf_counter() - T_START:.2f}")
