"""Column lists, outcomes and the checks every partners module shares."""

from __future__ import annotations

from typing import Any

import pandas as pd

from riskresearch.config import PartnersConfig
from riskresearch.errors import ConfigError, DataError

#: Columns of the warehouse ``partners`` table that qualification reads.
PARTNER_COLUMNS = (
    "partner_id",
    "partner_type",
    "onboarded_on",
    "registered_capital",
    "years_in_business",
    "licence_check_passed",
    "complaints_12m",
    "owner_credit_red_flag",
    "city_tier",
)
#: Columns of the application rows (modeling table) that monitoring reads.
APPLICATION_COLUMNS = (
    "application_id",
    "partner_id",
    "application_month",
    "segment",
    "declined",
    "has_performance",
    "price_vs_retail",
    "bad",
    "bad_mature",
    "fpd30",
    "fpd30_mature",
    "fraud",
    "fraud_mature",
)
#: Outcomes compared with their expectation: (outcome column, maturity column, uses the PD).
OUTCOMES = (
    ("bad", "bad_mature", True),
    ("fpd30", "fpd30_mature", True),
    ("dpd30_3m", "dpd30_3m_mature", True),
    ("fraud", "fraud_mature", False),
    ("address_changed", "has_performance", False),
)
ACTIONS = ("ok", "watch", "restrict", "suspend")


def check_frame(frame: Any, columns, what: str) -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame):
        raise DataError(f"{what} must be a pandas DataFrame. Got {type(frame).__name__} instead.")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(
            f"{what} lacks column(s) {', '.join(repr(c) for c in missing)}. Add them (see "
            "data/README.md for their meaning)."
        )
    return frame


def partners_config(config: PartnersConfig | None) -> PartnersConfig:
    if config is None:
        return PartnersConfig()
    if not isinstance(config, PartnersConfig):
        raise ConfigError(
            "The 'config' parameter must be a PartnersConfig (cfg.partners). Got "
            f"{type(config).__name__} instead."
        )
    return config
