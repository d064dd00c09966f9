"""Release artifacts of the strategy: ``strategy.json`` and its tables, the swap set against
the previous release, and :func:`develop_strategy` / :func:`write_strategy` (notebook 08)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from riskresearch.atomic import read_json
from riskresearch.config import ModelConfig
from riskresearch.errors import DataError
from riskresearch.fraud import FraudScorer
from riskresearch.manifest import ReleaseFolder
from riskresearch.pipeline import load_split, read_table, with_target
from riskresearch.scoring import Scorer
from riskresearch.strategy.economics import (
    HISTORY_CLASSES,
    HISTORY_FIELDS,
    OPTIONAL_FIELDS,
    TERMS_FIELDS,
    Economics,
    economics,
)
from riskresearch.strategy.optimise import (
    DECLINE,
    Strategy,
    applies_to,
    assign_grades,
    grade_table,
    optimise,
    through_the_door,
)
from riskresearch.strategy.pricing import (
    implied_price_elasticity,
    limit_table,
    price_sensitivity,
)
from riskresearch.strategy.rules import fraud_policy
from riskresearch.textfmt import write_csv, write_json
from riskresearch.woe import NUMERICAL, to_numbers

STRATEGY_FORMAT = "riskresearch.strategy/1"


# ------------------------------------------------------------------------------------------
# swap set against the previous release
# ------------------------------------------------------------------------------------------
_VERSION = re.compile(r"^\d+(\.\d+)*$")


def previous_release(cfg: ModelConfig, config_path, exclude=None) -> Path | None:
    """The release the swap set compares with: ``strategy.previous_release`` when set
    (relative paths from the config's folder), else the newest numbered release (versions
    compared number by number, ``dev`` ignored) under ``<config folder>/<model>/``, except
    ``exclude`` (the folder being built). None when there is none.
    """
    if cfg.strategy.previous_release is not None:  # resolved and checked by the config
        return Path(cfg.strategy.previous_release)
    model_dir = Path(config_path).resolve().parent / cfg.model
    if not model_dir.is_dir():
        return None
    skip = Path(exclude).resolve() if exclude is not None else None
    found = [
        p
        for p in model_dir.iterdir()
        if p.is_dir()
        and _VERSION.match(p.name)
        and (p / "manifest.json").is_file()
        and p.resolve() != skip
    ]
    if not found:
        return None
    return max(found, key=lambda p: tuple(int(x) for x in p.name.split(".")))


def swap_set(
    rows: pd.DataFrame,
    policy: dict[str, Any],
    previous: str | os.PathLike | None,
    score: str = "score",
    target: str | None = "bad",
) -> pd.DataFrame:
    """Rows by previous and new grade: counts, observed bad rate and what changed.

    The previous release's own scorecard scores the same rows and its ``strategy.json``
    grades them. When there is no previous release, or it has no strategy (or fails
    verification), the table has one row whose ``note`` says why the swap set was skipped.

    Returns
    -------
    pandas.DataFrame
        ``previous_grade``, ``new_grade``, ``change`` (``same``, ``swap_in`` = newly
        approved, ``swap_out`` = newly declined, ``upgrade``, ``downgrade``), ``rows``,
        ``share``, ``observed_bad_rate`` and ``note``.
    """

    def skipped(note: str) -> pd.DataFrame:
        return pd.DataFrame(
            [
                {
                    "previous_grade": None,
                    "new_grade": None,
                    "change": None,
                    "rows": 0,
                    "share": np.nan,
                    "observed_bad_rate": np.nan,
                    "note": note,
                }
            ]
        )

    if previous is None:
        return skipped("no previous release of this model: swap set skipped")
    prev = Path(previous)
    if not (prev / "strategy.json").is_file():
        return skipped(f"the previous release '{prev.name}' has no strategy.json: swap set skipped")
    try:
        rf = ReleaseFolder.open(prev, needs=("scorecard", "strategy"), purpose="compare")
    except DataError as exc:
        why = str(exc).replace(str(prev.resolve()), prev.name).replace(str(prev), prev.name)
        return skipped(f"the previous release '{prev.name}' is refused ({why}): swap set skipped")
    old_policy = read_strategy(rf.path("strategy.json"))
    old_scores = Scorer(rf.path("scorecard.json")).score(rows).to_numpy()
    old = assign_grades(old_scores, old_policy)
    new = assign_grades(rows[score].to_numpy(dtype=float), policy)
    order_old = {g["grade"]: i for i, g in enumerate(old_policy["grades"])}
    order_new = {g["grade"]: i for i, g in enumerate(policy["grades"])}
    frame = pd.DataFrame({"previous_grade": old, "new_grade": new})
    if target is not None and target in rows.columns:
        frame["bad"] = rows[target].to_numpy(dtype=float)
    else:
        frame["bad"] = np.nan
    out = (
        frame.groupby(["previous_grade", "new_grade"], sort=True)
        .agg(rows=("bad", "size"), observed_bad_rate=("bad", "mean"))
        .reset_index()
    )

    def change(r) -> str:
        o, nw = r.previous_grade, r.new_grade
        if o == DECLINE and nw == DECLINE:
            return "same"
        if o == DECLINE:
            return "swap_in"
        if nw == DECLINE:
            return "swap_out"
        # grades of two strategies compare by position (best = 0)
        d = order_new.get(nw, 0) - order_old.get(o, 0)
        return "same" if d == 0 else ("downgrade" if d > 0 else "upgrade")

    out["change"] = [change(r) for r in out.itertuples(index=False)]
    out["share"] = out["rows"] / len(frame)
    out["note"] = f"previous release {prev.name}"
    return out[
        ["previous_grade", "new_grade", "change", "rows", "share", "observed_bad_rate", "note"]
    ]


# ------------------------------------------------------------------------------------------
# persistence
# ------------------------------------------------------------------------------------------
def input_ranges(cfg: ModelConfig, scorer, *samples: pd.DataFrame) -> dict[str, Any]:
    """The numeric inputs' ranges the decision engine checks (``strategy.json``
    ``input_ranges``).

    For every numerical scorecard feature, every numeric terms field (``retail_price``,
    ``price_vs_retail``, ``lease_term_months``, ``monthly_rent``) and ``devices_requested``:
    the smallest and largest value in ``samples`` (missing values, text, +/-inf and the
    feature's special codes left out; null when none is left) and the physical limits of
    ``strategy.physical_limits``. ``range_factor`` is ``strategy.range_factor``. Values are
    written exactly (no rounding), so the recorded bounds hold the development rows.

    Parameters
    ----------
    cfg : ModelConfig
    scorer : riskresearch.scoring.Scorer
        The release's scorecard.
    *samples : DataFrame
        The development data (e.g. the development and out-of-time through-the-door rows).
    """

    special: dict[str, set[float]] = {}
    for seg in scorer.segments:
        for f in seg["card"].features:
            if f.dtype == NUMERICAL:
                special.setdefault(f.name, set()).update(f.special_set)
    numeric_terms = [c for c in TERMS_FIELDS if c != "device_category"]
    names = list(dict.fromkeys([*special, *numeric_terms, *OPTIONAL_FIELDS]))
    limits = cfg.strategy.physical_limits
    fields: dict[str, Any] = {}
    for name in names:
        lo = hi = None
        seen = [to_numbers(rows[name])[0] for rows in samples if name in rows.columns]
        x = np.concatenate(seen) if seen else np.empty(0)
        x = x[np.isfinite(x)]
        if special.get(name):
            x = x[~np.isin(x, sorted(special[name]))]
        if x.size:
            lo, hi = float(x.min()), float(x.max())
        limit = limits.get(name)
        if lo is None and limit is None:
            continue
        fields[name] = {
            "min": lo,
            "max": hi,
            "physical_min": None if limit is None else limit.min,
            "physical_max": None if limit is None else limit.max,
        }
    return {"range_factor": cfg.strategy.range_factor, "fields": fields}


def limit_fields(policy: dict[str, Any]) -> list[str]:
    """The input fields a policy's limits read: the platform-history columns when a history
    factor differs from 1, the exposure column when a grade has a customer limit."""
    limits = policy.get("limits") or {}
    history = limits.get("history")
    out: list[str] = []
    if history and any(float(history[c]) != 1.0 for c in HISTORY_CLASSES):
        out += list(HISTORY_FIELDS)
    if any(g.get("max_exposure") is not None for g in policy["grades"]):
        out.append(limits.get("exposure_column") or "hist_outstanding_rent")
    return out


def strategy_document(
    result: Strategy,
    cfg: ModelConfig,
    scorer_columns: list[str],
    fraud: dict[str, Any] | None = None,
    fraud_features: list[str] | None = None,
    ranges: dict[str, Any] | None = None,
    pricing: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The content of ``strategy.json`` (see the schema in :func:`write_strategy`);
    ``ranges`` (:func:`input_ranges`) is written unrounded as ``input_ranges``; ``pricing``
    (where the elasticities come from) as ``pricing``."""
    policy = result.policy
    ring_keys = list(cfg.strategy.ring_keys) if fraud is not None else []
    required = list(
        dict.fromkeys(
            [
                *applies_to(cfg),
                *scorer_columns,
                *TERMS_FIELDS,
                *limit_fields(policy),
                *(fraud_features or []),
                *ring_keys,
            ]
        )
    )
    doc = _clean(
        {
            "format": STRATEGY_FORMAT,
            "model": cfg.model,
            "applies_to": applies_to(cfg),
            "cutoff": policy["cutoff"],
            "grades": policy["grades"],
            "decline": policy["decline"],
            "expected": policy["expected"],
            "constraints": policy["constraints"],
            "limits": policy.get("limits"),
            "pricing": pricing,
            "fraud": None
            if fraud is None
            else {
                "decline_score": fraud.get("decline_score"),
                "review_score": fraud.get("review_score"),
                "ring_keys": ring_keys,
                "ring_list": "fraud_rings.csv",
            },
            "economics": result.economics.to_dict(),
            "required_fields": required,
            "optional_fields": OPTIONAL_FIELDS,
        }
    )
    if ranges is not None:  # exact values: a rounded minimum could refer its own row
        doc["input_ranges"] = ranges
    return doc


def _clean(x):
    """Round floats to 6 decimals (stable, readable JSON); NaN becomes null."""
    if isinstance(x, dict):
        return {k: _clean(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_clean(v) for v in x]
    if isinstance(x, bool | str) or x is None:
        return x
    if isinstance(x, int | np.integer):
        return int(x)
    if isinstance(x, float | np.floating):
        return round(float(x), 6) if np.isfinite(x) else None
    return x


def read_strategy(path: str | os.PathLike) -> dict[str, Any]:
    """Read and check ``strategy.json``."""
    path = Path(path)
    d = read_json(
        path,
        f"The strategy file '{path}' does not exist. Build the release with notebook "
        "08_strategy (strategy.enabled: true).",
    )
    if d.get("format") != STRATEGY_FORMAT:
        raise DataError(
            f"'{path}' is not a riskresearch strategy (format {d.get('format')!r}, expected "
            f"'{STRATEGY_FORMAT}')."
        )
    return d


@dataclass
class StrategyDevelopment:
    """What notebook 08 builds: scored applications, economics, the optimised strategy, its
    out-of-time grades, the fraud rules and the swap set.

    Attributes
    ----------
    rows, test_rows : DataFrame
        Through-the-door applications (:func:`through_the_door`) of the development and
        out-of-time months with ``score`` and ``pd`` of the release scorecard.
    result : Strategy
    test_grades : DataFrame
        :func:`grade_table` of the out-of-time rows (observed bad rates per grade).
    fraud : dict or None
        Fraud-score thresholds (:func:`fraud_policy`); None without a fraud model.
    rings : DataFrame
        Ring list (``key``, ``value``).
    swap : DataFrame
        :func:`swap_set` of the out-of-time rows against the previous release.
    sensitivity : DataFrame
        :func:`riskresearch.strategy.price_sensitivity` of the development rows.
    limits : DataFrame
        :func:`riskresearch.strategy.limit_table` of the development rows.
    pricing : dict
        Where the elasticities come from: the configured values and the implied price
        elasticity (:func:`riskresearch.strategy.implied_price_elasticity`).
    """

    cfg: ModelConfig
    scorer: Any
    rows: pd.DataFrame
    test_rows: pd.DataFrame
    economics: Economics
    result: Strategy
    test_grades: pd.DataFrame
    fraud: dict[str, float | None] | None
    rings: pd.DataFrame
    swap: pd.DataFrame
    previous: Path | None = None
    fraud_features: list[str] = field(default_factory=list)
    ranges: dict[str, Any] | None = None
    sensitivity: pd.DataFrame | None = None
    limits: pd.DataFrame | None = None
    pricing: dict[str, Any] | None = None

    def document(self) -> dict[str, Any]:
        """The content of ``strategy.json``."""
        return strategy_document(
            self.result,
            self.cfg,
            list(self.scorer.columns),
            self.fraud,
            self.fraud_features,
            self.ranges,
            self.pricing,
        )


def develop_strategy(
    cfg: ModelConfig, out_dir: str | os.PathLike, config_path: str | os.PathLike | None = None
) -> StrategyDevelopment:
    """Score the applications with the release's scorecard, measure the economics, optimise
    the strategy and prepare the decision engine's fraud rules.

    Parameters
    ----------
    cfg : ModelConfig
    out_dir : path-like
        The release folder being built: ``scorecard.json`` (notebook 03) and, when present,
        ``fraud.txt`` / ``fraud.json`` (notebook 05) are read from it.
    config_path : path-like, optional
        The config file; its folder locates the previous releases of the model
        (:func:`previous_release`). None skips the swap set.
    """

    out = Path(out_dir)
    if not (out / "scorecard.json").is_file():
        raise DataError(
            f"'{out}' has no scorecard.json. Run notebook 03 (the scorecard) with the same "
            "out_dir first."
        )
    scorer = Scorer(out / "scorecard.json")
    # first, while nothing else is held: its fraud features query is the step's peak
    fraud, rings = fraud_policy(cfg, out)
    table = read_table(cfg, encode_target=False)  # read once: the split and every applicant
    train, test = load_split(cfg, table)
    applicants = with_target(table, cfg)
    target = cfg.data.target

    def scored(sample: pd.DataFrame) -> pd.DataFrame:
        rows = through_the_door(cfg, sample, applicants) if len(sample) else sample
        return rows.assign(score=scorer.score(rows).to_numpy(), pd=scorer.pd_(rows).to_numpy())

    rows, test_rows = scored(train), scored(test)
    econ = economics(cfg, cfg.data.warehouse, rows)
    result = optimise(rows, cfg, econ, target=target)
    sensitivity = price_sensitivity(rows, cfg, econ, result, target=target)
    limits = limit_table(rows, result.policy, econ, target=target)
    pricing = pricing_note(cfg, rows, result, econ)
    test_grades = grade_table(test_rows, result.policy, econ, target=target)
    features: list[str] = []
    if fraud is not None:
        features = list(FraudScorer.read(out).features)
    previous = previous_release(cfg, config_path, exclude=out) if config_path is not None else None
    swap = swap_set(test_rows, result.policy, previous, target=target)
    ranges = input_ranges(cfg, scorer, rows, test_rows)
    return StrategyDevelopment(
        cfg,
        scorer,
        rows,
        test_rows,
        econ,
        result,
        test_grades,
        fraud,
        rings,
        swap,
        previous,
        features,
        ranges,
        sensitivity,
        limits,
        pricing,
    )


def pricing_note(
    cfg: ModelConfig, rows: pd.DataFrame, result: Strategy, econ: Economics
) -> dict[str, Any]:
    """Where the take-up elasticities come from (``strategy.json``'s ``pricing``): the
    config's values (``strategy.economics``), whether prices and deposits were optimised,
    and the price elasticity at which the quoted rent is the most profitable price of the
    approved rows (:func:`riskresearch.strategy.implied_price_elasticity`), for reference."""
    s = cfg.strategy
    implied = implied_price_elasticity(rows, result.policy, econ)
    return {
        "source": "config: strategy.economics (take_up, deposit_elasticity, price_elasticity)",
        "take_up": econ.take_up,
        "deposit_elasticity": econ.deposit_elasticity,
        "price_elasticity": econ.price_elasticity,
        "implied_price_elasticity": None if implied is None else round(implied, 4),
        "optimise_prices": s.optimise_prices,
        "price_options": list(s.price_options) if s.optimise_prices else None,
        "optimise_deposits": s.optimise_deposits,
        "sensitivity": "strategy_sensitivity.csv",
    }


def write_strategy(sdev: StrategyDevelopment, out_dir: str | os.PathLike) -> list[Path]:
    """Write the strategy artifacts into ``out_dir``.

    - ``strategy.json``: format ``riskresearch.strategy/1``; ``cutoff``; ``grades`` (best
      first: ``grade``, ``min_score`` inclusive, ``max_score`` exclusive or null, the terms,
      ``expected_bad_rate`` = mean PD, ``observed_bad_rate``, ``share``, ``approval_share``,
      ``expected_loss``, ``expected_profit``, ``rows``); ``decline``; ``expected``
      (portfolio approval rate, bad rates, profit per application, and the flat policy's);
      ``constraints``; ``fraud`` (score thresholds, ring keys, ring list file; null without
      a fraud model); ``applies_to``; ``economics``; ``required_fields``; ``input_ranges``
      (:func:`input_ranges`: ``range_factor`` and, per numeric input, its development
      ``min`` / ``max`` and ``physical_min`` / ``physical_max``; a release without it has no
      range rule); ``limits`` (``history``: the factors of
      :class:`riskresearch.config.LimitHistory` or null, ``exposure_column``); ``pricing``
      (:func:`pricing_note`).
    - ``fraud_rings.csv``: ``key``, ``value`` (empty without a warehouse).
    - ``strategy_terms.csv``, ``strategy_grades.csv`` (``sample`` = development and
      out-of-time), ``strategy_tradeoff.csv``, ``strategy_comparison.csv``,
      ``strategy_swap_set.csv``, ``strategy_sensitivity.csv`` (the policy under the price
      elasticity x0.5, x1, x2) and ``strategy_limits.csv`` (limits by platform history).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    result = sdev.result
    doc = sdev.document()
    write_json(out / "strategy.json", doc, sort_keys=True, nonfinite="null")
    write_csv(sdev.rings, out / "fraud_rings.csv")
    result.terms.to_csv(out / "strategy_terms.csv", index=False)
    grades = [
        result.grades.assign(sample="development"),
        sdev.test_grades.assign(sample="out-of-time"),
    ]
    pd.concat(grades, ignore_index=True).to_csv(out / "strategy_grades.csv", index=False)
    result.tradeoff.to_csv(out / "strategy_tradeoff.csv", index=False)
    result.comparison.to_csv(out / "strategy_comparison.csv", index=False)
    sdev.swap.to_csv(out / "strategy_swap_set.csv", index=False)
    extra = []
    for name, frame in (
        ("strategy_sensitivity.csv", sdev.sensitivity),
        ("strategy_limits.csv", sdev.limits),
    ):
        if frame is not None:
            frame.to_csv(out / name, index=False)
            extra.append(out / name)
    return [
        out / n
        for n in (
            "strategy.json",
            "fraud_rings.csv",
            "strategy_terms.csv",
            "strategy_grades.csv",
            "strategy_tradeoff.csv",
            "strategy_comparison.csv",
            "strategy_swap_set.csv",
        )
    ] + extra
