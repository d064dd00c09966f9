"""Partner qualification and performance monitoring (part 6 of the risk strategy).

Cooperating merchants, channels and institutions are vetted before onboarding and monitored
after it:

- :func:`qualify` applies the knock-out rules (licence check failed, owner credit red flag,
  too many complaints, past performance) and a points score (registered capital, years in
  business, complaints, city tier) from ``partners.*`` of the release config, and gives each
  partner a decision (``approve`` / ``review`` / ``decline``) with its reasons.
- :func:`monitor` counts per partner and month the volume, approval rate, first-payment default
  (``fpd30``), 30+ dpd on the first 3 instalments, confirmed fraud, the bad rate of matured
  leases, delivery-address changes and listed-vs-retail prices, and compares every outcome with
  what the partner's own customers were *expected* to do (:func:`calibrate`): the release
  scorecard's PD with the partner feature set to WoE 0 (:func:`expected_pd`), recalibrated on
  the whole portfolio per cohort month. :func:`ae_stats` gives the actual/expected ratio an
  interval that accounts for the partner's size (a score interval under the Poisson-binomial
  variance of the expected count), so a small partner is not flagged by noise and a bad one is
  not hidden by a good customer mix.
- :func:`flag_partners` turns both into ``watch`` / ``restrict`` / ``suspend`` with reasons, and
  ranks the partners; :func:`partner_report` writes a standalone HTML report.
- :func:`learn_weights` learns the qualification weights from the partners' outcomes (a
  penalised logistic regression with the hand-set weights as the prior, and as the fallback
  while too few partners have outcomes); :func:`service_quality` and :func:`service_trend`
  follow delivery-address changes and device returns per partner and month.

The hidden truth of the simulator (``oracle_partners``) is read only by
:func:`riskresearch.oracle.partners`, for :func:`detection`, never by the flagging.
"""

from riskresearch.partners._common import ACTIONS, APPLICATION_COLUMNS, OUTCOMES, PARTNER_COLUMNS
from riskresearch.partners.analysis import (
    PartnerAnalysis,
    analyse,
    analyse_release,
    detection,
    pd_rows,
    write_partners,
)
from riskresearch.partners.data import load_partner_data
from riskresearch.partners.monitoring import flag_partners, monitor
from riskresearch.partners.qualification import factor_shares, qualify
from riskresearch.partners.report import funnel_plot, partner_report, price_plot, trend_plot
from riskresearch.partners.service import service_quality, service_trend
from riskresearch.partners.stats import actual_vs_expected, ae_stats, calibrate, expected_pd
from riskresearch.partners.weights import LearnedWeights, learn_weights, partner_bad_outcomes

__all__ = [
    "ACTIONS",
    "APPLICATION_COLUMNS",
    "OUTCOMES",
    "PARTNER_COLUMNS",
    "LearnedWeights",
    "PartnerAnalysis",
    "actual_vs_expected",
    "ae_stats",
    "analyse",
    "analyse_release",
    "calibrate",
    "detection",
    "expected_pd",
    "factor_shares",
    "flag_partners",
    "funnel_plot",
    "learn_weights",
    "load_partner_data",
    "monitor",
    "partner_bad_outcomes",
    "partner_report",
    "pd_rows",
    "price_plot",
    "qualify",
    "service_quality",
    "service_trend",
    "trend_plot",
    "write_partners",
]
