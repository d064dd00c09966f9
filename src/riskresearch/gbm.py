"""LightGBM delinquency challenger: a factory, a scikit-learn classifier, SHAP reason codes,
text-only persistence and the champion/challenger comparison with the scorecard.

LightGBM is always built through :func:`lgbm_params` (``deterministic=True``, fixed threads, the
config's seed), never subclassed. Categorical features are coded by this module (sorted
categories seen in training; unseen and missing values are missing), so the model text plus a
small JSON of feature names and categories is all a release needs to score: no pickle.
``y == 1`` is bad; a *pd* is the predicted probability of bad.
"""

from __future__ import annotations

import json
import warnings
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from riskresearch import metrics
from riskresearch.errors import ConfigError, DataError
from riskresearch.textfmt import json_text
from riskresearch.woe import (
    NUMERICAL,
    FeatureBins,
    as_frame,
    binary_target,
    category_codes,
    category_keys,
    check_columns,
    check_target,
    column_values,
    positive_index,
)

GBM_FORMAT = "riskresearch.gbm/1"
#: Defaults for a few-percent bad rate on tens of thousands of rows; the config overrides them.
DEFAULT_PARAMS: dict[str, Any] = {
    "objective": "binary",
    "learning_rate": 0.03,
    "num_leaves": 15,
    "min_data_in_leaf": 100,
    "feature_fraction": 0.8,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 10.0,
    "cat_smooth": 20.0,
    "min_data_per_group": 100,
    "max_cat_to_onehot": 8,
    "num_threads": 2,
}
#: Forced whatever the config says: the same config and data give the same model text.
FIXED_PARAMS: dict[str, Any] = {"deterministic": True, "force_row_wise": True, "verbosity": -1}
_RESERVED = {"seed", "random_state", "deterministic", "monotone_constraints", "metric"}


def lgbm_params(
    params: dict[str, Any] | None = None,
    seed: int = 0,
    monotone_constraints: list[int] | None = None,
) -> dict[str, Any]:
    """LightGBM parameters: defaults, the caller's overrides, then the fixed determinism ones.

    Parameters
    ----------
    params : dict, optional
        Overrides of :data:`DEFAULT_PARAMS` (any LightGBM parameter but the seeds, determinism
        and monotone constraints, which this factory owns).
    seed : int
        Seeds every random step of LightGBM (bagging, feature fraction, ...).
    monotone_constraints : list of int, optional
        -1, 0 or 1 per feature, in feature order.
    """
    params = dict(params or {})
    owned = sorted(set(params) & _RESERVED)
    if owned:
        raise ConfigError(
            f"The GBM params may not set {owned}: the seed comes from the config's 'seed', "
            "determinism is always on and monotone constraints come from 'gbm.monotone'."
        )
    out = {**DEFAULT_PARAMS, **params, **FIXED_PARAMS, "seed": int(seed), "metric": "auc"}
    if monotone_constraints is not None and any(monotone_constraints):
        out["monotone_constraints"] = [int(c) for c in monotone_constraints]
        out.setdefault("monotone_constraints_method", "advanced")
    return out


def monotone_from_bins(bins: dict[str, FeatureBins], features: list[str]) -> dict[str, int]:
    """Monotone constraints from the scorecard's bins: +1 where the bad rate rises with the
    feature across its regular bins, -1 where it falls, 0 otherwise (and for categories)."""
    out = {}
    for f in features:
        fb = bins.get(f)
        if fb is None or fb.dtype != NUMERICAL or fb.n_regular < 2:
            out[f] = 0
            continue
        good = np.asarray(fb.good[: fb.n_regular], float)
        bad = np.asarray(fb.bad[: fb.n_regular], float)
        seen = (good + bad) > 0
        rate = bad[seen] / (good[seen] + bad[seen])
        step = np.diff(rate)
        out[f] = 1 if (step > 0).all() else -1 if (step < 0).all() else 0
    return out


