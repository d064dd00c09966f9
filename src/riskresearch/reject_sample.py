"""Reject inference from a config: the declined rows and the augmented development sample.

:func:`reject_sample` fits the accepts-only scorecard, scores the declined development rows
with it and calls :func:`riskresearch.reject_methods.augment`;
:func:`riskresearch.development.develop` and :func:`riskresearch.gbm_development.develop_gbm`
fit on the result. Reads the modeling table only: never the simulator's oracle.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from riskresearch import pipeline
from riskresearch.binning import WoeBinner
from riskresearch.config import ModelConfig, declined_filter
from riskresearch.errors import ConfigError, DataError
from riskresearch.parts import table_columns
from riskresearch.reject_methods import (
    ACCEPTED,
    DECLINED_BAD,
    METHODS,
    SOURCE,
    WEIGHT,
    augment,
)
from riskresearch.scorecard import Scorecard, SegmentedScorecard
from riskresearch.tables import filter_mask

__all__ = [
    "RejectSample",
    "accepts_only_model",
    "approval_model",
    "load_declines",
    "no_declines",
    "reject_sample",
]


def load_declines(
    cfg: ModelConfig, train: pd.DataFrame, test: pd.DataFrame, table: pd.DataFrame | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Declined development and out-of-time rows, split like the accepted ``train``/``test``.

    The declined rows match :func:`riskresearch.config.declined_filter`. A declined row is
    out of time when it would be by ``split`` (same months or ``oot_from``); declines of
    months after the last accepted month (whose accepts have no outcome yet) or before the
    first are left out. ``table`` is the modeling table already read (``pipeline.read_table(cfg,
    encode_target=False)``, as for :func:`riskresearch.pipeline.load_split`): read once.
    """
    df = pipeline.read_table(cfg) if table is None else pipeline.with_target(table, cfg)
    filt = declined_filter(cfg)
    missing = [c for c in filt if c not in df.columns]
    if missing:
        raise DataError(
            f"The modeling table lacks column(s) {missing} of the declined filter {filt}. Fix "
            "reject_inference.declined_filter."
        )
    mask = filter_mask(df, filt)
    accepted = filter_mask(df, cfg.data.filter)
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
            value = pipeline.split_value_mask
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
    df = pipeline.read_table(cfg, columns=list(dict.fromkeys([*filt, *cfg.data.filter])))
    if not filter_mask(df, filt).any():
        return (
            f"no row of the table matches reject_inference.declined_filter {filt}, so there "
            "is nothing to infer and the scorecard is fitted on the rows with an outcome"
        )
    return None


def accepts_only_model(
    cfg: ModelConfig, train: pd.DataFrame, binner: WoeBinner | None = None
) -> Scorecard | SegmentedScorecard:
    """The config's scorecard fitted on the accepted development rows (what ``develop`` fits
    with ``method: none``)."""
    feats, categorical = pipeline.candidate_features(train, cfg)
    model = pipeline.build_estimator(cfg, categorical)
    if binner is not None:
        if isinstance(model, SegmentedScorecard):
            raise DataError("A pre-fitted binning cannot be shared by segmented scorecards.")
        model.set_params(binner=binner, fit_binner=False)
    model.fit(
        train[pipeline.model_columns(cfg, feats)],
        train[cfg.data.target].to_numpy(),
        sample_weight=pipeline.row_weights(cfg, train),
        groups=pipeline.fold_groups(cfg, train),
    )
    return model


def approval_model(cfg: ModelConfig, accepts: pd.DataFrame, declines: pd.DataFrame) -> Scorecard:
    """Logistic model of the historical decision (1 = declined) on the through-the-door rows.

    The candidate features are WoE-binned against the decision (the config's binning
    settings) and all of them with more than one bin enter an L2 logistic regression: it
    describes the old policy, so no feature selection and no outcomes are needed. ``1 -
    predict_proba(X)[:, 1]`` is P(approve).
    """
    feats, categorical = pipeline.candidate_features(accepts, cfg)
    binner = pipeline.config_binner(cfg, categorical, reviewed=False)
    rows = pd.concat([accepts[feats], declines[feats]], ignore_index=True)
    y = np.r_[np.zeros(len(accepts), np.int64), np.ones(len(declines), np.int64)]
    w_acc = pipeline.row_weights(cfg, accepts)
    w = None if w_acc is None else np.r_[w_acc, pipeline.row_weights(cfg, declines)]
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
        Accepted development and out-of-time rows (``pipeline.load_split``).
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
