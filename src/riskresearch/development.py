"""Scorecard development from a config: load the table, split out of time, fit, evaluate.

These are the one- or two-line library calls the notebooks make (and that a user can make on
any CSV/Parquet modeling table with no other code).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from riskresearch import metrics
from riskresearch.binning import WoeBinner
from riskresearch.config import ModelConfig
from riskresearch.errors import DataError
from riskresearch.scorecard import Scorecard, SegmentedScorecard
from riskresearch.scoring import Scorer
from riskresearch.selection import FeatureSelector
from riskresearch.textfmt import json_text, write_csv


def read_table(cfg: ModelConfig) -> pd.DataFrame:
    """Read the whole modeling table of ``data.table`` (no filter, no checks)."""
    path = cfg.data.table
    try:
        return pd.read_csv(path) if path.suffix.lower() == ".csv" else pd.read_parquet(path)
    except (OSError, ValueError) as exc:
        raise DataError(f"Cannot read the modeling table '{path}': {exc}") from None


def load_table(cfg: ModelConfig) -> pd.DataFrame:
    """Read the modeling table, apply the config's row filter and check the key columns."""
    path = cfg.data.table
    df = read_table(cfg)
    needed = [cfg.data.target, *cfg.data.filter]
    needed += [c for c in (cfg.data.date_column, cfg.data.weight_column) if c]
    missing = [c for c in needed if c not in df.columns]
    if missing:
        raise DataError(
            f"The modeling table '{path}' lacks column(s) {missing} named in the config. "
            f"Fix the config or the table (it has {list(df.columns)[:8]}...)."
        )
    for col, value in cfg.data.filter.items():
        df = df[(df[col] == value).fillna(False).to_numpy(dtype=bool)]
    if df.empty:
        raise DataError(
            f"No rows of '{path}' pass the filter {cfg.data.filter}. Check data.filter."
        )
    target = pd.to_numeric(df[cfg.data.target], errors="coerce")
    if target.isna().any():
        raise DataError(
            f"The target '{cfg.data.target}' is missing or not numeric in "
            f"{int(target.isna().sum())} row(s) after the filter. Filter them out (e.g. "
            "bad_mature: true) or fix the table."
        )
    if cfg.data.date_column:
        df = df.assign(**{cfg.data.date_column: pd.to_datetime(df[cfg.data.date_column])})
    return df.reset_index(drop=True)


def split_oot(df: pd.DataFrame, cfg: ModelConfig) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Development rows and out-of-time test rows (the latest months)."""
    col = cfg.data.date_column
    if not col:
        raise DataError(
            "An out-of-time split needs data.date_column in the config. Add the column that "
            "dates each row."
        )
    month = df[col].dt.to_period("M")
    if cfg.split.oot_from is not None:
        test = df[col] >= pd.Timestamp(cfg.split.oot_from)
    else:
        months = np.sort(month.unique())
        if len(months) <= cfg.split.oot_months:
            raise DataError(
                f"The table has {len(months)} month(s) in '{col}'; split.oot_months = "
                f"{cfg.split.oot_months} leaves nothing to train on. Lower it."
            )
        test = month >= months[-cfg.split.oot_months]
    train, oot = df[~test.to_numpy()], df[test.to_numpy()]
    if train.empty or oot.empty:
        raise DataError(f"The out-of-time split on '{col}' leaves an empty side. Adjust split.")
    return train.reset_index(drop=True), oot.reset_index(drop=True)


def candidate_features(df: pd.DataFrame, cfg: ModelConfig) -> tuple[list[str], list[str]]:
    """Candidate features and which of them are categorical."""
    reserved = {cfg.data.target, cfg.data.date_column, cfg.data.weight_column, cfg.data.id_column}
    if cfg.features.include is not None:
        feats = list(cfg.features.include)
        missing = [f for f in feats if f not in df.columns]
        if missing:
            raise DataError(
                f"features.include names column(s) {missing} that the table lacks. Fix the list."
            )
    else:
        feats = [c for c in df.columns if c not in reserved]
    feats = [f for f in feats if f not in set(cfg.features.exclude) and f not in reserved]
    if cfg.features.categorical is not None:
        unknown = [f for f in cfg.features.categorical if f not in df.columns]
        if unknown:
            raise DataError(
                f"features.categorical names column(s) {unknown} that the table lacks. Fix the "
                "list."
            )
        categorical = [f for f in cfg.features.categorical if f in feats]
    else:
        categorical = [
            f for f in feats if not pd.api.types.is_numeric_dtype(df[f]) and df[f].dtype != bool
        ]
    return feats, categorical


def build_estimator(cfg: ModelConfig, categorical: list[str]) -> Scorecard | SegmentedScorecard:
    """The (unfitted) scorecard the config describes."""
    b, s, sc = cfg.binning, cfg.selection, cfg.scorecard
    binner = WoeBinner(
        categorical_features=categorical,
        max_n_bins=b.max_n_bins,
        min_bin_size=b.min_bin_size,
        monotonic_trend=b.monotonic_trend,
        monotonic_trends=b.monotonic_trends or None,
        special_codes=b.special_codes or None,
        overrides=b.overrides or None,
        unseen=b.unseen,
        time_limit=b.time_limit,
    )
    selector = FeatureSelector(
        min_iv=s.min_iv,
        max_iv=s.max_iv,
        max_corr=s.max_corr,
        max_vif=s.max_vif,
        forward=s.forward,
        max_features=s.max_features,
        min_gain=s.min_gain,
        valid_size=s.valid_size,
        random_state=cfg.seed,
    )
    card = Scorecard(
        binner=binner,
        selector=selector,
        C=sc.C,
        pdo=sc.pdo,
        base_score=sc.base_score,
        base_odds=sc.base_odds,
        rounding=sc.rounding,
        sign_check=sc.sign_check,
        n_reason_codes=sc.n_reason_codes,
    )
    if cfg.segments:
        return SegmentedScorecard(segments=cfg.segments, scorecard=card)
    return card


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

    def segment_of(self, df: pd.DataFrame) -> pd.Series:
        if isinstance(self.model, SegmentedScorecard):
            return self.model.assign(df)
        return pd.Series("all", index=df.index)


def load_split(cfg: ModelConfig) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Development and out-of-time rows (all rows are development without a date column)."""
    df = load_table(cfg)
    return split_oot(df, cfg) if cfg.data.date_column else (df, df.iloc[0:0])


