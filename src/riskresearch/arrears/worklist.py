"""The collections worklist: every live delinquent account at an as-of date with its scores,
expected loss and the next action of its band's ladder, ranked by expected recovery per unit
of effort.

Point in time: everything comes from events dated on or before ``as_of`` (payments, ends,
collection actions and their outcomes, fraud confirmations), as in the rest of
:mod:`riskresearch.arrears`. The release gives the two scores (``behavior.json``,
``collection_score.json``); the ladder's action effects, the loss given default and the
early-step cure rates are re-estimated from the warehouse as it was on ``as_of``.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from riskresearch.arrears._common import open_warehouse
from riskresearch.arrears.effects import PRIOR_ROWS, ActionEffects, action_effects, shrunk_rate
from riskresearch.arrears.ladder import BandLadders, band_ladders
from riskresearch.arrears.score import collection_score_data
from riskresearch.atomic import atomic_output
from riskresearch.behavior import behavior_snapshots
from riskresearch.errors import ConfigError, DataError
from riskresearch.features import as_date, connect, warehouse_as_of, warehouse_path
from riskresearch.manifest import ReleaseFolder
from riskresearch.monitoring.rings import ring_alerts
from riskresearch.recovery import age_band, contract_lgd, lgd_table
from riskresearch.scoring import Scorer
from riskresearch.tables import suffix_kind

#: Every step of the ladder (days past due of the oldest unpaid instalment) in order.
STEPS: tuple[int, ...] = (5, 15, 30, 45, 60, 90, 120)
#: Steps before the ladder population of :func:`action_effects` (one action each).
EARLY_STEPS = {5: "sms_reminder", 15: "call_reminder"}
WRITE_OFF_STEP = 120
#: Days after an action from which its outcome is taken as known (as in the behaviour score).
OUTCOME_LAG_DAYS = 30
#: Fewer written-off leases in a device category and age band: its LGD is the portfolio's.
MIN_LGD_DEFAULTS = 30

WORKLIST_COLUMNS = [
    "rank",
    "application_id",
    "customer_id",
    "partner_id",
    "device_category",
    "dpd",
    "oldest_unpaid_due",
    "instalments_overdue",
    "arrears",
    "exposure",
    "behavior_score",
    "behavior_pd",
    "behavior_snapshot",
    "collection_score",
    "collection_p_cure",
    "band",
    "next_action",
    "next_step_dpd",
    "action_due_on",
    "days_to_action",
    "p_cure_next",
    "expected_recovery",
    "effort",
    "recovery_per_effort",
    "p_no_cure",
    "lgd",
    "expected_loss",
    "ladder",
    "ladder_note",
    "ring_alert",
    "ring_alert_date",
    "route",
    "last_action",
    "last_action_date",
]


@dataclass
class Worklist:
    """A ranked collections worklist (:func:`build_worklist`).

    Attributes
    ----------
    accounts : pandas.DataFrame
        One row per live delinquent account, ranked (``rank`` 1 first); columns
        :data:`WORKLIST_COLUMNS` (see :func:`build_worklist`).
    ladders : BandLadders
        The ladder of each collection-score band and whether the data supports a difference.
    effects : ActionEffects
        The action effects the ladders and the expected recoveries come from.
    early : pandas.DataFrame
        Cure rate, part payment and cost of the 5 and 15 dpd steps per band.
    rings : pandas.DataFrame
        The fraud-ring alerts on active leases
        (:func:`riskresearch.monitoring.rings.ring_alerts`).
    as_of : datetime.date
    params : dict
        The release, warehouse, bands, level and ``min_customers`` used.
    """

    accounts: pd.DataFrame
    ladders: BandLadders
    effects: ActionEffects
    early: pd.DataFrame
    rings: pd.DataFrame
    as_of: dt.date
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def metrics(self) -> dict[str, Any]:
        """Headline numbers: accounts, arrears, expected loss, ring alerts, the ladder."""
        a = self.accounts
        return {
            "as_of": self.as_of.isoformat(),
            "accounts": len(a),
            "arrears": float(a["arrears"].sum()),
            "exposure": float(a["exposure"].sum()),
            "expected_loss": float(a["expected_loss"].sum()),
            "expected_recovery": float(a["expected_recovery"].sum()),
            "effort": float(a["effort"].sum()),
            "ring_alerts": int(a["ring_alert"].ne("").sum()),
            "band_specific": self.ladders.supported,
            "ladder": self.ladders.statement,
        }


def _accounts(con, as_of: dt.date) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Live delinquent accounts, their unpaid instalments and their last collection action."""
    params = {"as_of": as_of}
    live = """
        WITH live AS (
            SELECT application_id, customer_id, partner_id, started_on, device_category,
                   CAST(lease_term_months AS INTEGER) AS lease_term_months,
                   CAST(monthly_rent AS DOUBLE) AS monthly_rent
            FROM orders
            WHERE started_on <= $as_of AND (ended_on IS NULL OR ended_on > $as_of)
        ),
        inst AS (
            SELECT i.application_id, i.due_date, CAST(i.amount_due AS DOUBLE) AS amount_due,
                   coalesce(i.paid_date <= $as_of, false) AS paid
            FROM installments i JOIN live USING (application_id)
        ),
        acc AS (
            SELECT application_id,
                   min(due_date) FILTER (WHERE NOT paid AND due_date < $as_of) AS oldest,
                   count(*) FILTER (WHERE NOT paid AND due_date < $as_of) AS overdue,
                   coalesce(sum(amount_due) FILTER (WHERE NOT paid AND due_date < $as_of), 0)
                       AS arrears,
                   coalesce(sum(amount_due) FILTER (WHERE paid), 0) AS rent_paid
            FROM inst GROUP BY application_id
        )
        SELECT l.application_id, l.customer_id, l.partner_id, l.started_on,
               l.device_category, l.monthly_rent,
               a.oldest AS oldest_unpaid_due,
               CAST(date_diff('day', a.oldest, $as_of) AS INTEGER) AS dpd,
               CAST(a.overdue AS INTEGER) AS instalments_overdue,
               a.arrears,
               l.monthly_rent * l.lease_term_months - a.rent_paid AS exposure
        FROM live l JOIN acc a USING (application_id)
        WHERE a.oldest IS NOT NULL
        ORDER BY l.application_id
    """
    accounts = con.sql(live, params=params).df()
    con.register("worklist_accounts", accounts[["application_id"]])
    try:
        unpaid = con.sql(
            """
            SELECT i.application_id, i.due_date, CAST(i.amount_due AS DOUBLE) AS amount_due
            FROM installments i JOIN worklist_accounts USING (application_id)
            WHERE i.paid_date IS NULL OR i.paid_date > $as_of
            ORDER BY i.application_id, i.due_date
            """,
            params=params,
        ).df()
        actions = con.sql(
            """
            SELECT c.application_id, c.action_type, c.action_date, c.days_past_due
            FROM collection_actions c JOIN worklist_accounts USING (application_id)
            WHERE c.action_date <= $as_of
            ORDER BY c.application_id, c.action_date, c.days_past_due
            """,
            params=params,
        ).df()
    finally:
        con.unregister("worklist_accounts")
    for frame, cols in (
        (accounts, ("started_on", "oldest_unpaid_due")),
        (unpaid, ("due_date",)),
        (actions, ("action_date",)),
    ):
        for c in cols:
            frame[c] = pd.to_datetime(frame[c])
    return accounts, unpaid, actions


