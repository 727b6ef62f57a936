"""CPU time of this process (user + system, all threads) with ``time.process_time_ns``."""

from __future__ import annotations

import time
from collections.abc import Mapping

from pytest_pareto.metrics import BUILTIN_METRICS
from pytest_pareto.probes._protocol import Availability, Scope

__all__ = ["CpuTimeProbe"]


class CpuTimeProbe:
    name = "cpu_time"
    metrics = (BUILTIN_METRICS["cpu_time"],)
    scope = Scope.TIMER
    per_call = frozenset({"cpu_time"})
    default = True

    def __init__(self) -> None:
        self._start = 0

    def availability(self) -> Availability:
        info = time.get_clock_info("process_time")
        return Availability.yes(f"time.process_time_ns ({info.implementation})")

    def start(self) -> None:
        self._start = time.process_time_ns()

    def stop(self) -> Mapping[str, float]:
        return {"cpu_time": (time.process_time_ns() - self._start) / 1e9}
