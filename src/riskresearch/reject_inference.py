"""Reject inference: declined applicants in the development sample, measured against the truth.

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

The final scorecard (binning, feature selection, logistic regression) and the GBM are fitted
on that weighted sample (:func:`riskresearch.development.develop`,
:func:`riskresearch.gbm.develop_gbm`).

Measuring: :func:`compare_methods` fits every method and scores the out-of-time
through-the-door rows (accepted and declined) against the simulator's oracle
(``oracle_applications``): only evaluation functions read it, never a fit. On real data (no
oracle) the benefit cannot be measured; :func:`no_oracle_diagnostics` shows what can be
shown: how the declines' scores differ from the accepts' and whether the accepted bad rate
bends ("kinks") where the old policy declined most.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from riskresearch import development, metrics
from riskresearch.atomic import merge_metrics
from riskresearch.binning import WoeBinner
from riskresearch.config import ModelConfig, declined_filter
from riskresearch.errors import ConfigError, DataError
from riskresearch.parts import Skipped, table_columns
from riskresearch.scorecard import Scorecard, SegmentedScorecard

METHODS = ("none", "fuzzy", "parceling", "hard_cutoff", "reweighting")
#: Column of the augmented sample holding each row's weight.
WEIGHT = "ri_weight"
#: Column of the augmented sample saying where each row comes from.
SOURCE = "ri_source"
ACCEPTED, DECLINED_BAD, DECLINED_GOOD = "accepted", "declined_bad", "declined_good"

NO_ORACLE_MESSAGE = (
    "Without outcomes for the declined applicants the benefit of reject inference cannot be "
    "measured: every method's effect on the through-the-door population rests on assumptions "
    "about the declines that the accepted rows cannot test. What can be shown is how far the "
    "declines' scores lie from the accepts' and whether the accepted bad rate bends where the "
    "old policy declined most."
)

__all__ = [
    "METHODS",
    "NO_ORACLE_MESSAGE",
    "SOURCE",
    "WEIGHT",
    "MethodComparison",
    "RejectDiagnostics",
    "RejectSample",
    "approval_model",
    "approval_weights",
    "augment",
    "compare_methods",
    "evaluate_methods",
    "load_declines",
    "no_oracle_diagnostics",
    "reject_sample",
    "score_band",
    "score_band_edges",
    "write_report",
]


# ------------------------------------------------------------------------------------------
# pure functions: the augmented sample
# ------------------------------------------------------------------------------------------
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


# ------------------------------------------------------------------------------------------
# from a config
# ------------------------------------------------------------------------------------------
def load_declines(
    cfg: ModelConfig, train: pd.DataFrame, test: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Declined development and out-of-time rows, split like the accepted ``train``/``test``.

    The declined rows match :func:`riskresearch.config.declined_filter`. A declined row is
    out of time when it would be by ``split`` (same months or ``oot_from``); declines of
    months after the last accepted month (whose accepts have no outcome yet) or before the
    first are left out.
    """
    df = development.read_table(cfg)
    filt = declined_filter(cfg)
    missing = [c for c in filt if c not in df.columns]
    if missing:
        raise DataError(
            f"The modeling table lacks column(s) {missing} of the declined filter {filt}. Fix "
            "reject_inference.declined_filter."
        )
    mask = development.filter_mask(df, filt)
    accepted = development.filter_mask(df, cfg.data.filter)
    if (mask & accepted).any():
        raise DataError(
            f"{int((mask & accepted).sum())} row(s) match both data.filter and the declined "
            f"filter {filt}. Make reject_inference.declined_filter select declined rows only."
        )
    declines = df[mask]
    if declines.empty:
        raise DataError(
            f"No row of '{cfg.data.table}' matches the declined filter {filt}. Check "
            "reject_inference.declined_filter and declined_exempt."
        )
    if cfg.split_mode != "oot":  # split like the accepted rows: by the column, or at random
        empty = declines.iloc[0:0]
        if cfg.split_mode == "column":
            value = development.split_value_mask
            d_train = declines[value(declines[cfg.split.column], cfg.split.train_value)]
            d_test = declines[value(declines[cfg.split.column], cfg.split.test_value)]
        elif test.empty:
            d_train, d_test = declines, empty
        else:
            rng = np.random.default_rng(cfg.seed)
            late = rng.random(len(declines)) < cfg.split.test_size
            d_train, d_test = declines[~late], declines[late]
        return d_train.reset_index(drop=True), d_test.reset_index(drop=True)
    col = cfg.data.date_column
    dates = pd.to_datetime(declines[col])
    declines = declines.assign(**{col: dates})
    seen = pd.concat([train[col], test[col]])
    month = dates.dt.to_period("M")
    inside = (month >= seen.min().to_period("M")) & (month <= seen.max().to_period("M"))
    if test.empty:
        late = pd.Series(False, index=declines.index)
    elif cfg.split.oot_from is not None:
        late = dates >= pd.Timestamp(cfg.split.oot_from)
    else:
        late = month >= test[col].dt.to_period("M").min()
    inside, late = inside.to_numpy(), late.to_numpy()
    return (
        declines[inside & ~late].reset_index(drop=True),
        declines[inside & late].reset_index(drop=True),
    )


