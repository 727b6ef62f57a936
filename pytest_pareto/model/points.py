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
    "SPREAD_DIGITS",
    "HistoryEntry",
    "Observation",
    "Point",
    "PointSummary",
    "Sample",
    "TestBaseline",
    "machine_key",
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


SPREAD_DIGITS = 2
"""Significant digits kept of a process's spread: a figure to read, never judged."""


def _spread(rounds: tuple[float, ...], median: float) -> float:
    """The median absolute deviation of a process's rounds, to :data:`SPREAD_DIGITS` digits."""
    if len(rounds) < 2:
        return 0.0
    deviation = statistics.median([abs(value - median) for value in rounds])
    return float(f"{deviation:.{SPREAD_DIGITS}g}")


def _median(values: tuple[float, ...]) -> float:
    if len(values) == 1:
        return float(values[0])
    return float(statistics.median(values))


@dataclass(frozen=True)
class Sample:
    """One metric measured in one process: the raw value of each round, or their summary.

    Time-like values are per call (a round's total divided by its iterations). Measuring builds
    samples from ``rounds``; the summary fields are then computed from them. A sample read from
    a baseline file has no rounds (files keep what the verdicts use): only ``median``,
    ``count`` and ``spread``.
    """

    rounds: tuple[float, ...] = ()
    scale: float | None = None
    """Seconds the process's calibration loop took (median), for judging times relative to
    the process's speed; ``None`` when not calibrated."""
    median: float | None = None
    """The median of the rounds: the process's summary (computed when rounds are given)."""
    count: int = 0
    """How many rounds the process measured."""
    spread: float = 0.0
    """The median absolute deviation of the rounds (how noisy the process was)."""

    def __post_init__(self) -> None:
        if self.rounds:
            if self.median is not None:
                raise ConfigError("a sample holds its rounds or their summary, not both")
            median = _median(self.rounds)
            object.__setattr__(self, "median", median)
            object.__setattr__(self, "count", len(self.rounds))
            object.__setattr__(self, "spread", _spread(self.rounds, median))
        elif self.median is None or self.count < 1:
            raise ConfigError("a sample needs at least one value")
        if self.scale is not None and not (math.isfinite(self.scale) and self.scale > 0):
            raise ConfigError(f"a sample's calibration must be a finite time > 0, not {self.scale}")

    @property
    def summary(self) -> float:
        """The process's representative value: the median of its rounds."""
        assert self.median is not None  # set by __post_init__
        return self.median

    @property
    def normalised(self) -> float | None:
        """The summary in units of the process's calibration time, when calibrated."""
        return None if self.scale is None else self.summary / self.scale

    def to_json(self) -> list[float] | dict[str, JSON]:
        """The rounds, with the calibration when there is one (as replica processes send it);
        a sample without rounds gives its summary."""
        if not self.rounds:
            data: dict[str, JSON] = {"median": self.summary, "count": self.count}
            data["spread"] = self.spread
        elif self.scale is None:
            return list(self.rounds)
        else:
            data = {"rounds": list(self.rounds)}
        if self.scale is not None:
            data["scale"] = self.scale
        return data

    @classmethod
    def from_json(cls, data: object, where: str) -> Sample:
        scale = None
        if isinstance(data, Mapping):
            raw_scale = data.get("scale")
            if raw_scale is not None:
                (scale,) = _check_finite([raw_scale], where)
            if "median" in data:
                return cls._summary_from_json(data, scale, where)
            data = data.get("rounds")
        if not isinstance(data, list) or not data:
            raise ConfigError(f"{where}: a sample must be a non-empty list of numbers")
        return cls(_check_finite(data, where), scale)

    @classmethod
    def _summary_from_json(
        cls, data: Mapping[str, JSON], scale: float | None, where: str
    ) -> Sample:
        median, spread = _check_finite([data["median"], data.get("spread", 0.0)], where)
        count = data.get("count")
        if type(count) is not int or count < 1:
            raise ConfigError(f"{where}: a sample's 'count' must be an integer >= 1")
        return cls(scale=scale, median=median, count=count, spread=spread)


