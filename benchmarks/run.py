"""The performance suite: one table of speed and memory figures, with the machine and its load.

Rows (each against its target or a peer measured in the same run):
- batch scoring throughput and peak memory on the same rows: optbinning ``Scorecard.score``,
  the JSON ``Scorer`` (score alone, and the full ``riskresearch score`` output with PD and
  reason codes), the SQL expression in DuckDB over Parquet, all with the *same* scorecard
  (optbinning's, exported with ``riskresearch.scoring.from_optbinning``), and Dask
  (LocalCluster, 2 workers) on the modeling table of a simulated warehouse of ``--dask-rows``
  applications;
- single-application decision latency p50/p99 (``DecisionEngine.decide_one`` of a release
  built here; ``Scorer.score_one`` when the release has no strategy);
- release build time (``riskresearch release`` on the consumer config, at ``--applications``);
- warehouse + modeling-table build time and peak memory (fresh process per size; DuckDB capped
  at ``--duckdb-memory`` above 1M applications);
- binning fit time: ``WoeBinner`` with the config's settings vs optbinning ``BinningProcess``
  defaults on the same rows.

Peak memory is sampled with psutil every 100 ms over the process and all its children (Dask's
scheduler and workers, notebook kernels); "+N MB" is the peak minus the memory held just before
(the suite's own data is not counted). The Dask row gives the cluster's peak (scheduler and
two workers, whole processes) and the client's extra memory.

    python benchmarks/run.py            # 100k applications, 1M rows in memory, 10M simulated
                                        # applications built and scored on Dask (~11 min)
    python benchmarks/run.py --quick    # a small run (2-3 minutes)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from importlib import metadata
from pathlib import Path

import numpy as np
import psutil
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_data_build import CHILD, machine  # noqa: E402

MB = 2**20


class Peak:
    """Peak RSS of this process and its children while the block runs (psutil sampling)."""

    def __init__(self, interval: float = 0.1):
        self.interval = interval

    @staticmethod
    def rss_split() -> tuple[int, int]:
        """RSS of this process, and the sum over its children (Dask's scheduler, workers)."""
        me = psutil.Process()
        children = 0
        for child in me.children(recursive=True):
            try:
                children += child.memory_info().rss
            except psutil.Error:
                pass
        return me.memory_info().rss, children

    def rss(self) -> int:
        own, children = self.rss_split()
        self.peak_self = max(getattr(self, "peak_self", 0), own)
        self.peak_children = max(getattr(self, "peak_children", 0), children)
        return own + children

    def __enter__(self):
        self.before_self = self.rss_split()[0]
        self.before = self.rss()
        self.peak = self.before
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        self.t0 = time.perf_counter()
        return self

    def _watch(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, self.rss())
            time.sleep(self.interval)

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.t0
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.rss())
        return False

    @property
    def extra_mb(self) -> float:
        return (self.peak - self.before) / MB

    @property
    def peak_mb(self) -> float:
        return self.peak / MB

    @property
    def children_mb(self) -> float:
        return self.peak_children / MB

    @property
    def self_extra_mb(self) -> float:
        return (self.peak_self - self.before_self) / MB


def versions() -> str:
    names = ["numpy", "pandas", "dask", "distributed", "lightgbm", "duckdb", "optbinning"]
    return ", ".join(f"{n} {metadata.version(n)}" for n in names)


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f} (1 / 5 / 15 min)"


ROWS: list[tuple[str, str, str, str, str]] = []


def row(what: str, size: str, value: str, memory: str = "", versus: str = "") -> None:
    ROWS.append((what, size, value, memory, versus))
    print(f"  .. {what} [{size}]: {value}  {memory}  {versus}", file=sys.stderr, flush=True)