def monotone_supported(
    constraints: dict[str, int],
    rows: pd.DataFrame,
    y,
    sample_weight=None,
    n_groups: int = 10,
    level: float = 0.01,
) -> dict[str, int]:
    """The constraints the rows do not contradict: others become 0 (free).

    Bins fitted with a monotone trend are monotone by construction, so their trend alone
    cannot tell a monotone risk from a U-shaped one; forcing a U-shape monotone costs the GBM
    its signal. Here each constrained feature's rows are cut into ``n_groups`` quantile groups,
    their bad rates are fitted by an isotonic (monotone, in the constraint's direction)
    regression, and the constraint is dropped when the departure from that fit,
    ``sum n_g (rate_g - fit_g)^2 / (p (1 - p))``, exceeds what chance gives at ``level``
    (chi-square with groups - 1 degrees of freedom: a conservative test, so a constraint goes
    only when the data clearly contradict it).

    Parameters
    ----------
    constraints : dict of str to int
        ``{feature: -1 | 0 | 1}``, e.g. from :func:`monotone_from_bins`.
    rows : DataFrame
        The development rows (the constrained features' columns).
    y : array of 0 (good) and 1 (bad)
    sample_weight : array, optional
    n_groups : int, default 10
    level : float, default 0.01

    Returns
    -------
    dict of str to int
    """
    from scipy.stats import chi2
    from sklearn.isotonic import IsotonicRegression

    y = np.asarray(y, dtype=float)
    w = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, dtype=float)
    out = dict(constraints)
    for f, c in constraints.items():
        if not c:
            continue
        x = pd.to_numeric(rows[f], errors="coerce").to_numpy(dtype=float)
        seen = np.isfinite(x)
        if seen.sum() < n_groups:
            continue
        group = pd.qcut(x[seen], n_groups, labels=False, duplicates="drop")
        n = np.bincount(group, weights=w[seen])
        bad = np.bincount(group, weights=(w * y)[seen])
        n, bad = n[n > 0], bad[n > 0]
        k = len(n)
        if k < 3:
            continue
        rate = bad / n
        fit = IsotonicRegression(increasing=c > 0).fit(np.arange(k), rate, sample_weight=n)
        p = float(np.average(rate, weights=n))
        stat = float(n @ (rate - fit.predict(np.arange(k))) ** 2) / max(p * (1 - p), 1e-12)
        if chi2.sf(stat, k - 1) < level:
            out[f] = 0
    return out


# ------------------------------------------------------------------------------------------
# encoding shared by the classifier and the release scorer
# ------------------------------------------------------------------------------------------
def encode_frame(
    frame: pd.DataFrame, features: list[str], categories: dict, owner: str
) -> np.ndarray:
    """Float matrix LightGBM reads: numbers as they are, categories as their code (NaN when
    missing or never seen in training)."""
    check_columns(frame, features, owner)
    out = np.empty((len(frame), len(features)), dtype=np.float64)
    for j, f in enumerate(features):
        if f in categories:
            lookup = category_codes(categories[f])
            # compared as category_key spells them, as the scorecard does (31.0 is '31')
            out[:, j] = category_keys(frame[f]).map(lookup).astype("float64").to_numpy()
        else:
            stub = FeatureBins(name=f, dtype=NUMERICAL)
            s = column_values(frame, stub, owner)
            out[:, j] = s.to_numpy(dtype=float, na_value=np.nan)
    return out


def _contrib_reasons(contrib: np.ndarray, features: list[str], n: int, index) -> pd.DataFrame:
    """Top-``n`` features pushing each row's log-odds of bad up (positive SHAP values)."""
    values = contrib[:, : len(features)]
    order = np.argsort(-values, axis=1, kind="stable")[:, :n]
    top = np.take_along_axis(values, order, axis=1)
    names = np.asarray(features, dtype=object)[order]
    out = {}
    for i in range(order.shape[1]):
        keep = top[:, i] > 0
        out[f"reason_{i + 1}"] = np.where(keep, names[:, i], None)
        out[f"contribution_{i + 1}"] = np.where(keep, top[:, i], 0.0)
    return pd.DataFrame(out, index=index)


