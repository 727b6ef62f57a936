"""The probe protocol: how the measuring loop talks to every probe."""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from pytest_pareto.model.metrics import Metric

__all__ = ["Availability", "CallProbe", "Probe", "Scope"]


class Scope(enum.Enum):
    """Where in the measuring loop a probe's start/stop bracket goes."""

    TIMER = "timer"
    """Innermost, right around the calls of each timed round (clocks)."""
    ROUND = "round"
    """Around each timed round, outside the clocks (cheap counters such as peak RSS)."""
    PASS = "pass"
    """Around the whole timed pass (slow counters such as energy); a
    :class:`PausableProbe` leaves the untimed work between rounds out."""
    SEPARATE = "separate"
    """Its own untimed pass of one call, because it slows the code (tracemalloc, FLOPs)."""
    CALL = "call"
    """Gets the callable itself and measures it its own way, e.g. in a subprocess under
    valgrind (:class:`CallProbe`); after every other pass."""


@dataclass(frozen=True)
class Availability:
    """Whether a probe can measure here, and how, or why not and what would fix it."""

    available: bool
    method: str = ""
    """How it measures when available, e.g. ``kernel high-water mark``."""
    reason: str = ""
    """Why it is unavailable, with the fix when there is one."""

    @classmethod
    def yes(cls, method: str) -> Availability:
        return cls(True, method=method)

    @classmethod
    def no(cls, reason: str) -> Availability:
        return cls(False, reason=reason)

    def describe(self) -> str:
        return self.method if self.available else f"unavailable: {self.reason}"


@runtime_checkable
class Probe(Protocol):
    """A measurement around a stretch of calls.

    The loop calls :meth:`start` then :meth:`stop` around ``iterations`` calls of the
    measured function; :meth:`stop` returns each metric's value for the whole stretch.
    Metrics named in :attr:`per_call` are divided by the number of calls.
    """

    name: str
    metrics: tuple[Metric, ...]
    scope: Scope
    per_call: frozenset[str]
    default: bool
    """Whether it runs when a test names no metrics."""

    def availability(self) -> Availability: ...

    def start(self) -> None: ...

    def stop(self) -> Mapping[str, float]: ...


@runtime_checkable
class CallProbe(Probe, Protocol):
    """A probe of scope :attr:`Scope.CALL`: it is handed the measured call itself."""

    def measure_call(
        self, fn: Callable[..., Any], args: Sequence[Any], kwargs: Mapping[str, Any]
    ) -> Mapping[str, float]:
        """Measure ``fn(*args, **kwargs)``; values are per call."""
        ...


@runtime_checkable
class PausableProbe(Probe, Protocol):
    """A probe of scope :attr:`Scope.PASS` whose window can leave segments out.

    The loop pauses it around everything between timed rounds (calibration loops, ``setup``
    and ``teardown``, the round probes), so that a counter such as energy attributes to the
    call only what the timed calls used.
    """

    def pause(self) -> None: ...

    def resume(self) -> None: ...
