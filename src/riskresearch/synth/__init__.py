"""Seeded simulator of the device-leasing platform (the embedded default data)."""

from riskresearch.synth.config import SimulationConfig
from riskresearch.synth.warehouse import ORACLE_TABLES, RAW_TABLES, build_warehouse

__all__ = ["ORACLE_TABLES", "RAW_TABLES", "SimulationConfig", "build_warehouse"]