def no_declines(cfg: ModelConfig) -> str | None:
    """Why the table has no declined applications to infer from (one sentence), or None."""
    filt = declined_filter(cfg)
    columns = table_columns(cfg.data.table, cfg.data.encoding)
    missing = [c for c in filt if c not in columns]
    if missing:
        return (
            f"the table has no declined applications (no column {', '.join(missing)} of "
            "reject_inference.declined_filter), so there is nothing to infer and the "
            "scorecard is fitted on the rows with an outcome"
        )
    df = development.read_table(cfg, columns=list(dict.fromkeys([*filt, *cfg.data.filter])))
    if not development.filter_mask(df, filt).any():
        return (
            f"no row of the table matches reject_inference.declined_filter {filt}, so there "
            "is nothing to infer and the scorecard is fitted on the rows with an outcome"
        )
    return None


def _columns(cfg: ModelConfig, feats: list[str]) -> list[str]:
    seg = [c for when in (cfg.segments or {}).values() for c in when]
    return list(dict.fromkeys(feats + seg))


def _weights(cfg: ModelConfig, df: pd.DataFrame) -> np.ndarray | None:
    return df[cfg.data.weight_column].to_numpy(dtype=float) if cfg.data.weight_column else None


def accepts_only_model(
    cfg: ModelConfig, train: pd.DataFrame, binner: WoeBinner | None = None
) -> Scorecard | SegmentedScorecard:
    """The config's scorecard fitted on the accepted development rows (what ``develop`` fits
    with ``method: none``)."""
    feats, categorical = development.candidate_features(train, cfg)
    model = development.build_estimator(cfg, categorical)
    if binner is not None:
        if isinstance(model, SegmentedScorecard):
            raise DataError("A pre-fitted binning cannot be shared by segmented scorecards.")
        model.set_params(binner=binner, fit_binner=False)
    model.fit(
        train[_columns(cfg, feats)],
        train[cfg.data.target].to_numpy(),
        sample_weight=_weights(cfg, train),
        groups=development.fold_groups(cfg, train),
    )
    return model


def approval_model(cfg: ModelConfig, accepts: pd.DataFrame, declines: pd.DataFrame) -> Scorecard:
    """Logistic model of the historical decision (1 = declined) on the through-the-door rows.

    The candidate features are WoE-binned against the decision (the config's binning
    settings) and all of them with more than one bin enter an L2 logistic regression: it
    describes the old policy, so no feature selection and no outcomes are needed. ``1 -
    predict_proba(X)[:, 1]`` is P(approve).
    """
    feats, categorical = development.candidate_features(accepts, cfg)
    b = cfg.binning
    binner = WoeBinner(
        categorical_features=categorical,
        max_n_bins=b.max_n_bins,
        min_bin_size=b.min_bin_size,
        min_bin_n_event=b.min_bin_n_event,
        monotonic_trend=b.monotonic_trend,
        special_codes=b.special_codes or None,
        unseen=b.unseen,
        time_limit=b.time_limit,
    )
    rows = pd.concat([accepts[feats], declines[feats]], ignore_index=True)
    y = np.r_[np.zeros(len(accepts), np.int64), np.ones(len(declines), np.int64)]
    w_acc = _weights(cfg, accepts)
    w = None if w_acc is None else np.r_[w_acc, _weights(cfg, declines)]
    C = cfg.scorecard.C if cfg.scorecard.C is not None else 1.0
    model = Scorecard(binner=binner, selector=None, C=C, sign_check="flag")
    return model.fit(rows, y, sample_weight=w)


