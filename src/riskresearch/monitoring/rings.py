"""Fraud-ring early warning after approval: new links from active leases to confirmed rings and
to newly formed clusters, as a dated alert list.

The links are those of the fraud features (:mod:`riskresearch.fraud.features`): two
applications are linked when they share a device fingerprint, a contact phone or a delivery
address (:data:`~riskresearch.fraud.LINK_KEYS`). The decision engine checks an application
against the rings known when it is decided; this list watches the leases that are running:

- ``confirmed_ring``: an active lease shares a device, phone or address with an application
  whose fraud was confirmed as a ring case, and the link became known only after the lease
  was approved (the other application arrived later, or its ring was confirmed later). Dated
  the day it became known.
- ``new_cluster``: after the lease was approved, new applications joined its cluster (its
  connected component of applications linked by devices, phones and addresses) so that the
  cluster now spans ``min_customers`` (default 4) customers or more. Dated the arrival of the first
  application that made it so. Applications of one customer are counted as one customer (a
  customer re-using their own phone is no ring).

Every date is on or before ``as_of`` and nothing dated after it is read: applications applied
after it, leases started after it, ends and confirmations after it are unknown.
"""

from __future__ import annotations

import datetime as dt
import os
from array import array

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from riskresearch.errors import ConfigError, DataError
from riskresearch.features import as_date, check_warehouse, connect, warehouse_as_of, warehouse_path
from riskresearch.fraud.features import key_codes

#: The keys that link applications (as in :data:`riskresearch.fraud.LINK_KEYS`).
RING_KEYS: tuple[str, ...] = ("device_fingerprint_id", "contact_phone_id", "address_id")
KINDS = ("confirmed_ring", "new_cluster")
#: Columns of the alert list.
ALERT_COLUMNS = [
    "alert_date",
    "kind",
    "application_id",
    "customer_id",
    "partner_id",
    "approved_at",
    "key",
    "linked_application_id",
    "links",
    "cluster_customers",
    "cluster_ring_cases",
    "detail",
]
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "applications": (
        "application_id",
        "customer_id",
        "partner_id",
        "applied_at",
        "decided_at",
        *RING_KEYS,
    ),
    "orders": ("application_id", "started_on", "ended_on"),
    "fraud_cases": ("application_id", "confirmed_on", "fraud_type"),
}


