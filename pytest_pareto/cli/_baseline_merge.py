"""Three-way merge of baseline files: what two branches' ``--pareto-update`` runs did, together.

For each test, against the common ancestor (the base):

* points added on either side are kept; a base point that either side removed (pruned,
  retired) stays removed;
* the points each side added are compared with the other side's (same machine class, the
  judging rules of the plugin): a point the other side's point dominates is pruned, and of two
  points of one variant equal within tolerance the later is logged as a run (the frontier
  does not creep by steps within tolerance);
* the histories are merged by time, each entry once, and bounded like any history;
* metric definitions are the union (ours wins where both sides define a metric differently).

A test removed on one side and unchanged on the other stays removed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from pytest_pareto.frontier.maintenance import bound_history, dropped_words
from pytest_pareto.judging.dominance import Dominance, MetricComparison, compare_values
from pytest_pareto.judging.sequential import SequentialDesign
from pytest_pareto.judging.stats import RankComparator
from pytest_pareto.judging.verdict import JudgePolicy, compare_points
from pytest_pareto.model.metrics import Metric, Tolerance, Variability
from pytest_pareto.model.points import HistoryEntry, Observation, Point, TestBaseline
from pytest_pareto.store.baseline_files import BaselineFile

__all__ = ["TestMerge", "merge_files", "merge_policy", "merge_test"]


def _final_look(
    metric: Metric,
    candidate: Observation,
    reference: Observation,
    tolerance: Tolerance,
    family_size: int = 1,
) -> MetricComparison:
    """The rank test as at a stored point's last look: its processes are all there will be."""
    design = SequentialDesign(max_processes=max(candidate.processes, 1))
    return RankComparator(design)(metric, candidate, reference, tolerance, family_size)


def merge_policy(
    default_tolerance: Tolerance, tolerances: Mapping[str, Tolerance] | None = None
) -> JudgePolicy:
    """How the merge compares the two sides' new points: the plugin's comparators."""
    return JudgePolicy(
        tolerances=dict(tolerances or {}),
        default_tolerance=default_tolerance,
        comparators={Variability.NOISY: _final_look, Variability.DETERMINISTIC: compare_values},
    )


@dataclass
class TestMerge:
    """What merging one test did, beyond taking both sides' points."""

    __test__ = False  # not a pytest test class

    name: str
    pruned: dict[str, str] = field(default_factory=dict)
    """Point id -> the id of the other side's point that dominates it."""
    equal: dict[str, str] = field(default_factory=dict)
    """Point id -> the id of the earlier point it is equal to (logged as a run)."""
    dropped: int = 0

    def describe(self) -> str:
        parts = [f"pruned {p} (dominated by {by})" for p, by in self.pruned.items()]
        parts += [f"{p} logged as a run (equal to {to})" for p, to in self.equal.items()]
        if self.dropped:
            parts.append(dropped_words(self.dropped))
        return f"{self.name}: {', '.join(parts)}" if parts else ""


def _same_machine(left: Point, right: Point) -> bool:
    if left.machine is None or right.machine is None:
        return left.machine is right.machine
    return left.machine.hardware_class == right.machine.hardware_class


def _reprune(
    ours: list[Point],
    theirs: list[Point],
    metrics: Mapping[str, Metric],
    policy: JudgePolicy,
    merge: TestMerge,
) -> set[str]:
    """Compare each side's new points with the other side's; the ids that leave."""
    leaving: set[str] = set()
    for mine in ours:
        for other in theirs:
            if mine.id in leaving or other.id in leaving or not _same_machine(mine, other):
                continue
            comparison = compare_points(mine, other, metrics, policy)
            if comparison is None:
                continue
            if comparison.dominance is Dominance.LEFT_DOMINATES:
                merge.pruned[other.id] = mine.id
            elif comparison.dominance is Dominance.RIGHT_DOMINATES:
                merge.pruned[mine.id] = other.id
            elif comparison.dominance is Dominance.EQUAL and mine.variant == other.variant:
                first, later = sorted((mine, other), key=lambda p: p.recorded_at)
                merge.equal[later.id] = first.id
            leaving |= merge.pruned.keys() | merge.equal.keys()
    return leaving


def _merged_history(
    sides: Iterable[TestBaseline], added: list[HistoryEntry]
) -> tuple[tuple[HistoryEntry, ...], int]:
    seen: set[tuple[str, str, str, str | None]] = set()
    entries: list[HistoryEntry] = []
    for entry in [*(h for side in sides for h in side.history), *added]:
        key = (entry.at, entry.event, entry.summary.id, entry.verdict)
        if key not in seen:
            seen.add(key)
            entries.append(entry)
    entries.sort(key=lambda entry: entry.at)  # stable: ours before theirs at the same time
    return bound_history(entries)


def merge_test(
    base: TestBaseline | None,
    ours: TestBaseline,
    theirs: TestBaseline,
    policy: JudgePolicy,
    at: str,
) -> tuple[TestBaseline, TestMerge]:
    """Merge one test's baselines (see the module's doc)."""
    merge = TestMerge(ours.test_id.partition("::")[2] or ours.test_id)
    base_ids = {p.id for p in base.points} if base is not None else set()
    our_ids, their_ids = {p.id for p in ours.points}, {p.id for p in theirs.points}
    removed = (base_ids - our_ids) | (base_ids - their_ids)
    candidates = [p for p in ours.points if p.id not in removed]
    candidates += [p for p in theirs.points if p.id not in removed | our_ids]
    metrics = {**theirs.metrics, **ours.metrics}
    new_ours = [p for p in ours.points if p.id not in base_ids]
    new_theirs = [p for p in theirs.points if p.id not in base_ids | our_ids]
    leaving = _reprune(new_ours, new_theirs, metrics, policy, merge)
    by_id = {p.id: p for p in candidates}
    added = [
        HistoryEntry("pruned", at, by_id[p], verdict=f"merge: dominated by {by}")
        for p, by in merge.pruned.items()
    ]
    added += [
        HistoryEntry("run", at, by_id[p], verdict=f"equal to {to}") for p, to in merge.equal.items()
    ]
    history, merge.dropped = _merged_history((ours, theirs), added)
    points = tuple(p for p in candidates if p.id not in leaving)
    return replace(ours, metrics=metrics, points=points, history=history), merge


def _unchanged(side: TestBaseline, base: TestBaseline) -> bool:
    return side.to_json() == base.to_json()


def merge_files(
    base: BaselineFile, ours: BaselineFile, theirs: BaselineFile, policy: JudgePolicy, at: str
) -> tuple[BaselineFile, list[TestMerge]]:
    """Merge every test of three versions of one baseline file; the result has ``ours``'s
    path."""
    merged: dict[str, TestBaseline] = {}
    notes = []
    for name in sorted(set(base.tests) | set(ours.tests) | set(theirs.tests)):
        old, mine, other = base.tests.get(name), ours.tests.get(name), theirs.tests.get(name)
        if mine is None or other is None:
            kept = mine or other
            if kept is None or (old is not None and _unchanged(kept, old)):
                continue  # removed on one side, unchanged on the other (or on both)
            if old is None:
                merged[name] = kept  # added on one side only
                continue
            empty = TestBaseline(kept.test_id)
            mine, other = mine or empty, other or empty
        test, note = merge_test(old, mine, other, policy, at)
        merged[name] = test
        notes.append(note)
    return BaselineFile(ours.path, merged), notes
