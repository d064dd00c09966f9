"""Anti-fraud model: point-in-time fraud features, a LightGBM classifier for the rare class with
class weights or resampling, an IsolationForest anomaly score and text-only persistence.

The features (``sql/fraud_features.sql`` plus an incremental union-find here) find what the
simulator hides: **rings** share device fingerprints, contact phones and addresses, arrive in
bursts at a few bad partners and leave no payment; **identity thefts** apply minutes after
registering, at night, with an IP/GPS mismatch. Every feature of an application uses only
applications with an earlier ``applied_at`` and events dated before its day, with one
documented exception: ``delivery_address_changed`` is a *post-approval* signal. The address is
changed after approval and before the device ships (the simulator draws the flag per approved
lease, with no date of its own; delivery, ``orders.started_on``, comes 1-3 days after the
decision). It is known while an approved lease waits in the review queue before delivery,
never at application time: :data:`APPLICATION_FEATURES` leaves it out, :data:`FEATURES` keeps
it, and declined applications have it missing.

``y == 1`` is fraud (confirmed by investigation, ``fraud_cases``). The simulator's
``oracle_applications`` is read only by :func:`true_fraud` (evaluation code).
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from riskresearch import metrics
from riskresearch.errors import ConfigError, DataError
from riskresearch.features import connect, warehouse_as_of
from riskresearch.gbm import _encode, lgbm_params
from riskresearch.woe import as_frame, check_columns, check_target

FRAUD_FORMAT = "riskresearch.fraud/1"
METHODS = ("class_weight", "smote", "undersample")
#: Features known when the application arrives: its own fields, links to earlier applications
#: (shared device, phone or address), velocities and the partner's history.
APPLICATION_FEATURES: tuple[str, ...] = tuple(
    (
        "segment registration_to_application_minutes ip_gps_city_mismatch application_hour "
        "id_verification phone_tenure_months device_category model_tier retail_price "
        "price_vs_retail lease_term_months "
        "component_size linked_total linked_7d linked_30d linked_customers_30d linked_defaults "
        "linked_default_share "
        "device_apps_1d device_apps_30d phone_apps_1d phone_apps_30d partner_apps_1d "
        "partner_apps_7d partner_burst customer_prior_applications partner_fraud_rate"
    ).split()
)
#: Known after approval, before delivery (the review queue of approved leases).
POST_APPROVAL_FEATURES: tuple[str, ...] = ("delivery_address_changed",)
FEATURES = APPLICATION_FEATURES + POST_APPROVAL_FEATURES
#: Tables and columns :func:`fraud_features` reads.
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "applications": (
        "application_id customer_id segment applied_at partner_id decision "
        "registration_to_application_minutes ip_gps_city_mismatch application_hour "
        "id_verification phone_tenure_months device_category model_tier retail_price "
        "listed_price lease_term_months device_fingerprint_id contact_phone_id address_id"
    ).split(),
    "orders": ("application_id", "partner_id", "started_on", "delivery_address_changed"),
    "installments": ("application_id", "installment_no", "due_date", "paid_date"),
    "fraud_cases": ("application_id", "confirmed_on"),
}
#: LightGBM defaults for a ~1% class on tens of thousands of rows (over gbm.DEFAULT_PARAMS).
#: One thread: these fits take about a second, and OpenMP threads on a busy machine can make
#: them ten times slower.
FRAUD_PARAMS: dict[str, Any] = {
    "num_threads": 1,
    "learning_rate": 0.05,
    "num_leaves": 15,
    "min_data_in_leaf": 20,
    "lambda_l2": 1.0,
}
LINK_KEYS = ("device_fingerprint_id", "contact_phone_id", "address_id")


# ------------------------------------------------------------------------------------------
# features
# ------------------------------------------------------------------------------------------
def component_sizes(applied_at, keys) -> np.ndarray:
    """Size of each application's connected component among *earlier* applications.

    Applications are linked when they share a value of any key column (a device, a phone, an
    address). The component of application ``i`` is taken in the graph of ``i`` and all
    applications with a strictly earlier ``applied_at`` (ties do not link), so a later
    application never changes it. An incremental union-find over key values in time order:
    near-linear, a few seconds per million applications.

    Parameters
    ----------
    applied_at : array-like of datetime64, shape (n,)
    keys : sequence of array-like, each of shape (n,)
        Key columns; missing values (NaN/None) link nothing.

    Returns
    -------
    numpy.ndarray of int64, shape (n,)
        1 for an application that shares nothing with an earlier one.

    Examples
    --------
    >>> t = np.array(["2025-01-01", "2025-01-02", "2025-01-03"], dtype="datetime64[ns]")
    >>> component_sizes(t, [[1, 1, 2], [7, 8, 8]]).tolist()
    [1, 2, 3]
    """
    t = np.asarray(applied_at, dtype="datetime64[ns]").astype(np.int64)
    n = t.size
    codes = np.full((n, len(keys)), -1, dtype=np.int64)
    n_nodes = 0
    for j, k in enumerate(keys):
        c, uniques = pd.factorize(pd.Series(k).reset_index(drop=True), use_na_sentinel=True)
        codes[:, j] = np.where(c >= 0, c + n_nodes, -1)
        n_nodes += len(uniques)
    order = np.argsort(t, kind="stable")
    ts = t[order]
    rows = [[k for k in r if k >= 0] for r in codes[order].tolist()]
    bounds = [*np.flatnonzero(np.r_[True, ts[1:] != ts[:-1]]).tolist(), n]
    parent = list(range(n_nodes))
    apps = [0] * n_nodes  # applications in the component of each root

    def find(a: int) -> int:
        root = a
        while parent[root] != root:
            root = parent[root]
        while parent[a] != root:  # path compression
            parent[a], a = root, parent[a]
        return root

    sizes = [0] * n
    for lo, hi in itertools.pairwise(bounds):
        for r in range(lo, hi):  # first every tied application, against earlier ones only
            sizes[r] = 1 + sum(apps[x] for x in {find(k) for k in rows[r]})
        for r in range(lo, hi):
            if not rows[r]:
                continue
            root = find(rows[r][0])
            for k in rows[r][1:]:
                other = find(k)
                if other != root:
                    if apps[other] > apps[root]:
                        root, other = other, root
                    parent[other] = root
                    apps[root] += apps[other]
            apps[root] += 1
    out = np.empty(n, dtype=np.int64)
    out[order] = sizes
    return out


def _check_tables(con: duckdb.DuckDBPyConnection, source: str) -> None:
    cols = con.execute("SELECT table_name, column_name FROM information_schema.columns").fetchall()
    have: dict[str, set[str]] = {}
    for table, column in cols:
        have.setdefault(table, set()).add(column)
    problems = []
    for table, needed in REQUIRED_COLUMNS.items():
        missing = [c for c in needed if c not in have.get(table, set())]
        if table not in have:
            problems.append(f"table '{table}' is missing")
        elif missing:
            problems.append(f"table '{table}' lacks column(s) {', '.join(missing)}")
    if problems:
        raise DataError(
            f"The warehouse '{source}' cannot feed the fraud features: {'; '.join(problems)}. "
            "See data/README.md for the tables and columns."
        )


def fraud_features(db_path: str | os.PathLike, as_of: dt.date | None = None) -> pd.DataFrame:
    """Point-in-time fraud features of every application, with the fraud target.

    Parameters
    ----------
    db_path : path-like
        DuckDB warehouse with the raw tables (``data/README.md``); opened read-only.
    as_of : datetime.date, optional
        Last observed day (applications after it are left out). Defaults to the date in
        ``warehouse_meta``; required for a warehouse without one.

    Returns
    -------
    pandas.DataFrame
        One row per application, sorted by ``application_id``: identifiers (``application_id``,
        ``customer_id``, ``partner_id``, ``applied_at``, ``application_month``, ``decision``),
        the columns of :data:`FEATURES`, and the target: ``has_lease`` (a lease started by
        ``as_of``), ``fraud`` (1 = fraud confirmed by ``as_of``; NULL without a lease) and
        ``fraud_mature`` (135+ days on book: confirmation takes up to ~130 days).

        Links (``component_size``, ``linked_*``) count earlier applications sharing a device,
        phone or address; ``linked_defaults`` those whose fraud was confirmed, or whose first
        instalment was 30+ days past due, before the application day (``linked_default_share``
        is NaN without links). Velocities count earlier applications of the same device,
        phone or partner in the last 1/7/30 days; ``partner_burst`` is the partner's last 7
        days over its 90-day weekly average; ``partner_fraud_rate`` its confirmed fraud cases
        over leases started in the 365 days before the application day.
    """
    db = Path(db_path)
    if not db.is_file():
        raise ConfigError(
            f"The warehouse file '{db}' does not exist. Build it with 'riskresearch data build' "
            "or give the path of your own DuckDB file."
        )
    con = connect(db)
    try:
        _check_tables(con, str(db))
        as_of = as_of or warehouse_as_of(con)
        if as_of is None:
            raise ConfigError(
                f"The warehouse '{db}' records no as-of date. Pass as_of (the last observed day)."
            )
        sql = resources.files("riskresearch").joinpath("sql/fraud_features.sql").read_text()
        frame = con.sql(sql, params={"as_of": as_of}).df()
    finally:
        con.close()
    sizes = component_sizes(frame["applied_at"].to_numpy(), [frame[k] for k in LINK_KEYS])
    frame.insert(frame.columns.get_loc("linked_total"), "component_size", sizes)
    return frame.sort_values("application_id", kind="stable").reset_index(drop=True)


def split_out_of_time(
    frame: pd.DataFrame, test_months: int = 6
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Training rows (earlier months, leases with a mature fraud label) and out-of-time rows
    (every application of the last ``test_months`` months).

    Parameters
    ----------
    frame : DataFrame
        Output of :func:`fraud_features`.
    test_months : int, default 6
        Latest application months held out.
    """
    months = np.sort(frame["application_month"].unique())
    if isinstance(test_months, bool) or not isinstance(test_months, int | np.integer):
        test_months = -1
    if not 1 <= test_months < len(months):
        raise ConfigError(
            f"The 'test_months' parameter of split_out_of_time must be an integer from 1 to "
            f"{len(months) - 1} (the table spans {len(months)} months). Got {test_months!r}."
        )
    oot = (frame["application_month"] >= months[-test_months]).to_numpy()
    train = frame[~oot & frame["has_lease"].to_numpy() & frame["fraud_mature"].to_numpy()]
    return train.reset_index(drop=True), frame[oot].reset_index(drop=True)