def _bands_of(scores, effects: ActionEffects) -> np.ndarray:
    cuts = effects.bands["score_to"].to_numpy(dtype=float)[:-1]
    return 1 + np.searchsorted(cuts, np.asarray(scores, dtype=float), side="right")


def _early_rates(con, as_of, data: pd.DataFrame, effects: ActionEffects) -> pd.DataFrame:
    """Cure rate (outcome ``paid``), part payment and cost of the 5 and 15 dpd actions per
    collection-score band, from actions whose outcome was known by ``as_of``."""
    known = pd.Timestamp(as_of) - pd.Timedelta(days=OUTCOME_LAG_DAYS)
    acts = con.sql(
        "SELECT application_id, action_type, action_date, days_past_due, outcome, "
        "amount_recovered, cost FROM collection_actions "
        "WHERE action_date <= $known AND days_past_due IN (5, 15)",
        params={"known": known.date()},
    ).df()
    acts["action_date"] = pd.to_datetime(acts["action_date"])
    ep = data[["application_id", "entered_on", "band"]].sort_values("entered_on")
    linked = pd.merge_asof(
        acts.sort_values("action_date"),
        ep,
        left_on="action_date",
        right_on="entered_on",
        by="application_id",
        direction="backward",
    ).dropna(subset=["band"])
    linked = linked.assign(
        paid=(linked["outcome"] == "paid").astype(float),
        partial=linked["amount_recovered"].where(linked["outcome"] != "paid", 0.0),
    )
    rows = []
    for step, action in EARLY_STEPS.items():
        at = linked[(linked["days_past_due"] == step) & (linked["action_type"] == action)]
        if at.empty:
            raise DataError(
                f"build_worklist: collection_actions holds no {action} at {step} dpd with a "
                f"known outcome by {as_of}; the ladder's first steps cannot be valued. Use a "
                "longer history or a later as-of date."
            )
        pooled_rate, pooled_part = at["paid"].mean(), at["partial"].mean()
        cost = float(at["cost"].mean())
        for b in effects.bands["band"].astype(int):
            g = at[at["band"] == b]
            rows.append(
                {
                    "band": b,
                    "dpd": step,
                    "action": action,
                    "rows": len(g),
                    "cure_rate": shrunk_rate(g["paid"].sum(), len(g), pooled_rate, PRIOR_ROWS),
                    "partial_cash": shrunk_rate(
                        g["partial"].sum(), len(g), pooled_part, PRIOR_ROWS
                    ),
                    "cost": cost,
                }
            )
    return pd.DataFrame(rows)


