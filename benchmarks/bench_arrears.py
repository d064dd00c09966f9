"""Post-lease analytics on the default warehouse: build times and headline numbers.

Prints, for ``data/leasing.duckdb`` (100k applications; build it with ``riskresearch data
build``):
- contract-month rows and the time to build them (and every other step of the analysis);
- the collection score's development and out-of-time AUC / KS;
- cure and re-default rates by the bucket entered;
- the recommended collection ladder against the historical baseline (observed and modelled):
  cures, recovered amount, cost, devices recovered, write-offs, net.

    python benchmarks/bench_arrears.py [--db data/leasing.duckdb] [--report build/portfolio.html]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_data_build import machine  # noqa: E402

from riskresearch import arrears  # noqa: E402


def timed(label: str, timings: dict, fn, *args, **kwargs):
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    timings[label] = time.perf_counter() - t0
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=str(ROOT / "data" / "leasing.duckdb"))
    parser.add_argument("--report", default=None, help="also write the portfolio report here")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    db = Path(args.db)
    if not db.is_file():
        sys.exit(f"{db} does not exist; build it with 'riskresearch data build'.")
    print(f"machine: {machine()}")
    print(f"warehouse: {db}\n")

    t: dict[str, float] = {}
    months = timed("contract months", t, arrears.contract_months, db)
    as_of = months.attrs["as_of"]
    timed("vintages", t, arrears.vintage_curves, months)
    roll = timed("roll rates", t, arrears.roll_rates, months)
    data = timed("episodes + score features", t, arrears.collection_score_data, db)
    episodes = data.copy()
    episodes.attrs["as_of"] = as_of
    cures = timed("cure rates", t, arrears.cure_rates, episodes)
    score = timed("collection score", t, arrears.develop_collection_score, data, seed=args.seed)
    effects = timed("action effects", t, arrears.action_effects, db, score, data=data)
    ladder = timed("recommended ladder", t, arrears.recommend_ladder, effects)
    cash_ladder = arrears.recommend_ladder(effects, objective="cash")
    comp = arrears.ladder_comparison(effects, ladder, name="recommended")
    lgd = timed("contract LGD", t, arrears.contract_lgd, db)
    timed("device returns", t, arrears.device_returns, db)

    print(
        f"as of {as_of}: {months['application_id'].nunique():,} leases, "
        f"{len(months):,} contract-month rows in {t['contract months']:.2f} s "
        f"({len(months) / t['contract months']:,.0f} rows/s)"
    )
    print(f"delinquency episodes: {len(data):,}; written-off leases: {len(lgd):,}\n")

    print("step timings (s)")
    for label, sec in t.items():
        print(f"  {label:<28} {sec:7.2f}")
    print(f"  {'total':<28} {sum(t.values()):7.2f}\n")

    m = score.metrics
    print(
        f"collection score (cure within {m['cure_within_days']} days of entering 1-29 dpd), "
        f"out of time from {m['oot_start']} ({m['oot_months']} months)"
    )
    print(f"  {'sample':<12} {'episodes':>9} {'cure rate':>10} {'AUC':>7} {'KS':>7}")
    for name, key in (("development", "train"), ("out of time", "oot")):
        print(
            f"  {name:<12} {m[f'{key}_n']:>9,} {m[f'{key}_cure_rate']:>10.3f} "
            f"{m[f'{key}_auc']:>7.3f} {m[f'{key}_ks']:>7.3f}"
        )
    print(f"  features: {', '.join(m['features'])}\n")

    print(
        f"cure rates (cure period {int(cures['cure_period_days'].iloc[0])} days; re-default = "
        "30+ dpd within 180 days of the cure)"
    )
    print(
        f"  {'bucket':<7} {'episodes':>9} {'cure':>7} {'write-off':>10} {'re-default':>11}"
        f" {'next month current':>19}"
    )
    rr = roll.set_index("from_status")
    for _, r in cures.iterrows():
        print(
            f"  {r['bucket']:<7} {r['episodes']:>9,} {r['cure_rate']:>7.3f} "
            f"{r['write_off_rate']:>10.3f} {r['redefault_rate']:>11.3f} "
            f"{rr.loc[r['bucket'], 'current']:>19.3f}"
        )
    print()

    print(
        f"collection ladder on {int(comp['episodes'].iloc[0]):,} rolling delinquencies that "
        "reached 30 dpd (ladder complete by the as-of date)"
    )
    cols = (
        "cures",
        "recovered",
        "cost",
        "devices_recovered",
        "write_offs",
        "written_off_balance",
        "net",
    )
    print(f"  {'ladder':<21}" + "".join(f"{c.replace('_', ' '):>20}" for c in cols))
    for _, r in comp.iterrows():
        print(f"  {r['ladder']:<21}" + "".join(f"{r[c]:>20,.0f}" for c in cols))
    show = ["band", "score_from", "score_to", "dpd_30", "dpd_60", "dpd_90", "episodes"]
    show += ["cure_rate", "recovered", "cost", "net", "gain"]
    for title, table in (
        ("objective 'net' = recovered - cost - written-off balance (the release's)", ladder),
        ("objective 'cash' = recovered - cost", cash_ladder),
    ):
        print(f"\nrecommended ladder by collection-score band (1 = least likely to cure), {title}")
        print(table[show].to_string(index=False, float_format=lambda v: f"{v:,.2f}"))
    cash_comp = arrears.ladder_comparison(effects, cash_ladder, name="recommended (cash)")
    print(f"  {'ladder':<21}" + "".join(f"{c.replace('_', ' '):>20}" for c in cols))
    for _, r in cash_comp.iloc[[-1]].iterrows():
        print(f"  {r['ladder']:<21}" + "".join(f"{r[c]:>20,.0f}" for c in cols))

    if args.report:
        t0 = time.perf_counter()
        an = arrears.analyse(db, seed=args.seed)
        t1 = time.perf_counter()
        arrears.portfolio_report(db, args.report, analysis=an)
        print(
            f"\nanalyse(): {t1 - t0:.1f} s; portfolio report {args.report}: "
            f"{time.perf_counter() - t1:.1f} s"
        )


if __name__ == "__main__":
    main()
