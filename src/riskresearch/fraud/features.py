"""Point-in-time fraud features (ring graph, velocities), out-of-time split, rare-class metrics."""

from __future__ import annotations

import datetime as dt
import itertools
import os
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd

from riskresearch import metrics
from riskresearch.errors import ConfigError
from riskresearch.features import check_warehouse, connect, warehouse_as_of, warehouse_path

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
def key_codes(keys) -> tuple[np.ndarray, int, np.ndarray]:
    """Graph nodes of key values, for linking rows that share one.

    Parameters
    ----------
    keys : non-empty sequence of array-like, each of shape (n,)
        Key columns; missing values (NaN/None) link nothing.

    Returns
    -------
    codes : numpy.ndarray of int64, shape (n, len(keys))
        Node of each row's value in each column (the values of column ``j`` are numbered
        after those of the columns before it); -1 where missing.
    n_nodes : int
    shared : numpy.ndarray of bool, shape (n,)
        Rows sharing some key value with another row (the others link nothing).
    """
    n = len(keys[0])
    codes = np.full((n, len(keys)), -1, dtype=np.int64)
    shared = np.zeros(n, dtype=bool)
    n_nodes = 0
    for j, k in enumerate(keys):
        c, uniques = pd.factorize(pd.Series(k).reset_index(drop=True), use_na_sentinel=True)
        codes[:, j] = np.where(c >= 0, c + n_nodes, -1)
        n_nodes += len(uniques)
        counts = np.r_[np.bincount(c[c >= 0], minlength=len(uniques)), 0]  # [-1]: missing
        shared |= counts[c] > 1
    return codes, n_nodes, shared


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
    t_all = np.asarray(applied_at, dtype="datetime64[ns]").astype(np.int64)
    if not len(keys):
        return np.ones(t_all.size, dtype=np.int64)
    codes, n_nodes, shared = key_codes(keys)
    # an application sharing no key value with any other is a component of one, now and
    # later, and links nothing: only the others go through the (Python) union-find
    result = np.ones(t_all.size, dtype=np.int64)
    idx = np.flatnonzero(shared)
    t, codes = t_all[idx], codes[idx]
    n = t.size
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
    result[idx] = out
    return result


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
    db = warehouse_path(db_path, "fraud_features")
    con = connect(db)
    try:
        check_warehouse(con, str(db), REQUIRED_COLUMNS, "the fraud features")
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


def fraud_metrics(y_true, score, rates=(0.01, 0.02, 0.05), k: int = 100) -> dict[str, float]:
    """Rare-class summary: PR-AUC, recall at each review rate, precision of the top ``k``."""
    out = {"pr_auc": metrics.pr_auc(y_true, score)}
    for r in rates:
        out[f"recall_at_{r:g}"] = metrics.recall_at_review_rate(y_true, score, r)
    out[f"precision_at_{k}"] = metrics.precision_at_k(y_true, score, k)
    out["fraud_rate"] = float(np.mean(np.asarray(y_true, dtype=float)))
    return out
