"""The one judging pipeline and the one acceptance path, used by every caller.

The pytest plugin, the replication controller (interim verdicts), variant groups and the
notebook gate all judge a test the same way -- its stored baseline, the points comparable
with this machine, the union of stored and new metric definitions, a :class:`JudgePolicy` --
through :func:`judge_test`, and accept a verdict into the store through :func:`accept`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from pytest_pareto.errors import ConfigError
from pytest_pareto.frontier.maintenance import (
    FrontierChange,
    accept_point,
    comparable_points,
    departures,
    merge_metrics,
)
from pytest_pareto.judging.dominance import compare_values
from pytest_pareto.judging.sequential import SequentialDesign
from pytest_pareto.judging.stats import RankComparator
from pytest_pareto.judging.verdict import JudgePolicy, Verdict, judge
from pytest_pareto.model.machine import Machine, Matching
from pytest_pareto.model.metrics import Metric, Tolerance, Variability
from pytest_pareto.model.points import Point, TestBaseline
from pytest_pareto.store.baseline_files import Store

__all__ = ["JudgeContext", "accept", "judge_test"]


@dataclass(frozen=True)
class JudgeContext:
    """Where and how this run judges: the store, this machine, and the run's defaults."""

    store: Store
    machine: Machine
    matching: Matching = Matching.EXACT
    default_tolerance: Tolerance = field(default_factory=lambda: Tolerance(rel=0.05))

    def policy(
        self,
        tolerances: Mapping[str, Tolerance],
        metrics: Sequence[str] | None,
        design: SequentialDesign | None = None,
    ) -> JudgePolicy:
        """How a test with these per-metric ``tolerances`` and gating ``metrics`` (``None``:
        all) is judged: noisy metrics with the rank test under ``design`` (its processes and
        alpha; with one process a side, the single-process margin), deterministic ones value
        by value. The plugin and the notebook gate both judge through here."""
        return JudgePolicy(
            tolerances=tolerances,
            default_tolerance=self.default_tolerance,
            gating=frozenset(metrics) if metrics is not None else None,
            comparators={
                Variability.NOISY: RankComparator(design or SequentialDesign()),
                Variability.DETERMINISTIC: compare_values,
            },
        )


def judge_test(
    context: JudgeContext,
    test_id: str,
    candidate: Point,
    new_metrics: Mapping[str, Metric],
    baseline: TestBaseline | None,
    policy: JudgePolicy,
    *,
    references: tuple[Sequence[Point], str, Mapping[str, Metric]] | None = None,
) -> Verdict:
    """Judge ``candidate`` against the points of ``baseline`` comparable with this machine.

    ``references`` replaces the stored points (points, why none, their metric definitions):
    the reference side measured in the same run (``--pareto-against``). A metric whose
    direction or unit differs from the stored one is a :class:`ConfigError` naming the file.
    """
    stored = baseline.metrics if baseline is not None else {}
    try:
        metrics = merge_metrics(test_id, stored, new_metrics)
    except ConfigError as exc:
        where = context.store.path_for(baseline.test_id if baseline is not None else test_id)
        raise ConfigError(f"{exc} (stored in {where})") from None
    if references is None:
        points, reason = comparable_points(baseline, context.machine, context.matching)
    else:
        points, reason = tuple(references[0]), references[1]
        for name, metric in references[2].items():
            metrics.setdefault(name, metric)
    return judge(test_id, candidate, tuple(points), metrics, policy, skipped_reason=reason)


def accept(store: Store, verdict: Verdict, *, baseline_id: str | None = None) -> FrontierChange:
    """Accept ``verdict``'s candidate into its frontier in ``store``, under the file's lock.

    Stored points leave as :func:`~pytest_pareto.frontier.maintenance.departures` says;
    points another run added meanwhile stay.
    """
    test_id = baseline_id or verdict.test_id
    changes: list[FrontierChange] = []

    def change(current: TestBaseline | None) -> TestBaseline:
        updated, what = accept_point(
            current, test_id, verdict.candidate, verdict.metrics, departures(verdict)
        )
        changes.append(what)
        return updated

    store.update(test_id, change)
    return changes[-1]
