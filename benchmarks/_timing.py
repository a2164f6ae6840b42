"""Small timing helpers shared by the benchmark scripts (whole-process and in-process)."""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
COACH = [sys.executable, "-m", "assistant"]


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"


def time_command(cmd: Sequence[str], runs: int = 7, warmup: int = 1,
                 env: dict[str, str] | None = None) -> list[float]:
    """Wall-clock seconds of whole runs of `cmd` (after `warmup` untimed runs)."""
    full_env = {**os.environ, **(env or {})}
    times = []
    for i in range(warmup + runs):
        start = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       env=full_env, check=True, cwd=REPO)
        if i >= warmup:
            times.append(time.perf_counter() - start)
    return times


def time_calls(fn: Callable[[], object], runs: int = 200, warmup: int = 20) -> list[float]:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def pct(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def median(values: Sequence[float]) -> float:
    return statistics.median(values)