def rate(n: int, seconds: float) -> str:
    return f"{seconds:.2f} s, {n / seconds / 1e6:.2f}M rows/s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small run (2-3 minutes)")
    parser.add_argument("--applications", type=int, default=None)
    parser.add_argument("--rows", type=int, default=None, help="rows scored in memory")
    parser.add_argument("--dask-rows", type=int, default=None, help="rows scored on Dask")
    parser.add_argument("--sizes", type=int, nargs="+", default=None, help="warehouse sizes")
    parser.add_argument(
        "--duckdb-memory", default="2GB", help="DuckDB memory cap for builds above 1M"
    )
    args = parser.parse_args()
    q = args.quick
    n_apps = args.applications or (20_000 if q else 100_000)
    n_rows = args.rows or (200_000 if q else 1_000_000)
    n_dask = args.dask_rows or (20_000 if q else 10_000_000)
    sizes = sorted({*(args.sizes or ([20_000] if q else [100_000, 1_000_000])), n_dask})
    warnings.simplefilter("ignore")
    load_start = load()
    t_start = time.perf_counter()

    from riskresearch.config import config_from_dict
    from riskresearch.development import develop
    from riskresearch.features import build_modeling_table
    from riskresearch.synth import SimulationConfig, build_warehouse

    with tempfile.TemporaryDirectory(prefix="rr-bench-") as tmp_name:
        tmp = Path(tmp_name)
        dask_table = warehouses(sizes, tmp, n_dask, args.duckdb_memory)
        db, table = tmp / "w.duckdb", tmp / "m.parquet"
        build_warehouse(SimulationConfig(n_applications=n_apps), db)
        build_modeling_table(db, table)
        raw = yaml.safe_load((ROOT / "scorecards" / "consumer.yaml").read_text())
        for key in ("table", "warehouse", "oracle"):
            raw["data"][key] = str(table if key == "table" else db)
        cfg = config_from_dict(raw)
        dev = develop(cfg)

        scoring(dev, tmp, n_rows, dask_table)
        binning(cfg, dev)
        release_and_decisions(raw, tmp, n_apps, dev)

    print("# riskresearch performance suite" + (" (--quick)" if q else ""))
    print(f"machine: {machine()}")
    print(f"CPU count {os.cpu_count()}, RAM {psutil.virtual_memory().total / 2**30:.1f} GB")
    print(f"versions: {versions()}")
    print(f"load average at start: {load_start}; at end: {load()} (machine shared: see README)")
    print(f"suite time: {time.perf_counter() - t_start:.0f} s\n")
    heads = ("measure", "size", "time / throughput", "peak memory", "versus")
    widths = [max(len(h), *(len(r[i]) for r in ROWS)) for i, h in enumerate(heads)]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(heads, widths)) + " |")
    print("| " + " | ".join("-" * w for w in widths) + " |")
    for r in ROWS:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |")


