"""Write the simulated platform into a DuckDB warehouse file, atomically."""

from __future__ import annotations

import os
from collections.abc import Callable

import duckdb
import numpy as np
import pandas as pd

from riskresearch.atomic import atomic_output
from riskresearch.errors import BuildError
from riskresearch.synth.config import SimulationConfig
from riskresearch.synth.performance import simulate_chunk
from riskresearch.synth.population import make_population

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

Progress = Callable[[str, int, int], None]


def build_warehouse(
    cfg: SimulationConfig, path: str | os.PathLike, progress: Progress | None = None
) -> dict[str, int]:
    """Simulate the platform and write it to a DuckDB file.

    The database is written to a temporary file next to ``path`` and moved into place only when
    complete, so a failed or interrupted build never leaves a half-written database (and never
    replaces a good one).

    Parameters
    ----------
    cfg : SimulationConfig
        Simulation parameters (size, seed, drift months ...).
    path : path-like
        Target DuckDB file; its folder is created if missing.
    progress : callable, optional
        ``progress(step, done, total)`` is called after each step (the CLI draws a bar with it).

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
    n_chunks = int(np.ceil(cfg.n_applications / CHUNK_SIZE))
    total = 2 + n_chunks
    with atomic_output(path, "warehouse") as tmp:
        pop = make_population(cfg)
        if progress:
            progress("applications", 1, total)
        con = duckdb.connect(str(tmp))
        try:
            _write(con, "partners", pop.partners)
            _write(con, "customers", pop.customers)
            _write(con, "applications", pop.applications)
            _write(con, "bureau_reports", pop.bureau)
            _write(con, "prior_leases", pop.prior_leases)
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
            del pop.customers, pop.bureau, pop.prior_leases
            for i in range(n_chunks):
                sl = slice(i * CHUNK_SIZE, (i + 1) * CHUNK_SIZE)
                tables = simulate_chunk(
                    cfg, pop.applications.iloc[sl], pop.hidden.iloc[sl], chunk=i
                )
                for name, frame in tables.items():
                    _write(con, name, frame, append=i > 0)
                del tables
                if progress:
                    progress("leases", 2 + i, total)
            _write_meta(con, cfg)
            counts = {
                t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0]
                for t in (*RAW_TABLES, *ORACLE_TABLES)
            }
            con.execute("CHECKPOINT")
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
    except duckdb.Error as exc:  # pragma: no cover - a bug in the simulator, not user input
        raise BuildError(f"Writing the table '{name}' failed: {exc}") from exc
    finally:
        con.unregister("_frame")


def _write_meta(con: duckdb.DuckDBPyConnection, cfg: SimulationConfig) -> None:
    """Record the simulation parameters (the as-of date above all) inside the warehouse."""
    meta = {k: str(v) for k, v in cfg.model_dump().items()}
    meta["as_of"] = str(cfg.as_of)
    _write(con, "warehouse_meta", pd.DataFrame({"key": list(meta), "value": list(meta.values())}))
