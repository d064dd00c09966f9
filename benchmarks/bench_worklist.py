"""The collections worklist on the default data: the ranked list against a dpd-ordered list at
the same effort, the fraud-ring alerts and the learned partner weights.

Prints, for a warehouse (default ``data/leasing.duckdb``, 100k applications) and a release
with the behaviour and arrears parts:

1. the worklist at the warehouse's as-of date (the release's scores): accounts, next actions,
   the band-ladder statement, build time; then the expected recovery (the worklist's own
   estimate) of the ranked list and of the dpd-ordered list (oldest arrears first) for the
   same number of accounts and for the same effort budget;
2. a backtest: the two scores developed on the warehouse as it was on ``--backtest`` (a
   point-in-time release sealed in a temporary folder), the worklist of that day, and what the
   accounts actually paid between that day and 10 days after their next action's due day
   (instalments paid, part payments, resale of recovered devices), for both orders at the same
   number of accounts and the same effort;
3. ring alerts on active leases against the simulator's truth (evaluation only) for 3, 4 and 5
   customers per cluster;
4. the partner weights learned from outcomes against the hand-set ones.

    python benchmarks/bench_worklist.py --db data/leasing.duckdb \\
        --release scorecards/consumer/dev --table data/modeling_table.parquet
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import warnings
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_data_build import machine  # noqa: E402

from riskresearch import arrears  # noqa: E402
from riskresearch.features import connect  # noqa: E402

# the backtest's collection score meets partners that started after its development months
warnings.filterwarnings("ignore", message="Feature 'partner' has categories never seen")
pd.set_option("display.width", 200)
pd.set_option("display.max_columns", 20)


def realised(db: Path, accounts: pd.DataFrame, as_of, days_after: int = 10) -> pd.Series:
    """What each account actually paid from the day after ``as_of`` to ``days_after`` days
    after its next action's due day (evaluation only: events after the as-of date)."""
    con = connect(db)
    try:
        con.register("acc", accounts[["application_id", "action_due_on"]])
        paid = con.execute(
            """
            SELECT a.application_id, coalesce(sum(i.amount_due), 0) AS paid
            FROM acc a JOIN installments i USING (application_id)
            WHERE i.due_date <= CAST(a.action_due_on AS DATE)
              AND (i.paid_date > $as_of)
              AND i.paid_date <= CAST(a.action_due_on AS DATE) + CAST($days AS INTEGER)
            GROUP BY a.application_id
            """,
            {"as_of": as_of, "days": days_after},
        ).df()
        other = con.execute(
            """
            SELECT a.application_id,
                   coalesce(sum(CASE WHEN c.outcome = 'partial' THEN c.amount_recovered END), 0)
                   + coalesce(sum(c.resale_value), 0) AS other
            FROM acc a JOIN collection_actions c USING (application_id)
            WHERE c.action_date > $as_of
              AND c.action_date <= CAST(a.action_due_on AS DATE) + CAST($days AS INTEGER)
            GROUP BY a.application_id
            """,
            {"as_of": as_of, "days": days_after},
        ).df()
    finally:
        con.close()
    out = accounts["application_id"].map(paid.set_index("application_id")["paid"]).fillna(0.0)
    return out + accounts["application_id"].map(other.set_index("application_id")["other"]).fillna(
        0.0
    )


def point_in_time_release(db: Path, table: Path, as_of: str, folder: Path) -> Path:
    """Behaviour and collection scores developed on the warehouse as of ``as_of``, sealed."""
    from riskresearch.behavior import behavior_snapshots, develop_behavior, write_behavior
    from riskresearch.config import config_from_dict
    from riskresearch.release import seal

    folder.mkdir(parents=True)
    score = arrears.develop_collection_score(db, as_of=as_of, seed=0)
    score.model.to_json(folder / "collection_score.json")
    write_behavior(develop_behavior(behavior_snapshots(db, as_of), seed=0), folder)
    cfg = config_from_dict({"model": "backtest", "data": {"table": str(table), "target": "bad"}})
    seal(folder, cfg, version=f"as-of-{as_of}")
    return folder