def true_fraud(db_path: str | os.PathLike) -> pd.DataFrame:
    """Evaluation only: the simulator's truth (``application_id``, ``true_fraud`` as 0/1,
    ``fraud_type``). Never feed it to fitting or feature code."""
    con = connect(db_path)
    try:
        return con.sql(
            "SELECT application_id, CAST(true_fraud AS INTEGER) AS true_fraud, fraud_type "
            "FROM oracle_applications ORDER BY application_id"
        ).df()
    finally:
        con.close()


def fraud_metrics(y_true, score, rates=(0.01, 0.02, 0.05), k: int = 100) -> dict[str, float]:
    """Rare-class summary: PR-AUC, recall at each review rate, precision of the top ``k``."""
    out = {"pr_auc": metrics.pr_auc(y_true, score)}
    for r in rates:
        out[f"recall_at_{r:g}"] = metrics.recall_at_review_rate(y_true, score, r)
    out[f"precision_at_{k}"] = metrics.precision_at_k(y_true, score, k)
    out["fraud_rate"] = float(np.mean(np.asarray(y_true, dtype=float)))
    return out


# ------------------------------------------------------------------------------------------
# models
# ------------------------------------------------------------------------------------------
def make_lgbm(params: dict[str, Any] | None = None, seed: int = 0, n_estimators: int = 300, **kw):
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
        c: sorted(set(frame[c].dropna().astype("str")))
        for c in feats
        if not pd.api.types.is_numeric_dtype(frame[c]) and frame[c].dtype != bool
    }
    return cats, _encode(frame, feats, cats, owner)


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
    num_boost_round : int, default 300
    random_state : int, default 0
        Seeds LightGBM and the sampler.

    Attributes
    ----------
    pipeline_ : imblearn.pipeline.Pipeline
        ``[impute,] [sample,] lgbm`` steps.
    booster_ : lightgbm.Booster
    features_, categories_ : list, dict
    classes_ : ndarray ``[0, 1]``

    Examples
    --------
    >>> model = FraudModel(method="undersample", random_state=7).fit(X, y)  # doctest: +SKIP
    >>> model.fraud_score(X_new)                                           # doctest: +SKIP
    """

    def __init__(
        self,
        method="class_weight",
        features=None,
        sampling_strategy=0.1,
        k_neighbors=5,
        params=None,
        num_boost_round=300,
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
        y_arr, w = check_target(y, len(frame), "FraudModel.fit", sample_weight)
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
        self.classes_ = np.array([0, 1])
        self.n_features_in_ = frame.shape[1]
        self.feature_names_in_ = np.asarray(frame.columns, dtype=object)
        return self

    def _x(self, X) -> pd.DataFrame:
        check_is_fitted(self, "pipeline_")
        frame, _ = _input(X, self.features_, "FraudModel")
        if not isinstance(X, pd.DataFrame) and frame.shape[1] != self.n_features_in_:
            raise DataError(
                f"FraudModel: X has {frame.shape[1]} columns but the model was fitted on "
                f"{self.n_features_in_}. Pass the same columns (a DataFrame may hold more)."
            )
        x = _encode(frame, self.features_, self.categories_, "FraudModel")
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
        return (self.fraud_score(X) >= 0.5).astype(np.int64)

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
        text = json.dumps(meta, indent=1, sort_keys=True, default=str)
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
        x = _encode(frame, self.features, self.categories, "FraudScorer")
        if self.fill is not None:
            x = np.where(np.isnan(x), self.fill, x)
        return pd.Series(self.booster.predict(x), index=frame.index, name="fraud_score")


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

    def __init__(self, features=None, n_estimators=200, max_samples=256, random_state=0):
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
        x = _encode(frame, self.features_, self.categories_, "FraudAnomaly")
        return self.forest_.score_samples(self._prepare(x))

    def anomaly_score(self, X) -> np.ndarray:
        """Anomaly score of every row (higher = more abnormal), for a review queue."""
        return -self.score_samples(X)


__all__ = [
    "APPLICATION_FEATURES",
    "FEATURES",
    "POST_APPROVAL_FEATURES",
    "FraudAnomaly",
    "FraudModel",
    "FraudScorer",
    "component_sizes",
    "fraud_features",
    "fraud_metrics",
    "make_lgbm",
    "split_out_of_time",
    "true_fraud",
    "write_fraud_model",
]


# ------------------------------------------------------------------------------------------
# from a config (what the fraud notebook calls)
# ------------------------------------------------------------------------------------------
@dataclass
class FraudDevelopment:
    """The config's fraud model, its out-of-time rows and the method comparison.

    Attributes
    ----------
    model : FraudModel
        Fitted on the earlier months' leases (label: fraud confirmed by the as-of date) with
        the application-time features, so the decision engine can score it before approval.
    test : DataFrame
        Every application of the last ``fraud.test_months`` months, with ``fraud_score`` and
        ``truth`` (the oracle's true fraud on simulated data, else confirmed fraud).
    comparison : DataFrame
        One row per method (plus an IsolationForest alone): PR-AUC, recall at each review
        rate, precision of the top 100.
    """

    cfg: Any
    model: FraudModel
    test: pd.DataFrame
    comparison: pd.DataFrame
    truth: str
    metrics: dict[str, Any] = field(default_factory=dict)


def develop_fraud(cfg) -> FraudDevelopment:
    """Fit ``cfg.fraud.method`` and compare it with the other methods, out of time."""
    f = cfg.fraud
    if cfg.data.warehouse is None:
        raise ConfigError(
            "The fraud model needs data.warehouse (the DuckDB warehouse with the raw tables). "
            "Set it, or disable the model with fraud.enabled: false."
        )
    frame = fraud_features(cfg.data.warehouse)
    train, test = split_out_of_time(frame, f.test_months)
    if cfg.data.oracle is not None:  # simulated data: measure against the hidden truth
        truth = test[["application_id"]].merge(true_fraud(cfg.data.oracle), how="left")
        test = test.assign(truth=truth["true_fraud"].fillna(0).to_numpy(dtype=int))
        label = "true fraud (simulator oracle)"
    else:  # real data: confirmed fraud, counted only where the label has matured
        test = test[test["fraud_mature"].to_numpy(dtype=bool)].reset_index(drop=True)
        test = test.assign(truth=test["fraud"].astype(int).to_numpy())
        label = "confirmed fraud (mature rows)"
    y = train["fraud"].astype(int).to_numpy()
    feats = list(APPLICATION_FEATURES)
    rows, scores = [], {}
    for method in dict.fromkeys([f.method, *f.compare]):
        model = FraudModel(method=method, features=feats, random_state=cfg.seed)
        model.fit(train[feats], y)
        scores[method] = model.fraud_score(test[feats])
        if method == f.method:
            chosen = model
    history = frame[frame["application_month"] < test["application_month"].min()]
    forest = FraudAnomaly(features=feats, random_state=cfg.seed).fit(history)
    scores["isolation_forest"] = forest.anomaly_score(test)
    truth_y = test["truth"].to_numpy()
    for name, score in scores.items():
        rows.append({"method": name, **fraud_metrics(truth_y, score, rates=f.review_rates)})
    comparison = pd.DataFrame(rows)
    test = test.assign(fraud_score=scores[f.method])
    chosen_row = comparison.set_index("method").loc[f.method].to_dict()
    summary = {
        "method": f.method,
        "truth": label,
        "train_rows": len(train),
        "train_confirmed_fraud": int(y.sum()),
        "test_rows": len(test),
        **{k: float(v) for k, v in chosen_row.items()},
    }
    return FraudDevelopment(cfg, chosen, test, comparison, label, summary)


def write_fraud(fdev: FraudDevelopment, out_dir: str | os.PathLike) -> list[Path]:
    """Write ``fraud.txt``, ``fraud.json``, ``fraud_methods.csv`` and add the figures to
    ``metrics.json``."""
    out = Path(out_dir)
    written = write_fraud_model(fdev.model, out)
    fdev.comparison.to_csv(out / "fraud_methods.csv", index=False)
    metrics_path = out / "metrics.json"
    everything = json.loads(metrics_path.read_text()) if metrics_path.is_file() else {}
    everything["fraud"] = fdev.metrics
    metrics_path.write_text(json.dumps(everything, indent=1, sort_keys=True) + "\n")
    return [*written, out / "fraud_methods.csv", metrics_path]
