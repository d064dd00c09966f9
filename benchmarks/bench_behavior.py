"""Behaviour score on the default warehouse: snapshot build time and out-of-time performance.

Prints, for ``data/leasing.duckdb`` (100k applications; build it with ``riskresearch data
build``): the number of lease-month snapshots (all, mature, already 30+ dpd), the time to build
them and to develop the scorecard, and the development and out-of-time AUC / KS.

    python benchmarks/bench_behavior.py [--db data/leasing.duckdb] [--oot-months 3] [--gap 0]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_data_build import machine  # noqa: E402

from riskresearch.behavior import behavior_snapshots, develop_behavior  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=str(ROOT / "data" / "leasing.duckdb"))
    parser.add_argument("--oot-months", type=int, default=3)
    parser.add_argument("--gap", type=int, default=0, help="snapshot months between the samples")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    db = Path(args.db)
    if not db.is_file():
        sys.exit(f"{db} does not exist; build it with 'riskresearch data build'.")
    print(f"machine: {machine()}")
    print(f"warehouse: {db}\n")

    t0 = time.perf_counter()
    snaps = behavior_snapshots(db)
    t1 = time.perf_counter()
    bs = develop_behavior(snaps, oot_months=args.oot_months, seed=args.seed, gap_months=args.gap)
    t2 = time.perf_counter()
    m = bs.metrics

    print(f"as of:                  {m['as_of']}")
    leases = snaps["application_id"].nunique()
    print(f"snapshots:              {len(snaps):>10,}  ({leases:,} leases)")
    print(f"  mature:               {int(snaps['mature'].sum()):>10,}")
    print(f"  already 30+ dpd:      {m['excluded_delinquent_rows']:>10,}  (mature, left out)")
    print(f"snapshot build:         {t1 - t0:>10.1f} s")
    print(f"scorecard development:  {t2 - t1:>10.1f} s\n")
    print(f"{'sample':<14} {'months':<17} {'rows':>9} {'bad rate':>9} {'AUC':>7} {'KS':>7}")
    for name, label in (("train", "development"), ("oot", "out-of-time")):
        months = f"{m[f'{name}_start']} .. {m[f'{name}_end']}"
        print(
            f"{label:<14} {months:<17} {m[f'{name}_n']:>9,} {m[f'{name}_bad_rate']:>9.2%} "
            f"{m[f'{name}_auc']:>7.3f} {m[f'{name}_ks']:>7.3f}"
        )
    print(f"\nfeatures ({len(m['features'])}): {', '.join(m['features'])}")


if __name__ == "__main__":
    main()
