"""Frontier quality indicators: hypervolume, ε-indicators and distance to a front.

Every function here takes objective vectors oriented lower-is-better (see
:meth:`~pytest_pareto.model.metrics.Direction.orient`). :func:`verdict_indicators` compares the
stored front of a verdict with the front that accepting its new point would leave:

* **hypervolume** of each front, with every metric normalised to [0, 1] over the points of
  both fronts (0 the best value seen, 1 the worst) and the reference point at 1.1 on each
  axis; its relative change is what a report calls "covers 4% less hypervolume".
* **ε-indicators of the stored front against the new point**: the additive one in normalised
  units, the multiplicative one on the raw values (higher-is-better values inverted, metrics
  with values <= 0 left out). Below 0 (additive) or 1 (multiplicative): a stored point is
  better than the new point by at least that much on every metric. Above: every stored point
  is worse than the new point on some metric by at least that much.
* **distance** from the new point to the nearest stored point, Euclidean, normalised.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pytest_pareto.frontier.groups import group_departures
from pytest_pareto.frontier.maintenance import departures
from pytest_pareto.judging.dominance import oriented_values
from pytest_pareto.judging.verdict import Verdict
from pytest_pareto.model.metrics import Direction, Metric
from pytest_pareto.model.points import Point

__all__ = [
    "REFERENCE",
    "FrontIndicators",
    "additive_epsilon",
    "distance_to_front",
    "front_after_accepting",
    "front_indicators",
    "hypervolume",
    "multiplicative_epsilon",
    "normalise",
    "verdict_indicators",
]

Vector = Sequence[float]

REFERENCE = 1.1
"""Hypervolume reference point on each normalised axis (just beyond the worst value)."""


def hypervolume(points: Sequence[Vector], reference: Vector) -> float:
    """Volume of the region dominated by ``points`` and bounded by ``reference`` (minimising).

    Exact, by slicing along the last axis: fine for the small fronts of a test.
    """
    dims = len(reference)
    inside = [tuple(p) for p in points if all(x < r for x, r in zip(p, reference, strict=True))]
    if not inside:
        return 0.0
    if dims == 1:
        return reference[0] - min(p[0] for p in inside)
    inside.sort(key=lambda p: p[-1])
    volume = 0.0
    for i, point in enumerate(inside):
        top = inside[i + 1][-1] if i + 1 < len(inside) else reference[-1]
        height = top - point[-1]
        if height > 0:
            volume += height * hypervolume([p[:-1] for p in inside[: i + 1]], reference[:-1])
    return volume


def additive_epsilon(a: Sequence[Vector], b: Sequence[Vector]) -> float:
    """I_ε+(A, B): the least ε such that every point of B is weakly dominated by some point
    of A moved by ε on every axis (``a - ε <= b``)."""
    return max(min(max(x - y for x, y in zip(p, q, strict=True)) for p in a) for q in b)


def multiplicative_epsilon(a: Sequence[Vector], b: Sequence[Vector]) -> float:
    """I_ε×(A, B) for positive values: the least ε with every b weakly dominated by some
    a divided by ε (``a <= ε·b``)."""
    return max(min(max(x / y for x, y in zip(p, q, strict=True)) for p in a) for q in b)


def distance_to_front(point: Vector, front: Sequence[Vector]) -> float:
    """Euclidean distance from ``point`` to the nearest point of ``front``."""
    return min(math.dist(point, other) for other in front)


def normalise(vectors: Sequence[Vector]) -> list[tuple[float, ...]]:
    """Each axis scaled to [0, 1] over ``vectors`` (an axis with one value maps to 0)."""
    if not vectors:
        return []
    columns = list(zip(*vectors, strict=True))
    low = [min(c) for c in columns]
    span = [max(c) - lo for c, lo in zip(columns, low, strict=True)]
    return [
        tuple((x - lo) / s if s > 0 else 0.0 for x, lo, s in zip(v, low, span, strict=True))
        for v in vectors
    ]


@dataclass(frozen=True)
class FrontIndicators:
    """A new point and the front it leaves, against the stored front."""

    metrics: tuple[str, ...]
    hypervolume_stored: float
    hypervolume_new: float
    epsilon_additive: float
    epsilon_multiplicative: float | None
    """``None`` when no metric has positive values on every point."""
    distance: float

    @property
    def hypervolume_change(self) -> float | None:
        """Relative change of the covered hypervolume (-0.04: 4% less)."""
        if self.hypervolume_stored <= 0:
            return None
        return self.hypervolume_new / self.hypervolume_stored - 1.0

    def describe(self) -> list[str]:
        """Two lines for a report: the front if accepted, and the new point against it."""
        over = ", ".join(self.metrics)
        change = self.hypervolume_change
        if change is None:
            coverage = f"would cover hypervolume {self.hypervolume_new:.3g} (the stored none)"
        elif abs(change) < 0.0005:
            coverage = "would cover the same hypervolume"
        else:
            word = "more" if change > 0 else "less"
            coverage = f"would cover {abs(change) * 100:.1f}% {word} hypervolume"
        lines = [f"front: if accepted it {coverage} (normalised over {over})"]
        parts = [f"ε+ {self.epsilon_additive:+.3g}"]
        factor = self.epsilon_multiplicative
        if factor is not None:
            parts.append(f"ε× {factor:.3g}")
        lines.append(
            f"front: stored front vs new point: {', '.join(parts)}"
            f"{_epsilon_words(self.epsilon_additive, factor)}; distance {self.distance:.3g}"
        )
        return lines


def _epsilon_words(additive: float, factor: float | None) -> str:
    if factor is not None and factor < 1:
        return f" (a stored point is better on every metric, by at least {1 / factor:.3g}x)"
    if factor is not None and factor > 1:
        return f" (every stored point is worse on some metric, by at least {factor:.3g}x)"
    if additive <= 0:
        return " (a stored point is at least as good on every metric)"
    return " (every stored point is worse on some metric)"


def _positive(point: Point, metric: Metric) -> float:
    value = point.value(metric.name)
    return value if metric.direction is Direction.LOWER else 1.0 / value


def front_indicators(
    candidate: Point, stored: Sequence[Point], new_front: Sequence[Point], metrics: Sequence[Metric]
) -> FrontIndicators | None:
    """Indicators of ``candidate`` and ``new_front`` against ``stored`` over ``metrics``
    (which every point must have); ``None`` without a stored point or a metric."""
    if not stored or not metrics:
        return None
    everyone = [candidate, *stored, *new_front]
    scaled = normalise([oriented_values(p, metrics) for p in everyone])
    new_point, rest = scaled[0], scaled[1:]
    stored_scaled, new_scaled = rest[: len(stored)], rest[len(stored) :]
    reference = [REFERENCE] * len(metrics)
    positive = [m for m in metrics if all(p.value(m.name) > 0 for p in [candidate, *stored])]
    epsilon_multiplicative = None
    if positive:
        epsilon_multiplicative = multiplicative_epsilon(
            [[_positive(p, m) for m in positive] for p in stored],
            [[_positive(candidate, m) for m in positive]],
        )
    return FrontIndicators(
        metrics=tuple(m.name for m in metrics),
        hypervolume_stored=hypervolume(stored_scaled, reference),
        hypervolume_new=hypervolume(new_scaled, reference),
        epsilon_additive=additive_epsilon(stored_scaled, [new_point]),
        epsilon_multiplicative=epsilon_multiplicative,
        distance=distance_to_front(new_point, stored_scaled),
    )


def front_after_accepting(verdict: Verdict) -> list[Point]:
    """The comparable front that ``--pareto-update`` would leave: single tests retire and
    prune as :func:`~pytest_pareto.frontier.maintenance.departures` says, group variants as
    :func:`~pytest_pareto.frontier.groups.group_departures` says; a result equal to a stored
    point is not added."""
    stored = [pc.reference for pc in verdict.against]
    blocker = None
    if any(point.variant is not None for point in stored):
        pairs = [(pc.reference, pc.dominance) for pc in verdict.against]
        leaving, blocker = group_departures(verdict.test_id, pairs, verdict.candidate.metric_names)
    else:
        leaving = departures(verdict)
    kept = [p for p in stored if p.id not in leaving.leaving]
    added = blocker is None and leaving.equal_to is None
    return [*kept, verdict.candidate] if added else kept


def verdict_indicators(
    verdict: Verdict, metrics: Mapping[str, Metric] | None = None
) -> FrontIndicators | None:
    """:func:`front_indicators` for a verdict, over the metrics every compared point shares."""
    if not verdict.against:
        return None
    metrics = metrics or verdict.metrics
    shared = set.intersection(*({c.metric.name for c in pc.comparisons} for pc in verdict.against))
    chosen = [metrics[name] for name in sorted(shared) if name in metrics]
    stored = [pc.reference for pc in verdict.against]
    return front_indicators(verdict.candidate, stored, front_after_accepting(verdict), chosen)
