"""One traced pass of a measured call (``tracemalloc``): which lines held memory at its peak.

Like the profiled pass (:mod:`~pytest_pareto.measuring.profiling`) it runs after the timed
rounds, only when a verdict asks where the memory went (dominated on ``py_alloc_peak`` or
``peak_rss``) or a baseline is recorded. A snapshot is taken whenever the traced memory
has grown by a quarter since the last one, at function returns: the last one shows what
was alive near the peak, grouped by ``file:line``.
"""

from __future__ import annotations

import sys
import tracemalloc
from collections.abc import Mapping
from dataclasses import dataclass
from types import FrameType
from typing import Any

from pytest_pareto.measuring import measured_call
from pytest_pareto.measuring.measured_call import MeasuredCall
from pytest_pareto.measuring.profiling import short_path

__all__ = [
    "ALLOCATIONS_INFO",
    "MEMORY_METRICS",
    "AllocationSummary",
    "LineAllocation",
    "allocations_at_peak",
]

ALLOCATIONS_INFO = "pareto_allocations"
"""``extra_info`` key of a point's allocation summary."""

MEMORY_METRICS = frozenset({"py_alloc_peak", "peak_rss"})
"""Metrics an allocation summary explains (``peak_rss`` only in part: not every byte of a
process is a Python allocation)."""

KEPT_LINES = 24
_GROWTH = 1.25
"""A new snapshot when the traced memory grew by this factor: few snapshots, near the peak."""


@dataclass(frozen=True)
class LineAllocation:
    """Bytes (and blocks) allocated by one line and alive near the call's peak."""

    location: str
    size: int
    blocks: int


@dataclass(frozen=True)
class AllocationSummary:
    """The lines holding the most memory near the peak, most first."""

    lines: tuple[LineAllocation, ...]

    def to_json(self) -> dict[str, Any]:
        return {"unit": "B", "lines": [[a.location, a.size, a.blocks] for a in self.lines]}

    @classmethod
    def from_json(cls, data: object) -> AllocationSummary | None:
        """The summary in ``data``; ``None`` when there is none or it is unreadable."""
        if not isinstance(data, Mapping) or not isinstance(data.get("lines"), list):
            return None
        try:
            return cls(tuple(LineAllocation(str(w), int(s), int(b)) for w, s, b in data["lines"]))
        except (TypeError, ValueError):
            return None

    @classmethod
    def of_point_info(cls, extra_info: Mapping[str, Any]) -> AllocationSummary | None:
        return cls.from_json(extra_info.get(ALLOCATIONS_INFO))


class _PeakSnapshots:
    """A profile hook that snapshots the traced memory each time it grew enough."""

    def __init__(self) -> None:
        self.best = tracemalloc.get_traced_memory()[0]
        self.snapshot: tracemalloc.Snapshot | None = None

    def __call__(self, frame: FrameType, event: str, arg: object) -> None:
        if event not in ("return", "c_return"):
            return
        current = tracemalloc.get_traced_memory()[0]
        if current > self.best * _GROWTH or self.snapshot is None:
            self.best = max(self.best, current)
            self.snapshot = tracemalloc.take_snapshot()


def _summary(
    snapshot: tracemalloc.Snapshot, before: tracemalloc.Snapshot, keep: int
) -> AllocationSummary:
    ours = (tracemalloc.__file__, __file__, measured_call.__file__)
    filters = [tracemalloc.Filter(False, name) for name in ours]
    grown = snapshot.filter_traces(filters).compare_to(before.filter_traces(filters), "lineno")
    lines = []
    for stat in grown:
        if stat.size_diff <= 0:
            continue
        frame = stat.traceback[0]
        where = f"{short_path(frame.filename)}:{frame.lineno}"
        lines.append(LineAllocation(where, stat.size_diff, max(0, stat.count_diff)))
    lines.sort(key=lambda a: (-a.size, a.location))
    return AllocationSummary(tuple(lines[:keep]))


def allocations_at_peak(call: MeasuredCall, keep: int = KEPT_LINES) -> AllocationSummary:
    """Run ``call`` once more under ``tracemalloc``: the lines alive near its peak."""
    started = not tracemalloc.is_tracing()
    if started:
        tracemalloc.start()
    call.prepare()
    before = tracemalloc.take_snapshot()
    hook = _PeakSnapshots()
    previous = sys.getprofile()
    sys.setprofile(hook)
    try:
        call()
    finally:
        sys.setprofile(previous)
        hook(sys._getframe(), "return", None)  # the end of the call may be its peak
        call.finish()
        if started:
            tracemalloc.stop()
    assert hook.snapshot is not None
    return _summary(hook.snapshot, before, keep)
