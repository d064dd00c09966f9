"""Developing the fraud model from a release config, and its release artifacts."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from riskresearch.atomic import merge_metrics
from riskresearch.errors import ConfigError
from riskresearch.fraud.features import (
    APPLICATION_FEATURES,
    fraud_features,
    fraud_metrics,
    split_out_of_time,
)
from riskresearch.fraud.model import FraudAnomaly, FraudModel, write_fraud_model


# ------------------------------------------------------------------------------------------
# from a config (what the fraud notebook calls)
# ------------------------------------------------------------------------------------------
@dataclass
class FraudDevelopment:
    """The config's fraud model, its out-of-time rows and the method comparison.

    Attributes
    ----------
    model : FraudModel
        Fitted on the earlier months' leases (label: fraud confirmed by the as-of date) with
        the application-time features, so the decision engine can score it before approval.
    test : DataFrame
        Every application of the last ``fraud.test_months`` months, with ``fraud_score`` and
        ``truth`` (the oracle's true fraud on simulated data, else confirmed fraud).
    comparison : DataFrame
        One row per method (plus an IsolationForest alone): PR-AUC, recall at each review
        rate, precision of the top 100.
    """

    cfg: Any
    model: FraudModel
    test: pd.DataFrame
    comparison: pd.DataFrame
    truth: str
    metrics: dict[str, Any] = field(default_factory=dict)


def develop_fraud(cfg, truth: pd.DataFrame | None = None) -> FraudDevelopment:
    """Fit ``cfg.fraud.method`` and compare it with the other methods, out of time.

    Parameters
    ----------
    cfg : ModelConfig
    truth : DataFrame, optional
        ``application_id`` and ``true_fraud`` (0/1): the simulator's truth the comparison is
        measured against, ``riskresearch.oracle.fraud_truth(cfg)``; it never reaches a fit.
        None (real data): confirmed fraud on the rows whose label has matured.
    """
    f = cfg.fraud
    if cfg.data.warehouse is None:
        raise ConfigError(
            "The fraud model needs data.warehouse (the DuckDB warehouse with the raw tables). "
            "Set it, or disable the model with fraud.enabled: false."
        )
    frame = fraud_features(cfg.data.warehouse)
    train, test = split_out_of_time(frame, f.test_months)
    if truth is not None:  # simulated data: measure against the hidden truth
        known = test[["application_id"]].merge(truth, how="left")
        test = test.assign(truth=known["true_fraud"].fillna(0).to_numpy(dtype=int))
        label = "true fraud (simulator oracle)"
    else:  # real data: confirmed fraud, counted only where the label has matured
        test = test[test["fraud_mature"].to_numpy(dtype=bool)].reset_index(drop=True)
        test = test.assign(truth=test["fraud"].astype(int).to_numpy())
        label = "confirmed fraud (mature rows)"
    y = train["fraud"].astype(int).to_numpy()
    feats = list(APPLICATION_FEATURES)
    rows, scores = [], {}
    for method in dict.fromkeys([f.method, *f.compare]):
        model = FraudModel(
            method=method,
            features=feats,
            num_boost_round=f.num_boost_round,
            random_state=cfg.seed,
        )
        model.fit(train[feats], y)
        scores[method] = model.fraud_score(test[feats])
        if method == f.method:
            chosen = model
    history = frame[frame["application_month"] < test["application_month"].min()]
    forest = FraudAnomaly(features=feats, random_state=cfg.seed).fit(history)
    scores["isolation_forest"] = forest.anomaly_score(test)
    truth_y = test["truth"].to_numpy()
    for name, score in scores.items():
        rows.append({"method": name, **fraud_metrics(truth_y, score, rates=f.review_rates)})
    comparison = pd.DataFrame(rows)
    test = test.assign(fraud_score=scores[f.method])
    chosen_row = comparison.set_index("method").loc[f.method].to_dict()
    summary = {
        "method": f.method,
        "truth": label,
        "train_rows": len(train),
        "train_confirmed_fraud": int(y.sum()),
        "test_rows": len(test),
        **{k: float(v) for k, v in chosen_row.items()},
    }
    return FraudDevelopment(cfg, chosen, test, comparison, label, summary)


def write_fraud(fdev: FraudDevelopment, out_dir: str | os.PathLike) -> list[Path]:
    """Write ``fraud.txt``, ``fraud.json``, ``fraud_methods.csv`` and add the figures to
    ``metrics.json``."""
    out = Path(out_dir)
    written = write_fraud_model(fdev.model, out)
    fdev.comparison.to_csv(out / "fraud_methods.csv", index=False)
    return [*written, out / "fraud_methods.csv", merge_metrics(out, "fraud", fdev.metrics)]