class GbmScorer:
    """Score with a LightGBM model from its text and metadata alone (what a release holds).

    Parameters
    ----------
    model_text : str
        ``Booster.model_to_string()`` output (``gbm.txt``).
    meta : dict or str
        ``gbm.json``: format, feature order, categories of categorical features.
    """

    def __init__(self, model_text: str, meta: dict[str, Any] | str):
        import lightgbm as lgb

        meta = json.loads(meta) if isinstance(meta, str) else meta
        if meta.get("format") != GBM_FORMAT:
            raise DataError(
                f"Not a riskresearch GBM (format {meta.get('format')!r}, expected "
                f"'{GBM_FORMAT}'). Export it again with GbmClassifier.to_text()."
            )
        self.meta = meta
        self.features = list(meta["features"])
        self.categories = {k: list(v) for k, v in meta["categories"].items()}
        self.booster = lgb.Booster(model_str=model_text)
        if self.booster.feature_name() != self.features:
            raise DataError("gbm.txt and gbm.json name different features. Export them together.")

    def _x(self, X) -> tuple[pd.DataFrame, np.ndarray]:
        frame = as_frame(X, "GbmScorer")
        return frame, encode_frame(frame, self.features, self.categories, "GbmScorer")

    def pd_(self, X) -> pd.Series:
        """Probability of bad of every row."""
        frame, x = self._x(X)
        return pd.Series(self.booster.predict(x), index=frame.index, name="pd")

    def contributions(self, X) -> pd.DataFrame:
        """SHAP value of every feature (log-odds of bad) and the ``bias`` term, per row."""
        frame, x = self._x(X)
        contrib = self.booster.predict(x, pred_contrib=True)
        return pd.DataFrame(contrib, index=frame.index, columns=[*self.features, "bias"])

    def reason_codes(self, X, n: int = 4) -> pd.DataFrame:
        """The ``n`` features raising each applicant's risk most (largest positive SHAP)."""
        frame, x = self._x(X)
        contrib = self.booster.predict(x, pred_contrib=True)
        return _contrib_reasons(contrib, self.features, n, frame.index)


