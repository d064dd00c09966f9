"""The whole post-lease analysis of one warehouse (:func:`analyse`) and its release artifacts
(:func:`write_arrears`)."""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from riskresearch.arrears._common import BAD_WINDOW_MONTHS, STATUSES, positive_int
from riskresearch.arrears.effects import ActionEffects, action_effects
from riskresearch.arrears.ladder import (
    BandLadders,
    band_ladders,
    ladder_comparison,
    recommend_ladder,
)
from riskresearch.arrears.rolls import bucket_outcomes, cure_rates, roll_rates
from riskresearch.arrears.score import (
    CollectionScore,
    collection_score_data,
    develop_collection_score,
)
from riskresearch.arrears.tracking import EPISODE_COLUMNS, contract_months, last_months
from riskresearch.arrears.vintages import vintage_curves
from riskresearch.errors import ConfigError
from riskresearch.recovery import (
    contract_lgd,
    device_recovery,
    device_returns,
    lgd_table,
)
from riskresearch.textfmt import json_number


@dataclass
class ArrearsAnalysis:
    """Every table of the post-lease analysis of one warehouse and as-of date (:func:`analyse`).

    Attributes
    ----------
    as_of : datetime.date
    source : str
        The warehouse path.
    params : dict
        ``cure_period_days``, ``cure_within_days``, ``oot_months``, ``bands``, ``seed``.
    months, vintages, roll_rates, roll_rates_amount, episodes, cures, buckets : DataFrame
        Outputs of :func:`contract_months`, :func:`vintage_curves`, :func:`roll_rates` (by
        count and by amount), :func:`delinquency_episodes`, :func:`cure_rates` and
        :func:`bucket_outcomes`.
    score : CollectionScore
    effects : ActionEffects
    ladder, comparison : DataFrame
        :func:`recommend_ladder` and :func:`ladder_comparison` of it.
    band_ladders : BandLadders
        :func:`band_ladders`: band-specific ladders only where the data supports a difference,
        and the sentence saying whether it does.
    returns, recovery, lgd_contracts, lgd, lgd_by_term : DataFrame
        :func:`device_returns`, :func:`device_recovery`, :func:`contract_lgd`,
        :func:`lgd_table` by device category and age, and by category and lease term.
    metrics : dict
        Headline numbers, ready for ``json.dumps``.
    """

    as_of: dt.date
    source: str
    params: dict[str, Any]
    months: pd.DataFrame
    vintages: pd.DataFrame
    roll_rates: pd.DataFrame
    roll_rates_amount: pd.DataFrame
    episodes: pd.DataFrame
    cures: pd.DataFrame
    buckets: pd.DataFrame
    score: CollectionScore
    effects: ActionEffects
    ladder: pd.DataFrame
    comparison: pd.DataFrame
    returns: pd.DataFrame
    recovery: pd.DataFrame
    lgd_contracts: pd.DataFrame
    lgd: pd.DataFrame
    lgd_by_term: pd.DataFrame
    metrics: dict[str, Any]
    band_ladders: BandLadders | None = None


