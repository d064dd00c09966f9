"""Scorecard development from a config: load the table, split out of time, fit, evaluate.

These are the one- or two-line library calls the notebooks make (and that a user can make on
any CSV/Parquet modeling table with no other code).
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from riskresearch import metrics
from riskresearch.binning import WoeBinner
from riskresearch.config import ModelConfig
from riskresearch.errors import ConfigError, DataError
from riskresearch.parts import Skipped
from riskresearch.scorecard import Scorecard, SegmentedScorecard
from riskresearch.scoring import Scorer
from riskresearch.selection import FeatureSelector, TimeOrderedFolds
from riskresearch.textfmt import json_text, write_csv


def read_table(
    cfg: ModelConfig, encode_target: bool = True, columns: list[str] | None = None
) -> pd.DataFrame:
    """Read the modeling table of ``data.table`` (no filter): every column, or ``columns``.

    With ``encode_target`` the target becomes 1 (bad), 0 (good) or NaN (missing, or a value
    that is neither; :func:`load_table` refuses those on the rows it keeps).
    """
    from riskresearch.tables import read_table as read

    df = read(cfg.data.table, columns, cfg.data.encoding, what="modeling table")
    if encode_target and cfg.data.target in df.columns:
        df[cfg.data.target] = encode_target_values(df[cfg.data.target], cfg)[0]
    return df


def _label(v: Any) -> str:
    """A target value as text: 1, 1.0, '1' and True-like spellings compare equal."""
    if isinstance(v, bool | np.bool_):
        return "true" if v else "false"
    if isinstance(v, float | np.floating) and float(v).is_integer():
        return str(int(v))
    return str(v).strip().lower()


_BINARY = {"0": 0.0, "1": 1.0, "false": 0.0, "true": 1.0}


def encode_target_values(s: pd.Series, cfg: ModelConfig) -> tuple[pd.Series, list]:
    """The target as 1.0 = bad, 0.0 = good, NaN = missing or unknown; and the unknown values.

    Without ``data.bad_value`` the target must be 0/1 (numbers, text or booleans); with it,
    that value is bad and exactly one other value is good.
    """
    present = s.dropna()
    labels = pd.Series(present.unique())
    text = labels.map(_label)
    bad = cfg.data.bad_value
    if bad is None:
        mapping = {v: _BINARY.get(t) for v, t in zip(labels, text, strict=True)}
    else:
        others = sorted({t for t in text if t != _label(bad)})
        mapping = {
            v: 1.0 if t == _label(bad) else (0.0 if len(others) == 1 else None)
            for v, t in zip(labels, text, strict=True)
        }
    unknown = [v for v, m in mapping.items() if m is None]
    known = {v: m for v, m in mapping.items() if m is not None}
    return s.map(known).astype(float), unknown


def _target_error(cfg: ModelConfig, values: list) -> DataError:
    shown = sorted({repr(v.item() if hasattr(v, "item") else v) for v in values})[:6]
    if cfg.data.bad_value is None:
        fix = (
            "Set data.bad_value to the value that means bad (the other one is good), or map "
            "the target to 0/1"
        )
        what = "0/1 or true/false"
    else:
        fix = "Keep two values in the target, or filter the other rows out with data.filter"
        what = f"{cfg.data.bad_value!r} (bad) and one other value (good)"
    return DataError(
        f"The target '{cfg.data.target}' must be {what}; it has {', '.join(shown)}. {fix}."
    )


def load_table(cfg: ModelConfig, columns: list[str] | None = None) -> pd.DataFrame:
    """Read the modeling table (every column, or ``columns``), apply the config's row filter
    and check the key columns.

    The target comes back as 0/1 (1 = bad) whatever its spelling in the table.
    """
    path = cfg.data.table
    df = read_table(cfg, encode_target=False, columns=columns)
    check_table_columns(cfg, list(df.columns))
    df = df[filter_mask(df, cfg.data.filter)]
    if df.empty:
        raise DataError(
            f"No rows of '{path}' pass the filter {cfg.data.filter}. Check data.filter."
        )
    target, unknown = encode_target_values(df[cfg.data.target], cfg)
    if unknown:
        raise _target_error(cfg, unknown)
    if target.isna().any():
        raise DataError(
            f"The target '{cfg.data.target}' is missing in {int(target.isna().sum())} row(s) "
            "after the filter. Filter them out (data.filter, e.g. bad_mature: true) or fix "
            "the table."
        )
    df = df.assign(**{cfg.data.target: target.astype(int)})
    if cfg.data.date_column:
        df = df.assign(**{cfg.data.date_column: _dates(df[cfg.data.date_column], cfg)})
    return df.reset_index(drop=True)


def _dates(s: pd.Series, cfg: ModelConfig) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(s):
        return s
    try:
        return pd.to_datetime(s, format="ISO8601")
    except (ValueError, TypeError):
        pass
    try:
        with warnings.catch_warnings():  # one format per element: slower, and it says so
            warnings.simplefilter("ignore", UserWarning)
            return pd.to_datetime(s, format="mixed")
    except (ValueError, TypeError):
        raise DataError(
            f"The date column '{cfg.data.date_column}' holds values that are not dates (e.g. "
            f"{s.dropna().astype(str).iloc[0]!r}). Fix the column or data.date_column."
        ) from None


def filter_mask(df: pd.DataFrame, where: dict[str, Any]) -> np.ndarray:
    """Rows where every column of ``where`` equals its value (missing values never match)."""
    mask = np.ones(len(df), dtype=bool)
    for col, value in where.items():
        mask &= (df[col] == value).fillna(False).to_numpy(dtype=bool)
    return mask


def named_columns(cfg: ModelConfig) -> dict[str, list[str]]:
    """Every column the config names, by the key that names it."""
    d, ri = cfg.data, cfg.reject_inference
    named: dict[str, list[str]] = {"data.target": [d.target]}
    for key in ("id_column", "date_column", "weight_column"):
        if getattr(d, key):
            named[f"data.{key}"] = [getattr(d, key)]
    if cfg.split.column:
        named["split.column"] = [cfg.split.column]
    named["data.filter"] = list(d.filter)
    named["features.include"] = list(cfg.features.include or [])
    named["features.categorical"] = list(cfg.features.categorical or [])
    named["binning.overrides"] = list(cfg.binning.overrides)
    named["binning.monotonic_trends"] = list(cfg.binning.monotonic_trends)
    named["binning.special_codes"] = list(cfg.binning.special_codes)
    named["gbm.features"] = list(cfg.gbm.features or [])
    named["segments"] = [c for when in (cfg.segments or {}).values() for c in when]
    if ri.method != "none":
        named["reject_inference.declined_filter"] = list(ri.declined_filter)
    return {k: v for k, v in named.items() if v}


def check_table_columns(cfg: ModelConfig, columns: list[str]) -> None:
    """Raise a one-line ConfigError when the config names a column the table lacks."""
    have = set(columns)
    for key, cols in named_columns(cfg).items():
        missing = [c for c in dict.fromkeys(cols) if c not in have]
        if missing:
            close = [c for c in columns if c.lower() in {m.lower() for m in missing}]
            hint = f" (did you mean {close}?)" if close else ""
            raise ConfigError(
                f"'{key}' names column(s) {missing} that the table '{cfg.data.table.name}' "
                f"lacks{hint}. Fix the config; the table has {_columns_text(columns)}."
            )


def _columns_text(columns: list[str]) -> str:
    shown = ", ".join(columns[:12])
    return shown + (f" and {len(columns) - 12} more" if len(columns) > 12 else "")


def split_rows(df: pd.DataFrame, cfg: ModelConfig) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Development and test rows of the loaded table, by ``cfg.split_mode``."""
    if cfg.split_mode == "oot":
        return split_oot(df, cfg)
    if cfg.split_mode == "column":
        col, s = cfg.split.column, df[cfg.split.column]
        train, test = (
            split_value_mask(s, cfg.split.train_value),
            split_value_mask(s, cfg.split.test_value),
        )
        if not train.any() or not test.any():
            side = "train" if not train.any() else "test"
            value = cfg.split.train_value if side == "train" else cfg.split.test_value
            raise DataError(
                f"No row has split.column '{col}' = {value!r} ({side} rows). Its values are "
                f"{sorted(map(str, s.dropna().unique()))[:6]}; set split.{side}_value."
            )
        return df[train].reset_index(drop=True), df[test].reset_index(drop=True)
    from sklearn.model_selection import train_test_split

    y = df[cfg.data.target].to_numpy()
    if len(df) < 10 or min(np.bincount(y, minlength=2)) < 2:
        raise DataError(
            f"A random split needs at least 2 bad and 2 good rows; the table has "
            f"{int(y.sum())} bad of {len(df)}. Add rows or give split.column."
        )
    idx = np.arange(len(df))
    tr, te = train_test_split(
        idx, test_size=cfg.split.test_size, stratify=y, random_state=cfg.seed % 2**32
    )
    return df.iloc[np.sort(tr)].reset_index(drop=True), df.iloc[np.sort(te)].reset_index(drop=True)


