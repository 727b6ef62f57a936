"""Variant frontiers: tests that share one frontier through the marker's ``group="..."``.

Storage: a group's frontier is one baseline entry, ``_groups/<slug>::<group>`` (the file
``baselines/_groups/<slug>.json``), whose points each carry the node id of the test that
produced them (:attr:`Point.variant`).

Timing: a variant that runs first cannot know the variants after it, so judging has two
stages. At test time each variant is judged against the *stored* group frontier (every
variant's stored points, its own included) and fails like any test when one of them
dominates it. At session end the variants of this run are judged against each other
(:func:`run_dominations`); a variant dominated by another variant's new point makes the run
fail with a summary that names both, whatever the order they ran in.

Accepting (``--pareto-update``, :func:`accept_variant`): a variant's own stored points leave
as a single test's would (retired or pruned; an equal one stays and the new point is not
added); another variant's point leaves only when the new point dominates it; and a new point
that another variant's point dominates is not added (it goes to the history as a ``run``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from pytest_pareto.frontier.maintenance import (
    DEPARTURE_EVENTS,
    Departures,
    FrontierChange,
    bound_history,
    dropped_words,
    merge_metrics,
    remove_departing,
)
from pytest_pareto.judging.dominance import Dominance
from pytest_pareto.judging.verdict import JudgePolicy, PointComparison, compare_points
from pytest_pareto.model.metrics import Metric
from pytest_pareto.model.points import HistoryEntry, Point, TestBaseline, utc_now

__all__ = [
    "GROUPS_FOLDER",
    "Domination",
    "GroupChange",
    "RunVariant",
    "accept_variant",
    "baseline_id",
    "group_baseline_id",
    "group_departures",
    "run_dominations",
]

GROUPS_FOLDER = "_groups"


def group_baseline_id(group: str) -> str:
    """The baseline id under which a group's frontier is stored."""
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", group).strip("-.") or "group"
    return f"{GROUPS_FOLDER}/{slug}::{group}"


def baseline_id(test_id: str, group: str | None) -> str:
    """Where a test's frontier is stored: its group's entry, or its own."""
    return group_baseline_id(group) if group else test_id


def group_departures(
    variant: str,
    against: Iterable[tuple[Point, Dominance]],
    metrics: frozenset[str] = frozenset(),
) -> tuple[Departures, Point | None]:
    """Which stored points leave if ``variant``'s new point is accepted, and the point of
    another variant that dominates it (then it is not added), from the new point's dominance
    against each stored point. A stored point of the same variant equal to the new one stays
    and the new point is not added, unless the new point measures ``metrics`` it lacks."""
    leaving: dict[str, str] = {}
    equal: str | None = None
    blocker: Point | None = None
    for point, dominance in against:
        if point.variant == variant:
            event = DEPARTURE_EVENTS.get(dominance)
            if event is not None:
                leaving[point.id] = event
            elif dominance is Dominance.EQUAL and metrics - point.metric_names:
                leaving[point.id] = "superseded"
            elif dominance is Dominance.EQUAL and equal is None:
                equal = point.id
        elif dominance is Dominance.LEFT_DOMINATES:
            leaving[point.id] = "pruned"
        elif dominance is Dominance.RIGHT_DOMINATES and blocker is None:
            blocker = point
    return Departures(leaving, equal), blocker


@dataclass(frozen=True)
class GroupChange:
    """What accepting one variant's point did to its group's frontier."""

    group: str
    variant: str
    candidate: Point
    dominated_by: Point | None = None
    """Another variant's point that dominates the candidate: then it was not added."""
    equal_to: Point | None = None
    """The variant's stored point equal to the candidate within tolerance: it stays."""
    retired: tuple[Point, ...] = ()
    pruned: tuple[Point, ...] = ()
    superseded: tuple[Point, ...] = ()
    size: int = 0
    """Points on the group's frontier afterwards (every machine)."""
    dropped: int = 0
    """The oldest history entries dropped to keep the history within its bounds."""

    @property
    def added(self) -> bool:
        return self.dominated_by is None and self.equal_to is None

    def frontier_change(self) -> FrontierChange | None:
        """The same change in the shape single tests report (``None`` when dominated)."""
        if self.dominated_by is not None:
            return None
        return FrontierChange(
            test_id=self.variant,
            candidate=self.candidate,
            equal_to=self.equal_to,
            retired=self.retired,
            pruned=self.pruned,
            superseded=self.superseded,
            kept=self.size - (1 if self.added else 0),
            dropped=self.dropped,
        )

    def describe(self) -> str:
        if self.dominated_by is not None:
            by = self.dominated_by
            dropped = f", {dropped_words(self.dropped)}" if self.dropped else ""
            return (
                f"not added to group {self.group!r}: dominated by {by.describe()}; "
                f"{self.size} point{'s' if self.size != 1 else ''} on the group's frontier"
                f"{dropped}"
            )
        change = self.frontier_change()
        assert change is not None
        return f"group {self.group!r}: {change.describe()}"


