"""Scorecard development from a config: load the table, split out of time, fit, evaluate.

These are the one- or two-line library calls the notebooks make (and that a user can make on
any CSV/Parquet modeling table with no other code). :func:`develop` is the pipeline as a
straight sequence of the steps in :mod:`riskresearch.pipeline` (read and filter the table
once, split, features, bin, select and fit, evaluate); the ``write_*`` functions export. The
steps are re-exported here, so ``development.load_split`` and the like keep working.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from riskresearch import fairness, metrics, reject_sample
from riskresearch.binning import FORMAT as BINNING_FORMAT
from riskresearch.binning import WoeBinner
from riskresearch.config import ModelConfig
from riskresearch.errors import DataError
from riskresearch.parts import Skipped
from riskresearch.pipeline import (
    build_estimator,
    candidate_features,
    check_columns_exist,
    check_table_columns,
    encode_target_values,
    feature_roles,
    filter_mask,
    fit_binning,
    fold_groups,
    load_split,
    load_table,
    model_columns,
    named_columns,
    read_table,
    row_weights,
    segment_columns,
    split_oot,
    split_rows,
    split_value_mask,
    test_name,
    with_target,
)
from riskresearch.reject_methods import WEIGHT
from riskresearch.scorecard import SegmentedScorecard
from riskresearch.scoring import SEGMENTED_FORMAT, Scorer
from riskresearch.textfmt import json_text, write_csv

__all__ = [
    "Development",
    "build_estimator",
    "candidate_features",
    "check_columns_exist",
    "check_table_columns",
    "develop",
    "encode_target_values",
    "evaluate",
    "fairness_table",
    "feature_roles",
    "filter_mask",
    "fit_binning",
    "fold_groups",
    "load_binning",
    "load_split",
    "load_table",
    "model_columns",
    "monthly_bad_rate",
    "named_columns",
    "performance_table",
    "points_table",
    "profile",
    "read_table",
    "row_flow",
    "segment_columns",
    "selection_path",
    "selection_report",
    "split_oot",
    "split_rows",
    "split_summary",
    "split_value_mask",
    "test_name",
    "with_target",
    "write_binning",
    "write_data_summary",
    "write_scorecard",
]


@dataclass
class Development:
    """A fitted scorecard with its data and evaluation.

    Attributes
    ----------
    model : Scorecard or SegmentedScorecard
    scorer : Scorer
        Built from the exported JSON: what a release scores with.
    train, test : DataFrame
        Development and out-of-time rows.
    features, categorical : list of str
        Candidate features.
    metrics : dict
        ``{"train": {...}, "test": {...}}`` AUC, Gini, KS, n, bad rate (plus per segment), and
        ``reject_inference`` (method and sample sizes) when a method other than none is on.
    sample : reject_inference.RejectSample or None
        With reject inference: the accepts-only model, the declined rows and the augmented,
        weighted sample the scorecard was fitted on. ``train``/``test`` stay the accepted
        rows, so ``metrics`` are on observed outcomes.
    """

    cfg: ModelConfig
    model: Any
    scorer: Scorer
    train: pd.DataFrame
    test: pd.DataFrame
    features: list[str]
    categorical: list[str]
    metrics: dict[str, Any] = field(default_factory=dict)
    sample: Any = None

    def scored(self, which: str = "test") -> pd.DataFrame:
        """Rows with ``score`` and ``pd`` columns added."""
        df = self.test if which == "test" else self.train
        return df.assign(score=self.scorer.score(df).to_numpy(), pd=self.scorer.pd_(df).to_numpy())

    def fitted(self) -> tuple[pd.DataFrame, np.ndarray | None]:
        """The rows the regression was fitted on and their weights: the augmented, weighted
        sample with reject inference, else the development rows."""
        if self.sample is not None:
            return self.sample.data, self.sample.data[WEIGHT].to_numpy(dtype=float)
        return self.train, row_weights(self.cfg, self.train)

    @property
    def accepts_model(self):
        """The scorecard fitted on the accepted development rows alone: the first step of
        reject inference, else the model itself (it is that fit)."""
        return self.sample.accepts_model if self.sample is not None else self.model

    def segment_of(self, df: pd.DataFrame) -> pd.Series:
        if isinstance(self.model, SegmentedScorecard):
            return self.model.assign(df)
        return pd.Series("all", index=df.index)


def develop(cfg: ModelConfig, binner: WoeBinner | None = None) -> Development:
    """Load, split, fit and evaluate the scorecard described by ``cfg``.

    Parameters
    ----------
    cfg : ModelConfig
    binner : WoeBinner, optional
        A fitted (reviewed) binning to use as is, e.g. ``WoeBinner.from_json("binning.json")``;
        by default the binning is fitted here. Not allowed with segments (each segment bins
        its own rows).

    Notes
    -----
    With ``reject_inference.method`` other than ``none`` (and ``scorecard`` in
    ``reject_inference.apply_to``) the scorecard is fitted in three steps
    (:func:`riskresearch.reject_inference.reject_sample`): an accepts-only scorecard, then the
    augmented sample built from its PDs/scores (or from an approval model, for reweighting),
    then the final scorecard on that weighted sample (binning, selection and regression all
    honour the weights). A reviewed ``binner`` keeps its bins; their WoE is recounted on the
    augmented sample. Metrics stay on the accepted rows (observed outcomes).
    """
    table = read_table(cfg, encode_target=False)  # read once: accepted and declined rows
    train, test = load_split(cfg, table)
    feats, categorical = candidate_features(train, cfg)
    model = build_estimator(cfg, categorical)
    if binner is not None and isinstance(model, SegmentedScorecard):
        raise DataError("A pre-fitted binning cannot be shared by segmented scorecards.")
    columns = model_columns(cfg, feats)
    sample = None
    if not cfg.reject_inference.applies("scorecard"):
        rows = train
        y = train[cfg.data.target].to_numpy()
        w = row_weights(cfg, train)
    else:
        declines = reject_sample.load_declines(cfg, train, test, table)
        sample = reject_sample.reject_sample(cfg, train, test, binner=binner, declines=declines)
        rows = sample.data
        y = rows[cfg.data.target].to_numpy()
        w = rows[WEIGHT].to_numpy()
        if binner is not None:
            binner = binner.recount(rows[binner.features_], y, sample_weight=w)
    if binner is not None:
        model.set_params(binner=binner, fit_binner=False)
    model.fit(rows[columns], y, sample_weight=w, groups=fold_groups(cfg, rows))
    scorer = model.scorer()
    dev = Development(cfg, model, scorer, train, test, feats, categorical, sample=sample)
    dev.metrics = evaluate(dev)
    if sample is not None:
        dev.metrics["reject_inference"] = sample.summary()
    return dev


def evaluate(dev: Development) -> dict[str, Any]:
    """AUC, Gini, KS, size and bad rate on train and test, overall and per segment."""
    out: dict[str, Any] = {}
    for which, df in (("train", dev.train), ("test", dev.test)):
        if df.empty:
            continue
        y = df[dev.cfg.data.target].to_numpy()
        p = dev.scorer.pd_(df).to_numpy()
        w = row_weights(dev.cfg, df)
        out[which] = metrics.summary(y, p, sample_weight=w)
        seg = dev.segment_of(df)
        if seg.nunique() > 1:
            out[which]["segments"] = {
                str(s): metrics.summary(y[(seg == s).to_numpy()], p[(seg == s).to_numpy()])
                for s in seg.unique()
                if len(np.unique(y[(seg == s).to_numpy()])) == 2
            }
    return out


def _write_text(path: Path, text: str) -> None:
    path.write_text(text if text.endswith("\n") else text + "\n")


def write_binning(binner: WoeBinner, out_dir: str | Path) -> list[Path]:
    """Write ``binning.json`` (the reviewable bins), ``binning_tables.csv`` and ``iv.csv``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    binner.to_json(out / "binning.json")
    binner.table().to_csv(out / "binning_tables.csv", index=False)
    binner.iv_summary().to_csv(out / "iv.csv", index=False)
    return [out / "binning.json", out / "binning_tables.csv", out / "iv.csv"]