def analyse(
    db: str | os.PathLike,
    as_of=None,
    *,
    cure_period_days: int = 90,
    cure_within_days: int = 30,
    oot_months: int = 4,
    bands: int = 4,
    seed: int = 0,
) -> ArrearsAnalysis:
    """Run the whole post-lease analysis of a warehouse.

    Parameters
    ----------
    db : path-like
        DuckDB warehouse.
    as_of : datetime.date or str, optional
        Last observed day; default the ``warehouse_meta`` date.
    cure_period_days : int, default 90
        Cure period of :func:`cure_rates`.
    cure_within_days : int, default 30
        Cure window of the collection score's target.
    oot_months : int, default 4
        Out-of-time entry months of the collection score.
    bands : int, default 4
        Collection-score bands of the ladder.
    seed : int, default 0
        Recorded with the collection score.

    Returns
    -------
    ArrearsAnalysis
    """
    owner = "analyse"
    params = {
        "cure_period_days": positive_int(cure_period_days, "cure_period_days", owner),
        "cure_within_days": positive_int(cure_within_days, "cure_within_days", owner),
        "oot_months": positive_int(oot_months, "oot_months", owner),
        "bands": positive_int(bands, "bands", owner),
        "seed": seed,
    }
    months = contract_months(db, as_of)
    as_of = months.attrs["as_of"]
    vintages = vintage_curves(months)
    roll = roll_rates(months)
    roll_amount = roll_rates(months, by="amount")
    data = collection_score_data(db, as_of, cure_within_days)
    episodes = data[
        [
            c
            for c in data.columns
            if c in EPISODE_COLUMNS or c in ("first_installment", "installments", "amount")
        ]
    ].copy()
    episodes.attrs["as_of"] = as_of
    cures = cure_rates(episodes, cure_period_days=cure_period_days)
    buckets = bucket_outcomes(roll, cures)
    score = develop_collection_score(data, oot_months=oot_months, seed=seed)
    effects = action_effects(db, score, as_of, bands=bands, data=data)
    ladder = recommend_ladder(effects)
    comparison = ladder_comparison(effects, ladder, name="recommended")
    supported = band_ladders(effects)
    returns = device_returns(db, as_of)
    lgd_contracts = contract_lgd(db, as_of)
    recovery = device_recovery(lgd_contracts)
    lgd = lgd_table(lgd_contracts)
    lgd_by_term = lgd_table(lgd_contracts, by=("device_category", "lease_term_months"))

    last = last_months(months)
    mature6 = vintages[(vintages["mob"] == BAD_WINDOW_MONTHS)]
    rr = roll.set_index("from_status")
    comp = comparison.set_index("ladder")
    total_ret = returns.set_index("device_category").loc["all"]
    total_rec = recovery.iloc[-1]
    total_lgd = lgd.iloc[-1]

    def totals(row) -> dict[str, float | None]:
        keys = ("cures", "recovered", "cost", "devices_recovered", "write_offs", "net")
        return {k: json_number(row[k]) for k in keys}

    metrics_out: dict[str, Any] = {
        "as_of": as_of.isoformat(),
        "params": params,
        "leases": int(months["application_id"].nunique()),
        "contract_months": len(months),
        "status_at_as_of": {s: int((last["status"] == s).sum()) for s in STATUSES},
        "ever_30_mob6": json_number(mature6["ever_30"].mean()),
        "ever_60_mob6": json_number(mature6["ever_60"].mean()),
        "ever_90_mob6": json_number(mature6["ever_90"].mean()),
        "roll_rates": {
            f"{a}->{b}": json_number(rr.loc[a, b])
            for a, b in (
                ("current", "1-29"),
                ("1-29", "30-59"),
                ("30-59", "60-89"),
                ("60-89", "90+"),
                ("90+", "written_off"),
            )
        },
        "cure_rates": {r["bucket"]: json_number(r["cure_rate"]) for _, r in cures.iterrows()},
        "redefault_rates": {
            r["bucket"]: json_number(r["redefault_rate"]) for _, r in cures.iterrows()
        },
        "collection_score": {
            k: (json_number(v) if isinstance(v, float) else v) for k, v in score.metrics.items()
        },
        "ladder": {
            "episodes": int(comp.loc["recommended", "episodes"]),
            "baseline_observed": totals(comp.loc["baseline (observed)"]),
            "baseline_model": totals(comp.loc["baseline (model)"]),
            "recommended": totals(comp.loc["recommended"]),
            "band_specific": supported.supported,
            "band_ladders": supported.statement,
        },
        "devices": {
            "return_rate": json_number(total_ret["return_rate"]),
            "late_return_rate": json_number(total_ret["late_return_rate"]),
            "buyout_rate": json_number(total_ret["buyout_rate"]),
            "recovery_rate": json_number(total_rec["recovery_rate"]),
            "mean_resale": json_number(total_rec["mean_resale"]),
        },
        "lgd": {
            "defaults": int(total_lgd["defaults"]),
            "lgd": json_number(total_lgd["lgd"]),
            "mean_lgd": json_number(total_lgd["mean_lgd"]),
            "loss_to_device_cost": json_number(total_lgd["loss_to_device_cost"]),
        },
    }
    return ArrearsAnalysis(
        as_of=as_of,
        source=str(db),
        params=params,
        months=months,
        vintages=vintages,
        roll_rates=roll,
        roll_rates_amount=roll_amount,
        episodes=episodes,
        cures=cures,
        buckets=buckets,
        score=score,
        effects=effects,
        ladder=ladder,
        comparison=comparison,
        returns=returns,
        recovery=recovery,
        lgd_contracts=lgd_contracts,
        lgd=lgd,
        lgd_by_term=lgd_by_term,
        metrics=metrics_out,
        band_ladders=supported,
    )