def accept_variant(
    baseline: TestBaseline | None,
    group: str,
    variant: str,
    candidate: Point,
    metrics: Mapping[str, Metric],
    policy: JudgePolicy,
    *,
    comparable: Callable[[Point], bool] = lambda point: True,
    at: str | None = None,
) -> tuple[TestBaseline, GroupChange]:
    """Accept ``variant``'s new point into its group's frontier (see the module's doc).

    Only stored points for which ``comparable`` holds (same machine class) are compared; the
    others stay.
    """
    at = at or utc_now()
    group_id = group_baseline_id(group)
    baseline = baseline or TestBaseline(group_id)
    merged = merge_metrics(group_id, baseline.metrics, metrics)
    labelled = replace(candidate, variant=variant)
    pairs = []
    for point in baseline.points:
        if not comparable(point):
            continue
        comparison = compare_points(labelled, point, merged, policy)
        if comparison is not None:
            pairs.append((point, comparison.dominance))
    leaving, blocker = group_departures(variant, pairs, labelled.metric_names)
    kept, gone, history = remove_departing(baseline, leaving.leaving, at)
    equal = next((p for p in kept if p.id == leaving.equal_to), None)
    points: tuple[Point, ...] = tuple(kept)
    if blocker is not None:
        history.append(
            HistoryEntry("run", at, labelled, verdict=f"dominated by {blocker.describe()}")
        )
    elif equal is not None:
        history.append(HistoryEntry("run", at, labelled, verdict=f"equal to {equal.id}"))
    else:
        points = (*kept, labelled)
    bounded, dropped = bound_history(history)
    updated = replace(baseline, metrics=merged, points=points, history=bounded)
    change = GroupChange(
        group=group,
        variant=variant,
        candidate=labelled,
        dominated_by=blocker,
        equal_to=equal if blocker is None else None,
        retired=tuple(gone["retired"]),
        pruned=tuple(gone["pruned"]),
        superseded=tuple(gone["superseded"]),
        size=len(points),
        dropped=dropped,
    )
    return updated, change


@dataclass(frozen=True)
class RunVariant:
    """One variant's new point in this run."""

    test_id: str
    group: str
    point: Point
    metrics: Mapping[str, Metric]
    policy: JudgePolicy


@dataclass(frozen=True)
class Domination:
    """A variant of this run dominated by another variant's new point."""

    group: str
    dominated: str
    by: str
    comparison: PointComparison


def run_dominations(variants: Sequence[RunVariant]) -> list[Domination]:
    """Each variant of this run that another variant's new point (same group) dominates,
    judged with the dominated variant's policy; the strongest dominator for each."""
    found = []
    for variant in variants:
        metrics: dict[str, Metric] = {}
        for other in variants:
            if other.group == variant.group:
                metrics.update(other.metrics)
        strongest: tuple[float, Domination] | None = None
        for other in variants:
            if other.group != variant.group or other.test_id == variant.test_id:
                continue
            reference = replace(other.point, variant=other.test_id)
            comparison = compare_points(variant.point, reference, metrics, variant.policy)
            if comparison is None or comparison.dominance is not Dominance.RIGHT_DOMINATES:
                continue
            gap = comparison.epsilon if comparison.epsilon is not None else 0.0
            if strongest is None or gap > strongest[0]:
                domination = Domination(variant.group, variant.test_id, other.test_id, comparison)
                strongest = (gap, domination)
        if strongest is not None:
            found.append(strongest[1])
    return found