def _numbers(values: object, what: str) -> tuple[float, ...]:
    """A non-empty JSON list of finite numbers, as floats (the common case checked in C)."""
    if not isinstance(values, list) or not values:
        raise ConfigError(f"{what} must be a non-empty list of numbers")
    if set(map(type, values)) == {float} and all(map(math.isfinite, values)):
        return tuple(values)
    return _check_finite(values, what)


def _counts(values: object, size: int, what: str) -> tuple[int, ...]:
    if (
        not isinstance(values, list)
        or len(values) != size
        or set(map(type, values)) != {int}
        or min(values) < 1
    ):
        raise ConfigError(f"{what} must hold one whole number >= 1 per process")
    return tuple(values)


def _set_fields(instance: object, **values: object) -> None:
    # Frozen dataclasses refuse attribute assignment; their fields live in the instance dict.
    instance.__dict__.update(values)


@dataclass(frozen=True, init=False)
class Observation:
    """A metric's value in a point, kept per process (the unit of replication).

    Judging reads the per-process summaries (and calibrations) only, so an observation holds
    those as columns; the raw rounds of the samples it was built from stay in memory for the
    measuring code (:attr:`samples`), and are not written to baseline files.
    """

    per_process: tuple[float, ...]
    """One summary per process: the median of its rounds."""
    scales: tuple[float, ...] | None
    """Each process's calibration time, when every process has one."""
    counts: tuple[int, ...]
    """Rounds per process."""
    spreads: tuple[float, ...]
    """Each process's spread (see :attr:`Sample.spread`)."""
    censored: bool
    """True when the value is a lower bound (a call stopped at a time limit)."""

    def __init__(self, samples: Iterable[Sample], censored: bool = False) -> None:
        kept = tuple(samples)
        if not kept:
            raise ConfigError("an observation needs at least one sample")
        scales = tuple(sample.scale for sample in kept)
        _set_fields(
            self,
            per_process=tuple(sample.summary for sample in kept),
            scales=None if None in scales else scales,
            counts=tuple(sample.count for sample in kept),
            spreads=tuple(sample.spread for sample in kept),
            censored=bool(censored),
            _samples=kept,
        )

    @classmethod
    def from_summaries(
        cls,
        per_process: tuple[float, ...],
        counts: tuple[int, ...],
        spreads: tuple[float, ...],
        scales: tuple[float, ...] | None = None,
        censored: bool = False,
    ) -> Observation:
        """An observation from its columns, as a baseline file stores it (checked: one entry
        per process in each column, calibrations > 0)."""
        size = len(per_process)
        if not size or len(counts) != size or len(spreads) != size:
            raise ConfigError("an observation needs one median, count and spread per process")
        if scales is not None and (len(scales) != size or min(scales) <= 0):
            raise ConfigError("an observation's calibration must hold one time > 0 per process")
        observation = object.__new__(cls)
        _set_fields(
            observation,
            per_process=per_process,
            scales=scales,
            counts=counts,
            spreads=spreads,
            censored=censored,
        )
        return observation

    @classmethod
    def single(cls, value: float, censored: bool = False) -> Observation:
        return cls.from_summaries((float(value),), (1,), (0.0,), None, censored)

    @property
    def samples(self) -> tuple[Sample, ...]:
        """The samples: as measured (with rounds), or rebuilt from the summaries."""
        return _memo(self, "_samples", self._summary_samples)

    def _summary_samples(self) -> tuple[Sample, ...]:
        scales = self.scales or (None,) * len(self.per_process)
        return tuple(
            Sample(scale=scale, median=median, count=count, spread=spread)
            for median, scale, count, spread in zip(
                self.per_process, scales, self.counts, self.spreads, strict=True
            )
        )

    @property
    def value(self) -> float:
        """The point's value for this metric: the median of the per-process summaries."""
        return _memo(self, "_value", lambda: _median(self.per_process))

    @property
    def processes(self) -> int:
        return len(self.per_process)

    @property
    def normalised_per_process(self) -> tuple[float, ...] | None:
        """Per-process summaries relative to each process's calibration, if all have one."""
        if self.scales is None:
            return None
        scales = self.scales
        return _memo(
            self,
            "_normalised",
            lambda: tuple(v / s for v, s in zip(self.per_process, scales, strict=True)),
        )

    def merged(self, other: Observation) -> Observation:
        """Pool the processes of two observations of the same metric."""
        return Observation(self.samples + other.samples, self.censored or other.censored)

    def to_json(self) -> dict[str, JSON]:
        """The compact form: the value, and per process its median, round count, spread and
        calibration (a single value alone when that is all there is)."""
        data: dict[str, JSON] = {"value": self.value}
        if self.scales is not None or len(self.per_process) > 1 or self.counts[0] > 1:
            data["medians"] = list(self.per_process)
            data["rounds"] = list(self.counts)
            data["spread"] = list(self.spreads)
        if self.scales is not None:
            data["calibration"] = list(self.scales)
        if self.censored:
            data["censored"] = True
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, JSON], where: str) -> Observation:
        if not data.keys() <= _OBSERVATION_KEYS:
            unknown = sorted(set(data) - _OBSERVATION_KEYS)
            raise ConfigError(f"{where}: unknown keys {unknown} (a metric holds {_KEYS_IN_WORDS})")
        censored = data.get("censored", False)
        if type(censored) is not bool:
            raise ConfigError(f"{where}: 'censored' must be true or false")
        medians = data.get("medians")
        if medians is None:
            if "value" not in data:
                raise ConfigError(f"{where}: needs a 'value' or 'medians'")
            if "calibration" in data or "rounds" in data:
                raise ConfigError(f"{where}: 'calibration' and 'rounds' need 'medians'")
            (value,) = _check_finite([data["value"]], where)
            return cls.single(value, censored)
        observation = _well_formed_columns(data, medians, censored) or cls._checked_columns(
            data, medians, censored, where
        )
        _check_stored_value(data.get("value"), observation, where)
        return observation

    @classmethod
    def _checked_columns(
        cls, data: Mapping[str, JSON], medians: object, censored: bool, where: str
    ) -> Observation:
        """The columns checked one by one, to say which is wrong."""
        per_process = _numbers(medians, f"{where}: 'medians'")
        size = len(per_process)
        counts = _counts(data.get("rounds"), size, f"{where}: 'rounds'")
        spreads = _numbers(data.get("spread"), f"{where}: 'spread'")
        if len(spreads) != size or min(spreads) < 0:
            raise ConfigError(f"{where}: 'spread' must hold one number >= 0 per process")
        calibration = data.get("calibration")
        scales = None
        if calibration is not None:
            if not isinstance(calibration, list) or len(calibration) != size:
                raise ConfigError(f"{where}: 'calibration' must hold one time per process")
            scales = _numbers(calibration, f"{where}: 'calibration'")
            if min(scales) <= 0:
                raise ConfigError(f"{where}: 'calibration' must hold one time per process, > 0")
        return cls.from_summaries(per_process, counts, spreads, scales, censored)


