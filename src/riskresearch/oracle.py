"""The simulator's truth: the one module that reads it, for evaluation only.

The simulated warehouse keeps what no real platform knows apart from the raw tables:
``oracle_applications`` (each application's true default probability, realised default and
true fraud) and ``oracle_partners``. They measure how close models come to the best
achievable. Only evaluation code calls this module: notebooks, the report, benchmarks and the
evaluation functions of :mod:`riskresearch.reject_inference`. Nothing that fits a model,
builds a feature or takes a decision imports it (``tests/test_architecture.py`` checks).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from riskresearch import metrics
from riskresearch.config import ModelConfig
from riskresearch.db import connect
from riskresearch.errors import DataError

#: What each column of ``oracle_applications`` is read as.
APPLICATION_COLUMNS = {
    "application_id": "application_id",
    "true_pd": "true_pd",
    "true_bad": "CAST(true_bad AS INTEGER) AS true_bad",
    "true_fraud": "CAST(true_fraud AS INTEGER) AS true_fraud",
    "fraud_type": "fraud_type",
}

__all__ = [
    "APPLICATION_COLUMNS",
    "compare",
    "fraud_truth",
    "gbm_summary",
    "has_partner_truth",
    "partners",
    "read_applications",
    "record",
    "scorecard_summary",
    "true_fraud",
]


def read_applications(
    db: str | os.PathLike, columns: Sequence[str] = ("application_id", "true_pd")
) -> pd.DataFrame:
    """``columns`` of the simulator's ``oracle_applications`` (in application order).

    ``true_bad`` and ``true_fraud`` come back as 0/1 integers.
    """
    unknown = [c for c in columns if c not in APPLICATION_COLUMNS]
    if unknown:
        raise DataError(
            f"oracle_applications has no column(s) {unknown}. Use {list(APPLICATION_COLUMNS)}."
        )
    select = ", ".join(APPLICATION_COLUMNS[c] for c in columns)
    con = connect(db)
    try:
        return con.sql(f"SELECT {select} FROM oracle_applications ORDER BY application_id").df()
    finally:
        con.close()


def true_fraud(db: str | os.PathLike) -> pd.DataFrame:
    """The simulator's true fraud: ``application_id``, ``true_fraud`` (0/1), ``fraud_type``."""
    return read_applications(db, ("application_id", "true_fraud", "fraud_type"))


def fraud_truth(cfg: ModelConfig) -> pd.DataFrame | None:
    """:func:`true_fraud` of ``data.oracle``, or None on real data (no oracle): what
    :func:`riskresearch.fraud.develop_fraud` measures against."""
    return None if cfg.data.oracle is None else true_fraud(cfg.data.oracle)


def partners(db: str | os.PathLike) -> pd.DataFrame:
    """The simulator's hidden partner truth (``oracle_partners``; never used to flag)."""
    con = connect(db)
    try:
        return con.execute("SELECT * FROM oracle_partners ORDER BY partner_id").df()
    finally:
        con.close()


def has_partner_truth(db: str | os.PathLike) -> bool:
    """Whether a warehouse holds the simulator's ``oracle_partners`` table (simulated data)."""
    con = connect(db)
    try:
        sql = "SELECT count(*) FROM information_schema.tables WHERE table_name = ?"
        return bool(con.execute(sql, ["oracle_partners"]).fetchall()[0][0])
    finally:
        con.close()


def compare(cfg: ModelConfig, rows: pd.DataFrame, pd_values) -> dict[str, Any] | None:
    """A model's AUC on ``rows`` next to the AUC of the simulator's true PD on the same rows.

    None when the config names no oracle (real data) or there are no rows.
    """
    if cfg.data.oracle is None or rows.empty:
        return None
    truth = read_applications(cfg.data.oracle)
    id_col = cfg.data.id_column
    if not id_col or id_col not in rows.columns:
        raise DataError(
            "Comparing with the oracle needs data.id_column (the application id) in the table."
        )
    joined = rows[[id_col, cfg.data.target]].assign(model_pd=np.asarray(pd_values, dtype=float))
    joined = joined.merge(truth, left_on=id_col, right_on="application_id", how="inner")
    y = joined[cfg.data.target].to_numpy()
    oracle_auc = metrics.auc(y, joined.true_pd.to_numpy())
    model_auc = metrics.auc(y, joined.model_pd.to_numpy())
    return {
        "oracle_auc": oracle_auc,
        "model_auc": model_auc,
        "ratio": model_auc / oracle_auc,
        "rows": len(joined),
    }


def scorecard_summary(dev) -> dict[str, Any] | None:
    """The scorecard's out-of-time AUC next to the oracle's (a
    :class:`riskresearch.development.Development`; None on real data)."""
    if dev.test.empty:
        return None
    return compare(dev.cfg, dev.test, dev.scorer.pd_(dev.test).to_numpy())


def gbm_summary(gdev) -> dict[str, Any] | None:
    """The GBM's out-of-time AUC next to the oracle's (a
    :class:`riskresearch.gbm_development.GbmDevelopment`; None on real data)."""
    if gdev.test.empty:
        return None
    return compare(gdev.cfg, gdev.test, gdev.scorer.pd_(gdev.test).to_numpy())


def record(summary: dict[str, Any] | None, out_dir: str | os.PathLike, *keys: str) -> Path | None:
    """Write ``summary`` under ``keys`` + ``"oracle"`` of ``out_dir/metrics.json`` (the other
    keys kept); nothing when ``summary`` is None.

    ``record(scorecard_summary(dev), out)`` after :func:`riskresearch.development.
    write_scorecard` and ``record(gbm_summary(gdev), out, "gbm")`` after
    :func:`riskresearch.gbm_development.write_gbm`.
    """
    if summary is None:
        return None
    path = Path(out_dir) / "metrics.json"
    everything = json.loads(path.read_text()) if path.is_file() else {}
    node = everything
    for key in keys:
        node = node.setdefault(key, {})
    node["oracle"] = summary
    path.write_text(json.dumps(everything, indent=1, sort_keys=True) + "\n")
    return path
