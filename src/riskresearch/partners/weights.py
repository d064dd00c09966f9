"""Qualification weights learned from partners' outcomes, with the hand-set weights as the
prior (and the fallback while the platform has too few partners with outcomes).

The hand-set score gives each factor ``k`` (registered capital, years in business, complaints,
city tier) ``weight_k x share_k`` points, ``share_k`` rising from 0 at ``zero_at`` to 1 at
``full_at`` (:class:`~riskresearch.config.PartnerScoreFactor`). The learned weights keep that
form and fit the shares to the partners' outcomes:

1. A partner's *bad outcome*: its bad rate, first-payment default, early 30+ dpd or confirmed
   fraud is significantly above what its customers' risk predicts (:func:`monitor`'s
   ``<outcome>_ae_low > 1`` at ``confidence``). Partners with fewer than ``min_applications``
   applications or no matured outcome are left out (no outcome yet).
2. A penalised logistic regression ``logit P(bad) = a - sum_k b_k share_k``, each ``b_k``
   pulled toward the hand-set weights: a Gaussian prior centred on ``lambda x weight_k /
   total``, where ``lambda`` is the slope of the hand-set score alone on the same outcomes (so
   the prior has the data's scale and the hand-set weights' proportions), with standard
   deviation ``prior_sd`` on the log-odds of a factor going from 0 to full marks.
3. The learned weights are the positive ``b_k`` rescaled to the hand-set total (100 by
   default), so the score keeps its 0-100 scale and ``approve_at`` / ``review_at`` their
   meaning. A factor whose fit says better values go with *more* bad outcomes gets 0.

With fewer than ``min_partners`` partners with an outcome or fewer than ``min_bad`` bad ones
(a new platform), the hand-set weights are used and the reason says which threshold was not
met.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.stats import norm

from riskresearch.config import PartnersConfig
from riskresearch.errors import ConfigError
from riskresearch.partners._common import PARTNER_COLUMNS, check_frame, partners_config
from riskresearch.partners.qualification import factor_shares

#: Outcomes whose significant excess makes a partner's outcome bad.
BAD_OUTCOMES = ("bad", "fpd30", "dpd30_3m", "fraud")
MIN_PARTNERS = 30
MIN_BAD = 5


@dataclass
class LearnedWeights:
    """Qualification weights and where they come from (:func:`learn_weights`).

    Attributes
    ----------
    weights : dict
        Factor -> the weight to use: learned, or the hand-set one when ``source`` is
        ``"prior"``.
    table : pandas.DataFrame
        One row per factor: ``prior_weight`` (hand-set), ``weight`` (used), ``learned_weight``
        (NaN when not fitted), ``prior_coef`` and ``coef`` (log-odds of a bad outcome removed
        by going from 0 to full marks on the factor) with its interval ``coef_low`` ..
        ``coef_high`` (from the penalised fit's curvature).
    source : str
        ``"learned"`` or ``"prior"``.
    reason : str
        One sentence: what was fitted on how many partners, or why the prior is used.
    partners, bad : int
        Partners with an outcome, and how many of them bad.
    outcomes : pandas.DataFrame
        ``partner_id``, the factor shares and ``bad_outcome`` of the partners used.
    params : dict
    """

    weights: dict[str, float]
    table: pd.DataFrame
    source: str
    reason: str
    partners: int
    bad: int
    outcomes: pd.DataFrame
    params: dict[str, Any] = field(default_factory=dict)


def partner_bad_outcomes(summary: pd.DataFrame, config: PartnersConfig | None = None) -> pd.Series:
    """1.0 for a partner whose bad rate, fpd30, early 30+ dpd or fraud is significantly above
    expected (``<outcome>_ae_low > 1`` at ``confidence``), 0.0 otherwise, NaN without an
    outcome yet (fewer than ``min_applications`` applications, or no matured lease).

    Parameters
    ----------
    summary : pandas.DataFrame
        :func:`monitor`'s partner summary.
    config : PartnersConfig, optional

    Returns
    -------
    pandas.Series
        Indexed by ``partner_id``.
    """
    cfg = partners_config(config)
    need = ["partner_id", "applications"]
    for t in BAD_OUTCOMES:
        need += [f"{t}_ae_low", f"{t}_n"]
    s = check_frame(summary, need, "The partner summary")
    bad = np.zeros(len(s), dtype=bool)
    for t in BAD_OUTCOMES:
        bad |= (s[f"{t}_ae_low"] > 1).fillna(False).to_numpy(dtype=bool)
    matured = (s[[f"{t}_n" for t in BAD_OUTCOMES]].fillna(0) > 0).any(axis=1).to_numpy()
    known = matured & (s["applications"].to_numpy() >= cfg.min_applications)
    return pd.Series(
        np.where(known, bad.astype(float), np.nan), index=s["partner_id"].to_numpy(), name="bad"
    )


def _fit(x: np.ndarray, y: np.ndarray, mu: np.ndarray, sd: float | None) -> tuple:
    """Penalised logistic fit of ``logit P(y) = a - x @ b`` (prior N(mu, sd) on ``b``, none on
    ``a``; ``sd`` None: no prior). Returns (a, b, covariance of (a, b))."""
    n, k = x.shape
    xa = np.column_stack([np.ones(n), -x])
    prec = np.zeros(k + 1) if sd is None else np.r_[0.0, np.full(k, 1 / sd**2)]
    centre = np.r_[0.0, mu]

    def loss(theta):
        eta = xa @ theta
        nll = np.sum(np.logaddexp(0, eta) - y * eta)
        return nll + 0.5 * np.sum(prec * (theta - centre) ** 2)

    def grad(theta):
        p = 1 / (1 + np.exp(-(xa @ theta)))
        return xa.T @ (p - y) + prec * (theta - centre)

    start = np.r_[np.log((y.mean() + 0.5 / n) / (1 - y.mean() + 0.5 / n)), mu]
    res = minimize(loss, start, jac=grad, method="BFGS", options={"gtol": 1e-9})
    theta = res.x
    # Newton steps from there: the optimum to machine precision, whatever path BFGS took (a
    # release's partners.json must come out the same on every build)
    for _ in range(50):
        p = 1 / (1 + np.exp(-(xa @ theta)))
        hess = xa.T @ (xa * (p * (1 - p))[:, None]) + np.diag(prec)
        step = np.linalg.lstsq(hess, grad(theta), rcond=None)[0]
        theta = theta - step
        if np.max(np.abs(step)) < 1e-13 * max(1.0, float(np.max(np.abs(theta)))):
            break
    p = 1 / (1 + np.exp(-(xa @ theta)))
    hess = xa.T @ (xa * (p * (1 - p))[:, None]) + np.diag(prec)
    cov = np.linalg.pinv(hess)
    return theta[0], theta[1:], cov


def learn_weights(
    partners: pd.DataFrame,
    summary: pd.DataFrame,
    config: PartnersConfig | None = None,
    *,
    min_partners: int = MIN_PARTNERS,
    min_bad: int = MIN_BAD,
    prior_sd: float = 1.0,
    level: float = 0.95,
) -> LearnedWeights:
    """Learn the qualification weights from the partners' outcomes (see the module docstring).

    Parameters
    ----------
    partners : pandas.DataFrame
        The ``partners`` table (:data:`PARTNER_COLUMNS`).
    summary : pandas.DataFrame
        :func:`monitor`'s partner summary (their outcomes).
    config : PartnersConfig, optional
        ``cfg.partners``: the hand-set weights (``score``) are the prior.
    min_partners : int, default 30
        Fewer partners with an outcome: the hand-set weights are used.
    min_bad : int, default 5
        Fewer partners with a bad outcome (or fewer good ones): the hand-set weights are used.
    prior_sd : float, default 1.0
        Standard deviation of the prior of each factor's coefficient (log-odds from 0 to full
        marks). Smaller keeps the weights closer to the hand-set ones.
    level : float, default 0.95
        Level of the coefficients' intervals.

    Returns
    -------
    LearnedWeights

    Examples
    --------
    >>> lw = learn_weights(partners, an.summary, cfg.partners)     # doctest: +SKIP
    >>> lw.source, lw.weights                                       # doctest: +SKIP
    """
    owner = "learn_weights"
    cfg = partners_config(config)
    for name, value, low in (("min_partners", min_partners, 2), ("min_bad", min_bad, 1)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
            raise ConfigError(
                f"The '{name}' parameter of {owner} must be a whole number of at least {low}. "
                f"Got {value!r} instead."
            )
    if isinstance(prior_sd, bool) or not isinstance(prior_sd, int | float) or prior_sd <= 0:
        raise ConfigError(
            f"The 'prior_sd' parameter of {owner} must be a positive number. Got {prior_sd!r} "
            "instead."
        )
    if not cfg.score:
        raise ConfigError(
            f"{owner}: partners.score has no factor, so there is no weight to learn. Add "
            "factors to partners.score."
        )
    check_frame(partners, PARTNER_COLUMNS, "The partners table")
    factors = list(cfg.score)
    prior = np.array([cfg.score[f].weight for f in factors], dtype=float)
    total = float(prior.sum())
    shares = factor_shares(partners, cfg)
    y = partner_bad_outcomes(summary, cfg)
    frame = shares.assign(bad_outcome=shares["partner_id"].map(y)).dropna(subset=["bad_outcome"])
    n, n_bad = len(frame), int(frame["bad_outcome"].sum())
    params = {
        "min_partners": int(min_partners),
        "min_bad": int(min_bad),
        "prior_sd": float(prior_sd),
        "level": float(level),
        "outcome": "bad, fpd30, dpd30_3m or fraud significantly above expected",
    }
    table = pd.DataFrame({"factor": factors, "prior_weight": prior})

    def fallback(reason: str) -> LearnedWeights:
        t = table.assign(
            weight=prior, learned_weight=np.nan, prior_coef=np.nan, coef=np.nan,
            coef_low=np.nan, coef_high=np.nan,
        )  # fmt: skip
        return LearnedWeights(
            weights=dict(zip(factors, prior.tolist(), strict=True)),
            table=t,
            source="prior",
            reason=reason,
            partners=n,
            bad=n_bad,
            outcomes=frame.reset_index(drop=True),
            params=params,
        )

    if n < min_partners:
        return fallback(
            f"The hand-set weights are used: {n} partners have an outcome, fewer than "
            f"min_partners={min_partners} (a new platform)."
        )
    if min(n_bad, n - n_bad) < min_bad:
        return fallback(
            f"The hand-set weights are used: {n_bad} of {n} partners had a bad outcome; a fit "
            f"needs at least min_bad={min_bad} bad and as many good ones."
        )
    x = frame[factors].to_numpy(dtype=float)
    yv = frame["bad_outcome"].to_numpy(dtype=float)
    # the prior's scale: the slope of the hand-set score alone (0..1) on the same outcomes
    _, slope, _ = _fit((x @ prior / total)[:, None], yv, np.zeros(1), None)
    scale = max(float(slope[0]), 0.0)
    mu = scale * prior / total
    _, coef, cov = _fit(x, yv, mu, float(prior_sd))
    se = np.sqrt(np.clip(np.diag(cov)[1:], 0, None))
    z = float(norm.ppf(0.5 + level / 2))
    positive = np.clip(coef, 0, None)
    if positive.sum() <= 0:
        return fallback(
            f"The hand-set weights are used: on {n} partners ({n_bad} bad) no factor's better "
            "values go with fewer bad outcomes."
        )
    learned = total * positive / positive.sum()
    t = table.assign(
        weight=learned,
        learned_weight=learned,
        prior_coef=mu,
        coef=coef,
        coef_low=coef - z * se,
        coef_high=coef + z * se,
    )
    return LearnedWeights(
        weights=dict(zip(factors, learned.tolist(), strict=True)),
        table=t,
        source="learned",
        reason=(
            f"Learned on {n} partners with an outcome ({n_bad} bad), the hand-set weights as "
            f"the prior (sd {prior_sd:g}); the weights table gives each factor's weight."
        ),
        partners=n,
        bad=n_bad,
        outcomes=frame.reset_index(drop=True),
        params=params,
    )