def _well_formed_columns(
    data: Mapping[str, JSON], medians: JSON, censored: bool
) -> Observation | None:
    """The observation when its columns are as pytest-pareto writes them (checked at C speed:
    loading a large store is mostly this), else ``None``."""
    counts, spreads, scales = data.get("rounds"), data.get("spread"), data.get("calibration")
    if not (type(medians) is type(counts) is type(spreads) is list):
        return None
    size = len(medians)
    numbers = medians + spreads
    if scales is not None:
        if type(scales) is not list or len(scales) != size or not min(scales) > 0:
            return None
        numbers += scales
    if (
        not size
        or len(counts) != size
        or len(spreads) != size
        or set(map(type, numbers)) != {float}
        or not math.isfinite(sum(numbers))  # inf, or finite values whose sum overflows
        or not min(spreads) >= 0
        or set(map(type, counts)) != {int}
        or not min(counts) >= 1
    ):
        return None
    observation = object.__new__(Observation)
    _set_fields(
        observation,
        per_process=tuple(medians),
        scales=None if scales is None else tuple(scales),
        counts=tuple(counts),
        spreads=tuple(spreads),
        censored=censored,
    )
    return observation


_OBSERVATION_KEYS = frozenset({"value", "medians", "rounds", "spread", "calibration", "censored"})
_KEYS_IN_WORDS = ", ".join(sorted(_OBSERVATION_KEYS))


