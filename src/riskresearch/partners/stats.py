"""Actual vs expected: the interval, the partner-neutral PD and its calibration."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import norm
from sklearn.linear_model import LogisticRegression

from riskresearch.errors import ConfigError
from riskresearch.partners._common import check_frame
from riskresearch.scoring import Scorer, score_to_pd
from riskresearch.tables import filter_mask


def ae_stats(observed, expected, sum_sq, level: float = 0.95) -> pd.DataFrame:
    """Actual/expected ratio with a score interval under the Poisson-binomial variance.

    With ``O`` bads observed where independent rows had expected probabilities ``p_i``
    (``E = sum p_i``, ``S = sum p_i^2``), the interval holds every ratio ``r`` for which
    ``(O - r E)^2 <= z^2 (r E - r^2 S)``: the rows' variance if each ``p_i`` were scaled by
    ``r``. With equal ``p_i`` it is the Wilson interval of ``O / n`` divided by ``p``; its lower
    bound exceeds 1 exactly when ``z = (O - E) / sqrt(E - S)`` exceeds the normal quantile.

    Parameters
    ----------
    observed, expected, sum_sq : array-like
        ``O``, ``E`` and ``S`` of each group.
    level : float
        Two-sided confidence level of the interval.

    Returns
    -------
    DataFrame
        ``ae`` (O/E), ``ae_low``, ``ae_high`` and ``z`` (NaN where ``E`` is 0).
    """
    o, e, s = (np.asarray(v, dtype=float) for v in (observed, expected, sum_sq))
    if not 0.5 < level < 1:
        raise ConfigError(f"The 'level' parameter must be in (0.5, 1). Got {level!r} instead.")
    z = norm.ppf(0.5 + level / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        a = e**2 + z**2 * s
        b = 2 * o * e + z**2 * e
        disc = np.sqrt(np.clip(b**2 - 4 * a * o**2, 0, None))
        valid = e > 0
        low = np.where(valid, (b - disc) / (2 * a), np.nan)
        high = np.where(valid, (b + disc) / (2 * a), np.nan)
        var = e - s
        zs = np.where(valid & (var > 0), (o - e) / np.sqrt(var), np.nan)
        ae = np.where(valid, o / e, np.nan)
    return pd.DataFrame({"ae": ae, "ae_low": low, "ae_high": high, "z": zs})


def actual_vs_expected(
    frame: pd.DataFrame, by, target: str, expected: str, level: float = 0.95
) -> pd.DataFrame:
    """Actual vs expected count of ``target`` per group, rows with both values only.

    Returns ``n``, ``actual``, ``expected``, ``variance`` (sum p(1-p)) and :func:`ae_stats`.

    Examples
    --------
    >>> actual_vs_expected(apps, "partner_id", "bad", "bad_expected")  # doctest: +SKIP
    """
    by = [by] if isinstance(by, str) else list(by)
    check_frame(frame, [*by, target, expected], "The frame")
    rows = frame[frame[target].notna() & frame[expected].notna()]
    p = rows[expected].astype(float)
    g = (
        rows.assign(_y=rows[target].astype(float), _p=p, _p2=p**2)
        .groupby(by, sort=True)
        .agg(n=("_y", "size"), actual=("_y", "sum"), expected=("_p", "sum"), _s=("_p2", "sum"))
        .reset_index()
    )
    g["variance"] = g["expected"] - g["_s"]
    stats = ae_stats(g["actual"], g["expected"], g["_s"], level)
    return pd.concat([g.drop(columns="_s"), stats], axis=1)


def expected_pd(
    frame: pd.DataFrame, scorecard, neutral=("partner_id",), where: dict | None = None
) -> pd.Series:
    """PD of each row from a release scorecard with ``neutral`` features at WoE 0.

    The partner's own effect (a scorecard may bin ``partner_id``) is replaced by the points of
    an average partner, so the PD says what the partner's customers were expected to do at
    an average partner. Rows not matching ``where`` (e.g. ``{"segment": "consumer"}`` for a
    consumer scorecard) get NaN.

    Parameters
    ----------
    frame : DataFrame
        Modeling-table rows.
    scorecard : dict, str or Path
        A scorecard JSON (``out_dir/scorecard.json``) or a :class:`~riskresearch.scoring.Scorer`.
    """

    scorer = scorecard if isinstance(scorecard, Scorer) else Scorer(scorecard)
    where = where or {}
    check_frame(frame, list(where), "The frame")
    keep = filter_mask(frame, where)
    out = pd.Series(np.nan, index=frame.index, name="pd")
    if not keep.any():
        return out
    rows = frame[keep]
    score = scorer.score(rows).to_numpy()
    points = scorer.feature_points(rows)
    if len(scorer.segments) == 1:
        seg = pd.Series(0, index=rows.index)
    else:
        names = scorer.assign_segments(rows, scorer.segments)
        seg = names.map({s["name"]: i for i, s in enumerate(scorer.segments)})
    pd_ = np.full(len(rows), np.nan)
    for i, s in enumerate(scorer.segments):
        m = (seg == i).to_numpy()
        card, adj = s["card"], np.zeros(int(m.sum()))
        raw = dict(_raw_features(s, scorer))
        for f in card.features:
            if f.name in neutral:
                adj += _neutral_points(raw[f.name], card.factor) - points[f.name].to_numpy()[m]
        pd_[m] = score_to_pd(score[m] + adj, card.offset, card.factor)
    out[keep] = pd_
    return out


def _raw_features(segment: dict, scorer) -> list[tuple[str, dict]]:
    model = scorer.model
    if segment["name"] is not None:
        model = next(s["scorecard"] for s in model["segments"] if s["name"] == segment["name"])
    return list(model["features"].items())


def _neutral_points(feature: dict, factor: float) -> float:
    """Points of a WoE-0 bin (points = shift - factor * coef * woe; the shift is per feature)."""
    bins = feature.get("bins") or []
    coef = feature.get("coefficient")
    for b, p in zip(bins, feature["points"]):
        if b.get("woe") == 0.0:
            return float(p)
    if bins and coef is not None:
        return float(feature["points"][0] + factor * coef * bins[0]["woe"])
    return float(feature["unseen_points"])


def calibrate(
    frame: pd.DataFrame, target: str, mature: str, pd_col: str | None = None, seed: int = 0
) -> pd.Series:
    """Expected probability of ``target`` for every mature row, fitted on the whole portfolio.

    A logistic regression of ``target`` on ``logit(pd)`` and cohort-month intercepts (rows with
    a PD), and on segment and cohort-month intercepts (rows without one, or ``pd_col=None``):
    it maps the score onto each outcome (``fpd30``, ``bad``, ...) and absorbs what moved every
    partner alike (an economic shock), so the partners are compared with each other at the
    same time and customer mix.
    """
    check_frame(frame, [target, mature, "application_month", "segment"], "The frame")
    y = pd.to_numeric(frame[target], errors="coerce")
    use = frame[mature].fillna(False).astype(bool).to_numpy() & y.notna().to_numpy()
    out = pd.Series(np.nan, index=frame.index, name=f"{target}_expected")
    month = frame["application_month"].astype(str)
    has_pd = np.zeros(len(frame), dtype=bool)
    if pd_col is not None:
        p = pd.to_numeric(frame[pd_col], errors="coerce").clip(1e-6, 1 - 1e-6)
        has_pd = p.notna().to_numpy()
    for rows, with_pd in ((use & has_pd, True), (use & ~has_pd, False)):
        if not rows.any():
            continue
        yy = y[rows].to_numpy(dtype=int)
        if yy.min() == yy.max():  # no event (or only events): the observed rate itself
            out[rows] = float(yy[0])
            continue
        x = pd.get_dummies(month[rows], dtype=float)
        if with_pd:
            x.insert(0, "_logit", np.log(p[rows] / (1 - p[rows])).to_numpy())
        else:
            seg = pd.get_dummies(frame.loc[rows, "segment"].astype(str), dtype=float)
            x = pd.concat([x, seg.iloc[:, 1:].add_prefix("segment=")], axis=1)
        model = LogisticRegression(C=100.0, max_iter=2000, random_state=seed)
        model.fit(x.to_numpy(), yy)
        out[rows] = model.predict_proba(x.to_numpy())[:, 1]
    return out
