"""The data model: samples, observations, points and frontiers (frozen dataclasses)."""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import math
import statistics
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from pytest_pareto.errors import ConfigError
from pytest_pareto.model.machine import Machine
from pytest_pareto.model.metrics import Metric

__all__ = [
    "HistoryEntry",
    "Observation",
    "Point",
    "Sample",
    "TestBaseline",
    "utc_now",
]

JSON = Any
_T = TypeVar("_T")
_MISSING = object()


def _memo(instance: object, name: str, compute: Callable[[], _T]) -> _T:
    """Compute a derived value of a frozen instance once (judging a large store reads them
    many times; ``functools.cached_property`` takes a lock on every first access)."""
    cache = instance.__dict__
    value = cache.get(name, _MISSING)
    if value is _MISSING:
        value = cache[name] = compute()
    return value  # type: ignore[no-any-return]


def utc_now() -> str:
    """The current time as an ISO 8601 UTC string with second resolution."""
    return (
        _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    )


def _check_finite(values: Iterable[float], what: str) -> tuple[float, ...]:
    out = []
    for value in values:
        if type(value) is float and math.isfinite(value):  # the common case, checked fast
            out.append(value)
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{what}: {value!r} is not a number")
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        if not math.isfinite(number):
            raise ConfigError(f"{what}: {value!r} is not a finite number")
        out.append(number)
    return tuple(out)


@dataclass(frozen=True)
class Sample:
    """One metric measured in one process: the raw value of each round.

    Time-like values are per call (a round's total divided by its iterations).
    """

    rounds: tuple[float, ...]
    scale: float | None = None
    """Seconds the process's calibration loop took (median), for judging times relative to
    the process's speed; ``None`` when not calibrated."""

    def __post_init__(self) -> None:
        if not self.rounds:
            raise ConfigError("a sample needs at least one value")
        if self.scale is not None and not (math.isfinite(self.scale) and self.scale > 0):
            raise ConfigError(f"a sample's calibration must be a finite time > 0, not {self.scale}")

    @property
    def normalised(self) -> float | None:
        """The summary in units of the process's calibration time, when calibrated."""
        return None if self.scale is None else self.summary / self.scale

    def to_json(self) -> list[float] | dict[str, JSON]:
        """The rounds, with the calibration when there is one (as replica processes send it)."""
        if self.scale is None:
            return list(self.rounds)
        return {"rounds": list(self.rounds), "scale": self.scale}

    @classmethod
    def from_json(cls, data: object, where: str) -> Sample:
        if isinstance(data, Mapping):
            scale = data.get("scale")
            (checked,) = _check_finite([scale], where) if scale is not None else (None,)
            data = data.get("rounds")
        else:
            checked = None
        if not isinstance(data, list) or not data:
            raise ConfigError(f"{where}: a sample must be a non-empty list of numbers")
        return cls(_check_finite(data, where), checked)

    @property
    def summary(self) -> float:
        """The process's representative value: the median of its rounds."""
        return _memo(self, "_summary", self._median)

    def _median(self) -> float:
        if len(self.rounds) == 1:
            return float(self.rounds[0])
        return float(statistics.median(self.rounds))