def _check_stored_value(stored: object, observation: Observation, where: str) -> None:
    if stored is None:
        return
    if not (
        isinstance(stored, int | float)
        and not isinstance(stored, bool)
        and math.isclose(stored, observation.value, rel_tol=1e-9, abs_tol=1e-300)
    ):
        raise ConfigError(
            f"{where}: 'value' {stored!r} disagrees with its processes, whose median is "
            f"{observation.value!r}; the value is computed from the processes: restore the "
            "file from git, or remove the point"
        )


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
        return _content_id(self.recorded_at, self.commit, self._values(), self.variant)

    def describe(self) -> str:
        commit = f", commit {self.commit[:10]}" if self.commit else ""
        variant = f"variant {self.variant}, " if self.variant else ""
        return f"point {self.id} ({variant}recorded {self.recorded_at}{commit})"

    def with_observations(self, observations: Mapping[str, Observation]) -> Point:
        return replace(self, observations=dict(observations))

    def to_json(self, machine_key: str | None = None) -> dict[str, JSON]:
        """The point as stored; ``machine_key`` names its machine in a test's ``machines``
        table instead of writing the fingerprint inline."""
        data: dict[str, JSON] = {
            "id": self.id,
            "recorded_at": self.recorded_at,
            "metrics": {name: obs.to_json() for name, obs in sorted(self.observations.items())},
        }
        _add_provenance(data, self, machine_key)
        if self.extra_info:
            data["extra_info"] = dict(self.extra_info)
        return data

    @classmethod
    def from_json(
        cls, data: Mapping[str, JSON], where: str, machines: Mapping[str, Machine] | None = None
    ) -> Point:
        """Read a point; a ``machine`` given by name is looked up in ``machines``."""
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
        extra = data.get("extra_info", {})
        if not isinstance(extra, Mapping):
            raise ConfigError(f"{where}: 'extra_info' must be an object")
        return cls._with_provenance(data, observations, where, machines, dict(extra))

    @classmethod
    def _with_provenance(
        cls,
        data: Mapping[str, JSON],
        observations: dict[str, Observation],
        where: str,
        machines: Mapping[str, Machine] | None,
        extra_info: dict[str, JSON],
    ) -> Point:
        commit = data.get("commit")
        recorded_at = data.get("recorded_at", "")
        if not isinstance(recorded_at, str) or (commit is not None and not isinstance(commit, str)):
            raise ConfigError(f"{where}: 'recorded_at' and 'commit' must be strings")
        variant = data.get("variant")
        if variant is not None and not isinstance(variant, str):
            raise ConfigError(f"{where}: 'variant' must be a string")
        return cls(
            observations=observations,
            recorded_at=recorded_at,
            commit=commit,
            machine=_machine_from_json(data.get("machine"), where, machines),
            extra_info=extra_info,
            variant=variant,
        )


def _content_id(
    recorded_at: str, commit: str | None, values: Mapping[str, float], variant: str | None
) -> str:
    """A point's id: a short hash of when and where it was taken and its values."""
    content: dict[str, JSON] = {"at": recorded_at, "commit": commit, "values": values}
    if variant is not None:
        content["variant"] = variant
    payload = json.dumps(content, sort_keys=True)
    return hashlib.sha1(payload.encode()).hexdigest()[:8]


def _add_provenance(
    data: dict[str, JSON], source: Point | PointSummary, machine_key: str | None
) -> None:
    """Where a point (or its history summary) comes from: commit, machine, variant."""
    if source.commit:
        data["commit"] = source.commit
    if source.machine is not None:
        data["machine"] = machine_key if machine_key is not None else source.machine.to_json()
    if source.variant is not None:
        data["variant"] = source.variant


