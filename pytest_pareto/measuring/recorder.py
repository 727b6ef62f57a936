"""The recorder: what a test (or a notebook cell) measured and recorded, as one point."""

from __future__ import annotations

import contextlib
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import replace
from typing import Any, SupportsFloat

from pytest_pareto.errors import ConfigError
from pytest_pareto.judging.censoring import CallCensored, Deadline
from pytest_pareto.measuring.derived import Derivation, DerivedObjective, derive
from pytest_pareto.measuring.measure import Measurement, MeasureOptions, measure
from pytest_pareto.measuring.quality import QUALITY_METRICS
from pytest_pareto.model.machine import Machine
from pytest_pareto.model.metrics import (
    BUILTIN_METRICS,
    Direction,
    Metric,
    MetricRegistry,
    Variability,
)
from pytest_pareto.model.points import Observation, Point, Sample
from pytest_pareto.probes import Probe

__all__ = ["MeasureGuard", "Recorder", "select_probes"]

_METRIC_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")

MeasureGuard = Callable[[], AbstractContextManager[object]]
"""A context manager factory held around measuring noisy metrics (e.g. the host's
:func:`~pytest_pareto.store.locks.measurement_lock`, so parallel workers measure one at a time)."""


def select_probes(probes: Iterable[Probe], wanted: Iterable[str] | None) -> list[Probe]:
    """The probes to run: defaults when ``wanted`` is ``None``, else those measuring it."""
    if wanted is None:
        return [p for p in probes if p.default]
    names = set(wanted)
    return [p for p in probes if names & {m.name for m in p.metrics}]


def _as_number(name: str, value: object) -> float:
    """A finite float from a number or a numeric scalar (numpy, torch); never from text."""
    if isinstance(value, bool | str | bytes | bytearray) or not isinstance(value, SupportsFloat):
        shown = repr(value) if isinstance(value, bool | str | bytes | bytearray) else "..."
        raise ConfigError(
            f"record({name!r}, {shown}): value must be a number, got {type(value).__name__}"
        )
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        raise ConfigError(
            f"record({name!r}, ...): value must be a finite number, got {type(value).__name__}"
        ) from None
    if not math.isfinite(number):
        raise ConfigError(f"record({name!r}, {value!r}): value must be a finite number")
    return number