@dataclass(frozen=True)
class Observation:
    """A metric's value in a point, kept per process (the unit of replication)."""

    samples: tuple[Sample, ...]
    censored: bool = False
    """True when the value is a lower bound (a call stopped at a time limit)."""

    def __post_init__(self) -> None:
        if not self.samples:
            raise ConfigError("an observation needs at least one sample")

    @classmethod
    def single(cls, value: float) -> Observation:
        return cls((Sample((float(value),)),))

    @property
    def per_process(self) -> tuple[float, ...]:
        """One summary per process."""
        return _memo(self, "_per_process", lambda: tuple(s.summary for s in self.samples))

    @property
    def value(self) -> float:
        """The point's value for this metric: the median of the per-process summaries."""
        return _memo(self, "_value", self._median)

    def _median(self) -> float:
        if len(self.samples) == 1:
            return self.samples[0].summary
        return float(statistics.median(self.per_process))

    @property
    def processes(self) -> int:
        return len(self.samples)

    @property
    def normalised_per_process(self) -> tuple[float, ...] | None:
        """Per-process summaries relative to each process's calibration, if all have one."""
        values = tuple(sample.normalised for sample in self.samples)
        if any(value is None for value in values):
            return None
        return values  # type: ignore[return-value]

    def merged(self, other: Observation) -> Observation:
        """Pool the processes of two observations of the same metric."""
        return Observation(self.samples + other.samples, self.censored or other.censored)

    def to_json(self) -> dict[str, JSON]:
        data: dict[str, JSON] = {"value": self.value}
        scales = [sample.scale for sample in self.samples]
        calibrated = all(scale is not None for scale in scales)
        if calibrated or len(self.samples) > 1 or len(self.samples[0].rounds) > 1:
            data["processes"] = [list(sample.rounds) for sample in self.samples]
        if calibrated:
            data["calibration"] = scales
        if self.censored:
            data["censored"] = True
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, JSON], where: str) -> Observation:
        processes = data.get("processes")
        censored = bool(data.get("censored", False))
        if processes is None:
            if "value" not in data:
                raise ConfigError(f"{where}: needs a 'value' or 'processes'")
            (value,) = _check_finite([data["value"]], where)
            return cls((Sample((value,)),), censored)
        if not isinstance(processes, list) or not processes:
            raise ConfigError(f"{where}: 'processes' must be a non-empty list of lists")
        calibration = data.get("calibration")
        if calibration is not None and (
            not isinstance(calibration, list) or len(calibration) != len(processes)
        ):
            raise ConfigError(f"{where}: 'calibration' must hold one time per process")
        scales = _check_finite(calibration, where) if calibration is not None else None
        samples = []
        for i, rounds in enumerate(processes):
            if not isinstance(rounds, list) or not rounds:
                raise ConfigError(f"{where}: each process must be a non-empty list of numbers")
            samples.append(Sample(_check_finite(rounds, where), scales[i] if scales else None))
        observation = cls(tuple(samples), censored)
        stored = data.get("value")
        if stored is not None and not (
            isinstance(stored, int | float)
            and math.isclose(stored, observation.value, rel_tol=1e-9, abs_tol=1e-300)
        ):
            raise ConfigError(
                f"{where}: 'value' {stored!r} disagrees with its processes, whose median is "
                f"{observation.value!r}; the value is computed from the processes: restore the "
                "file from git, or remove the point"
            )
        return observation


@dataclass(frozen=True)
class Point:
    """One result of a test: a value for each metric, and where and when it was taken."""

    observations: Mapping[str, Observation]
    recorded_at: str = field(default_factory=utc_now)
    commit: str | None = None
    machine: Machine | None = None
    extra_info: Mapping[str, JSON] = field(default_factory=dict)
    variant: str | None = None
    """In a group frontier: the test (variant) that produced the point."""

    def value(self, metric: str) -> float:
        return self.observations[metric].value

    def values(self) -> dict[str, float]:
        return dict(self._values())

    def _values(self) -> dict[str, float]:
        return _memo(
            self,
            "_values_by_name",
            lambda: {name: obs.value for name, obs in sorted(self.observations.items())},
        )

    @property
    def metric_names(self) -> frozenset[str]:
        return frozenset(self.observations)

    @property
    def id(self) -> str:
        """A short content hash that names the point in messages and files."""
        return _memo(self, "_id", self._content_hash)

    def _content_hash(self) -> str:
        content: dict[str, JSON] = {
            "at": self.recorded_at,
            "commit": self.commit,
            "values": self._values(),
        }
        if self.variant is not None:
            content["variant"] = self.variant
        payload = json.dumps(content, sort_keys=True)
        return hashlib.sha1(payload.encode()).hexdigest()[:8]

    def describe(self) -> str:
        commit = f", commit {self.commit[:10]}" if self.commit else ""
        variant = f"variant {self.variant}, " if self.variant else ""
        return f"point {self.id} ({variant}recorded {self.recorded_at}{commit})"

    def with_observations(self, observations: Mapping[str, Observation]) -> Point:
        return replace(self, observations=dict(observations))

    def to_json(self) -> dict[str, JSON]:
        data: dict[str, JSON] = {
            "id": self.id,
            "recorded_at": self.recorded_at,
            "metrics": {name: obs.to_json() for name, obs in sorted(self.observations.items())},
        }
        if self.commit:
            data["commit"] = self.commit
        if self.machine is not None:
            data["machine"] = self.machine.to_json()
        if self.extra_info:
            data["extra_info"] = dict(self.extra_info)
        if self.variant is not None:
            data["variant"] = self.variant
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, JSON], where: str) -> Point:
        if not isinstance(data, Mapping):
            raise ConfigError(f"{where}: a point must be an object")
        metrics = data.get("metrics")
        if not isinstance(metrics, Mapping):
            raise ConfigError(f"{where}: a point needs a 'metrics' object")
        observations = {}
        for name, obs in metrics.items():
            if not isinstance(obs, Mapping):
                raise ConfigError(f"{where}: metric {name!r} must be an object")
            observations[str(name)] = Observation.from_json(obs, f"{where}, metric {name!r}")
        machine = data.get("machine")
        extra = data.get("extra_info", {})
        commit = data.get("commit")
        recorded_at = data.get("recorded_at", "")
        if not isinstance(recorded_at, str) or (commit is not None and not isinstance(commit, str)):
            raise ConfigError(f"{where}: 'recorded_at' and 'commit' must be strings")
        if not isinstance(extra, Mapping):
            raise ConfigError(f"{where}: 'extra_info' must be an object")
        variant = data.get("variant")
        if variant is not None and not isinstance(variant, str):
            raise ConfigError(f"{where}: 'variant' must be a string")
        return cls(
            observations=observations,
            recorded_at=recorded_at,
            commit=commit,
            machine=Machine.from_json(machine, where) if machine is not None else None,
            extra_info=dict(extra),
            variant=variant,
        )