def fit_binning(
    cfg: ModelConfig, train: pd.DataFrame | None = None, sample_weight=None
) -> WoeBinner:
    """Fit the config's WOE binning on the development rows (for review before the scorecard).

    The bins are found on the accepted development rows (observed outcomes). With reject
    inference :func:`develop` keeps these reviewed bins and recounts their WoE on the augmented
    sample (:meth:`WoeBinner.recount`). ``sample_weight`` overrides ``data.weight_column``.
    """
    if train is None:
        train = load_split(cfg)[0]
    feats, categorical = candidate_features(train, cfg)
    card = build_estimator(cfg, categorical)
    template = card.scorecard if isinstance(card, SegmentedScorecard) else card
    y = train[cfg.data.target].to_numpy()
    w = sample_weight
    if w is None and cfg.data.weight_column:
        w = train[cfg.data.weight_column].to_numpy()
    return template.binner.fit(train[feats], y, sample_weight=w)


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
    train, test = load_split(cfg)
    feats, categorical = candidate_features(train, cfg)
    model = build_estimator(cfg, categorical)
    if binner is not None and isinstance(model, SegmentedScorecard):
        raise DataError("A pre-fitted binning cannot be shared by segmented scorecards.")
    columns = list(
        dict.fromkeys(feats + _segment_columns(cfg))
    )  # a segment column may be a feature
    sample = None
    if not cfg.reject_inference.applies("scorecard"):
        rows = train
        y = train[cfg.data.target].to_numpy()
        w = train[cfg.data.weight_column].to_numpy() if cfg.data.weight_column else None
    else:
        from riskresearch import reject_inference

        sample = reject_inference.reject_sample(cfg, train, test, binner=binner)
        rows = sample.data
        y = rows[cfg.data.target].to_numpy()
        w = rows[reject_inference.WEIGHT].to_numpy()
        if binner is not None:
            binner = binner.recount(rows[binner.features_], y, sample_weight=w)
    if binner is not None:
        model.set_params(binner=binner, fit_binner=False)
    model.fit(rows[columns], y, sample_weight=w)
    scorer = model.scorer()
    dev = Development(cfg, model, scorer, train, test, feats, categorical, sample=sample)
    dev.metrics = evaluate(dev)
    if sample is not None:
        dev.metrics["reject_inference"] = sample.summary()
    return dev


def _segment_columns(cfg: ModelConfig) -> list[str]:
    cols: list[str] = []
    for when in (cfg.segments or {}).values():
        cols += [c for c in when if c not in cols]
    return cols


def evaluate(dev: Development) -> dict[str, Any]:
    """AUC, Gini, KS, size and bad rate on train and test, overall and per segment."""
    out: dict[str, Any] = {}
    for which, df in (("train", dev.train), ("test", dev.test)):
        if df.empty:
            continue
        y = df[dev.cfg.data.target].to_numpy()
        p = dev.scorer.pd_(df).to_numpy()
        w = df[dev.cfg.data.weight_column].to_numpy() if dev.cfg.data.weight_column else None
        out[which] = metrics.summary(y, p, sample_weight=w)
        seg = dev.segment_of(df)
        if seg.nunique() > 1:
            out[which]["segments"] = {
                str(s): metrics.summary(y[(seg == s).to_numpy()], p[(seg == s).to_numpy()])
                for s in seg.unique()
                if len(np.unique(y[(seg == s).to_numpy()])) == 2
            }
    return out


