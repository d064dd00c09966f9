"""Consumer scorecard: accuracy against the oracle, scoring speed against optbinning, SQL parity.

Prints:
- out-of-time AUC, Gini and KS of the default consumer scorecard (scorecards/consumer.yaml)
  on the simulated platform, and the ratio to the oracle AUC of the true PD on the same rows;
- batch throughput on 1,000,000 rows of the JSON scorer vs optbinning's own
  ``Scorecard.score``, for the *same* scorecard (an optbinning scorecard exported with
  ``riskresearch.scoring.from_optbinning``), with the largest score difference;
- single-application latency of ``Scorer.score_one`` (median and p99);
- the largest difference between DuckDB running ``Scorer.to_sql()`` and the Python scorer.

    python benchmarks/bench_scorecard.py [--applications 100000] [--rows 1000000]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

import duckdb
import numpy as np
import yaml
from sklearn.metrics import roc_auc_score

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_data_build import machine, timed  # noqa: E402

from riskresearch.config import config_from_dict  # noqa: E402
from riskresearch.development import develop  # noqa: E402
from riskresearch.features import build_modeling_table  # noqa: E402
from riskresearch.oracle import read_applications  # noqa: E402
from riskresearch.scoring import Scorer, from_optbinning  # noqa: E402
from riskresearch.synth import SimulationConfig, build_warehouse  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--applications", type=int, default=100_000)
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory() as tmp:
        db, table = Path(tmp) / "w.duckdb", Path(tmp) / "m.parquet"
        build_warehouse(SimulationConfig(n_applications=args.applications), db)
        build_modeling_table(db, table)
        raw = yaml.safe_load((ROOT / "scorecards" / "consumer.yaml").read_text())
        raw["data"]["table"] = str(table)
        raw["data"]["warehouse"] = str(db)
        cfg = config_from_dict(raw)
        t0 = time.perf_counter()
        dev = develop(cfg)
        fit_s = time.perf_counter() - t0
        oracle = read_applications(db)
    test = dev.scored("test").merge(oracle, on="application_id")
    oracle_auc = roc_auc_score(test.bad, test.true_pd)
    m = dev.metrics["test"]
    print(
        f"\n## Accuracy (out-of-time: last {cfg.split.oot_months} mature cohorts, "
        f"{len(test):,} consumer leases; development fit {fit_s:.1f} s)"
    )
    print(f"{'':<22}{'AUC':>8}{'Gini':>8}{'KS':>8}")
    print(f"{'scorecard':<22}{m['auc']:>8.4f}{m['gini']:>8.4f}{m['ks']:>8.4f}")
    print(f"{'oracle (true PD)':<22}{oracle_auc:>8.4f}{2 * oracle_auc - 1:>8.4f}")
    print(f"AUC ratio scorecard / oracle: {m['auc'] / oracle_auc:.3f}  (target >= 0.95)")

    # ---- throughput: the same optbinning scorecard scored by optbinning and by our scorer
    from optbinning import BinningProcess
    from optbinning import Scorecard as OptbScorecard
    from sklearn.linear_model import LogisticRegression

    feats = list(dev.model.features_)
    categorical = [f for f in feats if f in dev.categorical]
    X_train = dev.train[feats]
    optb = OptbScorecard(
        BinningProcess(feats, categorical_variables=categorical),
        LogisticRegression(max_iter=1000),
        scaling_method="pdo_odds",
        scaling_method_params={"pdo": 20, "odds": 50, "scorecard_points": 600},
    ).fit(X_train, dev.train.bad.to_numpy())
    scorer = Scorer(from_optbinning(optb, pdo=20, base_score=600, base_odds=50))
    big = dev.test[feats].sample(args.rows, replace=True, random_state=0).reset_index(drop=True)
    t_opt, s_opt = timed(lambda: optb.score(big), repeat=2)
    t_our, s_our = timed(lambda: scorer.score(big).to_numpy())
    diff = float(np.max(np.abs(s_opt - s_our)))
    print(f"\n## Batch scoring, {args.rows:,} rows, {len(feats)} features (best of runs)")
    print(f"{'scorer':<34}{'seconds':>9}{'rows/s':>14}")
    print(f"{'optbinning Scorecard.score':<34}{t_opt:>9.3f}{args.rows / t_opt:>14,.0f}")
    print(f"{'riskresearch JSON Scorer':<34}{t_our:>9.3f}{args.rows / t_our:>14,.0f}")
    print(
        f"speed-up: {t_opt / t_our:.1f}x (target >= 10x); max |score difference| = {diff:.2e} "
        "(target <= 1e-9)"
    )

    # ---- single application
    own = dev.scorer
    rows = dev.test[own.columns].head(2000).to_dict("records")
    lat = []
    for r in rows * 5:
        t0 = time.perf_counter()
        own.score_one(r)
        lat.append(time.perf_counter() - t0)
    lat_us = sorted(x * 1e6 for x in lat)
    print(f"\n## Single application (score_one, {len(lat):,} calls)")
    print(
        f"median {statistics.median(lat_us):.1f} us, p99 {lat_us[int(0.99 * len(lat_us))]:.1f} us "
        "(target: median < 1 ms)"
    )

    # ---- SQL parity
    con = duckdb.connect()
    con.register("t", dev.test[own.columns])
    sql_scores = con.sql(f"SELECT {own.to_sql()} AS s FROM t").df().s.to_numpy()
    py_scores = own.score(dev.test).to_numpy()
    print(f"\n## SQL expression in DuckDB vs Python scorer ({len(py_scores):,} OOT rows)")
    print(
        f"max |difference| = {np.max(np.abs(sql_scores - py_scores)):.2e}; identical: "
        f"{bool(np.array_equal(sql_scores, py_scores))}"
    )


if __name__ == "__main__":
    main()
