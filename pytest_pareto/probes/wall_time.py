"""Wall-clock time with ``time.perf_counter_ns`` (1 ns resolution)."""

from __future__ import annotations

import time
from collections.abc import Mapping

from pytest_pareto.model.metrics import BUILTIN_METRICS, Metric
from pytest_pareto.probes._protocol import Availability, Scope

__all__ = ["WallTimeProbe"]


class WallTimeProbe:
    name: str = "wall_time"
    metrics: tuple[Metric, ...] = (BUILTIN_METRICS["wall_time"],)
    scope: Scope = Scope.TIMER
    per_call: frozenset[str] = frozenset({"wall_time"})
    default: bool = True

    def __init__(self) -> None:
        self._start = 0

    def availability(self) -> Availability:
        return Availability.yes("time.perf_counter_ns")

    def start(self) -> None:
        self._start = time.perf_counter_ns()

    def stop(self) -> Mapping[str, float]:
        elapsed = time.perf_counter_ns() - self._start
        return {"wall_time": elapsed / 1e9}
