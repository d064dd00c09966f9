"""Post-lease management and collections: contract tracking, vintages, roll and cure rates, a
collection score, the collection-ladder policy, device recovery, loss given default and the
collections worklist.

Everything reads the warehouse's raw tables (``orders``, ``installments``,
``collection_actions``; the collection score also ``applications``, ``bureau_reports`` and
``prior_leases``) as of one day, ``as_of`` (default: the ``warehouse_meta`` date), and uses no
event dated after it. The oracle tables are never read.

Conventions
-----------
- Days past due (dpd) of an instalment on day *t* are ``t - due_date`` while it is unpaid, up to
  and including the day it is paid in full: paying 35 days late reaches 35 dpd (as in the
  ``bad`` target of the modeling table).
- Contract tracking is by calendar month: month on book (``mob``) 0 is the month the lease
  started, and the state is taken at each month end (``snapshot``); only complete months up to
  ``as_of`` are reported.
- A delinquency *episode* is a spell with rent past due; it *cures* on the day the last overdue
  instalment is paid. An episode *enters* a bucket (1-29, 30-59, 60-89, 90+) on the first day it
  reaches the bucket's lower bound.
- ``y == 1`` is bad: for the collection score, 1 = not cured within the window (``rolled``); its
  score is higher for accounts more likely to cure.

SQL lives in ``sql/arrears_months.sql``, ``sql/arrears_episodes.sql``,
``sql/arrears_score_features.sql``, ``sql/arrears_lgd.sql`` and ``sql/arrears_returns.sql``
(package data of ``riskresearch``).

Modules: ``tracking`` (contract months, delinquency episodes), ``vintages``, ``rolls`` (roll,
cure and re-default rates, bucket outcomes), ``score`` (collection score), ``effects`` (the
historical ladder's action effects), ``ladder`` (simulate and recommend a ladder),
``recovery`` (device returns, recovery, LGD), ``analysis`` (:func:`analyse`,
:func:`write_arrears`), ``report`` (:func:`portfolio_report`) and ``worklist`` (the ranked
collections worklist of live delinquent accounts, :func:`build_worklist`); ``_common`` holds
the shared constants and warehouse access. Import from ``riskresearch.arrears`` itself.
"""

from riskresearch.arrears._common import STATUSES
from riskresearch.arrears.analysis import ArrearsAnalysis, analyse, write_arrears
from riskresearch.arrears.effects import ActionEffects, action_effects
from riskresearch.arrears.ladder import (
    BandLadders,
    band_ladders,
    ladder_comparison,
    recommend_ladder,
    simulate_ladder,
)
from riskresearch.arrears.report import portfolio_report
from riskresearch.arrears.rolls import bucket_outcomes, cure_rates, roll_rate_plot, roll_rates
from riskresearch.arrears.score import (
    CollectionScore,
    collection_score_data,
    develop_collection_score,
)
from riskresearch.arrears.tracking import contract_months, delinquency_episodes
from riskresearch.arrears.vintages import vintage_curves, vintage_plot
from riskresearch.arrears.worklist import (
    Worklist,
    build_worklist,
    effort_comparison,
    write_worklist,
)
from riskresearch.recovery import contract_lgd, device_recovery, device_returns, lgd_table

__all__ = [
    "STATUSES",
    "ActionEffects",
    "ArrearsAnalysis",
    "BandLadders",
    "CollectionScore",
    "Worklist",
    "action_effects",
    "analyse",
    "band_ladders",
    "bucket_outcomes",
    "build_worklist",
    "collection_score_data",
    "contract_lgd",
    "contract_months",
    "cure_rates",
    "delinquency_episodes",
    "develop_collection_score",
    "device_recovery",
    "device_returns",
    "effort_comparison",
    "ladder_comparison",
    "lgd_table",
    "portfolio_report",
    "recommend_ladder",
    "roll_rate_plot",
    "roll_rates",
    "simulate_ladder",
    "vintage_curves",
    "vintage_plot",
    "write_arrears",
    "write_worklist",
]
