"""Dominance between points, with tolerances, and the Pareto front.

Every objective is first oriented so that lower is better (see :meth:`Direction.orient`).
"""

from __future__ import annotations

import enum
import functools
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from pytest_pareto.model.metrics import Metric, Tolerance
from pytest_pareto.model.points import Observation, Point

__all__ = [
    "Comparator",
    "Dominance",
    "MetricComparison",
    "Relation",
    "compare_values",
    "dominance_from",
    "epsilon_indicator",
    "oriented_values",
    "pareto_front",
    "relation_from",
    "strictly_dominates",
]


class Relation(enum.Enum):
    """How a candidate's value on one metric relates to a reference value."""

    BETTER = "better"
    """Better by more than the tolerance (and, for noisy metrics, significantly so)."""
    WORSE = "worse"
    """Worse by more than the tolerance (and, for noisy metrics, significantly so)."""
    EQUAL = "equal"
    """Within the tolerance."""
    UNSURE_WORSE = "unsure-worse"
    """The estimate is worse beyond the tolerance, but not significantly: more samples needed."""
    UNSURE_BETTER = "unsure-better"
    """The estimate is better beyond the tolerance, but not significantly."""


@dataclass(frozen=True)
class MetricComparison:
    """A candidate's value on one metric against a reference point's value."""

    metric: Metric
    candidate: float
    reference: float
    relation: Relation
    tolerance: Tolerance
    method: str = "exact"
    """How the relation was decided: ``exact`` (value within tolerance), or a test's name."""
    p_value: float | None = None
    """For a statistical test: the p-value of the decisive one-sided test."""
    confidence: float | None = None
    """Level of ``interval`` (e.g. 0.95)."""
    interval_source: Callable[[], tuple[float, float] | None] | None = field(
        default=None, compare=False, repr=False
    )
    """Gives :attr:`interval` when first asked: a bootstrap takes tens of milliseconds, and
    most comparisons (those of passing tests, of points that did not decide) are never shown."""
    processes: tuple[int, int] | None = None
    """Processes measured for (candidate, reference)."""
    normalised_ratio: float | None = None
    """When the test compared speed-normalised values: the ratio of their medians, which
    ``interval`` brackets (``ratio`` stays that of the raw values)."""
    p_not_worse: float | None = None
    """For a rank test: the p-value of "worse beyond the tolerance" as the null (Bonferroni
    adjusted over the verdict's comparisons); small rules a slowdown beyond tolerance out, so
    more processes cannot make it *worse* (the futility boundary of the sequential design)."""

    @functools.cached_property
    def interval(self) -> tuple[float, float] | None:
        """Confidence interval of ``candidate / reference`` (see :attr:`normalised_ratio`)."""
        return self.interval_source() if self.interval_source is not None else None

    @property
    def ratio(self) -> float | None:
        if self.reference == 0:
            return None
        return self.candidate / self.reference

    @property
    def tested_ratio(self) -> float | None:
        """The ratio the decision rests on: speed-normalised when the test used that."""
        return self.normalised_ratio if self.normalised_ratio is not None else self.ratio

    @property
    def change(self) -> float | None:
        """Relative change of the candidate against the reference (+0.12 is 12% higher)."""
        if self.reference == 0:
            return None
        return (self.candidate - self.reference) / abs(self.reference)

    @property
    def gating_band(self) -> float:
        return max(self.tolerance.band(self.reference), self.metric.floor)

    def to_json(self) -> dict[str, Any]:
        return {
            "candidate": self.candidate,
            "reference": self.reference,
            "relation": self.relation.value,
            "change": self.change,
            "tolerance": {"rel": self.tolerance.rel, "abs": self.tolerance.abs},
            "method": self.method,
            "p_value": self.p_value,
            "confidence": self.confidence,
            "interval": list(self.interval) if self.interval is not None else None,
            "processes": list(self.processes) if self.processes is not None else None,
            "normalised_ratio": self.normalised_ratio,
        }

    @classmethod
    def from_json(cls, metric: Metric, data: Mapping[str, Any]) -> MetricComparison:
        interval = data.get("interval")
        processes = data.get("processes")
        return cls(
            metric=metric,
            candidate=float(data["candidate"]),
            reference=float(data["reference"]),
            relation=Relation(data["relation"]),
            tolerance=Tolerance.parse(data.get("tolerance", {}), metric=metric.name),
            method=str(data.get("method", "exact")),
            p_value=data.get("p_value"),
            confidence=data.get("confidence"),
            interval_source=functools.partial(_given, (float(interval[0]), float(interval[1])))
            if interval
            else None,
            processes=(int(processes[0]), int(processes[1])) if processes else None,
            normalised_ratio=data.get("normalised_ratio"),
        )


def _given(interval: tuple[float, float]) -> tuple[float, float]:
    return interval


class Comparator(Protocol):
    """Decides one metric's :class:`Relation` between a candidate and a reference.

    ``family_size`` is the number of comparisons made for one verdict, for
    multiple-testing corrections in statistical comparators.
    """

    def __call__(
        self,
        metric: Metric,
        candidate: Observation,
        reference: Observation,
        tolerance: Tolerance,
        family_size: int,
    ) -> MetricComparison: ...