def _next_step(accounts: pd.DataFrame, actions: pd.DataFrame) -> np.ndarray:
    """The next ladder step of each account: the first step at or after its dpd not already
    taken in its current spell (device recovery once past 120 dpd)."""
    taken = actions.merge(accounts[["application_id", "oldest_unpaid_due"]], on="application_id")
    taken = taken[taken["action_date"] > taken["oldest_unpaid_due"]]
    done = set(zip(taken["application_id"], taken["days_past_due"], strict=True))
    out = np.full(len(accounts), WRITE_OFF_STEP, dtype=np.int64)
    for i, (app, dpd) in enumerate(
        zip(accounts["application_id"].to_numpy(), accounts["dpd"].to_numpy(), strict=True)
    ):
        for s in STEPS:
            if s > dpd or (s == dpd and (app, s) not in done):
                out[i] = s
                break
    return out


def _lgd_of(db, as_of, accounts: pd.DataFrame) -> np.ndarray:
    """LGD of each account's device category and its device age at a write-off at 120 dpd
    (the portfolio's where the group has fewer than :data:`MIN_LGD_DEFAULTS` write-offs)."""
    contracts = contract_lgd(db, as_of)
    if contracts.empty:
        raise DataError(
            f"build_worklist: no lease was written off by {as_of}, so the loss given default "
            "is unknown. Use a longer history or a later as-of date."
        )
    table = lgd_table(contracts)
    overall = float(table.iloc[-1]["lgd"])
    groups = table.iloc[:-1]
    groups = groups[groups["defaults"] >= MIN_LGD_DEFAULTS]
    lookup = {(r.device_category, r.age_band): float(r.lgd) for r in groups.itertuples()}
    write_off = accounts["oldest_unpaid_due"] + pd.Timedelta(days=WRITE_OFF_STEP)
    age = (write_off - accounts["started_on"]).dt.days / 30.4
    bands = age_band(np.floor(age))
    return np.array(
        [
            lookup.get((c, b), overall)
            for c, b in zip(accounts["device_category"], bands, strict=True)
        ]
    )