@dataclass
class RejectSample:
    """An augmented development sample and what built it.

    Attributes
    ----------
    method : str
    data : DataFrame
        The augmented sample (:func:`augment`): fit on it with ``sample_weight=data[WEIGHT]``.
    accepts_model : Scorecard or SegmentedScorecard
        The accepts-only scorecard whose PDs/scores built the sample.
    declined_train, declined_test : DataFrame
        Declined development and out-of-time rows.
    approval : Scorecard or None
        Reweighting's model of the historical decision.
    """

    cfg: ModelConfig
    method: str
    data: pd.DataFrame
    accepts_model: Any
    declined_train: pd.DataFrame
    declined_test: pd.DataFrame
    approval: Any = None

    def summary(self) -> dict[str, Any]:
        """Method, rows and weights of the sample (written to ``metrics.json``)."""
        src, w = self.data[SOURCE], self.data[WEIGHT]
        declined = src != ACCEPTED
        ri = self.cfg.reject_inference
        out: dict[str, Any] = {
            "method": self.method,
            "accepted_rows": int((src == ACCEPTED).sum()),
            "accepted_weight": float(w[~declined].sum()),
            "declined_rows": len(self.declined_train),
            "declined_weight": float(w[declined].sum()),
            "declined_implied_bad_rate": (
                float(w[src == DECLINED_BAD].sum() / w[declined].sum()) if declined.any() else None
            ),
        }
        if self.method == "parceling":
            out["parceling_factors"] = ri.parceling_factors
            out["bands"] = ri.bands
        if self.method == "hard_cutoff":
            out["cutoff_score"] = ri.cutoff_score
            out["cutoff_bad_share"] = ri.cutoff_bad_share
        if self.method == "reweighting":
            out["clip"] = ri.clip
            out["clipped_rows"] = int((w[~declined] >= ri.clip - 1e-12).sum())
        return out


def reject_sample(
    cfg: ModelConfig,
    train: pd.DataFrame,
    test: pd.DataFrame | None = None,
    binner: WoeBinner | None = None,
    method: str | None = None,
    accepts_model=None,
    declines: tuple[pd.DataFrame, pd.DataFrame] | None = None,
) -> RejectSample:
    """Build the augmented development sample the config's reject inference asks for.

    Fits the accepts-only scorecard on ``train`` (unless ``accepts_model`` is given), scores
    the declined development rows with it (and, for reweighting, fits :func:`approval_model`),
    then calls :func:`augment`. Reads the modeling table only: never the oracle.

    Parameters
    ----------
    cfg : ModelConfig
    train, test : DataFrame
        Accepted development and out-of-time rows (``development.load_split``).
    binner : WoeBinner, optional
        Reviewed binning for the accepts-only scorecard.
    method : str, optional
        Overrides ``cfg.reject_inference.method``.
    accepts_model : fitted scorecard, optional
        Reuse an accepts-only scorecard already fitted on ``train``.
    declines : (DataFrame, DataFrame), optional
        Declined rows already loaded with :func:`load_declines`.
    """
    ri = cfg.reject_inference
    method = ri.method if method is None else method
    if method not in METHODS:
        raise ConfigError(
            f"The 'method' parameter of reject_sample must be one of {list(METHODS)}. Got "
            f"{method!r} instead."
        )
    test = train.iloc[0:0] if test is None else test
    d_train, d_test = declines if declines is not None else load_declines(cfg, train, test)
    if d_train.empty and method != "none":
        raise DataError(
            "No declined application falls in the development months. Check "
            "reject_inference.declined_filter and the split."
        )
    model = accepts_model if accepts_model is not None else accepts_only_model(cfg, train, binner)
    scorer = model.scorer()
    kwargs: dict[str, Any] = {}
    approval = None
    if method in ("fuzzy", "hard_cutoff"):
        kwargs["pd_declines"] = scorer.pd_(d_train).to_numpy()
    if method in ("parceling", "hard_cutoff"):
        kwargs["score_declines"] = scorer.score(d_train).to_numpy()
    if method == "parceling":
        kwargs["score_accepts"] = scorer.score(train).to_numpy()
    if method == "reweighting":
        approval = approval_model(cfg, train, d_train)
        feats = approval.feature_names_in_.tolist()
        kwargs["approval_accepts"] = 1 - approval.predict_proba(train[feats])[:, 1]
    data = augment(
        train,
        d_train,
        method,
        target=cfg.data.target,
        weight_column=cfg.data.weight_column,
        bands=ri.bands,
        factors=ri.parceling_factors,
        cutoff_score=ri.cutoff_score,
        cutoff_bad_share=ri.cutoff_bad_share,
        clip=ri.clip,
        **kwargs,
    )
    return RejectSample(cfg, method, data, model, d_train, d_test, approval)


