"""Wall time and peak memory of the steps of a build (each notebook runs in its own kernel).

:class:`ResourceMeter` samples the resident memory (RSS) of this process and all its
descendants, so a notebook's kernel counts while it runs, a few times a second in a background
thread; a step's peak is the largest sum seen during it. Sampling can miss a spike shorter than
the interval, so the peaks are a close lower bound, not an exact high-water mark.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass

import psutil

__all__ = ["ResourceMeter", "StepUsage"]


@dataclass(frozen=True)
class StepUsage:
    """One step's wall time (seconds) and peak RSS of the process tree (MiB)."""

    step: str
    seconds: float
    peak_rss_mib: float

    def to_dict(self) -> dict[str, float | str]:
        return {
            **asdict(self),
            "seconds": round(self.seconds, 1),
            "peak_rss_mib": round(self.peak_rss_mib),
        }


def tree_rss(process: psutil.Process) -> int:
    """Bytes resident in ``process`` and its descendants (those that vanish are skipped)."""
    total = 0
    for p in (process, *process.children(recursive=True)):
        try:
            total += p.memory_info().rss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return total


class ResourceMeter:
    """Measures steps: ``with meter.step("02_binning.ipynb"): ...``; :attr:`steps` in order.

    Parameters
    ----------
    interval : float, default 0.25
        Seconds between memory samples.
    """

    def __init__(self, interval: float = 0.25) -> None:
        self.interval = interval
        self.steps: list[StepUsage] = []
        self._process = psutil.Process()

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        peak = [tree_rss(self._process)]
        done = threading.Event()

        def sample() -> None:
            while not done.wait(self.interval):
                peak[0] = max(peak[0], tree_rss(self._process))

        thread = threading.Thread(target=sample, name=f"meter:{name}", daemon=True)
        start = time.perf_counter()
        thread.start()
        try:
            yield
        finally:
            done.set()
            thread.join()
            peak[0] = max(peak[0], tree_rss(self._process))
            self.steps.append(StepUsage(name, time.perf_counter() - start, peak[0] / 2**20))

    def summary(self) -> dict:
        """The steps and the whole build: ``{"steps": [...], "seconds", "peak_rss_mib"}``."""
        return {
            "steps": [s.to_dict() for s in self.steps],
            "seconds": round(sum(s.seconds for s in self.steps), 1),
            "peak_rss_mib": round(max((s.peak_rss_mib for s in self.steps), default=0.0)),
        }
