"""Validated parameters of the leasing-platform simulator."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field, model_validator


class SimulationConfig(BaseModel):
    """Parameters of the seeded leasing-platform simulation.

    Parameters
    ----------
    n_applications : int
        Number of applications over the whole window (default 100,000).
    seed : int
        Seed of every random step; the same seed and parameters give identical tables.
    n_months : int
        Number of monthly application cohorts (default 24).
    start : datetime.date
        First day of the first cohort; must be the first day of a month.
    enterprise_share : float
        Share of applications from business customers.
    thin_file_share : float
        Share of consumer applicants without a credit-bureau record.
    fraud_share : float
        Share of applications that are fraud (rings and identity theft).
    n_partners : int
        Number of partners onboarded before the window (the new channel adds more).
    new_channel_month : int
        Cohort month (1-based) in which a worse partner channel starts sending applications.
    shock_month : int
        Calendar month (1-based, from ``start``) from which an economic shock raises default.
    shock_logit : float
        Size of the shock on the monthly default hazard (log-odds).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    n_applications: int = Field(100_000, ge=2_000, le=20_000_000)
    seed: int = Field(20240101, ge=0, le=2**32 - 1)
    n_months: int = Field(24, ge=12, le=60)
    start: dt.date = dt.date(2024, 1, 1)
    enterprise_share: float = Field(0.08, ge=0.0, le=0.5)
    thin_file_share: float = Field(0.25, ge=0.0, le=0.9)
    fraud_share: float = Field(0.015, ge=0.0, le=0.1)
    n_partners: int = Field(60, ge=10, le=1000)
    new_channel_month: int = Field(18, ge=2)
    shock_month: int = Field(20, ge=2)
    shock_logit: float = Field(0.45, ge=0.0, le=3.0)

    @model_validator(mode="after")
    def _check_months(self) -> SimulationConfig:
        if self.start.day != 1:
            raise ValueError(
                f"The 'start' parameter must be the first day of a month. Got {self.start} instead."
            )
        for name in ("new_channel_month", "shock_month"):
            if getattr(self, name) > self.n_months:
                raise ValueError(
                    f"The '{name}' parameter must lie within the {self.n_months} simulated months. "
                    f"Got {getattr(self, name)} instead."
                )
        return self

    @property
    def as_of(self) -> dt.date:
        """Last day of the data: events after it are not yet observed (right-censoring)."""
        end = _add_months(self.start, self.n_months)
        return end - dt.timedelta(days=1)


def _add_months(day: dt.date, months: int) -> dt.date:
    total = day.year * 12 + (day.month - 1) + months
    return dt.date(total // 12, total % 12 + 1, day.day)
