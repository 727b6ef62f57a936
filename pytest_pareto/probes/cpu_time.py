"""CPU time of this process (user + system, all threads) with ``time.process_time_ns``."""

from __future__ import annotations

import time
from collections.abc import Mapping

from pytest_pareto.model.metrics import BUILTIN_METRICS, Metric
from pytest_pareto.probes._protocol import Availability, Scope

__all__ = ["CpuTimeProbe"]


class CpuTimeProbe:
    name: str = "cpu_time"
    metrics: tuple[Metric, ...] = (BUILTIN_METRICS["cpu_time"],)
    scope: Scope = Scope.TIMER
    per_call: frozenset[str] = frozenset({"cpu_time"})
    default: bool = True

    def __init__(self) -> None:
        self._start = 0

    def availability(self) -> Availability:
        info = time.get_clock_info("process_time")
        return Availability.yes(f"time.process_time_ns ({info.implementation})")

    def start(self) -> None:
        self._start = time.process_time_ns()

    def stop(self) -> Mapping[str, float]:
        return {"cpu_time": (time.process_time_ns() - self._start) / 1e9}
