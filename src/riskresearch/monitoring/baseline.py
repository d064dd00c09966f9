"""The monitoring baseline of a release (``monitoring_baseline.json``).

Built from the release's own scorecard applied to the development window of its config: the
score distribution over fixed score bands (development quantiles), every scorecard feature's
distribution over the scorecard's own bins, each variable's noise floor (how far one
development month's distribution strays from the other development months'), the expected
rates of the target and the early indicators per grade (``strategy.json``'s grades when the
release has one, else development score deciles), the expected discrimination and, with a
fraud model and a warehouse, the fraud model's flag threshold and flagged share.

The stability population is every application the model decides on (``data.filter`` without
its outcome flags, e.g. ``segment = consumer``, declined ones included), so the baseline and a
new month compare the same kind of rows whatever the approval policy did. Performance rows
are those with an observed outcome (the full ``data.filter`` for the target; the maturity flag
for an early indicator).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from riskresearch import textfmt
from riskresearch.atomic import read_json
from riskresearch.config import ModelConfig
from riskresearch.errors import DataError
from riskresearch.metrics import psi
from riskresearch.monitoring._common import (
    BASELINE_FORMAT,
    SCORE,
    dtype_kind,
    month_of,
    scorecard_variables,
)
from riskresearch.monitoring.counts import frame_counts, prepare
from riskresearch.monitoring.signals import fraud_baseline, fraud_scores, with_early_indicators
from riskresearch.monitoring.stats import grade_of, histogram_auc_ks
from riskresearch.pipeline import load_split, read_table, with_target
from riskresearch.scoring import Scorer
from riskresearch.strategy import read_strategy
from riskresearch.tables import filter_mask


def population_filter(cfg: ModelConfig) -> dict[str, Any]:
    """The applications monitored: ``data.filter`` without its outcome flags (the keys of
    ``reject_inference.declined_exempt`` and any ``*_mature`` key)."""
    exempt = set(cfg.reject_inference.declined_exempt)
    return {
        k: v for k, v in cfg.data.filter.items() if k not in exempt and not k.endswith("_mature")
    }


class Baseline:
    """A release's monitoring baseline (a JSON-ready dict plus the scorecard it belongs to).

    Parameters
    ----------
    data : dict
        The content of ``monitoring_baseline.json``.
    scorecard : dict
        The release's ``scorecard.json`` (its sha256 must match ``data["scorecard_sha256"]``).

    Attributes
    ----------
    fraud_scored : tuple or None
        ``(source, scores)`` kept by :func:`~riskresearch.monitoring.release_baseline`: the
        fraud scores of the warehouse's applications and what they were computed from (the
        warehouse file's path, size and modification time, and ``fraud.txt``'s sha256), so
        that :func:`~riskresearch.monitoring.monitor_config` of the same source does not
        compute them again. Not saved; None for a baseline read from a folder.
    """

    def __init__(self, data: dict[str, Any], scorecard: dict[str, Any]):
        self.fraud_scored: tuple[tuple, pd.DataFrame] | None = None
        if data.get("format") != BASELINE_FORMAT:
            raise DataError(
                f"Not a monitoring baseline (format {data.get('format')!r}, expected "
                f"'{BASELINE_FORMAT}'). Rebuild it with riskresearch.monitoring.build_baseline."
            )
        if _sha(scorecard) != data["scorecard_sha256"]:
            raise DataError(
                "The monitoring baseline was built for another scorecard (sha256 differs). "
                "Rebuild the baseline from this release's scorecard.json."
            )
        self.data = data
        self.scorecard = scorecard
        self.scorer = Scorer(scorecard)

    @classmethod
    def read(cls, folder: str | os.PathLike) -> Baseline:
        """The baseline of a release folder (``monitoring_baseline.json`` + ``scorecard.json``)."""
        folder = Path(folder)
        baseline = read_json(
            folder / "monitoring_baseline.json",
            f"'{folder}' has no monitoring_baseline.json. Build the release with notebook "
            "10_monitoring (monitoring.enabled: true), or build_baseline() from its config.",
        )
        scorecard = read_json(
            folder / "scorecard.json", f"'{folder}' has no scorecard.json. Rebuild the release."
        )
        return cls(baseline, scorecard)

    def spec(self, months: list[str | None] | None = None) -> dict[str, Any]:
        """What :func:`~riskresearch.monitoring.counts.partition_counts` needs (picklable)."""
        d = self.data
        return {
            "scorecard": self.scorecard,
            "population": d["population"]["filter"],
            "outcome_filter": d["population"]["outcome_filter"],
            "date_column": d["population"]["date_column"],
            "target": d["population"]["target"],
            "indicators": d["population"]["indicators"],
            "exclude": d["population"].get("exclude", {}),
            "score_edges": d["score"]["edges"],
            "months": months,
        }

    @property
    def grades(self) -> list[dict[str, Any]]:
        return self.data["grades"]["rows"]

    def grades_table(self) -> pd.DataFrame:
        """Grades with their score range, development rows and rate of every outcome."""
        rows = []
        for g in self.grades:
            row = {k: g.get(k) for k in ("grade", "min_score", "max_score", "mean_pd")}
            for outcome, v in g["outcomes"].items():
                row[f"{outcome}_rows"] = v["rows"]
                row[f"{outcome}_rate"] = v["rate"]
            rows.append(row)
        return pd.DataFrame(rows)

    def noise_table(self) -> pd.DataFrame:
        """Noise floor of every variable: each development month's PSI against the others."""
        d = self.data
        rows = []
        for name, v in [(SCORE, d["score"]), *d["features"].items()]:
            values = list(v["noise_by_month"].values())
            rows.append(
                {
                    "variable": name,
                    "bins": len(v["counts"]),
                    "median_month_psi": float(np.median(values)) if values else float("nan"),
                    "noise_floor": v["noise_floor"],
                    "mean_month_rows": v["mean_month_rows"],
                }
            )
        return pd.DataFrame(rows)

    def expected_rates(self) -> dict[str, list]:
        """Development rate of every outcome per grade (None without development rows)."""
        out: dict[str, list] = {}
        for g in self.grades:
            for outcome, v in g["outcomes"].items():
                out.setdefault(outcome, []).append(v["rate"])
        return out


