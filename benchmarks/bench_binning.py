"""Binning at scale: WoeBinner's exact engine against optbinning's BinningProcess, same constraints.

Prints one table: rows x features, WoeBinner (``solver="dp"``) time, optbinning
``BinningProcess`` time with the same constraints (max 8 bins, min bin size 0.05,
``auto_asc_desc``, the same special code) in the same run, the ratio, the total IV of both
(each binning's bins counted and scored by the same code, so the IVs compare) with the number
of features whose bins are identical, and the peak memory (RSS) of the process that binned,
sampled with psutil; the data itself is part of it (10M x 30 float64 is 2.24 GiB).

Each size runs in a fresh process, so a peak belongs to one size. The 10M row is ours only
(optbinning would take many minutes) and runs with ``--big``.

``--defaults`` instead measures the binning defaults of the release config (issue 19): the
out-of-time AUC of the consumer scorecard (scorecards/consumer.yaml) fitted on random
development samples of several sizes of the simulated platform, with the earlier defaults
(min_bin_size 0.05, no bads rule) and the current ones (0.02, sqrt of the bads).

``--turns`` measures ``monotonic_trend="auto_unimodal"`` (issue 19): on generated features of
known shape (monotone ones: flat, linear, softplus, a step; U-shaped ones: strong, weak, a
turn near the tail), the share of features whose bins it bends away from the monotone
``auto_asc_desc`` ones (for the monotone shapes that is the false-alarm rate, for the U-shapes
the power) and the IV it gains, at several sizes.

``--small-bins`` measures ``small_bins=True`` on generated categorical features (twelve
categories, three rare): the share of features that get a bin below ``min_bin_size`` (false
alarms where no category differs, finds where the rarest is far riskier) and, where they do,
the change of the feature's AUC on new rows of the same shape.

    python benchmarks/bench_binning.py [--sizes 1000000] [--features 30] [--big]
    python benchmarks/bench_binning.py --defaults [--applications 100000] [--samples 10]
    python benchmarks/bench_binning.py --turns [--reps 100]
    python benchmarks/bench_binning.py --small-bins [--reps 100]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_data_build import machine  # noqa: E402

from riskresearch.binning import WoeBinner  # noqa: E402

SPECIAL = -999.0
CONSTRAINTS = {"max_n_bins": 8, "min_bin_size": 0.05, "monotonic_trend": "auto_asc_desc"}


class PeakRSS:
    """Largest resident set size of this process while the block runs (sampled every 10 ms)."""

    def __init__(self) -> None:
        self.proc = psutil.Process()
        self.peak = 0
        self._stop = threading.Event()

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.proc.memory_info().rss)
            self._stop.wait(0.01)

    def __enter__(self) -> PeakRSS:
        self.peak = self.proc.memory_info().rss
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.proc.memory_info().rss)


def make_data(n: int, n_features: int, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray, dict]:
    """Credit-like features without a per-column copy: one float64 block filled in place.

    Continuous, skewed, integer-valued (counts, ties) and rounded features; every fifth has
    20% missing, every seventh 5% of a special code; the bad flag (about 8%) depends on
    monotone and U-shaped transforms of a third of them.
    """
    rng = np.random.default_rng(seed)
    block = np.empty((n, n_features), order="F")  # each column contiguous
    logit = np.full(n, -2.9)
    special = {}
    for j in range(n_features):
        col = block[:, j]
        kind = j % 5
        if kind == 0:
            col[:] = rng.standard_normal(n)
        elif kind == 1:
            col[:] = rng.lognormal(0.0, 1.0, n)
        elif kind == 2:
            col[:] = rng.poisson(3.0, n)
        elif kind == 3:
            col[:] = np.round(rng.uniform(0, 100, n), 1)
        else:
            col[:] = rng.integers(18, 70, n)
        if j % 3 == 0:  # informative: monotone, or U-shaped for every ninth
            z = (col - col.mean()) / col.std()
            logit += 0.35 * (z**2 - 1 if j % 9 == 0 else z * (1 if j % 2 else -1))
        if j % 5 == 4:
            col[rng.random(n) < 0.2] = np.nan
        if j % 7 == 6:
            col[rng.random(n) < 0.05] = SPECIAL
            special[f"x{j}"] = [SPECIAL]
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.int8)
    del logit
    frame = pd.DataFrame(block, columns=[f"x{j}" for j in range(n_features)], copy=False)
    return frame, y, special


def total_iv(frame: pd.DataFrame, y: np.ndarray, splits: dict[str, list[float]]) -> float:
    """IV of given split points, counted and scored by WoeBinner's own code."""
    binner = WoeBinner(overrides={f: {"splits": s} for f, s in splits.items()})
    return float(binner.fit(frame, y).iv_summary()["iv"].sum())


