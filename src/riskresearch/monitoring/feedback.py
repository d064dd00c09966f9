"""The feedback loop: compare a challenger release with the champion on the same out-of-time
rows, and record the modeler's promotion decision in the challenger's manifest.

:func:`riskresearch.retrain.retrain` (above the release builder) builds an ordinary release
(:func:`riskresearch.release.build_release`) from the champion's config with
``monitoring.champion`` pointing at the champion; the challenger's own notebook 10 then writes
``champion_comparison.csv`` / ``.json`` inside the build, so the comparison is hashed in its
manifest like every other file. ``promote`` adds a ``promotion`` record to the challenger's
``manifest.json`` (written atomically; ``manifest.json`` is not one of its own hashed
artifacts, so ``riskresearch verify`` still passes). Neither ever writes into the champion.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from riskresearch import metrics
from riskresearch.config import ModelConfig
from riskresearch.errors import ConfigError, DataError
from riskresearch.manifest import ReleaseFolder, sha256_file
from riskresearch.monitoring._common import write_json
from riskresearch.pipeline import load_split
from riskresearch.scoring import Scorer

APPROVAL_RATES = (0.7, 0.8, 0.9)


def _summary(name: str, y: np.ndarray, pd_: np.ndarray) -> dict[str, Any]:
    out = {"model": name, **metrics.summary(y, pd_), "mean_pd": float(pd_.mean())}
    out["actual_vs_mean_pd"] = float(y.mean() / pd_.mean()) if pd_.mean() > 0 else float("nan")
    order = np.argsort(pd_, kind="stable")
    for rate in APPROVAL_RATES:
        k = max(1, round(rate * len(y)))
        out[f"bad_rate_at_{rate:g}"] = float(y[order[:k]].mean())
    return out


def champion_comparison(cfg: ModelConfig, out_dir: str | os.PathLike) -> pd.DataFrame | None:
    """Champion (``monitoring.champion``) vs this release's scorecard (``out_dir``) on this
    config's out-of-time rows: AUC, KS, Gini, mean PD vs bad rate, bad rate at approval rates.

    None when the config names no champion. The champion's hashes are verified first.
    """

    champion = cfg.monitoring.champion
    if champion is None:
        return None
    # resolved against the config's folder and checked by the config; verified here
    rf = ReleaseFolder.open(champion, needs=("scorecard",), purpose="compare with the champion")
    folder = rf.folder
    _, test = load_split(cfg)
    if test.empty:
        raise DataError("The config has no out-of-time rows to compare champion and challenger.")
    y = test[cfg.data.target].to_numpy(dtype=float)
    manifest = rf.manifest
    rows = []
    for name, card in (
        (f"champion {manifest['version']}", rf.path("scorecard.json")),
        ("challenger", Path(out_dir) / "scorecard.json"),
    ):
        pd_ = Scorer(card).pd_(test).to_numpy()
        rows.append(_summary(name, y, pd_))
    table = pd.DataFrame(rows)
    month = pd.to_datetime(test[cfg.data.date_column]) if cfg.data.date_column else None
    table["oot_first"] = str(month.min().date()) if month is not None else None
    table["oot_last"] = str(month.max().date()) if month is not None else None
    table["champion"] = manifest["version"]
    table["champion_manifest_sha256"] = sha256_file(folder / "manifest.json")
    return table


def write_comparison(table: pd.DataFrame | None, out_dir: str | os.PathLike) -> list[Path]:
    """Write ``champion_comparison.csv`` and ``.json`` (nothing without a champion)."""
    if table is None:
        return []

    out = Path(out_dir)
    table.to_csv(out / "champion_comparison.csv", index=False, float_format="%.10g")
    return [
        out / "champion_comparison.csv",
        write_json(out / "champion_comparison.json", table.to_dict("records")),
    ]


def promote(
    release: str | os.PathLike, by: str, note: str = "", decision: str = "promote"
) -> dict[str, Any]:
    """Record the modeler's decision on a challenger in its ``manifest.json`` (atomically).

    Parameters
    ----------
    release : path-like
        The challenger release (its hashes must verify).
    by : str
        Who decided.
    note : str
        Why (e.g. the comparison figures that convinced).
    decision : {"promote", "reject"}

    Returns
    -------
    dict
        The ``promotion`` record written.
    """

    if decision not in ("promote", "reject"):
        raise ConfigError(f"The decision must be 'promote' or 'reject'. Got {decision!r} instead.")
    if not by.strip():
        raise ConfigError("Name who decides the promotion (--by NAME).")
    rf = ReleaseFolder.open(release, needs=(), purpose="promote")
    folder, manifest = rf.folder, rf.manifest
    if "promotion" in manifest:
        raise ConfigError(
            f"'{folder}' already records a promotion decision ({manifest['promotion']['decision']}"
            f" by {manifest['promotion']['by']}); decisions are not overwritten."
        )
    comparison = folder / "champion_comparison.json"
    record = {
        "decision": decision,
        "by": by,
        "note": note,
        "at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "champion": (manifest["config"].get("monitoring") or {}).get("champion"),
        "comparison": json.loads(comparison.read_text()) if comparison.is_file() else None,
    }
    manifest["promotion"] = record
    text = json.dumps(manifest, indent=1, sort_keys=True, default=str) + "\n"
    target = folder / "manifest.json"
    mode = target.stat().st_mode & 0o777
    fd, tmp = tempfile.mkstemp(prefix=".manifest.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return record