def _sha(scorecard: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(scorecard, sort_keys=True).encode()).hexdigest()


def _distributions(counts: pd.DataFrame, sizes: dict[str, int]) -> dict[str, Any]:
    """Per variable: total counts per bin over the development months and the noise floor
    (each development month's PSI against the other development months)."""
    out: dict[str, Any] = {}
    stab = counts[counts["kind"] == "stability"]
    for variable, g in stab.groupby("variable", sort=True):
        k = sizes[variable]
        table = (
            g.pivot_table(index="month", columns="bin", values="n", aggfunc="sum", fill_value=0)
            .reindex(columns=np.arange(k, dtype=float), fill_value=0)
            .sort_index()
        )
        totals = table.to_numpy().sum(axis=0)
        by_month = {}
        for m, row in table.iterrows():
            rest = totals - row.to_numpy()
            if row.sum() > 0 and rest.sum() > 0:
                by_month[str(m)] = psi(row.to_numpy(), rest)
        out[variable] = {
            "counts": [int(c) for c in totals],
            "noise_by_month": by_month,
            "noise_floor": max(by_month.values()) if by_month else 0.0,
            "mean_month_rows": float(table.to_numpy().sum(axis=1).mean()),
        }
    return out


def _decile_grades(scores: np.ndarray, bands: int = 10) -> list[dict[str, Any]]:
    """Score bands of the development rows' quantiles, best first (``S01`` = highest)."""
    qs = np.unique(np.quantile(scores, np.linspace(0, 1, bands + 1)[1:-1]))
    bounds = [None, *[float(q) for q in qs], None]
    rows = []
    for i in range(len(bounds) - 1):
        rows.append({"min_score": bounds[i], "max_score": bounds[i + 1]})
    rows = rows[::-1]
    for i, r in enumerate(rows, start=1):
        r["grade"] = f"S{i:02d}"
    return rows


