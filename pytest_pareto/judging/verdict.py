"""Judging a new point against the stored frontier: the verdict."""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from pytest_pareto.errors import ConfigError
from pytest_pareto.judging.censoring import compare_censored
from pytest_pareto.judging.dominance import (
    Comparator,
    Dominance,
    MetricComparison,
    compare_values,
    dominance_from,
    epsilon_indicator,
)
from pytest_pareto.judging.sequential import SequentialDesign
from pytest_pareto.judging.stats import RankComparator
from pytest_pareto.model.metrics import Metric, Tolerance, Variability
from pytest_pareto.model.points import Point

__all__ = ["BY_SEVERITY", "JudgePolicy", "Outcome", "PointComparison", "Verdict", "judge"]


class Outcome(enum.Enum):
    """What a verdict says about a new point."""

    NEW = "new"
    """No comparable stored point: nothing to judge against."""
    PASS = "pass"
    """Equal, within tolerance, to a stored point."""
    IMPROVED = "improved"
    """Dominates a stored point, dominated by none."""
    TRADE_OFF = "trade-off"
    """Better than each comparable stored point somewhere and worse elsewhere."""
    DOMINATED = "dominated"
    """A stored point is better somewhere and no worse anywhere: a regression."""
    INCONCLUSIVE = "inconclusive"
    """A stored point may dominate it, but the evidence is not significant."""
    SKIPPED = "skipped"
    """Stored points exist, but none can be compared (another machine, no common metric)."""

    @property
    def symbol(self) -> str:
        return _SYMBOLS[self]


BY_SEVERITY = (
    Outcome.DOMINATED,
    Outcome.INCONCLUSIVE,
    Outcome.IMPROVED,
    Outcome.TRADE_OFF,
    Outcome.PASS,
    Outcome.NEW,
    Outcome.SKIPPED,
)
"""Outcomes from the most to the least pressing: the order of summaries and counts."""

_SYMBOLS = {
    Outcome.NEW: "+",
    Outcome.PASS: "=",
    Outcome.IMPROVED: "↑",
    Outcome.TRADE_OFF: "~",
    Outcome.DOMINATED: "✗",
    Outcome.INCONCLUSIVE: "?",
    Outcome.SKIPPED: "-",
}


@dataclass(frozen=True)
class JudgePolicy:
    """How to compare: tolerances, which metrics gate, and the comparators."""

    tolerances: Mapping[str, Tolerance] = field(default_factory=dict)
    default_tolerance: Tolerance = field(default_factory=lambda: Tolerance(rel=0.05))
    gating: frozenset[str] | None = None
    """Metric names that gate; ``None`` gates on every metric both points have."""
    comparators: Mapping[Variability, Comparator] = field(
        default_factory=lambda: {
            Variability.NOISY: compare_values,
            Variability.DETERMINISTIC: compare_values,
        }
    )

    def tolerance_for(self, metric: str) -> Tolerance:
        return self.tolerances.get(metric, self.default_tolerance)


