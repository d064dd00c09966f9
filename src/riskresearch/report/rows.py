"""The rows behind the document's figures, recomputed in the report step from the config's
data and the release's model artifacts (never from notebook output).

:func:`score_samples` scores the development and test rows with ``scorecard.json`` (and
``gbm.txt`` / ``gbm.json`` when the release has them); :func:`coefficients` rebuilds the
design the scorecard's logistic regression was fitted on and returns its coefficients with
standard errors.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from riskresearch import development, metrics, pipeline, reject_inference
from riskresearch.config import ModelConfig
from riskresearch.gbm import GbmScorer
from riskresearch.messages import t
from riskresearch.report import stats
from riskresearch.scoring import SEGMENTED_FORMAT, Scorer


@dataclass
class Sample:
    """One sample (development or test): target, score, PD and segment of every row."""

    name: str
    frame: pd.DataFrame
    y: np.ndarray
    score: np.ndarray
    pd: np.ndarray
    weight: np.ndarray | None
    segment: pd.Series
    gbm_pd: np.ndarray | None = None
    month: pd.Series | None = None

    def __len__(self) -> int:
        return len(self.y)

    @property
    def both_classes(self) -> bool:
        return 0 < int(self.y.sum()) < len(self.y)


@dataclass
class Samples:
    """The scored development and test rows and the models that scored them."""

    development: Sample
    test: Sample
    scorer: Scorer
    gbm: Any = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __iter__(self):
        return iter((self.development, self.test))


def score_samples(cfg: ModelConfig, folder: Path) -> Samples:
    """Load the config's split and score both samples with the release's models."""
    train, test = development.load_split(cfg)
    scorer = Scorer(folder / "scorecard.json")
    gbm = None
    if (folder / "gbm.txt").is_file() and (folder / "gbm.json").is_file():
        gbm = GbmScorer((folder / "gbm.txt").read_text(), (folder / "gbm.json").read_text())
    out = []
    for name, frame in (("development", train), (development.test_name(cfg), test)):
        segment = (
            Scorer.assign_segments(frame, scorer.segments)
            if len(scorer.segments) > 1
            else pd.Series("all", index=frame.index)
        )
        col = cfg.data.date_column
        out.append(
            Sample(
                name=name,
                frame=frame,
                y=frame[cfg.data.target].to_numpy(dtype=np.int64),
                score=scorer.score(frame).to_numpy(dtype=float),
                pd=scorer.pd_(frame).to_numpy(dtype=float),
                weight=pipeline.row_weights(cfg, frame),
                segment=segment,
                gbm_pd=gbm.pd_(frame).to_numpy(dtype=float) if gbm is not None else None,
                month=frame[col].dt.to_period("M").dt.to_timestamp() if col else None,
            )
        )
    return Samples(out[0], out[1], scorer, gbm)


def headline(sample: Sample, seed: int) -> dict[str, tuple[float, float, float]]:
    """AUC and Gini (DeLong 95% interval) and KS (bootstrap 95% interval) of a sample."""
    if not sample.both_classes:
        nan = (float("nan"),) * 3
        return {"auc": nan, "gini": nan, "ks": nan}
    if sample.weight is None:
        auc = stats.auc_interval(sample.y, sample.pd)
    else:  # weighted rows: the interval of the weighted AUC by bootstrap
        auc = _weighted_auc_interval(sample, seed)
    gini = tuple(2 * v - 1 for v in auc)
    return {"auc": auc, "gini": gini, "ks": stats.ks_interval(sample.y, sample.pd, seed)}


def _weighted_auc_interval(sample: Sample, seed: int) -> tuple[float, float, float]:

    est = metrics.auc(sample.y, sample.pd, sample_weight=sample.weight)
    rng = np.random.default_rng(seed)
    draws = []
    for _ in range(200):
        i = rng.integers(0, len(sample), len(sample))
        if 0 < sample.y[i].sum() < len(i):
            draws.append(metrics.auc(sample.y[i], sample.pd[i], sample_weight=sample.weight[i]))
    lo, hi = np.quantile(draws, [0.025, 0.975])
    return est, float(lo), float(hi)


@dataclass
class Coefficients:
    """Coefficients with standard errors of one scorecard (one per segment)."""

    segment: str | None
    table: pd.DataFrame
    rows: float
    note: str


def _cards(model: dict[str, Any]) -> list[tuple[str | None, dict[str, Any], dict[str, Any]]]:
    if model.get("format") == SEGMENTED_FORMAT:
        return [(s["name"], s["when"], s["scorecard"]) for s in model["segments"]]
    return [(None, {}, model)]


def fitted_sample(
    cfg: ModelConfig, folder: Path, train: pd.DataFrame, test: pd.DataFrame
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray | None, str]:
    """The rows, target and weights the scorecard's regression was fitted on, and what they
    are in words: the development rows, or with reject inference the augmented sample rebuilt
    as notebook 03 built it (accepts-only scorecard on the reviewed binning, then the
    config's method)."""
    target = cfg.data.target
    if not cfg.reject_inference.applies("scorecard"):
        w = pipeline.row_weights(cfg, train)
        return train, train[target].to_numpy(dtype=np.int64), w, _fitted_on(cfg)

    sample = reject_inference.reject_sample(
        cfg, train, test, binner=development.load_binning(cfg, folder)
    )
    rows = sample.data
    return (
        rows,
        rows[target].to_numpy(dtype=np.int64),
        rows[reject_inference.WEIGHT].to_numpy(dtype=float),
        _fitted_on(cfg),
    )


def _fitted_on(cfg: ModelConfig) -> str:
    """What the scorecard's regression was fitted on, in words."""
    if cfg.reject_inference.applies("scorecard"):
        return t("model.fitted_augmented", method=cfg.reject_inference.method)
    return t("model.fitted_development")


def coefficients(cfg: ModelConfig, folder: Path, samples: Samples) -> list[Coefficients]:
    """Coefficients of every scorecard of the release with their standard errors.

    Notebook 03 writes them (``coefficients.csv``) from the rows the regression was fitted
    on. A release built before it did has them recomputed here on the fitted sample rebuilt
    as notebook 03 built it (:func:`fitted_sample`); when that sample's weighted row count
    differs from the bins' counts (it could not be rebuilt as it was), the standard errors
    are left out and the note says so.
    """
    path = folder / "coefficients.csv"
    if path.is_file():
        numbers = ("coefficient", "std_error", "z", "p_value", "ci_low", "ci_high", "rows")
        table = pd.read_csv(  # segment and feature names stay text, even "NA" or ""
            path,
            dtype={"segment": str, "term": str},
            keep_default_na=False,
            na_values={c: [""] for c in numbers},
        )
        return [
            Coefficients(
                name or None,
                part.drop(columns=["segment", "rows"]).reset_index(drop=True),
                float(part["rows"].iloc[0]),
                _fitted_on(cfg),
            )
            for name, part in table.groupby("segment", sort=False)
        ]
    model = json.loads((folder / "scorecard.json").read_text())
    rows, _, w, what = fitted_sample(cfg, folder, samples.development.frame, samples.test.frame)
    table = development.coefficient_table(model, rows, w)
    out = []
    for name, _, card in _cards(model):
        part = table[table["segment"] == (name or "")]
        weight = float(part["rows"].iloc[0])
        part = part.drop(columns=["segment", "rows"]).reset_index(drop=True)
        first = card["features"][next(iter(card["features"]))]
        counted = sum(b["good"] + b["bad"] for b in first["bins"])  # what the bins counted
        note = what
        if not np.isclose(counted, weight, rtol=1e-6):
            part[["std_error", "z", "p_value", "ci_low", "ci_high"]] = np.nan
            note = t(
                "model.fitted_mismatch",
                what=what,
                rebuilt=f"{weight:,.0f}",
                counted=f"{counted:,.0f}",
            )
        out.append(Coefficients(name, part, weight, note))
    return out