def _check_as_of(db, as_of, owner: str) -> dt.date:

    as_of = as_date(as_of, owner)
    path = warehouse_path(db, owner)
    con = connect(path)
    try:
        recorded = warehouse_as_of(con)
    finally:
        con.close()
    as_of = as_of or recorded
    if as_of is None:
        raise ConfigError(
            f"The warehouse '{path}' records no as-of date. Pass as_of (the last observed day) "
            f"to {owner}."
        )
    if recorded is not None and as_of > recorded:
        raise ConfigError(
            f"The 'as_of' parameter of {owner} ({as_of}) is after the warehouse's as-of date "
            f"({recorded}): later payments were never recorded. Pass {recorded} or earlier."
        )
    return as_of


def _open_release(release):

    needs = ("behavior", "arrears")
    if isinstance(release, ReleaseFolder):
        release.require(*needs, purpose="build the worklist")
        return release
    return ReleaseFolder.open(release, needs=needs, purpose="build the worklist")


def build_worklist(
    release,
    warehouse: str | os.PathLike,
    as_of=None,
    *,
    level: float = 0.95,
    min_customers: int = 4,
) -> Worklist:
    """The ranked collections worklist of a warehouse at an as-of date.

    Parameters
    ----------
    release : path-like or riskresearch.manifest.ReleaseFolder
        A release with the behaviour and arrears parts (``behavior.json``,
        ``collection_score.json``); it is verified before use. Its ``arrears.bands`` sets the
        number of collection-score bands.
    warehouse : path-like
        DuckDB warehouse with the raw tables (``orders``, ``installments``,
        ``collection_actions``, ``applications``, ``bureau_reports``, ``prior_leases``,
        ``fraud_cases``).
    as_of : datetime.date or str, optional
        The day the list is for (default: the warehouse's as-of date). Nothing dated after
        it is used.
    level : float, default 0.95
        Family-wise level of the intervals that decide band-specific ladders
        (:func:`band_ladders`).
    min_customers : int, default 4
        Cluster size of a ``new_cluster`` ring alert
        (:func:`riskresearch.monitoring.rings.ring_alerts`).

    Returns
    -------
    Worklist
        ``accounts`` has one row per live delinquent account (started by ``as_of``, not ended
        by it, with an instalment due before it and unpaid on it), ranked by
        ``recovery_per_effort`` (ties: higher expected recovery, then higher dpd):

        - ``dpd`` (days past due of the oldest unpaid instalment), ``oldest_unpaid_due``,
          ``instalments_overdue``, ``arrears`` (rent due and unpaid), ``exposure`` (contract
          value minus rent paid);
        - ``behavior_score`` / ``behavior_pd`` (release ``behavior.json`` on the lease's
          snapshot at the last month end on or before ``as_of``, ``behavior_snapshot``; NaN
          for a lease started after it), ``collection_score`` / ``collection_p_cure`` (release
          ``collection_score.json`` on the open episode as it entered arrears: probability of
          curing within 30 days of entry) and its ``band`` (1 = least likely to cure);
        - ``next_action`` at ``next_step_dpd`` of the band's ladder, due ``action_due_on`` (in
          ``days_to_action``), its cure probability ``p_cure_next``, ``expected_recovery``
          (cure probability x arrears due by the action day + the mean part payment; at 120
          dpd the device's expected net resale), ``effort`` (the action's mean cost in
          ``collection_actions``) and ``recovery_per_effort``;
        - ``p_no_cure`` (no cure at any remaining step of the band's ladder), ``lgd`` (of the
          device category and its age at a write-off at 120 dpd, from the leases written off
          by ``as_of``) and ``expected_loss`` = exposure x p_no_cure x lgd;
        - ``ladder`` (``common`` or ``band-specific``) and ``ladder_note`` (why);
        - ``ring_alert`` (kinds, ``;``-separated, empty without), ``ring_alert_date`` (first),
          ``route`` (``fraud_review`` with a ring alert, else ``collections``),
          ``last_action`` and ``last_action_date``.

    Raises
    ------
    DataError
        The release is tampered with or lacks the behaviour or arrears part, a table or column
        is missing, or the history is too short to value the ladder.
    ConfigError
        ``as_of`` is not a date, or after the warehouse's as-of date.

    Examples
    --------
    >>> wl = build_worklist("scorecards/consumer/1.0.0", "data/leasing.duckdb",
    ...                     "2025-12-31")                          # doctest: +SKIP
    >>> wl.ladders.statement                                       # doctest: +SKIP
    """

    owner = "build_worklist"
    as_of = _check_as_of(warehouse, as_of, owner)
    rf = _open_release(release)
    behavior = Scorer(rf.path("behavior.json"))
    collection = Scorer(rf.path("collection_score.json"))
    bands = int((rf.config.get("arrears") or {}).get("bands", 4))

    data = collection_score_data(warehouse, as_of)
    effects = action_effects(warehouse, collection, as_of, bands=bands, data=data)
    ladders = band_ladders(effects, level)
    data = data.assign(score=collection.score(data).to_numpy())
    data["band"] = _bands_of(data["score"], effects)
    with open_warehouse(warehouse, "worklist", as_of, owner) as (con, as_of):
        accounts, unpaid, actions = _accounts(con, as_of)
        early = _early_rates(con, as_of, data, effects)
    if accounts.empty:
        raise DataError(
            f"{owner}: no live lease of '{warehouse}' is past due on {as_of}; the worklist is "
            "empty. Check the as-of date."
        )

    # the open episode of each account: its collection score and band
    open_ep = data[data["cured_on"].isna() & data["written_off_on"].isna()]
    open_ep = open_ep.sort_values("entered_on").drop_duplicates("application_id", keep="last")
    open_ep = open_ep.assign(collection_p_cure=1.0 - collection.pd_(open_ep).to_numpy())
    acc = accounts.merge(
        open_ep[["application_id", "score", "collection_p_cure", "band"]].rename(
            columns={"score": "collection_score"}
        ),
        on="application_id",
        how="left",
    )
    if acc["band"].isna().any():  # cannot happen with one as-of for both: a data fault
        first = int(acc.loc[acc["band"].isna(), "application_id"].iloc[0])
        raise DataError(
            f"{owner}: the delinquent lease {first} has no open delinquency episode on {as_of}. "
            "Check its instalments' due and paid dates."
        )
    acc["band"] = acc["band"].astype(np.int64)

    # behaviour score on the last month-end snapshot on or before as_of
    snaps = behavior_snapshots(warehouse, as_of)
    snaps = snaps[snaps["application_id"].isin(acc["application_id"])]
    last = snaps.sort_values("snapshot").drop_duplicates("application_id", keep="last")
    if len(last):
        last = last.assign(
            behavior_score=behavior.score(last).to_numpy(),
            behavior_pd=behavior.pd_(last).to_numpy(),
        )
        acc = acc.merge(
            last[["application_id", "behavior_score", "behavior_pd", "snapshot"]].rename(
                columns={"snapshot": "behavior_snapshot"}
            ),
            on="application_id",
            how="left",
        )
    else:
        acc["behavior_score"] = acc["behavior_pd"] = np.nan
        acc["behavior_snapshot"] = pd.NaT

    # the next step of the ladder and what it is worth
    step = _next_step(acc, actions)
    ladder_of = ladders.ladders.set_index("band")
    action = np.array(
        [ladder_of.at[b, f"dpd_{s}"] for b, s in zip(acc["band"], step, strict=True)],
        dtype=object,
    )
    acc["next_step_dpd"] = step
    acc["next_action"] = action
    acc["action_due_on"] = acc["oldest_unpaid_due"] + pd.to_timedelta(step, unit="D")
    acc["days_to_action"] = np.maximum(step - acc["dpd"].to_numpy(), 0)
    rates = {
        (int(r.band), int(r.dpd), r.action): (float(r.cure_rate), float(r.partial_cash), r.cost)
        for r in pd.concat([effects.steps, early], ignore_index=True).itertuples(index=False)
    }
    econ = effects.bands.set_index("band")

    def cure(b: int, s: int) -> float:
        return rates[(b, s, ladder_of.at[b, f"dpd_{s}"])][0]

    due_by = unpaid.merge(acc[["application_id", "action_due_on"]], on="application_id")
    due_by = due_by[due_by["due_date"] < due_by["action_due_on"]]
    arrears_at = due_by.groupby("application_id")["amount_due"].sum()
    arrears_at = acc["application_id"].map(arrears_at).fillna(acc["arrears"]).to_numpy()
    p_next, recovery, effort, no_cure = [], [], [], []
    for b, s, a, owed in zip(acc["band"], step, action, arrears_at, strict=True):
        if s == WRITE_OFF_STEP:
            row = econ.loc[b]
            p_next.append(0.0)
            recovery.append(float(row["recovery_rate"] * row["resale"]))
            effort.append(float(row["recovery_cost"]))
            no_cure.append(1.0)
            continue
        rate, partial, cost = rates[(b, s, a)]
        p_next.append(rate)
        recovery.append(rate * owed + partial)
        effort.append(float(cost))
        no_cure.append(float(np.prod([1 - cure(b, t) for t in STEPS[:-1] if t >= s])))
    acc["p_cure_next"] = p_next
    acc["expected_recovery"] = recovery
    acc["effort"] = effort
    acc["recovery_per_effort"] = acc["expected_recovery"] / acc["effort"]
    acc["p_no_cure"] = no_cure
    acc["lgd"] = _lgd_of(warehouse, as_of, acc)
    acc["expected_loss"] = acc["exposure"].clip(lower=0) * acc["p_no_cure"] * acc["lgd"]
    acc["ladder"] = acc["band"].map(ladder_of["ladder"])
    acc["ladder_note"] = acc["band"].map(_ladder_notes(ladders))

    # ring alerts (all leases active on as_of; kept for the accounts on the list)
    rings = ring_alerts(warehouse, as_of, min_customers=min_customers)
    first = (
        rings.sort_values("alert_date")
        .groupby("application_id")
        .agg(
            ring_alert=("kind", lambda k: ";".join(sorted(set(k)))),
            ring_alert_date=("alert_date", "min"),
        )
    )
    acc["ring_alert"] = acc["application_id"].map(first["ring_alert"]).fillna("")
    acc["ring_alert_date"] = acc["application_id"].map(first["ring_alert_date"])
    acc["route"] = np.where(acc["ring_alert"] != "", "fraud_review", "collections")
    latest = actions.drop_duplicates("application_id", keep="last").set_index("application_id")
    acc["last_action"] = acc["application_id"].map(latest["action_type"]).fillna("")
    acc["last_action_date"] = acc["application_id"].map(latest["action_date"])

    acc = acc.sort_values(
        ["recovery_per_effort", "expected_recovery", "dpd", "application_id"],
        ascending=[False, False, False, True],
        kind="stable",
    ).reset_index(drop=True)
    acc.insert(0, "rank", np.arange(1, len(acc) + 1))
    acc = acc[WORKLIST_COLUMNS]
    acc.attrs["as_of"] = as_of
    return Worklist(
        accounts=acc,
        ladders=ladders,
        effects=effects,
        early=early,
        rings=rings,
        as_of=as_of,
        params={
            "release": str(rf.folder),
            "warehouse": str(warehouse),
            "bands": bands,
            "level": level,
            "min_customers": min_customers,
        },
    )