def split_value_mask(s: pd.Series, value: Any) -> np.ndarray:
    """Rows whose split-column value is ``value`` (1, 1.0, '1' and True-like spellings match)."""
    return (s.map(_label) == _label(value)).to_numpy(dtype=bool)


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
        n = cfg.oot_months
        if len(months) <= n:
            raise DataError(
                f"The table has {len(months)} month(s) in '{col}'; split.oot_months = {n} "
                "leaves nothing to train on. Lower it, or drop data.date_column for a random "
                "split."
            )
        test = month >= months[-n]
    train, oot = df[~test.to_numpy()], df[test.to_numpy()]
    if train.empty or oot.empty:
        raise DataError(f"The out-of-time split on '{col}' leaves an empty side. Adjust split.")
    return train.reset_index(drop=True), oot.reset_index(drop=True)


def _reserved(cfg: ModelConfig) -> dict[str, str]:
    """Columns with a role other than feature, and the role."""
    d = cfg.data
    roles = {c: "filter" for c in d.filter}
    if cfg.reject_inference.method != "none":
        roles.update({c: "declined filter" for c in cfg.reject_inference.declined_filter})
    roles.update(
        {
            c: role
            for c, role in (
                (d.weight_column, "weight"),
                (cfg.split.column, "split"),
                (d.date_column, "date"),
                (d.id_column, "id"),
                (d.target, "target"),
            )
            if c
        }
    )
    return roles