class GbmClassifier(ClassifierMixin, BaseEstimator):
    """LightGBM classifier of bad (1) vs good (0) with early stopping and SHAP reason codes.

    Parameters
    ----------
    params : dict, optional
        LightGBM parameters overriding :data:`DEFAULT_PARAMS` (see :func:`lgbm_params`).
    num_boost_round : int, default 2000
        Most boosting rounds.
    early_stopping_rounds : int, default 100
        Stop when the validation AUC (``eval_set`` in ``fit``) has not improved this long.
    monotone : dict, optional
        ``{feature: -1 | 0 | 1}``; e.g. from :func:`monotone_from_bins`.
    categorical_features : list of str, optional
        Default: columns of text, category or object dtype.
    random_state : int, default 0
        LightGBM's seed.
    pos_label : label, optional
        The bad class of ``y`` in ``fit``. Default: the larger of the two sorted labels
        (scikit-learn's convention: 1 of 0/1, True of booleans); text labels such as
        ``'bad'`` / ``'good'`` need it.

    Attributes
    ----------
    booster_ : lightgbm.Booster
    best_iteration_ : int
        Rounds kept (the early-stopping optimum, or ``num_boost_round``).
    features_, categories_ : list, dict
        Feature order and the training categories of each categorical feature.
    classes_ : ndarray
        The two labels of ``y``, sorted (``predict_proba``'s columns, ``predict``'s labels).

    Examples
    --------
    >>> gbm = GbmClassifier(random_state=7).fit(X, y, eval_set=(X_valid, y_valid))  # doctest: +SKIP
    >>> gbm.reason_codes(X_test)                                                   # doctest: +SKIP
    """

    def __init__(
        self,
        *,
        params=None,
        num_boost_round=2000,
        early_stopping_rounds=100,
        monotone=None,
        categorical_features=None,
        random_state=0,
        pos_label=None,
    ):
        self.params = params
        self.num_boost_round = num_boost_round
        self.early_stopping_rounds = early_stopping_rounds
        self.monotone = monotone
        self.categorical_features = categorical_features
        self.random_state = random_state
        self.pos_label = pos_label

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False  # bad vs good: binary targets only
        tags.input_tags.allow_nan = True  # LightGBM routes missing values itself
        return tags

    def _check_params(self) -> None:
        for name in ("num_boost_round", "early_stopping_rounds"):
            v = getattr(self, name)
            if not isinstance(v, int | np.integer) or isinstance(v, bool) or v < 1:
                raise ConfigError(
                    f"The '{name}' parameter of GbmClassifier must be a positive integer. "
                    f"Got {v!r} instead."
                )
        bad = {k: v for k, v in (self.monotone or {}).items() if v not in (-1, 0, 1)}
        if bad:
            raise ConfigError(
                f"The 'monotone' parameter of GbmClassifier maps features to -1, 0 or 1. Got "
                f"{bad} instead."
            )

    def fit(self, X, y, sample_weight=None, eval_set=None):
        """Fit; with ``eval_set=(X_valid, y_valid[, w_valid])`` stop early on its AUC.

        Parameters
        ----------
        X : DataFrame or 2-D array
        y : array of 0 (good) and 1 (bad)
        sample_weight : array, optional
            Honoured by LightGBM (e.g. weights from reject inference).
        eval_set : tuple, optional
            Validation rows, e.g. the latest development months (a time-based split).
        """
        import lightgbm as lgb

        self._check_params()
        frame = as_frame(X, "GbmClassifier.fit")
        y_arr, w, classes = binary_target(
            y, len(frame), "GbmClassifier.fit", sample_weight, self.pos_label
        )
        positive = classes[positive_index(classes, self.pos_label)]
        features = list(frame.columns)
        if self.categorical_features is None:
            categorical = [
                c
                for c in features
                if not pd.api.types.is_numeric_dtype(frame[c]) and frame[c].dtype != bool
            ]
        else:
            categorical = list(self.categorical_features)
            check_columns(frame, categorical, "GbmClassifier.fit")
        unknown = sorted(set(self.monotone or {}) - set(features))
        if unknown:
            raise ConfigError(
                f"The 'monotone' parameter of GbmClassifier names unknown feature(s) {unknown}."
            )
        self.categories_ = {c: sorted(set(category_keys(frame[c]).dropna())) for c in categorical}
        self.features_ = features
        monotone = [int((self.monotone or {}).get(f, 0)) for f in features]
        params = lgbm_params(self.params, self.random_state, monotone)
        cat_idx = [features.index(c) for c in categorical]
        train = lgb.Dataset(
            encode_frame(frame, features, self.categories_, "GbmClassifier.fit"),
            label=y_arr,
            weight=w,
            feature_name=features,
            categorical_feature=cat_idx,
            free_raw_data=True,
        )
        callbacks, valid_sets = [], []
        if eval_set is not None:
            vx = as_frame(eval_set[0], "GbmClassifier.fit(eval_set)")
            vw_given = eval_set[2] if len(eval_set) > 2 else None
            vy, vw = check_target(
                eval_set[1], len(vx), "GbmClassifier.fit(eval_set)", vw_given, positive
            )
            valid_sets = [
                lgb.Dataset(
                    encode_frame(vx, features, self.categories_, "GbmClassifier.fit(eval_set)"),
                    label=vy,
                    weight=vw,
                    reference=train,
                )
            ]
            callbacks = [lgb.early_stopping(self.early_stopping_rounds, verbose=False)]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # LightGBM's notes on categorical args
            self.booster_ = lgb.train(
                params,
                train,
                num_boost_round=self.num_boost_round,
                valid_sets=valid_sets,
                callbacks=callbacks,
            )
        self.best_iteration_ = int(
            self.booster_.best_iteration or self.booster_.current_iteration()
        )
        self.classes_ = classes
        self.n_features_in_ = len(features)
        self.feature_names_in_ = np.asarray(features, dtype=object)
        return self

    # -- prediction -----------------------------------------------------------------------
    def _x(self, X) -> tuple[pd.DataFrame, np.ndarray]:
        check_is_fitted(self, "booster_")
        frame = as_frame(X, "GbmClassifier")
        if not isinstance(X, pd.DataFrame) and frame.shape[1] != self.n_features_in_:
            raise DataError(
                f"GbmClassifier: X has {frame.shape[1]} features, but GbmClassifier is expecting "
                f"{self.n_features_in_} features as input. Pass the same columns."
            )
        return frame, encode_frame(frame, self.features_, self.categories_, "GbmClassifier")

    def predict_proba(self, X) -> np.ndarray:
        """Probability of each class of ``classes_`` (bad: column 1 unless ``pos_label``
        names ``classes_[0]``)."""
        _, x = self._x(X)
        p = self.booster_.predict(x, num_iteration=self.best_iteration_)
        proba = np.column_stack([1 - p, p])
        return proba if positive_index(self.classes_, self.pos_label) == 1 else proba[:, ::-1]

    def decision_function(self, X) -> np.ndarray:
        """Raw score (log-odds) of ``classes_[1]``."""
        _, x = self._x(X)
        raw = self.booster_.predict(x, num_iteration=self.best_iteration_, raw_score=True)
        return raw if positive_index(self.classes_, self.pos_label) == 1 else -raw

    def predict(self, X) -> np.ndarray:
        """The likelier class of ``classes_`` (bad where its probability is above 0.5, as
        ``decision_function`` > 0 gives ``classes_[1]``)."""
        _, x = self._x(X)
        p = self.booster_.predict(x, num_iteration=self.best_iteration_)
        k = positive_index(self.classes_, self.pos_label)
        return self.classes_[np.where(p > 0.5, k, 1 - k)]

    def reason_codes(self, X, n: int = 4) -> pd.DataFrame:
        """The ``n`` features raising each applicant's risk most (largest positive SHAP)."""
        frame, x = self._x(X)
        contrib = self.booster_.predict(x, num_iteration=self.best_iteration_, pred_contrib=True)
        return _contrib_reasons(contrib, self.features_, n, frame.index)

    def importance(self, X=None) -> pd.DataFrame:
        """Gain and split share of every feature; with ``X``, also its mean |SHAP| on ``X``."""
        check_is_fitted(self, "booster_")
        gain = self.booster_.feature_importance("gain", iteration=self.best_iteration_)
        split = self.booster_.feature_importance("split", iteration=self.best_iteration_)
        table = pd.DataFrame(
            {
                "feature": self.features_,
                "gain_share": gain / max(gain.sum(), 1e-300),
                "splits": split,
                "monotone": [int((self.monotone or {}).get(f, 0)) for f in self.features_],
            }
        )
        if X is not None:
            _, x = self._x(X)
            contrib = self.booster_.predict(
                x, num_iteration=self.best_iteration_, pred_contrib=True
            )
            table["mean_abs_shap"] = np.abs(contrib[:, : len(self.features_)]).mean(axis=0)
        return table.sort_values("gain_share", ascending=False, ignore_index=True)

    # -- export ---------------------------------------------------------------------------
    def to_text(self) -> tuple[str, str]:
        """``(model_text, meta_json)``: LightGBM's own model text and the encoding metadata."""
        check_is_fitted(self, "booster_")
        text = self.booster_.model_to_string(num_iteration=self.best_iteration_)
        meta = {
            "format": GBM_FORMAT,
            "features": self.features_,
            "categories": self.categories_,
            "best_iteration": self.best_iteration_,
            "monotone": {f: int(c) for f, c in (self.monotone or {}).items() if c},
        }
        return text, json_text(meta, sort_keys=True)

    def scorer(self) -> GbmScorer:
        return GbmScorer(*self.to_text())


