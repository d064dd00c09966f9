"""Batch scoring and decisions on ``dask.dataframe``: the pandas path's own function on every
partition (``map_partitions`` with an explicit ``meta``), so rows come out identical."""

from __future__ import annotations

import functools
import os
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from riskresearch.scale.files import check_parquet_io, write_parts
from riskresearch.scoring import Scorer
from riskresearch.woe import check_columns

#: The id column of the output when the release names no id column: the row's position in
#: the input (from 0), so every score can be joined back to its application.
ROW = "row"


def scored(
    frame: pd.DataFrame,
    scorer,
    n_reason_codes: int = 4,
    id_column: str | None = None,
    first_row: int = 0,
) -> pd.DataFrame:
    """What ``riskresearch score`` writes for ``frame``: id, score, PD and reason codes.

    Parameters
    ----------
    frame : DataFrame
        Applications with (at least) the scorer's columns.
    scorer : riskresearch.scoring.Scorer
    n_reason_codes : int
        Reason codes per row (the release's ``scorecard.n_reason_codes``).
    id_column : str, optional
        Copied to the output first when the input has it. Without one the output's first
        column is ``row``: the row's position in the input, from ``first_row``.
    first_row : int, default 0
        Position of ``frame``'s first row in the whole input (a Dask partition's offset).

    Returns
    -------
    DataFrame
        ``id_column or row, score, pd, reason_1, points_lost_1, ...`` on ``frame``'s index.
    """
    # columns by position, never aligned on the index: Dask's partitions made of several
    # files repeat index labels, and a join on them would multiply rows
    cols: dict[str, Any] = {}
    if id_column and id_column in frame.columns:
        cols[id_column] = frame[id_column].array
    elif not id_column:
        cols[ROW] = np.arange(first_row, first_row + len(frame), dtype="int64")
    cols["score"] = scorer.score(frame).to_numpy()
    cols["pd"] = scorer.pd_from_score(cols["score"], frame)
    reasons = scorer.reason_codes(frame, n_reason_codes)
    for c in reasons.columns:
        cols[c] = reasons[c].array
    return pd.DataFrame(cols, index=frame.index)


@functools.lru_cache(maxsize=8)
def _scorer_from_json(text: str):
    # compiled once per worker process and scorecard, not once per partition
    return Scorer(text)


def _score_partition(
    part: pd.DataFrame,
    text: str,
    n_reason_codes: int,
    id_column: str | None,
    offsets: tuple[int, ...] | None = None,
    partition_info: dict | None = None,
) -> pd.DataFrame:
    if len(part) == 0:  # an empty partition is valid input on Dask (the Scorer rejects it)
        return _empty_result(part, _scorer_from_json(text), n_reason_codes, id_column)
    first = offsets[partition_info["number"]] if offsets and partition_info else 0
    return scored(part, _scorer_from_json(text), n_reason_codes, id_column, first)


def _empty_result(
    part: pd.DataFrame, scorer, n_reason_codes: int, id_column: str | None
) -> pd.DataFrame:
    cols: dict[str, Any] = {}
    if id_column and id_column in part.columns:
        cols[id_column] = part[id_column]
    elif not id_column:
        cols[ROW] = pd.Series(dtype="int64", index=part.index)
    cols["score"] = pd.Series(dtype="float64", index=part.index)
    cols["pd"] = pd.Series(dtype="float64", index=part.index)
    # as many as Scorer.reason_codes gives: never more than the scorecard has features
    features = {f.name for s in scorer.segments for f in s["card"].features}
    for i in range(1, min(n_reason_codes, len(features)) + 1):
        cols[f"reason_{i}"] = pd.Series(dtype="str", index=part.index)
        cols[f"points_lost_{i}"] = pd.Series(dtype="float64", index=part.index)
    return pd.DataFrame(cols, index=part.index)


def _json_text(scorer) -> str:
    import json

    # key order is the scorecard's feature order, hence the order points are added in:
    # sorting the keys would change the last bits of a score
    return json.dumps(scorer.model)


def score_frame(frame, scorer, n_reason_codes: int = 4, id_column: str | None = None):
    """Lazily score a ``dask.dataframe.DataFrame`` partition by partition.

    Parameters
    ----------
    frame : dask.dataframe.DataFrame
        Applications; every scorecard column must be present.
    scorer : riskresearch.scoring.Scorer
    n_reason_codes : int
    id_column : str, optional

    Returns
    -------
    dask.dataframe.DataFrame
        The columns of :func:`scored`, one output partition per input partition.

    Raises
    ------
    DataError
        At once (before any work) when a scorecard column is missing; while computing, the
        Scorer's own one-line errors (e.g. text in a numerical column).
    """
    check_columns(frame._meta, scorer.columns, "Scorer")
    meta = _empty_result(frame._meta, scorer, n_reason_codes, id_column)
    offsets = None
    if not id_column:  # the row column numbers rows across partitions: count them first
        sizes = frame.map_partitions(len).compute()
        offsets = tuple(int(x) for x in np.concatenate([[0], np.cumsum(sizes)[:-1]]))
    return frame.map_partitions(
        _score_partition,
        _json_text(scorer),
        n_reason_codes,
        id_column,
        offsets,
        meta=meta,
        enforce_metadata=True,
    )


