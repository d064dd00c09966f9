"""Warehouse and modeling-table build time and peak memory at several sizes.

Each size runs in a fresh process so peak memory (max RSS) is that build's own.

    python benchmarks/bench_data_build.py            # 100k and 1M applications
    python benchmarks/bench_data_build.py --sizes 100000 10000000 --memory-limit 2GB

``--memory-limit`` caps DuckDB (``riskresearch data build --memory-limit``); without it DuckDB
may take 80% of the machine's memory (11 GB of RSS for the 10M modeling table on 24 GB).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

CHILD = r"""
import json, resource, sys, time
from riskresearch.features import build_modeling_table
from riskresearch.synth import SimulationConfig, build_warehouse
n, folder, limit = int(sys.argv[1]), sys.argv[2], sys.argv[3] or None
t0 = time.perf_counter()
cfg = SimulationConfig(n_applications=n)
counts = build_warehouse(cfg, f"{folder}/w.duckdb", memory_limit=limit)
t1 = time.perf_counter()
build_modeling_table(f"{folder}/w.duckdb", f"{folder}/m.parquet", memory_limit=limit)
t2 = time.perf_counter()
print(json.dumps({
    "warehouse_s": t1 - t0, "table_s": t2 - t1,
    "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "installments": counts["installments"],
}))
"""


def timed(fn, repeat=3):
    """Best wall time of ``repeat`` calls of ``fn`` and the last result."""
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores, {mem:.0f} GB RAM, {cpu}, Python {platform.python_version()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--memory-limit", default="", help="DuckDB memory cap, e.g. 2GB")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    print(
        f"{'applications':>12} {'instalments':>12} {'warehouse s':>12} {'table s':>9} "
        f"{'total s':>9} {'peak MB':>9}"
    )
    for n in args.sizes:
        with tempfile.TemporaryDirectory() as folder:
            out = subprocess.run(
                [sys.executable, "-c", CHILD, str(n), folder, args.memory_limit],
                capture_output=True,
                text=True,
                check=True,
            )
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(
            f"{n:>12,} {r['installments']:>12,} {r['warehouse_s']:>12.1f} {r['table_s']:>9.1f} "
            f"{r['warehouse_s'] + r['table_s']:>9.1f} {r['peak_mb']:>9.0f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
