"""Per-test options (the ``pareto`` marker's arguments), parsed and validated."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from pytest_pareto.errors import ConfigError
from pytest_pareto.judging.budgets import Budget, parse_budgets
from pytest_pareto.measuring.derived import DerivedObjective, parse_derived
from pytest_pareto.measuring.measure import MeasureOptions
from pytest_pareto.measuring.quality import QUALITY_METRICS
from pytest_pareto.measuring.repetitions import check_count, check_repetitions
from pytest_pareto.model.metrics import BUILTIN_METRICS, Tolerance, unknown_metrics_message
from pytest_pareto.probes import Probe

__all__ = ["MARKER_ARGUMENTS", "TestOptions", "known_metric_names"]


@dataclass(frozen=True)
class TestOptions:
    """What ``@pytest.mark.pareto(...)`` (or ``%%pareto`` options) asked for."""

    __test__ = False  # not a pytest test class

    metrics: tuple[str, ...] | None = None
    """Metrics that gate (and the probes to run); ``None``: every default probe and record."""
    tolerance: Mapping[str, Tolerance] = field(default_factory=dict)
    rounds: int | None = None
    warmup: int | None = None
    iterations: int | None = None
    max_time: float | None = None
    group: str | None = None
    """Variants sharing one frontier (see :mod:`pytest_pareto.frontier.groups`)."""
    budget: tuple[Budget, ...] = ()
    """Hard limits checked independently of the frontier (:mod:`pytest_pareto.judging.budgets`)."""
    timeout: float | None = None
    """Seconds a measured call may take before it is stopped and recorded as censored."""
    derived: tuple[DerivedObjective, ...] = ()
    """Derived objectives to compute (see :mod:`pytest_pareto.measuring.derived`)."""
    processes: int | None = None
    """Most replica processes per side for noisy metrics; ``None``: the run's setting."""

    def measure_options(self, base: MeasureOptions) -> MeasureOptions:
        changes: dict[str, Any] = {}
        for name in ("rounds", "iterations", "warmup", "max_time", "timeout"):
            value = getattr(self, name)
            if value is not None:
                changes[name] = value
        return MeasureOptions(**{**base.__dict__, **changes})

    @classmethod
    def from_kwargs(cls, kwargs: Mapping[str, Any], args: Sequence[Any] = ()) -> TestOptions:
        """Parse marker arguments; raise :class:`ConfigError` saying what is wrong."""
        if args:
            raise ConfigError(
                f"takes keyword arguments only ({', '.join(MARKER_ARGUMENTS)}), got {args!r}"
            )
        unknown = sorted(set(kwargs) - set(MARKER_ARGUMENTS))
        if unknown:
            raise ConfigError(
                f"unknown argument{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}; "
                f"expected some of: {', '.join(MARKER_ARGUMENTS)}"
            )
        metrics = kwargs.get("metrics")
        if metrics is not None:
            if isinstance(metrics, str):
                metrics = [metrics]
            if not isinstance(metrics, Sequence) or not all(isinstance(m, str) for m in metrics):
                raise ConfigError(f"metrics= must be a list of metric names, got {metrics!r}")
            if not metrics:
                raise ConfigError("metrics= must name at least one metric")
            metrics = tuple(metrics)
            if all(m in BUILTIN_METRICS and BUILTIN_METRICS[m].estimate for m in metrics):
                raise ConfigError(
                    f"metrics= names only estimates ({', '.join(metrics)}), which never gate: "
                    "add the measured metric they derive from, e.g. "
                    "metrics=['cpu_time', 'energy_estimate']"
                )
        tolerance = kwargs.get("tolerance", {})
        if isinstance(tolerance, int | float | str) and not isinstance(tolerance, bool):
            raise ConfigError(
                f"tolerance= must map metric names to tolerances, e.g. "
                f"tolerance={{'wall_time': 0.1}}, got {tolerance!r}"
            )
        if not isinstance(tolerance, Mapping):
            raise ConfigError(
                f"tolerance= must be a dict of metric name -> tolerance, got {tolerance!r}"
            )
        parsed_tolerance = {
            str(name): Tolerance.parse(spec, metric=str(name)) for name, spec in tolerance.items()
        }
        check_repetitions(kwargs.get("rounds"), kwargs.get("iterations"), kwargs.get("warmup"))
        max_time = _seconds(kwargs, "max_time")
        group = kwargs.get("group")
        if group is not None and (not isinstance(group, str) or not group.strip()):
            raise ConfigError(f"group= must be a non-empty string, got {group!r}")
        timeout = _seconds(kwargs, "timeout")
        budget_spec, derived_spec = kwargs.get("budget"), kwargs.get("derived")
        known = {**QUALITY_METRICS, **BUILTIN_METRICS}
        budget = parse_budgets(budget_spec, known) if budget_spec is not None else ()
        derived = parse_derived(derived_spec) if derived_spec is not None else ()
        processes = kwargs.get("processes")
        if processes is not None:
            check_count("processes=", processes, 1)
        return cls(
            metrics=metrics,
            tolerance=parsed_tolerance,
            rounds=kwargs.get("rounds"),
            warmup=kwargs.get("warmup"),
            iterations=kwargs.get("iterations"),
            max_time=max_time,
            group=group,
            processes=processes,
            budget=budget,
            timeout=timeout,
            derived=derived,
        )

    def named_metrics(self) -> set[str]:
        """Every metric named in ``metrics=``, ``tolerance=`` and ``budget=``."""
        return set(self.metrics or ()) | set(self.tolerance) | {b.metric for b in self.budget}

    def check_unknown_names(
        self, test_id: str, known: Iterable[str], has: Iterable[str] | None = None
    ) -> None:
        """A :class:`ConfigError` for named metrics that are neither ``known`` (a probe's, a
        plugin's, a quality metric) nor in ``has`` (recorded by the test), with the closest
        known names: a typo must not switch measuring off."""
        derived = {objective.name for objective in self.derived}
        unknown = self.named_metrics() - set(known) - set(has or ()) - derived
        if unknown:
            raise ConfigError(
                unknown_metrics_message(
                    unknown,
                    {*known, *(has or ())},
                    where=f"{test_id}: @pytest.mark.pareto: ",
                    has=has,
                )
            )

    def check_metric_names(self, test_id: str, known: Sequence[str]) -> None:
        """Every metric named in ``metrics=``, ``tolerance=`` and ``budget=`` must be one the
        test has."""
        unknown = sorted(self.named_metrics() - set(known))
        if unknown:
            raise ConfigError(
                f"{test_id}: @pytest.mark.pareto names metric{'s' if len(unknown) > 1 else ''} "
                f"{', '.join(repr(u) for u in unknown)}, which this test neither measured nor "
                f"recorded; it has: {', '.join(sorted(known)) or 'none'}"
            )


def _seconds(kwargs: Mapping[str, Any], name: str) -> float | None:
    """A marker argument that is a duration: a finite number of seconds > 0, or absent."""
    value = kwargs.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < math.inf:
        raise ConfigError(f"{name}= must be a finite number of seconds > 0, got {value!r}")
    return float(value)


MARKER_ARGUMENTS: tuple[str, ...] = tuple(f.name for f in fields(TestOptions))


def known_metric_names(probes: Iterable[Probe], registered: Iterable[str] = ()) -> set[str]:
    """Metric names a test may name before it records anything: those of every probe (built
    in or a plugin's, available here or not), the registered and the quality metrics."""
    names = {metric.name for probe in probes for metric in probe.metrics}
    return names | set(registered) | set(QUALITY_METRICS) | set(BUILTIN_METRICS)
