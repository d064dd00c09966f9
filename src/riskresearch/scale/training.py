"""LightGBM trained on Dask (``lightgbm.dask``) from the same factory and config as
:mod:`riskresearch.gbm`, returned in the release's text format."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from riskresearch.errors import ConfigError
from riskresearch.gbm import GBM_FORMAT, GbmScorer, encode_frame, lgbm_params
from riskresearch.gbm_development import gbm_features
from riskresearch.textfmt import json_text
from riskresearch.woe import category_keys, check_columns


@dataclass
class DaskGbm:
    """A LightGBM model trained on Dask, in the release's text format.

    Attributes
    ----------
    model_text : str
        LightGBM model text (what ``gbm.txt`` holds).
    meta : dict
        Feature order and categories (what ``gbm.json`` holds).
    scorer : riskresearch.gbm.GbmScorer
        Built from the two: scores pandas frames exactly like a release's GBM.
    """

    model_text: str
    meta: dict[str, Any]
    scorer: Any

    def to_text(self) -> tuple[str, str]:
        """``(gbm.txt, gbm.json)`` contents, as ``GbmClassifier.to_text`` gives them."""

        return self.model_text, json_text(self.meta, sort_keys=True)


def _quiet_lightgbm() -> None:
    import logging

    import lightgbm as lgb

    lgb.register_logger(logging.getLogger("riskresearch.lightgbm"))


def _encode_partition(part: pd.DataFrame, features, categories) -> np.ndarray:

    return encode_frame(part, features, categories, "train_gbm")


def train_gbm(
    cfg,
    frame,
    dask_client,
    num_boost_round: int | None = None,
    monotone: Mapping[str, int] | None = None,
    features: list[str] | None = None,
):
    """Fit the config's LightGBM on a ``dask.dataframe`` with ``lightgbm.dask``.

    The parameters come from :func:`riskresearch.gbm.lgbm_params` (the config's ``gbm.params``,
    its seed, determinism); the features and categorical features are the pandas path's
    (:func:`riskresearch.gbm.gbm_features`), categories are coded the same way (sorted
    categories seen in training), and the config's ``data.filter`` selects the rows. Distributed
    LightGBM has no early stopping: it fits ``num_boost_round`` rounds (default the config's
    ``gbm.num_boost_round``); take the number from a pandas fit's early stopping on a sample.
    Each worker's partitions form its share of the data, so the model is close to, not
    bit-identical with, the single-machine model.

    Parameters
    ----------
    cfg : ModelConfig
    frame : dask.dataframe.DataFrame
        The modeling table (development rows), with the target column.
    dask_client : distributed.Client
    num_boost_round : int, optional
    monotone : dict, optional
        ``{feature: -1 | 0 | 1}``, e.g. :func:`riskresearch.gbm.monotone_from_bins`.
    features : list of str, optional
        Default: :func:`riskresearch.gbm.gbm_features` on the frame's columns.

    Returns
    -------
    DaskGbm
    """
    import lightgbm as lgb
    from lightgbm.dask import DaskLGBMClassifier

    target = cfg.data.target
    check_columns(frame._meta, [target, *cfg.data.filter], "train_gbm")
    for col, value in cfg.data.filter.items():
        frame = frame[frame[col] == value]
    if features is None:
        features, categorical = gbm_features(cfg, frame._meta)
    else:
        check_columns(frame._meta, features, "train_gbm")
        categorical = [
            f
            for f in features
            if not pd.api.types.is_numeric_dtype(frame._meta[f]) and frame._meta[f].dtype != bool
        ]
    unknown = sorted(set(monotone or {}) - set(features))
    if unknown:
        raise ConfigError(f"The 'monotone' mapping names unknown feature(s) {unknown}.")
    # categories: one small distributed reduction per categorical column
    import dask

    uniques = dask.compute(
        *[
            frame[c].map_partitions(category_keys, meta=(c, object)).dropna().unique()
            for c in categorical
        ],
        **({"scheduler": dask_client} if dask_client is not None else {}),
    )
    categories = {c: sorted(set(u)) for c, u in zip(categorical, uniques)}
    cols = list(dict.fromkeys([*features, target]))
    frame = frame[cols]
    X = frame.map_partitions(
        _encode_partition,
        features,
        categories,
        meta=np.empty((0, len(features)), dtype=np.float64),
    )
    y = frame[target].astype("int64")
    n_workers = max(len(dask_client.scheduler_info()["workers"]), 1)
    threads = next(iter(dask_client.nthreads().values()), 1)
    monotone_list = [int((monotone or {}).get(f, 0)) for f in features]
    params = lgbm_params(cfg.gbm.params, cfg.seed, monotone_list)
    # each worker uses its own threads (num_threads of the config is per machine)
    params["num_threads"] = int(threads)
    params.pop("metric", None)
    rounds = int(num_boost_round or cfg.gbm.num_boost_round)
    X = X.to_dask_array(lengths=True) if hasattr(X, "to_dask_array") else X
    y = y.to_dask_array(lengths=True)
    X, y = X.persist(), y.persist()
    dask_client.run(_quiet_lightgbm)  # LightGBM's Python side prints unless given a logger
    _quiet_lightgbm()
    model = DaskLGBMClassifier(client=dask_client, n_estimators=rounds, **params)
    with warnings.catch_warnings(), dask_client.as_current():
        warnings.simplefilter("ignore", UserWarning)
        model.fit(
            X,
            y,
            feature_name=features,
            categorical_feature=[features.index(c) for c in categorical],
        )
    booster: lgb.Booster = model.booster_
    meta = {
        "format": GBM_FORMAT,
        "features": features,
        "categories": categories,
        "best_iteration": int(booster.current_iteration()),
        "monotone": {f: int(c) for f, c in (monotone or {}).items() if c},
        "trained_on": f"dask ({n_workers} workers)",
    }
    text = booster.model_to_string()
    return DaskGbm(text, meta, GbmScorer(text, meta))
