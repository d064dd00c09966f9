"""What every section of the model document reads: the config, the release folder's
artifacts, the parts built or skipped, and the rows scored in the report step."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd

from riskresearch.config import ModelConfig
from riskresearch.development import test_name
from riskresearch.manifest import release_fingerprint, sha256_file
from riskresearch.messages import reason_text
from riskresearch.parts import MODEL_ARTIFACTS, PARTS, Planned
from riskresearch.report.rows import headline, score_samples


def folder_fingerprint(folder: Path) -> tuple[str, dict[str, str]]:
    """The fingerprint of the model artifacts present in ``folder`` and their hashes."""
    hashes = {n: sha256_file(folder / n) for n in MODEL_ARTIFACTS if (folder / n).is_file()}
    return release_fingerprint(hashes), hashes


@dataclass
class Context:
    """A release folder being documented, with its config and plan.

    Attributes
    ----------
    cfg : ModelConfig
    folder : Path
        The folder holding the artifacts (the build folder during a release).
    version : str
    planned : list of riskresearch.parts.Planned
        Which parts the release builds and why the others are skipped.
    built : str
        The build date.
    manifest : dict or None
        ``manifest.json`` when the folder already has one (a finished release).
    """

    cfg: ModelConfig
    folder: Path
    version: str
    planned: list[Planned]
    built: str
    manifest: dict[str, Any] | None = None
    cache: dict[str, Any] = field(default_factory=dict)

    # -- artifacts -------------------------------------------------------------------------
    def has(self, name: str) -> bool:
        return (self.folder / name).is_file()

    def csv(self, name: str) -> pd.DataFrame | None:
        """An artifact CSV as a DataFrame, None when absent (or empty of columns)."""
        if not self.has(name):
            return None
        if name not in self.cache:
            try:
                self.cache[name] = pd.read_csv(self.folder / name)
            except pd.errors.EmptyDataError:
                self.cache[name] = None
        frame = self.cache[name]
        return None if frame is None else frame.copy()

    def json(self, name: str) -> Any:
        """An artifact JSON, None when absent."""
        if not self.has(name):
            return None
        if name not in self.cache:
            self.cache[name] = json.loads((self.folder / name).read_text())
        return self.cache[name]

    @cached_property
    def metrics(self) -> dict[str, Any]:
        return self.json("metrics.json") or {}

    # -- parts -----------------------------------------------------------------------------
    def included(self, part: str) -> bool:
        return any(p.part.name == part and p.included for p in self.planned)

    def reason(self, part: str) -> str | None:
        """Why a part was skipped, in the report's language."""
        return reason_text(next((p.reason for p in self.planned if p.part.name == part), None))

    def title(self, part: str) -> str:
        return next(p.title for p in PARTS if p.name == part)

    # -- facts -----------------------------------------------------------------------------
    @property
    def oracle(self) -> bool:
        """Whether the data is simulated with a known truth (``data.oracle``)."""
        return self.cfg.data.oracle is not None

    @property
    def test_name(self) -> str:

        return test_name(self.cfg)

    @cached_property
    def fingerprint(self) -> tuple[str, dict[str, str]]:
        return folder_fingerprint(self.folder)

    @cached_property
    def samples(self):

        return score_samples(self.cfg, self.folder)

    @cached_property
    def headline(self) -> dict[str, dict[str, tuple[float, float, float]]]:

        return {s.name: headline(s, self.cfg.seed) for s in self.samples}
