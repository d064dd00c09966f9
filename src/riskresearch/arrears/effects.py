"""The historical collection ladder: its steps and the estimated effect of each action by
collection-score band."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass

import numpy as np
import pandas as pd

from riskresearch.arrears._common import open_warehouse, positive_int, run_query
from riskresearch.arrears.score import CollectionScore, collection_score_data
from riskresearch.arrears.tracking import EPISODE_COLUMNS
from riskresearch.errors import ConfigError, DataError
from riskresearch.scoring import Scorer

#: The ladder: day (dpd) of each step and the actions the policy may choose there.
LADDER_CHOICES: dict[int, tuple[str, ...]] = {
    30: ("call_reminder", "negotiation"),
    60: ("call_reminder", "negotiation"),
    90: ("call_reminder", "legal_notice"),
}
LADDER_FIXED = {5: "sms_reminder", 15: "call_reminder", 45: "call_reminder", 120: "device_recovery"}
LADDER_STEPS = (30, 45, 60, 90)
LADDER_DAYS = 125  # an episode's ladder is complete 125 days after it reached 30 dpd
PRIOR_ROWS = 20.0  # pseudo-rows shrinking a band's rate toward the rate of all bands


@dataclass
class ActionEffects:
    """Estimated effects of the ladder's actions by collection-score band.

    Built by :func:`action_effects` from the historical ladder, whose stronger action at 30, 60
    and 90 dpd was drawn at random. The *ladder population* is the rolling delinquencies (not
    isolated late payments) that reached 30 dpd and whose ladder is complete by ``as_of``.

    Attributes
    ----------
    steps : pandas.DataFrame
        One row per band, step (30, 45, 60, 90 dpd) and action: ``rows``, ``cures`` (outcome
        ``paid``), ``observed_rate``, ``cure_rate`` (shrunk toward all bands by 20 pseudo-rows),
        ``partial_cash`` (mean payment per action that did not cure, e.g. a payment plan's
        instalment, counted over all rows of the action),
        ``partial_observed`` and ``partial_sd`` (mean and standard deviation of that payment
        over the band's own rows, unshrunk; they give the intervals of
        :func:`~riskresearch.arrears.band_ladders`),
        ``cash_at_cure`` (mean arrears paid at a cure) and ``cost`` per action.
    bands : pandas.DataFrame
        ``band`` (1 = least likely to cure), ``score_from``, ``score_to``, ``episodes`` of the
        ladder population, ``isolated_30`` / ``isolated_45`` (isolated late payments that got
        the 30/45-dpd action), and the write-off parameters ``recovery_rate``, ``resale``
        (mean net resale of a recovered device), ``written_off_balance`` (mean outstanding
        rent at write-off) and ``recovery_cost``.
    observed : pandas.DataFrame
        What the historical ladder actually achieved on the same episodes, per band.
    baseline_shares : dict
        Share of the stronger action at 30, 60 and 90 dpd under the historical ladder.
    """

    steps: pd.DataFrame
    bands: pd.DataFrame
    observed: pd.DataFrame
    baseline_shares: dict[int, float]
    as_of: dt.date


def shrunk_rate(num, den, pooled, prior=PRIOR_ROWS):
    return (num + prior * pooled) / (den + prior)


def action_effects(
    db: str | os.PathLike,
    score: CollectionScore,
    as_of=None,
    bands: int = 4,
    data: pd.DataFrame | None = None,
) -> ActionEffects:
    """Estimate each ladder action's cure rate and recovery by collection-score band.

    Parameters
    ----------
    db : path-like
        DuckDB warehouse with ``collection_actions``.
    score : CollectionScore or riskresearch.scoring.Scorer
        The collection score; its score at the episode's entry day sets the band. A
        :class:`~riskresearch.scoring.Scorer` of a release's ``collection_score.json`` scores
        the same.
    as_of : datetime.date or str, optional
        Last observed day.
    bands : int, default 4
        Number of score bands (quantiles of the score in the ladder population).
    data : pandas.DataFrame, optional
        Output of :func:`collection_score_data` (recomputed when missing).

    Returns
    -------
    ActionEffects

    Notes
    -----
    The historical ladder gave isolated late payments (the customer kept paying the following
    instalments) a call at 30 and 45 dpd without the random draw, so they are kept out of the
    estimates (:func:`delinquency_episodes`, ``isolated``); counting them would credit the call
    with the cures of customers who pay anyway. A cure's value and the write-off economics are
    taken from the same band.
    """
    owner = "action_effects"
    bands = positive_int(bands, "bands", owner)
    if not isinstance(score, CollectionScore | Scorer):
        raise ConfigError(
            f"The 'score' parameter of {owner} must be a CollectionScore from "
            f"develop_collection_score or a Scorer of collection_score.json. Got "
            f"{type(score).__name__} instead."
        )
    with open_warehouse(db, "recovery", as_of, owner) as (con, as_of):
        actions = con.sql(
            "SELECT application_id, action_type, action_date, days_past_due, outcome, "
            "amount_recovered, coalesce(resale_value, 0) AS resale_value, cost "
            "FROM collection_actions WHERE action_date <= $as_of AND days_past_due >= 30",
            params={"as_of": as_of},
        ).df()
        lgd = run_query(con, "arrears_lgd", as_of)
    if data is None:
        data = collection_score_data(db, as_of)
    as_of_ts = pd.Timestamp(as_of)
    ep = data[list(EPISODE_COLUMNS)].copy()
    ep["score"] = np.asarray(score.score(data), dtype=float)
    done = ep["reached_30"].notna() & (
        ep["reached_30"] + pd.Timedelta(days=LADDER_DAYS) <= as_of_ts
    )
    rolling_done = done & ~ep["isolated"].astype(bool)
    if rolling_done.sum() < 2 * bands:
        raise DataError(
            f"{owner}: only {int(rolling_done.sum())} rolling delinquencies reached 30 dpd "
            f"with a complete ladder by {as_of}; too few for {bands} bands. Use more data or "
            "fewer bands."
        )
    cuts = np.unique(np.quantile(ep.loc[rolling_done, "score"], np.arange(1, bands) / bands))
    ep["band"] = 1 + np.searchsorted(cuts, ep["score"].to_numpy(), side="right")
    pop = ep[rolling_done]
    actions["action_date"] = pd.to_datetime(actions["action_date"])
    linked = actions.merge(
        ep[done][
            [
                "application_id",
                "first_due",
                "cured_on",
                "written_off_on",
                "isolated",
                "band",
                "episode_no",
            ]
        ],
        on="application_id",
    )
    end = linked["cured_on"].fillna(linked["written_off_on"]).fillna(as_of_ts)
    linked = linked[(linked["action_date"] > linked["first_due"]) & (linked["action_date"] <= end)]
    rolling = linked[~linked["isolated"].astype(bool)]
    ladder = rolling[rolling["days_past_due"].isin(LADDER_STEPS)]
    costs = actions.groupby("action_type")["cost"].mean()
    needed = {a for c in LADDER_CHOICES.values() for a in c} | {"device_recovery"}
    absent = sorted(needed - set(costs.index))
    if absent:
        raise DataError(
            f"{owner}: collection_actions holds no {', '.join(absent)} row; the ladder's "
            "effects cannot be estimated without every action of the historical ladder."
        )
    ladder = ladder.assign(
        paid=(ladder["outcome"] == "paid").astype(float),
        cash_paid=ladder["amount_recovered"].where(ladder["outcome"] == "paid", 0.0),
        cash_other=ladder["amount_recovered"].where(ladder["outcome"] != "paid", 0.0),
    )
    grp = ladder.groupby(["band", "days_past_due", "action_type"]).agg(
        rows=("paid", "size"),
        cures=("paid", "sum"),
        partial=("cash_other", "sum"),
        partial_sd=("cash_other", lambda x: float(np.std(x))),
    )
    pooled = ladder.groupby(["days_past_due", "action_type"]).agg(
        rows=("paid", "size"), cures=("paid", "sum"), partial=("cash_other", "sum")
    )
    at_cure = ladder[ladder["paid"] == 1].groupby(["band", "days_past_due"])["cash_paid"].mean()
    at_cure_all = ladder[ladder["paid"] == 1].groupby("days_past_due")["cash_paid"].mean()
    rows = []
    band_ids = list(range(1, len(cuts) + 2))
    for b in band_ids:
        for step in LADDER_STEPS:
            for action in LADDER_CHOICES.get(step, ("call_reminder",)):
                n, k, part, part_sd = (
                    grp.loc[(b, step, action)].tolist()
                    if (b, step, action) in grp.index
                    else (0, 0.0, 0.0, 0.0)
                )
                pn, pk, pp = (
                    pooled.loc[(step, action)].tolist()
                    if (step, action) in pooled.index
                    else (0, 0.0, 0.0)
                )
                if pn == 0:
                    raise DataError(
                        f"{owner}: no {action} at {step} dpd in the ladder population; its "
                        "effect cannot be estimated. Use a longer history."
                    )
                cure_all = at_cure_all.get(step, 0.0)
                rows.append(
                    {
                        "band": b,
                        "dpd": step,
                        "action": action,
                        "rows": int(n),
                        "cures": int(k),
                        "observed_rate": k / n if n else np.nan,
                        "cure_rate": shrunk_rate(k, n, pk / pn),
                        "partial_cash": shrunk_rate(part, n, pp / pn),
                        "partial_observed": part / n if n else np.nan,
                        "partial_sd": part_sd if n else np.nan,
                        "cash_at_cure": float(at_cure.get((b, step), cure_all)),
                        "cost": float(costs[action]),
                    }
                )
    steps = pd.DataFrame(rows)

    # write-off economics and volumes per band
    wo = pop[pop["written_off_on"].notna()].merge(
        lgd[["application_id", "recovered", "resale_value", "ead"]], on="application_id"
    )
    all_rec = wo["recovered"].mean() if len(wo) else 0.0
    all_resale = wo.loc[wo["recovered"], "resale_value"].mean() if wo["recovered"].any() else 0.0
    all_ead = wo["ead"].mean() if len(wo) else 0.0
    iso = linked[linked["isolated"].astype(bool)]
    band_rows = []
    edges = np.r_[-np.inf, cuts, np.inf]
    for i, b in enumerate(band_ids):
        w = wo[wo["band"] == b]
        rec = w["recovered"]
        band_rows.append(
            {
                "band": b,
                "score_from": float(edges[i]),
                "score_to": float(edges[i + 1]),
                "episodes": int((pop["band"] == b).sum()),
                "isolated_30": int(((iso["band"] == b) & (iso["days_past_due"] == 30)).sum()),
                "isolated_45": int(((iso["band"] == b) & (iso["days_past_due"] == 45)).sum()),
                "write_offs": len(w),
                "recovery_rate": shrunk_rate(rec.sum(), len(w), all_rec),
                "resale": float(w.loc[rec, "resale_value"].mean()) if rec.any() else all_resale,
                "written_off_balance": float(w["ead"].mean()) if len(w) else all_ead,
                "recovery_cost": float(costs["device_recovery"]),
            }
        )
    band_table = pd.DataFrame(band_rows)

    # what the historical ladder achieved on the same episodes
    obs_rows = []
    for b in band_ids:
        p = pop[pop["band"] == b]
        a = rolling[rolling["band"] == b]
        w = wo[wo["band"] == b]
        i = iso[(iso["band"] == b) & iso["days_past_due"].isin([30, 45])]
        obs_rows.append(
            {
                "band": b,
                "episodes": len(p),
                "cures": int(p["cured_on"].notna().sum()),
                "cash": float(a["amount_recovered"].sum()),
                "resale": float(w["resale_value"].sum()),
                "cost": float(a["cost"].sum() + i["cost"].sum()),
                "devices_recovered": int(w["recovered"].sum()),
                "write_offs": len(w),
                "written_off_balance": float(w["ead"].sum()),
            }
        )
    observed = pd.DataFrame(obs_rows)
    shares = {}
    for step, (_, treated) in LADDER_CHOICES.items():
        at = ladder[ladder["days_past_due"] == step]
        shares[step] = float((at["action_type"] == treated).mean()) if len(at) else 0.5
    return ActionEffects(
        steps=steps, bands=band_table, observed=observed, baseline_shares=shares, as_of=as_of
    )
