"""Peak of Python heap allocations during one call, with tracemalloc.

tracemalloc slows Python code several-fold, so this probe runs in its own pass, never while
timing. The value is deterministic for the same code, inputs and Python version.
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Mapping

from pytest_pareto.model.metrics import BUILTIN_METRICS, Metric
from pytest_pareto.probes._protocol import Availability, Scope

__all__ = ["PyAllocProbe", "PyAllocRetainedProbe"]


class PyAllocProbe:
    name: str = "py_alloc"
    metrics: tuple[Metric, ...] = (BUILTIN_METRICS["py_alloc_peak"],)
    scope: Scope = Scope.SEPARATE
    per_call: frozenset[str] = frozenset()
    default: bool = True

    def __init__(self) -> None:
        self._started_here = False
        self._before = 0

    def availability(self) -> Availability:
        return Availability.yes("tracemalloc, one call in a separate pass")

    def start(self) -> None:
        self._started_here = not tracemalloc.is_tracing()
        if self._started_here:
            tracemalloc.start()
        tracemalloc.reset_peak()
        self._before = tracemalloc.get_traced_memory()[0]

    def stop(self) -> Mapping[str, float]:
        _, peak = tracemalloc.get_traced_memory()
        if self._started_here:
            tracemalloc.stop()
        return {"py_alloc_peak": float(max(0, peak - self._before))}


class PyAllocRetainedProbe(PyAllocProbe):
    """Python heap still allocated after one call, beyond before it (opt-in).

    Memory a call leaves behind: its result, a growing cache, or a leak. Deterministic for
    the same code and inputs.
    """

    name: str = "py_alloc_retained"
    metrics: tuple[Metric, ...] = (BUILTIN_METRICS["py_alloc_retained"],)
    default: bool = False

    def availability(self) -> Availability:
        return Availability.yes("tracemalloc, heap after one call minus before (result included)")

    def stop(self) -> Mapping[str, float]:
        current, _ = tracemalloc.get_traced_memory()
        if self._started_here:
            tracemalloc.stop()
        return {"py_alloc_retained": float(max(0, current - self._before))}
