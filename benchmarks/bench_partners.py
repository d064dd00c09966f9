"""Partner monitoring against the simulator's hidden partner quality, on several seeds.

Prints, per warehouse, the time of the whole analysis and the detection figures of the
restrict/suspend flags (and with watch) against ``oracle_partners`` (read here only, for the
evaluation): recall of the worst decile of hidden quality, share of the other ("good")
partners flagged, recall and precision against the degraded partners (hidden quality > 0.5 or
the worse new channel), and recall of the new channel. Three ways to set expectations are
compared in the same run:

- ``scorecard``: the release scorecard's PD with the partner at WoE 0 (default warehouse only,
  ``--release``);
- ``own PD``: a logistic regression on a few application/bureau features fitted here (any PD
  column; used on the other seeds, which have no release);
- ``portfolio``: no PD, the portfolio rate per month and segment (mix-unadjusted);

each with every rule and with the price-anomaly rule switched off (actual vs expected alone).

    python benchmarks/bench_partners.py [--db data/leasing.duckdb]
        [--table data/modeling_table.parquet] [--release scorecards/consumer/dev]
        [--seeds 1 2 3] [--applications 100000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_data_build import machine  # noqa: E402

from riskresearch import oracle  # noqa: E402
from riskresearch import partners as P  # noqa: E402
from riskresearch.config import PartnersConfig  # noqa: E402
from riskresearch.features import build_modeling_table  # noqa: E402
from riskresearch.synth import SimulationConfig, build_warehouse  # noqa: E402

FEATURES = [
    "platform_credit_score",
    "max_dpd_24m",
    "inquiries_6m",
    "lenders_6m",
    "employment_years",
    "registration_to_application_minutes",
    "stated_monthly_income",
]


def own_pd(apps: pd.DataFrame) -> pd.Series:
    """PD of consumer rows from a logistic regression without any partner information."""
    cons = apps[apps["segment"] == "consumer"]
    x = cons[FEATURES].fillna(-1).to_numpy()
    fit = cons["bad_mature"].to_numpy()
    lr = LogisticRegression(max_iter=2000).fit(x[fit], cons.loc[fit, "bad"].astype(int))
    out = pd.Series(np.nan, index=apps.index)
    out[cons.index] = lr.predict_proba(x)[:, 1]
    return out


def rows(label: str, db: Path, table: Path, scorecard: Path | None) -> list[dict]:
    t0 = time.perf_counter()
    partners, apps, _ = P.load_partner_data(db, table)
    load_s = time.perf_counter() - t0
    truth = oracle.partners(db)  # evaluation only
    expectations = {"portfolio": None, "own PD": own_pd(apps)}
    if scorecard is not None:
        expectations["scorecard"] = P.expected_pd(
            apps, scorecard, ("partner_id",), {"segment": "consumer"}
        )
    out = []
    for name, pd_values in expectations.items():
        a = apps if pd_values is None else apps.assign(pd=pd_values)
        t1 = time.perf_counter()
        _, summary = P.monitor(a, None if pd_values is None else "pd")
        qual = P.qualify(partners, performance=summary)
        seconds = load_s + time.perf_counter() - t1
        for rules, cfg in (
            ("all", PartnersConfig()),
            ("no price", PartnersConfig(price_ratio=100)),
        ):
            flags = P.flag_partners(summary, qual, cfg)
            for actions in (("restrict", "suspend"), ("watch", "restrict", "suspend")):
                d = P.detection(flags, truth, actions)
                out.append(
                    {
                        "data": label,
                        "expected": name,
                        "rules": rules,
                        "flags": "+watch" if "watch" in actions else "restrict+",
                        "flagged": d["flagged"],
                        "recall_worst": d["recall_worst"],
                        "good_flagged": d["good_flagged_rate"],
                        "recall_bad": d["recall_bad"],
                        "precision_bad": d["precision_bad"],
                        "not_bad_flagged": d["not_bad_flagged_rate"],
                        "recall_new": d["recall_new_channel"],
                        "seconds": seconds,
                    }
                )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=str(ROOT / "data" / "leasing.duckdb"))
    parser.add_argument("--table", default=str(ROOT / "data" / "modeling_table.parquet"))
    parser.add_argument("--release", default=str(ROOT / "scorecards" / "consumer" / "dev"))
    parser.add_argument("--seeds", type=int, nargs="*", default=[1, 2, 3])
    parser.add_argument("--applications", type=int, default=100_000)
    args = parser.parse_args()
    print(machine())
    results = []
    card = Path(args.release) / "scorecard.json"
    if Path(args.db).is_file():
        results += rows(
            "default", Path(args.db), Path(args.table), card if card.is_file() else None
        )
    with tempfile.TemporaryDirectory() as tmp:
        for seed in args.seeds:
            db, table = Path(tmp) / f"w{seed}.duckdb", Path(tmp) / f"m{seed}.parquet"
            t0 = time.perf_counter()
            build_warehouse(SimulationConfig(n_applications=args.applications, seed=seed), db)
            build_modeling_table(db, table)
            print(
                f"seed {seed}: built {args.applications:,} applications in "
                f"{time.perf_counter() - t0:.1f} s"
            )
            results += rows(f"seed {seed}", db, table, None)
    frame = pd.DataFrame(results)
    with pd.option_context("display.width", 200, "display.max_rows", 200):
        print(frame.round(3).to_string(index=False))
        main_rows = frame[(frame["rules"] == "all") & (frame["flags"] == "restrict+")]
        print("\nmean over warehouses (restrict/suspend, every rule):")
        print(
            main_rows.groupby("expected")[
                [
                    "recall_worst",
                    "good_flagged",
                    "not_bad_flagged",
                    "recall_bad",
                    "precision_bad",
                    "recall_new",
                ]
            ]
            .agg(["mean", "min", "max"])
            .round(3)
            .to_string()
        )
        ae = frame[(frame["rules"] == "no price") & (frame["flags"] == "restrict+")]
        print("\nactual vs expected alone (no price rule), restrict/suspend:")
        print(
            ae.groupby("expected")[["recall_worst", "good_flagged", "recall_bad", "recall_new"]]
            .agg(["mean", "min", "max"])
            .round(3)
            .to_string()
        )


if __name__ == "__main__":
    main()