class Recorder:
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
        self.derived = tuple(derived)
        self._group = group
        self.censored: CallCensored | None = None
        """Set when the measured call ran past its timeout (the point is censored)."""

    # -- measuring ---------------------------------------------------------------------

    def __call__(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        """Measure ``fn(*args, **kwargs)`` and return its result."""
        return self._measure(fn, args, kwargs, self.options, None)

    def pedantic(
        self,
        target: Callable[..., Any],
        args: Sequence[Any] = (),
        kwargs: Mapping[str, Any] | None = None,
        setup: Callable[[], tuple[Sequence[Any], Mapping[str, Any]] | None] | None = None,
        teardown: Callable[..., Any] | None = None,
        rounds: int = 1,
        warmup_rounds: int = 0,
        iterations: int = 1,
    ) -> Any:
        """Measure ``target`` with exact control, as pytest-benchmark's ``benchmark.pedantic``
        (same arguments, in the same order).

        ``setup``, when given, runs untimed before every round and may return fresh
        ``(args, kwargs)`` (then ``args``/``kwargs`` must be empty); it needs
        ``iterations=1``. ``teardown`` runs untimed after every round with the round's
        arguments. Each of the ``warmup_rounds`` is a round like the timed ones, untimed.
        """
        if setup is not None and iterations != 1:
            raise ConfigError("pedantic(): setup= needs iterations=1 (setup runs once per round)")
        for name, value, minimum in (
            ("rounds", rounds, 1),
            ("iterations", iterations, 1),
            ("warmup_rounds", warmup_rounds, 0),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
                raise ConfigError(f"pedantic(): {name} must be an integer >= {minimum}")
        if setup is not None and (args or kwargs):
            user_setup = setup

            def setup_without_arguments() -> tuple[Sequence[Any], Mapping[str, Any]] | None:
                if user_setup() is not None:
                    raise ConfigError(
                        "pedantic(): setup returned arguments, but args= or kwargs= were given too"
                    )
                return None

            setup = setup_without_arguments
        call_args, call_kwargs = tuple(args), dict(kwargs or {})
        options = replace(self.options, rounds=rounds, iterations=iterations, warmup=0)

        def warm_up() -> None:
            # pytest-benchmark's warm-up rounds: setup, `iterations` calls, teardown.
            with Deadline(options.timeout) as deadline:
                for _ in range(warmup_rounds):
                    round_args, round_kwargs = call_args, call_kwargs
                    fresh = setup() if setup is not None else None
                    if fresh is not None:
                        round_args, round_kwargs = tuple(fresh[0]), dict(fresh[1])
                    deadline.arm(iterations, "warm-up")
                    for _ in range(iterations):
                        target(*round_args, **round_kwargs)
                    deadline.check()
                    if teardown is not None:
                        teardown(*round_args, **round_kwargs)

        return self._measure(target, call_args, call_kwargs, options, setup, teardown, warm_up)

    def _measure(
        self,
        fn: Callable[..., Any],
        args: Sequence[Any],
        kwargs: Mapping[str, Any],
        options: MeasureOptions,
        setup: Callable[[], tuple[Sequence[Any], Mapping[str, Any]] | None] | None,
        teardown: Callable[..., Any] | None = None,
        warm_up: Callable[[], None] | None = None,
    ) -> Any:
        if not callable(fn):
            raise ConfigError(f"pareto(fn, ...) needs a callable first, got {type(fn).__name__}")
        if self.measurement is not None or self.censored is not None:
            raise ConfigError(
                f"{self.test_id}: the pareto fixture measures one callable per test; "
                "split the test, or use a parametrized test for variants"
            )
        if not self.enabled:
            if setup is not None:
                fresh = setup()
                if fresh is not None:
                    args, kwargs = fresh
            result = fn(*args, **kwargs)
            if teardown is not None:
                teardown(*args, **kwargs)
            return result
        try:
            if warm_up is not None:
                warm_up()
            with self._guard():
                self.measurement = measure(
                    fn,
                    args,
                    kwargs,
                    probes=self.probes,
                    options=options,
                    setup=setup,
                    teardown=teardown,
                )
        except CallCensored as stop:
            self._record_censored(stop)
            raise
        both = sorted(set(self.measurement.samples) & set(self._samples))
        if both:
            raise ConfigError(
                f"{self.test_id}: {', '.join(both)} recorded with pareto.record() and also "
                "measured; record your own value under another name, or leave it to the probe"
            )
        for probe in self.probes:
            for metric in probe.metrics:
                if metric.name in self.measurement.samples:
                    self._metrics[metric.name] = self.registry.get(metric.name) or metric
        self._samples.update(self.measurement.samples)
        return self.measurement.result

    def _record_censored(self, stop: CallCensored) -> None:
        # Only the time is known (as a lower bound); every other probe's reading is lost.
        wall_time = BUILTIN_METRICS["wall_time"]
        self.censored = stop
        self._metrics[wall_time.name] = self.registry.get(wall_time.name) or wall_time
        self._samples[wall_time.name] = Sample((stop.lower_bound,))

    @property
    def group(self) -> str | None:
        """The group (shared variant frontier) of this test, from the marker's ``group=``."""
        return self._group

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
        value: SupportsFloat,
        unit: str | None = None,
        better: str | None = None,
        *,
        noisy: bool | None = None,
    ) -> None:
        """Record a metric of your own (accuracy, loss, tokens/s) as an objective.

        ``better`` is ``"lower"`` or ``"higher"``; left out, it comes from the metric's
        definition (a plugin's, or :data:`~pytest_pareto.measuring.quality.QUALITY_METRICS`:
        accuracy and f1 are higher-is-better), else ``"lower"``. A ``better`` that contradicts the
        definition is an error. Values are deterministic unless ``noisy=True`` or the
        definition says so (then they are judged with statistics like measured times).
        """
        if not isinstance(name, str) or not _METRIC_NAME.match(name):
            raise ConfigError(
                f"record(): metric name {name!r} must start with a letter or _ and contain only "
                "letters, digits, _, . and -"
            )
        number = _as_number(name, value)
        if name in {objective.name for objective in self.derived}:
            raise ConfigError(f"record(): {name!r} is a derived objective of this test")
        if name in self._samples:
            how = (
                "measured" if self.measurement and name in self.measurement.samples else "recorded"
            )
            raise ConfigError(f"record(): {name!r} was already {how} in {self.test_id}")
        known = self.registry.get(name) or QUALITY_METRICS.get(name)
        default = known.direction if known is not None else Direction.LOWER
        direction = Direction.parse(better) if better is not None else default
        unit = unit if unit is not None else (known.unit if known else "")
        if noisy is None:
            variability = known.variability if known else Variability.DETERMINISTIC
        else:
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
        self._samples[name] = Sample((number,))

    def include(self, samples: Mapping[str, Sample], metrics: Mapping[str, Metric]) -> None:
        """Add metrics measured in another process (e.g. a notebook kernel) as if measured here.

        ``metrics`` must define every name in ``samples``; a name this recorder already holds
        is an error.
        """
        undefined = sorted(set(samples) - set(metrics))
        if undefined:
            raise ConfigError(f"{self.test_id}: metrics {undefined} have no definition")
        repeated = sorted(set(samples) & set(self._samples))
        if repeated:
            raise ConfigError(f"{self.test_id}: metrics {repeated} were already recorded")
        for name, sample in samples.items():
            self._metrics[name] = metrics[name]
            self._samples[name] = sample

    # -- result ------------------------------------------------------------------------

    def _derivation(self) -> Derivation:
        observations = {name: Observation((sample,)) for name, sample in self._samples.items()}
        return derive(self.derived, observations, self._metrics)

    @property
    def metrics(self) -> dict[str, Metric]:
        """Every metric of the point: measured, recorded and derived."""
        return {**self._metrics, **self._derivation().metrics}

    @property
    def notes(self) -> tuple[str, ...]:
        """Why derived objectives asked for could not be computed."""
        return self._derivation().notes if self.derived else ()

    @property
    def used(self) -> bool:
        return bool(self._samples)

    def point(self, *, commit: str | None = None, machine: Machine | None = None) -> Point | None:
        """The point this recorder holds, or ``None`` if nothing was measured or recorded."""
        if not self._samples:
            return None
        censored = {"wall_time"} if self.censored is not None else set()
        observations = {
            name: Observation((sample,), censored=name in censored)
            for name, sample in self._samples.items()
        }
        observations.update(self._derivation().observations)
        return Point(
            observations=observations,
            commit=commit,
            machine=machine,
            extra_info=dict(self.extra_info),
        )
