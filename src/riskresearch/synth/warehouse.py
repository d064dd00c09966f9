"""Write the simulated platform into a DuckDB warehouse file, atomically."""

from __future__ import annotations

import os
from collections.abc import Callable

import duckdb
import numpy as np
import pandas as pd

from riskresearch.atomic import atomic_output, is_disk_full
from riskresearch.db import connect, out_of_memory
from riskresearch.errors import BuildError
from riskresearch.synth.config import SimulationConfig
from riskresearch.synth.performance import simulate_chunk
from riskresearch.synth.population import Block, arrivals, make_population

#: Raw tables a modeling pipeline may read, in the order they are written.
RAW_TABLES = (
    "partners",
    "customers",
    "applications",
    "bureau_reports",
    "prior_leases",
    "orders",
    "installments",
    "collection_actions",
    "fraud_cases",
)
#: Hidden ground truth; no modeling code reads these.
ORACLE_TABLES = ("oracle_applications", "oracle_partners")

#: Columns holding calendar days (stored as DATE, not timestamps).
DATE_COLUMNS = frozenset(
    {
        "onboarded_on",
        "birth_date",
        "started_on",
        "ended_on",
        "due_date",
        "paid_date",
        "action_date",
        "confirmed_on",
    }
)

#: Applications whose lease performance is simulated at once. Fixed (not a parameter): the
#: random stream of each chunk is keyed by its index, so the size is part of the result.
CHUNK_SIZE = 200_000
#: Most applications whose population (customers, profiles, bureau, old policy) is drawn at once;
#: about 1.7 GB of memory per million. Larger simulations are drawn in equal blocks, each with
#: its own customers, fraud rings and random streams, so memory stays bounded at any size. Fixed
#: like ``CHUNK_SIZE``: a simulation up to this size is one block, as it always was.
BLOCK_SIZE = 1_000_000

Progress = Callable[[str, int, int], None]