# ------------------------------------------------------------------------------------------
# champion / challenger
# ------------------------------------------------------------------------------------------
def compare_models(
    y_true, pds: dict[str, Any], approval_rates=(0.5, 0.7, 0.8, 0.9), sample_weight=None
) -> pd.DataFrame:
    """AUC, Gini, KS and the bad rate of the approved at fixed approval rates, per model, on
    the same rows."""
    rows = []
    for name, pd_ in pds.items():
        row: dict[str, Any] = {"model": name, **metrics.summary(y_true, pd_, sample_weight)}
        table = metrics.bad_rate_at_approval(y_true, pd_, approval_rates, sample_weight)
        for r in table.itertuples():
            row[f"bad_rate_at_{r.approval_rate:.0%}"] = r.bad_rate_approved
            row[f"bads_declined_at_{r.approval_rate:.0%}"] = r.bads_declined_share
        rows.append(row)
    return pd.DataFrame(rows)


def swap_set(y_true, pd_a, pd_b, approval_rate: float = 0.8, names=("champion", "challenger")):
    """Who each model approves that the other declines, at the same approval rate.

    Each model approves its safest ``approval_rate`` share of the rows. Returns one row per
    cell (both approve, only A, only B, both decline) with its count, share and bad rate: a
    challenger is better when the rows only it approves are safer than those only the
    champion approves.
    """
    if not 0 < approval_rate <= 1:
        raise ConfigError(
            f"The 'approval_rate' parameter of swap_set must be a share in (0, 1]. Got "
            f"{approval_rate!r} instead."
        )
    y = np.asarray(y_true, dtype=float)
    a, b = np.asarray(pd_a, dtype=float), np.asarray(pd_b, dtype=float)
    if not len(y) == len(a) == len(b) or len(y) == 0:
        raise DataError("swap_set needs y_true, pd_a and pd_b of the same, non-zero length.")
    approve_a = a <= np.quantile(a, approval_rate, method="inverted_cdf")
    approve_b = b <= np.quantile(b, approval_rate, method="inverted_cdf")
    cells = {
        "both approve": approve_a & approve_b,
        f"only {names[0]} approves": approve_a & ~approve_b,
        f"only {names[1]} approves": ~approve_a & approve_b,
        "both decline": ~approve_a & ~approve_b,
    }
    return pd.DataFrame(
        [
            {
                "cell": name,
                "rows": int(m.sum()),
                "share": float(m.mean()),
                "bad_rate": float(y[m].mean()) if m.any() else np.nan,
            }
            for name, m in cells.items()
        ]
    )


__all__ = [
    "DEFAULT_PARAMS",
    "GbmClassifier",
    "GbmScorer",
    "compare_models",
    "encode_frame",
    "lgbm_params",
    "monotone_from_bins",
    "monotone_supported",
    "swap_set",
]
