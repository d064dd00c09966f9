"""The steps of config-driven development, each a function of the config and rows.

Read and filter the modeling table (once), split it, name the candidate features, build the
estimator the config describes and fit its binning. :mod:`riskresearch.development` (the
scorecard), :mod:`riskresearch.gbm_development` (the GBM challenger) and
:mod:`riskresearch.reject_sample` compose these steps; nothing here fits a final model,
reads the simulator's oracle or imports those modules (see ``docs/architecture.md``).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from riskresearch.binning import WoeBinner
from riskresearch.config import ModelConfig
from riskresearch.errors import ConfigError, DataError
from riskresearch.fairness import proxies
from riskresearch.scorecard import Scorecard, SegmentedScorecard
from riskresearch.selection import FeatureSelector, TimeOrderedFolds
from riskresearch.tables import filter_mask
from riskresearch.tables import read_table as read

__all__ = [
    "build_estimator",
    "candidate_features",
    "check_columns_exist",
    "check_table_columns",
    "config_binner",
    "encode_target_values",
    "feature_roles",
    "filter_mask",
    "fit_binning",
    "fold_groups",
    "load_split",
    "load_table",
    "model_columns",
    "named_columns",
    "read_table",
    "row_weights",
    "segment_columns",
    "split_oot",
    "split_rows",
    "split_value_mask",
    "test_name",
    "with_target",
]


def read_table(
    cfg: ModelConfig, encode_target: bool = True, columns: list[str] | None = None
) -> pd.DataFrame:
    """Read the modeling table of ``data.table`` (no filter): every column, or ``columns``.

    With ``encode_target`` the target becomes 1 (bad), 0 (good) or NaN (missing, or a value
    that is neither; :func:`load_table` refuses those on the rows it keeps).
    """
    df = read(cfg.data.table, columns, cfg.data.encoding, what="modeling table")
    return with_target(df, cfg) if encode_target else df


def with_target(df: pd.DataFrame, cfg: ModelConfig) -> pd.DataFrame:
    """``df`` (as :func:`read_table` read it) with the target as 1 (bad), 0 (good) or NaN,
    encoded on all its rows; ``df`` itself is left as it is."""
    if cfg.data.target not in df.columns:
        return df
    return df.assign(**{cfg.data.target: encode_target_values(df[cfg.data.target], cfg)[0]})


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


def load_table(
    cfg: ModelConfig, columns: list[str] | None = None, table: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Read the modeling table (every column, or ``columns``), apply the config's row filter
    and check the key columns.

    The target comes back as 0/1 (1 = bad) whatever its spelling in the table. ``table`` is
    the table already read (``read_table(cfg, encode_target=False)``): a pipeline reads it
    once and takes the accepted and the declined rows from the same frame.
    """
    path = cfg.data.table
    if table is None:
        df = read_table(cfg, encode_target=False, columns=columns)
    else:
        df = table if columns is None else table[columns]
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


def config_binner(cfg: ModelConfig, categorical: list[str], reviewed: bool = True) -> WoeBinner:
    """The (unfitted) WoE binning of the config's ``binning`` section.

    ``reviewed=False`` leaves out the per-feature trends and overrides, which were reviewed
    against the target: for binning against another outcome (the approval decision of
    :func:`riskresearch.reject_sample.approval_model`).
    """
    b = cfg.binning
    return WoeBinner(
        categorical_features=categorical,
        max_n_bins=b.max_n_bins,
        min_bin_size=b.min_bin_size,
        min_bin_n_event=b.min_bin_n_event,
        small_bins=b.small_bins,
        monotonic_trend=b.monotonic_trend,
        monotonic_trends=(b.monotonic_trends or None) if reviewed else None,
        special_codes=b.special_codes or None,
        overrides=(b.overrides or None) if reviewed else None,
        unseen=b.unseen,
        time_limit=b.time_limit,
    )


def build_estimator(cfg: ModelConfig, categorical: list[str]) -> Scorecard | SegmentedScorecard:
    """The (unfitted) scorecard the config describes."""
    s, sc = cfg.selection, cfg.scorecard
    binner = config_binner(cfg, categorical)
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


def load_split(
    cfg: ModelConfig, table: pd.DataFrame | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Development and test rows (out of time, by a split column, or at random); ``table``
    as in :func:`load_table`."""
    return split_rows(load_table(cfg, table=table), cfg)


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
    w = sample_weight if sample_weight is not None else row_weights(cfg, train)
    return template.binner.fit(train[feats], y, sample_weight=w)


def row_weights(cfg: ModelConfig, rows: pd.DataFrame) -> np.ndarray | None:
    """The rows' ``data.weight_column`` as floats, or None when the config has none."""
    return rows[cfg.data.weight_column].to_numpy(dtype=float) if cfg.data.weight_column else None


def fold_groups(cfg: ModelConfig, rows: pd.DataFrame) -> np.ndarray | None:
    """What the scorecard's ``fit`` passes as ``groups`` to the selector's folds: the date of
    each row with an out-of-time split (time-ordered folds, see :func:`build_estimator`),
    else None (stratified folds)."""
    return rows[cfg.data.date_column].to_numpy() if cfg.split_mode == "oot" else None


def segment_columns(cfg: ModelConfig) -> list[str]:
    """The columns the config's segments are defined on, in order, once each."""
    cols: list[str] = []
    for when in (cfg.segments or {}).values():
        cols += [c for c in when if c not in cols]
    return cols


def model_columns(cfg: ModelConfig, feats: list[str]) -> list[str]:
    """The columns a scorecard is fitted on: ``feats`` and the segment columns (a segment
    column may be a feature)."""
    return list(dict.fromkeys(feats + segment_columns(cfg)))


def test_name(cfg: ModelConfig) -> str:
    """What the config's test rows are called: ``out-of-time`` or ``test``."""
    return "out-of-time" if cfg.split_mode == "oot" else "test"