def oracle_summary(dev: Development) -> dict[str, Any] | None:
    """AUC of the simulator's true PD on the out-of-time rows and the scorecard's ratio to it.

    Reads the oracle table of ``data.oracle`` (the simulated warehouse) only to *measure*;
    returns None for real data (no oracle).
    """
    if dev.test.empty:
        return None
    return oracle_compare(dev.cfg, dev.test, dev.scorer.pd_(dev.test).to_numpy())


def oracle_compare(cfg: ModelConfig, rows: pd.DataFrame, pd_values) -> dict[str, Any] | None:
    """A model's AUC on ``rows`` next to the AUC of the simulator's true PD on the same rows.

    Evaluation only: the oracle is read here and by nothing that fits a model. None when the
    config names no oracle (real data).
    """
    if cfg.data.oracle is None or rows.empty:
        return None
    import duckdb

    con = duckdb.connect(str(cfg.data.oracle), read_only=True)
    try:
        oracle = con.sql("SELECT application_id, true_pd FROM oracle_applications").df()
    finally:
        con.close()
    id_col = cfg.data.id_column
    if not id_col or id_col not in rows.columns:
        raise DataError(
            "Comparing with the oracle needs data.id_column (the application id) in the table."
        )
    joined = rows[[id_col, cfg.data.target]].assign(model_pd=np.asarray(pd_values, dtype=float))
    joined = joined.merge(oracle, left_on=id_col, right_on="application_id", how="inner")
    y = joined[cfg.data.target].to_numpy()
    oracle_auc = metrics.auc(y, joined.true_pd.to_numpy())
    model_auc = metrics.auc(y, joined.model_pd.to_numpy())
    return {
        "oracle_auc": oracle_auc,
        "model_auc": model_auc,
        "ratio": model_auc / oracle_auc,
        "rows": len(joined),
    }


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
    """Write the scorecard artifacts: JSON, points CSV, SQL, selection report and metrics."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    model_dict = dev.model.to_dict()
    _write_text(out / "scorecard.json", json_text(model_dict))
    _write_text(out / "scorecard.sql", dev.scorer.to_sql())
    points = _points_table(dev.model)
    write_csv(points, out / "points.csv")
    _selection_report(dev.model).to_csv(out / "selection.csv", index=False)
    summary = dict(dev.metrics)
    oracle = oracle_summary(dev)
    if oracle is not None:
        summary["oracle"] = oracle
    _write_text(out / "metrics.json", json.dumps(summary, indent=1, sort_keys=True))
    return [
        out / n
        for n in ("scorecard.json", "scorecard.sql", "points.csv", "selection.csv", "metrics.json")
    ]


def split_summary(cfg: ModelConfig, train: pd.DataFrame, test: pd.DataFrame) -> pd.DataFrame:
    """Rows, bads, bad rate and date range of the development and out-of-time rows."""
    rows = []
    for name, df in (("development", train), ("out-of-time", test)):
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


def monthly_bad_rate(cfg: ModelConfig, train: pd.DataFrame, test: pd.DataFrame) -> pd.DataFrame:
    """Rows and bad rate per month of ``date_column``, with the sample each month is in."""
    col = cfg.data.date_column
    if not col:
        raise DataError("monthly_bad_rate needs data.date_column in the config.")
    both = pd.concat([train.assign(sample="development"), test.assign(sample="out-of-time")])
    month = both[col].dt.to_period("M").dt.to_timestamp()
    return (
        both.assign(month=month)
        .groupby(["month", "sample"], observed=True)[cfg.data.target]
        .agg(rows="size", bads="sum", bad_rate="mean")
        .reset_index()
    )


def profile(cfg: ModelConfig, df: pd.DataFrame) -> pd.DataFrame:
    """Type, missing share, distinct values and range of every candidate feature."""
    feats, categorical = candidate_features(df, cfg)
    rows = []
    for f in feats:
        s = df[f]
        numeric = f not in categorical and pd.api.types.is_numeric_dtype(s)
        x = s.astype("Float64") if s.dtype == bool else s
        rows.append(
            {
                "feature": f,
                "type": "categorical" if f in categorical else "numerical",
                "missing_share": round(float(s.isna().mean()), 4),
                "distinct": int(s.nunique()),
                "min": float(x.min()) if numeric and s.notna().any() else None,
                "median": float(x.median()) if numeric and s.notna().any() else None,
                "max": float(x.max()) if numeric and s.notna().any() else None,
                "top": None if numeric or s.isna().all() else str(s.mode().iloc[0]),
            }
        )
    return pd.DataFrame(rows)


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
