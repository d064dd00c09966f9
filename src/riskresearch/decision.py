"""The decision engine: fraud check, credit score, grade, terms and approve / refer / decline.

Everything comes from a release folder alone (text artifacts, no pickle): ``scorecard.json``
(:class:`riskresearch.scoring.Scorer`), ``fraud.txt`` + ``fraud.json``
(:class:`riskresearch.fraud.FraudScorer`), ``strategy.json`` and ``fraud_rings.csv``
(:mod:`riskresearch.strategy`). :meth:`DecisionEngine.from_release` refuses a release whose
hashes do not match its manifest, as ``riskresearch score`` does.

Per application, the first rule that applies decides (:data:`RULES`, the one place the
cascade is written; :meth:`DecisionEngine.decide` and :meth:`DecisionEngine.decide_one` both
apply it with :func:`apply_rules`):

====================================  ==========  =========================================
rule                                  decision    ``decision_reason``
====================================  ==========  =========================================
an id linked to a confirmed ring      decline     ``fraud_ring:<key>``
a field the models need is absent     refer       ``missing_field:<name>``
(or null where null is not allowed)
a value that is not a number          refer       ``invalid_value:<name>``
+/-inf in a numeric field             refer       ``out_of_range:<name>``
a numeric input outside its range     refer       ``out_of_range:<name>``
(only applications the strategy
covers; see below)
fraud score >= decline threshold      decline     ``fraud_score``
outside the strategy's population     refer       ``not_covered:<column>``
score below the cut-off               decline     ``score_below_cutoff``
device value above the grade's limit  refer       ``device_value_above_limit``
(times the history factor)
customer exposure above the grade's   refer       ``exposure_above_limit``
``max_exposure`` (times the factor)
grade needs fraud review and the      refer       ``fraud_review``
fraud score >= review threshold
grade needs enterprise review and     refer       ``enterprise_review``
the applicant is an enterprise
otherwise                             approve     ``approved`` (``approved_term_capped``
                                                  when the requested term is above the
                                                  grade's maximum: the maximum is offered,
                                                  at the rent of the rent curve for it)
====================================  ==========  =========================================

**Limits.** The grade's credit limit (``max_device_value``) and customer limit
(``max_exposure``) are multiplied by the factor of the customer's platform-history class
(``strategy.json``'s ``limits.history``, :func:`riskresearch.strategy.history_classes`: a
clean repeat customer's line rises, a delinquent one's falls, a write-off's is 0). The
customer exposure is the rent still owed on the customer's active leases at the application
(``limits.exposure_column``, point-in-time: ``hist_outstanding_rent`` of the modeling table)
plus this lease's offered rent times its offered term. The history columns are required when
a history factor differs from 1, the exposure column when a grade has a ``max_exposure``; a
missing ``hist_leases`` or exposure value is referred as a missing field (no history is 0,
not missing).

**Rent of a capped term.** A requested term above the grade's maximum is offered at the
maximum, and the monthly rent is recomputed on the quoted rent curve of the release
(``economics.rent_rate_base`` + ``rent_rate_per_term`` / term, per unit of device cost):
``offered_monthly_rent = monthly_rent x price_multiplier x (a + b / offered) / (a + b /
requested)``. A release without the curve keeps the quoted rent.

Missing values of scorecard and fraud features are legitimate (a thin-file applicant has no
bureau data; the scorecard's Missing bin and LightGBM handle them); the terms fields
(:data:`riskresearch.strategy.TERMS_FIELDS`) and the population columns must have values.
Bad input never raises: it is referred with the field named.

**Input types.** Every scorecard input is read as the scorecard declares it, whatever its
column's dtype: a categorical value is compared as text
(:func:`riskresearch.woe.category_key`: ``31``, ``31.0`` and ``'31.0'`` are ``'31'``, so
one blank cell that turns an integer column into floats changes no other row), a numerical
one as a number (text that reads as a number is that number). The fraud model's categories
are read the same way.

**Ranges.** ``strategy.json``'s ``input_ranges`` (:func:`riskresearch.strategy.input_ranges`)
holds, for the numerical scorecard features and the numeric terms fields, the smallest and
largest value of the development data and physical limits. With ``f = range_factor`` a value
below ``min - f * (max - min)`` or above ``max + f * (max - min)``, or outside the physical
limits, refers the application as ``out_of_range:<name>`` (the first such field in that
order); a field development saw with a single value has no development range (only its
physical limits); special codes of a scorecard feature are never out of range. The rule
applies to the applications the strategy covers (others are ``not_covered``), and no terms
are offered from such a value (the terms built from it are NaN). A release whose
``strategy.json`` has no ``input_ranges`` has no range rule.

Output (:meth:`DecisionEngine.decide`, one row per input row, same index; columns in this
order, dtypes fixed so that ``dask.dataframe.map_partitions`` can rely on them):

- the id column of the release config (``application_id``) when the input has it (its dtype);
- ``decision`` (text: ``approve``, ``refer``, ``decline``), ``decision_reason`` (text),
  ``grade`` (text: a grade name or ``decline``; missing when no score could be computed);
- ``score``, ``pd``, ``fraud_score`` (float64; NaN when not computed);
- terms of the grade (float64, NaN for a decline): ``max_device_value`` (times the history
  factor), ``deposit_share``, ``deposit`` (amount), ``offered_term_months``,
  ``price_multiplier``, ``offered_monthly_rent``, ``max_exposure`` (times the factor; NaN
  without a customer limit), ``customer_exposure`` (outstanding rent plus this lease's) and
  ``limit_factor``;
- ``reason_1`` .. ``reason_<n>`` (text): the scorecard features costing the most points
  (:meth:`riskresearch.scoring.Scorer.reason_codes`), missing when none cost points.

Text columns have pandas' ``str`` dtype (missing = NaN) in every partition, numbers float64;
``engine.decide(frame.iloc[:0])`` is the empty output with the same columns and dtypes (the
``meta`` of ``dask.dataframe.map_partitions``). ``decide`` is a pure function of the rows it is
given: deciding a frame in parts gives the same rows as deciding it whole.
:meth:`DecisionEngine.decide_one` returns the same values as a dict (None for missing text).
"""

