"""The recorder: what a test (or a notebook cell) measured and recorded, as one point."""

from __future__ import annotations

import contextlib
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import replace
from typing import Any

from pytest_pareto.errors import ConfigError
from pytest_pareto.machine import Machine
from pytest_pareto.measure import Measurement, MeasureOptions, measure
from pytest_pareto.metrics import BUILTIN_METRICS, Direction, Metric, MetricRegistry, Variability
from pytest_pareto.model import Observation, Point, Sample
from pytest_pareto.probes import Probe

__all__ = ["MeasureGuard", "Recorder", "select_probes"]

_METRIC_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")

MeasureGuard = Callable[[], AbstractContextManager[object]]
"""A context manager factory held around measuring noisy metrics (e.g. the host's
:func:`~pytest_pareto.locks.measurement_lock`, so parallel workers measure one at a time)."""


def select_probes(probes: Iterable[Probe], wanted: Iterable[str] | None) -> list[Probe]:
    """The probes to run: defaults when ``wanted`` is ``None``, else those measuring it."""
    if wanted is None:
        return [p for p in probes if p.default]
    names = set(wanted)
    return [p for p in probes if names & {m.name for m in p.metrics}]


class Recorder:
    """Measures a callable and collects user metrics; becomes one :class:`Point`.

    This is the ``pareto`` fixture's object::

        result = pareto(model.predict, X)          # measured; returns fn's result
        pareto.record("accuracy", acc, better="higher")
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
        measure_guard: MeasureGuard | None = None,
    ) -> None:
        self.test_id = test_id
        self.probes = list(probes)
        self.options = options or MeasureOptions()
        self.registry = registry or MetricRegistry()
        self.enabled = enabled
        self.measure_guard = measure_guard
        self.extra_info: dict[str, Any] = {}
        self.measurement: Measurement | None = None
        self._samples: dict[str, Sample] = {}
        self._metrics: dict[str, Metric] = {}

    # -- measuring ---------------------------------------------------------------------

    def __call__(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        """Measure ``fn(*args, **kwargs)`` and return its result."""
        return self._measure(fn, args, kwargs, self.options, None)

    def pedantic(
        self,
        fn: Callable[..., Any],
        args: Sequence[Any] = (),
        kwargs: Mapping[str, Any] | None = None,
        *,
        setup: Callable[[], tuple[Sequence[Any], Mapping[str, Any]] | None] | None = None,
        rounds: int = 1,
        iterations: int = 1,
        warmup_rounds: int = 0,
    ) -> Any:
        """Measure with exact control, as pytest-benchmark's ``benchmark.pedantic``.

        ``setup``, when given, runs untimed before every round and may return fresh
        ``(args, kwargs)``; it needs ``iterations=1``.
        """
        if setup is not None and iterations != 1:
            raise ConfigError("pedantic(): setup= needs iterations=1 (setup runs once per round)")
        options = replace(self.options, rounds=rounds, iterations=iterations, warmup=warmup_rounds)
        return self._measure(fn, tuple(args), dict(kwargs or {}), options, setup)

    def _measure(
        self,
        fn: Callable[..., Any],
        args: Sequence[Any],
        kwargs: Mapping[str, Any],
        options: MeasureOptions,
        setup: Callable[[], tuple[Sequence[Any], Mapping[str, Any]] | None] | None,
    ) -> Any:
        if not callable(fn):
            raise ConfigError(f"pareto(fn, ...) needs a callable first, got {type(fn).__name__}")
        if self.measurement is not None:
            raise ConfigError(
                f"{self.test_id}: the pareto fixture measures one callable per test; "
                "split the test, or use a parametrized test for variants"
            )
        if not self.enabled:
            if setup is not None:
                fresh = setup()
                if fresh is not None:
                    args, kwargs = fresh
            return fn(*args, **kwargs)
        with self._guard():
            self.measurement = measure(
                fn, args, kwargs, probes=self.probes, options=options, setup=setup
            )
        for probe in self.probes:
            for metric in probe.metrics:
                if metric.name in self.measurement.samples:
                    self._metrics[metric.name] = self.registry.get(metric.name) or metric
        self._samples.update(self.measurement.samples)
        return self.measurement.result

    def _guard(self) -> AbstractContextManager[object]:
        """The measure guard, when a probe measures a noisy metric (others need no quiet)."""
        noisy = any(metric.noisy for probe in self.probes for metric in probe.metrics)
        if self.measure_guard is None or not noisy:
            return contextlib.nullcontext()
        return self.measure_guard()

    # -- user metrics ------------------------------------------------------------------

    def record(
        self,
        name: str,
        value: float,
        unit: str | None = None,
        better: str = "lower",
        *,
        noisy: bool = False,
    ) -> None:
        """Record a metric of your own (accuracy, loss, tokens/s) as an objective.

        ``better`` is ``"lower"`` or ``"higher"``. Values are deterministic unless
        ``noisy=True`` (then they are judged with statistics like measured times).
        """
        if not isinstance(name, str) or not _METRIC_NAME.match(name):
            raise ConfigError(
                f"record(): metric name {name!r} must start with a letter or _ and contain only "
                "letters, digits, _, . and -"
            )
        if isinstance(value, bool | str | bytes | bytearray):
            raise ConfigError(
                f"record({name!r}, {value!r}): value must be a number, got {type(value).__name__}"
            )
        try:
            value = float(value)  # also numpy and torch scalars
        except (TypeError, ValueError, OverflowError):
            raise ConfigError(
                f"record({name!r}, ...): value must be a finite number, got {type(value).__name__}"
            ) from None
        if not math.isfinite(value):
            raise ConfigError(f"record({name!r}, {value!r}): value must be a finite number")
        direction = Direction.parse(better)
        if name in BUILTIN_METRICS or any(name in {m.name for m in p.metrics} for p in self.probes):
            raise ConfigError(
                f"record(): {name!r} is measured by pytest-pareto itself; record under another name"
            )
        if name in self._samples:
            raise ConfigError(f"record(): {name!r} was already recorded in {self.test_id}")
        known = self.registry.get(name)
        unit = unit if unit is not None else (known.unit if known else "")
        variability = Variability.NOISY if noisy else Variability.DETERMINISTIC
        if known is not None and known.direction is not direction:
            raise ConfigError(
                f"record({name!r}): better={direction.value} conflicts with the registered "
                f"metric {name!r} (better={known.direction.value})"
            )
        metric = Metric(
            name,
            unit,
            direction,
            variability,
            description=known.description if known else "",
            floor=known.floor if known else 0.0,
        )
        self._metrics[name] = metric
        self._samples[name] = Sample((float(value),))

    # -- result ------------------------------------------------------------------------

    @property
    def metrics(self) -> dict[str, Metric]:
        return dict(self._metrics)

    @property
    def used(self) -> bool:
        return bool(self._samples)

    def point(self, *, commit: str | None = None, machine: Machine | None = None) -> Point | None:
        """The point this recorder holds, or ``None`` if nothing was measured or recorded."""
        if not self._samples:
            return None
        observations = {name: Observation((sample,)) for name, sample in self._samples.items()}
        return Point(
            observations=observations,
            commit=commit,
            machine=machine,
            extra_info=dict(self.extra_info),
        )