def score_parquet(
    scorer,
    src: str | os.PathLike,
    out: str | os.PathLike,
    n_reason_codes: int = 4,
    id_column: str | None = None,
    dask_client=None,
    blocksize=None,
) -> int:
    """Score Parquet ``src`` on Dask into the Parquet folder ``out``; return the rows scored.

    Only the id and scorecard columns are read. ``out`` is written as ``part.00000.parquet``,
    ``part.00001.parquet`` ... (one per input partition, in input order) into a temporary
    folder beside it and moved into place when complete: a failed run leaves nothing behind
    and never harms an existing ``out``.

    Parameters
    ----------
    scorer : riskresearch.scoring.Scorer
    src : path-like
        Parquet file, folder of Parquet files or glob.
    out : path-like
        Folder to write; replaced when it exists and holds only Parquet parts.
    n_reason_codes, id_column
        As in :func:`scored`.
    dask_client : distributed.Client, optional
        Runs the work; default the current client, else Dask's local scheduler.
    blocksize : str or int, optional
        Largest input partition (default :data:`DEFAULT_BLOCKSIZE`).
    """
    out = Path(out)
    ddf = check_parquet_io(src, out, scorer.columns, "Scorer", blocksize)
    keep = [c for c in dict.fromkeys([id_column, *scorer.columns]) if c and c in ddf.columns]
    result = score_frame(ddf[keep], scorer, n_reason_codes, id_column)
    return write_parts(result, out, dask_client)


# ------------------------------------------------------------------------------------------
# decisions
# ------------------------------------------------------------------------------------------
def decide_frame(frame, engine):
    """Lazily apply ``engine.decide`` to every partition of a ``dask.dataframe``.

    Parameters
    ----------
    frame : dask.dataframe.DataFrame
        Applications with the engine's fields (an absent field refers the row, as in pandas).
    engine : riskresearch.decision.DecisionEngine
        E.g. ``DecisionEngine.from_release(folder)``; it is shipped to the workers once.

    Returns
    -------
    dask.dataframe.DataFrame
        ``engine.decide`` of every partition; the columns and dtypes come from the engine's
        decisions on Dask's typed placeholder rows, so nothing is computed to build the graph.
    """
    meta = engine.decide(frame._meta_nonempty).iloc[:0]
    return frame.map_partitions(
        _decide_partition, _Shipped(engine), meta, meta=meta, enforce_metadata=True
    )


def _decide_partition(part: pd.DataFrame, shipped, meta: pd.DataFrame) -> pd.DataFrame:
    if len(part) == 0:
        return meta.copy()
    # an all-missing text column comes out as 'object': give every partition the meta's dtypes
    return shipped.engine.decide(part).astype(meta.dtypes.to_dict())


class _Shipped:
    """Carries an engine to the workers: Dask can neither hash nor pickle its per-thread
    state (``threading.local``), which is a cache rebuilt empty on arrival."""

    def __init__(self, engine):
        import uuid

        self.engine = engine
        self.token = uuid.uuid4().hex

    def __dask_tokenize__(self):
        return ("riskresearch.scale._Shipped", self.token)

    def __getstate__(self):
        state = {k: v for k, v in vars(self.engine).items() if not isinstance(v, threading.local)}
        local = [k for k, v in vars(self.engine).items() if isinstance(v, threading.local)]
        return {
            "cls": type(self.engine),
            "state": state,
            "local": local,
            "token": self.token,
        }

    def __setstate__(self, d):
        engine = d["cls"].__new__(d["cls"])
        engine.__dict__.update(d["state"])
        for name in d["local"]:
            setattr(engine, name, threading.local())
        self.engine, self.token = engine, d["token"]


def decide_parquet(
    engine, src, out, dask_client=None, blocksize=None, columns: list[str] | None = None
) -> int:
    """Decide on Parquet ``src`` with Dask into the Parquet folder ``out`` (written like
    :func:`score_parquet`); return the rows decided. ``columns`` (default all) limits what
    is read; a column the engine needs but the input lacks refers its rows, as in pandas."""
    out = Path(out)
    ddf = check_parquet_io(src, out, [], "DecisionEngine", blocksize)
    if columns is not None:
        ddf = ddf[[c for c in columns if c in ddf.columns]]
    result = decide_frame(ddf, engine)
    return write_parts(result, out, dask_client)
