"""Objectives: what is measured, in which unit, and which way is better."""

from __future__ import annotations

import difflib
import enum
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from pytest_pareto.errors import ConfigError

__all__ = [
    "BUILTIN_METRICS",
    "SPEED_NORMALISED",
    "Direction",
    "Metric",
    "MetricRegistry",
    "Tolerance",
    "Variability",
    "unknown_metrics_message",
]


class Direction(enum.Enum):
    """Which way an objective improves."""

    LOWER = "lower"
    """Lower is better (time, memory, energy, loss)."""
    HIGHER = "higher"
    """Higher is better (accuracy, throughput)."""

    def orient(self, value: float) -> float:
        """Map ``value`` onto a lower-is-better axis."""
        return value if self is Direction.LOWER else -value

    @classmethod
    def parse(cls, text: str | Direction) -> Direction:
        if isinstance(text, Direction):
            return text
        try:
            return cls(str(text).lower())
        except ValueError:
            raise ConfigError(
                f"better={text!r} is not a direction; use better='lower' or better='higher'"
            ) from None


class Variability(enum.Enum):
    """How a metric's value varies when the same code runs again."""

    NOISY = "noisy"
    """Varies between processes (time, RSS, energy): judged with statistics over processes."""
    DETERMINISTIC = "deterministic"
    """Repeats exactly (FLOPs, allocated bytes, seeded accuracy): compared within tolerance."""


def _bare_fraction(value: float, where: str) -> float:
    """A bare number is a fraction: above 1 it is almost surely a percentage or an absolute
    amount written without saying which, and 10 would silently mean 1000%."""
    if value > 1:
        raise ConfigError(
            f"tolerance{where} = {value:g} is ambiguous: a bare number is a fraction, so it "
            f"would mean {value * 100:g}%; write '{value:g}%' for a percentage or "
            f"'abs:{value:g}' for an absolute amount (or a fraction such as {value / 100:g})"
        )
    return value


