"""Dynamic lease terms: credit grades, terms per grade, expected profit and the policy optimiser.

The release scorecard's score (higher = better) is cut into grades, best first (``A``..``E``
by default) plus ``decline`` below the cut-off. Each grade carries the lease terms of the
config's reviewable terms table (``strategy.grades``): maximum device value (credit limit),
deposit share, maximum lease term, price multiplier on the rent and whether fraud or
enterprise review is required. :func:`optimise` chooses the cut-off, the grade boundaries and
(optionally) each grade's deposit to maximise expected profit subject to a maximum portfolio
bad rate and a minimum approval rate; :func:`write_strategy` writes ``strategy.json``, which
:class:`riskresearch.decision.DecisionEngine` applies.

Expected profit of one application
----------------------------------
With ``V`` the device value (``retail_price x devices_requested``), ``C = V x price_vs_retail``
the platform's device cost (the partner's listed price), ``p`` the scorecard's PD, and the
terms of its grade (price multiplier ``m``, maximum term ``T_max``, deposit share ``d``,
credit limit ``L``):

- rent per month ``r = monthly_rent x m x c(T)`` over the term ``T = min(lease_term_months,
  T_max)``: a longer request is offered the grade's maximum term, at the rent of the quoted
  rent curve for that term, ``c(T) = (a + b / T) / (a + b / T_requested)`` (rent per month
  over device cost ``= a + b / term``, fitted on the applications or set in
  ``strategy.economics``; a shorter term costs more per month);
- buyout income at the term end ``B = b x C x max(floor, 1 - delta x T) + (1 - b) x V x
  rho(T)``: with the buyout rate ``b`` the customer pays the buyout price (the device cost less
  ``delta`` per month of term, at least ``floor``), otherwise the device comes back and is
  resold at ``rho`` of its retail value;
- a performing lease earns ``M = r x T + B - C``;
- a default falls evenly on the first ``K = min(T, default_months)`` instalments; defaulting
  at instalment ``k``, the platform has collected ``r x (k - 1)``, so the exposure is
  ``EAD_k = C - r x (k - 1)``; it keeps the deposit ``D = d x V`` and recovers the device
  with probability ``q`` for ``rho x V`` (``q`` and ``rho`` by device category and device
  age at the write-off, about ``k + 3`` months, from the warehouse's collections:
  :func:`riskresearch.arrears.lgd_table`). ``loss_k = max(0, EAD_k - D - q x rho x V)``, so
  a deposit lowers the loss given default; ``LGD x EAD = mean_k loss_k``;
- the offer is taken up with probability ``a = clip(a0 x (1 - e_d x d - e_p x (m - 1)), 0,
  1)`` (base take-up ``a0`` and the deposit and price elasticities of the config: a discount
  ``m < 1`` raises the take-up), and an application above a limit is not booked (``a = 0``;
  the decision engine refers it). The limits are the grade's ``L`` (device value) and
  ``max_exposure`` (the rent still owed on the customer's active leases at the application,
  ``hist_outstanding_rent``, plus this lease's ``r x T``), each times the factor of the
  customer's platform-history class (``strategy.limit_history``: a clean repeat customer's
  line rises, a delinquent one's falls, a write-off's is 0).

``expected loss = a x p x mean_k loss_k`` and
``expected profit = a x [(1 - p) x M - p x mean_k loss_k]``
(rent and buyout income less the device cost, less the expected loss). A declined
application earns 0.

The optimiser cuts the scores of the optimisation rows into ``n_bins`` quantile bins; a
policy is a cut-off bin and contiguous bins per grade (better grades higher), each grade
holding at least ``min_grade_share`` of the rows, with deposits and price multipliers that
never fall as grades worsen (both chosen from ``deposit_options`` / ``price_options`` when
``optimise_deposits`` / ``optimise_prices``). A dynamic programme finds the most
profitable grading for every cut-off at once; the cut-off is the most profitable one whose
approval rate and predicted bad rate (mean PD of the approved rows) meet the constraints.
The flat policy for comparison approves every row above one cut-off on a single grade's
terms.

The take-up elasticities are configuration (``strategy.economics``): the simulated platform
records no price response to measure them on. :func:`implied_price_elasticity` gives the
elasticity at which the quoted rents are the most profitable prices for the approved
portfolio, as a reference, and :func:`price_sensitivity` the policy under the configured
price elasticity x0.5, x1 and x2.

Modules: ``economics`` (recovery, buyout, the rent curve, limit classes and the profit
formula), ``optimise`` (grades, the optimiser, the trade-off plot, the through-the-door
rows), ``pricing`` (implied elasticity, sensitivity, limits by history, a policy's outcome),
``rules`` (the decision engine's fraud rules: ring list, fraud-score thresholds) and
``artifacts`` (``strategy.json`` and its tables, the swap set, :func:`develop_strategy` /
:func:`write_strategy` of notebook 08).
Import from ``riskresearch.strategy`` itself.
"""

# the config classes the terms table is written in, for convenience
from riskresearch.config import GradeTerms, LimitHistory, StrategyConfig
from riskresearch.strategy.artifacts import (
    STRATEGY_FORMAT,
    StrategyDevelopment,
    applies_to,
    develop_strategy,
    input_ranges,
    limit_fields,
    previous_release,
    pricing_note,
    read_strategy,
    strategy_document,
    swap_set,
    write_strategy,
)
from riskresearch.strategy.economics import (
    HISTORY_CLASSES,
    HISTORY_FIELDS,
    OPTIONAL_FIELDS,
    TERMS_FIELDS,
    Economics,
    economics,
    economics_from_dict,
    expected_profit,
    fit_rent_curve,
    history_class_one,
    history_classes,
    limit_factors,
    limits_policy,
    outstanding_rent,
)
from riskresearch.strategy.optimise import (
    DECLINE,
    Strategy,
    assign_grades,
    grade_index,
    grade_table,
    optimise,
    through_the_door,
    tradeoff_plot,
)
from riskresearch.strategy.pricing import (
    SENSITIVITY_FACTORS,
    implied_price_elasticity,
    limit_table,
    policy_outcome,
    price_sensitivity,
)
from riskresearch.strategy.rules import fraud_policy, fraud_rings, fraud_thresholds

__all__ = [
    "DECLINE",
    "HISTORY_CLASSES",
    "HISTORY_FIELDS",
    "OPTIONAL_FIELDS",
    "SENSITIVITY_FACTORS",
    "STRATEGY_FORMAT",
    "TERMS_FIELDS",
    "Economics",
    "GradeTerms",
    "LimitHistory",
    "Strategy",
    "StrategyConfig",
    "StrategyDevelopment",
    "applies_to",
    "assign_grades",
    "develop_strategy",
    "economics",
    "economics_from_dict",
    "expected_profit",
    "fit_rent_curve",
    "fraud_policy",
    "fraud_rings",
    "fraud_thresholds",
    "grade_index",
    "grade_table",
    "history_class_one",
    "history_classes",
    "implied_price_elasticity",
    "input_ranges",
    "limit_factors",
    "limit_fields",
    "limit_table",
    "limits_policy",
    "optimise",
    "outstanding_rent",
    "policy_outcome",
    "previous_release",
    "price_sensitivity",
    "pricing_note",
    "read_strategy",
    "strategy_document",
    "swap_set",
    "through_the_door",
    "tradeoff_plot",
    "write_strategy",
]
