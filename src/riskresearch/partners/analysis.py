"""The whole analysis, its evaluation against the simulator and its artifacts."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from riskresearch.config import PartnersConfig
from riskresearch.errors import ConfigError
from riskresearch.partners._common import ACTIONS, check_frame, partners_config
from riskresearch.partners.data import load_partner_data
from riskresearch.partners.monitoring import flag_partners, monitor
from riskresearch.partners.qualification import qualify
from riskresearch.partners.service import service_quality, service_trend
from riskresearch.partners.stats import expected_pd
from riskresearch.partners.weights import LearnedWeights, learn_weights
from riskresearch.textfmt import PARTNERS_CSV_DIGITS, write_csv, write_json


@dataclass
class PartnerAnalysis:
    """Everything :func:`analyse` computes (tables are DataFrames).

    ``qualification`` scores every partner with the config's weights (``score``,
    ``decision``) and with the weights learned from the outcomes (``score_learned``,
    ``decision_learned``; the config's when there are too few partners, see ``weights``);
    ``service`` and ``service_trend`` are :func:`service_quality` and :func:`service_trend`.
    """

    qualification: pd.DataFrame
    monthly: pd.DataFrame
    summary: pd.DataFrame
    flags: pd.DataFrame
    params: dict[str, Any] = field(default_factory=dict)
    weights: LearnedWeights | None = None
    service: pd.DataFrame | None = None
    service_trend: pd.DataFrame | None = None

    @property
    def metrics(self) -> dict[str, Any]:
        counts = self.flags["action"].value_counts()
        dec = self.qualification["decision"].value_counts()
        out = {
            "partners": len(self.flags),
            "actions": {a: int(counts.get(a, 0)) for a in ACTIONS},
            "qualification": {d: int(dec.get(d, 0)) for d in ("approve", "review", "decline")},
            "flagged": [int(p) for p in self.flags.loc[self.flags["severity"] >= 2, "partner_id"]],
        }
        if self.weights is not None:
            w = self.weights
            out["weights"] = {
                "source": w.source,
                "reason": w.reason,
                "partners": w.partners,
                "bad": w.bad,
                "weights": {k: round(float(v), 6) for k, v in w.weights.items()},
            }
        if self.service_trend is not None:
            worse = self.service_trend[self.service_trend["worse"] != ""]
            out["service_worse"] = [int(p) for p in worse["partner_id"]]
        return out


def analyse(
    db: str | os.PathLike,
    table: str | os.PathLike | pd.DataFrame | None = None,
    scorecard=None,
    config: PartnersConfig | None = None,
    as_of=None,
    seed: int = 0,
    pd_filter: dict | None = None,
    encoding: str | None = None,
) -> PartnerAnalysis:
    """Qualify and monitor every partner of a warehouse, and flag them.

    Parameters
    ----------
    db : path-like
        The warehouse (``partners``, ``orders``, ``installments``; the oracle is not read).
    table : path-like or DataFrame, optional
        The modeling table (built in memory from ``db`` when omitted).
    scorecard : dict, str, Path or Scorer, optional
        The release scorecard for the expected rates (``out_dir/scorecard.json``); without it
        the expectation is the portfolio's per month and segment.
    config : PartnersConfig, optional
        ``cfg.partners``.
    pd_filter : dict, optional
        Rows the scorecard scores (default ``config.pd_filter``, else every row).
    encoding : str, optional
        Text encoding of a CSV ``table`` (default UTF-8; ``gb18030`` for GBK from Excel).

    Examples
    --------
    >>> an = analyse("data/leasing.duckdb", "data/modeling_table.parquet",
    ...              "scorecards/consumer/1.0.0/scorecard.json")  # doctest: +SKIP
    >>> an.flags.head()  # doctest: +SKIP
    """
    cfg = partners_config(config)
    partners, apps, as_of = load_partner_data(db, table, as_of, encoding)
    pd_col = None
    if scorecard is not None:
        apps = apps.assign(
            pd_neutral=expected_pd(
                apps, scorecard, cfg.neutral_features, pd_filter or cfg.pd_filter
            )
        )
        pd_col = "pd_neutral"
    monthly, summary = monitor(apps, pd_col, cfg, seed=seed)
    qual = qualify(partners, cfg, performance=summary)
    flags = flag_partners(summary, qual, cfg)
    weights = None
    if cfg.score:
        weights = learn_weights(partners, summary, cfg)
        learned = qualify(partners, cfg, performance=summary, weights=weights.weights)
        qual = qual.assign(
            score_learned=learned["score"].to_numpy(),
            decision_learned=learned["decision"].to_numpy(),
        )
    service = service_quality(db, as_of)
    trend = service_trend(service, partners)
    params = {
        "as_of": as_of.isoformat(),
        "expected": "scorecard PD (partner at WoE 0), recalibrated per cohort month"
        if pd_col
        else "portfolio rate per cohort month and segment",
        "config": cfg.model_dump(mode="json"),
    }
    return PartnerAnalysis(qual, monthly, summary, flags, params, weights, service, trend)


def pd_rows(data_filter: dict, config: PartnersConfig | None = None) -> dict:
    """The rows a release's scorecard scores: ``config.pd_filter``, else the release's
    ``data.filter`` without its ``*_mature`` keys (the scorecard's population)."""
    cfg = partners_config(config)
    if cfg.pd_filter is not None:
        return dict(cfg.pd_filter)
    return {k: v for k, v in (data_filter or {}).items() if not k.endswith("_mature")}


def analyse_release(cfg, out_dir: str | os.PathLike) -> PartnerAnalysis:
    """:func:`analyse` as a release runs it (notebook 09).

    Reads ``cfg.data.warehouse`` and ``cfg.data.table``; the expected rates come from the
    scorecard notebook 03 wrote to ``out_dir/scorecard.json`` (the portfolio rate when it is
    not there), on the rows of ``cfg.partners.pd_filter`` (default: ``cfg.data.filter``
    without its ``*_mature`` keys).
    """
    if cfg.data.warehouse is None:
        raise ConfigError(
            "Partner monitoring needs the raw tables: set 'data.warehouse' in the config (or "
            "partners.enabled: false)."
        )
    card = Path(out_dir) / "scorecard.json"
    where = pd_rows(cfg.data.filter, cfg.partners)
    return analyse(
        cfg.data.warehouse,
        cfg.data.table,
        card if card.is_file() else None,
        cfg.partners,
        seed=cfg.seed,
        pd_filter=where,
        encoding=cfg.data.encoding,
    )


def detection(
    flags: pd.DataFrame,
    truth: pd.DataFrame,
    actions=("restrict", "suspend"),
    worst_share: float = 0.1,
) -> dict[str, Any]:
    """Precision and recall of the flags against the simulator's hidden partner quality.

    The *worst decile* are the ``ceil(worst_share * n)`` partners of highest
    ``hidden_quality``; *good* partners are all the others. ``bad`` partners (hidden quality
    above 0.5, or of the worse new channel) are the simulator's degraded ones.
    """
    check_frame(flags, ["partner_id", "action"], "The flags")
    check_frame(truth, ["partner_id", "hidden_quality", "worse_new_channel"], "The oracle table")
    t = truth.merge(flags[["partner_id", "action"]], on="partner_id", how="left")
    flagged = t["action"].isin(actions).to_numpy()
    k = math.ceil(worst_share * len(t))
    worst = np.zeros(len(t), dtype=bool)
    worst[np.argsort(-t["hidden_quality"].to_numpy(), kind="stable")[:k]] = True
    bad = (t["hidden_quality"] > 0.5).to_numpy() | t["worse_new_channel"].astype(bool).to_numpy()
    new = t["worse_new_channel"].astype(bool).to_numpy()
    n_flag = int(flagged.sum())

    def share(a, b):
        return float(a.sum() / b.sum()) if b.sum() else float("nan")

    return {
        "actions": list(actions),
        "partners": len(t),
        "flagged": n_flag,
        "worst_decile": int(k),
        "recall_worst": share(flagged & worst, worst),
        "good_flagged_rate": share(flagged & ~worst, ~worst),
        "precision_worst": share(flagged & worst, flagged),
        "bad": int(bad.sum()),
        "recall_bad": share(flagged & bad, bad),
        "precision_bad": share(flagged & bad, flagged),
        "not_bad_flagged_rate": share(flagged & ~bad, ~bad),
        "recall_new_channel": share(flagged & new, new),
    }


def write_partners(
    out_dir: str | os.PathLike, analysis: PartnerAnalysis, detection: dict | None = None
) -> list[Path]:
    """Write the release artifacts: ``partners.csv`` (ranked flags with the key figures),
    ``partners.json`` (metrics, the config used and, on simulated data, ``detection``),
    ``partner_summary.csv``, ``partner_months.csv``, ``partner_qualification.csv``,
    ``partner_weights.csv`` (hand-set and learned qualification weights),
    ``partner_service.csv`` (service events per partner and month) and
    ``partner_service_trend.csv``."""
    if not isinstance(analysis, PartnerAnalysis):
        raise ConfigError(
            "The 'analysis' parameter of write_partners must be a PartnerAnalysis from analyse. "
            f"Got {type(analysis).__name__} instead."
        )
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            f"Cannot create the folder '{out}': {exc.strerror or exc}. Choose a writable path."
        ) from None
    tables = {
        "partners.csv": analysis.flags,
        "partner_summary.csv": analysis.summary,
        "partner_months.csv": analysis.monthly,
        "partner_qualification.csv": analysis.qualification,
        "partner_weights.csv": analysis.weights.table if analysis.weights else None,
        "partner_service.csv": analysis.service,
        "partner_service_trend.csv": analysis.service_trend,
    }
    files = []
    for name, frame in tables.items():
        if frame is None:
            continue
        if name == "partners.csv":  # a model artifact: the fixed precision of riskresearch.textfmt
            write_csv(frame, out / name, digits=PARTNERS_CSV_DIGITS)
        else:
            frame.to_csv(out / name, index=False, float_format="%.6g", lineterminator="\n")
        files.append(out / name)
    doc = {**analysis.metrics, "params": analysis.params}
    if detection is not None:
        doc["detection"] = detection
    write_json(out / "partners.json", doc, indent=2, sort_keys=True, nonfinite="null")
    files.append(out / "partners.json")
    return sorted(files)
