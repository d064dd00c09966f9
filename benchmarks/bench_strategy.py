"""Graded, priced policy against today's, on the simulated platform (several seeds).

For each seed a fresh platform is simulated; for each segment (consumer, enterprise) the
shipped config's scorecard is fitted on the development months and two strategies are
optimised on the development through-the-door applications:

- **today**: the strategy as configured before issue 23: fixed price multipliers (A-C 1.0,
  D 1.05, E 1.1), deposits optimised, limits per application only, a capped term keeps the
  quoted rent, the take-up elasticities of the old configs (price 1.0); for enterprises
  also the old scorecard (at most 6 features, 4 bins of 15%, no reject inference) and the
  old constraints (at most 8% predicted bad, at least 60% approved);
- **priced**: the shipped config: prices per grade from 0.9-1.2, limits by platform history
  and per customer (exposure), the rent of a capped term recomputed, price elasticity 3.0;
  for enterprises also the new scorecard and the 4% predicted-bad ceiling, and
  **priced_8pct**: the same at the old 8% ceiling (the pricing and limits alone).

Both are measured on the out-of-time through-the-door applications (accepted and declined,
last 4 months) with the simulator's **true** PD (oracle), so neither policy is judged by its
own model: approval (above the cut-off and within the limits), the mean true PD of the
approved (``bad_rate``) and the realised bad rate of the approved (``true_bad``: the
simulator's outcome, also for applicants the platform declined), referred share (above a
limit) and expected profit per application (take-up x [(1 - PD) x margin - PD x loss], the
same economics for both, measured on the warehouse, at the shipped elasticities; a capped
term pays the quoted rent under today's engine, the re-priced rent under the new one). The
take-up response is an assumption (the simulator has none): ``--truth-elasticity`` evaluates
both policies under other price elasticities too.

    python benchmarks/bench_strategy.py [--applications 100000] [--seeds 20240101 1 2]
        [--truth-elasticity 1.5 3 6]
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_data_build import machine  # noqa: E402

from riskresearch import development, strategy  # noqa: E402
from riskresearch.config import config_from_dict  # noqa: E402
from riskresearch.features import build_modeling_table  # noqa: E402
from riskresearch.oracle import read_applications  # noqa: E402
from riskresearch.synth import SimulationConfig, build_warehouse  # noqa: E402

#: today's terms tables (scorecards/*.yaml before issue 23)
_TODAY_GRADES = {
    "consumer": [
        ("A", 15000, 0.0, 24, 1.0, False),
        ("B", 12000, 0.0, 24, 1.0, False),
        ("C", 9000, 0.1, 18, 1.0, False),
        ("D", 6000, 0.2, 12, 1.05, True),
        ("E", 4000, 0.3, 12, 1.1, True),
    ],
    "enterprise": [
        ("A", 200000, 0.0, 24, 1.0, False),
        ("B", 120000, 0.0, 24, 1.0, False),
        ("C", 60000, 0.1, 18, 1.0, False),
        ("D", 30000, 0.2, 12, 1.05, True),
        ("E", 15000, 0.3, 12, 1.1, True),
    ],
}


def today_config(raw: dict, segment: str) -> dict:
    """The shipped config with today's (pre-#23) strategy and, for enterprises, scorecard."""
    raw = copy.deepcopy(raw)
    s = raw["strategy"]
    for key in ("optimise_prices", "price_options", "limit_history"):
        s.pop(key, None)
    s["limit_history"] = {"enabled": False}
    s["economics"] = {**s.get("economics", {}), "price_elasticity": 1.0}
    s["grades"] = [
        {
            "grade": g,
            "max_device_value": v,
            "deposit_share": d,
            "max_term_months": t,
            "price_multiplier": m,
            "fraud_review": review,
            "enterprise_review": review if segment == "enterprise" else True,
        }
        for g, v, d, t, m, review in _TODAY_GRADES[segment]
    ]
    if segment == "enterprise":
        s["max_bad_rate"], s["min_approval_rate"] = 0.08, 0.6
        raw["binning"] = {
            "max_n_bins": 4,
            "min_bin_size": 0.15,
            "monotonic_trend": "auto_asc_desc",
            "unseen": "worst",
        }
        raw["selection"] = {
            "min_iv": 0.05,
            "max_corr": 0.7,
            "max_vif": 5,
            "forward": False,
            "max_features": 6,
        }
        raw.pop("reject_inference", None)
    return raw


def _scored(cfg, scorer, sample):
    rows = strategy.through_the_door(cfg, sample)
    return rows.assign(score=scorer.score(rows).to_numpy(), pd=scorer.pd_(rows).to_numpy())


