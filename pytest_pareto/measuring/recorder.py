"""The recorder: what a test (or a notebook cell) measured and recorded, as one point.

Its parts by concern: :mod:`~pytest_pareto.measuring.user_metrics` (``record``,
``include``, derived objectives) and :mod:`~pytest_pareto.measuring.benchmark_calls`
(pytest-benchmark's ``pedantic``, ``extra_info`` and ``group``); here, measuring one call.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from typing import Any

from pytest_pareto.errors import ConfigError
from pytest_pareto.measuring.benchmark_calls import BenchmarkCalls
from pytest_pareto.measuring.deadlines import CallCensored
from pytest_pareto.measuring.derived import DerivedObjective
from pytest_pareto.measuring.measure import Measurement, MeasureOptions, measure_call
from pytest_pareto.measuring.measured_call import MeasuredCall
from pytest_pareto.measuring.speed_reference import PROCESS_SLOWDOWN
from pytest_pareto.measuring.user_metrics import UserMetrics
from pytest_pareto.model.machine import Machine
from pytest_pareto.model.metrics import MetricRegistry
from pytest_pareto.model.points import Point
from pytest_pareto.probes import Probe

__all__ = ["MeasureGuard", "Recorder", "select_probes"]

MeasureGuard = Callable[[], AbstractContextManager[object]]
"""A context manager factory held around measuring noisy metrics (e.g. the host's
:func:`~pytest_pareto.store.locks.measurement_lock`, so parallel workers measure one at a time)."""


def select_probes(probes: Iterable[Probe], wanted: Iterable[str] | None) -> list[Probe]:
    """The probes to run: defaults when ``wanted`` is ``None``, else those measuring it."""
    if wanted is None:
        return [p for p in probes if p.default]
    names = set(wanted)
    return [p for p in probes if names & {m.name for m in p.metrics}]


class Recorder(UserMetrics, BenchmarkCalls):
    """Measures a callable and collects user metrics; becomes one :class:`Point`.

    This is the ``pareto`` fixture's object::

        result = pareto(model.predict, X)          # measured; returns fn's result
        pareto.record("accuracy", acc)             # accuracy is known: higher is better
        pareto.extra_info["batch"] = 64
    """

    def __init__(
        self,
        test_id: str,
        *,
        probes: Sequence[Probe] = (),
        options: MeasureOptions | None = None,
        registry: MetricRegistry | None = None,
        enabled: bool = True,
        derived: Sequence[DerivedObjective] = (),
        group: str | None = None,
        measure_guard: MeasureGuard | None = None,
    ) -> None:
        UserMetrics.__init__(self, test_id, registry or MetricRegistry(), derived)
        BenchmarkCalls.__init__(self, group)
        self.probes = list(probes)
        self.options = options or MeasureOptions()
        self.enabled = enabled
        self.measure_guard = measure_guard
        self.measurement: Measurement | None = None
        self.call: MeasuredCall | None = None
        """The measured call, kept for one profiled pass after judging (if asked for)."""
        self.censored: CallCensored | None = None
        """Set when the measured call ran past its timeout (the point is censored)."""

    def __call__(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        """Measure ``fn(*args, **kwargs)`` and return its result."""
        return self._measure(MeasuredCall(fn, args, kwargs), self.options)

    def _measure(self, call: MeasuredCall, options: MeasureOptions) -> Any:
        if not callable(call.fn):
            raise ConfigError(
                f"pareto(fn, ...) needs a callable first, got {type(call.fn).__name__}"
            )
        if self.measurement is not None or self.censored is not None:
            raise ConfigError(
                f"{self.test_id}: the pareto fixture measures one callable per test; "
                "split the test, or use a parametrized test for variants"
            )
        if not self.enabled:
            return call.once()
        try:
            with self._guard():
                self.measurement = measure_call(call, probes=self.probes, options=options)
        except CallCensored as stop:
            # Only the time is known (as a lower bound); every other probe's reading is lost.
            self.censored = stop
            self._add_time_bound(stop.lower_bound)
            raise
        self.call = call
        self._add_measured(self.measurement.samples, self.probes)
        if self.measurement.process_slowdown is not None:
            self.extra_info[PROCESS_SLOWDOWN] = round(self.measurement.process_slowdown, 2)
        return self.measurement.result

    def _guard(self) -> AbstractContextManager[object]:
        """The measure guard, when a probe measures a noisy metric (others need no quiet)."""
        noisy = any(metric.noisy for probe in self.probes for metric in probe.metrics)
        if self.measure_guard is None or not noisy:
            return contextlib.nullcontext()
        return self.measure_guard()

    def point(self, *, commit: str | None = None, machine: Machine | None = None) -> Point | None:
        """The point this recorder holds, or ``None`` if nothing was measured or recorded."""
        if not self.used:
            return None
        censored = {"wall_time"} if self.censored is not None else set()
        return Point(
            observations=self._observations(censored),
            commit=commit,
            machine=machine,
            extra_info=dict(self.extra_info),
        )