@dataclass(frozen=True)
class Tolerance:
    """How far a value may move from a reference before it counts as a change.

    The band around a reference value ``r`` is ``rel * |r| + abs``.
    """

    rel: float = 0.0
    abs: float = 0.0

    def __post_init__(self) -> None:
        for name in ("rel", "abs"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or not 0 <= value < math.inf:
                raise ConfigError(f"tolerance {name}={value!r} must be a finite number >= 0")

    def band(self, reference: float) -> float:
        return self.rel * abs(reference) + self.abs

    def describe(self, unit: str = "") -> str:
        parts = []
        if self.rel:
            parts.append(f"{self.rel * 100:.3g}%")
        if self.abs:
            parts.append(f"{self.abs:.4g}{(' ' + unit) if unit else ''}")
        return " + ".join(parts) if parts else "exact"

    @classmethod
    def parse(cls, spec: object, *, metric: str = "") -> Tolerance:
        """Parse a user's tolerance for ``metric``.

        Accepted forms: a number (a fraction, ``0.1`` is 10%), ``"10%"``, ``"abs:0.005"``
        (absolute, in the metric's base unit), a mapping ``{"rel": 0.1, "abs": 0.001}``,
        or a :class:`Tolerance`.
        """
        where = f" for metric {metric!r}" if metric else ""
        if isinstance(spec, Tolerance):
            return spec
        if isinstance(spec, bool):
            raise ConfigError(
                f"tolerance{where} must be a number, '10%' or 'abs:0.5', not {spec!r}"
            )
        if isinstance(spec, int | float):
            return cls(rel=_bare_fraction(float(spec), where))
        if isinstance(spec, str):
            text = spec.strip()
            try:
                if text.endswith("%"):
                    return cls(rel=float(text[:-1]) / 100.0)
                if text.lower().startswith("abs:"):
                    return cls(abs=float(text[4:]))
                number = float(text)
            except ValueError:
                pass
            else:
                return cls(rel=_bare_fraction(number, where))
        if isinstance(spec, Mapping):
            unknown = set(spec) - {"rel", "abs"}
            if not unknown:
                try:
                    return cls(rel=float(spec.get("rel", 0.0)), abs=float(spec.get("abs", 0.0)))
                except (TypeError, ValueError):
                    pass
        raise ConfigError(
            f"tolerance{where} must be a number (0.1 = 10%), '10%', 'abs:0.005' or "
            f"{{'rel': 0.1, 'abs': 0.005}}, not {spec!r}"
        )


@dataclass(frozen=True)
class Metric:
    """One objective: a name, its unit, which way is better, and how it varies."""

    name: str
    unit: str = ""
    direction: Direction = Direction.LOWER
    variability: Variability = Variability.DETERMINISTIC
    description: str = ""
    floor: float = 0.0
    """Absolute resolution of the measurement: changes smaller than this are never a change."""
    estimate: bool = False
    """True when the value is modelled rather than measured; reports label it."""
    rate: bool = False
    """True for a rate such as mean power: not a cost (a slower call can draw less power and
    still use more energy), so it is reported and never gates."""

    @property
    def noisy(self) -> bool:
        return self.variability is Variability.NOISY

    @property
    def gates(self) -> bool:
        """Whether the metric is an objective: estimates and rates are shown, never judged."""
        return not (self.estimate or self.rate)

    def label(self) -> str:
        suffix = " (estimate)" if self.estimate else " (rate)" if self.rate else ""
        return f"{self.name}{suffix}"

    def to_json(self) -> dict[str, object]:
        data: dict[str, object] = {
            "better": self.direction.value,
            "unit": self.unit,
            "variability": self.variability.value,
        }
        if self.estimate:
            data["estimate"] = True
        if self.rate:
            data["rate"] = True
        return data

    @classmethod
    def from_json(cls, name: str, data: Mapping[str, object]) -> Metric:
        builtin = BUILTIN_METRICS.get(name)
        if builtin is not None:
            # What a built-in metric is (direction, estimate, variability) is the code's to
            # say: a hand-edited file must not turn an estimate into an objective.
            return builtin
        base = cls(name)
        return replace(
            base,
            unit=str(data.get("unit", base.unit)),
            direction=Direction.parse(str(data.get("better", base.direction.value))),
            variability=Variability(str(data.get("variability", base.variability.value))),
            estimate=bool(data.get("estimate", base.estimate)),
            rate=bool(data.get("rate", base.rate)),
        )


def _builtin(*metrics: Metric) -> dict[str, Metric]:
    return {metric.name: metric for metric in metrics}


BUILTIN_METRICS: Mapping[str, Metric] = _builtin(
    Metric("wall_time", "s", Direction.LOWER, Variability.NOISY, "wall-clock time per call"),
    Metric(
        "cpu_time", "s", Direction.LOWER, Variability.NOISY, "CPU time of this process per call"
    ),
    Metric(
        "peak_rss",
        "B",
        Direction.LOWER,
        Variability.NOISY,
        "peak resident memory during a call, above the resident memory before it",
        floor=1024 * 1024,
    ),
    Metric(
        "py_alloc_peak",
        "B",
        Direction.LOWER,
        Variability.DETERMINISTIC,
        "peak of Python heap allocations during one call (tracemalloc, separate pass)",
        floor=1024,
    ),
    Metric(
        "py_alloc_retained",
        "B",
        Direction.LOWER,
        Variability.DETERMINISTIC,
        "Python heap still allocated after one call, beyond before it: its result, a cache "
        "or a leak (tracemalloc, separate pass)",
        floor=1024,
    ),
    Metric(
        "instructions",
        "",
        Direction.LOWER,
        Variability.DETERMINISTIC,
        "instructions executed per call (valgrind cachegrind, in a subprocess)",
    ),
    # Hardware probes (pytest_pareto/probes/{rapl,nvml,torch_cuda,flops,energy_estimate}.py).
    Metric(
        "energy_cpu",
        "J",
        Direction.LOWER,
        Variability.NOISY,
        "CPU package and DRAM energy per call (RAPL counters, whole sockets)",
    ),
    Metric(
        "energy_gpu",
        "J",
        Direction.LOWER,
        Variability.NOISY,
        "energy of the visible NVIDIA GPUs per call (NVML)",
    ),
    Metric(
        "gpu_power",
        "W",
        Direction.LOWER,
        Variability.NOISY,
        "mean power of the visible NVIDIA GPUs during the timed pass (NVML)",
        rate=True,
    ),
    Metric(
        "cuda_time",
        "s",
        Direction.LOWER,
        Variability.NOISY,
        "GPU time per call between CUDA events on the current stream",
    ),
    Metric(
        "gpu_peak_memory",
        "B",
        Direction.LOWER,
        Variability.NOISY,
        "peak CUDA memory allocated by torch during a round, above the memory before it",
        floor=1024 * 1024,
    ),
    Metric(
        "flops",
        "FLOP",
        Direction.LOWER,
        Variability.DETERMINISTIC,
        "floating-point operations of one call (torch FlopCounterMode, separate pass)",
    ),
    Metric(
        "energy_estimate",
        "J",
        Direction.LOWER,
        Variability.NOISY,
        "CPU time per call x watts per busy hardware thread (from a TDP figure); never gates",
        estimate=True,
    ),
)


SPEED_NORMALISED = frozenset({"wall_time", "cpu_time"})
"""Metrics whose per-process values are judged relative to the process's calibration run.

Shared hosts run a whole process fast or slow (up to ~1.6x here, set by which core or
neighbour it gets); a fixed calibration loop timed in the same process between rounds slows
down alike, so the ratio of the two cancels most of that spread."""


class MetricRegistry:
    """The metrics a session knows: built-ins, plugin-provided, and recorded by tests."""

    def __init__(self, metrics: Iterable[Metric] = ()) -> None:
        self._metrics: dict[str, Metric] = dict(BUILTIN_METRICS)
        for metric in metrics:
            self.add(metric)

    def add(self, metric: Metric) -> Metric:
        self._metrics[metric.name] = metric
        return metric

    def get(self, name: str) -> Metric | None:
        return self._metrics.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self._metrics

    def names(self) -> list[str]:
        return sorted(self._metrics)


def unknown_metrics_message(
    unknown: Iterable[str],
    known: Iterable[str],
    *,
    where: str = "",
    has: Iterable[str] | None = None,
) -> str:
    """Names no probe, plugin or recording defines, each with the closest known names.

    ``known`` are the names that would be valid; ``has`` (when given) what the test actually
    measured or recorded, listed at the end.
    """
    pool = sorted(set(known))
    parts = []
    for name in sorted(set(unknown)):
        close = difflib.get_close_matches(name, pool, n=3, cutoff=0.6)
        hint = f" (did you mean {' or '.join(close)}?)" if close else ""
        parts.append(f"{name!r}{hint}")
    noun = "metric" if len(parts) == 1 else "metrics"
    text = f"{where}unknown {noun} {', '.join(parts)}: no probe measures it, no plugin "
    text += "registers it and the test does not record it"
    if has is None:
        return text
    return text + f"; it has: {', '.join(sorted(set(has))) or 'none'}"