def write_scorecard(dev: Development, out_dir: str | Path) -> list[Path]:
    """Write the scorecard artifacts: JSON, points CSV, SQL, selection report and its
    cross-validated path (``selection_path.csv``) and metrics."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    model_dict = dev.model.to_dict()
    _write_text(out / "scorecard.json", json_text(model_dict))
    _write_text(out / "scorecard.sql", dev.scorer.to_sql())
    points = _points_table(dev.model)
    write_csv(points, out / "points.csv")
    _selection_report(dev.model).to_csv(out / "selection.csv", index=False)
    _selection_path(dev.model).to_csv(out / "selection_path.csv", index=False)
    coefficient_table(model_dict, *dev.fitted()).to_csv(out / "coefficients.csv", index=False)
    summary = dict(dev.metrics)
    summary["split"] = {"mode": dev.cfg.split_mode, "test": test_name(dev.cfg)}
    _write_text(out / "metrics.json", json.dumps(summary, indent=1, sort_keys=True))
    written = [
        out / n
        for n in (
            "scorecard.json",
            "scorecard.sql",
            "points.csv",
            "selection.csv",
            "selection_path.csv",
            "coefficients.csv",
            "metrics.json",
        )
    ]
    table = fairness_table(dev)
    if not table.empty:
        table.to_csv(out / "fairness.csv", index=False)
        written.append(out / "fairness.csv")
    return written


def coefficient_table(
    model: dict[str, Any], rows: pd.DataFrame, sample_weight: np.ndarray | None = None
) -> pd.DataFrame:
    """Coefficients of a scorecard (of each segment's) with standard errors, Wald z,
    p-value and 95% interval (:func:`riskresearch.metrics.coefficient_table`), on the WoE
    design of ``rows``, the rows the regression was fitted on.

    Parameters
    ----------
    model : dict
        The scorecard as ``scorecard.json`` holds it (single or segmented).
    rows : DataFrame
        The fitted rows: the development rows, or with reject inference the augmented sample.
    sample_weight : array-like, optional
        Their weights (the augmented sample's).

    Returns
    -------
    DataFrame
        ``segment`` (empty for a single scorecard), ``term`` (``intercept`` first),
        ``coefficient``, ``std_error``, ``z``, ``p_value``, ``ci_low``, ``ci_high`` and
        ``rows`` (the segment's weighted row count).
    """
    w = np.ones(len(rows)) if sample_weight is None else np.asarray(sample_weight, float)
    if model.get("format") == SEGMENTED_FORMAT:
        cards = [(s["name"], s["scorecard"]) for s in model["segments"]]
        segment = Scorer.assign_segments(rows, model["segments"])
    else:
        cards, segment = [("", model)], None
    tables = []
    for name, card in cards:
        feats = list(card["features"])
        mask = (segment == name).to_numpy() if segment is not None else np.ones(len(rows), bool)
        binner = WoeBinner.from_dict(
            {"format": BINNING_FORMAT, "features": {f: card["features"][f] for f in feats}}
        )
        with warnings.catch_warnings():  # unseen categories score as configured; no noise
            warnings.simplefilter("ignore", UserWarning)
            X = binner.woe_frame(rows[mask], feats).to_numpy(dtype=float)
        coef = [card["features"][f]["coefficient"] for f in feats]
        table = metrics.coefficient_table(feats, X, coef, card["intercept"], w[mask])
        tables.append(table.assign(segment=name, rows=float(w[mask].sum())))
    out = pd.concat(tables, ignore_index=True)
    return out[["segment", *(c for c in out.columns if c != "segment")]]


def fairness_table(dev: Development) -> pd.DataFrame:
    """Approval rate, bad rate and scores by protected group (``fairness.protected``) on the
    test rows, approving the config's ``fairness.approval_rate`` of them
    (:func:`riskresearch.fairness.fairness_table`); empty without protected columns."""
    rows = dev.test if not dev.test.empty else dev.train
    return fairness.fairness_table(dev.cfg, rows, dev.scorer.score(rows).to_numpy())


def split_summary(cfg: ModelConfig, train: pd.DataFrame, test: pd.DataFrame) -> pd.DataFrame:
    """Rows, bads, bad rate and date range of the development and test (out-of-time) rows."""
    rows = []
    for name, df in (("development", train), (test_name(cfg), test)):
        y = df[cfg.data.target]
        col = cfg.data.date_column
        rows.append(
            {
                "sample": name,
                "rows": len(df),
                "bads": int(y.sum()),
                "bad_rate": round(float(y.mean()), 4) if len(df) else None,
                "first": str(df[col].min().date()) if col and len(df) else None,
                "last": str(df[col].max().date()) if col and len(df) else None,
            }
        )
    return pd.DataFrame(rows).set_index("sample")


def monthly_bad_rate(
    cfg: ModelConfig, train: pd.DataFrame, test: pd.DataFrame
) -> pd.DataFrame | Skipped:
    """Rows and bad rate per month of ``date_column``, with the sample each month is in
    (:class:`~riskresearch.parts.Skipped` without a date column)."""
    col = cfg.data.date_column
    if not col:
        return Skipped("the table has no date column (data.date_column), so no cohorts")
    both = pd.concat([train.assign(sample="development"), test.assign(sample="out-of-time")])
    month = both[col].dt.to_period("M").dt.to_timestamp()
    return (
        both.assign(month=month)
        .groupby(["month", "sample"], observed=True)[cfg.data.target]
        .agg(rows="size", bads="sum", bad_rate="mean")
        .reset_index()
    )


def profile(cfg: ModelConfig, df: pd.DataFrame) -> pd.DataFrame:
    """Every column of the table: its role (feature or not, and why), inferred type, missing
    share, distinct values, range and most common value, and the config key that changes
    what was inferred."""
    roles = feature_roles(df, cfg).set_index("column")
    rows = []
    for f in df.columns:
        s = df[f]
        role = roles.loc[f]
        numeric = role.type != "categorical" and pd.api.types.is_numeric_dtype(s)
        x = s.astype("Float64") if s.dtype == bool else s
        rows.append(
            {
                "column": f,
                "role": role.role,
                "type": role.type,
                "missing_share": round(float(s.isna().mean()), 4),
                "distinct": int(s.nunique()),
                "min": float(x.min()) if numeric and s.notna().any() else None,
                "median": float(x.median()) if numeric and s.notna().any() else None,
                "max": float(x.max()) if numeric and s.notna().any() else None,
                "top": None if numeric or s.isna().all() else str(s.mode().iloc[0]),
                "why": role.why,
                "override": role.override,
            }
        )
    return pd.DataFrame(rows)


def row_flow(cfg: ModelConfig) -> pd.DataFrame:
    """How the table's rows become development and test rows: each step, the rows it removes
    and the rows left (filters one key at a time, then the split)."""
    df = table = read_table(cfg, encode_target=False)  # read once
    steps = [{"step": f"table {cfg.data.table.name}", "removed": 0, "rows": len(df)}]
    for col, value in cfg.data.filter.items():
        keep = filter_mask(df, {col: value})
        steps.append({"step": f"data.filter {col} = {value!r}", "removed": int((~keep).sum())})
        df = df[keep]
        steps[-1]["rows"] = len(df)
    train, test = load_split(cfg, table)
    left_out = len(df) - len(train) - len(test)
    how = {
        "oot": f"out-of-time split on {cfg.data.date_column}",
        "column": f"split.column {cfg.split.column} (other values left out)",
        "random": f"stratified random split, test_size {cfg.split.test_size}, seed {cfg.seed}",
    }[cfg.split_mode]
    steps.append({"step": how, "removed": left_out, "rows": len(train) + len(test)})
    steps.append({"step": "development rows", "removed": None, "rows": len(train)})
    steps.append({"step": "test rows", "removed": None, "rows": len(test)})
    return pd.DataFrame(steps).astype({"removed": "Int64"})


def write_data_summary(
    cfg: ModelConfig, train: pd.DataFrame, test: pd.DataFrame, out_dir: str | Path
) -> Path:
    """Write ``data_summary.json``: split sizes, bad rates and dates."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    summary = split_summary(cfg, train, test).reset_index().to_dict("records")
    _write_text(out / "data_summary.json", json.dumps(summary, indent=1))
    return out / "data_summary.json"


def load_binning(cfg: ModelConfig, out_dir: str | Path) -> WoeBinner | None:
    """The reviewed binning written by notebook 02, or None (then the scorecard fits its own).

    Segmented scorecards bin each segment separately, so they never share one binning.
    """
    path = Path(out_dir) / "binning.json"
    if cfg.segments or not path.is_file():
        return None
    return WoeBinner.from_json(path)


def selection_report(dev: Development) -> pd.DataFrame:
    """Every candidate feature, its IV, and why it was kept or dropped."""
    return _selection_report(dev.model)


def selection_path(dev: Development) -> pd.DataFrame | Skipped:
    """The cross-validated stepwise path of the selection: per step the feature added or
    removed, the mean validation AUC over the folds and its spread, and the step kept (with a
    ``segment`` column for segmented scorecards); a :class:`~riskresearch.parts.Skipped`
    when no search ran."""
    path = _selection_path(dev.model)
    if path.empty:
        return Skipped(
            "the selection ran no cross-validated search (selection.forward is false, or too "
            "few bads for folds), so the features were kept by IV"
        )
    return path


def _selection_path(model) -> pd.DataFrame:
    if isinstance(model, SegmentedScorecard):
        return pd.concat(
            [sc.selection_path_.assign(segment=n) for n, sc in model.scorecards_.items()],
            ignore_index=True,
        )
    return model.selection_path_


def points_table(dev: Development) -> pd.DataFrame:
    """Feature, bin, WoE, coefficient and points of every bin."""
    return _points_table(dev.model)


def performance_table(dev: Development) -> pd.DataFrame:
    """AUC, Gini, KS, rows and bad rate on development and out-of-time rows."""
    rows = []
    for which, m in dev.metrics.items():
        rows.append({"sample": which, **{k: v for k, v in m.items() if k != "segments"}})
        for seg, sm in m.get("segments", {}).items():
            rows.append({"sample": f"{which} / {seg}", **sm})
    return pd.DataFrame(rows).set_index("sample")


def _points_table(model) -> pd.DataFrame:
    if isinstance(model, SegmentedScorecard):
        return pd.concat(
            [sc.points_table().assign(segment=name) for name, sc in model.scorecards_.items()],
            ignore_index=True,
        )
    return model.points_table()


def _selection_report(model) -> pd.DataFrame:
    if isinstance(model, SegmentedScorecard):
        return pd.concat(
            [sc.selection_report_.assign(segment=n) for n, sc in model.scorecards_.items()],
            ignore_index=True,
        )
    return model.selection_report_