# ------------------------------------------------------------------------------------------
# evaluation: the only place the oracle is read
# ------------------------------------------------------------------------------------------
def _read_oracle(cfg: ModelConfig) -> pd.DataFrame:
    """``application_id, true_pd, true_bad`` of the simulator's oracle (evaluation only)."""
    import duckdb

    con = duckdb.connect(str(cfg.data.oracle), read_only=True)
    try:
        oracle = con.sql(
            "SELECT application_id, true_pd, CAST(true_bad AS INTEGER) AS true_bad "
            "FROM oracle_applications"
        ).df()
    finally:
        con.close()
    return oracle


def _calibration_bands(pd_values, truth, bands: int) -> pd.DataFrame:
    """Mean predicted PD and mean ``truth`` (true PD or bad indicator) by band of predicted
    PD, riskiest band first."""
    x = np.asarray(pd_values, dtype=float)
    t = np.asarray(truth, dtype=float)
    w = np.ones(len(x))
    band, labels = metrics._bands(x, w, bands, "pd", "compare_methods")
    k = len(labels)
    count = np.bincount(band, minlength=k)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_pd = np.bincount(band, weights=x, minlength=k) / count
        mean_truth = np.bincount(band, weights=t, minlength=k) / count
    keep = count > 0
    return pd.DataFrame(
        {
            "band": np.arange(1, k + 1)[keep],
            "label": np.asarray(labels, dtype=object)[keep],
            "count": count[keep],
            "mean_pd": mean_pd[keep],
            "mean_true": mean_truth[keep],
        }
    )


def _calibration_error(table: pd.DataFrame) -> float:
    """Count-weighted mean |mean predicted PD - mean true PD| over the bands."""
    return float(np.average(np.abs(table.mean_pd - table.mean_true), weights=table["count"]))


@dataclass
class MethodComparison:
    """Every reject-inference method fitted and measured on the out-of-time rows.

    Attributes
    ----------
    summary : DataFrame
        One row per method and model: ``ttd_auc`` (AUC against the oracle's realised outcome
        on the through-the-door rows, accepted + declined), ``ttd_oracle_auc`` (the true PD's
        AUC on the same rows), ``ttd_cal_error`` (count-weighted mean absolute difference
        between mean predicted and mean true PD over predicted-PD bands), ``ttd_mean_pd`` and
        ``ttd_true_pd``, the same means on the declined rows alone (``declined_mean_pd``,
        ``declined_true_pd``), and ``accepts_auc`` / ``accepts_cal_error`` on the accepted
        rows (observed outcomes; calibration against the true PD when there is an oracle,
        else against the observed bad rate). Through-the-door columns are NaN without an
        oracle.
    calibration : DataFrame
        Band rows (``method, model, population, band, count, mean_pd, mean_true``) behind
        the calibration errors, for :func:`riskresearch.plots.reject_inference_plot`.
    message : str
        What was measured, or :data:`NO_ORACLE_MESSAGE`.
    """

    summary: pd.DataFrame
    calibration: pd.DataFrame
    message: str
    samples: dict[str, RejectSample] = field(default_factory=dict, repr=False)

    def _repr_html_(self) -> str:
        return f"<p>{html.escape(self.message)}</p>" + self.summary.to_html(index=False)


