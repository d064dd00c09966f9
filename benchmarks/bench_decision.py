"""Decision engine speed: single applications (p50/p99) and batches (rows/s), with peers.

Prints, on the default data (``make release`` builds it):
- batch throughput of ``DecisionEngine.decide`` (fraud check, score, grade, terms, reason
  codes) on ``--rows`` applications, with LightGBM's default threads and with one thread;
- the peers measured in the same run on the same rows: the JSON scorecard alone
  (``Scorer.score``) and the fraud model alone (LightGBM ``Booster.predict`` on the encoded
  matrix), which bounds the engine from above;
- single-application latency of ``DecisionEngine.decide_one`` (p50 / p99) and of
  ``Scorer.score_one`` as a peer;
- the decisions' mix (approve / refer / decline).

The release is ``--release`` when it holds ``strategy.json``; otherwise the scorecard and fraud
model of ``scorecards/consumer/dev`` (``make release``) are copied into a temporary folder and
the strategy is optimised there through the library (notebook 08's calls).

    python benchmarks/bench_decision.py [--release DIR] [--rows 200000] [--calls 3000]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_data_build import machine, timed  # noqa: E402

from riskresearch import strategy  # noqa: E402
from riskresearch.config import load_config  # noqa: E402
from riskresearch.decision import DecisionEngine, decision_inputs  # noqa: E402
from riskresearch.release import seal  # noqa: E402
from riskresearch.scoring import Scorer  # noqa: E402


def release_folder(given: Path | None, tmp: Path) -> Path:
    if given is not None and (given / "strategy.json").is_file():
        return given
    source = ROOT / "scorecards" / "consumer" / "dev"
    cfg = load_config(ROOT / "scorecards" / "consumer.yaml")
    for name in ("scorecard.json", "fraud.txt", "fraud.json"):
        shutil.copy(source / name, tmp / name)
    t0 = time.perf_counter()
    strategy.write_strategy(strategy.develop_strategy(cfg, tmp), tmp)
    print(f"strategy optimised into a temporary release ({time.perf_counter() - t0:.1f} s)")
    seal(tmp, cfg)
    return tmp


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--release", type=Path, default=None)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--calls", type=int, default=3000)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = release_folder(args.release, Path(tmp))
        engine = DecisionEngine.from_release(folder)  # n_threads=1 (the default)
        all_threads = DecisionEngine.from_release(folder, n_threads=0)
        table = pd.read_parquet(ROOT / "data" / "modeling_table.parquet")
        t0 = time.perf_counter()
        apps = decision_inputs(table, ROOT / "data" / "leasing.duckdb")
        print(
            f"inputs: {len(apps):,} applications with fraud features "
            f"({time.perf_counter() - t0:.1f} s)"
        )
        reps = -(-args.rows // len(apps))
        big = pd.concat([apps] * reps, ignore_index=True).head(args.rows)

        print(f"\n## Batch ({len(big):,} applications, best of 3)")
        s_one, out = timed(lambda: engine.decide(big))
        s_all, _ = timed(lambda: all_threads.decide(big))
        scorer = Scorer(folder / "scorecard.json")
        s_score, _ = timed(lambda: scorer.score(big))
        x, _ = engine.fraud.matrix(big)
        s_lgbm, _ = timed(lambda: engine.fraud.predict_matrix(x, engine.n_threads))
        n = len(big)
        print("| step | seconds | applications/s |\n| --- | ---: | ---: |")
        print(f"| decide (n_threads=1, the default) | {s_one:.3f} | {n / s_one:,.0f} |")
        print(f"| decide (n_threads=0: every core) | {s_all:.3f} | {n / s_all:,.0f} |")
        print(f"| peer: fraud model alone (LightGBM predict) | {s_lgbm:.3f} | {n / s_lgbm:,.0f} |")
        print(f"| peer: scorecard alone (Scorer.score) | {s_score:.3f} | {n / s_score:,.0f} |")
        print(f"decide / fraud-model-alone time (1 thread each): {s_one / s_lgbm:.2f}x")
        mix = out["decision"].value_counts(normalize=True)
        print("decisions: " + ", ".join(f"{k} {v:.1%}" for k, v in mix.items()))

        print(f"\n## Single application ({args.calls:,} calls each, in-process)")
        records = apps.sample(args.calls, random_state=0).to_dict("records")
        for r in records[:50]:  # warm-up
            engine.decide_one(r)
        lat, lat_score = [], []
        for r in records:
            t0 = time.perf_counter()
            engine.decide_one(r)
            lat.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            scorer.score_one(r)
            lat_score.append(time.perf_counter() - t0)
        lat, lat_score = np.array(lat) * 1e3, np.array(lat_score) * 1e3
        print("| call | p50 ms | p99 ms |\n| --- | ---: | ---: |")
        print(f"| decide_one | {np.median(lat):.3f} | {np.percentile(lat, 99):.3f} |")
        print(
            f"| peer: Scorer.score_one | {np.median(lat_score):.3f} | "
            f"{np.percentile(lat_score, 99):.3f} |"
        )


if __name__ == "__main__":
    main()