def block_sizes(n: int) -> list[int]:
    """Applications in each population block: as few equal blocks as ``BLOCK_SIZE`` allows."""
    n_blocks = -(-n // BLOCK_SIZE)
    edges = np.round(np.linspace(0, n, n_blocks + 1)).astype(np.int64)
    return np.diff(edges).tolist()


def _application_ids(cfg: SimulationConfig, sizes: list[int]) -> list[np.ndarray | None]:
    """Each block's application ids: ranks in the arrival order of the whole population.

    Only the arrival instants of every block are drawn here (8 bytes per application), so ids
    ascend in time across blocks as they do within one; ties go to the earlier block.
    """
    if len(sizes) == 1:
        return [None]
    n = sum(sizes)
    times = np.concatenate(
        [arrivals(cfg, Block(i, size, n))["applied_at"] for i, size in enumerate(sizes)]
    )
    ids = np.empty(n, dtype=np.int64)
    ids[np.argsort(times, kind="stable")] = np.arange(1, n + 1)
    return np.split(ids, np.cumsum(sizes)[:-1])


def build_warehouse(
    cfg: SimulationConfig,
    path: str | os.PathLike,
    progress: Progress | None = None,
    memory_limit: str | None = None,
) -> dict[str, int]:
    """Simulate the platform and write it to a DuckDB file.

    The database is written to a temporary file next to ``path`` and moved into place only when
    complete, so a failed or interrupted build never leaves a half-written database (and never
    replaces a good one). Memory stays bounded at any size: the population is drawn in blocks of
    at most ``BLOCK_SIZE`` applications and lease histories in chunks of ``CHUNK_SIZE``.

    Parameters
    ----------
    cfg : SimulationConfig
        Simulation parameters (size, seed, drift months ...).
    path : path-like
        Target DuckDB file; its folder is created if missing.
    progress : callable, optional
        ``progress(step, done, total)`` is called after each step (the CLI draws a bar with it).
    memory_limit : str, optional
        Cap on DuckDB's memory while writing, e.g. ``"1GB"``; DuckDB's default is 80% of the
        machine's memory, and it keeps much of what was written in memory below that.

    Returns
    -------
    dict
        Row count of every table written.

    Examples
    --------
    >>> from riskresearch.synth import SimulationConfig, build_warehouse
    >>> counts = build_warehouse(SimulationConfig(n_applications=5_000, seed=1), "leasing.duckdb")
    >>> counts["applications"]
    5000
    """
    sizes = block_sizes(cfg.n_applications)
    total = 1 + len(sizes) + sum(-(-size // CHUNK_SIZE) for size in sizes)
    done = 0
    if progress:  # the bar shows from the start: the first block takes a while
        progress("applications", done, total)
    with atomic_output(path, "warehouse") as tmp:
        con = connect(tmp, read_only=False, memory_limit=memory_limit)
        try:
            ids = _application_ids(cfg, sizes)
            offsets = {"customer_offset": 0, "ring_offset": 0, "prior_offset": 0}
            chunk = 0
            for b, size in enumerate(sizes):
                pop = make_population(cfg, Block(b, size, cfg.n_applications, ids[b], **offsets))
                if b == 0:
                    _write(con, "partners", pop.partners)
                    new_partner = np.zeros(len(pop.partners), dtype=bool)
                    new_partner[cfg.n_partners :] = True
                    _write(
                        con,
                        "oracle_partners",
                        pd.DataFrame(
                            {
                                "partner_id": pop.partners["partner_id"],
                                "hidden_quality": pop.partner_quality,
                                "worse_new_channel": new_partner,
                            }
                        ),
                    )
                _write(con, "customers", pop.customers, append=b > 0)
                _write(con, "applications", pop.applications, append=b > 0)
                _write(con, "bureau_reports", pop.bureau, append=b > 0)
                _write(con, "prior_leases", pop.prior_leases, append=b > 0)
                offsets = {
                    "customer_offset": int(pop.customers["customer_id"].max()),
                    "ring_offset": max(
                        offsets["ring_offset"], int(pop.hidden["ring_id"].max()) + 1
                    ),
                    "prior_offset": offsets["prior_offset"] + len(pop.prior_leases),
                }
                del pop.customers, pop.bureau, pop.prior_leases
                done += 1
                if progress:
                    progress("applications", done, total)
                for start in range(0, size, CHUNK_SIZE):
                    sl = slice(start, start + CHUNK_SIZE)
                    tables = simulate_chunk(
                        cfg, pop.applications.iloc[sl], pop.hidden.iloc[sl], chunk=chunk
                    )
                    for name, frame in tables.items():
                        _write(con, name, frame, append=chunk > 0)
                    del tables
                    chunk += 1
                    done += 1
                    if progress:
                        progress("leases", done, total)
                del pop
                con.execute("CHECKPOINT")  # the block's rows to disk, out of DuckDB's memory
            _write_meta(con, cfg)
            counts = {
                t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0]
                for t in (*RAW_TABLES, *ORACLE_TABLES)
            }
            con.execute("CHECKPOINT")
        except duckdb.OutOfMemoryException:
            raise out_of_memory(f"Writing the warehouse '{path}'", memory_limit) from None
        finally:
            con.close()
    if progress:
        progress("done", total, total)
    return counts


def _write(con: duckdb.DuckDBPyConnection, name: str, frame: pd.DataFrame, append: bool = False):
    con.register("_frame", frame)
    select = ", ".join(
        f'CAST("{c}" AS DATE) AS "{c}"' if c in DATE_COLUMNS else f'"{c}"' for c in frame.columns
    )
    try:
        if append:
            con.execute(f"INSERT INTO {name} SELECT {select} FROM _frame")
        else:
            con.execute(f"CREATE TABLE {name} AS SELECT {select} FROM _frame")
    except duckdb.OutOfMemoryException:
        raise  # the caller names the memory cap
    except duckdb.Error as exc:
        if is_disk_full(exc):
            raise  # atomic_output names the warehouse
        # anything else is a bug in the simulator, not user input
        first = str(exc).strip().splitlines()[0]
        raise BuildError(f"Writing the table '{name}' failed: {first}") from exc
    finally:
        con.unregister("_frame")


def _write_meta(con: duckdb.DuckDBPyConnection, cfg: SimulationConfig) -> None:
    """Record the simulation parameters (the as-of date above all) inside the warehouse."""
    meta = {k: str(v) for k, v in cfg.model_dump().items()}
    meta["as_of"] = str(cfg.as_of)
    _write(con, "warehouse_meta", pd.DataFrame({"key": list(meta), "value": list(meta.values())}))