def _ladder_notes(ladders: BandLadders) -> dict[int, str]:
    """Per band: why its ladder is the common one or its own."""
    notes = {}
    tests = ladders.tests
    for band, g in tests.groupby("band"):
        own = g[g["chosen"] != g["common_action"]]
        if len(own):
            notes[int(band)] = "band-specific: " + "; ".join(
                f"{r.chosen} at {r.dpd} dpd ({r.advantage:+,.0f} per episode, interval "
                f"{r.low:+,.0f} .. {r.high:+,.0f})"
                for r in own.itertuples(index=False)
            )
        elif ladders.supported:
            notes[int(band)] = "common: no significant difference in this band"
        else:
            notes[int(band)] = "common: the data supports no difference between bands"
    return notes


def write_worklist(worklist: Worklist, out: str | os.PathLike) -> Path:
    """Write the ranked accounts to a CSV or Parquet file, atomically.

    Parameters
    ----------
    worklist : Worklist
    out : path-like
        ``.csv`` or ``.parquet`` file; written to a temporary file beside it and moved into
        place when complete.

    Returns
    -------
    pathlib.Path
    """

    if not isinstance(worklist, Worklist):
        raise ConfigError(
            "The 'worklist' parameter of write_worklist must be a Worklist from build_worklist. "
            f"Got {type(worklist).__name__} instead."
        )
    out = Path(out)
    kind = suffix_kind(out)
    if kind is None:
        raise ConfigError(
            f"The worklist file must end in .csv or .parquet. Got '{out.name}'. Give e.g. "
            "worklist.csv."
        )
    frame = worklist.accounts.copy()
    # Parquet keeps these as file metadata; a CSV has them in the ladder_note column
    frame.attrs = {"as_of": worklist.as_of.isoformat(), "ladder": worklist.ladders.statement}
    with atomic_output(out, "worklist") as tmp:
        if kind == "csv":
            frame.to_csv(tmp, index=False, float_format="%.10g", date_format="%Y-%m-%d")
        else:
            frame.to_parquet(tmp, index=False)
    return out