@dataclass(frozen=True)
class HistoryEntry:
    """A point that left the frontier (or a run worth remembering), and why."""

    event: str
    """``retired`` (a stored point the accepted one was worse than), ``pruned`` (dominated by
    the accepted point), ``run`` (a measured run that did not move the frontier: judged only,
    equal within tolerance to a stored point, or dominated by another variant) or
    ``superseded`` (files of earlier versions: a point an equal result replaced)."""
    at: str
    point: Point
    verdict: str | None = None

    EVENTS = frozenset({"retired", "pruned", "superseded", "run"})

    def to_json(self) -> dict[str, JSON]:
        data: dict[str, JSON] = {"at": self.at, "event": self.event, "point": self.point.to_json()}
        if self.verdict is not None:
            data["verdict"] = self.verdict
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, JSON], where: str) -> HistoryEntry:
        if not isinstance(data, Mapping) or data.get("event") not in cls.EVENTS:
            raise ConfigError(f"{where}: history entries need an event in {sorted(cls.EVENTS)}")
        verdict = data.get("verdict")
        return cls(
            event=str(data["event"]),
            at=str(data.get("at", "")),
            point=Point.from_json(data.get("point", {}), where),
            verdict=str(verdict) if verdict is not None else None,
        )


@dataclass(frozen=True)
class TestBaseline:
    """Everything stored for one test: its metrics, its frontier points and their history.

    ``points`` may hold points of several machines; :mod:`pytest_pareto.frontier.maintenance`
    selects the ones comparable with a new result.
    """

    __test__ = False  # not a pytest test class

    test_id: str
    metrics: Mapping[str, Metric] = field(default_factory=dict)
    points: tuple[Point, ...] = ()
    history: tuple[HistoryEntry, ...] = ()

    def to_json(self) -> dict[str, JSON]:
        return {
            "metrics": {name: m.to_json() for name, m in sorted(self.metrics.items())},
            "points": [point.to_json() for point in self.points],
            "history": [entry.to_json() for entry in self.history],
        }

    @classmethod
    def from_json(cls, test_id: str, data: Mapping[str, JSON], where: str) -> TestBaseline:
        if not isinstance(data, Mapping):
            raise ConfigError(f"{where}: test {test_id!r} must be an object")
        metrics_data = data.get("metrics", {})
        points_data = data.get("points", [])
        history_data = data.get("history", [])
        if not isinstance(metrics_data, Mapping):
            raise ConfigError(f"{where}: test {test_id!r}: 'metrics' must be an object")
        if not isinstance(points_data, list) or not isinstance(history_data, list):
            raise ConfigError(f"{where}: test {test_id!r}: 'points' and 'history' must be lists")
        metrics = {}
        for name, spec in metrics_data.items():
            if not isinstance(spec, Mapping):
                raise ConfigError(f"{where}: test {test_id!r}: metric {name!r} must be an object")
            try:
                metrics[str(name)] = Metric.from_json(str(name), spec)
            except ValueError as exc:
                raise ConfigError(f"{where}: test {test_id!r}: metric {name!r}: {exc}") from None
        here = f"{where}: test {test_id!r}"
        points = tuple(Point.from_json(p, f"{here}, point {i}") for i, p in enumerate(points_data))
        for i, point in enumerate(points):
            missing = point.metric_names - set(metrics)
            if missing:
                raise ConfigError(f"{here}, point {i}: metrics {sorted(missing)} are not declared")
        history = tuple(
            HistoryEntry.from_json(h, f"{here}, history {i}") for i, h in enumerate(history_data)
        )
        return cls(test_id, metrics, points, history)
