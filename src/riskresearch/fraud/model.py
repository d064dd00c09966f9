"""The fraud classifier (class weights or resampling), its text scorer and the anomaly score."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from riskresearch.errors import ConfigError, DataError
from riskresearch.fraud.features import FRAUD_FORMAT, FRAUD_PARAMS, METHODS
from riskresearch.gbm import encode_frame, lgbm_params
from riskresearch.textfmt import json_text
from riskresearch.woe import (
    as_frame,
    binary_target,
    category_codes,
    category_key,
    category_keys,
    check_columns,
    to_number,
    to_numbers,
)


# ------------------------------------------------------------------------------------------
# models
# ------------------------------------------------------------------------------------------
def make_lgbm(params: dict[str, Any] | None = None, seed: int = 0, n_estimators: int = 100, **kw):
    """The LightGBM classifier of the fraud model: :data:`FRAUD_PARAMS`, the caller's
    ``params``, then ``deterministic=True``, fixed threads, ``verbosity=-1`` and ``seed``
    (:func:`riskresearch.gbm.lgbm_params`). ``kw`` goes to ``LGBMClassifier`` (``class_weight``).
    """
    import lightgbm as lgb

    p = lgbm_params({**FRAUD_PARAMS, **(params or {})}, seed=seed)
    return lgb.LGBMClassifier(n_estimators=n_estimators, **p, **kw)


def _check_counts(est, names: tuple[str, ...]) -> None:
    for name in names:
        v = getattr(est, name)
        if not isinstance(v, int | np.integer) or isinstance(v, bool) or v < 1:
            raise ConfigError(
                f"The '{name}' parameter of {type(est).__name__} must be a positive integer. "
                f"Got {v!r} instead."
            )


def _input(X, features, owner: str) -> tuple[pd.DataFrame, list[str]]:
    if type(X).__module__.startswith("scipy.sparse"):
        raise DataError(
            f"{owner}: sparse input is not supported. Pass a dense table or DataFrame "
            "(X.toarray())."
        )
    frame = as_frame(X, owner)
    feats = list(frame.columns) if features is None else list(features)
    for f in feats:
        if f in frame.columns and frame[f].dtype.kind in "mM":
            raise DataError(
                f"{owner}: column '{f}' holds dates or durations ({frame[f].dtype}); features "
                "must be numbers, booleans or categories. Drop it or convert it to a number."
            )
    return frame, feats


def _fit_encoding(frame: pd.DataFrame, feats: list[str], owner: str):
    """Categories of the text columns (sorted; unseen and missing values become NaN)."""
    check_columns(frame, feats, owner)
    cats = {
        c: sorted(set(category_keys(frame[c]).dropna()))
        for c in feats
        if not pd.api.types.is_numeric_dtype(frame[c]) and frame[c].dtype != bool
    }
    return cats, encode_frame(frame, feats, cats, owner)


class FraudModel(ClassifierMixin, BaseEstimator):
    """LightGBM fraud classifier with class weights, SMOTE or random undersampling.

    Resampling happens only inside an ``imblearn.pipeline.Pipeline`` (so only the training
    rows are resampled; scoring skips the sampler). Categories are coded as sorted codes, so
    the model text plus a small JSON is all that scoring needs (:class:`FraudScorer`).

    Parameters
    ----------
    method : {"class_weight", "smote", "undersample"}, default "class_weight"
        ``class_weight`` weights fraud rows so that their total weight is ``sampling_strategy``
        times that of the others; ``smote`` (after median imputation, as SMOTE needs complete
        rows) and ``undersample`` resample the training rows to that ratio.
    features : list of str, optional
        Columns to use; default every column of ``X``.
    sampling_strategy : float, default 0.1
        Fraud / non-fraud ratio after weighting or resampling, in (0, 1]. When the training
        rows already reach it, they are neither weighted nor resampled.
    k_neighbors : int, default 5
        SMOTE's neighbours.
    params : dict, optional
        LightGBM parameters over :data:`FRAUD_PARAMS` (see :func:`make_lgbm`).
    num_boost_round : int, default 100
        Trees; on the simulator 100 catch as much as 300 and score three times faster.
    random_state : int, default 0
        Seeds LightGBM and the sampler.

    Attributes
    ----------
    pipeline_ : imblearn.pipeline.Pipeline
        ``[impute,] [sample,] lgbm`` steps.
    booster_ : lightgbm.Booster
    features_, categories_ : list, dict
    classes_ : ndarray
        The two labels of ``y``, sorted; the fraud class is ``classes_[1]`` (1 of 0/1, True
        of booleans), scikit-learn's convention.

    Examples
    --------
    >>> model = FraudModel(method="undersample", random_state=7).fit(X, y)  # doctest: +SKIP
    >>> model.fraud_score(X_new)                                           # doctest: +SKIP
    """

    def __init__(
        self,
        *,
        method="class_weight",
        features=None,
        sampling_strategy=0.1,
        k_neighbors=5,
        params=None,
        num_boost_round=100,
        random_state=0,
    ):
        self.method = method
        self.features = features
        self.sampling_strategy = sampling_strategy
        self.k_neighbors = k_neighbors
        self.params = params
        self.num_boost_round = num_boost_round
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False  # y == 1 is fraud: binary targets only
        tags.input_tags.allow_nan = True  # LightGBM routes missing values itself
        return tags

    def _check_params(self) -> None:
        if self.method not in METHODS:
            raise ConfigError(
                f"The 'method' parameter of FraudModel must be one of {list(METHODS)}. "
                f"Got {self.method!r} instead."
            )
        s = self.sampling_strategy
        if isinstance(s, bool) or not isinstance(s, int | float) or not 0 < s <= 1:
            raise ConfigError(
                "The 'sampling_strategy' parameter of FraudModel must be a number in (0, 1]. "
                f"Got {s!r} instead."
            )
        _check_counts(self, ("k_neighbors", "num_boost_round"))

    def fit(self, X, y, sample_weight=None):
        """Fit on ``X`` (DataFrame or 2-D array) and ``y`` (1 = fraud, 0 = not).

        ``sample_weight`` is honoured by ``class_weight``; the resampling methods accept only
        equal weights (a resampled row has no weight of its own).
        """
        from imblearn.over_sampling import SMOTE
        from imblearn.pipeline import Pipeline
        from imblearn.under_sampling import RandomUnderSampler
        from sklearn.impute import SimpleImputer

        self._check_params()
        frame, feats = _input(X, self.features, "FraudModel.fit")
        y_arr, w, classes = binary_target(y, len(frame), "FraudModel.fit", sample_weight)
        self.categories_, x = _fit_encoding(frame, feats, "FraudModel.fit")
        ratio = float(w[y_arr == 1].sum() / w[y_arr == 0].sum())
        needed = self.sampling_strategy > ratio  # else the rows are already that balanced
        if self.method != "class_weight" and np.ptp(w) > 0:
            raise ConfigError(
                f"FraudModel(method={self.method!r}) cannot honour unequal sample_weight: "
                "resampled rows carry no weight. Use method='class_weight' or drop the weights."
            )
        seed = int(self.random_state or 0)
        steps: list[tuple[str, Any]] = []
        if self.method == "smote":  # SMOTE interpolates complete rows only
            imputer = SimpleImputer(strategy="median", keep_empty_features=True)
            steps.append(("impute", imputer.set_output(transform="pandas")))
            n_fraud = int((y_arr == 1).sum())
            if needed and self.k_neighbors >= n_fraud:
                raise ConfigError(
                    f"The 'k_neighbors' parameter of FraudModel ({self.k_neighbors}) must be "
                    f"below the number of fraud rows ({n_fraud}). Lower it or add fraud rows."
                )
        s = self.sampling_strategy
        if needed and self.method == "smote":
            steps.append(
                (
                    "sample",
                    SMOTE(sampling_strategy=s, k_neighbors=self.k_neighbors, random_state=seed),
                )
            )
        elif needed and self.method == "undersample":
            steps.append(("sample", RandomUnderSampler(sampling_strategy=s, random_state=seed)))
        class_weight = {0: 1.0, 1: max(1.0, s / ratio)} if self.method == "class_weight" else None
        lgbm = make_lgbm(self.params, seed, self.num_boost_round, class_weight=class_weight)
        self.pipeline_ = Pipeline([*steps, ("lgbm", lgbm)])
        fit_kw = {"lgbm__sample_weight": w} if self.method == "class_weight" else {}
        # a named frame all the way through, so the model text names the features
        self.pipeline_.fit(pd.DataFrame(x, columns=feats), y_arr, **fit_kw)
        self.booster_ = self.pipeline_[-1].booster_
        self.features_ = feats
        self.classes_ = classes
        self.n_features_in_ = frame.shape[1]
        self.feature_names_in_ = np.asarray(frame.columns, dtype=object)
        return self

    def _x(self, X) -> pd.DataFrame:
        check_is_fitted(self, "pipeline_")
        frame, _ = _input(X, self.features_, "FraudModel")
        if not isinstance(X, pd.DataFrame) and frame.shape[1] != self.n_features_in_:
            raise DataError(
                f"FraudModel: X has {frame.shape[1]} features, but FraudModel is expecting "
                f"{self.n_features_in_} features as input. Pass the same columns (a DataFrame may "
                "hold more)."
            )
        x = encode_frame(frame, self.features_, self.categories_, "FraudModel")
        return pd.DataFrame(x, columns=self.features_)

    def predict_proba(self, X) -> np.ndarray:
        """Probability of not-fraud (column 0) and fraud (column 1). Weighting and resampling
        inflate it: rank with it, do not read it as a rate."""
        x = self._x(X)  # checks that the model is fitted first
        return self.pipeline_.predict_proba(x)

    def fraud_score(self, X) -> np.ndarray:
        """Fraud score of every row (higher = more suspicious): the review-queue ranking."""
        return self.predict_proba(X)[:, 1]

    def predict(self, X) -> np.ndarray:
        """The likelier class of ``classes_`` (fraud where its score is above 0.5, as
        LightGBM's classifier decides)."""
        fraud = self.fraud_score(X) > 0.5  # checks that the model is fitted first
        return self.classes_[fraud.astype(np.int64)]

    def to_text(self) -> tuple[str, str]:
        """LightGBM model text and a JSON of features, categories, imputation and params."""
        check_is_fitted(self, "pipeline_")
        impute = self.pipeline_.named_steps.get("impute")
        meta = {
            "format": FRAUD_FORMAT,
            "method": self.method,
            "features": self.features_,
            "categories": self.categories_,
            "impute": None if impute is None else [float(v) for v in impute.statistics_],
            "params": self.get_params(deep=False),
        }
        text = json_text(meta, sort_keys=True, default=str)
        return self.booster_.model_to_string(), text

    def scorer(self) -> FraudScorer:
        """A :class:`FraudScorer` built from this model's text export."""
        return FraudScorer(*self.to_text())


class FraudScorer:
    """Score fraud from the model text and its JSON alone (no pickle).

    Parameters
    ----------
    model_text : str
        ``FraudModel.to_text()[0]`` (``fraud.txt``).
    meta : dict or str
        ``FraudModel.to_text()[1]`` (``fraud.json``).
    """

    def __init__(self, model_text: str, meta: dict[str, Any] | str):
        import lightgbm as lgb

        meta = json.loads(meta) if isinstance(meta, str) else meta
        if meta.get("format") != FRAUD_FORMAT:
            raise DataError(
                f"Not a riskresearch fraud model (format {meta.get('format')!r}, expected "
                f"'{FRAUD_FORMAT}'). Export it again with FraudModel.to_text()."
            )
        self.meta = meta
        self.features = list(meta["features"])
        self.categories = {k: list(v) for k, v in meta["categories"].items()}
        fill = meta.get("impute")
        self.fill = None if fill is None else np.nan_to_num(np.asarray(fill, dtype=float))
        self.booster = lgb.Booster(model_str=model_text)
        if self.booster.feature_name() != self.features:
            raise DataError(
                "fraud.txt and fraud.json name different features. Export them together."
            )
        self._codes = {f: category_codes(v) for f, v in self.categories.items()}

    @classmethod
    def read(cls, folder: str | os.PathLike) -> FraudScorer:
        """Load ``fraud.txt`` and ``fraud.json`` from ``folder``."""
        folder = Path(folder)
        paths = [folder / "fraud.txt", folder / "fraud.json"]
        missing = [str(p) for p in paths if not p.is_file()]
        if missing:
            raise ConfigError(f"No fraud model at {missing}. Write it with write_fraud_model().")
        return cls(paths[0].read_text(), paths[1].read_text())

    def fraud_score(self, X) -> pd.Series:
        """Fraud score of every row, as :meth:`FraudModel.fraud_score`."""
        frame = as_frame(X, "FraudScorer")
        x = encode_frame(frame, self.features, self.categories, "FraudScorer")
        return pd.Series(
            self.booster.predict(self._filled(x)), index=frame.index, name="fraud_score"
        )

    def _filled(self, x: np.ndarray) -> np.ndarray:
        return x if self.fill is None else np.where(np.isnan(x), self.fill, x)

    def matrix(self, X) -> tuple[np.ndarray, list[tuple[str, np.ndarray]]]:
        """The float matrix the model reads (:meth:`predict_matrix`), never raising on bad
        values, and the problems found.

        An absent column, a missing or unseen category, text that is not a number and +/-inf
        are all read as missing (then imputed as in training); the last two are reported as
        ``(reason, row mask)`` pairs, ``invalid_value:<feature>`` / ``out_of_range:<feature>``,
        in feature order. Categories are compared as :func:`riskresearch.woe.category_key`.
        """
        frame = X if isinstance(X, pd.DataFrame) else as_frame(X, "FraudScorer")  # may be empty
        n = len(frame)
        cols, problems = [], []
        for f in self.features:
            if f not in frame.columns:
                cols.append(np.full(n, np.nan))
            elif f in self._codes:
                lookup = self._codes[f]
                codes, uniques = pd.factorize(frame[f], use_na_sentinel=True)
                table = np.array(
                    [float(lookup.get(category_key(u), np.nan)) for u in uniques] + [np.nan],
                    dtype=float,
                )
                cols.append(table[codes])
            else:
                x, bad = to_numbers(frame[f])
                inf = np.isinf(x)
                if inf.any():
                    x = np.where(inf, np.nan, x)
                cols.append(x)
                problems += [(f"invalid_value:{f}", bad), (f"out_of_range:{f}", inf)]
        x = np.column_stack(cols) if cols else np.empty((n, 0))
        return self._filled(x), [(r, m) for r, m in problems if m.any()]

    def row(self, application: Mapping[str, Any]) -> tuple[np.ndarray, list[str]]:
        """:meth:`matrix` of one application given as a mapping of field -> value (pure
        Python): its row and its problems' reasons."""
        row, problems = [], []
        for f in self.features:
            v = application.get(f)
            if f in self._codes:
                key = category_key(v)
                row.append(math.nan if key is None else float(self._codes[f].get(key, math.nan)))
                continue
            x = to_number(v)
            if x is None:
                x = math.nan
                problems.append(f"invalid_value:{f}")
            elif math.isinf(x):
                x = math.nan
                problems.append(f"out_of_range:{f}")
            row.append(x)
        return self._filled(np.asarray(row, dtype=np.float64)), problems

    def predict_matrix(self, x: np.ndarray, n_threads: int = 0) -> np.ndarray:
        """Fraud scores of the rows of a :meth:`matrix` (or :meth:`row`, one score), with
        ``n_threads`` LightGBM threads (0: LightGBM's default, every core)."""
        x = np.asarray(x, dtype=np.float64)
        if x.ndim == 1:
            x = x[None, :]
        return self.booster.predict(x, num_threads=n_threads)


def write_fraud_model(model: FraudModel, folder: str | os.PathLike) -> list[Path]:
    """Write ``fraud.txt`` (LightGBM model text) and ``fraud.json`` into ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    text, meta = model.to_text()
    (folder / "fraud.txt").write_text(text if text.endswith("\n") else text + "\n")
    (folder / "fraud.json").write_text(meta + "\n")
    return [folder / "fraud.txt", folder / "fraud.json"]


class FraudAnomaly(BaseEstimator):
    """Unsupervised anomaly score (IsolationForest) for fraud patterns not yet labelled.

    Numbers enter on a log scale (``log1p`` of non-negative columns, so counts and minutes
    are not dominated by their tails), categories as codes, missing values as the training
    median.

    Parameters
    ----------
    features : list of str, optional
        Columns to use; default every column of ``X``.
    n_estimators : int, default 200
    max_samples : int, default 256
    random_state : int, default 0

    Attributes
    ----------
    forest_ : sklearn.ensemble.IsolationForest
    features_, categories_, medians_, log_columns_
    """

    def __init__(self, *, features=None, n_estimators=200, max_samples=256, random_state=0):
        self.features = features
        self.n_estimators = n_estimators
        self.max_samples = max_samples
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags

    def _prepare(self, x: np.ndarray) -> np.ndarray:
        x = np.where(np.isnan(x), self.medians_, x)
        x[:, self.log_columns_] = np.log1p(np.maximum(x[:, self.log_columns_], 0))
        return x

    def fit(self, X, y=None):
        """Fit the forest on ``X`` (``y`` is ignored)."""
        from sklearn.ensemble import IsolationForest

        _check_counts(self, ("n_estimators", "max_samples"))
        frame, feats = _input(X, self.features, "FraudAnomaly.fit")
        self.categories_, x = _fit_encoding(frame, feats, "FraudAnomaly.fit")
        with np.errstate(all="ignore"):
            med = np.nanmedian(np.where(np.isnan(x).all(axis=0), 0.0, x), axis=0)
        self.medians_ = np.nan_to_num(med)
        self.log_columns_ = np.asarray(
            [
                f not in self.categories_ and bool(np.nanmin(x[:, j], initial=0) >= 0)
                for j, f in enumerate(feats)
            ]
        )
        self.features_ = feats
        self.forest_ = IsolationForest(
            n_estimators=self.n_estimators,
            max_samples=min(self.max_samples, len(frame)),
            random_state=self.random_state,
        ).fit(self._prepare(x))
        self.n_features_in_ = frame.shape[1]
        self.feature_names_in_ = np.asarray(frame.columns, dtype=object)
        return self

    def score_samples(self, X) -> np.ndarray:
        """IsolationForest's ``score_samples``: lower = more abnormal."""
        check_is_fitted(self, "forest_")
        frame, _ = _input(X, self.features_, "FraudAnomaly")
        if not isinstance(X, pd.DataFrame) and frame.shape[1] != self.n_features_in_:
            raise DataError(
                f"FraudAnomaly: X has {frame.shape[1]} columns but it was fitted on "
                f"{self.n_features_in_}. Pass the same columns."
            )
        x = encode_frame(frame, self.features_, self.categories_, "FraudAnomaly")
        return self.forest_.score_samples(self._prepare(x))

    def anomaly_score(self, X) -> np.ndarray:
        """Anomaly score of every row (higher = more abnormal), for a review queue."""
        return -self.score_samples(X)