def _worked(order: pd.DataFrame, budget: float, value: str) -> tuple[int, float, float]:
    """Accounts, effort and ``value`` of a list worked down until the next account would take
    its effort over ``budget``."""
    spent = order["effort"].cumsum().to_numpy()
    k = int(np.searchsorted(spent, budget * (1 + 1e-12), side="right"))
    return k, float(spent[k - 1]) if k else 0.0, float(order[value].head(k).sum())


def effort_comparison(
    accounts: pd.DataFrame,
    sizes=(100, 250, 500, 1000),
    shares=(0.01, 0.05, 0.1, 0.25, 0.5),
    value: str = "expected_recovery",
) -> pd.DataFrame:
    """Expected recovery of the ranked list against a dpd-ordered list at the same effort.

    Parameters
    ----------
    accounts : pandas.DataFrame
        ``Worklist.accounts`` (ranked).
    sizes : sequence of int
        Team capacities in accounts: the top ``n`` of each list.
    shares : sequence of float
        Effort budgets as shares of the effort of working every account once.
    value : str, default "expected_recovery"
        The column summed as the recovery (e.g. a realised recovery added for a backtest).

    Returns
    -------
    pandas.DataFrame
        One row per capacity (``basis`` = ``"accounts"``, ``limit`` = n) and per budget
        (``basis`` = ``"effort"``, ``limit`` = the budget; each list is worked down until the
        next account would exceed it): ``ranked_accounts``, ``ranked_effort``,
        ``ranked_recovery``, the same three for the dpd-ordered list (oldest arrears first,
        the usual queue) and ``ratio`` = ranked / dpd-ordered recovery.
    """
    need = ["rank", "dpd", value, "effort", "application_id"]
    missing = [c for c in need if c not in accounts.columns]
    if missing:
        raise DataError(
            f"effort_comparison: the table lacks column(s) {', '.join(missing)}. Pass "
            "Worklist.accounts."
        )
    orders = {
        "ranked": accounts.sort_values("rank", kind="stable"),
        "dpd": accounts.sort_values(["dpd", "application_id"], ascending=[False, True]),
    }
    rows = []
    for n in sizes:
        n = min(int(n), len(accounts))
        row: dict[str, Any] = {"basis": "accounts", "limit": float(n)}
        for name, order in orders.items():
            top = order.head(n)
            row[f"{name}_accounts"] = n
            row[f"{name}_effort"] = float(top["effort"].sum())
            row[f"{name}_recovery"] = float(top[value].sum())
        rows.append(row)
    total = float(accounts["effort"].sum())
    for share in shares:
        row = {"basis": "effort", "limit": share * total}
        for name, order in orders.items():
            k, spent, rec = _worked(order, share * total, value)
            row[f"{name}_accounts"], row[f"{name}_effort"], row[f"{name}_recovery"] = k, spent, rec
        rows.append(row)
    out = pd.DataFrame(rows)
    out["ratio"] = out["ranked_recovery"] / out["dpd_recovery"].where(out["dpd_recovery"] > 0)
    return out