# ------------------------------------------------------------------------------------------
def scoring(dev, tmp: Path, n_rows: int, dask_table: Path | None) -> None:
    import duckdb
    from optbinning import BinningProcess
    from optbinning import Scorecard as OptbScorecard
    from sklearn.linear_model import LogisticRegression

    from riskresearch import scale
    from riskresearch.scoring import Scorer, from_optbinning

    feats = list(dev.model.features_)
    categorical = [f for f in feats if f in dev.categorical]
    optb = OptbScorecard(
        BinningProcess(feats, categorical_variables=categorical),
        LogisticRegression(max_iter=1000),
        scaling_method="pdo_odds",
        scaling_method_params={"pdo": 20, "odds": 50, "scorecard_points": 600},
    ).fit(dev.train[feats], dev.train.bad.to_numpy())
    scorer = Scorer(from_optbinning(optb, pdo=20, base_score=600, base_odds=50))
    big = dev.test[feats].sample(n_rows, replace=True, random_state=0).reset_index(drop=True)
    size = f"{n_rows / 1e6:g}M rows, {len(feats)} features"

    with Peak() as p_opt:
        s_opt = optb.score(big)
    row(
        "scoring: optbinning Scorecard.score (pandas)",
        size,
        rate(n_rows, p_opt.seconds),
        f"+{p_opt.extra_mb:,.0f} MB",
        "1.0x (peer)",
    )
    opt_rate = n_rows / p_opt.seconds
    best = np.inf
    for _ in range(3):
        with Peak() as p:
            s_our = scorer.score(big).to_numpy()
        if p.seconds < best:
            best, p_json = p.seconds, p
    diff = float(np.max(np.abs(s_opt - s_our)))
    row(
        "scoring: JSON Scorer.score (pandas)",
        size,
        rate(n_rows, p_json.seconds),
        f"+{p_json.extra_mb:,.0f} MB",
        f"{n_rows / p_json.seconds / opt_rate:.1f}x optbinning (target >= 10x); "
        f"max |diff| {diff:.1e}",
    )
    with Peak() as p_full:
        full = scale.scored(big, scorer, 4)
    row(
        "scoring: score + PD + 4 reason codes (pandas)",
        size,
        rate(n_rows, p_full.seconds),
        f"+{p_full.extra_mb:,.0f} MB",
        f"{n_rows / p_full.seconds / opt_rate:.1f}x optbinning",
    )

    src = tmp / "rows.parquet"
    big.to_parquet(src, index=False, row_group_size=250_000)
    sql = scorer.to_sql()
    con = duckdb.connect()
    con.execute("SET threads TO 2")
    with Peak() as p_sql:
        s_sql = con.sql(f"SELECT {sql} AS s FROM read_parquet('{src}')").fetchnumpy()["s"]
    con.close()
    row(
        "scoring: SQL expression in DuckDB (Parquet in)",
        size,
        rate(n_rows, p_sql.seconds),
        f"+{p_sql.extra_mb:,.0f} MB",
        f"{n_rows / p_sql.seconds / opt_rate:.1f}x optbinning; max |diff| "
        f"{float(np.max(np.abs(np.sort(s_sql) - np.sort(s_our)))):.1e}",
    )
    del big, full, s_opt

    # Dask: the modeling table of a simulated warehouse (its own applications, not copies)
    if dask_table is None:
        row("scoring: Dask", "", "FAILED: the warehouse for it was not built (see above)")
        return
    import pandas as pd
    import pyarrow.parquet as pq

    n_table = pq.ParquetFile(dask_table).metadata.num_rows
    out = tmp / "dask_out"
    with scale.client(n_workers=2) as c:
        # warm-up: the workers import riskresearch and compile the scorecard once
        scale.score_parquet(scorer, src, tmp / "warm", 4, None, dask_client=c)
        with Peak() as p_dask:
            n = scale.score_parquet(scorer, dask_table, out, 4, "application_id", dask_client=c)
    first = pd.read_parquet(sorted(out.glob("*.parquet"))[0])
    rows = pq.ParquetFile(dask_table).read_row_group(0, columns=scorer.columns).to_pandas()
    same = bool(np.array_equal(first["score"].to_numpy()[: len(rows)], scorer.score(rows)))
    row(
        "scoring: Dask, score + PD + 4 reasons, Parquet in/out",
        f"{n / 1e6:g}M simulated applications, 2 workers",
        rate(n, p_dask.seconds),
        f"{p_dask.children_mb:,.0f} MB scheduler + workers, +{p_dask.self_extra_mb:,.0f} MB "
        f"client (target < 3 GB in all)",
        f"{n / p_dask.seconds / opt_rate:.1f}x optbinning; first part identical to pandas {same}",
    )
    assert n == n_table


# ------------------------------------------------------------------------------------------
def binning(cfg, dev) -> None:
    from optbinning import BinningProcess

    from riskresearch.development import candidate_features, fit_binning

    feats, categorical = candidate_features(dev.train, cfg)
    X, y = dev.train[feats], dev.train[cfg.data.target].to_numpy()
    with Peak() as p_opt:
        BinningProcess(feats, categorical_variables=categorical).fit(X, y)
    with Peak() as p_our:
        fit_binning(cfg, dev.train)
    b = cfg.binning
    row(
        "binning fit: optbinning BinningProcess defaults",
        f"{len(X):,} rows, {len(feats)} features",
        f"{p_opt.seconds:.2f} s",
        f"+{p_opt.extra_mb:,.0f} MB",
        "1.0x (peer)",
    )
    row(
        f"binning fit: WoeBinner (max_n_bins {b.max_n_bins}, min_bin_size {b.min_bin_size}, "
        f"{b.monotonic_trend}, time_limit {b.time_limit})",
        f"{len(X):,} rows, {len(feats)} features",
        f"{p_our.seconds:.2f} s",
        f"+{p_our.extra_mb:,.0f} MB",
        f"{p_opt.seconds / p_our.seconds:.1f}x the speed of optbinning defaults",
    )