#: A text column with more distinct values than this share of its rows (and at least
#: ``_ID_MIN`` of them) looks like an identifier, not a category, and is not a candidate.
_ID_SHARE, _ID_MIN = 0.5, 50


def feature_roles(df: pd.DataFrame, cfg: ModelConfig) -> pd.DataFrame:
    """What the config makes of every column of the table: its role, type and why.

    Columns: ``column``, ``role`` (``feature``, ``excluded``, or the config role such as
    ``target``), ``type`` (numerical / categorical, for features), ``why`` and ``override``
    (the config key that changes it).
    """
    reserved = _reserved(cfg)
    include = cfg.features.include
    exclude = set(cfg.features.exclude)
    listed_cat = cfg.features.categorical
    prohibited = set(cfg.fairness.prohibited)
    rows = []
    for col in df.columns:
        s = df[col]
        row = {"column": col, "role": "feature", "type": None, "why": "", "override": ""}
        if col in reserved:
            row.update(role=reserved[col], why=f"named by the config ({reserved[col]})")
        elif col in prohibited:
            row.update(role="prohibited", why="fairness.prohibited: never used by a release")
        elif col in exclude:
            row.update(role="excluded", why="features.exclude")
        elif include is not None and col not in include:
            row.update(role="excluded", why="not in features.include")
        elif pd.api.types.is_datetime64_any_dtype(s):
            row.update(
                role="excluded",
                why="a date (not binned)",
                override="data.date_column for an out-of-time split",
            )
        elif include is None and _identifier_like(s):
            row.update(
                role="excluded",
                why=f"text with {s.nunique():,} distinct values in {len(s):,} rows (an "
                "identifier?)",
                override="features.include to use it, data.id_column if it is the id",
            )
        if row["role"] == "feature":
            listed = "listed in features.include" if include is not None else "every column"
            if listed_cat is not None:
                categorical = col in listed_cat
                how = "features.categorical"
            else:
                categorical = not pd.api.types.is_numeric_dtype(s) and s.dtype != bool
                how = "inferred from the values"
            row.update(
                type="categorical" if categorical else "numerical",
                why=f"{listed}; type {how}",
                override="features.categorical (list the categorical ones), features.exclude",
            )
        rows.append(row)
    roles = pd.DataFrame(rows)
    if prohibited & set(df.columns):
        from riskresearch.fairness import proxies

        feats = roles.column[roles.role == "feature"].tolist()
        found = proxies(df, feats, sorted(prohibited), cfg.fairness.proxy_threshold)
        for p in found.drop_duplicates("feature").itertuples(index=False):
            at = roles.column == p.feature
            roles.loc[at, ["role", "type"]] = ["excluded", None]
            roles.loc[at, "why"] = (
                f"a proxy for the prohibited '{p.prohibited}' (association {p.association:.2f} "
                f">= fairness.proxy_threshold {cfg.fairness.proxy_threshold:g})"
            )
            roles.loc[at, "override"] = "fairness.proxy_threshold"
    return roles


def _identifier_like(s: pd.Series) -> bool:
    if pd.api.types.is_numeric_dtype(s) or s.dtype == bool:
        return False
    n = s.nunique()
    return n >= _ID_MIN and n > _ID_SHARE * s.notna().sum()


def candidate_features(df: pd.DataFrame, cfg: ModelConfig) -> tuple[list[str], list[str]]:
    """Candidate features and which of them are categorical (see :func:`feature_roles`)."""
    if cfg.features.include is not None:
        check_columns_exist(df, cfg.features.include, "features.include")
    if cfg.features.categorical is not None:
        check_columns_exist(df, cfg.features.categorical, "features.categorical")
    roles = feature_roles(df, cfg)
    feats = roles[roles.role == "feature"]
    if cfg.features.include is not None:  # keep the listed order
        order = {f: i for i, f in enumerate(cfg.features.include)}
        feats = feats.sort_values("column", key=lambda c: c.map(order), kind="stable")
    if feats.empty:
        raise DataError(
            f"No candidate feature is left in '{cfg.data.table.name}' after the config's "
            "roles and exclusions. List features in features.include."
        )
    return feats.column.tolist(), feats.column[feats.type == "categorical"].tolist()