def run_policy(raw: dict, oracle: pd.DataFrame, today: bool, truths) -> tuple[list[dict], dict]:
    cfg = config_from_dict(raw)
    dev = development.develop(cfg)
    rows, test = _scored(cfg, dev.scorer, dev.train), _scored(cfg, dev.scorer, dev.test)
    test = test.merge(oracle, on="application_id", how="left")
    econ = strategy.economics(cfg, cfg.data.warehouse, rows)
    if today:  # today's engine offers a capped term at the quoted rent
        econ = dataclasses.replace(econ, rent_rate_base=None, rent_rate_per_term=None)
    result = strategy.optimise(rows, cfg, econ, target=cfg.data.target)
    out = []
    for truth in truths:
        e = dataclasses.replace(econ, price_elasticity=truth)
        got = strategy.policy_outcome(test, result.policy, e, pd_values=test["true_pd"])
        approved = _approved(test, result.policy, e)
        got["true_bad"] = float(test.loc[approved, "true_bad"].mean())
        got["truth_elasticity"] = truth
        out.append(got)
    info = {
        "features": len(dev.scorer.columns),
        "prices": "/".join(f"{g['price_multiplier']:g}" for g in result.policy["grades"]),
        "test_rows": len(test),
    }
    return out, info


def _approved(rows: pd.DataFrame, policy: dict, econ) -> np.ndarray:
    idx = strategy.grade_index(rows["score"].to_numpy(dtype=float), policy)
    ok = np.zeros(len(rows), dtype=bool)
    for gi, g in enumerate(policy["grades"]):
        sel = idx == gi
        if sel.any():
            e = strategy.expected_profit(
                rows[sel], rows["pd"][sel], g, econ, limits=policy["limits"]
            )
            ok[np.flatnonzero(sel)] = e["booked"].to_numpy()
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--applications", type=int, default=100_000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[20240101, 1, 2])
    parser.add_argument("--truth-elasticity", type=float, nargs="+", default=[1.5, 3.0, 6.0])
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    pd.set_option("display.width", 220)
    pd.set_option("display.max_columns", 30)
    print(f"machine: {machine()}")
    print(
        f"{args.applications:,} simulated applications per seed; out-of-time through-the-door "
        "applications measured with the simulator's true PD\n"
    )
    records = []
    for seed in args.seeds:
        t0 = time.perf_counter()
        with tempfile.TemporaryDirectory() as tmp:
            db, path = Path(tmp) / "w.duckdb", Path(tmp) / "m.parquet"
            build_warehouse(SimulationConfig(n_applications=args.applications, seed=seed), db)
            build_modeling_table(db, path)
            oracle = read_applications(db, ("application_id", "true_pd", "true_bad"))
            for segment in ("consumer", "enterprise"):
                raw = yaml.safe_load((ROOT / "scorecards" / f"{segment}.yaml").read_text())
                raw["data"]["table"] = str(path)
                raw["data"]["oracle"] = raw["data"]["warehouse"] = str(db)
                policies = [("today", today_config(raw, segment), True), ("priced", raw, False)]
                if segment == "enterprise":  # the pricing and limits alone, at the old ceiling
                    old = copy.deepcopy(raw)
                    old["strategy"]["max_bad_rate"] = 0.08
                    policies.append(("priced_8pct", old, False))
                for policy, config, today in policies:
                    outs, info = run_policy(config, oracle, today, args.truth_elasticity)
                    for o in outs:
                        records.append(
                            {"seed": seed, "segment": segment, "policy": policy, **info, **o}
                        )
        print(f"seed {seed}: {time.perf_counter() - t0:.0f} s")
    table = pd.DataFrame(records)
    cols = ["approval_rate", "referred_rate", "bad_rate", "true_bad", "profit_per_application"]
    print("\nper seed (shipped elasticity 3.0):")
    main_truth = table[np.isclose(table.truth_elasticity, 3.0)]
    show = ["seed", "segment", "policy", "features", "prices", *cols]
    print(main_truth[show].to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    agg = main_truth.groupby(["segment", "policy"], sort=False)[cols].agg(["mean", "min", "max"])
    print("\nmean [min, max] over seeds:")
    for (segment, policy), r in agg.iterrows():
        cells = [f"{c} {r[c, 'mean']:.4f} [{r[c, 'min']:.4f}, {r[c, 'max']:.4f}]" for c in cols]
        print(f"{segment:10s} {policy:7s} " + "; ".join(cells))
    wide = table.pivot_table(
        index=["seed", "segment", "truth_elasticity"], columns="policy", values=cols
    )
    print("\npolicy - today, mean [min, max] over seeds, by the price elasticity assumed true:")
    for (segment, truth), part in wide.groupby(level=["segment", "truth_elasticity"]):
        for policy in ("priced", "priced_8pct"):
            if (
                part["profit_per_application", policy].isna().all()
                if policy in part["profit_per_application"]
                else True
            ):
                continue
            cells = []
            for c in ("approval_rate", "bad_rate", "profit_per_application"):
                d = part[c, policy] - part[c, "today"]
                cells.append(f"d_{c} {d.mean():+.4f} [{d.min():+.4f}, {d.max():+.4f}]")
            print(f"{segment:10s} {policy:11s} elasticity {truth:g}: " + "; ".join(cells))


if __name__ == "__main__":
    main()