def run_one(n: int, n_features: int, ours_only: bool) -> dict:
    frame, y, special = make_data(n, n_features)
    out: dict = {"rows": n, "features": n_features, "load": os.getloadavg()[0]}
    with PeakRSS() as mem:
        t0 = time.perf_counter()
        ours = WoeBinner(**CONSTRAINTS, special_codes=special).fit(frame, y)
        out["ours_s"] = time.perf_counter() - t0
    out["peak_gb"] = mem.peak / 2**30
    our_splits = {f: list(fb.splits) for f, fb in ours.bins_.items()}
    out["ours_iv"] = float(ours.iv_summary()["iv"].sum())
    if not ours_only:
        from optbinning import BinningProcess

        names = list(frame.columns)
        process = BinningProcess(
            names,
            max_n_bins=CONSTRAINTS["max_n_bins"],
            min_bin_size=CONSTRAINTS["min_bin_size"],
            special_codes=[SPECIAL],
            binning_fit_params={f: {"monotonic_trend": "auto_asc_desc"} for f in names},
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t0 = time.perf_counter()
            process.fit(frame, y)
            out["optbinning_s"] = time.perf_counter() - t0
        theirs = {f: [float(s) for s in process.get_binned_variable(f).splits] for f in names}
        out["optbinning_iv"] = total_iv(frame, y, theirs)
        out["same_bins"] = sum(
            np.array_equal(our_splits[f], theirs[f], equal_nan=False) for f in names
        )
    out["load_end"] = os.getloadavg()[0]
    return out


DEFAULTS = {  # (min_bin_size, min_bin_n_event)
    "0.05, no bads rule (earlier)": (0.05, None),
    "0.02, sqrt (current)": (0.02, "sqrt"),
}


def defaults(n_applications: int, samples: int) -> None:
    """Out-of-time AUC of the consumer scorecard under each binning default, by sample size."""
    import tempfile

    import yaml
    from sklearn.metrics import roc_auc_score

    from riskresearch import development
    from riskresearch.config import config_from_dict
    from riskresearch.features import build_modeling_table
    from riskresearch.synth import SimulationConfig, build_warehouse

    warnings.simplefilter("ignore")
    with tempfile.TemporaryDirectory() as tmp:
        db, table = Path(tmp) / "w.duckdb", Path(tmp) / "m.parquet"
        build_warehouse(SimulationConfig(n_applications=n_applications), db)
        build_modeling_table(db, table)
        raw = yaml.safe_load((ROOT / "scorecards" / "consumer.yaml").read_text())
        raw["data"].update(table=str(table), warehouse=str(db))
        raw["data"].pop("oracle", None)
        cfg = config_from_dict(raw)
        train, test = development.load_split(cfg)
    feats, categorical = development.candidate_features(train, cfg)
    y_test = test[cfg.data.target].to_numpy()
    sizes = [s for s in (1_000, 2_000, 5_000, 10_000) if s < len(train)] + [len(train)]
    print(f"{'development rows':>17} " + " ".join(f"{name:>30}" for name in DEFAULTS))
    for size in sizes:
        aucs: dict[str, list[float]] = {name: [] for name in DEFAULTS}
        for seed in range(samples if size < len(train) else 1):
            sample = train.sample(size, random_state=seed) if size < len(train) else train
            for name, (share, n_event) in DEFAULTS.items():
                card = development.build_estimator(cfg, categorical)
                card.binner.set_params(min_bin_size=share, min_bin_n_event=n_event)
                card.fit(sample[feats], sample[cfg.data.target].to_numpy())
                p = card.predict_proba(test[feats])[:, 1]
                aucs[name].append(roc_auc_score(y_test, p))
        print(f"{size:>17,} " + " ".join(f"{np.mean(a):>30.4f}" for a in aucs.values()))
    print(f"out-of-time test: {len(test):,} rows; mean over {samples} samples below the full size")


#: Rows of the ``--turns`` and ``--small-bins`` tables.
SIZES = (1_000, 5_000, 30_000, 200_000)
#: Log-odds of bad as a function of a standard normal feature, by shape (``--turns``).
SHAPES = {
    "flat": lambda x: 0 * x,
    "linear": lambda x: 0.5 * x,
    "softplus": lambda x: 0.4 * np.log1p(np.exp(2 * x)),
    "step": lambda x: 0.4 * (x > 0.8),
    "U weak": lambda x: 0.08 * x**2,
    "U": lambda x: 0.25 * x**2,
    "tail turn": lambda x: 0.3 * np.maximum(x - 1, 0) ** 2 - 0.06 * np.minimum(x, 1),
}


def size_table(reps: int, columns: dict, cell, width: int, sizes=SIZES) -> None:
    """Print one row per size and one cell per column: ``cell(rng, column value, rows,
    repetitions)`` (fewer repetitions above 30,000 rows), all drawn from one seeded stream."""
    rng = np.random.default_rng(0)
    print(f"{'rows':>8} " + " ".join(f"{s:>{width}}" for s in columns))
    for n in sizes:
        k = reps if n <= 30_000 else max(10, reps // 5)
        cells = [cell(rng, value, n, k) for value in columns.values()]
        print(f"{n:>8,} " + " ".join(f"{c:>{width}}" for c in cells), flush=True)


def turns(reps: int) -> None:
    """Share of features auto_unimodal bends, and the IV it gains, by shape and size."""

    def cell(rng, shape, n, k) -> str:
        bent, gain = 0, []
        for _ in range(k):
            x = rng.normal(size=n)
            y = (rng.uniform(size=n) < 1 / (1 + np.exp(1.5 - shape(x)))).astype(int)
            X = pd.DataFrame({"x": x})
            fits = [
                WoeBinner(monotonic_trend=t, min_bin_size=0.02, min_bin_n_event="sqrt")
                .fit(X, y)
                .bins_["x"]
                for t in ("auto_asc_desc", "auto_unimodal")
            ]
            if fits[0].splits != fits[1].splits:
                bent += 1
                gain.append(fits[1].iv() - fits[0].iv())
        extra = f" +{np.mean(gain):.3f}" if gain else ""
        return f"{bent / k:>8.1%}{extra:>8}"

    size_table(reps, SHAPES, cell, 16)


#: ``--small-bins``: twelve categories, three of them rare (1-1.5% of the rows), and their
#: log-odds of bad against the base rate, by shape: no effect (a rare category that gets a
#: bin of its own is a false alarm), graded effects, and graded with the rarest category far
#: riskier (odds x12: a bin of its own is a find).
CATEGORY_SHARES = np.array([25, 20, 15, 10, 8, 6, 5, 4, 3, 1.5, 1.2, 1.0]) / 99.7
GRADED = np.array([0.0, 0.3, -0.3, 0.5, -0.5, 0.2, -0.2, 0.6, -0.6, 0.4, -0.4, 0.1])
CATEGORY_SHAPES = {
    "no effect": np.zeros(12),
    "graded": GRADED,
    "rare apart": GRADED + np.r_[np.zeros(11), 2.5],
}


def small_bins(reps: int) -> None:
    """Share of categorical features whose bins get a bin below min_bin_size under
    ``small_bins``, and the AUC of the feature's WoE on new rows of the same shape (small bins
    minus without) where they do."""
    from sklearn.metrics import roc_auc_score

    names = np.array([f"c{i:02d}" for i in range(12)])

    def cell(rng, effect, n, k) -> str:
        found, change = 0, []
        for _ in range(k):
            codes = [rng.choice(12, size=n, p=CATEGORY_SHARES) for _ in range(2)]
            y, y_new = (
                (rng.uniform(size=n) < 1 / (1 + np.exp(2.0 - effect[c]))).astype(int) for c in codes
            )
            X, X_new = (pd.DataFrame({"x": names[c]}) for c in codes)
            fits = [
                WoeBinner(min_bin_size=0.02, min_bin_n_event="sqrt", small_bins=flag).fit(X, y)
                for flag in (False, True)
            ]
            fb = fits[1].bins_["x"]
            weights = np.asarray(fb.good[: fb.n_regular]) + fb.bad[: fb.n_regular]
            if np.any(weights < math.ceil(0.02 * n)):
                found += 1
                aucs = [roc_auc_score(y_new, -f.transform(X_new)["x"]) for f in fits]
                change.append(aucs[1] - aucs[0])
        extra = f" {np.mean(change):+.4f}" if change else ""
        return f"{found / k:>8.1%}{extra:>12}"

    size_table(reps, CATEGORY_SHAPES, cell, 20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--features", type=int, default=30)
    parser.add_argument("--big", action="store_true", help="add 10M rows (ours only, long)")
    parser.add_argument("--one", nargs=3, metavar=("ROWS", "FEATURES", "OURS_ONLY"))
    parser.add_argument("--defaults", action="store_true", help="AUC of the binning defaults")
    parser.add_argument("--applications", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=10)
    parser.add_argument("--turns", action="store_true", help="auto_unimodal by shape and size")
    parser.add_argument("--small-bins", action="store_true", help="small_bins by shape and size")
    parser.add_argument("--reps", type=int, default=100)
    args = parser.parse_args()
    if args.small_bins:
        print(f"machine: {machine()}; load average at start {os.getloadavg()}")
        print("share of features with a bin below min_bin_size (and the mean change of the")
        print("feature's AUC on new rows where there is one)")
        small_bins(args.reps)
        return
    if args.turns:
        print(f"machine: {machine()}; load average at start {os.getloadavg()}")
        print("share of features bent (and the mean IV gained where bent)")
        turns(args.reps)
        return
    if args.defaults:
        print(f"machine: {machine()}; load average at start {os.getloadavg()}")
        defaults(args.applications, args.samples)
        return
    if args.one:  # a child process: one size, one JSON line
        rows, feats, ours_only = int(args.one[0]), int(args.one[1]), args.one[2] == "1"
        print(json.dumps(run_one(rows, feats, ours_only)))
        return
    print(f"machine: {machine()}; load average at start {os.getloadavg()}")
    jobs = [(n, False) for n in args.sizes] + ([(10_000_000, True)] if args.big else [])
    header = (
        f"{'rows x features':>18} {'ours s':>8} {'optbinning s':>13} {'ratio':>6} "
        f"{'IV ours':>9} {'IV optb.':>9} {'same bins':>10} {'peak RSS':>9} {'load':>10}"
    )
    lines = []
    for n, ours_only in jobs:
        cmd = [sys.executable, __file__, "--one", str(n), str(args.features), str(int(ours_only))]
        r = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
        if ours_only:
            optb = ratio = iv_t = same = "-"
        else:
            optb = f"{r['optbinning_s']:.1f}"
            ratio = f"{r['optbinning_s'] / r['ours_s']:.1f}x"
            iv_t = f"{r['optbinning_iv']:.4f}"
            same = f"{r['same_bins']}/{r['features']}"
        size = f"{n:,} x {r['features']}"
        lines.append(
            f"{size:>18} {r['ours_s']:>8.2f} {optb:>13} "
            f"{ratio:>6} {r['ours_iv']:>9.4f} {iv_t:>9} {same:>10} {r['peak_gb']:>6.2f}GiB "
            f"{r['load']:>4.1f}-{r['load_end']:.1f}"
        )
    print(header)
    print("\n".join(lines))
    print("peak RSS: the binning process's own (GiB), data included; load: 1-minute load average.")


if __name__ == "__main__":
    main()