@dataclass(frozen=True)
class PointComparison:
    """The candidate against one stored point."""

    reference: Point
    comparisons: tuple[MetricComparison, ...]
    dominance: Dominance
    epsilon: float | None
    """Multiplicative ε-indicator of the candidate against this point (see
    :func:`~pytest_pareto.judging.dominance.epsilon_indicator`)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "reference": self.reference.to_json(),
            "dominance": self.dominance.value,
            "epsilon": self.epsilon,
            "metrics": {c.metric.name: c.to_json() for c in self.comparisons},
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any], metrics: Mapping[str, Metric]) -> PointComparison:
        comparisons = tuple(
            MetricComparison.from_json(metrics[name], entry)
            for name, entry in sorted(data["metrics"].items())
        )
        return cls(
            reference=Point.from_json(data["reference"], "verdict reference"),
            comparisons=comparisons,
            dominance=Dominance(data["dominance"]),
            epsilon=data.get("epsilon"),
        )


@dataclass(frozen=True)
class Verdict:
    """The judgement of one test's new point against its stored frontier."""

    test_id: str
    outcome: Outcome
    candidate: Point
    metrics: Mapping[str, Metric]
    against: tuple[PointComparison, ...] = ()
    """Every comparable stored point, in frontier order."""
    decisive: PointComparison | None = None
    """The stored point that decided the outcome (the strongest dominator when dominated)."""
    reason: str = ""
    """Why the outcome is NEW or SKIPPED, in words."""
    design: SequentialDesign | None = None
    """The sequential design noisy metrics were judged under (processes, alpha), if any."""

    def fails(self, *, strict: bool = False) -> bool:
        """Whether this verdict fails its test (``strict``: new and inconclusive fail too)."""
        if self.outcome is Outcome.DOMINATED:
            return True
        return strict and self.outcome in (Outcome.NEW, Outcome.INCONCLUSIVE)

    def to_json(self) -> dict[str, Any]:
        return {
            "test_id": self.test_id,
            "outcome": self.outcome.value,
            "reason": self.reason,
            "candidate": self.candidate.to_json(),
            "metrics": {name: m.to_json() for name, m in sorted(self.metrics.items())},
            "decisive": self.against.index(self.decisive) if self.decisive else None,
            "against": [pc.to_json() for pc in self.against],
            **({"design": self.design.to_json()} if self.design is not None else {}),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Verdict:
        """Rebuild a verdict from :meth:`to_json` (e.g. sent by an xdist worker)."""
        metrics = {name: Metric.from_json(name, spec) for name, spec in data["metrics"].items()}
        against = tuple(PointComparison.from_json(pc, metrics) for pc in data["against"])
        decisive = data.get("decisive")
        return cls(
            test_id=str(data["test_id"]),
            outcome=Outcome(data["outcome"]),
            candidate=Point.from_json(data["candidate"], "verdict candidate"),
            metrics=metrics,
            against=against,
            decisive=against[decisive] if decisive is not None else None,
            reason=str(data.get("reason", "")),
            design=SequentialDesign.from_json(data["design"]) if data.get("design") else None,
        )


def _gating_metrics(
    candidate: Point, reference: Point, metrics: Mapping[str, Metric], policy: JudgePolicy
) -> list[Metric]:
    names = candidate.metric_names & reference.metric_names
    if policy.gating is not None:
        names &= policy.gating
    # An estimate is a function of a measured metric (energy_estimate of cpu_time) and a rate
    # (mean power) is not a cost: neither gates.
    return [metrics[name] for name in sorted(names) if metrics[name].gates]


def _comparator(
    policy: JudgePolicy, metric: Metric, candidate: Point, reference: Point
) -> Comparator:
    """The policy's comparator, unless a value is censored (a bound, not a sample)."""
    if candidate.observations[metric.name].censored or reference.observations[metric.name].censored:
        return compare_censored
    return policy.comparators[metric.variability]


def compare_points(
    candidate: Point,
    reference: Point,
    metrics: Mapping[str, Metric],
    policy: JudgePolicy,
    family_size: int = 1,
) -> PointComparison | None:
    """Compare the candidate with one stored point; ``None`` when they share no gating metric."""
    gating = _gating_metrics(candidate, reference, metrics, policy)
    if not gating:
        return None
    comparisons = tuple(
        _comparator(policy, metric, candidate, reference)(
            metric,
            candidate.observations[metric.name],
            reference.observations[metric.name],
            policy.tolerance_for(metric.name),
            family_size,
        )
        for metric in gating
    )
    return PointComparison(
        reference=reference,
        comparisons=comparisons,
        dominance=dominance_from(c.relation for c in comparisons),
        epsilon=epsilon_indicator(candidate.values(), reference.values(), gating),
    )


def judge(
    test_id: str,
    candidate: Point,
    references: Sequence[Point],
    metrics: Mapping[str, Metric],
    policy: JudgePolicy | None = None,
    *,
    skipped_reason: str = "",
) -> Verdict:
    """Judge ``candidate`` against the comparable stored points ``references``.

    The outcome, in order of precedence: DOMINATED if any point dominates the candidate,
    INCONCLUSIVE if any may, IMPROVED if it dominates any, PASS if it equals any, else
    TRADE_OFF. With no reference: NEW, or SKIPPED when ``skipped_reason`` says why stored
    points were left out.
    """
    policy = policy or JudgePolicy()
    verdict = _outcome(test_id, candidate, references, metrics, policy, skipped_reason)
    noisy = policy.comparators.get(Variability.NOISY)
    if isinstance(noisy, RankComparator) and verdict.against:
        return replace(verdict, design=noisy.design)
    return verdict


def _outcome(
    test_id: str,
    candidate: Point,
    references: Sequence[Point],
    metrics: Mapping[str, Metric],
    policy: JudgePolicy,
    skipped_reason: str,
) -> Verdict:
    unknown = set(candidate.metric_names) - set(metrics)
    if unknown:
        raise ConfigError(f"{test_id}: metrics {sorted(unknown)} have no definition")
    if not references:
        if skipped_reason:
            return Verdict(test_id, Outcome.SKIPPED, candidate, metrics, reason=skipped_reason)
        return Verdict(test_id, Outcome.NEW, candidate, metrics, reason="no baseline")
    noisy = [
        name for name in candidate.metric_names if metrics[name].variability is Variability.NOISY
    ]
    if policy.gating is not None:
        noisy = [name for name in noisy if name in policy.gating]
    family_size = max(1, len(noisy) * len(references))
    against = tuple(
        pc
        for ref in references
        if (pc := compare_points(candidate, ref, metrics, policy, family_size)) is not None
    )
    if not against:
        return Verdict(
            test_id,
            Outcome.SKIPPED,
            candidate,
            metrics,
            reason="no stored point shares a gating metric with this result",
        )

    def strongest(kind: Dominance) -> PointComparison | None:
        # The point that shows the largest gap: the worst regression, the best improvement.
        found = [pc for pc in against if pc.dominance is kind]
        if not found:
            return None
        sign = -1.0 if kind is Dominance.LEFT_DOMINATES else 1.0
        return max(found, key=lambda pc: sign * pc.epsilon if pc.epsilon is not None else 0.0)

    for dominance, outcome in (
        (Dominance.RIGHT_DOMINATES, Outcome.DOMINATED),
        (Dominance.UNDECIDED, Outcome.INCONCLUSIVE),
        (Dominance.LEFT_DOMINATES, Outcome.IMPROVED),
        (Dominance.EQUAL, Outcome.PASS),
    ):
        decisive = strongest(dominance)
        if decisive is not None:
            return Verdict(test_id, outcome, candidate, metrics, against, decisive)
    closest = min(against, key=lambda pc: pc.epsilon if pc.epsilon is not None else float("inf"))
    return Verdict(test_id, Outcome.TRADE_OFF, candidate, metrics, against, closest)