@dataclass(frozen=True)
class PointSummary:
    """What a history entry keeps of its point: a value per metric (which of them censored),
    and when, at which commit and on which machine it was measured; not the processes.

    Baseline files hold many history entries that judging never reads: a summary is checked
    when a file is read, and becomes a :class:`Point` only when asked.
    """

    values: Mapping[str, float]
    recorded_at: str = ""
    commit: str | None = None
    machine: Machine | None = None
    variant: str | None = None
    censored: frozenset[str] = frozenset()

    @property
    def id(self) -> str:
        """The id of the point it summarises."""
        return _memo(
            self,
            "_id",
            lambda: _content_id(self.recorded_at, self.commit, self.values, self.variant),
        )

    def to_json(self, machine_key: str | None = None) -> dict[str, JSON]:
        """``machine_key`` names the machine in a test's ``machines`` table."""
        data: dict[str, JSON] = {
            "id": self.id,
            "recorded_at": self.recorded_at,
            "values": dict(sorted(self.values.items())),
        }
        if self.censored:
            data["censored"] = sorted(self.censored)
        _add_provenance(data, self, machine_key)
        return data

    def point(self) -> Point:
        """The point, with one process per metric."""
        observations = {
            name: Observation.single(value, name in self.censored)
            for name, value in self.values.items()
        }
        return Point(observations, self.recorded_at, self.commit, self.machine, {}, self.variant)

    @classmethod
    def of(cls, point: Point) -> PointSummary:
        censored = frozenset(name for name, obs in point.observations.items() if obs.censored)
        return cls(
            point.values(), point.recorded_at, point.commit, point.machine, point.variant, censored
        )

    @classmethod
    def from_json(
        cls, data: object, where: str, machines: Mapping[str, Machine] | None = None
    ) -> PointSummary:
        """Read and check :meth:`Point.summary_json` (the common case checked in C)."""
        if not isinstance(data, Mapping):
            raise ConfigError(f"{where}: a history entry's point must be an object")
        values = data.get("values")
        if not isinstance(values, dict) or not values:
            raise ConfigError(f"{where}: a history entry's point needs a 'values' object")
        numbers = list(values.values())
        if set(map(type, numbers)) != {float} or not all(map(math.isfinite, numbers)):
            values = dict(zip(values, _check_finite(numbers, f"{where}: 'values'"), strict=True))
        censored = data.get("censored", ())
        if not isinstance(censored, list | tuple) or not set(censored) <= values.keys():
            raise ConfigError(f"{where}: 'censored' must list metrics of 'values'")
        recorded_at, commit, variant = (data.get(k) for k in ("recorded_at", "commit", "variant"))
        if not isinstance(recorded_at or "", str) or not isinstance(commit or "", str):
            raise ConfigError(f"{where}: 'recorded_at' and 'commit' must be strings")
        if not isinstance(variant or "", str):
            raise ConfigError(f"{where}: 'variant' must be a string")
        summary = object.__new__(cls)
        _set_fields(
            summary,
            values=values,
            recorded_at=recorded_at or "",
            commit=commit,
            machine=_machine_from_json(data.get("machine"), where, machines),
            variant=variant,
            censored=frozenset(censored),
        )
        return summary


def _machine_from_json(
    data: object, where: str, machines: Mapping[str, Machine] | None
) -> Machine | None:
    if data is None:
        return None
    if isinstance(data, str):
        machine = (machines or {}).get(data)
        if machine is None:
            raise ConfigError(f"{where}: machine {data!r} is not in the test's 'machines'")
        return machine
    return Machine.from_json(data, where)


def machine_key(machine: Machine) -> str:
    """The name of a machine fingerprint in a test's ``machines`` table: a short hash of the
    whole fingerprint (hardware and software), so equal fingerprints share one entry."""
    payload = json.dumps(machine.to_json(), sort_keys=True)
    return hashlib.sha1(payload.encode()).hexdigest()[:8]


