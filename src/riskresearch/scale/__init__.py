"""Scale-out on Dask: a client, batch scoring of Parquet, and LightGBM training.

The same code as the pandas path runs on every partition: :func:`score_frame` applies
:func:`scored` (what ``riskresearch score`` writes for a pandas frame) to each partition with
``map_partitions`` and an explicit ``meta``, so every row gets exactly the score, PD and reason
codes the pandas path gives it. :func:`train_gbm` fits LightGBM with ``lightgbm.dask`` from the
same parameter factory as :mod:`riskresearch.gbm` and returns the same text-only model
(:class:`~riskresearch.gbm.GbmScorer`). With no scheduler address, :func:`client` starts a
``LocalCluster`` sized for the machine; with one, the same code runs on a real cluster.
"""

from riskresearch.scale.batch import (
    decide_frame,
    decide_parquet,
    score_frame,
    score_parquet,
    scored,
)
from riskresearch.scale.cluster import CONNECT_TIMEOUT, client
from riskresearch.scale.files import (
    DEFAULT_BLOCKSIZE,
    check_parquet_io,
    parquet_files,
    read_parquet,
)
from riskresearch.scale.training import DaskGbm, train_gbm

__all__ = [
    "CONNECT_TIMEOUT",
    "DEFAULT_BLOCKSIZE",
    "DaskGbm",
    "check_parquet_io",
    "client",
    "decide_frame",
    "decide_parquet",
    "parquet_files",
    "read_parquet",
    "score_frame",
    "score_parquet",
    "scored",
    "train_gbm",
]
