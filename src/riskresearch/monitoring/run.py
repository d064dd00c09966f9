"""Entry points: monitoring inside a release build (notebook 10) and on a release folder (CLI)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd

from riskresearch import pipeline
from riskresearch.config import ModelConfig
from riskresearch.errors import ConfigError, DataError
from riskresearch.features import connect, modeling_frame, warehouse_as_of
from riskresearch.fraud import FraudScorer
from riskresearch.manifest import ReleaseFolder, sha256_file
from riskresearch.messages import check_language
from riskresearch.monitoring.analysis import Monitoring, monitor
from riskresearch.monitoring.baseline import Baseline, build_baseline
from riskresearch.monitoring.signals import fraud_scores, with_early_indicators
from riskresearch.tables import read_table


def _fraud_of(folder: Path):
    if (folder / "fraud.txt").is_file() and (folder / "fraud.json").is_file():
        return FraudScorer.read(folder)
    return None


def _fraud_source(cfg: ModelConfig, folder: Path) -> tuple:
    """What the fraud scores of a release build come from: the warehouse file as it is now,
    and the model."""
    db = Path(cfg.data.warehouse).resolve()
    stat = db.stat()
    return str(db), stat.st_size, stat.st_mtime_ns, sha256_file(folder / "fraud.txt")


def release_baseline(cfg: ModelConfig, out_dir: str | os.PathLike) -> Baseline:
    """The baseline of the release being built in ``out_dir`` (notebook 10): its
    ``scorecard.json`` (notebook 03), ``strategy.json`` (08) and fraud model (05) when present,
    and the out-of-time AUC of its ``metrics.json``. The fraud scores of the warehouse's
    applications are kept with it for :func:`monitor_config`."""
    out = Path(out_dir)
    if not (out / "scorecard.json").is_file():
        raise DataError(
            f"'{out}' has no scorecard.json. Run notebook 03 (the scorecard) with the same "
            "out_dir first."
        )
    strategy = out / "strategy.json" if (out / "strategy.json").is_file() else None
    metrics = (
        json.loads((out / "metrics.json").read_text()) if (out / "metrics.json").is_file() else None
    )
    fraud = _fraud_of(out)
    scored = None
    if fraud is not None and cfg.data.warehouse is not None:
        scored = fraud_scores(fraud, cfg.data.warehouse)
    baseline = build_baseline(
        cfg,
        out / "scorecard.json",
        strategy,
        fraud=fraud,
        release_metrics=metrics,
        fraud_scored=scored,
    )
    if scored is not None:
        baseline.fraud_scored = (_fraud_source(cfg, out), scored)
    return baseline


def monitor_config(
    cfg: ModelConfig, baseline: Baseline, out_dir: str | os.PathLike | None = None
) -> Monitoring:
    """Monitor the config's own table after the development window (notebook 10); with
    ``out_dir`` and ``data.warehouse``, also the fraud signals of the release's fraud model
    (their scores are computed before the table is read, or taken from the baseline's
    :attr:`~riskresearch.monitoring.Baseline.fraud_scored` when it holds the same)."""

    warehouse = cfg.data.warehouse
    fraud = scored = None
    if baseline.data.get("fraud") and warehouse is not None and out_dir is not None:
        fraud = _fraud_of(Path(out_dir))
    if fraud is not None:
        source = _fraud_source(cfg, Path(out_dir))
        kept = baseline.fraud_scored
        scored = kept[1] if kept and kept[0] == source else fraud_scores(fraud, warehouse)
    table = pipeline.read_table(cfg)
    if warehouse is not None and "dpd30_3m" in cfg.monitoring.early_indicators:
        table = with_early_indicators(table, warehouse)
    first = _month(cfg.monitoring.monitor_from)
    mon = monitor(
        baseline,
        table,
        fraud=fraud,
        warehouse=warehouse,
        months=(first, None),
        fraud_scored=scored,
    )
    mon.params["language"] = cfg.report.language  # of the monitoring report
    return mon


def _month(date) -> str | None:
    return None if date is None else pd.Timestamp(date).strftime("%Y-%m")


def read_new_data(
    path: str | os.PathLike, encoding: str | None = None
) -> tuple[pd.DataFrame, Path | None]:
    """New data for ``riskresearch monitor``: a modeling table (CSV/Parquet; a CSV in
    ``encoding``, default UTF-8), or a DuckDB warehouse whose modeling table is built in memory
    (it then also feeds the fraud features and the instalment indicators). Returns the table
    and the warehouse (or None)."""
    path = Path(path)
    if not path.exists():
        raise ConfigError(
            f"The new data '{path}' does not exist. Give a modeling table (.parquet/.csv) or a "
            "DuckDB warehouse (.duckdb)."
        )
    suffix = path.suffix.lower()
    if path.is_dir() and suffix != ".duckdb":
        if not any(f.suffix.lower() in {".parquet", ".pq"} for f in path.rglob("*")):
            raise ConfigError(
                f"The new data '{path}' is a folder without Parquet files. Give a modeling "
                "table (.parquet/.csv, or a folder of Parquet files) or a DuckDB warehouse "
                "(.duckdb)."
            )
        suffix = ".parquet"  # a folder of Parquet files (one table)
    if suffix == ".duckdb":
        con = connect(path)
        try:
            as_of = warehouse_as_of(con)
            if as_of is None:
                raise DataError(f"The warehouse '{path}' records no as-of date.")
            return modeling_frame(con, as_of).df(), path
        finally:
            con.close()
    if suffix in {".csv", ".parquet", ".pq"}:
        return read_table(path, encoding=encoding, what="new data"), None
    raise ConfigError(
        f"The new data '{path}' must be .parquet, .csv or .duckdb. Got '{path.suffix}'."
    )


def monitor_release(
    release: str | os.PathLike,
    new_data: str | os.PathLike,
    warehouse: str | os.PathLike | None = None,
    months: tuple[str | None, str | None] | None = None,
    encoding: str | None = None,
    language: str | None = None,
) -> Monitoring:
    """Monitor new data with a release folder (its hashes are verified first).

    Parameters
    ----------
    release : path-like
        Release folder with ``monitoring_baseline.json`` and ``scorecard.json``.
    new_data : path-like
        A modeling table (CSV/Parquet) or a DuckDB warehouse (see :func:`read_new_data`).
    warehouse : path-like, optional
        The raw tables of a CSV/Parquet ``new_data`` (fraud signals, instalment indicators).
    months : (first, last), optional
        Monitored months ``'YYYY-MM'`` (default: after the development window).
    encoding : str, optional
        Text encoding of a CSV ``new_data`` (default: the release config's ``data.encoding``,
        else UTF-8; ``gb18030`` for GBK files from Chinese Excel).
    language : str, optional
        Language of the monitoring report, ``en`` or ``zh-CN`` (default: the release config's
        ``report.language``).
    """

    if language is not None:
        check_language(language, "language")
    rf = ReleaseFolder.open(release, needs=("scorecard", "monitoring"), purpose="monitor")
    folder = rf.folder
    baseline = Baseline.read(folder)
    config = rf.config
    if encoding is None:
        encoding = (config.get("data") or {}).get("encoding")
    if language is None:
        language = (config.get("report") or {}).get("language", "en")
    table, db = read_new_data(new_data, encoding)
    db = Path(warehouse) if warehouse is not None else db
    if db is not None and "dpd30_3m" in baseline.data["population"]["indicators"]:
        table = with_early_indicators(table, db)
    fraud = None
    if db is not None and baseline.data.get("fraud"):  # the baseline has fraud signals
        rf.require("fraud", purpose="monitor")
        fraud = _fraud_of(folder)
    mon = monitor(baseline, table, fraud=fraud, warehouse=db, months=months)
    mon.params["language"] = check_language(language, "report.language")
    return mon
