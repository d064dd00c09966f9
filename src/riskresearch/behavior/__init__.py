"""Behaviour score: monthly snapshots of active leases, scored on their payment behaviour.

At every month end (the *snapshot*) each active lease gets a row of features computed only from
what was known that day: its instalments, payments and collection actions dated on or before the
snapshot, its contract terms and the customer's other leases. The target, ``bad_next_3m``, is 1
when the lease is 30 or more days past due (on any instalment) on some day of the three calendar
months after the snapshot. A WOE :class:`~riskresearch.scorecard.Scorecard` is fitted on early
snapshot months and evaluated on the latest mature ones (out of time).

Conventions
-----------
- Days past due (dpd) of an instalment on day *t* are ``t - due_date`` while it is unpaid, up to
  and including the day it is paid in full (paying 35 days late reaches 35 dpd), as in
  :mod:`riskresearch.arrears`.
- A lease is *active* at a snapshot when it started strictly before the snapshot day and had not
  ended (bought out, returned, written off) on or before it.
- The target window of a snapshot is ``(snapshot, last day of the third month after it]``; a
  snapshot is *mature* when that window ended by the as-of date. Immature snapshots are kept
  (flagged ``mature = False``, target NaN), never silently dropped.
- ``y == 1`` is bad; the behaviour score is higher for leases less likely to go 30+ dpd.

The SQL lives in ``riskresearch/sql/behavior_snapshots.sql`` and runs inside DuckDB on the raw
tables ``orders``, ``installments`` and ``collection_actions`` (``data/README.md``).

Limitations
-----------
- ``installments.amount_paid`` is what was paid *by the warehouse as-of date*, not by the
  snapshot, and carries no date: it is never read. An instalment counts as paid at a snapshot
  only when its ``paid_date`` (the day it was paid in full) is on or before the snapshot.
- A part payment is therefore visible only through collection actions with outcome
  ``'partial'`` and their ``amount_recovered``. Action outcomes (``paid``, ``promise_broken``,
  ``partial`` ...) carry no date of their own: the customer responds after the action. An
  outcome is counted from :data:`OUTCOME_LAG_DAYS` days after its action (the longest gap
  between two ladder steps, by which the next step shows how the last one ended), while the
  action itself counts from its day. Part payments made outside the collection ladder, if a
  warehouse had them, stay invisible until the instalment is paid in full.
- Leases already 30+ dpd at a snapshot are kept in the table but left out of development and
  evaluation by default (``max_dpd_at_snapshot``): they are bad already and belong to the
  collection score.
"""

from riskresearch.behavior.model import (
    BehaviorScore,
    behavior_scorecard,
    develop_behavior,
    develop_from_config,
    write_behavior,
)
from riskresearch.behavior.snapshots import (
    BAD_DPD,
    BEHAVIOR_FEATURES,
    CATEGORICAL_FEATURES,
    KEYS,
    NOT_FEATURES,
    OUTCOME_LAG_DAYS,
    REQUIRED_COLUMNS,
    TARGET,
    WINDOW_MONTHS,
    ZERO_BINNED,
    behavior_snapshots,
    behavior_sql,
    behavior_summary,
    out_of_time_split,
)

__all__ = [
    "BAD_DPD",
    "BEHAVIOR_FEATURES",
    "CATEGORICAL_FEATURES",
    "KEYS",
    "NOT_FEATURES",
    "OUTCOME_LAG_DAYS",
    "REQUIRED_COLUMNS",
    "TARGET",
    "WINDOW_MONTHS",
    "ZERO_BINNED",
    "BehaviorScore",
    "behavior_scorecard",
    "behavior_snapshots",
    "behavior_sql",
    "behavior_summary",
    "develop_behavior",
    "develop_from_config",
    "out_of_time_split",
    "write_behavior",
]