def _strategy_grades(strategy: dict[str, Any]) -> list[dict[str, Any]]:
    rows = [
        {
            "grade": g["grade"],
            "min_score": g["min_score"],
            "max_score": g["max_score"],
            "strategy_expected_bad_rate": g.get("expected_bad_rate"),
        }
        for g in strategy["grades"]
    ]
    cut = strategy.get("cutoff")
    if cut is not None:
        d = strategy.get("decline") or {}
        rows.append(
            {
                "grade": "decline",
                "min_score": None,
                "max_score": cut,
                "strategy_expected_bad_rate": d.get("expected_bad_rate"),
            }
        )
    return rows


def build_baseline(
    cfg: ModelConfig,
    scorecard: dict[str, Any] | str | os.PathLike,
    strategy: dict[str, Any] | str | os.PathLike | None = None,
    fraud: Any = None,
    release_metrics: dict[str, Any] | None = None,
    table: pd.DataFrame | None = None,
    fraud_scored: pd.DataFrame | None = None,
) -> Baseline:
    """Build the monitoring baseline of a release from its config's development window.

    Parameters
    ----------
    cfg : ModelConfig
        The release config (its table, filter, target, date column and out-of-time split).
    scorecard : dict or path-like
        The release's ``scorecard.json``.
    strategy : dict or path-like, optional
        ``strategy.json``; its grades become the expected-rate grades (else score deciles).
    fraud : riskresearch.fraud.FraudScorer, optional
        With ``cfg.data.warehouse``: the flag threshold and flagged share of the fraud model.
    release_metrics : dict, optional
        The release's ``metrics.json``: its out-of-time AUC is the expected AUC (else the
        development AUC, which is optimistic).
    table : DataFrame, optional
        The modeling table (default: read ``cfg.data.table``).
    fraud_scored : DataFrame, optional
        :func:`~riskresearch.monitoring.signals.fraud_scores` of ``fraud`` on the warehouse's
        applications, if already computed; else they are computed first, before the table is
        read (their fraud features query is the largest transient memory of the step).

    Returns
    -------
    Baseline
    """

    if not cfg.data.date_column:
        raise DataError(
            "Monitoring needs data.date_column in the config (cohort months). Add the column "
            "that dates each row."
        )
    if not isinstance(scorecard, dict):
        scorecard = json.loads(Path(scorecard).read_text())
    if strategy is not None and not isinstance(strategy, dict):
        strategy = read_strategy(strategy)
    mon = cfg.monitoring
    if fraud is not None and cfg.data.warehouse is not None and fraud_scored is None:
        fraud_scored = fraud_scores(fraud, cfg.data.warehouse)
    if table is None:  # read once: the development window and the monitored rows
        raw = read_table(cfg, encode_target=False)
        train, _ = load_split(cfg, raw)
        df = with_target(raw, cfg)
    else:
        train, _ = load_split(cfg)
        df = table
    date = cfg.data.date_column
    months = month_of(train[date])
    first, last = str(months.min()), str(months.max())
    if cfg.data.warehouse is not None and "dpd30_3m" in mon.early_indicators:
        df = with_early_indicators(df, cfg.data.warehouse)
    pop = population_filter(cfg)
    missing = [c for c in [*pop, date] if c not in df.columns]
    if missing:
        raise DataError(f"The modeling table lacks column(s) {missing} of the config. Fix it.")
    scorer = Scorer(scorecard)
    keep = filter_mask(df, pop)
    m_all = month_of(df[date])
    keep &= ((m_all >= first) & (m_all <= last)).to_numpy()
    ttd = df[keep]
    if ttd.empty:
        raise DataError(
            f"No application of the development window {first}..{last} matches {pop}. Check "
            "data.filter."
        )
    score = scorer.score(prepare(ttd, scorer)).to_numpy()
    edges = [
        float(e)
        for e in np.unique(np.quantile(score, np.linspace(0, 1, mon.score_bands + 1)[1:-1]))
    ]
    indicators = {k: v for k, v in mon.early_indicators.items()}
    population = {
        "filter": pop,
        "outcome_filter": dict(cfg.data.filter),
        "date_column": date,
        "id_column": cfg.data.id_column,
        "target": cfg.data.target,
        "indicators": indicators,
        "exclude": dict(mon.exclude),
    }
    variables = scorecard_variables(scorer)
    data: dict[str, Any] = {
        "format": BASELINE_FORMAT,
        "model": cfg.model,
        "scorecard_sha256": _sha(scorecard),
        "population": population,
        "development": {"first_month": first, "last_month": last, "rows": len(ttd)},
        "thresholds": mon.model_dump(mode="json", exclude={"champion", "monitor_from"}),
    }
    spec = Baseline({**data, "score": {"edges": edges}, "grades": {"rows": []}}, scorecard).spec(
        [first, last]
    )
    counts = frame_counts(ttd, spec)
    sizes = {SCORE: len(edges) + 1, **{key: b.n_bins for key, _, _, b in variables}}
    dists = _distributions(counts, sizes)
    data["development"]["months"] = {
        str(m): int(n)
        for m, n in counts[(counts.kind == "stability") & (counts.variable == SCORE)]
        .groupby("month")["n"]
        .sum()
        .items()
    }
    data["score"] = {"edges": edges, **dists[SCORE]}
    data["features"] = {
        key: {
            "feature": b.name,
            "segment": seg,
            "dtype": b.dtype,
            "column_kind": dtype_kind(ttd[b.name]) if b.name in ttd.columns else None,
            "bins": b.labels,
            **dists[key],
        }
        for key, seg, _, b in variables
    }
    perf = counts[counts["kind"] == "performance"]
    target_rows = perf[perf["variable"] == cfg.data.target]
    if strategy is not None:
        grades, source = _strategy_grades(strategy), "strategy.json"
    else:
        if target_rows.empty:
            raise DataError(
                f"The development window has no row with an observed '{cfg.data.target}'; no "
                "expected rates can be set."
            )
        scores = np.repeat(target_rows["bin"].to_numpy(), target_rows["n"].to_numpy())
        grades, source = _decile_grades(scores, mon.score_bands), "development score deciles"
    for g in grades:
        g["outcomes"] = {}
    for outcome, rows in perf.groupby("variable", sort=True):
        idx = grade_of(rows["bin"], grades)
        for i, g in enumerate(grades):
            sel = idx == i
            n, ev = int(rows["n"][sel].sum()), int(rows["events"][sel].sum())
            g["outcomes"][outcome] = {"rows": n, "events": ev, "rate": ev / n if n else None}
    for g in grades:
        sel = grade_of(target_rows["bin"], grades) == grades.index(g)
        n = target_rows["n"][sel].to_numpy()
        pdv = scorer.pd_from_score(target_rows["bin"][sel].to_numpy())
        g["mean_pd"] = float((n * pdv).sum() / n.sum()) if n.sum() else None
    data["grades"] = {"source": source, "rows": grades}
    auc, ks = histogram_auc_ks(target_rows["bin"], target_rows["n"], target_rows["events"])
    test = (release_metrics or {}).get("test")
    data["discrimination"] = {
        "development_auc": auc,
        "development_ks": ks,
        "expected_auc": test["auc"] if test else auc,
        "source": "release out-of-time AUC (metrics.json)" if test else "development AUC",
    }
    data["fraud"] = None
    if fraud is not None and cfg.data.warehouse is not None:
        data["fraud"] = fraud_baseline(
            fraud_scored,
            cfg.data.warehouse,
            ttd,
            cfg.data.id_column,
            strategy,
            mon.fraud_review_rate,
        )
    return Baseline(data, scorecard)


def write_baseline(baseline: Baseline, out_dir: str | os.PathLike) -> Path:
    """Write ``monitoring_baseline.json``: sorted keys, floats at the fixed precision of
    :mod:`riskresearch.textfmt` (NaN as null), so it is byte-reproducible."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    return textfmt.write_json(
        out / "monitoring_baseline.json", baseline.data, sort_keys=True, nonfinite="null"
    )
