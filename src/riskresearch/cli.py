"""Command-line interface: ``riskresearch <command> ...``.

Library code never prints; this module does (results, progress bars, one-line errors).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from riskresearch.errors import RiskResearchError, from_validation_error

DEFAULT_DB = Path("data/leasing.duckdb")
DEFAULT_TABLE = Path("data/modeling_table.parquet")


class _Bar:
    """tqdm progress bar driven by the library's ``progress(step, done, total)`` callbacks."""

    def __init__(self, desc: str):
        from tqdm.auto import tqdm

        self._bar = tqdm(total=None, desc=desc, unit="step", leave=False, file=sys.stderr)

    def __call__(self, step: str, done: int, total: int) -> None:
        self._bar.total = total
        self._bar.set_postfix_str(step)
        self._bar.n = done
        self._bar.refresh()

    def close(self) -> None:
        self._bar.close()


def _data_build(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from riskresearch.atomic import writable_folder
    from riskresearch.features import build_modeling_table
    from riskresearch.synth import SimulationConfig, build_warehouse

    try:
        cfg = SimulationConfig(n_applications=args.applications, seed=args.seed)
    except ValidationError as exc:
        raise from_validation_error(
            exc, "riskresearch data build", {"n_applications": "--applications", "seed": "--seed"}
        ) from None
    out, table = Path(args.out), Path(args.table)
    writable_folder(out, "warehouse")  # fail before minutes of work, not after
    writable_folder(table, "modeling table")
    if args.if_missing and out.is_file():
        print(f"warehouse      {out} (exists; delete it or drop --if-missing to rebuild)")
    else:
        bar = _Bar("simulating platform")
        t0 = time.perf_counter()
        try:
            counts = build_warehouse(cfg, out, progress=bar)
        finally:
            bar.close()
        print(f"warehouse      {out}  ({time.perf_counter() - t0:.1f} s, seed {cfg.seed})")
        for name, rows in counts.items():
            print(f"  {name:<22}{rows:>12,} rows")
    t0 = time.perf_counter()
    summary = build_modeling_table(out, table)
    print(f"modeling table {table}  ({time.perf_counter() - t0:.1f} s)")
    print(f"  {'total':<34}{int(summary['applications'].sum()):>10,} rows")
    for row in summary.itertuples(index=False):
        print(f"  {row.segment:<12}{row.performance_status:<22}{row.applications:>10,}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="riskresearch", description="Credit-risk research for a device-leasing platform."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    data = sub.add_parser("data", help="build the embedded simulated warehouse")
    data_sub = data.add_subparsers(dest="data_command", required=True)
    build = data_sub.add_parser(
        "build", help="simulate the platform into DuckDB and build the modeling table"
    )
    build.add_argument(
        "--applications",
        type=int,
        default=100_000,
        metavar="N",
        help="number of applications (default 100000)",
    )
    build.add_argument(
        "--seed",
        type=int,
        default=20240101,
        metavar="S",
        help="seed of every random step (default 20240101)",
    )
    build.add_argument(
        "--out",
        default=str(DEFAULT_DB),
        metavar="PATH",
        help=f"DuckDB file to write (default {DEFAULT_DB})",
    )
    build.add_argument(
        "--table",
        default=str(DEFAULT_TABLE),
        metavar="PATH",
        help=f"modeling-table Parquet file to write (default {DEFAULT_TABLE})",
    )
    build.add_argument(
        "--if-missing",
        action="store_true",
        help="keep an existing warehouse; only rebuild the modeling table",
    )
    build.set_defaults(func=_data_build)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except RiskResearchError as exc:
        print(f"riskresearch: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("riskresearch: interrupted; nothing partial was left behind", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