def compare_methods(
    cfg: ModelConfig,
    methods: Sequence[str] = METHODS,
    models: Sequence[str] = ("scorecard",),
    bands: int = 10,
    binner: WoeBinner | None = None,
) -> MethodComparison | Skipped:
    """Fit every method (same binning settings) and measure it out of time.

    :class:`~riskresearch.parts.Skipped` when the table has no declined applications.

    Each method's scorecard (and GBM, with ``"gbm"`` in ``models``) is fitted on its
    augmented development sample, then scores the out-of-time through-the-door rows: the
    accepted rows of the out-of-time months (mature outcomes) and the declined rows of the
    same months, whose outcome comes from the simulator's ``oracle_applications`` (read here,
    after every fit, and nowhere else). Without ``data.oracle`` only the accepted rows can be
    measured and the message says so.

    Parameters
    ----------
    cfg : ModelConfig
        Its ``reject_inference`` parameters (factors, cut-off, clip) apply to every method.
    methods : sequence of str, default all
    models : sequence of {"scorecard", "gbm"}, default ("scorecard",)
    bands : int, default 10
        Predicted-PD bands of the calibration error.
    binner : WoeBinner, optional
        Reviewed bins (recounted on every method's sample), as in ``develop``.
    """
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise ConfigError(
            f"The 'methods' parameter of compare_methods names unknown method(s) {unknown}. "
            f"Use {list(METHODS)}."
        )
    bad_models = [m for m in models if m not in ("scorecard", "gbm")]
    if bad_models or not models:
        raise ConfigError(
            "The 'models' parameter of compare_methods must list 'scorecard' and/or 'gbm'. "
            f"Got {list(models)!r} instead."
        )
    if reason := no_declines(cfg):
        return Skipped(reason)
    train, test = development.load_split(cfg)
    if test.empty:
        raise DataError("compare_methods measures on test rows: check the split.")
    declines = load_declines(cfg, train, test)
    d_test = declines[1]
    feats, categorical = development.candidate_features(train, cfg)
    columns = _columns(cfg, feats)
    accepts_model = accepts_only_model(cfg, train, binner)
    target = cfg.data.target

    pds: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}
    samples: dict[str, RejectSample] = {}
    for method in methods:
        sample = reject_sample(
            cfg, train, test, binner, method=method, accepts_model=accepts_model, declines=declines
        )
        samples[method] = sample
        rows = sample.data
        y, w = rows[target].to_numpy(), rows[WEIGHT].to_numpy()
        if method == "none":
            card = accepts_model
        else:
            card = development.build_estimator(cfg, categorical)
            if binner is not None:
                card.set_params(
                    binner=binner.recount(rows[binner.features_], y, sample_weight=w),
                    fit_binner=False,
                )
            card.fit(rows[columns], y, sample_weight=w, groups=development.fold_groups(cfg, rows))
        if "scorecard" in models:
            scorer = card.scorer()
            pds[(method, "scorecard")] = (
                scorer.pd_(test).to_numpy(),
                scorer.pd_(d_test).to_numpy() if len(d_test) else np.empty(0),
            )
        if "gbm" in models:
            from riskresearch import gbm

            g_feats, g_cat = gbm.gbm_features(cfg, train)
            monotone = None
            if cfg.gbm.monotone == "woe":
                bins = (
                    card.binner_
                    if isinstance(card, Scorecard)
                    else development.fit_binning(cfg, rows, sample_weight=w)
                )
                monotone = gbm.monotone_from_bins(bins.bins_, g_feats)
            weights = None if method == "none" and not cfg.data.weight_column else w
            model, _ = gbm.fit_gbm(cfg, rows, y, weights, g_feats, g_cat, monotone)
            scorer = model.scorer()
            pds[(method, "gbm")] = (
                scorer.pd_(test).to_numpy(),
                scorer.pd_(d_test).to_numpy() if len(d_test) else np.empty(0),
            )

    # ---- measurement (after every fit): the oracle is read here only
    y_acc = test[target].to_numpy(dtype=float)
    oracle = None
    if cfg.data.oracle is not None:
        id_col = cfg.data.id_column
        if not id_col or id_col not in test.columns:
            raise DataError(
                "Measuring against the oracle needs data.id_column (the application id)."
            )
        truth = _read_oracle(cfg).set_index("application_id")
        ids = np.r_[test[id_col].to_numpy(), d_test[id_col].to_numpy()]
        found = pd.Index(ids).isin(truth.index)
        if not found.all():
            raise DataError(
                f"{int((~found).sum())} out-of-time application(s) are missing from the oracle "
                f"'{cfg.data.oracle}'. Point data.oracle at the warehouse the table was built "
                "from."
            )
        oracle = truth.loc[ids]
    rows_out, cal_rows = [], []
    n_acc = len(test)
    for (method, model_name), (p_acc, p_dec) in pds.items():
        p_all = np.r_[p_acc, p_dec]
        row: dict[str, Any] = {"method": method, "model": model_name}
        if oracle is not None:
            true_pd = oracle.true_pd.to_numpy(dtype=float)
            true_bad = oracle.true_bad.to_numpy(dtype=float)
            ttd = _calibration_bands(p_all, true_pd, bands)
            acc = _calibration_bands(p_acc, true_pd[:n_acc], bands)
            row.update(
                ttd_auc=metrics.auc(true_bad, p_all),
                ttd_oracle_auc=metrics.auc(true_bad, true_pd),
                ttd_cal_error=_calibration_error(ttd),
                ttd_mean_pd=float(p_all.mean()),
                ttd_true_pd=float(true_pd.mean()),
                declined_mean_pd=float(p_dec.mean()) if len(p_dec) else math.nan,
                declined_true_pd=float(true_pd[n_acc:].mean()) if len(p_dec) else math.nan,
            )
            cal_rows.append(ttd.assign(method=method, model=model_name, population="ttd"))
        else:
            acc = _calibration_bands(p_acc, y_acc, bands)
            row.update(
                ttd_auc=math.nan,
                ttd_oracle_auc=math.nan,
                ttd_cal_error=math.nan,
                ttd_mean_pd=float(p_all.mean()),
                ttd_true_pd=math.nan,
                declined_mean_pd=float(p_dec.mean()) if len(p_dec) else math.nan,
                declined_true_pd=math.nan,
            )
        row.update(
            accepts_auc=metrics.auc(y_acc, p_acc),
            accepts_cal_error=_calibration_error(acc),
            accepts_mean_pd=float(p_acc.mean()),
            accepts_bad_rate=float(y_acc.mean()),
            n_accepted=n_acc,
            n_declined=len(p_dec),
        )
        rows_out.append(row)
        cal_rows.append(acc.assign(method=method, model=model_name, population="accepts"))
    calibration = pd.concat(cal_rows, ignore_index=True)[
        ["method", "model", "population", "band", "label", "count", "mean_pd", "mean_true"]
    ]
    message = (
        "Measured out of time on the through-the-door rows (accepted + declined); the declined "
        "applicants' outcomes come from the simulator's oracle, read only here."
        if oracle is not None
        else NO_ORACLE_MESSAGE
    )
    return MethodComparison(pd.DataFrame(rows_out), calibration, message, samples)


