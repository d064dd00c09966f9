"""The parts of a release, and which of them a config and its table can build.

A release runs one notebook per part. The scorecard parts (data, binning, scorecard) always
run; every other part runs when it is switched on and the data has what it needs (the raw
tables of ``data.warehouse``, the price columns of the strategy, a date column for monitoring).
A part that cannot run is skipped with a one-line reason, printed when the build starts and
shown in the report, never a failure half-way through the build.

:class:`Skipped` is what a library call returns for a section that does not apply to the data
(no date column, no declined applications, no oracle): it shows as one sentence in a
notebook, and plotting functions pass it through.
"""

from __future__ import annotations

import functools
import html
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from riskresearch.config import ModelConfig
from riskresearch.tables import read_header


@dataclass(frozen=True)
class Skipped:
    """A section that does not apply to this data, with the reason in one sentence."""

    reason: str

    def __repr__(self) -> str:
        return f"Skipped: {self.reason}"

    def _repr_html_(self) -> str:
        return f"<p><em>Skipped: {html.escape(self.reason)}</em></p>"

    def __bool__(self) -> bool:  # a skipped result is falsy, like an absent one
        return False

    def __getattr__(self, name: str) -> Skipped:
        # ``result.table`` of a skipped result is the same skip, so a notebook's next cell
        # needs no branch; private names (IPython's display hooks) are not faked
        if name.startswith("_"):
            raise AttributeError(name)
        return self


def passes_skipped(func: Callable) -> Callable:
    """Decorate a function (a plot, a table) so that it returns None, showing nothing, when
    an argument is :class:`Skipped` (the section already said why)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if any(isinstance(v, Skipped) for v in (*args, *kwargs.values())):
            return None
        return func(*args, **kwargs)

    return wrapper


def table_columns(path: str | Path, encoding: str | None = None) -> list[str]:
    """The column names of a CSV or Parquet table, read from its header only."""

    return read_header(path, encoding)


#: Columns the strategy's economics need per application (strategy.economics.TERMS_FIELDS).
STRATEGY_COLUMNS = (
    "retail_price",
    "price_vs_retail",
    "lease_term_months",
    "monthly_rent",
    "device_category",
)


def _switch(cfg: ModelConfig, section: str) -> str | None:
    if not getattr(cfg, section).enabled:
        return f"switched off ({section}.enabled: false)"
    return None


def _warehouse(cfg: ModelConfig, section: str, what: str) -> str | None:
    if off := _switch(cfg, section):
        return off
    if cfg.data.warehouse is None:
        return f"needs the raw tables of data.warehouse ({what})"
    return None


def _strategy(cfg: ModelConfig, columns: list[str]) -> str | None:
    if off := _switch(cfg, "strategy"):
        return off
    missing = [c for c in STRATEGY_COLUMNS if c not in columns]
    if missing:
        return (
            f"needs the columns {', '.join(missing)} (price, device and term of each "
            "application) for the lease terms"
        )
    return None


def _partners(cfg: ModelConfig, columns: list[str]) -> str | None:
    if off := _warehouse(cfg, "partners", "partners, leases and instalments"):
        return off
    if "partner_id" not in columns:
        return "needs the column partner_id"
    return None


def _monitoring(cfg: ModelConfig) -> str | None:
    if off := _switch(cfg, "monitoring"):
        return off
    if cfg.data.date_column is None:
        return "needs data.date_column (it compares later months with the development months)"
    return None


@dataclass(frozen=True)
class Part:
    """One part of a release: its notebook, title and model artifacts."""

    name: str
    notebook: str
    title: str
    artifacts: tuple[str, ...]
    #: ``why_not(cfg, columns)``: the reason it cannot run, or None
    why_not: Callable[[ModelConfig, list[str]], str | None] = lambda cfg, columns: None


PARTS: tuple[Part, ...] = (
    Part("data", "01_data.ipynb", "Data, target and split", ()),
    Part("binning", "02_binning.ipynb", "WOE binning", ("binning.json",)),
    Part(
        "scorecard",
        "03_scorecard.ipynb",
        "Scorecard",
        ("scorecard.json", "points.csv", "scorecard.sql"),
    ),
    Part(
        "gbm",
        "04_gbm.ipynb",
        "LightGBM challenger",
        ("gbm.txt", "gbm.json"),
        lambda cfg, columns: _switch(cfg, "gbm"),
    ),
    Part(
        "fraud",
        "05_fraud.ipynb",
        "Anti-fraud model",
        ("fraud.txt", "fraud.json"),
        lambda cfg, columns: _warehouse(cfg, "fraud", "applications, orders and fraud cases"),
    ),
    Part(
        "arrears",
        "06_arrears.ipynb",
        "Post-lease management and collections",
        ("collection_score.json",),
        lambda cfg, columns: _warehouse(
            cfg, "arrears", "instalments, payments and collection actions"
        ),
    ),
    Part(
        "behavior",
        "07_behavior.ipynb",
        "Behaviour score",
        ("behavior.json", "behavior.sql"),
        lambda cfg, columns: _warehouse(cfg, "behavior", "instalments and payments of leases"),
    ),
    Part(
        "strategy",
        "08_strategy.ipynb",
        "Lease terms and decision rules",
        ("strategy.json", "fraud_rings.csv"),
        _strategy,
    ),
    Part(
        "partners",
        "09_partners.ipynb",
        "Partners",
        ("partners.json", "partners.csv"),
        _partners,
    ),
    Part(
        "monitoring",
        "10_monitoring.ipynb",
        "Monitoring baseline",
        ("monitoring_baseline.json",),
        lambda cfg, columns: _monitoring(cfg),
    ),
)
#: Every model artifact a release can hold (byte-reproducible for the same config and data).
MODEL_ARTIFACTS: tuple[str, ...] = tuple(a for p in PARTS for a in p.artifacts)


@dataclass(frozen=True)
class Planned:
    """A part and whether this release builds it (``reason`` says why not)."""

    part: Part
    reason: str | None

    @property
    def included(self) -> bool:
        return self.reason is None


def plan(cfg: ModelConfig, columns: list[str] | None = None) -> list[Planned]:
    """Which parts a release of ``cfg`` builds, in order, and why the others are skipped.

    ``columns`` are the table's columns (default: read from the header of ``data.table``).
    """
    if columns is None:
        columns = table_columns(cfg.data.table, cfg.data.encoding)
    return [Planned(p, p.why_not(cfg, columns)) for p in PARTS]


def plan_table(cfg: ModelConfig, columns: list[str] | None = None) -> pd.DataFrame:
    """The plan as a table: part, notebook, built or skipped, and why."""
    return pd.DataFrame(
        [
            {
                "part": p.part.title,
                "notebook": p.part.notebook,
                "status": "built" if p.included else "skipped",
                "reason": p.reason or "",
            }
            for p in plan(cfg, columns)
        ]
    )