def check_columns_exist(df: pd.DataFrame, columns, key: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ConfigError(
            f"'{key}' names column(s) {missing} that the table lacks. Fix the list; the table "
            f"has {_columns_text(list(df.columns))}."
        )


def build_estimator(cfg: ModelConfig, categorical: list[str]) -> Scorecard | SegmentedScorecard:
    """The (unfitted) scorecard the config describes."""
    b, s, sc = cfg.binning, cfg.selection, cfg.scorecard
    binner = WoeBinner(
        categorical_features=categorical,
        max_n_bins=b.max_n_bins,
        min_bin_size=b.min_bin_size,
        min_bin_n_event=b.min_bin_n_event,
        monotonic_trend=b.monotonic_trend,
        monotonic_trends=b.monotonic_trends or None,
        special_codes=b.special_codes or None,
        overrides=b.overrides or None,
        unseen=b.unseen,
        time_limit=b.time_limit,
    )
    # out of time: folds in time order (fit gets the dates as groups, see develop)
    folds = TimeOrderedFolds(n_splits=s.cv_folds) if cfg.split_mode == "oot" else s.cv_folds
    selector = FeatureSelector(
        min_iv=s.min_iv,
        max_iv=s.max_iv,
        max_corr=s.max_corr,
        max_vif=s.max_vif,
        forward=s.forward,
        max_features=s.max_features,
        cv=folds,
        Cs=sc.C if sc.C is not None else 10,  # a configured C is used as is
        tolerance=s.tolerance,
        random_state=cfg.seed,
    )
    card = Scorecard(
        binner=binner,
        selector=selector,
        C=sc.C if sc.C is not None else 1.0,
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
    """Development and test rows (out of time, by a split column, or at random)."""
    return split_rows(load_table(cfg), cfg)


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
    model.fit(rows[columns], y, sample_weight=w, groups=fold_groups(cfg, rows))
    scorer = model.scorer()
    dev = Development(cfg, model, scorer, train, test, feats, categorical, sample=sample)
    dev.metrics = evaluate(dev)
    if sample is not None:
        dev.metrics["reject_inference"] = sample.summary()
    return dev


def fold_groups(cfg: ModelConfig, rows: pd.DataFrame) -> np.ndarray | None:
    """What the scorecard's ``fit`` passes as ``groups`` to the selector's folds: the date of
    each row with an out-of-time split (time-ordered folds, see :func:`build_estimator`),
    else None (stratified folds)."""
    return rows[cfg.data.date_column].to_numpy() if cfg.split_mode == "oot" else None


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
    summary = dict(dev.metrics)
    summary["split"] = {"mode": dev.cfg.split_mode, "test": test_name(dev.cfg)}
    oracle = oracle_summary(dev)
    if oracle is not None:
        summary["oracle"] = oracle
    _write_text(out / "metrics.json", json.dumps(summary, indent=1, sort_keys=True))
    written = [
        out / n
        for n in (
            "scorecard.json",
            "scorecard.sql",
            "points.csv",
            "selection.csv",
            "selection_path.csv",
            "metrics.json",
        )
    ]
    table = fairness_table(dev)
    if not table.empty:
        table.to_csv(out / "fairness.csv", index=False)
        written.append(out / "fairness.csv")
    return written


def fairness_table(dev: Development) -> pd.DataFrame:
    """Approval rate, bad rate and scores by protected group (``fairness.protected``) on the
    test rows, approving the config's ``fairness.approval_rate`` of them
    (:func:`riskresearch.fairness.fairness_table`); empty without protected columns."""
    from riskresearch import fairness

    rows = dev.test if not dev.test.empty else dev.train
    return fairness.fairness_table(dev.cfg, rows, dev.scorer.score(rows).to_numpy())


def test_name(cfg: ModelConfig) -> str:
    """What the config's test rows are called: ``out-of-time`` or ``test``."""
    return "out-of-time" if cfg.split_mode == "oot" else "test"


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
    df = read_table(cfg, encode_target=False)
    steps = [{"step": f"table {cfg.data.table.name}", "removed": 0, "rows": len(df)}]
    for col, value in cfg.data.filter.items():
        keep = filter_mask(df, {col: value})
        steps.append({"step": f"data.filter {col} = {value!r}", "removed": int((~keep).sum())})
        df = df[keep]
        steps[-1]["rows"] = len(df)
    train, test = load_split(cfg)
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
