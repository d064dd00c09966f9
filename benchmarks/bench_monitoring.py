"""Monitoring on the default 100k data: does it find what the simulator hides?

Builds the baseline of the consumer config's scorecard (``scorecards/consumer/dev`` when
present, else a scorecard fitted here) on its development window (2024-01..2025-02), monitors
2025-03..2025-12 and prints, per month, the severity of the checks raised in it and the new
alerts (kind and subject first amber/red that month), the PSI noise floor, the timings of the
pandas path and of the Dask path (LocalCluster, 2 workers) with their equality.

    .venv/bin/python benchmarks/bench_monitoring.py
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pandas as pd

from riskresearch import development
from riskresearch import monitoring as M
from riskresearch.config import load_config

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    cfg = load_config(ROOT / "scorecards" / "consumer.yaml")
    rel = ROOT / "scorecards" / "consumer" / "dev"
    if (rel / "scorecard.json").is_file():
        card = json.loads((rel / "scorecard.json").read_text())
        metrics = json.loads((rel / "metrics.json").read_text())
        fraud = M.run._fraud_of(rel)
        strategy = rel / "strategy.json" if (rel / "strategy.json").is_file() else None
        source = str(rel.relative_to(ROOT))
    else:
        dev = development.develop(cfg)
        card, metrics, fraud, strategy, source = dev.model.to_dict(), None, None, None, "fitted"
    t0 = time.perf_counter()
    base = M.build_baseline(cfg, card, strategy, fraud=fraud, release_metrics=metrics)
    t_base = time.perf_counter() - t0
    table = M.with_early_indicators(pd.read_parquet(cfg.data.table), cfg.data.warehouse)
    t0 = time.perf_counter()
    mon = M.monitor(base, table, fraud=fraud, warehouse=cfg.data.warehouse)
    t_mon = time.perf_counter() - t0
    d = base.data
    print(f"scorecard {source}; grades: {d['grades']['source']}")
    print(
        f"development {d['development']['first_month']}..{d['development']['last_month']} "
        f"({d['development']['rows']:,} applications); baseline {t_base:.1f} s, monitor "
        f"{t_mon:.1f} s (pandas, fraud signals included)"
    )
    print(
        f"score PSI noise floor (max month vs rest of development): {d['score']['noise_floor']:.4f}"
    )
    checks = mon.checks
    fired = checks[checks.severity != "green"]
    first = fired.groupby(["kind", "subject"])["raised"].min()
    raised = mon.month_severity("raised")
    print("\nraised  severity  new alerts (kind subject severity) [excluding fraud_partner]")
    for m in mon.months:
        new = [
            f"{k}:{s}:{fired[(fired.kind == k) & (fired.subject == s)].severity.max()}"
            for (k, s), r in first.items()
            if r == m and k != "fraud_partner"
        ]
        print(f"{m}  {raised[m]:<8}  {', '.join(new) or '-'}")
    psi = mon.stability[mon.stability.variable == "score"].set_index("month")["psi"]
    print("\nscore PSI by month: " + ", ".join(f"{m} {v:.3f}" for m, v in psi.items()))
    perf = mon.performance.pivot(index="month", columns="outcome", values="ae").round(2)
    print("\nactual/expected by cohort month:\n" + perf.to_string())

    import dask.dataframe as dd
    from distributed import Client, LocalCluster

    tmp = ROOT / "build" / "bench_monitoring"
    tmp.mkdir(parents=True, exist_ok=True)
    table.to_parquet(tmp / "table.parquet", row_group_size=20_000)
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=":0") as cluster,
        Client(cluster),
    ):
        ddf = dd.read_parquet(str(tmp / "table.parquet"), split_row_groups=True)
        t0 = time.perf_counter()
        on_dask = M.monitor(base, ddf)
        t_dask = time.perf_counter() - t0
    plain = M.monitor(base, table)
    same = on_dask.counts.equals(plain.counts) and on_dask.checks.equals(plain.checks)
    print(
        f"\nDask ({ddf.npartitions} partitions, 2 workers): {t_dask:.1f} s; pandas without fraud "
        f"signals identical: {same}"
    )


if __name__ == "__main__":
    main()