from __future__ import annotations

import bisect
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from riskresearch.atomic import atomic_output
from riskresearch.errors import ConfigError, DataError
from riskresearch.fraud import FraudScorer, fraud_features
from riskresearch.manifest import ReleaseFolder
from riskresearch.scoring import Scorer, read_applications
from riskresearch.strategy import (
    DECLINE,
    HISTORY_FIELDS,
    OPTIONAL_FIELDS,
    TERMS_FIELDS,
    economics_from_dict,
    grade_index,
    history_class_one,
    limit_factors,
    limit_fields,
    read_strategy,
)
from riskresearch.tables import filter_mask
from riskresearch.tables import kind as table_kind
from riskresearch.woe import is_missing, to_number, to_numbers

APPROVE, REFER = "approve", "refer"
_TEXT_COLUMNS = ("decision", "decision_reason", "grade")
TERM_COLUMNS = (
    "max_device_value",
    "deposit_share",
    "deposit",
    "offered_term_months",
    "price_multiplier",
    "offered_monthly_rent",
    "max_exposure",
    "customer_exposure",
    "limit_factor",
)

#: The rule cascade (the module docstring's table): ``(fact, decision, reason)`` in priority
#: order; the first rule whose fact holds decides, else :data:`OTHERWISE`. A reason of None
#: means the fact is itself the reason (text naming the field, None when it does not hold);
#: the other facts are flags.
RULES = (
    ("fraud_ring", DECLINE, None),
    ("bad_input", REFER, None),
    ("out_of_range", REFER, None),
    ("fraud_decline", DECLINE, "fraud_score"),
    ("not_covered", REFER, None),
    ("below_cutoff", DECLINE, "score_below_cutoff"),
    ("over_limit", REFER, "device_value_above_limit"),
    ("over_exposure", REFER, "exposure_above_limit"),
    ("fraud_review", REFER, "fraud_review"),
    ("enterprise_review", REFER, "enterprise_review"),
    ("term_capped", APPROVE, "approved_term_capped"),
)
OTHERWISE = (APPROVE, "approved")


def apply_rules(facts: Mapping[str, Any]) -> tuple[Any, Any]:
    """Decision and reason by :data:`RULES`: of one application (``facts`` of scalars: a
    text or None, a bool) or of a batch (arrays: object arrays of text or None, bool
    arrays; the result is two object arrays)."""
    if not isinstance(facts["fraud_ring"], np.ndarray):
        for fact, decision, reason in RULES:
            value = facts[fact]
            if value is not None if reason is None else value:
                return decision, value if reason is None else reason
        return OTHERWISE
    conditions = [
        facts[fact] != None if reason is None else facts[fact]  # noqa: E711 (elementwise)
        for fact, _, reason in RULES
    ]
    reasons = [facts[fact] if reason is None else reason for fact, _, reason in RULES]
    decision = np.select(conditions, [d for _, d, _ in RULES], OTHERWISE[0]).astype(object)
    return decision, np.select(conditions, reasons, OTHERWISE[1]).astype(object)


