#!/usr/bin/env python3
"""Makes datasets/sample/features.csv, the bundled "prepared feature table" used by the README.

Provenance: the peer benchmark's deterministic event generator (../shared/bench/gen.py, seed
20250101, 5,000 customers, 365 days) and its polars feature definition (peers/feat_polars.py,
cutoff 2025-10-28, label `churned` = no event in the 30 days after the cutoff). Missing values
are filled the way an analyst preparing a warehouse table would, so every cell is numeric:
days_since_last_purchase -> 365 (never purchased), session_mean_30 -> 0 (no sessions),
last_nps -> 7 plus has_nps = 0, csat_mean -> 3 plus has_csat = 0.

    python3 -m venv /tmp/bench-venv && /tmp/bench-venv/bin/pip install -r ../shared/bench/requirements.txt
    /tmp/bench-venv/bin/python ../shared/bench/gen.py --out /tmp/sample-gen --customers 5000 --only events
    /tmp/bench-venv/bin/python ../shared/bench/peers/feat_polars.py --data /tmp/sample-gen --out /tmp/sample-features.csv
    /tmp/bench-venv/bin/python datasets/sample/make_sample_features.py /tmp/sample-features.csv
"""
import os
import sys

import pandas as pd

src = sys.argv[1] if len(sys.argv) > 1 else "/tmp/sample-features.csv"
d = pd.read_csv(src)
d["has_nps"] = d["last_nps"].notna().astype(int)
d["has_csat"] = d["csat_mean"].notna().astype(int)
d = d.fillna({"days_since_last_purchase": 365.0, "session_mean_30": 0.0, "last_nps": 7.0, "csat_mean": 3.0})
label = d.pop("churned")
d["churned"] = label
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "features.csv")
d.to_csv(out, index=False, float_format="%.10g")
print(f"wrote {out}: {len(d)} rows, churn rate {label.mean():.4f}")