def evaluate_methods(cfg: ModelConfig, **kwargs) -> pd.DataFrame:
    """The summary table of :func:`compare_methods` (same arguments)."""
    return compare_methods(cfg, **kwargs).summary


# ------------------------------------------------------------------------------------------
# without an oracle: what can be shown
# ------------------------------------------------------------------------------------------
@dataclass
class RejectDiagnostics:
    """What real data (no outcomes for declines) can show about reject inference.

    Attributes
    ----------
    shift : DataFrame
        Per score band of the through-the-door population (lowest score first): accepted
        and declined rows, their shares, the decline rate and the PSI term of the declines'
        distribution against the accepts'.
    kink : DataFrame
        Per score band: accepted rows, bads, observed bad rate and log-odds, the accepts-only
        model's mean PD, the decline rate, and ``trend_log_odds`` / ``gap``: the observed
        log-odds against a straight line fitted (weighted by rows) on the bands where the old
        policy declined under half. A negative gap in high-decline bands means the accepts
        there are better than the trend: cherry-picked, so an accepts-only model understates
        the declines' risk.
    summary : dict
        Mean scores, PSI, the estimated old cut-off (lowest score band where the decline rate
        falls under one half), the log-odds slope per 100 points above and below it.
    message : str
        :data:`NO_ORACLE_MESSAGE`.
    """

    shift: pd.DataFrame
    kink: pd.DataFrame
    summary: dict[str, Any]
    message: str = NO_ORACLE_MESSAGE


