"""Reject inference measured against the truth, on the simulated platform.

For the default consumer config (scorecards/consumer.yaml) on freshly simulated platforms
(several seeds, so the spread is visible), every reject-inference method is fitted on the
development months and measured on the out-of-time cohorts:
- through-the-door (accepted + declined) AUC against the oracle's realised outcome, and the
  calibration error: count-weighted mean |mean predicted PD - mean true PD| over 10
  predicted-PD bands (true PD from the simulator's oracle);
- the declined applicants' mean predicted PD next to their mean true PD;
- the same AUC and calibration error on the accepted rows only;
- each figure's change against accepts-only (method none), and its mean and range over seeds.

A method "measurably helps" when, for the scorecard, it raises the through-the-door AUC on
every seed without raising the mean calibration error, or lowers the calibration error on
every seed without lowering the mean AUC. The config default follows that verdict.

    python benchmarks/bench_reject_inference.py [--applications 100000] [--seeds 20240101 1 2]
        [--models scorecard gbm] [--parceling-factors 1.5 2.0]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import warnings
from pathlib import Path

import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_data_build import machine  # noqa: E402

from riskresearch.config import config_from_dict  # noqa: E402
from riskresearch.features import build_modeling_table  # noqa: E402
from riskresearch.reject_inference import METHODS, compare_methods  # noqa: E402
from riskresearch.synth import SimulationConfig, build_warehouse  # noqa: E402

COLUMNS = ["ttd_auc", "ttd_cal_error", "accepts_auc", "accepts_cal_error"]


def _run(cfg, models, factors) -> pd.DataFrame:
    table = compare_methods(cfg, models=models).summary
    extra = []
    for f in factors:  # parceling with other factors (one number for every band)
        variant = cfg.model_copy(
            update={
                "reject_inference": cfg.reject_inference.model_copy(update={"parceling_factors": f})
            }
        )
        t = compare_methods(variant, methods=("parceling",), models=models).summary
        extra.append(t.assign(method=f"parceling x{f:g}"))
    return pd.concat([table, *extra], ignore_index=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--applications", type=int, default=100_000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[20240101, 1, 2])
    parser.add_argument("--models", nargs="+", default=["scorecard", "gbm"])
    parser.add_argument("--parceling-factors", type=float, nargs="*", default=[1.5, 2.0])
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    pd.set_option("display.width", 200)
    pd.set_option("display.max_columns", 20)
    print(f"machine: {machine()}")
    print(
        f"{args.applications:,} simulated applications per seed; consumer scorecard config; "
        "out-of-time = last 4 mature cohorts, accepted + declined (through the door)\n"
    )
    tables = []
    for seed in args.seeds:
        with tempfile.TemporaryDirectory() as tmp:
            db, path = Path(tmp) / "w.duckdb", Path(tmp) / "m.parquet"
            build_warehouse(SimulationConfig(n_applications=args.applications, seed=seed), db)
            build_modeling_table(db, path)
            raw = yaml.safe_load((ROOT / "scorecards" / "consumer.yaml").read_text())
            raw["data"]["table"], raw["data"]["oracle"] = str(path), str(db)
            raw["data"]["warehouse"] = str(db)
            cfg = config_from_dict(raw)
            t0 = time.perf_counter()
            table = _run(cfg, args.models, args.parceling_factors)
            took = time.perf_counter() - t0
        base = table[table.method == "none"].set_index("model")
        for col in COLUMNS:
            table[f"d_{col}"] = table[col] - base.loc[table.model, col].to_numpy()
        table.insert(0, "seed", seed)
        tables.append(table)
        r = table.iloc[0]
        print(
            f"seed {seed}: {int(r.n_accepted):,} accepted + {int(r.n_declined):,} declined "
            f"out-of-time rows; oracle AUC {r.ttd_oracle_auc:.4f}; fitted in {took:.0f} s"
        )
        show = table[
            [
                "model",
                "method",
                "ttd_auc",
                "d_ttd_auc",
                "ttd_cal_error",
                "d_ttd_cal_error",
                "declined_mean_pd",
                "declined_true_pd",
                "accepts_auc",
                "d_accepts_auc",
                "accepts_cal_error",
            ]
        ]
        print(show.to_string(index=False, float_format=lambda v: f"{v:.4f}"), "\n")

    both = pd.concat(tables, ignore_index=True)
    agg = both.groupby(["model", "method"], sort=False).agg(
        ttd_auc=("ttd_auc", "mean"),
        d_auc_mean=("d_ttd_auc", "mean"),
        d_auc_min=("d_ttd_auc", "min"),
        d_auc_max=("d_ttd_auc", "max"),
        ttd_cal=("ttd_cal_error", "mean"),
        d_cal_mean=("d_ttd_cal_error", "mean"),
        d_cal_min=("d_ttd_cal_error", "min"),
        d_cal_max=("d_ttd_cal_error", "max"),
        acc_auc=("accepts_auc", "mean"),
        d_acc_auc=("d_accepts_auc", "mean"),
        acc_cal=("accepts_cal_error", "mean"),
    )
    print(f"mean over {len(args.seeds)} seed(s); d_ = change against accepts-only (none)")
    print(agg.to_string(float_format=lambda v: f"{v:.4f}"), "\n")

    helps = []
    card = agg.loc["scorecard"] if "scorecard" in agg.index.get_level_values(0) else None
    if card is not None:
        for method, r in card.iterrows():
            if method == "none":
                continue
            auc_up = r.d_auc_min > 0 and r.d_cal_mean <= 0
            cal_down = r.d_cal_max < 0 and r.d_auc_mean >= 0
            if auc_up or cal_down:
                helps.append(method)
    configurable = [m for m in helps if m in METHODS]
    print(
        "scorecard methods that measurably help: "
        + (", ".join(helps) if helps else "none")
        + f" -> default reject_inference.method: {configurable[0] if configurable else 'none'}"
    )


if __name__ == "__main__":
    main()