def show(title: str, table: pd.DataFrame) -> None:
    print(title)
    print(
        table.to_string(
            index=False, float_format=lambda v: f"{v:,.1f}" if abs(v) >= 10 else f"{v:.3f}"
        )
    )
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=str(ROOT / "data" / "leasing.duckdb"))
    parser.add_argument("--release", default=str(ROOT / "scorecards" / "consumer" / "dev"))
    parser.add_argument("--table", default=str(ROOT / "data" / "modeling_table.parquet"))
    parser.add_argument("--backtest", default="2025-09-30", help="as-of date of the backtest")
    args = parser.parse_args()
    db = Path(args.db)
    if not db.is_file():
        sys.exit(f"{db} does not exist; build it with 'riskresearch data build'.")
    print(f"machine: {machine()}")
    print(f"warehouse: {db}\nrelease: {args.release}\n")

    # 1. today's worklist, expected recovery
    t0 = time.perf_counter()
    wl = arrears.build_worklist(args.release, db)
    seconds = time.perf_counter() - t0
    a = wl.accounts
    m = wl.metrics
    print(
        f"worklist as of {wl.as_of}: {m['accounts']:,} live delinquent accounts in "
        f"{seconds:.1f} s; arrears {m['arrears']:,.0f}, expected loss {m['expected_loss']:,.0f}, "
        f"{m['ring_alerts']} with a ring alert"
    )
    print(
        "next actions: "
        + ", ".join(f"{k} {v:,}" for k, v in a["next_action"].value_counts().items())
    )
    print(f"ladder: {wl.ladders.statement}\n")
    show(
        "expected recovery (the worklist's estimate), ranked vs dpd-ordered",
        arrears.effort_comparison(a),
    )

    # 2. backtest on a point-in-time release
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        rel = point_in_time_release(db, Path(args.table), args.backtest, Path(tmp) / "rel")
        back = arrears.build_worklist(rel, db, args.backtest)
        seconds = time.perf_counter() - t0
    b = back.accounts.copy()
    b["realised"] = realised(db, b, back.as_of).to_numpy()
    print(
        f"backtest as of {back.as_of}: {len(b):,} accounts (scores developed on that day's "
        f"data, {seconds:.1f} s); expected recovery {b['expected_recovery'].sum():,.0f}, "
        f"realised up to 10 days after each next action {b['realised'].sum():,.0f}"
    )
    print(f"ladder: {back.ladders.statement}")
    by_step = b.groupby("next_step_dpd")[["expected_recovery", "realised"]].sum()
    by_step["accounts"] = b.groupby("next_step_dpd").size()
    show("\nbacktest by next step: expected vs realised recovery", by_step.reset_index())
    show(
        "backtest: realised recovery, ranked vs dpd-ordered",
        arrears.effort_comparison(b, value="realised"),
    )
    show(
        "backtest: expected recovery, ranked vs dpd-ordered",
        arrears.effort_comparison(b),
    )

    # 3. ring alerts against the simulator's truth (evaluation only)
    from riskresearch.monitoring import ring_alerts

    con = connect(db)
    try:
        truth = (
            con.execute("SELECT application_id, fraud_type FROM oracle_applications")
            .df()
            .set_index("application_id")["fraud_type"]
        )
        active_rings = con.execute(
            "SELECT count(*) FROM orders o JOIN oracle_applications r USING (application_id) "
            "WHERE o.ended_on IS NULL AND r.fraud_type = 'ring'"
        ).fetchall()[0][0]
    finally:
        con.close()
    rows = []
    for k in (3, 4, 5):
        t0 = time.perf_counter()
        r = ring_alerts(db, min_customers=k)
        leases = r.drop_duplicates("application_id")
        ring = leases["application_id"].map(truth).eq("ring")
        first = r.groupby("application_id")["alert_date"].min()
        rows.append(
            {
                "min_customers": k,
                "alerts": len(r),
                "leases": len(leases),
                "ring_leases": int(ring.sum()),
                "precision": float(ring.mean()),
                "recall_of_active_ring_leases": int(ring.sum()) / active_rings,
                "confirmed_ring_alerts": int((r["kind"] == "confirmed_ring").sum()),
                "median_days_approval_to_alert": float(
                    (
                        first
                        - r.drop_duplicates("application_id")
                        .set_index("application_id")["approved_at"]
                        .dt.normalize()
                    ).dt.days.median()
                ),
                "seconds": time.perf_counter() - t0,
            }
        )
    show(f"ring alerts on active leases ({active_rings} active ring leases)", pd.DataFrame(rows))

    # 4. partner weights
    from riskresearch.partners import analyse

    an = analyse(db, args.table)
    print(an.weights.reason)
    show("partner weights", an.weights.table)
    q = an.qualification
    print(pd.crosstab(q["decision"], q["decision_learned"]).to_string())
    worse = an.service_trend[an.service_trend["worse"] != ""]
    print(
        f"\nservice got worse: {len(worse)} partners ({', '.join(map(str, worse['partner_id']))})"
    )


if __name__ == "__main__":
    main()