# ------------------------------------------------------------------------------------------
def release_and_decisions(raw: dict, tmp: Path, n_apps: int, dev) -> None:
    from riskresearch.release import build_release

    cfg_path = tmp / "cfg" / "consumer.yaml"
    cfg_path.parent.mkdir()
    cfg_path.write_text(yaml.safe_dump(raw, sort_keys=False))
    try:
        with Peak() as p:
            rel = build_release(cfg_path, version="bench", root=tmp / "releases")
        row(
            "release build (all notebooks, report)",
            f"{n_apps:,} applications",
            f"{p.seconds:.1f} s",
            f"{p.peak_mb:,.0f} MB total",
            "target < 5 min",
        )
    except Exception as exc:  # the suite reports a failing step and carries on
        row("release build", f"{n_apps:,} applications", f"FAILED: {_first_line(exc)}")
        rel = None

    rows = dev.test.head(2000)
    lat, what, note = [], "Scorer.score_one (no decision engine)", ""
    try:
        from riskresearch.decision import DecisionEngine, decision_inputs

        folder = rel.path if rel is not None else None
        if folder is None or not (folder / "strategy.json").is_file():
            folder = decision_folder(dev.cfg, tmp / "decision")
            note = " [release build failed: its decision artifacts written through the library]"
        engine = DecisionEngine.from_release(folder)
        inputs = decision_inputs(rows, raw["data"]["warehouse"])
        records = inputs.to_dict("records")
        engine.decide_one(records[0])  # warm-up
        for r in records * 5:
            t0 = time.perf_counter()
            engine.decide_one(r)
            lat.append(time.perf_counter() - t0)
        what = "DecisionEngine.decide_one (score, fraud, grade, terms)" + note
    except Exception as exc:
        print(f"  decision latency: {_first_line(exc)}; timing score_one", file=sys.stderr)
        records = rows[dev.scorer.columns].to_dict("records")
        for r in records * 5:
            t0 = time.perf_counter()
            dev.scorer.score_one(r)
            lat.append(time.perf_counter() - t0)
    ms = sorted(x * 1e3 for x in lat)
    p99 = ms[int(0.99 * len(ms))]
    row(
        f"single application: {what}",
        f"{len(ms):,} calls",
        f"p50 {statistics.median(ms):.3f} ms, p99 {p99:.3f} ms",
        "",
        f"target p99 < 2 ms: {'met' if p99 < 2 else 'MISSED'}",
    )


def decision_folder(cfg, out: Path) -> Path:
    """What a release holds for decisions, written through the library (as
    tests/test_decision.py does) when the release build itself failed."""
    from riskresearch import development, fraud, strategy
    from riskresearch.release import seal

    dev = development.develop(cfg)
    development.write_scorecard(dev, out)
    fraud.write_fraud(fraud.develop_fraud(cfg), out)
    strategy.write_strategy(strategy.develop_strategy(cfg, out), out)
    seal(out, cfg)
    return out


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:160]


# ------------------------------------------------------------------------------------------
def warehouses(sizes: list[int], tmp: Path, keep: int, cap: str) -> Path | None:
    """Build each size in a fresh process; return the modeling table of ``keep`` applications."""
    kept = None
    for n in sizes:
        folder = tmp / f"build_{n}"
        folder.mkdir()
        limit = cap if n > 1_000_000 else ""
        try:
            out = subprocess.run(
                [sys.executable, "-c", CHILD, str(n), str(folder), limit],
                capture_output=True,
                text=True,
                check=True,
            )
        except subprocess.CalledProcessError as exc:
            row("warehouse + modeling table", f"{n:,}", f"FAILED: {exc.stderr[-160:]}")
            shutil.rmtree(folder)
            continue
        r = json.loads(out.stdout.strip().splitlines()[-1])
        row(
            "warehouse + modeling table build (fresh process"
            + (f", DuckDB memory_limit {limit})" if limit else ")"),
            f"{n:,} applications, {r['installments']:,} instalments",
            f"{r['warehouse_s']:.1f} s + {r['table_s']:.1f} s",
            f"{r['peak_mb']:,.0f} MB",
            "",
        )
        (folder / "w.duckdb").unlink()
        if n == keep:
            kept = folder / "m.parquet"
        else:
            shutil.rmtree(folder)
    return kept


if __name__ == "__main__":
    main()