def relation_from(surely_worse: bool, surely_better: bool, diff: float, band: float) -> Relation:
    """A metric's relation: a sure change first (significant, or beyond doubt), else the
    oriented estimate ``diff`` (candidate minus reference) against the tolerance ``band``."""
    if surely_worse:
        return Relation.WORSE
    if surely_better:
        return Relation.BETTER
    if diff > band:
        return Relation.UNSURE_WORSE
    if diff < -band:
        return Relation.UNSURE_BETTER
    return Relation.EQUAL


def compare_values(
    metric: Metric,
    candidate: Observation,
    reference: Observation,
    tolerance: Tolerance,
    family_size: int = 1,
) -> MetricComparison:
    """Compare the two values exactly: beyond the tolerance band is better or worse.

    Censored values (bounds) are not for this comparator: the verdict sends them to
    :func:`~pytest_pareto.judging.censoring.compare_censored`.
    """
    cand, ref = candidate.value, reference.value
    band = max(tolerance.band(ref), metric.floor)
    diff = metric.direction.orient(cand) - metric.direction.orient(ref)
    return MetricComparison(
        metric=metric,
        candidate=cand,
        reference=ref,
        relation=relation_from(diff > band, diff < -band, diff, band),
        tolerance=tolerance,
        method="exact",
        processes=(candidate.processes, reference.processes),
    )


class Dominance(enum.Enum):
    """The relation of a left (candidate) point to a right (reference) point.

    Decided from the per-metric :class:`Relation` of left against right:

    * ``EQUAL``: every metric is within its tolerance (unsure-better counts as equal).
    * ``LEFT_DOMINATES``: left is better on at least one metric, worse (surely or
      unsurely) on none.
    * ``RIGHT_DOMINATES``: left is surely worse on at least one metric and better on none.
      This is the failing case.
    * ``NO_DOMINANCE``: left is better on at least one metric and worse (surely or
      unsurely) on another: a trade-off.
    * ``UNDECIDED``: left is better on none, surely worse on none, but unsurely worse on at
      least one: right may dominate left, and more samples would tell.
    """

    EQUAL = "equal"
    LEFT_DOMINATES = "left-dominates"
    RIGHT_DOMINATES = "right-dominates"
    NO_DOMINANCE = "no-dominance"
    UNDECIDED = "undecided"


def dominance_from(relations: Iterable[Relation]) -> Dominance:
    """Combine per-metric relations of left against right into a :class:`Dominance`."""
    seen = set(relations)
    better = Relation.BETTER in seen
    worse = Relation.WORSE in seen
    unsure_worse = Relation.UNSURE_WORSE in seen
    if worse and not better:
        return Dominance.RIGHT_DOMINATES
    if better and not (worse or unsure_worse):
        return Dominance.LEFT_DOMINATES
    if better:
        return Dominance.NO_DOMINANCE
    if unsure_worse:
        return Dominance.UNDECIDED
    return Dominance.EQUAL


def oriented_values(point: Point, metrics: Sequence[Metric]) -> tuple[float, ...]:
    """The point's values of ``metrics``, each oriented so that lower is better."""
    return tuple(m.direction.orient(point.value(m.name)) for m in metrics)


def strictly_dominates(left: Point, right: Point, metrics: Sequence[Metric]) -> bool:
    """Classic Pareto dominance with zero tolerance: no worse anywhere, better somewhere."""
    a, b = oriented_values(left, metrics), oriented_values(right, metrics)
    return all(x <= y for x, y in zip(a, b, strict=True)) and any(
        x < y for x, y in zip(a, b, strict=True)
    )


def pareto_front(points: Iterable[Point], metrics: Sequence[Metric]) -> list[Point]:
    """The points no other point strictly dominates, in their input order.

    Duplicates (equal on every metric) are all kept: neither dominates the other.
    """
    pool = list(points)
    return [
        p for p in pool if not any(strictly_dominates(q, p, metrics) for q in pool if q is not p)
    ]


def epsilon_indicator(
    candidate: Mapping[str, float], reference: Mapping[str, float], metrics: Sequence[Metric]
) -> float | None:
    """The multiplicative ε-indicator I_ε(candidate, reference) = max over metrics of c/r.

    Values are oriented lower-is-better (higher-is-better values are inverted). A result above
    1 is the largest factor by which the candidate is worse than the reference on any metric;
    at most 1 means the candidate weakly dominates the reference. Metrics whose values are not
    both positive are left out (the ratio is undefined); ``None`` when none is left.
    """
    ratios = []
    for metric in metrics:
        c, r = candidate.get(metric.name), reference.get(metric.name)
        if c is None or r is None or c <= 0 or r <= 0:
            continue
        ratio = c / r if metric.direction.value == "lower" else r / c
        ratios.append(ratio)
    if not ratios:
        return None
    result = max(ratios)
    return result if math.isfinite(result) else None
