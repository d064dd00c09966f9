"""Release configuration (``scorecards/<model>.yaml``), validated with pydantic.

An unknown key, a wrong type or a missing data file is a one-line :class:`ConfigError` that
names the key, e.g. ``"'binning.max_n_bins' ... Got 'eight' instead."``.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import os
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)
from typing_extensions import TypedDict

from riskresearch.errors import ConfigError, from_validation_error
from riskresearch.tables import suffix_kind


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DataConfig(_Strict):
    """Where the modeling table is and which rows and columns to use.

    Only ``table`` and ``target`` are required. Relative paths resolve against the folder of
    the config file.
    """

    table: Path = Field(description="CSV or Parquet modeling table, one row per application")
    target: str = Field(description="the outcome column: 0/1, true/false, or two labels")
    bad_value: str | int | float | bool | None = Field(
        None,
        description="the target value that means bad when the target has two labels that are "
        "not 0/1 (e.g. 'default')",
    )
    encoding: str | None = Field(
        None,
        description="text encoding of a CSV table (default UTF-8 with or without BOM; "
        "gb18030 for GBK files from Chinese Excel)",
    )
    date_column: str | None = Field(
        None, description="date of each row; gives the out-of-time split"
    )

    @model_validator(mode="after")
    def _encoding(self) -> DataConfig:
        if self.encoding is not None:
            import codecs

            try:
                codecs.lookup(self.encoding)
            except LookupError:
                raise ValueError(
                    f"data.encoding {self.encoding!r} is not a text encoding Python knows; use "
                    "e.g. utf-8 or gb18030"
                ) from None
        return self

    weight_column: str | None = Field(
        None, description="row weights (e.g. sampling weights); default equal weights"
    )
    id_column: str | None = Field(
        None, description="application id (default: none; scores then carry the row number)"
    )
    warehouse: Path | None = Field(
        None,
        description="DuckDB warehouse with the raw tables (fraud and arrears analytics need it)",
    )
    oracle: Path | None = Field(
        None,
        description="simulated warehouse whose oracle table measures models (never used to fit)",
    )
    filter: dict[str, Any] = Field(
        default_factory=dict,
        description="keep rows where every column equals the value (e.g. bad_mature: true)",
    )
    target_description: str | None = Field(
        None,
        description="what a bad outcome is, in words, for the model documentation (e.g. "
        "'ever 60+ days past due within 6 months on book'); default: a sentence built from "
        "target and bad_value",
    )

    def describe_target(self) -> str:
        """The target definition in words: ``target_description``, else a sentence built from
        the target column and its bad value."""
        if self.target_description and self.target_description.strip():
            return " ".join(self.target_description.split())
        if self.bad_value is None:
            return f"the column '{self.target}' is 1 (or true): bad; 0 (or false): good"
        return f"the column '{self.target}' is {self.bad_value!r}: bad; its other value: good"


class SplitConfig(_Strict):
    """Development and test rows, in one of three ways.

    - ``column``: a column whose value says ``train`` or ``test`` (``train_value`` /
      ``test_value``); rows with other values are left out and counted;
    - out of time, with ``data.date_column``: the last ``oot_months`` months (default 4), or
      the rows from ``oot_from``;
    - otherwise a stratified random split: ``test_size`` of the rows (default 0.3) are test
      rows, drawn with the config's seed.
    """

    column: str | None = Field(None, description="column whose values say train or test")
    train_value: str | int | bool = Field("train", description="value of split.column: train")
    test_value: str | int | bool = Field("test", description="value of split.column: test")
    oot_months: int | None = Field(None, ge=1, description="latest months held out (default 4)")
    oot_from: dt.date | None = Field(None, description="rows from this date are held out")
    test_size: float = Field(0.3, gt=0, lt=1, description="share of test rows (random split)")

    @model_validator(mode="after")
    def _one(self) -> SplitConfig:
        if self.oot_from is not None and self.oot_months is not None:
            raise ValueError("split sets both oot_months and oot_from; keep one")
        if self.column is not None and (self.oot_from is not None or self.oot_months is not None):
            raise ValueError(
                "split.column and split.oot_months/oot_from are two ways to split; keep one"
            )
        if self.column is not None and self.train_value == self.test_value:
            raise ValueError("split.train_value equals split.test_value; give two values")
        return self


class FeaturesConfig(_Strict):
    """Candidate features: listed ones, or every column but the excluded ones."""

    include: list[str] | None = Field(
        None, description="candidate features (default: every column with no other role)"
    )
    exclude: list[str] = Field(default_factory=list, description="columns never used as features")
    categorical: list[str] | None = Field(
        None, description="the categorical features (default: inferred: text columns)"
    )


Trend = Literal[
    "auto",
    "auto_heuristic",
    "auto_asc_desc",
    "auto_unimodal",
    "ascending",
    "descending",
    "convex",
    "concave",
    "peak",
    "valley",
    "peak_heuristic",
    "valley_heuristic",
]


class BinOverride(TypedDict, total=False):
    """One feature's bins fixed by the modeler (``binning.overrides.<feature>``).

    ``splits`` (numerical) or ``groups`` (categorical), exactly one; optionally the regular bin
    (0 = first) that missing values (``missing_bin``) or special codes (``special_bin``) join,
    and the ``reason``, recorded in ``binning.json`` with ``source: override``.
    """

    __pydantic_config__ = ConfigDict(extra="forbid")  # type: ignore[misc]

    splits: list[float]
    groups: list[list[str | int | float | bool]]
    missing_bin: int
    special_bin: int
    reason: str


def _one_kind(spec: BinOverride) -> BinOverride:
    kinds = [k for k in ("splits", "groups") if k in spec]
    if len(kinds) != 1:
        raise ValueError(
            "an override gives either 'splits' (numerical) or 'groups' (categorical)"
            + ("" if kinds else "; it gives neither")
        )
    return spec


class BinningConfig(_Strict):
    """WOE binning (``binning:``), the settings of :class:`riskresearch.binning.WoeBinner`.

    The defaults suit a table of 1,000 rows and one of 1,000,000 alike, because the rule that
    binds changes with the size:

    - ``min_bin_n_event: sqrt``: every regular bin holds at least the square root of the
      development rows' (weighted) bads, the square-root choice of histograms applied to
      the bads. 17 bads give bins of at least 4.1 bads, 100 of 10, 2,500 of 50 and 80,000
      of 283. A bin's WoE has a standard error of about ``sqrt(1/bads + 1/goods)``, so on a
      small table this is the binding rule: fewer, sturdier bins instead of bins of 3 bads,
      yet never so few that a table of a few dozen bads loses every feature (a fixed 20 or
      30 would). On a large table it asks for nothing the share below does not already
      give.
    - ``min_bin_size: 0.02``: every regular bin holds at least 2% of the rows. A large table
      estimates a 2% bin as well as a small one a 20% bin, and the risky or safe tail of a
      feature often sits in its last few percent; the 5% of optbinning's pre-binning would
      merge it into its neighbour. Pre-bins hold ``min(0.05, min_bin_size)``.
    - ``small_bins: true``: a bin of categories may hold less than ``min_bin_size``, down to
      a quarter of it, where a G-test rejects at 0.1% that its bad rate equals each
      neighbouring bin's. A rare category whose risk stands apart keeps its bin (on the HMDA
      mortgage data the 2% of applicants denied mortgage insurance, 90% of them denied the
      loan: test AUC 0.782 -> 0.810); one that merely looks different is merged as before.
      Numeric features keep ``min_bin_size``: there the rule spent bins on thin tails and
      cost AUC on new rows.
    - ``max_n_bins: 8``: what a validator reads at a glance. On small tables the bads rule
      leaves fewer (3.8 bins per feature on 1,000 simulated rows, 6.4 on 35,000).

    Measured with ``benchmarks/bench_binning.py --defaults`` on the simulated consumer
    platform (7.2% bad): out-of-time AUC of the consumer scorecard fitted on random
    development samples (mean of 10 per size up to 10k rows; all 35k development rows of
    100,000 applications; 348k rows of 1,000,000 applications):

    ==================  =====  =====  =====  =====  =====  =====
    development rows       1k     2k     5k    10k    35k   348k
    ==================  =====  =====  =====  =====  =====  =====
    0.05, no bads rule  0.708  0.743  0.772  0.787  0.799  0.798
    0.02, sqrt          0.733  0.762  0.786  0.797  0.807  0.806
    ==================  =====  =====  =====  =====  =====  =====

    (``min_bin_size``, ``min_bin_n_event``; the first row is the earlier default). A fixed
    20 bads per bin lost 0.03 AUC at 1k rows (0.704); ``min_bin_size: 0.01`` was within
    +/-0.01 at 1k-5k rows and 0.001-0.002 better from 10k on. A config that sets the keys
    keeps its values (the consumer config sets ``max_n_bins: 8`` and ``min_bin_size:
    0.05``); ``min_bin_n_event: null`` switches the bads rule off.
    """

    max_n_bins: int = Field(8, ge=2, description="most regular bins per feature")
    min_bin_size: float = Field(
        0.02, gt=0, le=0.5, description="smallest share of the development rows in a regular bin"
    )
    min_bin_n_event: float | str | None = Field(
        "sqrt",
        description="fewest bads in a regular bin: a number, 'sqrt' (of the development bads) "
        "or null",
    )
    small_bins: bool = Field(
        True,
        description="let a bin of categories below min_bin_size (down to a quarter of it) stand "
        "where its bad rate differs significantly (G-test, 0.1%) from each neighbouring bin's",
    )
    monotonic_trend: Trend = Field(
        "auto_unimodal",
        description="bad-rate trend across a numeric feature's bins: auto_unimodal rising or "
        "falling, or one turn (peak or valley) where the rows reject every monotone trend",
    )
    monotonic_trends: dict[str, Trend] = Field(
        default_factory=dict, description="{feature: trend} overriding monotonic_trend"
    )
    special_codes: dict[str, list] = Field(
        default_factory=dict, description="{feature: [codes]}: values binned apart (e.g. -999)"
    )
    overrides: dict[str, Annotated[BinOverride, AfterValidator(_one_kind)]] = Field(
        default_factory=dict,
        description="{feature: {splits: [...]} or {groups: [[...], ...]}}, optionally with "
        "missing_bin, special_bin and a reason",
    )
    unseen: Literal["missing", "neutral", "worst"] = Field(
        "missing",
        description="WoE of a category never seen in development: missing, neutral or worst",
    )
    time_limit: float = Field(20, gt=0, description="seconds per feature for optbinning's solver")

    @field_validator("min_bin_n_event", mode="before")
    @classmethod
    def _bads_rule(cls, value: Any) -> Any:
        if value is None or value == "sqrt":
            return value
        if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
            raise ValueError("Input should be a positive number of bads, 'sqrt' or null")
        return float(value)


class SelectionConfig(_Strict):
    """Feature selection: filters, then a cross-validated stepwise search
    (:class:`riskresearch.selection.FeatureSelector`).

    The folds are stratified (``cv_folds`` of them, the config's seed) or, with an out-of-time
    split, time-ordered on ``data.date_column`` (each fold validates on later months than it
    trains on). The L2 strength of the regression is chosen on the same folds unless
    ``scorecard.C`` is set. The search keeps the largest model on its path within
    ``tolerance`` standard errors (of the paired fold differences) of the best one: a feature
    is dropped only when the folds show it does not help.
    """

    min_iv: Annotated[float, Field(ge=0)] | Literal["auto"] = Field(
        "auto",
        description="candidates with a lower information value are dropped; auto: those with "
        "an IV below 0.02 whose bins' bad rates do not differ significantly either (G-test at "
        "0.1%), so a weak but real driver of a large table stays",
    )
    max_iv: float | None = Field(
        None, description="candidates with a higher IV are dropped (a leak?); null: no limit"
    )
    max_corr: float = Field(
        0.7, gt=0, le=1, description="of two features correlated above this, the weaker goes"
    )
    max_vif: float = Field(
        5.0, ge=1, description="largest variance inflation factor a kept feature may have"
    )
    forward: bool = Field(
        True, description="run the cross-validated stepwise search (false: keep by IV)"
    )
    max_features: int = Field(15, ge=1, description="most features in the scorecard")
    cv_folds: int = Field(5, ge=2, description="folds of the stepwise search and of C")
    tolerance: float = Field(
        1.0,
        ge=0,
        description="standard errors a smaller model may fall short of the best (0: the best)",
    )


class ScorecardConfig(_Strict):
    pdo: float = Field(20.0, gt=0, description="points to double the odds")
    base_score: float = Field(600.0, description="score at base_odds")
    base_odds: float = Field(50.0, gt=0, description="good:bad odds at base_score")
    rounding: bool = Field(True, description="round points to integers")
    C: float | None = Field(
        None,
        gt=0,
        description="inverse L2 strength of the regression (null: chosen on the selection's "
        "folds; 1 without a search)",
    )
    sign_check: Literal["drop", "flag"] = Field(
        "drop", description="a feature with a wrong-signed coefficient is dropped or flagged"
    )
    n_reason_codes: int = Field(4, ge=1, description="reason codes per application")


class GbmConfig(_Strict):
    """The LightGBM challenger fitted beside the scorecard on the same rows."""

    enabled: bool = Field(True, description="fit the LightGBM challenger")
    features: list[str] | None = Field(
        None, description="default: the scorecard's candidate features"
    )
    params: dict[str, Any] = Field(
        default_factory=dict, description="LightGBM parameters overriding gbm.DEFAULT_PARAMS"
    )
    num_boost_round: int = Field(
        2000, ge=1, description="most boosting rounds (early stopping picks fewer)"
    )
    early_stopping_rounds: int = Field(
        100, ge=1, description="rounds without improvement that stop the boosting"
    )
    valid_months: int | None = Field(
        None,
        ge=1,
        description="out of time only: stop early on the latest this many development months "
        "(one slice) instead of time-ordered cross-validation",
    )
    cv_folds: int = Field(
        5,
        ge=2,
        description="folds for early stopping: time-ordered with an out-of-time split, else "
        "stratified",
    )
    size_params: bool = Field(
        True,
        description="size num_leaves, min_data_in_leaf and max_depth to the development rows "
        "(gbm.sized_params); gbm.params still override",
    )
    refit: bool = Field(
        True,
        description="with gbm.valid_months: refit on all development rows with the "
        "early-stopping optimum (cross-validated early stopping always fits on all rows)",
    )
    monotone: Literal["woe", "none"] = Field(
        "woe", description="monotone constraints from the binning's bad-rate trends"
    )
    approval_rates: list[float] = Field(
        default_factory=lambda: [0.5, 0.7, 0.8, 0.9],
        description="approval rates of the champion/challenger comparison",
    )
    n_reason_codes: int = Field(4, ge=1, description="SHAP reason codes per application")
    importance_rows: int | None = Field(
        20_000,
        ge=1000,
        description="mean |SHAP| importance on a seeded sample of this many test rows when "
        "there are more (it is a summary, settled on a sample); null: all",
    )


RejectMethod = Literal["none", "fuzzy", "parceling", "hard_cutoff", "reweighting"]


class FraudConfig(_Strict):
    """The anti-fraud model, fitted on the raw tables of ``data.warehouse``."""

    enabled: bool = Field(
        True, description="needs data.warehouse (ring links need every application)"
    )
    method: Literal["class_weight", "smote", "undersample"] = Field(
        "class_weight",
        description="how the rare class is handled: class weights, SMOTE or undersampling",
    )
    compare: list[Literal["class_weight", "smote", "undersample"]] = Field(
        default_factory=lambda: ["class_weight", "smote", "undersample"],
        description="methods compared in the report (plus an IsolationForest alone)",
    )
    test_months: int = Field(6, ge=1, description="latest application months held out")
    review_rates: list[float] = Field(
        default_factory=lambda: [0.01, 0.02, 0.05],
        description="shares of applications reviewed in the report's recall table",
    )
    num_boost_round: int = Field(
        100, ge=1, description="trees (decision speed: 100 catch as much as 300 here)"
    )


class ArrearsConfig(_Strict):
    """Post-lease analytics on the raw tables of ``data.warehouse``."""

    enabled: bool = Field(True, description="post-lease analytics (needs data.warehouse)")
    cure_period_days: int = Field(
        90, ge=1, description="days within which an account in arrears counts as cured"
    )
    oot_months: int = Field(4, ge=1, description="out-of-time months of the collection score")
    bands: int = Field(4, ge=1, description="collection-score bands of the action ladder")


class BehaviorConfig(_Strict):
    """The behaviour score of active leases, fitted on the raw tables of ``data.warehouse``."""

    enabled: bool = Field(
        True, description="the behaviour score of active leases (needs data.warehouse)"
    )
    oot_months: int = Field(3, ge=1, description="latest mature snapshot months held out")
    gap_months: int = Field(0, ge=0, description="snapshot months between the two samples")
    max_dpd_at_snapshot: int | None = Field(
        29, ge=0, description="leave out leases already past this dpd (None keeps every row)"
    )


class PartnerScoreFactor(_Strict):
    """Points of one qualification factor: 0 at ``zero_at`` rising linearly to ``weight`` at
    ``full_at`` (clipped; ``full_at < zero_at`` when lower is better; ``log`` compares log10)."""

    weight: float = Field(ge=0)
    zero_at: float
    full_at: float
    log: bool = False

    @model_validator(mode="after")
    def _range(self) -> PartnerScoreFactor:
        if self.zero_at == self.full_at:
            raise ValueError("a partner score factor needs zero_at != full_at")
        if self.log and min(self.zero_at, self.full_at) <= 0:
            raise ValueError("a partner score factor with log: true needs positive zero_at/full_at")
        return self


def _partner_factors() -> dict[str, PartnerScoreFactor]:
    return {
        "registered_capital": PartnerScoreFactor(weight=30, zero_at=1e5, full_at=3e6, log=True),
        "years_in_business": PartnerScoreFactor(weight=30, zero_at=1, full_at=10),
        "complaints_12m": PartnerScoreFactor(weight=30, zero_at=12, full_at=0),
        "city_tier": PartnerScoreFactor(weight=10, zero_at=4, full_at=1),
    }


class PartnerKnockouts(_Strict):
    """Rules that decline (candidates) or put on watch (onboarded partners) outright."""

    licence_check_failed: bool = Field(
        True, description="a failed licence check knocks a partner out"
    )
    owner_credit_red_flag: bool = Field(
        True, description="an owner with a credit red flag knocks it out"
    )
    max_complaints_12m: int | None = Field(
        15, ge=0, description="more complaints in 12 months knock it out; null: no rule"
    )
    min_years_in_business: float | None = Field(
        None, ge=0, description="fewer years in business knock it out; null: no rule"
    )
    min_registered_capital: float | None = Field(
        None, ge=0, description="less registered capital knocks it out; null: no rule"
    )
    past_performance: bool = Field(
        True, description="bad rate significantly above expected (flag confidence) knocks out"
    )


class PartnersConfig(_Strict):
    """Partner qualification and performance monitoring (needs ``data.warehouse``)."""

    enabled: bool = Field(
        True, description="partner qualification and monitoring (needs data.warehouse)"
    )
    knockouts: PartnerKnockouts = Field(default_factory=PartnerKnockouts)
    score: dict[
        Literal["registered_capital", "years_in_business", "complaints_12m", "city_tier"],
        PartnerScoreFactor,
    ] = Field(
        default_factory=_partner_factors,
        description="the qualification score's factors: weight, zero_at, full_at, log",
    )
    approve_at: float = Field(60, description="qualification score to approve")
    review_at: float = Field(40, description="qualification score for manual review")
    pd_filter: dict[str, Any] | None = Field(
        None,
        description="rows the release's scorecard scores for the expected rates (default: "
        "data.filter without its *_mature keys, e.g. {segment: consumer})",
    )
    neutral_features: list[str] = Field(
        default_factory=lambda: ["partner_id"],
        description="scorecard features set to WoE 0, so the expected rate ignores the partner",
    )
    confidence: float = Field(0.95, gt=0.5, lt=1, description="interval level of 'watch'")
    flag_confidence: float = Field(
        0.99, gt=0.5, lt=1, description="interval level of 'restrict' and 'suspend'"
    )
    restrict_ratio: float = Field(
        1.5, ge=1, description="actual/expected ratio (significant) that restricts"
    )
    suspend_ratio: float = Field(
        1.5, ge=1, description="lower interval bound of actual/expected bad to suspend"
    )
    fraud_ratio: float = Field(2.0, ge=1, description="actual/expected fraud to restrict")
    price_ratio: float = Field(
        1.08, gt=1, description="median listed/retail price that restricts (price anomaly)"
    )
    min_applications: int = Field(30, ge=1, description="fewer: no price or approval flags")

    @model_validator(mode="after")
    def _order(self) -> PartnersConfig:
        if self.review_at > self.approve_at:
            raise ValueError(
                f"partners.review_at ({self.review_at}) is above partners.approve_at "
                f"({self.approve_at}); lower review_at"
            )
        if self.flag_confidence < self.confidence:
            raise ValueError(
                "partners.flag_confidence is below partners.confidence; restrict/suspend need "
                "at least the confidence of watch"
            )
        return self


class RejectInferenceConfig(_Strict):
    """Reject inference: how the declined applications enter the development sample.

    The declined rows are the rows of ``data.table`` that match ``declined_filter`` and every
    key of ``data.filter`` except those in ``declined_exempt`` (outcome flags such as
    ``bad_mature`` that a declined application, having no lease, never passes). With the
    default shape and ``data.filter: {segment: consumer, bad_mature: true}`` they are the rows
    with ``segment == consumer`` and ``declined == true``. Declined rows take the out-of-time
    split of the accepted rows; those of later months (no accepted outcomes yet) are left out.
    See :mod:`riskresearch.reject_inference` for the methods.
    """

    method: RejectMethod = Field(
        "none",
        description="none (accepts only), fuzzy, parceling, hard_cutoff or reweighting",
    )
    declined_filter: dict[str, Any] = Field(
        default_factory=lambda: {"declined": True},
        description="column: value pairs that identify the declined applications",
    )
    declined_exempt: list[str] = Field(
        default_factory=lambda: ["bad_mature"],
        description="keys of data.filter that declined rows need not match (outcome flags)",
    )
    bands: int = Field(10, ge=2, le=100, description="score bands (parceling, diagnostics)")
    parceling_factors: float | list[float] = Field(
        1.0,
        description="factor on each score band's accepted bad rate, one number or one per "
        "band (riskiest band first)",
    )
    cutoff_score: float | None = Field(
        None, description="hard_cutoff: declines scoring below this are bad"
    )
    cutoff_bad_share: float | None = Field(
        None,
        gt=0,
        lt=1,
        description="hard_cutoff: the riskiest share of declines labelled bad (default: their "
        "mean accepts-only PD)",
    )
    clip: float = Field(
        10.0, ge=1, description="reweighting: largest weight 1 / P(approve) of an accepted row"
    )
    apply_to: list[Literal["scorecard", "gbm"]] = Field(
        default_factory=lambda: ["scorecard", "gbm"],
        description="models fitted on the augmented sample (the others fit the accepts only)",
    )
    compare_rows: int | None = Field(
        100_000,
        ge=1000,
        description="the comparison of every method is fitted on a seeded sample of this many "
        "development rows (stratified by outcome; declines in the same proportion) when there "
        "are more; the released models always use all rows; null: all",
    )

    def applies(self, model: str) -> bool:
        """Whether ``model`` ("scorecard" or "gbm") is fitted on the augmented sample."""
        return self.method != "none" and model in self.apply_to

    @model_validator(mode="after")
    def _consistent(self) -> RejectInferenceConfig:
        factors = (
            self.parceling_factors
            if isinstance(self.parceling_factors, list)
            else [self.parceling_factors]
        )
        if not factors or any(not f > 0 for f in factors):
            raise ValueError("reject_inference.parceling_factors must be positive numbers")
        if isinstance(self.parceling_factors, list) and len(factors) != self.bands:
            raise ValueError(
                f"reject_inference.parceling_factors lists {len(factors)} factors for "
                f"{self.bands} bands; give one per band (riskiest first) or a single number"
            )
        if self.cutoff_score is not None and self.cutoff_bad_share is not None:
            raise ValueError(
                "reject_inference sets both cutoff_score and cutoff_bad_share; keep one"
            )
        if not self.declined_filter:
            raise ValueError(
                "reject_inference.declined_filter is empty; name the column that marks declined "
                "applications, e.g. {declined: true}"
            )
        return self


class GradeTerms(_Strict):
    """Lease terms of one credit grade (a row of the reviewable terms table)."""

    grade: str = Field(pattern=r"^[A-Za-z0-9_+\-]+$", description="grade name, e.g. A")
    max_device_value: float = Field(gt=0, description="credit limit: retail value of the devices")
    deposit_share: float = Field(
        0.0, ge=0, lt=1, description="deposit as a share of the device value (0 for good grades)"
    )
    max_term_months: int = Field(ge=1, description="longest lease term offered")
    price_multiplier: float = Field(
        1.0,
        gt=0,
        le=3,
        description="factor on the quoted rent (chosen from price_options when optimise_prices)",
    )
    max_exposure: float | None = Field(
        None,
        gt=0,
        description="customer limit: outstanding rent of the customer's active leases plus "
        "this lease's rent (null: no customer limit)",
    )
    fraud_review: bool = Field(False, description="refer when the fraud score reaches review")
    enterprise_review: bool = Field(False, description="refer enterprise applications")


def _default_grades() -> list[GradeTerms]:
    rows = [
        ("A", 15000, 0.0, 24, 1.0, False),
        ("B", 12000, 0.0, 24, 1.0, False),
        ("C", 9000, 0.1, 18, 1.0, False),
        ("D", 6000, 0.2, 12, 1.05, True),
        ("E", 4000, 0.3, 12, 1.1, True),
    ]
    return [
        GradeTerms(
            grade=g,
            max_device_value=v,
            deposit_share=d,
            max_term_months=t,
            price_multiplier=m,
            fraud_review=f,
            enterprise_review=True,
        )
        for g, v, d, t, m, f in rows
    ]


class StrategyEconomicsConfig(_Strict):
    """Parameters of the expected-profit formula (see :mod:`riskresearch.strategy`)."""

    default_months: int = Field(6, ge=1, description="defaults fall evenly on the first N months")
    residual_loss_per_month: float = Field(
        0.036, ge=0, lt=1, description="device value lost per month of term (buyout price)"
    )
    residual_floor: float = Field(0.1, ge=0, le=1, description="lowest residual value share")
    buyout_rate: float | None = Field(
        None, ge=0, le=1, description="default: the warehouse's term-end buyout rate, else 0.5"
    )
    recovery_rate: float | None = Field(
        None, ge=0, le=1, description="default: the warehouse's device recovery rate, else 0.45"
    )
    resale_to_retail: float | None = Field(
        None, ge=0, le=1, description="default: the warehouse's resale / retail, else 0.45"
    )
    take_up: float = Field(
        0.8, gt=0, le=1, description="share of approved offers taken up at price 1, no deposit"
    )
    deposit_elasticity: float = Field(
        1.0, ge=0, description="take-up falls by this times the deposit share"
    )
    price_elasticity: float = Field(
        1.0,
        ge=0,
        description="take-up falls by this times (price multiplier - 1) (rises for a discount)",
    )
    rent_rate_base: float | None = Field(
        None,
        ge=0,
        description="quoted rent per month / device cost = base + per_term / term; default: "
        "fitted on the applications",
    )
    rent_rate_per_term: float | None = Field(
        None, ge=0, description="see rent_rate_base; default: fitted on the applications"
    )

    @model_validator(mode="after")
    def _rent_curve_pair(self) -> StrategyEconomicsConfig:
        if (self.rent_rate_base is None) != (self.rent_rate_per_term is None):
            raise ValueError(
                "strategy.economics.rent_rate_base and rent_rate_per_term go together; give "
                "both or neither"
            )
        return self


class LimitHistory(_Strict):
    """Line increase / decrease of repeat customers (``strategy.limit_history``).

    A customer's platform history at the application (point-in-time columns of the modeling
    table: ``hist_leases``, ``hist_writeoffs``, ``hist_max_dpd``,
    ``hist_months_since_first_lease``) puts the application in one class, the first that
    applies: ``new`` (no lease before), ``written_off`` (a lease written off), ``delinquent``
    (worst days past due at least ``delinquent_dpd``), ``clean`` (worst days past due below
    ``clean_max_dpd`` and a first lease at least ``clean_min_months`` ago), ``other`` (a
    short or slightly late record). The grade's limits (``max_device_value`` and
    ``max_exposure``) are multiplied by the class's factor; a factor of 0 refers every
    application of the class (its limit is 0).
    """

    enabled: bool = Field(True, description="false: every customer keeps the grade's limits")
    clean_max_dpd: int = Field(8, ge=1, description="worst dpd below this: a clean record")
    clean_min_months: int = Field(
        6, ge=0, description="a clean record is at least this many months old"
    )
    delinquent_dpd: int = Field(30, ge=1, description="worst dpd from this: delinquent")
    new: float = Field(1.0, ge=0, description="limit factor without platform history")
    clean: float = Field(1.5, ge=0, description="limit factor of a clean repeat customer")
    other: float = Field(1.0, ge=0, description="limit factor of a short or slightly late record")
    delinquent: float = Field(0.5, ge=0, description="limit factor after delinquent_dpd")
    written_off: float = Field(0.0, ge=0, description="limit factor after a write-off")

    @model_validator(mode="after")
    def _ordered(self) -> LimitHistory:
        if self.delinquent_dpd < self.clean_max_dpd:
            raise ValueError(
                f"strategy.limit_history.delinquent_dpd ({self.delinquent_dpd}) is below "
                f"clean_max_dpd ({self.clean_max_dpd}); a delinquent record cannot be clean"
            )
        order = ("clean", "other", "delinquent", "written_off")
        for better, worse in itertools.pairwise(order):
            if getattr(self, worse) > getattr(self, better):
                raise ValueError(
                    f"strategy.limit_history.{worse} ({getattr(self, worse)}) exceeds "
                    f"{better} ({getattr(self, better)}); a worse record never gets a larger "
                    "limit"
                )
        return self


RingKey = Literal["device_fingerprint_id", "contact_phone_id", "address_id"]


class InputLimits(_Strict):
    """Physically possible values of one numeric input (None: no limit on that side)."""

    min: float | None = Field(None, allow_inf_nan=False, description="smallest possible value")
    max: float | None = Field(None, allow_inf_nan=False, description="largest possible value")

    @model_validator(mode="after")
    def _ordered(self) -> InputLimits:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) exceeds max ({self.max}); swap them")
        return self


#: Physical limits of the simulated platform's numeric columns (``strategy.physical_limits``).
PHYSICAL_LIMITS: dict[str, tuple[float | None, float | None]] = {
    "age": (16, 120),
    "application_hour": (0, 24),
    "lease_term_months": (1, None),
    "devices_requested": (1, None),
    **{
        c: (0, None)
        for c in (
            "retail_price",
            "price_vs_retail",
            "monthly_rent",
            "stated_monthly_income",
            "employment_years",
            "phone_tenure_months",
            "registration_to_application_minutes",
            "payment_to_income",
            "inquiries_1m",
            "inquiries_3m",
            "inquiries_6m",
            "open_accounts",
            "lenders_6m",
            "max_dpd_24m",
            "outstanding_debt",
            "utilisation",
            "debt_to_income",
            "hist_leases",
            "hist_active_leases",
            "hist_writeoffs",
            "hist_max_dpd",
            "hist_months_since_first_lease",
            "hist_applications",
            "hist_declined_applications",
            "company_age_years",
            "registered_capital",
            "employees",
            "annual_revenue",
            "legal_disputes",
            "debt_ratio",
            "current_ratio",
        )
    },
}


def _default_physical_limits() -> dict[str, InputLimits]:
    return {c: InputLimits(min=lo, max=hi) for c, (lo, hi) in PHYSICAL_LIMITS.items()}


class StrategyConfig(_Strict):
    """Credit grades, lease terms per grade and the policy optimiser (notebook 08).

    ``grades`` is the reviewable terms table, best grade first; terms must not improve as the
    grade worsens (limit and term never rise, deposit never falls).

    ``range_factor`` and ``physical_limits`` set which numeric inputs the decision engine refers
    as ``out_of_range:<field>`` (:mod:`riskresearch.decision`): a value below
    ``min - f * (max - min)`` or above ``max + f * (max - min)`` of the development data, or
    outside its physical limits. The default ``f = 1`` allows one whole development range
    beyond each end: the scorecard still scores such a value (in its end bin) and the terms
    still make sense, while the usual input errors land far outside it: a rent or price keyed
    in cents or with two extra digits is 100 times a typical value, and a placeholder such as
    ``1e308`` or ``999999`` is thousands of widths away. A smaller ``f`` refers real but rare
    applicants (a high income just above the development maximum); each referral costs a
    manual review, not an approval. ``null`` switches the development-range rule off (the
    physical limits stay).
    """

    enabled: bool = Field(True, description="grades, lease terms and decision rules (notebook 08)")
    grades: list[GradeTerms] = Field(
        default_factory=_default_grades,
        min_length=1,
        description="the terms table, best grade first (see the shipped consumer config)",
    )
    max_bad_rate: float = Field(0.08, gt=0, lt=1, description="portfolio bad rate ceiling")
    min_approval_rate: float = Field(0.6, ge=0, le=1, description="approval rate floor")
    optimise_deposits: bool = Field(
        True, description="choose each grade's deposit from deposit_options (else as in grades)"
    )
    deposit_options: list[float] = Field(
        default_factory=lambda: [0.0, 0.1, 0.2, 0.3],
        description="deposit shares the optimiser may choose per grade",
    )
    optimise_prices: bool = Field(
        False,
        description="choose each grade's price multiplier from price_options (else as in grades)",
    )
    price_options: list[float] = Field(
        default_factory=lambda: [0.9, 0.95, 1.0, 1.05, 1.1, 1.2],
        description="price multipliers the optimiser chooses from (discounts below 1)",
    )
    limit_history: LimitHistory = Field(default_factory=LimitHistory)
    exposure_column: str = Field(
        "hist_outstanding_rent",
        description="column holding the rent still owed on the customer's active leases at "
        "the application (customer limit: grades' max_exposure)",
    )
    min_grade_share: float = Field(
        0.05, gt=0, lt=1, description="smallest share of rows in one grade"
    )
    n_bins: int = Field(50, ge=5, le=400, description="score bins the optimiser cuts between")
    flat_grade: str | None = Field(
        None, description="terms of the flat single-cut-off policy (default: the middle grade)"
    )
    fraud_decline_rate: float = Field(
        0.005, ge=0, lt=1, description="share of recent applications declined on fraud score"
    )
    fraud_review_rate: float = Field(
        0.02, ge=0, lt=1, description="share referred to fraud review (grades with fraud_review)"
    )
    ring_keys: list[RingKey] = Field(
        default_factory=lambda: ["device_fingerprint_id", "contact_phone_id"],
        description="ids linked to a confirmed fraud ring that decline an application",
    )
    previous_release: Path | None = Field(
        None,
        description="release folder of the swap-set comparison (default: newest numbered one)",
    )
    economics: StrategyEconomicsConfig = Field(default_factory=StrategyEconomicsConfig)
    range_factor: float | None = Field(
        1.0,
        ge=0,
        description="refer a numeric input below min - f*(max-min) or above max + f*(max-min) "
        "of the development data (null: no development-range rule)",
    )
    physical_limits: dict[str, InputLimits | None] = Field(
        default_factory=_default_physical_limits,
        description="possible values of numeric inputs ({field: {min, max}}); an entry replaces "
        "the default of its field, null removes it",
    )

    @model_validator(mode="after")
    def _merge_physical_limits(self) -> StrategyConfig:
        # the defaults stay for the fields a config does not name
        merged = {**_default_physical_limits(), **self.physical_limits}
        self.physical_limits = {c: v for c, v in merged.items() if v is not None}
        return self

    def check_terms(self) -> None:
        """Raise ValueError naming the key when the terms table is malformed (ModelConfig
        calls it, so the error is one line about the key, not the whole section)."""
        names = [g.grade for g in self.grades]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"strategy.grades names grade(s) {dup} twice; give each one row")
        if "decline" in names:
            raise ValueError("strategy.grades may not name a grade 'decline' (reserved)")
        pairs = zip(self.grades, self.grades[1:], strict=False)
        for i, (better, worse) in enumerate(pairs, start=1):
            for key in ("max_device_value", "max_term_months", "max_exposure"):
                # no customer limit (null) is the loosest limit
                w, b = (
                    math.inf if v is None else v
                    for v in (getattr(worse, key), getattr(better, key))
                )
                if w > b:
                    raise ValueError(
                        f"strategy.grades[{i}].{key} ({getattr(worse, key)}) of grade "
                        f"{worse.grade} exceeds that of the better grade {better.grade} "
                        f"({getattr(better, key)}); list grades best first with terms that "
                        "never improve"
                    )
            if worse.price_multiplier < better.price_multiplier:
                raise ValueError(
                    f"strategy.grades[{i}].price_multiplier ({worse.price_multiplier}) of grade "
                    f"{worse.grade} is below that of the better grade {better.grade} "
                    f"({better.price_multiplier}); prices must not fall as grades worsen"
                )
            if worse.deposit_share < better.deposit_share:
                raise ValueError(
                    f"strategy.grades[{i}].deposit_share ({worse.deposit_share}) of grade "
                    f"{worse.grade} is below that of the better grade {better.grade} "
                    f"({better.deposit_share}); deposits must not fall as grades worsen"
                )
        opts = self.deposit_options
        if not opts or any(not 0 <= d < 1 for d in opts) or sorted(set(opts)) != list(opts):
            raise ValueError(
                f"strategy.deposit_options must be distinct shares in [0, 1) in ascending "
                f"order. Got {opts}"
            )
        prices = self.price_options
        if not prices or any(not 0 < m <= 3 for m in prices) or sorted(set(prices)) != list(prices):
            raise ValueError(
                f"strategy.price_options must be distinct multipliers in (0, 3] in ascending "
                f"order. Got {prices}"
            )
        if self.flat_grade is not None and self.flat_grade not in names:
            raise ValueError(
                f"strategy.flat_grade {self.flat_grade!r} is not a grade of strategy.grades {names}"
            )
        if self.fraud_decline_rate > self.fraud_review_rate:
            raise ValueError(
                "strategy.fraud_decline_rate exceeds strategy.fraud_review_rate; the decline "
                "band must lie inside the review band"
            )


class MonitoringConfig(_Strict):
    """Monitoring of new cohorts against the release (notebook 10, ``riskresearch monitor``).

    Severities: PSI/CSI at or above ``psi_amber`` is amber, at or above ``psi_red`` red; below
    ``psi_amber`` a shift of at least ``drift_min`` and ``drift_factor`` times the variable's
    noise floor (its month-to-month PSI within the development window) is amber too.
    """

    enabled: bool = Field(
        True, description="the monitoring baseline (notebook 10; needs data.date_column)"
    )
    psi_amber: float = Field(0.1, gt=0, description="PSI/CSI from which a shift is amber")
    psi_red: float = Field(0.25, gt=0, description="PSI/CSI from which a shift is red")
    drift_factor: float = Field(
        3.0, ge=1, description="PSI this many times the development noise floor is amber"
    )
    drift_min: float = Field(0.02, ge=0, description="... and at least this PSI")
    score_bands: int = Field(10, ge=2, le=100, description="score bands: development quantiles")
    unseen_amber: float = Field(
        0.01, gt=0, lt=1, description="share of rows in never-seen categories that is amber"
    )
    unseen_red: float = Field(0.05, gt=0, lt=1, description="... that is red")
    confidence: float = Field(0.95, gt=0.5, lt=1, description="interval of actual/expected")
    ae_amber: float = Field(
        1.2, gt=1, description="actual/expected (significantly above 1) that is amber"
    )
    ae_red: float = Field(1.5, gt=1, description="... that is red")
    auc_amber: float = Field(0.05, gt=0, lt=1, description="significant AUC drop that is amber")
    auc_red: float = Field(0.10, gt=0, lt=1, description="... that is red")
    min_rows: int = Field(30, ge=1, description="fewer rows (or bads) in a cell: no alert")
    early_indicators: dict[str, str] = Field(
        default_factory=lambda: {"fpd30": "fpd30_mature", "dpd30_3m": "dpd30_3m_mature"},
        description="early outcome column: its maturity flag (skipped when absent)",
    )
    outcome_lag_months: dict[str, int] = Field(
        default_factory=lambda: {"bad": 7, "fpd30": 2, "dpd30_3m": 4},
        description="months after the application month when an outcome is first observed: "
        "a performance alert is raised then (a cohort's 6-month bad cannot alarm earlier)",
    )
    exclude: dict[str, Any] = Field(
        default_factory=lambda: {"fraud": 1},
        description="rows left out of the performance checks (confirmed fraud never pays and "
        "has its own signals)",
    )
    fraud_review_rate: float = Field(
        0.02, gt=0, lt=1, description="flag rate of the fraud model without strategy.json"
    )
    fraud_ratio: float = Field(2.0, ge=1, description="weekly flagged share x baseline: amber")
    fraud_partner_ratio: float = Field(
        3.0, ge=1, description="a partner's monthly flagged share x baseline: amber"
    )
    monitor_from: dt.date | None = Field(
        None, description="first monitored month (default: the month after development)"
    )
    champion: Path | None = Field(
        None,
        description="release compared with this one on the same out-of-time rows (set by "
        "riskresearch retrain)",
    )

    @model_validator(mode="after")
    def _order(self) -> MonitoringConfig:
        for low, high in (("psi_amber", "psi_red"), ("unseen_amber", "unseen_red")):
            if getattr(self, low) > getattr(self, high):
                raise ValueError(f"monitoring.{low} is above monitoring.{high}; swap them")
        for low, high in (("ae_amber", "ae_red"), ("auc_amber", "auc_red")):
            if getattr(self, low) > getattr(self, high):
                raise ValueError(f"monitoring.{low} is above monitoring.{high}; swap them")
        return self


class FairnessConfig(_Strict):
    """Personal information and fairness (see :mod:`riskresearch.fairness`).

    ``prohibited`` columns never drive a decision: naming one as a feature is refused; present
    in the table (for testing only) it is no candidate, and candidates associated with it at
    ``proxy_threshold`` or more (Cramér's V) are left out as proxies. ``protected`` groups get
    approval rate, bad rate, scores and the adverse-impact ratio in the release:
    ``{column: null}`` for its values, ``{column: [edges]}`` for bands of a number.
    """

    prohibited: list[str] = Field(
        default_factory=list,
        description="columns a release must not use, e.g. ethnicity, religion, health",
    )
    proxy_threshold: float = Field(
        0.5, gt=0, le=1, description="association with a prohibited column that makes a proxy"
    )
    protected: dict[str, list[float] | None] = Field(
        default_factory=dict,
        description="groups reported for fairness: {column: null} or {column: [band edges]}",
    )
    approval_rate: float = Field(
        0.7, gt=0, lt=1, description="approval rate of the fairness table without a strategy"
    )


class ReportConfig(_Strict):
    """The model document (``report.html``) and the standalone reports of a release."""

    language: Literal["en", "zh-CN"] = Field(
        "en",
        description="language of report.html and the standalone reports (monitoring, "
        "portfolio, partners): en or zh-CN (feature names and data values stay as they are)",
    )


class ModelConfig(_Strict):
    """A scorecard model: data, split, features, binning, selection, scaling and segments."""

    model: str = Field(
        pattern=r"^[A-Za-z0-9_\-]+$", description="name; releases go to scorecards/<model>/"
    )
    description: str = Field(
        "", description="what the model is for, in a sentence or two (the report's purpose)"
    )
    seed: int = Field(
        20240101, ge=0, description="seed of every random step: split, folds, models, bootstraps"
    )
    data: DataConfig
    split: SplitConfig = Field(default_factory=SplitConfig)
    features: FeaturesConfig = Field(default_factory=FeaturesConfig)
    binning: BinningConfig = Field(default_factory=BinningConfig)
    selection: SelectionConfig = Field(default_factory=SelectionConfig)
    scorecard: ScorecardConfig = Field(default_factory=ScorecardConfig)
    gbm: GbmConfig = Field(default_factory=GbmConfig)
    fraud: FraudConfig = Field(default_factory=FraudConfig)
    arrears: ArrearsConfig = Field(default_factory=ArrearsConfig)
    partners: PartnersConfig = Field(default_factory=PartnersConfig)
    behavior: BehaviorConfig = Field(default_factory=BehaviorConfig)
    segments: dict[str, dict[str, Any]] | None = Field(
        None, description="{name: {column: value}}: one scorecard per segment, first match wins"
    )
    reject_inference: RejectInferenceConfig = Field(default_factory=RejectInferenceConfig)
    strategy: StrategyConfig = Field(default_factory=StrategyConfig)
    monitoring: MonitoringConfig = Field(default_factory=MonitoringConfig)
    fairness: FairnessConfig = Field(default_factory=FairnessConfig)
    report: ReportConfig = Field(default_factory=ReportConfig)

    #: the YAML file read (absolute), None for a config given as a dict
    _source: Path | None = PrivateAttr(None)
    #: the folder relative paths resolved against
    _base: Path | None = PrivateAttr(None)

    @property
    def source(self) -> Path | None:
        """The config file this config was read from (absolute), if any."""
        return self._source

    @property
    def base(self) -> Path:
        """The folder the config's relative paths resolve against (its file's folder)."""
        return self._base if self._base is not None else Path.cwd()

    @property
    def split_mode(self) -> Literal["column", "oot", "random"]:
        """How development and test rows are split (see :class:`SplitConfig`)."""
        if self.split.column is not None:
            return "column"
        if self.data.date_column is not None:
            return "oot"
        return "random"

    @property
    def oot_months(self) -> int | None:
        """Latest months held out in an out-of-time split by month count (default 4)."""
        if self.split_mode != "oot" or self.split.oot_from is not None:
            return None
        return self.split.oot_months or 4

    @model_validator(mode="after")
    def _split_needs(self) -> ModelConfig:
        if self.split.column is None and self.data.date_column is None:
            for key in ("oot_months", "oot_from"):
                if getattr(self.split, key) is not None:
                    raise ValueError(
                        f"split.{key} needs data.date_column (the column dating each row); "
                        "add it or remove the key"
                    )
        return self

    @model_validator(mode="after")
    def _no_prohibited_feature(self) -> ModelConfig:
        banned = set(self.fairness.prohibited)
        for key, listed in (
            ("features.include", self.features.include),
            ("features.categorical", self.features.categorical),
            ("gbm.features", self.gbm.features),
        ):
            used = [c for c in listed or [] if c in banned]
            if used:
                raise ValueError(
                    f"{key} names {used}, which fairness.prohibited forbids a release to use; "
                    "remove them from the features"
                )
        return self

    @model_validator(mode="after")
    def _strategy_terms(self) -> ModelConfig:
        self.strategy.check_terms()
        return self

    @model_validator(mode="after")
    def _declined_rows(self) -> ModelConfig:
        ri, accepted = self.reject_inference, self.data.filter
        if "declined_exempt" in ri.model_fields_set:
            # the default key may be absent from the filter (a dumped config repeats it)
            default = RejectInferenceConfig.model_fields["declined_exempt"].get_default(
                call_default_factory=True
            )
            unknown = [k for k in ri.declined_exempt if k not in accepted and k not in default]
            if unknown:
                raise ValueError(
                    f"reject_inference.declined_exempt names {unknown}, which are not keys of "
                    f"data.filter {sorted(accepted)}; list only data.filter keys"
                )
        declined = declined_filter(self)
        clash = {
            k: (accepted[k], v)
            for k, v in ri.declined_filter.items()
            if k in accepted and k not in ri.declined_exempt and accepted[k] != v
        }
        if clash:
            k, (a, d) = next(iter(clash.items()))
            raise ValueError(
                f"reject_inference.declined_filter wants {k} = {d!r} but data.filter keeps "
                f"{k} = {a!r}, so no row could be declined; add '{k}' to "
                "reject_inference.declined_exempt"
            )
        if ri.method != "none" and all(accepted.get(k, object()) == v for k, v in declined.items()):
            raise ValueError(
                f"reject_inference selects declined rows with {declined}, which data.filter "
                "keeps as accepted rows too; set declined_filter to what marks a declined "
                "application"
            )
        return self


def declined_filter(cfg: ModelConfig) -> dict[str, Any]:
    """The row filter of the declined applications: ``reject_inference.declined_filter`` plus
    every key of ``data.filter`` that is not in ``reject_inference.declined_exempt``."""
    ri = cfg.reject_inference
    keep = {k: v for k, v in cfg.data.filter.items() if k not in ri.declined_exempt}
    return {**keep, **ri.declined_filter}


class _DuplicateKey(yaml.constructor.ConstructorError):
    """A key given twice in one mapping (PyYAML would silently keep the last)."""


class YamlLoader(yaml.SafeLoader):
    """YAML without its own date parsing: dates reach pydantic as text, so an impossible date
    is a ConfigError naming the key rather than a parser crash. A key given twice in one
    mapping is refused (PyYAML keeps the last one silently)."""

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            first: dict = {}
            for key_node, _ in node.value:  # before '<<' merges, whose keys may be overridden
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)
                line = key_node.start_mark.line + 1
                try:
                    again = key in first
                except TypeError:
                    continue  # an unhashable key: the base class names it
                if again:
                    raise _DuplicateKey(
                        problem=f"has the key '{key}' twice, at lines {first[key]} and {line}",
                        problem_mark=key_node.start_mark,
                    )
                first[key] = line
        return super().construct_mapping(node, deep=deep)


YamlLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def read_yaml(path: str | Path) -> Any:
    """The parsed YAML of a config file (dates stay text; see :func:`load_config`)."""
    path = Path(path)
    if path.is_dir():
        raise ConfigError(
            f"The config '{path}' is a folder. Give the path of a YAML file such as "
            f"'{path / 'model.yaml'}'."
        )
    if not path.is_file():
        raise ConfigError(f"The config file '{path}' does not exist. Give the path of a YAML file.")
    try:
        return yaml.load(path.read_text(), Loader=YamlLoader)
    except _DuplicateKey as exc:
        raise ConfigError(f"The config file '{path}' {exc.problem}. Keep one of them.") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise ConfigError(
            f"The config file '{path}' is not valid YAML{where}. Fix its syntax."
        ) from None


def load_config(path: str | Path, base: str | Path | None = None) -> ModelConfig:
    """Read and validate a YAML model config.

    Parameters
    ----------
    path : path-like
        The YAML file.
    base : path-like, optional
        Folder that relative paths in the config resolve against (default: the config file's
        folder, so a project can be moved or committed as a whole).

    Raises
    ------
    ConfigError
        Unknown key, wrong type, missing file: one line naming the key.
    """
    path = Path(path)
    raw = read_yaml(path)
    cfg = config_from_dict(
        raw, source=str(path), base=path.resolve().parent if base is None else base
    )
    cfg._source = path.resolve()
    return cfg


#: Path keys of a config: (section, key, what it is, how to fix a missing one).
_PATHS = (
    (
        "data",
        "table",
        "file",
        "Build it with 'riskresearch data build' or point data.table at your CSV/Parquet table",
    ),
    ("data", "warehouse", "file", "Build it with 'riskresearch data build' or remove the key"),
    (
        "data",
        "oracle",
        "file",
        "Remove the key (real data has no oracle) or build the simulated warehouse",
    ),
    (
        "strategy",
        "previous_release",
        "folder",
        "Point it at a release folder or remove the key (the newest numbered release is used)",
    ),
    ("monitoring", "champion", "folder", "Point it at a release folder or remove the key"),
)


def config_from_dict(
    raw: Any, source: str = "config", base: str | Path | None = None
) -> ModelConfig:
    """Validate a config given as a dict (see :func:`load_config`).

    Relative paths resolve against ``base`` (default: the current folder); every path the
    config names must exist.
    """
    if not isinstance(raw, dict):
        raise ConfigError(
            f"The config '{source}' must be a mapping of keys. Got {type(raw).__name__}."
        )
    try:
        cfg = ModelConfig.model_validate(raw)
    except ValidationError as exc:
        raise from_validation_error(exc, f"the config '{source}'") from None
    folder = Path(base).resolve() if base is not None else Path.cwd()
    cfg._base = folder
    for section, key, kind, fix in _PATHS:
        part = getattr(cfg, section)
        value = getattr(part, key)
        if value is None:
            continue
        path = value if value.is_absolute() else Path(os.path.normpath(folder / value))
        exists = path.is_file() if kind == "file" else path.is_dir()
        if not exists:
            where = "" if value.is_absolute() else f" (relative to '{folder}')"
            raise ConfigError(
                f"The '{section}.{key}' {kind} '{value}'{where} of the config '{source}' does "
                f"not exist. {fix}."
            )
        setattr(part, key, path)
    if suffix_kind(cfg.data.table) is None:
        raise ConfigError(
            f"The 'data.table' file '{cfg.data.table}' must be .csv or .parquet. Got "
            f"'{cfg.data.table.suffix}'."
        )
    return cfg


def config_reference() -> str:
    """Every key of a release config, as the Markdown of ``docs/config.md``: one table per
    section with the key, its default and its description (from the schema above, so the page
    cannot drift from the code; a test compares them)."""
    import json

    from pydantic_core import PydanticUndefined

    def default(field) -> str:
        if field.is_required():
            return "required"
        value = field.get_default(call_default_factory=True)
        if isinstance(value, BaseModel):
            return "(section)"
        if value is PydanticUndefined:
            return ""
        if value is None:
            return "null"
        items = value.values() if isinstance(value, dict) else value
        if isinstance(items, list | type({}.values())) and any(
            isinstance(v, BaseModel) for v in items
        ):
            return "(a table: see the shipped consumer config)"
        text = json.dumps(value, default=str, ensure_ascii=False)
        return text if len(text) <= 40 else text[:37] + "..."

    def rows(model: type[BaseModel], prefix: str) -> list[str]:
        out = []
        for name, field in model.model_fields.items():
            sub = field.annotation if isinstance(field.annotation, type) else None
            if sub is not None and issubclass(sub, BaseModel):
                continue  # a section of its own
            doc = (field.description or "").replace("|", "\\|").replace("\n", " ")
            out.append(f"| `{prefix}{name}` | `{default(field)}` | {doc} |")
        return out

    lines = [
        "# Config keys",
        "",
        "A release config (`scorecards/<model>.yaml`, or `model.yaml` of `riskresearch init`) is",
        "validated against this schema: an unknown key, a wrong type or a missing file is one line",
        "naming the key. Only `model`, `data.table` and `data.target` are required; relative paths",
        "resolve against the config file's folder. Generated from `riskresearch.config`",
        "(`config_reference()`); a test keeps it current.",
        "",
        "## Top level",
        "",
        "| key | default | what |",
        "| --- | --- | --- |",
        *rows(ModelConfig, ""),
    ]
    for name, field in ModelConfig.model_fields.items():
        model = field.annotation
        if isinstance(model, type) and issubclass(model, BaseModel):
            doc = " ".join((model.__doc__ or "").split())
            lines += ["", f"## `{name}`", ""]
            if doc:
                lines += [doc, ""]
            lines += ["| key | default | what |", "| --- | --- | --- |", *rows(model, f"{name}.")]
            for sub_name, sub in model.model_fields.items():
                inner = sub.annotation
                if isinstance(inner, type) and issubclass(inner, BaseModel):
                    lines += ["", f"### `{name}.{sub_name}`", ""]
                    lines += ["| key | default | what |", "| --- | --- | --- |"]
                    lines += rows(inner, f"{name}.{sub_name}.")
    return "\n".join(lines) + "\n"
