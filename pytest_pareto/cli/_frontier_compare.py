"""Two sets of frontiers side by side: per test, which side dominates.

Each point of side B (the new side) is judged against the comparable points of side A with
:func:`~pytest_pareto.judging.verdict.judge`, exactly as a pytest run judges a new result. A test's
status is the most severe outcome among its B points: ``dominated`` if any B point is
dominated by an A point, then ``inconclusive``, ``improved``, ``trade-off``, ``pass``;
``new`` when A has no point of the test, ``removed`` when B has none.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pytest_pareto.cli._snapshots import Snapshot
from pytest_pareto.frontier.maintenance import comparable_points, merge_metrics
from pytest_pareto.judging.dominance import Relation
from pytest_pareto.judging.verdict import BY_SEVERITY, JudgePolicy, Outcome, Verdict, judge
from pytest_pareto.model.machine import Matching
from pytest_pareto.model.points import TestBaseline
from pytest_pareto.reports.words import format_change

__all__ = ["REMOVED", "TestComparison", "compare_snapshots", "status_counts"]

REMOVED = "removed"
"""Status of a test that side A has and side B does not."""


_BETTER_SIDE = {
    Outcome.DOMINATED.value: "A",
    Outcome.INCONCLUSIVE.value: "A (not significant)",
    Outcome.IMPROVED.value: "B",
    Outcome.TRADE_OFF.value: "neither (trade-off)",
    Outcome.PASS.value: "equal",
    Outcome.NEW.value: "only in B",
    Outcome.SKIPPED.value: "not compared",
    REMOVED: "only in A",
}


@dataclass(frozen=True)
class TestComparison:
    """One test on both sides."""

    __test__ = False  # not a pytest test class

    test_id: str
    status: str
    """An :class:`Outcome` value, or :data:`REMOVED`."""
    a_points: int
    b_points: int
    verdicts: tuple[Verdict, ...] = ()
    """Each B point judged against A's comparable points."""
    uncovered: int = 0
    """A points that no B point dominates or equals (B lost that part of the frontier)."""

    @property
    def better_side(self) -> str:
        return _BETTER_SIDE[self.status]

    @property
    def decisive(self) -> Verdict | None:
        """The verdict that gave the test its status."""
        return next((v for v in self.verdicts if v.outcome.value == self.status), None)

    def fails(self, *, strict: bool = False) -> bool:
        """A regression: a B point is dominated (``strict``: or possibly dominated)."""
        if self.status == Outcome.DOMINATED.value:
            return True
        return strict and self.status == Outcome.INCONCLUSIVE.value

    def detail(self) -> str:
        """The metrics that moved beyond tolerance in the decisive comparison, in words."""
        verdict = self.decisive
        if verdict is None or verdict.decisive is None:
            return verdict.reason if verdict is not None else ""
        moved = [
            f"{c.metric.name} {format_change(c.change)} {c.relation.value}"
            for c in verdict.decisive.comparisons
            if c.relation is not Relation.EQUAL
        ]
        return ", ".join(moved) if moved else "all metrics within tolerance"

    def to_json(self) -> dict[str, Any]:
        return {
            "test_id": self.test_id,
            "status": self.status,
            "better": self.better_side,
            "a_points": self.a_points,
            "b_points": self.b_points,
            "uncovered": self.uncovered,
            "detail": self.detail(),
            "verdicts": [v.to_json() for v in self.verdicts],
        }


def _covered(
    baseline: TestBaseline, by: TestBaseline, policy: JudgePolicy, matching: Matching
) -> int:
    """How many points of ``baseline`` a comparable point of ``by`` dominates or equals."""
    metrics = {**baseline.metrics, **by.metrics}
    count = 0
    for point in baseline.points:
        references, _ = comparable_points(by, point.machine, matching)
        verdict = judge(baseline.test_id, point, references, metrics, policy)
        count += verdict.outcome in (Outcome.DOMINATED, Outcome.PASS)
    return count


def _compare_test(
    test_id: str,
    a: TestBaseline | None,
    b: TestBaseline,
    policy: JudgePolicy,
    matching: Matching,
) -> TestComparison:
    metrics = merge_metrics(test_id, a.metrics if a else {}, b.metrics)
    verdicts = []
    for point in b.points:
        references, reason = comparable_points(a, point.machine, matching)
        verdicts.append(judge(test_id, point, references, metrics, policy, skipped_reason=reason))
    outcomes = {v.outcome for v in verdicts}
    status = next((o for o in BY_SEVERITY if o in outcomes), Outcome.NEW)
    uncovered = 0
    if a is not None and a.points and b.points:
        uncovered = len(a.points) - _covered(a, b, policy, matching)
    return TestComparison(
        test_id=test_id,
        status=status.value,
        a_points=len(a.points) if a else 0,
        b_points=len(b.points),
        verdicts=tuple(verdicts),
        uncovered=uncovered,
    )


def compare_snapshots(
    a: Snapshot,
    b: Snapshot,
    policy: JudgePolicy | None = None,
    matching: Matching = Matching.EXACT,
    *,
    prefix: str = "",
) -> list[TestComparison]:
    """Compare every test (whose id starts with ``prefix``) of both sides, sorted by test id."""
    policy = policy or JudgePolicy()
    ids = sorted(test_id for test_id in set(a.tests) | set(b.tests) if test_id.startswith(prefix))
    results = []
    for test_id in ids:
        a_test: TestBaseline | None = a.tests.get(test_id)
        b_test = b.tests.get(test_id)
        if b_test is None or not b_test.points:
            a_count = len(a_test.points) if a_test else 0
            results.append(TestComparison(test_id, REMOVED, a_count, 0))
            continue
        if a_test is not None and not a_test.points:
            a_test = None
        results.append(_compare_test(test_id, a_test, b_test, policy, matching))
    return results


def status_counts(comparisons: list[TestComparison]) -> Mapping[str, int]:
    counts: dict[str, int] = {}
    for comparison in comparisons:
        counts[comparison.status] = counts.get(comparison.status, 0) + 1
    order = [o.value for o in BY_SEVERITY] + [REMOVED]
    return {status: counts[status] for status in order if status in counts}
