"""Reject-inference methods: the augmented development sample from PDs, scores or approval odds.

An application scorecard is fitted on accepted applications, the only ones with an outcome,
but it scores the whole through-the-door population. Reject inference adds the declined
applicants (or reweights the accepted ones) so that the fitted sample resembles that
population. The methods (``reject_inference.method`` in the release config):

``none``
    Accepts only (the baseline).
``fuzzy``
    Every declined applicant enters twice: as bad with weight ``p`` and as good with weight
    ``1 - p``, where ``p`` is the accepts-only model's PD.
``parceling``
    Every declined applicant gets the bad rate of its score band among the accepted
    development rows times the band's factor, ``p = min(1, bad_rate[band] * factor[band])``,
    and enters as bad with weight ``p`` and good with ``1 - p``: the expected value of
    classic random parceling, without its sampling noise. Bands are equal-count bands of the
    accepts-only score of the accepted development rows, riskiest (lowest score) first.
``hard_cutoff``
    Declined applicants scoring below a cut-off enter as bad, the others as good (weight 1).
    The cut-off is ``cutoff_score``, or the score that labels the riskiest
    ``cutoff_bad_share`` of the declines bad; by default that share is their mean
    accepts-only PD (as many bads as the model expects). Ties at the cut-off are all bad.
``reweighting``
    No declined rows; every accepted row is weighted by ``1 / P(approve)``, where
    ``P(approve)`` comes from a logistic model of the historical decision (WoE-binned
    application features of the through-the-door development rows; no outcomes needed). The
    weight is clipped at ``clip`` (default 10, i.e. ``P(approve)`` is floored at 0.1): a few
    accepted applicants the old policy almost always declined would otherwise dominate the fit.

Any row weight from ``data.weight_column`` multiplies these weights. Rows whose weight is 0
(``p`` exactly 0 or 1) are left out. The augmented sample holds the accepted and declined
rows with the target set as above, a weight column :data:`WEIGHT` and a source column
:data:`SOURCE` (``accepted``, ``declined_bad`` or ``declined_good``).

These functions take arrays and frames, not a config: :mod:`riskresearch.reject_sample`
builds their inputs from a config (the accepts-only model's PDs and scores), and
:mod:`riskresearch.reject_inference` measures the methods.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from riskresearch.errors import ConfigError, DataError

METHODS = ("none", "fuzzy", "parceling", "hard_cutoff", "reweighting")
#: Column of the augmented sample holding each row's weight.
WEIGHT = "ri_weight"
#: Column of the augmented sample saying where each row comes from.
SOURCE = "ri_source"
ACCEPTED, DECLINED_BAD, DECLINED_GOOD = "accepted", "declined_bad", "declined_good"

__all__ = [
    "ACCEPTED",
    "DECLINED_BAD",
    "DECLINED_GOOD",
    "METHODS",
    "SOURCE",
    "WEIGHT",
    "approval_weights",
    "augment",
    "parceling_rates",
    "score_band",
    "score_band_edges",
]


def _array(values, n: int, name: str, owner: str = "augment") -> np.ndarray:
    if values is None:
        raise ConfigError(f"{owner} needs '{name}'. Pass one value per declined row.")
    arr = np.asarray(values, dtype=float).ravel()
    if len(arr) != n:
        raise DataError(
            f"The '{name}' parameter of {owner} has {len(arr)} values for {n} rows. Pass one "
            "value per row."
        )
    if not np.isfinite(arr).all():
        raise DataError(
            f"The '{name}' parameter of {owner} holds {int((~np.isfinite(arr)).sum())} NaN or "
            "infinite value(s). Score every row."
        )
    return arr


def _base_weights(df: pd.DataFrame, weight_column: str | None, what: str) -> np.ndarray:
    if weight_column is None:
        return np.ones(len(df))
    if weight_column not in df.columns:
        raise DataError(
            f"The {what} rows lack the weight column '{weight_column}'. Add it or drop "
            "data.weight_column."
        )
    w = pd.to_numeric(df[weight_column], errors="coerce").to_numpy(dtype=float)
    if not np.isfinite(w).all() or (w < 0).any():
        raise DataError(
            f"The weight column '{weight_column}' of the {what} rows holds missing or negative "
            "values. Fix them."
        )
    return w


def score_band_edges(scores, bands: int | Sequence[float] = 10) -> np.ndarray:
    """Inner cut points of score bands.

    Parameters
    ----------
    scores : array-like
        Scores (higher = lower risk) whose quantiles make the bands.
    bands : int or sequence of float, default 10
        Number of equal-count bands, or the cut points themselves (strictly increasing).
        Tied quantiles collapse, so heavily tied scores can give fewer bands.

    Returns
    -------
    ndarray
        Increasing cut points; band ``k`` holds scores in ``[edges[k-1], edges[k])``.
    """
    if isinstance(bands, int | np.integer) and not isinstance(bands, bool):
        if bands < 1:
            raise ConfigError(
                f"The 'bands' parameter of score_band_edges must be a positive integer or cut "
                f"points. Got {bands!r} instead."
            )
        x = np.sort(np.asarray(scores, dtype=float))
        if len(x) == 0:
            raise DataError("score_band_edges got no scores. Pass the accepted rows' scores.")
        # the first score of each upper group: n = 10, bands = 2 puts 5 scores in each band
        pos = np.minimum(np.ceil(len(x) * np.arange(1, bands) / bands).astype(int), len(x) - 1)
        cuts = np.unique(x[pos])
        return cuts[cuts > x[0]]  # a cut at the minimum would leave the first band empty
    cuts = np.asarray(bands, dtype=float)
    if cuts.ndim != 1 or not np.isfinite(cuts).all() or (np.diff(cuts) <= 0).any():
        raise ConfigError(
            "The 'bands' parameter of score_band_edges must be a positive integer or strictly "
            f"increasing finite cut points. Got {bands!r} instead."
        )
    return cuts


def score_band(scores, edges) -> np.ndarray:
    """Band of every score: 0 is the lowest-score (riskiest) band; a cut point belongs to the
    band above it."""
    return np.searchsorted(np.asarray(edges, float), np.asarray(scores, float), side="right")


def approval_weights(p_approve, clip: float = 10.0) -> np.ndarray:
    """Inverse approval probabilities ``min(1 / p, clip)``.

    Parameters
    ----------
    p_approve : array-like
        Probability that the historical policy approved each accepted row, in (0, 1].
    clip : float, default 10
        Largest weight (``p`` is floored at ``1 / clip``); bounds the variance that a few
        nearly-always-declined accepts would add.
    """
    p = np.asarray(p_approve, dtype=float)
    if not isinstance(clip, int | float) or isinstance(clip, bool) or not clip >= 1:
        raise ConfigError(
            f"The 'clip' parameter of approval_weights must be a number >= 1. Got {clip!r} instead."
        )
    bad = ~np.isfinite(p) | (p <= 0) | (p > 1)
    if bad.any():
        raise DataError(
            f"approval probabilities must lie in (0, 1]. Got {float(p[bad][0])!r} in "
            f"{int(bad.sum())} row(s); pass P(approve), not P(decline) or a score."
        )
    return np.minimum(1.0 / p, float(clip))


def augment(
    accepts: pd.DataFrame,
    declines: pd.DataFrame,
    method: str,
    *,
    target: str = "bad",
    weight_column: str | None = None,
    pd_declines=None,
    score_accepts=None,
    score_declines=None,
    bands: int | Sequence[float] = 10,
    factors: float | Sequence[float] = 1.0,
    cutoff_score: float | None = None,
    cutoff_bad_share: float | None = None,
    approval_accepts=None,
    clip: float = 10.0,
) -> pd.DataFrame:
    """The accepted rows plus the declined rows as the method says, with weights.

    Parameters
    ----------
    accepts : DataFrame
        Accepted development rows with the binary ``target`` (1 = bad).
    declines : DataFrame
        Declined development rows (their ``target`` is ignored).
    method : {"none", "fuzzy", "parceling", "hard_cutoff", "reweighting"}
        See the module docstring.
    target : str, default "bad"
    weight_column : str, optional
        Existing row weights of both tables; they multiply the method's weights.
    pd_declines : array-like, optional
        Accepts-only PD of every declined row (fuzzy; hard_cutoff's default share and
        ranking).
    score_accepts, score_declines : array-like, optional
        Accepts-only scores (higher = lower risk): parceling bands both; hard_cutoff ranks
        the declines by ``score_declines`` (by ``pd_declines`` when no scores are given).
    bands : int or sequence of float, default 10
        Parceling: equal-count bands of ``score_accepts``, or score cut points.
    factors : float or sequence of float, default 1.0
        Parceling: factor on each band's accepted bad rate, riskiest band first.
    cutoff_score : float, optional
        Hard cut-off: declines with a score below it are bad.
    cutoff_bad_share : float, optional
        Hard cut-off: label the riskiest declines making up at least this share of their
        weight bad (default: their mean ``pd_declines``).
    approval_accepts : array-like, optional
        Reweighting: P(approve) of every accepted row.
    clip : float, default 10
        Reweighting: largest weight ``1 / P(approve)``.

    Returns
    -------
    DataFrame
        Accepted rows first, then declined-as-bad, then declined-as-good rows, with
        ``target`` set, :data:`WEIGHT` and :data:`SOURCE`; a fresh index.

    Examples
    --------
    >>> acc = pd.DataFrame({"x": [1, 2], "bad": [0, 1]})
    >>> dec = pd.DataFrame({"x": [3]})
    >>> augment(acc, dec, "fuzzy", pd_declines=[0.25])[["x", "bad", "ri_weight", "ri_source"]]
       x  bad  ri_weight      ri_source
    0  1    0       1.00       accepted
    1  2    1       1.00       accepted
    2  3    1       0.25   declined_bad
    3  3    0       0.75  declined_good
    """
    if method not in METHODS:
        raise ConfigError(
            f"The 'method' parameter of augment must be one of {list(METHODS)}. Got "
            f"{method!r} instead."
        )
    for name, df in (("accepts", accepts), ("declines", declines)):
        if not isinstance(df, pd.DataFrame):
            raise DataError(
                f"The '{name}' parameter of augment must be a DataFrame. Got "
                f"{type(df).__name__} instead."
            )
    if target not in accepts.columns:
        raise DataError(f"The accepted rows lack the target column '{target}'. Pass it.")
    y = pd.to_numeric(accepts[target], errors="coerce").to_numpy(dtype=float)
    if not np.isin(y, [0, 1]).all():
        raise DataError(
            f"The target '{target}' of the accepted rows must be 0 (good) or 1 (bad) in every "
            f"row; {int((~np.isin(y, [0, 1])).sum())} row(s) are not. Filter them out."
        )
    for reserved in (WEIGHT, SOURCE):
        if reserved in accepts.columns or reserved in declines.columns:
            raise DataError(
                f"The input already has a '{reserved}' column; augment writes it. Drop it."
            )
    w_acc = _base_weights(accepts, weight_column, "accepted")
    acc = accepts.assign(**{target: y.astype(np.int64), SOURCE: ACCEPTED, WEIGHT: w_acc})
    n = len(declines)

    if method == "none":
        return acc.reset_index(drop=True)
    if method == "reweighting":
        p = _array(approval_accepts, len(accepts), "approval_accepts")
        acc[WEIGHT] = w_acc * approval_weights(p, clip)
        return acc.reset_index(drop=True)
    w_dec = _base_weights(declines, weight_column, "declined")

    if method == "fuzzy":
        p = _array(pd_declines, n, "pd_declines")
        _check_pd(p, "pd_declines")
        bad, good = _split_rows(declines, target, w_dec * p, w_dec * (1 - p))
    elif method == "parceling":
        s_acc = _array(score_accepts, len(accepts), "score_accepts")
        s_dec = _array(score_declines, n, "score_declines")
        p = parceling_rates(s_acc, y, w_acc, s_dec, bands, factors)
        bad, good = _split_rows(declines, target, w_dec * p, w_dec * (1 - p))
    else:  # hard_cutoff
        is_bad = _hard_cutoff(n, w_dec, pd_declines, score_declines, cutoff_score, cutoff_bad_share)
        bad, good = _split_rows(declines, target, w_dec * is_bad, w_dec * ~is_bad)
    return pd.concat([acc, bad, good], ignore_index=True)


def _check_pd(p: np.ndarray, name: str) -> None:
    if ((p < 0) | (p > 1)).any():
        raise DataError(
            f"The '{name}' parameter of augment must hold probabilities in [0, 1]. Got "
            f"{float(p[(p < 0) | (p > 1)][0])!r}; pass PDs, not scores."
        )


def _split_rows(declines, target, w_bad, w_good) -> tuple[pd.DataFrame, pd.DataFrame]:
    bad = declines.assign(**{target: 1, SOURCE: DECLINED_BAD, WEIGHT: w_bad})
    good = declines.assign(**{target: 0, SOURCE: DECLINED_GOOD, WEIGHT: w_good})
    return bad[bad[WEIGHT].to_numpy() > 0], good[good[WEIGHT].to_numpy() > 0]


def parceling_rates(
    score_accepts, y_accepts, w_accepts, score_declines, bands=10, factors=1.0
) -> np.ndarray:
    """Parceling's bad probability of every declined row: its score band's (weighted) bad
    rate among the accepts times the band's factor, capped at 1."""
    edges = score_band_edges(score_accepts, bands)
    k = len(edges) + 1
    band_acc = score_band(score_accepts, edges)
    w = np.asarray(w_accepts, dtype=float)
    total = np.bincount(band_acc, weights=w, minlength=k)
    bads = np.bincount(band_acc, weights=w * np.asarray(y_accepts, float), minlength=k)
    if (total <= 0).any():
        empty = [int(b) for b in np.flatnonzero(total <= 0)]
        raise DataError(
            f"Parceling: score band(s) {empty} (0 = riskiest) hold no accepted rows, so they "
            "have no bad rate. Use fewer bands or other cut points."
        )
    f = np.atleast_1d(np.asarray(factors, dtype=float))
    if f.size == 1:
        f = np.repeat(f, k)
    if f.size != k or not np.isfinite(f).all() or (f <= 0).any():
        raise ConfigError(
            f"The parceling 'factors' must be one positive number or one per score band ({k} "
            f"bands here, riskiest first). Got {list(np.atleast_1d(factors))!r}; tied scores "
            "can merge bands, so pass fewer factors or cut points."
        )
    rate = bads / total
    return np.minimum(1.0, (rate * f)[score_band(score_declines, edges)])


