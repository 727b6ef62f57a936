"""Per-test options (the ``pareto`` marker's arguments), parsed and validated."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from pytest_pareto.errors import ConfigError
from pytest_pareto.measure import MeasureOptions
from pytest_pareto.metrics import Tolerance

__all__ = ["MARKER_ARGUMENTS", "TestOptions"]


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

    def measure_options(self, base: MeasureOptions) -> MeasureOptions:
        changes: dict[str, Any] = {}
        for name in ("rounds", "iterations", "warmup", "max_time"):
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
        for name in ("rounds", "warmup", "iterations"):
            value = kwargs.get(name)
            minimum = 0 if name == "warmup" else 1
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or value < minimum
            ):
                raise ConfigError(f"{name}= must be an integer >= {minimum}, got {value!r}")
        max_time = kwargs.get("max_time")
        if max_time is not None and (
            isinstance(max_time, bool)
            or not isinstance(max_time, int | float)
            or not 0 < max_time < math.inf
        ):
            raise ConfigError(f"max_time= must be a finite number of seconds > 0, got {max_time!r}")
        group = kwargs.get("group")
        if group is not None and not isinstance(group, str):
            raise ConfigError(f"group= must be a string, got {group!r}")
        return cls(
            metrics=metrics,
            tolerance=parsed_tolerance,
            rounds=kwargs.get("rounds"),
            warmup=kwargs.get("warmup"),
            iterations=kwargs.get("iterations"),
            max_time=float(max_time) if max_time is not None else None,
            group=group,
        )

    def check_metric_names(self, test_id: str, known: Sequence[str]) -> None:
        """Every metric named in ``metrics=`` and ``tolerance=`` must be one the test has."""
        named = set(self.metrics or ()) | set(self.tolerance)
        unknown = sorted(named - set(known))
        if unknown:
            raise ConfigError(
                f"{test_id}: @pytest.mark.pareto names metric{'s' if len(unknown) > 1 else ''} "
                f"{', '.join(repr(u) for u in unknown)}, which this test neither measured nor "
                f"recorded; it has: {', '.join(sorted(known)) or 'none'}"
            )


MARKER_ARGUMENTS: tuple[str, ...] = tuple(f.name for f in fields(TestOptions))