def no_oracle_diagnostics(
    cfg: ModelConfig, binner: WoeBinner | None = None, bands: int | None = None
) -> RejectDiagnostics | Skipped:
    """Score shift of the declines and kink-in-bad-rate diagnostics (no oracle needed).

    The accepts-only scorecard is fitted on the accepted development rows and scores every
    accepted (development and out-of-time) and declined row of the accepted months. Bands
    are equal-count bands of the through-the-door scores (``bands``, default
    ``reject_inference.bands``). :class:`~riskresearch.parts.Skipped` when the table has no
    declined applications.
    """
    if reason := no_declines(cfg):
        return Skipped(reason)
    train, test = development.load_split(cfg)
    d_train, d_test = load_declines(cfg, train, test)
    model = accepts_only_model(cfg, train, binner)
    scorer = model.scorer()
    accepts = pd.concat([train, test], ignore_index=True)
    declines = pd.concat([d_train, d_test], ignore_index=True)
    s_acc = scorer.score(accepts).to_numpy()
    s_dec = scorer.score(declines).to_numpy()
    p_acc = scorer.pd_(accepts).to_numpy()
    y = accepts[cfg.data.target].to_numpy(dtype=float)
    edges = score_band_edges(np.r_[s_acc, s_dec], bands or cfg.reject_inference.bands)
    k = len(edges) + 1
    b_acc, b_dec = score_band(s_acc, edges), score_band(s_dec, edges)
    n_acc = np.bincount(b_acc, minlength=k).astype(float)
    n_dec = np.bincount(b_dec, minlength=k).astype(float)
    bads = np.bincount(b_acc, weights=y, minlength=k)
    lo = np.r_[-np.inf, edges]
    hi = np.r_[edges, np.inf]
    with np.errstate(invalid="ignore", divide="ignore"):
        share_acc, share_dec = n_acc / n_acc.sum(), n_dec / max(n_dec.sum(), 1)
        eps = 1e-4  # keeps PSI finite where one side is empty
        psi_term = (share_dec - share_acc) * np.log((share_dec + eps) / (share_acc + eps))
        decline_rate = n_dec / (n_acc + n_dec)
        bad_rate = bads / n_acc
        log_odds = np.log((bads + 0.5) / (n_acc - bads + 0.5))
        mean_pd = np.bincount(b_acc, weights=p_acc, minlength=k) / n_acc
        mean_score = np.bincount(b_acc, weights=s_acc, minlength=k) / n_acc
    shift = pd.DataFrame(
        {
            "band": np.arange(1, k + 1),
            "score_from": lo,
            "score_to": hi,
            "accepted": n_acc.astype(np.int64),
            "declined": n_dec.astype(np.int64),
            "accepted_share": share_acc,
            "declined_share": share_dec,
            "decline_rate": decline_rate,
            "psi_term": psi_term,
        }
    )
    above = (decline_rate < 0.5) & (n_acc > 0)
    trend = np.full(k, np.nan)
    slope_above = slope_below = math.nan
    if above.sum() >= 2:
        coef = np.polyfit(mean_score[above], log_odds[above], 1, w=np.sqrt(n_acc[above]))
        trend = np.polyval(coef, mean_score)
        slope_above = float(coef[0] * 100)
    below = ~above & (n_acc > 0)
    if below.sum() >= 2:
        slope_below = float(
            np.polyfit(mean_score[below], log_odds[below], 1, w=np.sqrt(n_acc[below]))[0] * 100
        )
    kink = pd.DataFrame(
        {
            "band": np.arange(1, k + 1),
            "mean_score": mean_score,
            "accepted": n_acc.astype(np.int64),
            "bads": bads,
            "bad_rate": bad_rate,
            "mean_pd": mean_pd,
            "log_odds": log_odds,
            "trend_log_odds": trend,
            "gap": log_odds - trend,
            "decline_rate": decline_rate,
        }
    )
    crossing = np.flatnonzero(decline_rate < 0.5)
    cutoff = float(lo[crossing[0]]) if len(crossing) and crossing[0] > 0 else None
    high = ~above & (n_acc > 0) & np.isfinite(trend)
    summary = {
        "accepted_rows": len(accepts),
        "declined_rows": len(declines),
        "accepted_mean_score": float(s_acc.mean()),
        "declined_mean_score": float(s_dec.mean()) if len(s_dec) else None,
        "psi_declined_vs_accepted": float(np.nansum(psi_term)),
        "estimated_cutoff_score": cutoff,
        "log_odds_slope_per_100_above": slope_above,
        "log_odds_slope_per_100_below": slope_below,
        "mean_gap_high_decline_bands": (
            float(np.average((log_odds - trend)[high], weights=n_acc[high])) if high.any() else None
        ),
    }
    return RejectDiagnostics(shift, kink, summary)


