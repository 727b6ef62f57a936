"""The metrics of one point: those a test records itself (``pareto.record``) or includes from
another process, beside the measured ones, and the objectives derived from them."""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Mapping, Sequence
from typing import SupportsFloat

from pytest_pareto.errors import ConfigError
from pytest_pareto.measuring.derived import Derivation, DerivedObjective, derive
from pytest_pareto.measuring.quality import QUALITY_METRICS
from pytest_pareto.model.metrics import (
    BUILTIN_METRICS,
    Direction,
    Metric,
    MetricRegistry,
    Variability,
)
from pytest_pareto.model.points import Observation, Sample
from pytest_pareto.probes import Probe

__all__ = ["UserMetrics"]

_METRIC_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")


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


def _user_metric(
    name: str, known: Metric | None, unit: str | None, better: str | None, noisy: bool | None
) -> Metric:
    """The definition of a recorded metric: the arguments, else the ``known`` definition."""
    default = known.direction if known is not None else Direction.LOWER
    direction = Direction.parse(better) if better is not None else default
    if noisy is None:
        variability = known.variability if known else Variability.DETERMINISTIC
    else:
        variability = Variability.NOISY if noisy else Variability.DETERMINISTIC
    if known is not None and known.direction is not direction:
        raise ConfigError(
            f"record({name!r}): better={direction.value} conflicts with the registered "
            f"metric {name!r} (better={known.direction.value})"
        )
    return Metric(
        name,
        unit if unit is not None else (known.unit if known else ""),
        direction,
        variability,
        description=known.description if known else "",
        floor=known.floor if known else 0.0,
    )


class UserMetrics:
    """Recorded, included and measured metrics of one test, and its derived objectives."""

    def __init__(
        self, test_id: str, registry: MetricRegistry, derived: Sequence[DerivedObjective]
    ) -> None:
        self.test_id = test_id
        self.registry = registry
        self.derived = tuple(derived)
        self._samples: dict[str, Sample] = {}
        self._metrics: dict[str, Metric] = {}
        self._measured: set[str] = set()

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
            how = "measured" if name in self._measured else "recorded"
            raise ConfigError(f"record(): {name!r} was already {how} in {self.test_id}")
        known = self.registry.get(name) or QUALITY_METRICS.get(name)
        self._metrics[name] = _user_metric(name, known, unit, better, noisy)
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

    def _add_measured(self, samples: Mapping[str, Sample], probes: Sequence[Probe]) -> None:
        """The probes' samples; a name also recorded with ``record()`` is an error."""
        both = sorted(set(samples) & set(self._samples))
        if both:
            raise ConfigError(
                f"{self.test_id}: {', '.join(both)} recorded with pareto.record() and also "
                "measured; record your own value under another name, or leave it to the probe"
            )
        for probe in probes:
            for metric in probe.metrics:
                if metric.name in samples:
                    self._metrics[metric.name] = self.registry.get(metric.name) or metric
        self._samples.update(samples)
        self._measured.update(samples)

    def _add_time_bound(self, lower_bound: float) -> None:
        """The time of a call stopped at its timeout: all that is known of it."""
        wall_time = BUILTIN_METRICS["wall_time"]
        self._metrics[wall_time.name] = self.registry.get(wall_time.name) or wall_time
        self._samples[wall_time.name] = Sample((lower_bound,))

    def _derivation(self) -> Derivation:
        observations = {name: Observation((sample,)) for name, sample in self._samples.items()}
        return derive(self.derived, observations, self._metrics)

    def _observations(self, censored: Collection[str]) -> dict[str, Observation]:
        """Every metric's observation, derived ones included; ``censored`` names bounds."""
        observations = {
            name: Observation((sample,), censored=name in censored)
            for name, sample in self._samples.items()
        }
        observations.update(self._derivation().observations)
        return observations

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