def _analysis(source, owner: str, **kwargs) -> ArrearsAnalysis:
    if isinstance(source, ArrearsAnalysis):
        return source
    if isinstance(source, str | os.PathLike):
        return analyse(source, **kwargs)
    raise ConfigError(
        f"{owner} expects an ArrearsAnalysis (from analyse) or a warehouse path. "
        f"Got {type(source).__name__} instead."
    )


def write_arrears(out_dir: str | os.PathLike, analysis, **kwargs) -> list[Path]:
    """Write the release artifacts of the post-lease analysis (text files only).

    Parameters
    ----------
    out_dir : path-like
        Folder to write into (created if missing).
    analysis : ArrearsAnalysis or path-like
        The analysis, or a warehouse path to analyse (with ``**kwargs`` passed to
        :func:`analyse`).

    Returns
    -------
    list of pathlib.Path
        The files written, sorted: ``vintages.csv``, ``roll_rates.csv`` (by count and
        amount), ``cure_rates.csv``, ``bucket_outcomes.csv``, ``collection_score.json``
        (the scorecard's JSON), ``collection_score_points.csv``, ``collection_score_bands.csv``,
        ``action_effects.csv``, ``ladder_bands.csv``, ``ladder_policy.csv`` (the recommended
        ladder), ``ladder_comparison.csv``, ``ladder_band_tests.csv`` (whether the data
        supports band-specific ladders, :func:`band_ladders`), ``device_returns.csv``,
        ``device_recovery.csv``, ``lgd.csv``, ``lgd_by_term.csv``, ``lgd_contracts.csv`` and
        ``arrears_metrics.json``.
    """
    an = _analysis(analysis, "write_arrears", **kwargs)
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            f"Cannot create the folder '{out}': {exc.strerror or exc}. Choose a writable path."
        ) from None
    roll = pd.concat(
        [an.roll_rates.assign(by="count"), an.roll_rates_amount.assign(by="amount")],
        ignore_index=True,
    )
    tables = {
        "vintages.csv": an.vintages,
        "roll_rates.csv": roll[["by", *an.roll_rates.columns]],
        "cure_rates.csv": an.cures,
        "bucket_outcomes.csv": an.buckets,
        "collection_score_points.csv": an.score.model.points_table(),
        "collection_score_bands.csv": an.score.bands,
        "action_effects.csv": an.effects.steps,
        "ladder_bands.csv": an.effects.bands,
        "ladder_policy.csv": an.ladder,
        "ladder_comparison.csv": an.comparison,
        "ladder_band_tests.csv": an.band_ladders.tests if an.band_ladders else None,
        "device_returns.csv": an.returns,
        "device_recovery.csv": an.recovery,
        "lgd.csv": an.lgd,
        "lgd_by_term.csv": an.lgd_by_term,
        "lgd_contracts.csv": an.lgd_contracts,
    }
    written = []
    for name, table in tables.items():
        if table is None:
            continue
        path = out / name
        table.to_csv(path, index=False, float_format="%.10g", date_format="%Y-%m-%d")
        written.append(path)
    path = out / "collection_score.json"
    an.score.model.to_json(path)
    written.append(path)
    path = out / "arrears_metrics.json"
    path.write_text(json.dumps(an.metrics, indent=1, sort_keys=True) + "\n")
    written.append(path)
    return sorted(written)
