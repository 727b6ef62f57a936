"""The recorder: what a test (or a notebook cell) measured and recorded, as one point."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any, SupportsFloat

from pytest_pareto.errors import ConfigError
from pytest_pareto.machine import Machine
from pytest_pareto.measure import Measurement, MeasureOptions, measure
from pytest_pareto.metrics import BUILTIN_METRICS, Direction, Metric, MetricRegistry, Variability
from pytest_pareto.model import Observation, Point, Sample
from pytest_pareto.probes import Probe

__all__ = ["Recorder", "select_probes"]

_METRIC_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")


def select_probes(probes: Iterable[Probe], wanted: Iterable[str] | None) -> list[Probe]:
    """The probes to run: defaults when ``wanted`` is ``None``, else those measuring it."""
    if wanted is None:
        return [p for p in probes if p.default]
    names = set(wanted)
    return [p for p in probes if names & {m.name for m in p.metrics}]


def _as_number(name: str, value: object) -> float:
    """A finite float from a number or a numeric scalar (numpy, torch); never from text."""
    if isinstance(value, bool | str | bytes) or not isinstance(value, SupportsFloat):
        raise ConfigError(
            f"record({name!r}, ...): value must be a number, got {type(value).__name__}"
        )
    number = float(value)
    if not math.isfinite(number):
        raise ConfigError(f"record({name!r}, {value!r}): value must be a finite number")
    return number


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
    ) -> None:
        self.test_id = test_id
        self.probes = list(probes)
        self.options = options or MeasureOptions()
        self.registry = registry or MetricRegistry()
        self.enabled = enabled
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
        self.measurement = measure(
            fn, args, kwargs, probes=self.probes, options=options, setup=setup
        )
        for probe in self.probes:
            for metric in probe.metrics:
                if metric.name in self.measurement.samples:
                    self._metrics[metric.name] = self.registry.get(metric.name) or metric
        self._samples.update(self.measurement.samples)
        return self.measurement.result

    # -- user metrics ------------------------------------------------------------------

    def record(
        self,
        name: str,
        value: SupportsFloat,
        unit: str | None = None,
        better: str | None = None,
        *,
        noisy: bool = False,
    ) -> None:
        """Record a metric of your own (accuracy, loss, tokens/s) as an objective.

        ``better`` is ``"lower"`` or ``"higher"``; when omitted it comes from the metric's
        registered definition (see the ``pytest_pareto_add_metrics`` hook), else ``"lower"``.
        Values are deterministic unless ``noisy=True`` (then they are judged with statistics
        like measured times).
        """
        if not isinstance(name, str) or not _METRIC_NAME.match(name):
            raise ConfigError(
                f"record(): metric name {name!r} must start with a letter or _ and contain only "
                "letters, digits, _, . and -"
            )
        number = _as_number(name, value)
        if name in BUILTIN_METRICS or any(name in {m.name for m in p.metrics} for p in self.probes):
            raise ConfigError(
                f"record(): {name!r} is measured by pytest-pareto itself; record under another name"
            )
        if name in self._samples:
            raise ConfigError(f"record(): {name!r} was already recorded in {self.test_id}")
        known = self.registry.get(name)
        unit = unit if unit is not None else (known.unit if known else "")
        variability = Variability.NOISY if noisy else Variability.DETERMINISTIC
        if better is not None:
            direction = Direction.parse(better)
        else:
            direction = known.direction if known is not None else Direction.LOWER
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
        self._samples[name] = Sample((number,))

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
