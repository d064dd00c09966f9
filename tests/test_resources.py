"""The build's resource meter against a child process of known size and a known pause."""

from __future__ import annotations

import subprocess
import sys
import time

import psutil

from riskresearch.resources import ResourceMeter, tree_rss

#: a child that holds 300 MiB of touched memory for 1.5 seconds
_HOLD = (
    "import time; b = bytearray(300 * 2**20); b[::4096] = b'x' * len(b[::4096]); time.sleep(1.5)"
)


def test_a_childs_memory_counts_in_the_step_and_not_after_it():
    meter = ResourceMeter(interval=0.05)
    with meter.step("idle"):
        time.sleep(0.3)
    with meter.step("child"):
        subprocess.run([sys.executable, "-c", _HOLD], check=True)
    idle, child = meter.steps
    assert (idle.step, child.step) == ("idle", "child")
    assert idle.seconds >= 0.3 and child.seconds >= 1.5  # at least the pauses (a lower bound)
    # the child's 300 MiB on top of this process: counted in its step, not in the idle one
    assert child.peak_rss_mib - idle.peak_rss_mib >= 250
    own = psutil.Process().memory_info().rss / 2**20
    assert idle.peak_rss_mib >= own * 0.9
    summary = meter.summary()
    assert [s["step"] for s in summary["steps"]] == ["idle", "child"]
    assert summary["peak_rss_mib"] == round(child.peak_rss_mib)


def test_tree_rss_skips_children_that_vanish():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert tree_rss(psutil.Process()) >= psutil.Process().memory_info().rss