class DecisionEngine:
    """Decide applications with a release's scorecard, fraud model and strategy.

    Parameters
    ----------
    scorer : riskresearch.scoring.Scorer
    strategy : dict
        ``strategy.json`` content.
    fraud : riskresearch.fraud.FraudScorer, optional
        None skips the fraud score (the release has no fraud model).
    rings : DataFrame, optional
        ``fraud_rings.csv``: ``key``, ``value``.
    id_column : str, optional
        Copied to the output when the input has it.
    n_reason_codes : int, default 4
    n_threads : int, default 1
        LightGBM threads of batch fraud scoring (0: LightGBM's default, every core). One
        thread suits partitions decided in parallel (Dask) and a busy machine; single
        applications always use one thread (starting a thread pool costs milliseconds).

    Examples
    --------
    >>> engine = DecisionEngine.from_release("scorecards/consumer/1.1.0")   # doctest: +SKIP
    >>> engine.decide(applications)                                          # doctest: +SKIP
    >>> engine.decide_one({"platform_credit_score": 700, ...})               # doctest: +SKIP
    """

    def __init__(
        self,
        scorer,
        strategy: dict[str, Any],
        fraud=None,
        rings: pd.DataFrame | None = None,
        id_column: str | None = "application_id",
        n_reason_codes: int = 4,
        n_threads: int = 1,
    ):
        self.scorer = scorer
        self.strategy = strategy
        self.fraud = fraud
        self.id_column = id_column
        self.n_reason_codes = int(n_reason_codes)
        self.n_threads = int(n_threads)
        self.grades = list(strategy["grades"])
        fr = strategy.get("fraud") or {}
        self.decline_score = fr.get("decline_score") if fraud is not None else None
        self.review_score = fr.get("review_score") if fraud is not None else None
        self.ring_keys = list(fr.get("ring_keys") or [])
        self.rings: dict[str, np.ndarray] = {}
        self._ring_sets: dict[str, set[int]] = {}
        if rings is not None and len(rings):
            for key in self.ring_keys:
                ids = np.unique(rings.loc[rings["key"] == key, "value"].to_numpy(dtype=np.int64))
                self.rings[key] = ids
                self._ring_sets[key] = {int(v) for v in ids}
        self.applies_to = dict(strategy.get("applies_to") or {})
        # terms by grade index; the last row is the decline (NaN terms); no customer limit
        # is an infinite one
        self._terms = np.array(
            [
                [
                    g["max_device_value"],
                    g["deposit_share"],
                    g["max_term_months"],
                    g["price_multiplier"],
                    math.inf if g.get("max_exposure") is None else g["max_exposure"],
                ]
                for g in self.grades
            ]
            + [[np.nan] * 5],
            dtype=float,
        )
        limits = strategy.get("limits") or {}
        #: the limit rules: history factors (None: off) and the exposure column
        self.history = limits.get("history")
        self.exposure_column = limits.get("exposure_column") or "hist_outstanding_rent"
        #: input fields of the limit rules (required; see the module docstring)
        self.limit_fields = limit_fields(strategy)
        econ = strategy.get("economics")
        #: the rent curve of capped terms (Economics.rent_factor)
        self.economics = economics_from_dict(econ) if econ else None
        self._fraud_review = np.array([bool(g.get("fraud_review")) for g in self.grades] + [False])
        self._enterprise_review = np.array(
            [bool(g.get("enterprise_review")) for g in self.grades] + [False]
        )
        self._grade_names = np.array([g["grade"] for g in self.grades] + [DECLINE], dtype=object)
        self._bounds = [
            -math.inf if g["min_score"] is None else float(g["min_score"]) for g in self.grades
        ][::-1]
        self.score_fields = list(scorer.columns)
        self.fraud_fields = list(fraud.features) if fraud is not None else []
        #: categorical inputs of the scorecard and the fraud model (read as text)
        self.text_columns = list(
            dict.fromkeys([*scorer.categorical, *(fraud.categories if fraud is not None else ())])
        )
        #: fields whose column (key) must be present
        self.required = list(
            dict.fromkeys(
                [
                    *self.applies_to,
                    *self.score_fields,
                    *TERMS_FIELDS,
                    *self.limit_fields,
                    *self.fraud_fields,
                    *self.ring_keys,
                ]
            )
        )
        #: fields that must also hold a value
        self.not_null = list(
            dict.fromkeys(
                [
                    *self.applies_to,
                    *TERMS_FIELDS,
                    *[c for c in self.limit_fields if c in ("hist_leases", self.exposure_column)],
                ]
            )
        )
        self._numeric_terms = [c for c in TERMS_FIELDS if c != "device_category"]
        self._ranges = _input_bounds(strategy.get("input_ranges"), scorer)

    # --------------------------------------------------------------------------------------
    @classmethod
    def from_release(cls, folder: str | os.PathLike, verify: bool = True, **kw) -> DecisionEngine:
        """Load a release folder (after checking every sha256 against its manifest).

        Raises
        ------
        DataError
            The release fails verification, or lacks ``strategy.json`` / ``scorecard.json``.
        """

        rf = ReleaseFolder.open(
            folder, needs=("scorecard", "strategy"), purpose="decide", verify=verify
        )
        strategy = read_strategy(rf.path("strategy.json"))
        scorer = Scorer(rf.path("scorecard.json"))
        fraud = rings = None
        if strategy.get("fraud") is not None:  # its rules need the fraud model and ring list
            rf.require("fraud", purpose="decide")
            fraud = FraudScorer(rf.read_text("fraud.txt"), rf.read_text("fraud.json"))
            rings = pd.read_csv(rf.path(strategy["fraud"].get("ring_list") or "fraud_rings.csv"))
        config = rf.config
        kw.setdefault("id_column", (config.get("data") or {}).get("id_column"))
        kw.setdefault("n_reason_codes", (config.get("scorecard") or {}).get("n_reason_codes", 4))
        return cls(scorer, strategy, fraud, rings, **kw)

    # --------------------------------------------------------------------------------------
    def output_columns(self, with_id: bool = True) -> list[str]:
        """The output columns in order (the id column first when ``with_id``)."""
        cols = ["decision", "decision_reason", "grade", "score", "pd", "fraud_score"]
        cols += [*TERM_COLUMNS, *(f"reason_{i + 1}" for i in range(self.n_reason_codes))]
        return ([self.id_column] if with_id and self.id_column else []) + cols

    def decide(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Decide every row of ``frame`` (vectorised; see the module docstring for the output).

        Never raises on bad rows or absent columns: they are referred with the field named.
        """
        if not isinstance(frame, pd.DataFrame):
            raise DataError(
                f"DecisionEngine.decide takes a pandas DataFrame. Got {type(frame).__name__}."
            )
        n = len(frame)
        index = frame.index
        # reasons by priority: the first non-empty one (in this order) wins
        problem = np.full(n, None, dtype=object)  # missing / invalid field

        def flag(mask: np.ndarray, reason: str) -> None:
            if not mask.any():  # most fields of most batches: skip the object-array compare
                return
            take = mask & (problem == None)  # noqa: E711  (elementwise on an object array)
            problem[take] = reason

        absent = [c for c in self.required if c not in frame.columns]
        if absent:
            problem[:] = f"missing_field:{absent[0]}"
        for c in self.not_null:
            if c in frame.columns:
                flag(frame[c].isna().to_numpy(), f"missing_field:{c}")
        numbers: dict[str, np.ndarray] = {}
        for c in self._numeric_terms:
            if c in frame.columns:
                x, bad, inf = _floats(frame[c])
                numbers[c] = x
                flag(bad, f"invalid_value:{c}")
                flag(inf, f"out_of_range:{c}")
            else:
                numbers[c] = np.full(n, np.nan)
        units = frame.get("devices_requested")
        if units is None:
            numbers["devices_requested"] = np.full(n, OPTIONAL_FIELDS["devices_requested"])
        else:
            x, bad, inf = _floats(units)
            default = OPTIONAL_FIELDS["devices_requested"]
            numbers["devices_requested"] = np.where(np.isnan(x), default, x)
            flag(bad, "invalid_value:devices_requested")
            flag(inf, "out_of_range:devices_requested")
        for c in self.limit_fields:  # history and exposure: numbers (missing allowed but two)
            if c in frame.columns:
                x, bad, inf = _floats(frame[c])
                numbers[c] = x
                flag(bad, f"invalid_value:{c}")
                flag(inf, f"out_of_range:{c}")

        # credit score, PD and reason codes --------------------------------------------
        scored = self.scorer.explain(frame, self.n_reason_codes)
        score, pdv, reasons, uncovered = scored.score, scored.pd, scored.reasons, scored.unmatched
        for reason, mask in scored.problems:
            flag(mask, reason)
        # fraud --------------------------------------------------------------------------
        fraud_score = np.full(n, np.nan)
        if self.fraud is not None and n:
            x, problems = self.fraud.matrix(frame)
            for reason, mask in problems:
                flag(mask, reason)
            fraud_score = self.fraud.predict_matrix(x, self.n_threads)
        ring_hit = np.full(n, None, dtype=object)
        for key in self.ring_keys:
            if key in frame.columns and key in self.rings:
                ids, _, _ = _floats(frame[key])
                hit = _isin_sorted(ids, self.rings[key])
                ring_hit[hit & (ring_hit == None)] = f"fraud_ring:{key}"  # noqa: E711
        # population ---------------------------------------------------------------------
        not_covered = np.full(n, None, dtype=object)
        for col, value in self.applies_to.items():
            if col in frame.columns:
                miss = ~(frame[col] == value).fillna(False).to_numpy(dtype=bool)
                miss &= frame[col].notna().to_numpy()
                not_covered[miss & (not_covered == None)] = f"not_covered:{col}"  # noqa: E711
        if uncovered is not None:
            not_covered[uncovered & (not_covered == None)] = "not_covered:segment"  # noqa: E711
        # ranges (covered applications only); no terms from a value out of its range -------
        out_of_range = np.full(n, None, dtype=object)
        covered = not_covered == None  # noqa: E711
        for c, (lo, hi, special) in self._ranges.items():
            if c not in frame.columns:
                continue
            x = numbers[c] if c in numbers else _floats(frame[c])[0]
            out = ((x < lo) | (x > hi)) & covered
            if special.size:
                out &= ~np.isin(x, special)
            out_of_range[out & (out_of_range == None)] = f"out_of_range:{c}"  # noqa: E711
            if c in numbers and out.any():
                numbers[c] = np.where(out, np.nan, x)
        # grade and terms ----------------------------------------------------------------
        gi = grade_index(score, self.strategy)
        terms = self._terms[gi]
        factor = self._limit_factors(frame, numbers, n)
        requested = numbers["lease_term_months"]
        offered_term = np.fmin(requested, terms[:, 2])
        offered_term = np.where(np.isnan(terms[:, 2]), np.nan, offered_term)
        with np.errstate(over="ignore", invalid="ignore"):  # a huge value not covered: inf
            value = numbers["retail_price"] * numbers["devices_requested"]
            deposit = terms[:, 1] * value
            rent = (
                numbers["monthly_rent"] * terms[:, 3] * self._rent_factor(offered_term, requested)
            )
            limit = terms[:, 0] * factor
            max_exposure = terms[:, 4] * factor
            owed = numbers.get(self.exposure_column)
            owed = np.zeros(n) if owed is None else np.where(np.isnan(owed), 0.0, owed)
            exposure = owed + rent * offered_term
        over_limit = value > limit
        over_exposure = exposure > max_exposure
        capped = requested > terms[:, 2]
        fraud_review = self._fraud_review[gi] & (
            fraud_score >= self.review_score if self.review_score is not None else False
        )
        enterprise = (
            (frame["segment"] == "enterprise").fillna(False).to_numpy(dtype=bool)
            if "segment" in frame.columns
            else np.zeros(n, dtype=bool)
        )
        fraud_decline = (
            fraud_score >= self.decline_score
            if self.decline_score is not None
            else np.zeros(n, dtype=bool)
        )
        decision, reason = apply_rules(
            {
                "fraud_ring": ring_hit,
                "bad_input": problem,
                "out_of_range": out_of_range,
                "fraud_decline": fraud_decline,
                "not_covered": not_covered,
                "below_cutoff": gi == len(self.grades),
                "over_limit": over_limit,
                "over_exposure": over_exposure,
                "fraud_review": fraud_review,
                "enterprise_review": self._enterprise_review[gi] & enterprise,
                "term_capped": capped,
            }
        )
        grade = self._grade_names[gi]
        grade = np.where(np.isnan(score), None, grade)
        out = {}
        if self.id_column and self.id_column in frame.columns:
            out[self.id_column] = frame[self.id_column].to_numpy()
        out.update(
            {
                "decision": decision,
                "decision_reason": reason,
                "grade": grade,
                "score": score,
                "pd": pdv,
                "fraud_score": np.asarray(fraud_score, dtype=float),
                "max_device_value": limit,
                "deposit_share": terms[:, 1],
                "deposit": deposit,
                "offered_term_months": offered_term,
                "price_multiplier": terms[:, 3],
                "offered_monthly_rent": rent,
                "max_exposure": np.where(np.isinf(max_exposure), np.nan, max_exposure),
                "customer_exposure": np.where(np.isnan(terms[:, 0]), np.nan, exposure),
                "limit_factor": np.where(np.isnan(terms[:, 0]), np.nan, factor),
            }
        )
        for i in range(self.n_reason_codes):
            out[f"reason_{i + 1}"] = reasons[i]
        frame_out = pd.DataFrame(out, index=index)
        # text columns always as pandas' "str" dtype (missing = NaN), even when a partition
        # holds no text at all (an all-None column would otherwise stay object)
        text = [c for c in frame_out.columns if c in _TEXT_COLUMNS or c.startswith("reason_")]
        wrong = [c for c in text if str(frame_out[c].dtype) != "str"]
        if wrong:
            frame_out = frame_out.astype({c: "str" for c in wrong})
        return frame_out

    # --------------------------------------------------------------------------------------
    def _limit_factors(self, frame: pd.DataFrame, numbers: dict, n: int) -> np.ndarray:
        """History factor of each row (1 where the history rule is off)."""
        if not self.history:
            return np.ones(n)
        cols = {
            c: numbers[c] for c in self.limit_fields if c in numbers and c != self.exposure_column
        }
        return limit_factors(pd.DataFrame(cols, index=frame.index), self.history)

    def _rent_factor(self, offered, requested) -> np.ndarray | float:
        if self.economics is None:
            return 1.0
        return self.economics.rent_factor(offered, requested)

    # --------------------------------------------------------------------------------------
    def decide_one(self, application: Mapping[str, Any]) -> dict[str, Any]:
        """Decide one application given as a mapping of field -> value (pure Python, no
        pandas): the same result as a one-row :meth:`decide`, as a dict of the output
        columns."""
        app = application
        problem = None
        for c in self.required:
            if c not in app:
                problem = f"missing_field:{c}"
                break
        if problem is None:
            for c in self.not_null:
                if is_missing(app.get(c)):
                    problem = f"missing_field:{c}"
                    break
        nums: dict[str, float] = {}
        for c in self._numeric_terms:
            v, bad, inf = _float(app.get(c))
            nums[c] = v
            if (bad or inf) and problem is None:
                problem = f"{'invalid_value' if bad else 'out_of_range'}:{c}"
        if "devices_requested" in app:
            v, bad, inf = _float(app["devices_requested"])
            if (bad or inf) and problem is None:
                problem = f"{'invalid_value' if bad else 'out_of_range'}:devices_requested"
            nums["devices_requested"] = OPTIONAL_FIELDS["devices_requested"] if math.isnan(v) else v
        else:
            nums["devices_requested"] = OPTIONAL_FIELDS["devices_requested"]
        for c in self.limit_fields:
            v, bad, inf = _float(app.get(c))
            nums[c] = v
            if (bad or inf) and problem is None:
                problem = f"{'invalid_value' if bad else 'out_of_range'}:{c}"

        # score
        scored = self.scorer.explain_one(app, self.n_reason_codes)
        score, pdv, uncovered = scored.score, scored.pd, scored.unmatched
        if problem is None and scored.problems:
            problem = scored.problems[0]
        # fraud (one row, one thread: starting a thread pool costs milliseconds)
        fraud_score = math.nan
        if self.fraud is not None:
            x, problems = self.fraud.row(app)
            if problem is None and problems:
                problem = problems[0]
            fraud_score = float(self.fraud.predict_matrix(x, 1)[0])
        ring = None
        for key in self.ring_keys:
            v, _, _ = _float(app.get(key))
            if not math.isnan(v) and int(v) in self._ring_sets.get(key, ()):
                ring = f"fraud_ring:{key}"
                break
        not_covered = None
        for col, value in self.applies_to.items():
            v = app.get(col)
            if not is_missing(v) and v != value:
                not_covered = f"not_covered:{col}"
                break
        if not_covered is None and uncovered:
            not_covered = "not_covered:segment"
        out_of_range = None
        if not_covered is None:  # as the batch: the first field out of its range
            for c, (lo, hi, special) in self._ranges.items():
                if c not in app:
                    continue
                x = nums[c] if c in nums else _float(app[c])[0]
                if (x < lo or x > hi) and x not in special:
                    out_of_range = out_of_range or f"out_of_range:{c}"
                    if c in nums:
                        nums[c] = math.nan
        # grade and terms
        if math.isnan(score):
            gi = len(self.grades)
        else:
            pos = bisect.bisect_right(self._bounds, score)
            gi = len(self.grades) if pos == 0 else len(self.grades) - pos
        t = self._terms[gi]
        factor = 1.0
        if self.history:
            cls = history_class_one(
                *(nums.get(c) for c in HISTORY_FIELDS),
                self.history,
            )
            factor = float(self.history[cls])
        value = nums["retail_price"] * nums["devices_requested"]
        requested = nums["lease_term_months"]
        offered_term = math.nan if math.isnan(t[2]) else float(np.fmin(requested, t[2]))
        with np.errstate(over="ignore", invalid="ignore"):  # as the batch: a huge value is inf
            rent = nums["monthly_rent"] * t[3] * float(self._rent_factor(offered_term, requested))
            limit, max_exposure = t[0] * factor, t[4] * factor
            owed = nums.get(self.exposure_column, 0.0)
            exposure = (0.0 if math.isnan(owed) else owed) + rent * offered_term
        review = self.review_score is not None and fraud_score >= self.review_score
        decision, reason = apply_rules(
            {
                "fraud_ring": ring,
                "bad_input": problem,
                "out_of_range": out_of_range,
                "fraud_decline": self.decline_score is not None
                and fraud_score >= self.decline_score,
                "not_covered": not_covered,
                "below_cutoff": gi == len(self.grades),
                "over_limit": value > limit,
                "over_exposure": exposure > max_exposure,
                "fraud_review": bool(self._fraud_review[gi]) and review,
                "enterprise_review": bool(self._enterprise_review[gi])
                and app.get("segment") == "enterprise",
                "term_capped": requested > t[2],
            }
        )
        out: dict[str, Any] = {}
        if self.id_column and self.id_column in app:
            out[self.id_column] = app[self.id_column]
        out.update(
            {
                "decision": decision,
                "decision_reason": reason,
                "grade": None if math.isnan(score) else str(self._grade_names[gi]),
                "score": score,
                "pd": pdv,
                "fraud_score": fraud_score,
                "max_device_value": float(limit),
                "deposit_share": float(t[1]),
                "deposit": float(t[1] * value),
                "offered_term_months": offered_term,
                "price_multiplier": float(t[3]),
                "offered_monthly_rent": float(rent),
                "max_exposure": math.nan if math.isinf(max_exposure) else float(max_exposure),
                "customer_exposure": math.nan if math.isnan(t[0]) else float(exposure),
                "limit_factor": math.nan if math.isnan(t[0]) else factor,
            }
        )
        for i, name in enumerate(scored.reasons):
            out[f"reason_{i + 1}"] = name
        return out

    def covers(self, frame: pd.DataFrame) -> np.ndarray:
        """Rows of ``frame`` in the strategy's population (every ``applies_to`` column present
        and equal to its value)."""
        if any(col not in frame.columns for col in self.applies_to):
            return np.zeros(len(frame), dtype=bool)
        return filter_mask(frame, self.applies_to)

    def covers_one(self, application: Mapping[str, Any]) -> bool:
        """Whether one application is in the strategy's population (see :meth:`covers`)."""
        for col, value in self.applies_to.items():
            v = application.get(col)
            if is_missing(v) or v != value:
                return False
        return True