def _hard_cutoff(n, w, pd_declines, score_declines, cutoff_score, cutoff_bad_share):
    if cutoff_score is not None and cutoff_bad_share is not None:
        raise ConfigError(
            "augment got both 'cutoff_score' and 'cutoff_bad_share' for the hard cut-off. Pass one."
        )
    if cutoff_score is not None:
        s = _array(score_declines, n, "score_declines")
        return s < float(cutoff_score)
    if score_declines is not None:
        risk = -_array(score_declines, n, "score_declines")
    else:
        risk = _array(pd_declines, n, "pd_declines")
    share = cutoff_bad_share
    if share is None:
        p = _array(pd_declines, n, "pd_declines")
        _check_pd(p, "pd_declines")
        share = float(np.sum(w * p) / np.sum(w)) if np.sum(w) > 0 else 0.0
    if not 0 <= share <= 1:
        raise ConfigError(
            f"The 'cutoff_bad_share' parameter of augment must be a share in [0, 1]. Got "
            f"{share!r} instead."
        )
    if n == 0 or share == 0:
        return np.zeros(n, dtype=bool)
    order = np.argsort(-risk, kind="stable")
    cum = np.cumsum(w[order])
    pos = min(int(np.searchsorted(cum, share * cum[-1] * (1 - 1e-12), side="left")), n - 1)
    return risk >= risk[order][pos]  # ties at the cut-off are all bad
