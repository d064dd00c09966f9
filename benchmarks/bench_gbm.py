"""LightGBM challenger vs the consumer scorecard and the oracle, on the simulated platform.

Prints, for the default consumer config (scorecards/consumer.yaml) on a freshly simulated
platform (several seeds, so the spread is visible):
- out-of-time AUC, Gini and KS of the scorecard and the GBM on the same rows;
- the AUC of the simulator's true PD on those rows (oracle) and each model's ratio to it
  (target for the GBM: >= 0.98);
- the GBM's early-stopping rounds and fit time.

    python benchmarks/bench_gbm.py [--applications 100000] [--seeds 20240101 1 2]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import warnings
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_data_build import machine  # noqa: E402

from riskresearch.config import config_from_dict  # noqa: E402
from riskresearch.development import develop  # noqa: E402
from riskresearch.features import build_modeling_table  # noqa: E402
from riskresearch.gbm_development import develop_gbm  # noqa: E402
from riskresearch.oracle import compare as oracle_compare  # noqa: E402
from riskresearch.synth import SimulationConfig, build_warehouse  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--applications", type=int, default=100_000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[20240101, 1, 2])
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    print(f"machine: {machine()}")
    print(
        f"{args.applications:,} simulated applications per seed; out-of-time = last 4 mature "
        "cohorts of consumer leases\n"
    )
    print(
        f"{'seed':>9} {'rows':>7} {'oracle':>7} {'sc AUC':>7} {'sc/or':>6} {'gbm AUC':>8} "
        f"{'gbm/or':>7} {'gbm KS':>7} {'gbm Gini':>9} {'rounds':>7} {'fit s':>6}"
    )
    ratios = []
    for seed in args.seeds:
        with tempfile.TemporaryDirectory() as tmp:
            db, table = Path(tmp) / "w.duckdb", Path(tmp) / "m.parquet"
            build_warehouse(SimulationConfig(n_applications=args.applications, seed=seed), db)
            build_modeling_table(db, table)
            raw = yaml.safe_load((ROOT / "scorecards" / "consumer.yaml").read_text())
            raw["data"]["table"], raw["data"]["oracle"] = str(table), str(db)
            raw["data"]["warehouse"] = str(db)
            cfg = config_from_dict(raw)
            dev = develop(cfg)
            t0 = time.perf_counter()
            gdev = develop_gbm(cfg, binner=dev.model.binner_)
            fit_s = time.perf_counter() - t0
            sc = oracle_compare(cfg, dev.test, dev.scorer.pd_(dev.test).to_numpy())
            gb = oracle_compare(cfg, gdev.test, gdev.scorer.pd_(gdev.test).to_numpy())
        m = gdev.metrics["test"]
        ratios.append(gb["ratio"])
        print(
            f"{seed:>9} {gb['rows']:>7,} {gb['oracle_auc']:>7.4f} {sc['model_auc']:>7.4f} "
            f"{sc['ratio']:>6.3f} {m['auc']:>8.4f} {gb['ratio']:>7.3f} {m['ks']:>7.4f} "
            f"{m['gini']:>9.4f} {gdev.metrics['early_stopping']['rounds']:>7} {fit_s:>6.1f}"
        )
    print(
        f"\nGBM / oracle AUC: min {min(ratios):.3f}, mean {sum(ratios) / len(ratios):.3f} "
        "(target >= 0.98)"
    )


if __name__ == "__main__":
    main()