def _positive(value, name: str, owner: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 2:
        raise ConfigError(
            f"The '{name}' parameter of {owner} must be a whole number of at least 2. "
            f"Got {value!r} instead."
        )
    return int(value)


def ring_inputs(db: str | os.PathLike) -> str | None:
    """Why the warehouse cannot feed :func:`ring_alerts` (a table or column missing, no as-of
    date), or None when it can."""

    path = warehouse_path(db, "ring_alerts")
    con = connect(path)
    try:
        check_warehouse(con, str(path), REQUIRED_COLUMNS, "the fraud-ring alerts")
        if warehouse_as_of(con) is None:
            return f"the warehouse '{path}' records no as-of date"
    except DataError as exc:
        return str(exc).split(". See data/README.md")[0]
    finally:
        con.close()
    return None


def _load(db, as_of, owner: str) -> tuple[pd.DataFrame, pd.DataFrame, dt.date]:
    as_of = as_date(as_of, owner)
    path = warehouse_path(db, owner)
    con = connect(path)
    try:
        check_warehouse(con, str(path), REQUIRED_COLUMNS, owner)
        recorded = warehouse_as_of(con)
        as_of = as_of or recorded
        if as_of is None:
            raise ConfigError(
                f"The warehouse '{path}' records no as-of date. Pass as_of (the last observed "
                f"day) to {owner}."
            )
        if recorded is not None and as_of > recorded:
            raise ConfigError(
                f"The 'as_of' parameter of {owner} ({as_of}) is after the warehouse's as-of "
                f"date ({recorded}): later events were never recorded. Pass {recorded} or "
                "earlier."
            )
        keys = ", ".join(f"a.{k}" for k in RING_KEYS)
        apps = con.execute(
            f"""
            SELECT a.application_id, a.customer_id, a.partner_id, a.applied_at, a.decided_at,
                   {keys},
                   o.application_id IS NOT NULL AS active,
                   f.confirmed_on AS ring_confirmed_on
            FROM applications a
            LEFT JOIN orders o
                   ON o.application_id = a.application_id AND o.started_on <= $as_of
                  AND (o.ended_on IS NULL OR o.ended_on > $as_of)
            LEFT JOIN (SELECT application_id, min(confirmed_on) AS confirmed_on
                       FROM fraud_cases
                       WHERE fraud_type = 'ring' AND confirmed_on <= $as_of
                       GROUP BY application_id) f
                   ON f.application_id = a.application_id
            WHERE CAST(a.applied_at AS DATE) <= $as_of
            ORDER BY a.applied_at, a.application_id
            """,
            {"as_of": as_of},
        ).df()
    finally:
        con.close()
    for c in ("applied_at", "decided_at", "ring_confirmed_on"):
        apps[c] = pd.to_datetime(apps[c])
    # a decision after the as-of day is not known yet (nor is the lease it starts)
    return apps, apps[apps["active"]], as_of


def _ring_links(apps: pd.DataFrame, active: pd.DataFrame) -> pd.DataFrame:
    """Direct links of active leases to confirmed ring cases, known only after approval."""
    rings = apps[apps["ring_confirmed_on"].notna()]
    frames = []
    for key in RING_KEYS:
        left = active[["application_id", "customer_id", "partner_id", "decided_at", key]]
        right = rings[["application_id", "applied_at", "ring_confirmed_on", key]].rename(
            columns={"application_id": "linked_application_id"}
        )
        m = left.dropna(subset=[key]).merge(right.dropna(subset=[key]), on=key)
        m = m[m["application_id"] != m["linked_application_id"]]
        m["known_at"] = m[["applied_at", "ring_confirmed_on"]].max(axis=1)
        m = m[m["known_at"] > m["decided_at"]]
        frames.append(m.assign(key=key).drop(columns=[key]))
    links = pd.concat(frames, ignore_index=True)
    if links.empty:
        return pd.DataFrame(columns=ALERT_COLUMNS)
    links = links.sort_values(["application_id", "known_at", "linked_application_id", "key"])
    first = links.drop_duplicates("application_id").set_index("application_id")
    counts = links.groupby("application_id").agg(
        links=("linked_application_id", "nunique"),
        keys=("key", lambda k: ";".join(sorted(set(k)))),
    )
    out = first.join(counts).reset_index()
    return pd.DataFrame(
        {
            "alert_date": out["known_at"].dt.normalize(),
            "kind": "confirmed_ring",
            "application_id": out["application_id"],
            "customer_id": out["customer_id"],
            "partner_id": out["partner_id"],
            "approved_at": out["decided_at"],
            "key": out["keys"],
            "linked_application_id": out["linked_application_id"],
            "links": out["links"].astype(np.int64),
            "detail": [
                f"shares {k.replace(';', ', ')} with {n} confirmed ring case(s), first known "
                f"{d:%Y-%m-%d}"
                for k, n, d in zip(out["keys"], out["links"], out["known_at"], strict=True)
            ],
        }
    )


class _Clusters:
    """Union-find over key values and customers: each component's customers and the active
    leases watching it. Flat integer arrays, and watchers only for the roots that have some:
    a list per node held about 0.5 GB of empty lists at a million applications."""

    def __init__(self, n: int):
        self.parent = array("q", range(n))
        self.customers = array("q", bytes(8 * n))
        self.watchers: dict[int, list[int]] = {}

    def find(self, a: int) -> int:
        root = a
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[a] != root:  # path compression
            self.parent[a], a = root, self.parent[a]
        return root

    def union(self, roots: set[int], customers: int) -> int:
        ordered = sorted(roots, key=lambda r: (-len(self.watchers.get(r, ())), r))
        top = ordered[0]
        for r in ordered[1:]:
            self.parent[r] = top
            moved = self.watchers.pop(r, None)
            if moved:
                self.watchers.setdefault(top, []).extend(moved)
        self.customers[top] = customers
        return top


def _cluster_links(apps: pd.DataFrame, min_customers: int) -> pd.DataFrame:
    """Active leases whose cluster reached ``min_customers`` customers through applications
    that arrived after the lease was approved (an incremental union-find in time order)."""
    codes, n_nodes, shared = key_codes([apps[c] for c in (*RING_KEYS, "customer_id")])
    # an application sharing no key and no customer with another stays a cluster of one
    # customer: it never reaches min_customers nor grows a watched cluster
    apps, codes = apps[shared], codes[shared]
    n_apps = len(apps)
    uf = _Clusters(n_nodes)
    seen = np.zeros(n_nodes, dtype=bool)
    applied = apps["applied_at"].to_numpy()
    decided = apps["decided_at"].to_numpy()
    active = apps["active"].to_numpy(dtype=bool)
    # events in time order: arrivals (applied_at), then approvals of active leases (decided_at),
    # from which their clusters are watched
    ev_time = np.concatenate([applied, decided[active]])
    ev_kind = np.r_[np.zeros(n_apps, dtype=np.int64), np.ones(int(active.sum()), np.int64)]
    ev_row = np.r_[np.arange(n_apps), np.flatnonzero(active)]
    rows = codes.tolist()
    alerts: list[tuple[int, int, int]] = []
    for e in np.lexsort((ev_row, ev_kind, ev_time)).tolist():
        i = int(ev_row[e])
        nodes = [k for k in rows[i] if k >= 0]  # the customer node is always there, last
        if ev_kind[e] == 1:
            uf.watchers.setdefault(uf.find(nodes[-1]), []).append(i)
            continue
        roots = {uf.find(k) for k in nodes}
        before = {r: uf.customers[r] for r in roots}
        cust = nodes[-1]
        size = sum(before.values()) + int(not seen[cust])
        seen[cust] = True
        if size >= min_customers:
            for r in roots:
                if size == before[r]:
                    continue  # nobody new joined this part of the cluster
                keep = []
                for w in uf.watchers.pop(r, ()):
                    if applied[i] > decided[w]:
                        alerts.append((w, i, size))
                    else:
                        keep.append(w)
                if keep:
                    uf.watchers[r] = keep
        uf.union(roots, size)
    if not alerts:
        return pd.DataFrame(columns=ALERT_COLUMNS)
    w_rows = np.array([a[0] for a in alerts])
    i_rows = np.array([a[1] for a in alerts])
    app_ids = apps["application_id"].to_numpy()
    via = [
        ";".join(k for j, k in enumerate(RING_KEYS) if codes[i, j] >= 0) or "customer_id"
        for i in i_rows
    ]
    return pd.DataFrame(
        {
            "alert_date": pd.to_datetime(applied[i_rows]).normalize(),
            "kind": "new_cluster",
            "application_id": app_ids[w_rows],
            "customer_id": apps["customer_id"].to_numpy()[w_rows],
            "partner_id": apps["partner_id"].to_numpy()[w_rows],
            "approved_at": pd.to_datetime(decided[w_rows]),
            "key": via,
            "linked_application_id": app_ids[i_rows],
            "links": 1,
            "cluster_customers": np.array([a[2] for a in alerts], dtype=np.int64),
            "detail": [
                f"application {app_ids[i]} joined its cluster after approval; the cluster "
                f"spans {a[2]} customers"
                for i, a in zip(i_rows, alerts, strict=True)
            ],
        }
    )


def ring_alerts(
    db: str | os.PathLike,
    as_of=None,
    *,
    min_customers: int = 4,
    since=None,
) -> pd.DataFrame:
    """Dated alerts on active leases: new links to confirmed fraud rings and new clusters.

    Parameters
    ----------
    db : path-like
        DuckDB warehouse with ``applications`` (device, phone and address ids), ``orders`` and
        ``fraud_cases``.
    as_of : datetime.date or str, optional
        Last observed day (default: the warehouse's). Leases active that day are watched; only
        events dated on or before it are read.
    min_customers : int, default 4
        Customers a cluster must span for a ``new_cluster`` alert (the lease's own customer
        included). Households and shared addresses make clusters of two or three customers
        common; on the simulated platform 3 alerts about twice as many leases as there are
        ring leases, 4 about one false alert in twenty (``benchmarks/bench_worklist.py``).
    since : datetime.date or str, optional
        Keep only alerts dated on or after this day.

    Returns
    -------
    pandas.DataFrame
        One row per active lease and kind (its first alert of that kind), newest first:
        ``alert_date``, ``kind`` (``confirmed_ring`` or ``new_cluster``), ``application_id``,
        ``customer_id``, ``partner_id``, ``approved_at``, ``key`` (the link's id columns,
        ``;``-separated), ``linked_application_id`` (the ring case or the application that
        joined), ``links`` (confirmed ring cases linked), ``cluster_customers`` (customers in
        the cluster when it alerted, or at ``as_of`` for a ring link),
        ``cluster_ring_cases`` (confirmed ring cases in the lease's cluster at ``as_of``) and
        ``detail``. ``attrs["as_of"]`` holds the as-of date.

    Examples
    --------
    >>> ring_alerts("data/leasing.duckdb", "2025-12-31").head()   # doctest: +SKIP
    """
    owner = "ring_alerts"
    min_customers = _positive(min_customers, "min_customers", owner)
    since = as_date(since, owner)
    apps, active, as_of = _load(db, as_of, owner)
    frames = [f for f in (_ring_links(apps, active), _cluster_links(apps, min_customers)) if len(f)]
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=ALERT_COLUMNS)
    out = out.reindex(columns=ALERT_COLUMNS)
    if len(out):
        cust, rings = _final_clusters(apps)
        out["cluster_customers"] = out["cluster_customers"].fillna(out["application_id"].map(cust))
        out["cluster_ring_cases"] = out["application_id"].map(rings)
    if since is not None:
        out = out[out["alert_date"] >= pd.Timestamp(since)]
    out = out.astype(
        {
            "application_id": np.int64,
            "customer_id": np.int64,
            "partner_id": np.int64,
            "links": np.int64,
            "cluster_customers": np.int64,
            "cluster_ring_cases": np.int64,
        }
    )
    out["alert_date"] = pd.to_datetime(out["alert_date"])
    out["approved_at"] = pd.to_datetime(out["approved_at"])
    out = out.sort_values(
        ["alert_date", "kind", "application_id"], ascending=[False, True, True], kind="stable"
    ).reset_index(drop=True)
    out.attrs["as_of"] = as_of
    return out


def _final_clusters(apps: pd.DataFrame) -> tuple[dict, dict]:
    """Customers and confirmed ring cases of every application's cluster at the as-of date."""
    codes, n_nodes, _ = key_codes([apps[c] for c in (*RING_KEYS, "customer_id")])
    # connected components of the graph of applications and the key values they carry
    n_apps = len(apps)
    app, col = np.nonzero(codes >= 0)
    graph = coo_matrix(
        (np.ones(app.size), (app, n_apps + codes[app, col])), shape=(n_apps + n_nodes,) * 2
    )
    root = connected_components(graph, directed=False)[1][:n_apps]
    frame = pd.DataFrame(
        {
            "root": root,
            "customer_id": apps["customer_id"].to_numpy(),
            "ring": apps["ring_confirmed_on"].notna().to_numpy(),
        }
    )
    g = frame.groupby("root").agg(customers=("customer_id", "nunique"), rings=("ring", "sum"))
    ids = apps["application_id"].to_numpy()
    return (
        dict(zip(ids, g.loc[root, "customers"].to_numpy(), strict=True)),
        dict(zip(ids, g.loc[root, "rings"].to_numpy(), strict=True)),
    )
