"""A Dask client: a ``LocalCluster`` sized for the machine, or a scheduler named by address."""

from __future__ import annotations

import logging
import os
import warnings

from riskresearch.errors import ConfigError

#: Seconds to wait for a scheduler named by address before giving up with one line.
CONNECT_TIMEOUT = 10


def client(
    address: str | None = None,
    n_workers: int | None = None,
    threads_per_worker: int = 1,
    memory_limit: str | int | None = None,
    timeout: float | None = None,
):
    """A ``distributed.Client``: on a new ``LocalCluster``, or connected to ``address``.

    Use it as a context manager; closing a client that started its own cluster also stops the
    cluster's workers.

    Parameters
    ----------
    address : str, optional
        Scheduler address such as ``tcp://10.0.0.5:8786``. None starts a local cluster.
    n_workers : int, optional
        Local worker processes (default: one per core, at most 4).
    threads_per_worker : int, default 1
        One thread per worker process: scoring is numpy work that holds the GIL in parts,
        so processes scale better than threads.
    memory_limit : str or int, optional
        Per local worker, e.g. ``"2GiB"``; default half the machine's memory shared by the
        workers, at most 4 GiB each. A worker spills to disk and is paused before it is killed.
    timeout : float, optional
        Seconds to wait for a remote scheduler (default :data:`CONNECT_TIMEOUT`).

    Raises
    ------
    ConfigError
        When the scheduler at ``address`` cannot be reached, or the address is malformed.

    Examples
    --------
    >>> with client() as c:                          # doctest: +SKIP
    ...     score_parquet(scorer, "apps/", "scores/")
    """
    from distributed import Client

    if address is not None:
        if not isinstance(address, str) or not address.strip():
            raise ConfigError(
                f"The scheduler address must be text such as 'tcp://host:8786'. Got {address!r}."
            )
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                wait = CONNECT_TIMEOUT if timeout is None else timeout
                return Client(address, timeout=wait, set_as_default=False)
        except (OSError, ValueError, TypeError, TimeoutError) as exc:
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise ConfigError(
                f"Cannot reach the Dask scheduler at '{address}' ({reason}). Start one with "
                "'dask scheduler' (and workers with 'dask worker ADDRESS'), fix the address, or "
                "drop --scheduler to use a local cluster."
            ) from None
    cores = os.cpu_count() or 1
    n = int(n_workers or min(cores, 4))
    if n < 1 or threads_per_worker < 1:
        raise ConfigError(
            f"A local cluster needs at least one worker and one thread. Got n_workers={n}, "
            f"threads_per_worker={threads_per_worker}."
        )
    if memory_limit is None:
        import psutil

        memory_limit = int(min(psutil.virtual_memory().total / 2 / n, 4 * 2**30))
    return Client(
        n_workers=n,
        threads_per_worker=threads_per_worker,
        processes=True,
        memory_limit=memory_limit,
        dashboard_address=":0",  # any free port: several clusters may share a machine
        # nothing below CRITICAL: a task's error reaches the caller as an exception (one line
        # in the CLI), so the worker's own log of it ("Compute Failed" and a traceback) would
        # only print it twice
        silence_logs=logging.CRITICAL,
        set_as_default=False,
    )