# ------------------------------------------------------------------------------------------
# artifacts
# ------------------------------------------------------------------------------------------
def write_report(
    out_dir: str | Path,
    comparison: MethodComparison | Skipped | None = None,
    diagnostics: RejectDiagnostics | Skipped | None = None,
) -> list[Path]:
    """Write the reject-inference report tables and add their headline to ``metrics.json``.

    Writes ``reject_inference.csv`` (the method comparison) and
    ``reject_inference_calibration.csv`` (its bands), ``reject_shift.csv`` and
    ``reject_kink.csv`` (the diagnostics), and merges ``reject_inference_report`` (message,
    per-method figures, diagnostics summary) into ``metrics.json`` in ``out_dir``.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    report: dict[str, Any] = {}
    for part in (comparison, diagnostics):
        if isinstance(part, Skipped):
            report["skipped"] = part.reason
    comparison = None if isinstance(comparison, Skipped) else comparison
    diagnostics = None if isinstance(diagnostics, Skipped) else diagnostics
    if comparison is not None:
        comparison.summary.to_csv(out / "reject_inference.csv", index=False)
        comparison.calibration.to_csv(out / "reject_inference_calibration.csv", index=False)
        written += [out / "reject_inference.csv", out / "reject_inference_calibration.csv"]
        report["message"] = comparison.message
        report["methods"] = [
            {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items()}
            for r in comparison.summary.to_dict("records")
        ]
    if diagnostics is not None:
        diagnostics.shift.to_csv(out / "reject_shift.csv", index=False)
        diagnostics.kink.to_csv(out / "reject_kink.csv", index=False)
        written += [out / "reject_shift.csv", out / "reject_kink.csv"]
        report["diagnostics"] = {
            k: (None if isinstance(v, float) and math.isnan(v) else v)
            for k, v in diagnostics.summary.items()
        }
        report.setdefault("message", diagnostics.message)
    return [*written, merge_metrics(out, "reject_inference_report", report, default=_json)]


def _json(value):
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
