"""The GBM challenger from a config: fit on the scorecard's development rows, compare, export.

What the GBM notebook calls. The estimator (:class:`riskresearch.gbm.GbmClassifier`) and its
scorer live in :mod:`riskresearch.gbm`; this module composes the pipeline's steps
(:mod:`riskresearch.pipeline`) around them, as :mod:`riskresearch.development` does for the
scorecard.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.model_selection import StratifiedKFold

from riskresearch import metrics, pipeline, reject_sample
from riskresearch.atomic import merge_metrics
from riskresearch.config import ModelConfig
from riskresearch.errors import DataError
from riskresearch.gbm import (
    DEFAULT_PARAMS,
    GbmClassifier,
    GbmScorer,
    compare_models,
    encode_frame,
    lgbm_params,
    monotone_from_bins,
    monotone_supported,
    swap_set,
)
from riskresearch.reject_methods import WEIGHT
from riskresearch.scoring import Scorer
from riskresearch.selection import TimeOrderedFolds
from riskresearch.woe import category_keys, check_columns

__all__ = [
    "GbmDevelopment",
    "both_pds",
    "champion_challenger",
    "develop_gbm",
    "fit_gbm",
    "gbm_features",
    "sized_params",
    "write_gbm",
]


# ------------------------------------------------------------------------------------------
# from a config (what the GBM notebook calls)
# ------------------------------------------------------------------------------------------
@dataclass
class GbmDevelopment:
    """A fitted GBM challenger with its data and evaluation.

    Attributes
    ----------
    model : GbmClassifier
    scorer : GbmScorer
        Built from the exported text: what a release scores with.
    train, test : DataFrame
        Development and out-of-time rows (the scorecard's).
    features, categorical : list of str
    metrics : dict
        ``train``/``test`` AUC, Gini, KS; ``early_stopping`` (rounds, the mean validation AUC
        over the folds and its spread, the folds; or the months with ``gbm.valid_months``).
    """

    cfg: ModelConfig
    model: GbmClassifier
    scorer: GbmScorer
    train: pd.DataFrame
    test: pd.DataFrame
    features: list[str]
    categorical: list[str]
    metrics: dict[str, Any] = field(default_factory=dict)
    _importance: pd.DataFrame | None = field(default=None, repr=False)

    def scored(self, which: str = "test") -> pd.DataFrame:
        df = self.test if which == "test" else self.train
        return df.assign(pd=self.scorer.pd_(df).to_numpy())

    def importance(self) -> pd.DataFrame:
        """Gain and split share of every feature and its mean |SHAP| on the test rows.

        The SHAP values are computed on a seeded sample of ``gbm.importance_rows`` test rows
        when there are more (``metrics["importance_rows"]``, set by :func:`develop_gbm`,
        records it), once: the notebook and :func:`write_gbm` share the table.
        """
        if self._importance is None:
            rows = self.test[self.features] if not self.test.empty else None
            if sample := self.metrics.get("importance_rows"):
                rng = np.random.default_rng(self.cfg.seed)
                rows = rows.iloc[np.sort(rng.choice(sample["of"], sample["sampled"], False))]
            self._importance = self.model.importance(rows)
        return self._importance


def develop_gbm(cfg: ModelConfig, binner=None) -> GbmDevelopment:
    """Fit the config's LightGBM challenger on the scorecard's development rows.

    The number of rounds comes from early stopping on cross-validation folds of the
    development rows (time-ordered with an out-of-time split, else stratified; see
    :func:`fit_gbm`), and the model is fitted on all of them with that number. Monotone
    constraints follow the bad-rate trend of each numerical feature's bins (``binner``, the
    reviewed binning; fitted here when None).

    With ``reject_inference.method`` other than ``none`` and ``gbm`` in
    ``reject_inference.apply_to`` the GBM is fitted on the same
    augmented, weighted sample as the scorecard (:func:`riskresearch.reject_inference.
    reject_sample`, built from the accepts-only scorecard): the weights reach LightGBM, the
    early-stopping rows and the binning behind the monotone constraints (a reviewed
    ``binner`` keeps its bins, recounted on the sample). Metrics stay on the accepted rows.
    """
    table = pipeline.read_table(cfg, encode_target=False)  # read once: accepted and declined
    train, test = pipeline.load_split(cfg, table)
    feats, categorical = gbm_features(cfg, train)
    rows, y, sample = train, train[cfg.data.target].to_numpy(), None
    w = pipeline.row_weights(cfg, train)
    if cfg.reject_inference.applies("gbm"):
        declines = reject_sample.load_declines(cfg, train, test, table)
        sample = reject_sample.reject_sample(cfg, train, test, binner=binner, declines=declines)
        rows = sample.data
        y = rows[cfg.data.target].to_numpy()
        w = rows[WEIGHT].to_numpy()
    monotone = None
    if cfg.gbm.monotone == "woe":
        if binner is None:
            binner = pipeline.fit_binning(cfg, rows, sample_weight=w)
        elif sample is not None:
            binner = binner.recount(rows[binner.features_], y, sample_weight=w)
        monotone = monotone_from_bins(binner.bins_, feats)
        monotone = monotone_supported(monotone, rows, y, w)
    model, stopping = fit_gbm(cfg, rows, y, w, feats, categorical, monotone)
    gdev = GbmDevelopment(cfg, model, model.scorer(), train, test, feats, categorical)
    out: dict[str, Any] = {"early_stopping": stopping, "refit": cfg.gbm.refit}
    for which, df in (("train", train), ("test", test)):
        if not df.empty:
            wt = pipeline.row_weights(cfg, df)
            out[which] = metrics.summary(
                df[cfg.data.target].to_numpy(), gdev.scorer.pd_(df).to_numpy(), wt
            )
    if sample is not None:
        out["reject_inference"] = sample.summary()
    limit = cfg.gbm.importance_rows
    if limit is not None and len(test) > limit:  # mean |SHAP| is settled on a sample
        out["importance_rows"] = {"sampled": limit, "of": len(test)}
    gdev.metrics = out
    return gdev


def gbm_features(cfg: ModelConfig, train: pd.DataFrame) -> tuple[list[str], list[str]]:
    """The GBM's features (``gbm.features`` or the scorecard's candidates) and which are
    categorical."""
    feats, categorical = pipeline.candidate_features(train, cfg)
    if cfg.gbm.features is not None:
        check_columns(train, cfg.gbm.features, "gbm.features")
        feats = list(cfg.gbm.features)
        categorical = [
            f
            for f in feats
            if f in categorical
            or (not pd.api.types.is_numeric_dtype(train[f]) and train[f].dtype != bool)
        ]
    return feats, categorical


def sized_params(n_rows: int) -> dict[str, Any]:
    """LightGBM parameters sized to the number of development rows.

    :data:`DEFAULT_PARAMS` suit tens of thousands of rows. On fewer rows the same trees would
    fit noise: each leaf must hold enough rows for its bad rate to mean something, and a tree
    must not be deeper than the rows can support. The rule, with ``n`` development rows:

    - ``min_data_in_leaf = clip(n / 200, 20, 100)``: 0.5% of the rows, at least 20, at most the
      default 100 (reached at 20,000 rows);
    - ``num_leaves``: 4 below 2,000 rows, 7 below 20,000, else the default 15; ``max_depth``
      ``2``, ``3`` or unlimited alike (a tree of 4 leaves is at most 2 splits deep);
    - ``min_data_per_group`` (categories) follows ``min_data_in_leaf``.

    From 20,000 rows on the defaults apply unchanged. ``gbm.params`` override every value.

    Parameters
    ----------
    n_rows : int
        Development rows the model is fitted on.

    Returns
    -------
    dict
        The sized parameters (only those that differ by size).

    Examples
    --------
    >>> sized_params(1_000)
    {'min_data_in_leaf': 20, 'min_data_per_group': 20, 'num_leaves': 4, 'max_depth': 2}
    >>> sized_params(50_000)
    {'min_data_in_leaf': 100, 'min_data_per_group': 100, 'num_leaves': 15, 'max_depth': -1}
    """
    leaf = int(np.clip(n_rows // 200, 20, 100))
    if n_rows < 2_000:
        leaves, depth = 4, 2
    elif n_rows < 20_000:
        leaves, depth = 7, 3
    else:
        leaves, depth = DEFAULT_PARAMS["num_leaves"], -1
    return {
        "min_data_in_leaf": leaf,
        "min_data_per_group": leaf,
        "num_leaves": leaves,
        "max_depth": depth,
    }


def fit_gbm(
    cfg: ModelConfig,
    rows: pd.DataFrame,
    y,
    sample_weight,
    feats: list[str],
    categorical: list[str],
    monotone: dict[str, int] | None = None,
) -> tuple[GbmClassifier, dict[str, Any]]:
    """Fit the config's GBM on ``rows``, with the number of rounds found by early stopping.

    The rounds are where the validation AUC averaged over ``gbm.cv_folds`` folds peaks
    (``lightgbm.cv``), so no single noisy slice decides; the model is then fitted on all rows
    with that number of rounds. The folds are those of the feature selection:

    - out-of-time split: time-ordered folds on ``data.date_column`` (each fold validates on
      later months than it trains on, :class:`~riskresearch.selection.TimeOrderedFolds`);
    - other splits (the rows carry no time order): stratified folds (the config's seed).

    With ``gbm.valid_months`` set (out-of-time splits only) early stopping instead watches
    the latest that many months, and ``gbm.refit`` refits on all rows with that number of
    rounds: one slice, as earlier versions did (on a few thousand rows it stopped after a
    handful of rounds).

    With ``gbm.size_params`` the parameters are sized to the rows (:func:`sized_params`);
    ``gbm.params`` override them. ``sample_weight`` (None: equal weights) reaches every fit and
    the validation AUC. Returns the model and the early-stopping summary.
    """
    g = cfg.gbm
    y = np.asarray(y)
    weighted = sample_weight is not None
    w = np.asarray(sample_weight, dtype=float) if weighted else np.ones(len(rows))
    params = {**(sized_params(len(rows)) if g.size_params else {}), **g.params}
    est = GbmClassifier(
        params=params,
        num_boost_round=g.num_boost_round,
        early_stopping_rounds=g.early_stopping_rounds,
        monotone=monotone,
        categorical_features=categorical,
        random_state=cfg.seed,
    )
    if cfg.split_mode != "oot" or g.valid_months is None:
        if np.bincount(y, minlength=2).min() < 2:
            raise DataError(
                f"Early stopping by cross-validation needs at least 2 bad and 2 good rows; the "
                f"development rows have {int(y.sum())} bad of {len(y)}. Add rows."
            )
        if cfg.split_mode == "oot":
            dates = rows[cfg.data.date_column].to_numpy()
            folds = list(TimeOrderedFolds(n_splits=g.cv_folds).split(None, groups=dates))
            kind = "time-ordered"
        else:
            k = min(g.cv_folds, int(np.bincount(y, minlength=2).min()))
            splitter = StratifiedKFold(k, shuffle=True, random_state=cfg.seed % 2**32)
            folds = list(splitter.split(np.zeros(len(y)), y))
            kind = "stratified"
        folds = [(tr, va) for tr, va in folds if len(np.unique(y[va])) == 2]
        if not folds:
            raise DataError(
                "No cross-validation fold of the development rows holds both bad and good "
                "rows. Add rows or months."
            )
        rounds, stopping = _cv_rounds(est, rows[feats], y, w, folds)
        model = clone(est).set_params(num_boost_round=rounds)
        model.fit(rows[feats], y, sample_weight=w)
        return model, {**stopping, "folds": kind}
    month = rows[cfg.data.date_column].dt.to_period("M")
    months = np.sort(month.unique())
    if len(months) <= g.valid_months:
        raise DataError(
            f"The development rows span {len(months)} month(s); gbm.valid_months = "
            f"{g.valid_months} leaves nothing to fit on. Lower it."
        )
    valid = (month >= months[-g.valid_months]).to_numpy()
    est.fit(
        rows.loc[~valid, feats],
        y[~valid],
        sample_weight=w[~valid],
        eval_set=(rows.loc[valid, feats], y[valid], w[valid]),
    )
    stopping = {
        "rounds": est.best_iteration_,
        "valid_auc": metrics.auc(
            y[valid],
            est.predict_proba(rows.loc[valid, feats])[:, 1],
            w[valid] if weighted else None,
        ),
        "valid_months": [str(m) for m in months[-g.valid_months :]],
    }
    model = est
    if g.refit:
        model = clone(est).set_params(num_boost_round=est.best_iteration_)
        model.fit(rows[feats], y, sample_weight=w)
    return model, stopping


def _cv_rounds(
    est: GbmClassifier, X: pd.DataFrame, y: np.ndarray, w: np.ndarray, folds: list
) -> tuple[int, dict[str, Any]]:
    """Boosting rounds where the mean validation AUC over ``folds`` (``(train, valid)`` row
    positions) peaks, and the summary (rounds, mean and spread of the AUC there, folds)."""
    import lightgbm as lgb

    est._check_params()
    categorical = list(est.categorical_features or [])
    categories = {c: sorted(set(category_keys(X[c]).dropna())) for c in categorical}
    features = list(X.columns)
    monotone = [int((est.monotone or {}).get(f, 0)) for f in features]
    params = lgbm_params(est.params, est.random_state, monotone)
    data = lgb.Dataset(
        encode_frame(X, features, categories, "fit_gbm"),
        label=y,
        weight=w,
        feature_name=features,
        categorical_feature=[features.index(c) for c in categorical],
        free_raw_data=False,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # LightGBM's notes on categorical args
        history = lgb.cv(
            params,
            data,
            num_boost_round=est.num_boost_round,
            folds=folds,
            callbacks=[lgb.early_stopping(est.early_stopping_rounds, verbose=False)],
            seed=est.random_state,
        )
    mean, spread = history["valid auc-mean"], history["valid auc-stdv"]
    best = int(np.argmax(mean))
    return best + 1, {
        "rounds": best + 1,
        "valid_auc": float(mean[best]),
        "valid_auc_std": float(spread[best]),
        "cv_folds": len(folds),
    }


def both_pds(gdev: GbmDevelopment, out_dir: str | Path) -> pd.DataFrame:
    """Target, scorecard PD (``scorecard.json`` in ``out_dir``) and GBM PD of every
    out-of-time row."""
    path = Path(out_dir) / "scorecard.json"
    if not path.is_file():
        raise DataError(
            f"No scorecard at '{path}': run the scorecard notebook first (it writes it)."
        )
    if gdev.test.empty:
        raise DataError("No out-of-time rows to compare the models on. Check the split.")
    target = gdev.cfg.data.target
    return pd.DataFrame(
        {
            target: gdev.test[target].to_numpy(),
            "scorecard": Scorer(path).pd_(gdev.test).to_numpy(),
            "gbm": gdev.scorer.pd_(gdev.test).to_numpy(),
        },
        index=gdev.test.index,
    )


def champion_challenger(
    gdev: GbmDevelopment, out_dir: str | Path
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Scorecard (``scorecard.json`` in ``out_dir``) vs GBM on the same out-of-time rows.

    Returns the comparison table (AUC, Gini, KS, bad rate of the approved and share of bads
    declined at ``gbm.approval_rates``) and the swap-set table at each approval rate.
    """
    cfg = gdev.cfg
    pair = both_pds(gdev, out_dir)
    y = pair[cfg.data.target].to_numpy()
    w = pipeline.row_weights(cfg, gdev.test)
    champion, challenger = pair["scorecard"].to_numpy(), pair["gbm"].to_numpy()
    table = compare_models(y, {"scorecard": champion, "gbm": challenger}, cfg.gbm.approval_rates, w)
    swaps = pd.concat(
        [
            swap_set(y, champion, challenger, rate, names=("scorecard", "gbm")).assign(
                approval_rate=rate
            )
            for rate in cfg.gbm.approval_rates
        ],
        ignore_index=True,
    )
    return table, swaps


def write_gbm(gdev: GbmDevelopment, out_dir: str | Path) -> list[Path]:
    """Write ``gbm.txt`` (LightGBM model text), ``gbm.json``, ``gbm_importance.csv`` and the
    champion/challenger tables, and add the GBM's figures to ``metrics.json``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    text, meta = gdev.model.to_text()
    (out / "gbm.txt").write_text(text if text.endswith("\n") else text + "\n")
    (out / "gbm.json").write_text(meta + "\n")
    gdev.importance().to_csv(out / "gbm_importance.csv", index=False)
    written = [out / "gbm.txt", out / "gbm.json", out / "gbm_importance.csv"]
    summary = dict(gdev.metrics)
    if (out / "scorecard.json").is_file() and not gdev.test.empty:
        table, swaps = champion_challenger(gdev, out)
        table.to_csv(out / "champion_challenger.csv", index=False)
        swaps.to_csv(out / "swap_set.csv", index=False)
        written += [out / "champion_challenger.csv", out / "swap_set.csv"]
    return [*written, merge_metrics(out, "gbm", summary)]