# ------------------------------------------------------------------------------------------
# several releases: one per segment
# ------------------------------------------------------------------------------------------
class DecisionRouter:
    """Decide each application with the release whose strategy covers it.

    Every release's ``strategy.json`` names the applications it decides (``applies_to``,
    e.g. ``{"segment": "consumer"}``); an application goes to the one release it matches and
    is decided exactly as that release's :class:`DecisionEngine` decides it alone. An
    application no release covers is referred as ``not_covered:<column>`` (the first
    ``applies_to`` column whose value no release takes), or ``missing_field:<column>`` when
    that column is absent or empty; its other outputs are missing. Two releases whose
    populations overlap are refused when the router is built (:class:`ConfigError`).

    Parameters
    ----------
    engines : sequence of DecisionEngine
        One per release.
    names : sequence of str, optional
        Written to the ``model`` output column (default: each strategy's ``model``).
    sources : sequence of str, optional
        Where each release comes from (its folder), named in errors (default: ``names``).

    Attributes
    ----------
    id_column : str or None
        The releases' id column (they must agree).
    n_reason_codes : int
        The most reason codes any release gives.
    text_columns : list of str
        Categorical inputs of every release (read as text).

    Output: the columns of :meth:`DecisionEngine.decide` (``reason_1`` .. up to
    ``n_reason_codes``) with ``model`` after the id column: the model whose release decided
    the row (missing for a row no release covers).
    """

    def __init__(self, engines, names=None, sources=None):

        self.engines = list(engines)
        if not self.engines:
            raise ConfigError("DecisionRouter needs at least one release. Give one per segment.")
        self.names = (
            [str(e.strategy.get("model") or f"release_{i + 1}") for i, e in enumerate(engines)]
            if names is None
            else [str(n) for n in names]
        )
        where = self.names if sources is None else [str(x) for x in sources]
        for i, a in enumerate(self.engines):
            for j in range(i + 1, len(self.engines)):
                b = self.engines[j]
                shared = [k for k in a.applies_to if k in b.applies_to]
                if all(a.applies_to[k] == b.applies_to[k] for k in shared):
                    both = {**a.applies_to, **b.applies_to}
                    what = (
                        " and ".join(f"{k} = {v}" for k, v in both.items())
                        if both
                        else "every application"
                    )
                    raise ConfigError(
                        f"The releases '{where[i]}' and '{where[j]}' both decide "
                        f"applications with {what} (their strategies' applies_to overlap). "
                        "Give each segment one release."
                    )
        ids = {e.id_column for e in self.engines}
        if len(ids) > 1:
            raise ConfigError(
                f"The releases name different id columns {sorted(map(str, ids))}. Give "
                "releases built with the same data.id_column."
            )
        self.id_column = self.engines[0].id_column
        self.n_reason_codes = max(e.n_reason_codes for e in self.engines)
        self.text_columns = list(dict.fromkeys(c for e in self.engines for c in e.text_columns))
        #: the population columns, in the order the releases name them
        self.keys = list(dict.fromkeys(k for e in self.engines for k in e.applies_to))

    @classmethod
    def from_releases(cls, folders, verify: bool = True, **kw) -> DecisionRouter:
        """Load every release folder (:meth:`DecisionEngine.from_release`, each verified)
        and route by their strategies' ``applies_to``.

        Raises
        ------
        ConfigError
            Two releases cover the same applications.
        DataError
            A release fails verification or lacks its strategy.
        """
        folders = list(folders)
        engines = [DecisionEngine.from_release(f, verify=verify, **kw) for f in folders]
        return cls(engines, sources=folders)

    def output_columns(self, with_id: bool = True) -> list[str]:
        """The output columns in order (the id column first when ``with_id``)."""
        cols = ["model", "decision", "decision_reason", "grade", "score", "pd", "fraud_score"]
        cols += [*TERM_COLUMNS, *(f"reason_{i + 1}" for i in range(self.n_reason_codes))]
        return ([self.id_column] if with_id and self.id_column else []) + cols

    def _uncovered_reason(self, frame: pd.DataFrame) -> np.ndarray:
        n = len(frame)
        reason = np.full(n, None, dtype=object)
        for k in self.keys:
            if k not in frame.columns:
                reason[reason == None] = f"missing_field:{k}"  # noqa: E711
                continue
            col = frame[k]
            values = [e.applies_to[k] for e in self.engines if k in e.applies_to]
            taken = np.zeros(n, dtype=bool)
            for v in values:
                taken |= (col == v).fillna(False).to_numpy(dtype=bool)
            miss = col.isna().to_numpy()
            reason[miss & (reason == None)] = f"missing_field:{k}"  # noqa: E711
            reason[~taken & (reason == None)] = f"not_covered:{k}"  # noqa: E711
        # a row whose values each match some release but no release in full
        reason[reason == None] = f"not_covered:{self.keys[0]}" if self.keys else "not_covered"  # noqa: E711
        return reason

    def decide(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Decide every row of ``frame`` with the release covering it (see the class)."""
        if not isinstance(frame, pd.DataFrame):
            raise DataError(
                f"DecisionRouter.decide takes a pandas DataFrame. Got {type(frame).__name__}."
            )
        n = len(frame)
        which = np.full(n, -1)
        for i, engine in enumerate(self.engines):
            which[engine.covers(frame) & (which < 0)] = i
        cols = self.output_columns(with_id=self.id_column in frame.columns)
        out = pd.DataFrame({c: np.full(n, np.nan) for c in cols}, index=frame.index)
        text = [c for c in cols if c in (*_TEXT_COLUMNS, "model") or c.startswith("reason_")]
        out = out.astype({c: "object" for c in text})
        if self.id_column and self.id_column in frame.columns:
            out[self.id_column] = frame[self.id_column].to_numpy()
        for i, engine in enumerate(self.engines):
            rows = which == i
            if not rows.any():
                continue
            got = engine.decide(frame[rows])
            for c in got.columns:
                if c != self.id_column:
                    out.loc[rows, c] = got[c].to_numpy(dtype=object if c in text else float)
            out.loc[rows, "model"] = self.names[i]
        none = which < 0
        if none.any():
            out.loc[none, "decision"] = REFER
            out.loc[none, "decision_reason"] = self._uncovered_reason(frame[none])
        numbers = [c for c in cols if c not in text and c != self.id_column]
        out = out.astype({**{c: "float64" for c in numbers}, **{c: "str" for c in text}})
        return out

    def decide_one(self, application: Mapping[str, Any]) -> dict[str, Any]:
        """Decide one application (a mapping of field -> value) with the release covering
        it: the same result as a one-row :meth:`decide`, as a dict (None for missing text)."""
        app = application
        cols = self.output_columns(with_id=self.id_column in app)
        for name, engine in zip(self.names, self.engines, strict=True):
            if engine.covers_one(app):
                got = engine.decide_one(app)
                return {c: name if c == "model" else got.get(c) for c in cols}
        out: dict[str, Any] = {
            c: None if c in (*_TEXT_COLUMNS, "model") or c.startswith("reason_") else math.nan
            for c in cols
        }
        if self.id_column in app:
            out[self.id_column] = app[self.id_column]
        reason = None
        for k in self.keys:  # as the batch: the first key absent, empty or taken by none
            if k not in app or is_missing(app[k]):
                reason = f"missing_field:{k}"
                break
            if all(app[k] != e.applies_to[k] for e in self.engines if k in e.applies_to):
                reason = f"not_covered:{k}"
                break
        if reason is None:
            reason = f"not_covered:{self.keys[0]}" if self.keys else "not_covered"
        out["decision"], out["decision_reason"] = REFER, reason
        return out


# ------------------------------------------------------------------------------------------
# helpers
# ------------------------------------------------------------------------------------------


def _float(v: Any) -> tuple[float, bool, bool]:
    """A value as float (NaN when missing, not a number or infinite), whether it is not a
    number and whether it is +/-inf (as :func:`riskresearch.woe.to_number` reads it)."""
    if is_missing(v):
        return math.nan, False, False
    x = to_number(v)
    if x is None:
        return math.nan, True, False
    if math.isinf(x):
        return math.nan, False, True
    return x, False, False


def _floats(s: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A column as float64 (NaN when missing, not a number or infinite) and the masks of the
    values that are not numbers and of +/-inf (row by row as :func:`_float`)."""
    x, bad = to_numbers(s)
    inf = np.isinf(x)
    if inf.any():
        x = np.where(inf, np.nan, x)
    return x, bad, inf


def _input_bounds(ranges: Mapping[str, Any] | None, scorer) -> dict[str, tuple]:
    """``{field: (low, high, special codes)}`` of ``strategy.json``'s ``input_ranges``: the
    development range widened by ``range_factor`` times its width on each side, within the
    physical limits. A field a scorecard feature holds special codes for keeps them in range."""
    if not ranges:
        return {}
    special = scorer.numerical_special_codes
    factor = ranges.get("range_factor")
    out = {}
    for name, r in (ranges.get("fields") or {}).items():
        lo, hi = -math.inf, math.inf
        if factor is not None and r.get("min") is not None and r.get("max") is not None:
            span = float(r["max"]) - float(r["min"])
            if span > 0:  # one value seen (every consumer leases 1 device) says no range
                lo, hi = float(r["min"]) - factor * span, float(r["max"]) + factor * span
        if r.get("physical_min") is not None:
            lo = max(lo, float(r["physical_min"]))
        if r.get("physical_max") is not None:
            hi = min(hi, float(r["physical_max"]))
        if lo > -math.inf or hi < math.inf:
            out[name] = (lo, hi, np.asarray(sorted(special.get(name, ())), dtype=float))
    return out


def _isin_sorted(values: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """``values`` (float, NaN = none) that are in the sorted int array ``ids``."""
    if not ids.size:
        return np.zeros(values.shape, dtype=bool)
    ok = np.isfinite(values)
    v = np.where(ok, values, 0).astype(np.int64)
    pos = np.searchsorted(ids, v).clip(max=ids.size - 1)
    return ok & (ids[pos] == v)


def decision_inputs(table: pd.DataFrame, warehouse: str | os.PathLike) -> pd.DataFrame:
    """Modeling-table rows with the fraud model's point-in-time features (and the device and
    phone ids) joined on ``application_id``: what the decision engine reads.

    Parameters
    ----------
    table : DataFrame
        Rows of the modeling table (``application_id`` and the scorecard's features).
    warehouse : path-like
        The DuckDB warehouse (:func:`riskresearch.fraud.fraud_features`).
    """

    if "application_id" not in table.columns:
        raise DataError("decision_inputs needs the 'application_id' column. Add it.")
    ff = fraud_features(warehouse)
    extra = [c for c in ff.columns if c not in table.columns or c == "application_id"]
    drop = {"has_lease", "fraud", "fraud_mature", "application_month", "decision"}
    extra = [c for c in extra if c not in drop]
    return table.merge(ff[extra], on="application_id", how="left")


def write_decisions(decisions: pd.DataFrame, output: str | os.PathLike) -> Path:
    """Write decisions to a CSV or Parquet file, atomically (nothing partial on failure)."""

    out = Path(output)
    kind = table_kind(out, "output")
    with atomic_output(out, "decisions") as tmp:
        if kind == "csv":
            decisions.to_csv(tmp, index=False)
        else:
            decisions.to_parquet(tmp, index=False)
    return out


__all__ = [
    "DecisionEngine",
    "DecisionRouter",
    "decision_inputs",
    "read_applications",
    "write_decisions",
]
