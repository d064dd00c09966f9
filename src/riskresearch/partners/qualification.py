"""Partner qualification: knock-out rules and the points score."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from riskresearch.config import PartnersConfig
from riskresearch.errors import ConfigError
from riskresearch.partners._common import PARTNER_COLUMNS, check_frame, partners_config


def _factor_share(values: pd.Series, factor) -> np.ndarray:
    """0 at ``zero_at`` rising linearly to 1 at ``full_at`` (clipped); missing earns 0."""
    x = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    lo, hi = factor.zero_at, factor.full_at
    if factor.log:
        x, lo, hi = np.log10(np.clip(x, 1e-9, None)), math.log10(lo), math.log10(hi)
    share = np.clip((x - lo) / (hi - lo), 0.0, 1.0)
    return np.where(np.isnan(share), 0.0, share)  # missing earns no points


def _factor_points(values: pd.Series, factor, weight: float | None = None) -> np.ndarray:
    return (factor.weight if weight is None else weight) * _factor_share(values, factor)


def factor_shares(partners: pd.DataFrame, config: PartnersConfig | None = None) -> pd.DataFrame:
    """Each qualification factor of each partner as a share of full marks (0 .. 1).

    Returns
    -------
    DataFrame
        ``partner_id`` and one column per factor of ``config.score``.
    """
    cfg = partners_config(config)
    check_frame(partners, PARTNER_COLUMNS, "The partners table")
    p = partners.reset_index(drop=True)
    out = pd.DataFrame({"partner_id": p["partner_id"].to_numpy()})
    for name, factor in cfg.score.items():
        out[name] = _factor_share(p[name], factor)
    return out


def qualify(
    partners: pd.DataFrame,
    config: PartnersConfig | None = None,
    performance: pd.DataFrame | None = None,
    weights: dict[str, float] | None = None,
) -> pd.DataFrame:
    """Knock-out rules and qualification score of candidate (or onboarded) partners.

    Parameters
    ----------
    partners : DataFrame
        The ``partners`` table (:data:`PARTNER_COLUMNS`).
    config : PartnersConfig, optional
        ``cfg.partners`` (defaults when omitted).
    performance : DataFrame, optional
        :func:`monitor`'s partner summary; a bad rate significantly above expected at
        ``flag_confidence`` (``bad_ae_low_flag > 1``) is the ``past_performance`` knock-out.
    weights : dict, optional
        Factor -> weight replacing the config's ``weight`` (e.g. ``learn_weights().weights``);
        ``zero_at``, ``full_at`` and ``log`` stay the config's.

    Returns
    -------
    DataFrame
        One row per partner: the points of each factor, ``score``, ``knockouts`` (rule names,
        ``;``-separated), ``decision`` (``decline`` on any knock-out or below ``review_at``,
        ``review`` below ``approve_at``, else ``approve``) and ``reasons``.

    Examples
    --------
    >>> qualify(partners, cfg.partners)  # doctest: +SKIP
    """
    cfg = partners_config(config)
    check_frame(partners, PARTNER_COLUMNS, "The partners table")
    p = partners.reset_index(drop=True)
    out = pd.DataFrame({"partner_id": p["partner_id"].to_numpy()})
    weights = dict(weights or {})
    unknown = sorted(set(weights) - set(cfg.score))
    if unknown:
        raise ConfigError(
            f"The 'weights' parameter of qualify names {unknown}, not factors of partners.score "
            f"{list(cfg.score)}. Give weights of those factors."
        )
    for name, factor in cfg.score.items():
        out[f"points_{name}"] = _factor_points(p[name], factor, weights.get(name))
    points = [f"points_{n}" for n in cfg.score]
    out["score"] = out[points].sum(axis=1).round(2) if points else 0.0
    ko, k = [[] for _ in range(len(p))], cfg.knockouts
    rules = []
    if k.licence_check_failed:
        rules.append(
            ("licence_check_failed", ~p["licence_check_passed"].fillna(False).astype(bool))
        )
    if k.owner_credit_red_flag:
        rules.append(
            ("owner_credit_red_flag", p["owner_credit_red_flag"].fillna(True).astype(bool))
        )
    if k.max_complaints_12m is not None:
        rules.append(("complaints_12m", p["complaints_12m"] > k.max_complaints_12m))
    if k.min_years_in_business is not None:
        rules.append(("years_in_business", p["years_in_business"] < k.min_years_in_business))
    if k.min_registered_capital is not None:
        rules.append(("registered_capital", p["registered_capital"] < k.min_registered_capital))
    if k.past_performance and performance is not None:
        check_frame(performance, ["partner_id", "bad_ae_low_flag"], "The performance summary")
        low = p["partner_id"].map(performance.set_index("partner_id")["bad_ae_low_flag"])
        rules.append(("past_performance", low > 1))
    for name, hit in rules:
        for i in np.flatnonzero(hit.fillna(False).to_numpy(dtype=bool)):
            ko[i].append(name)
    out["knockouts"] = [";".join(x) for x in ko]

    def weight_of(column: str) -> float:
        name = column.removeprefix("points_")
        return weights.get(name, cfg.score[name].weight)

    score = out["score"].to_numpy()
    out["decision"] = np.where(
        [bool(x) for x in ko],
        "decline",
        np.where(
            score >= cfg.approve_at,
            "approve",
            np.where(score >= cfg.review_at, "review", "decline"),
        ),
    )
    reasons = []
    for i, names in enumerate(ko):
        r = [f"knock-out: {n}" for n in names]
        if score[i] < cfg.approve_at:
            weakest = min(
                [c for c in points if weight_of(c) > 0] or points,
                key=lambda c: out.at[i, c] / max(weight_of(c), 1e-9),
            )
            weakest = weakest.removeprefix("points_")
            r.append(f"score {score[i]:.0f} < {cfg.approve_at:g} (weakest: {weakest})")
        reasons.append("; ".join(r))
    out["reasons"] = reasons
    return out