@dataclass(frozen=True)
class HistoryEntry:
    """A point that left the frontier (or a run worth remembering), and why.

    Baseline files keep a summary of the point (:class:`PointSummary`); an entry read from a
    file builds its point (one value per metric) when :attr:`point` is first read.
    """

    event: str
    """``retired`` (a stored point the accepted one was worse than), ``pruned`` (dominated by
    the accepted point), ``run`` (a measured run that did not move the frontier: judged only,
    equal within tolerance to a stored point, or dominated by another variant) or
    ``superseded`` (files of earlier versions: a point an equal result replaced)."""
    at: str
    point: Point
    verdict: str | None = None

    EVENTS = frozenset({"retired", "pruned", "superseded", "run"})

    def __getattr__(self, name: str) -> Any:
        # Only reached for a ``point`` not built yet (an entry read from a file).
        summary = self.__dict__.get("_summary")
        if name != "point" or summary is None:
            raise AttributeError(name)
        point = self.__dict__["point"] = summary.point()
        return point

    @property
    def summary(self) -> PointSummary:
        """What the entry keeps of its point, without building the point."""
        return _memo(self, "_summary", lambda: PointSummary.of(self.point))

    def to_json(self, machine_key: str | None = None) -> dict[str, JSON]:
        data: dict[str, JSON] = {
            "at": self.at,
            "event": self.event,
            "point": self.summary.to_json(machine_key),
        }
        if self.verdict is not None:
            data["verdict"] = self.verdict
        return data

    @classmethod
    def from_json(
        cls, data: Mapping[str, JSON], where: str, machines: Mapping[str, Machine] | None = None
    ) -> HistoryEntry:
        if not isinstance(data, Mapping) or data.get("event") not in cls.EVENTS:
            raise ConfigError(f"{where}: history entries need an event in {sorted(cls.EVENTS)}")
        verdict = data.get("verdict")
        entry = object.__new__(cls)
        _set_fields(
            entry,
            event=str(data["event"]),
            at=str(data.get("at", "")),
            verdict=str(verdict) if verdict is not None else None,
            _summary=PointSummary.from_json(data.get("point"), where, machines),
        )
        return entry


class _MachineTable:
    """The ``machines`` table of one test as it is written: each fingerprint once."""

    def __init__(self) -> None:
        self.entries: dict[str, JSON] = {}
        self._keys: dict[int, str] = {}

    def key(self, machine: Machine | None) -> str | None:
        if machine is None:
            return None
        key = self._keys.get(id(machine))
        if key is None:
            key = self._keys[id(machine)] = machine_key(machine)
            self.entries.setdefault(key, machine.to_json())
        return key


def _machines_from_json(data: object, where: str) -> dict[str, Machine]:
    if not isinstance(data, Mapping):
        raise ConfigError(f"{where}: 'machines' must be an object")
    return {
        str(key): Machine.from_json(spec, f"{where}, machine {key!r}") for key, spec in data.items()
    }


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
        table = _MachineTable()
        data: dict[str, JSON] = {
            "metrics": {name: m.to_json() for name, m in sorted(self.metrics.items())},
            "points": [point.to_json(table.key(point.machine)) for point in self.points],
            "history": [entry.to_json(table.key(entry.summary.machine)) for entry in self.history],
        }
        if table.entries:
            data["machines"] = table.entries
        return data

    @classmethod
    def from_json(cls, test_id: str, data: Mapping[str, JSON], where: str) -> TestBaseline:
        if not isinstance(data, Mapping):
            raise ConfigError(f"{where}: test {test_id!r} must be an object")
        here = f"{where}: test {test_id!r}"
        points_data = data.get("points", [])
        history_data = data.get("history", [])
        if not isinstance(points_data, list) or not isinstance(history_data, list):
            raise ConfigError(f"{here}: 'points' and 'history' must be lists")
        metrics = _metrics_from_json(data.get("metrics", {}), here)
        machines = _machines_from_json(data.get("machines", {}), here)
        points = tuple(
            Point.from_json(p, f"{here}, point {i}", machines) for i, p in enumerate(points_data)
        )
        history = tuple(
            HistoryEntry.from_json(h, f"{here}, history {i}", machines)
            for i, h in enumerate(history_data)
        )
        declared = set(metrics)
        stored = [p.observations.keys() for p in points] + [
            h.summary.values.keys() for h in history
        ]
        for i, names in enumerate(stored):
            kind, index = ("point", i) if i < len(points) else ("history", i - len(points))
            missing = names - declared
            if missing:
                raise ConfigError(
                    f"{here}, {kind} {index}: metrics {sorted(missing)} are not declared"
                )
        return cls(test_id, metrics, points, history)


def _metrics_from_json(data: object, here: str) -> dict[str, Metric]:
    if not isinstance(data, Mapping):
        raise ConfigError(f"{here}: 'metrics' must be an object")
    metrics = {}
    for name, spec in data.items():
        if not isinstance(spec, Mapping):
            raise ConfigError(f"{here}: metric {name!r} must be an object")
        try:
            metrics[str(name)] = Metric.from_json(str(name), spec)
        except ValueError as exc:
            raise ConfigError(f"{here}: metric {name!r}: {exc}") from None
    return metrics
