"""Frontier maintenance: which stored points compare, and accepting a new point."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from pytest_pareto.errors import ConfigError
from pytest_pareto.judging.dominance import Dominance, Relation
from pytest_pareto.judging.verdict import PointComparison, Verdict
from pytest_pareto.model.machine import Machine, Matching
from pytest_pareto.model.metrics import Metric
from pytest_pareto.model.points import HistoryEntry, Point, TestBaseline, utc_now

__all__ = [
    "DEPARTURE_EVENTS",
    "HISTORY_BYTES",
    "HISTORY_LIMIT",
    "Departures",
    "FrontierChange",
    "accept_point",
    "bound_history",
    "comparable_points",
    "departures",
    "dropped_words",
    "merge_metrics",
    "remove_departing",
]

HISTORY_LIMIT = 200
"""History entries kept per test; the oldest go first."""

HISTORY_BYTES = 64 * 1024
"""Bytes of history kept per test (as compact JSON; about 1.7 times that in the indented file),
the oldest entries going first: about :data:`HISTORY_LIMIT` entries of a test with four metrics,
fewer of tests with more. With the count this bounds what a test's history adds to its file."""

_KEY_PLACEHOLDER = "0" * 8  # a machine's name in the file's table, for measuring an entry


def _stored_bytes(entry: HistoryEntry) -> int:
    compact = json.dumps(entry.to_json(_KEY_PLACEHOLDER), separators=(",", ":"))
    return len(compact.encode())


def bound_history(history: Sequence[HistoryEntry]) -> tuple[tuple[HistoryEntry, ...], int]:
    """The newest entries within :data:`HISTORY_LIMIT` and :data:`HISTORY_BYTES` (the newest
    one always), and how many older ones were dropped."""
    kept: list[HistoryEntry] = []
    total = 0
    for entry in reversed(history[-HISTORY_LIMIT:]):
        total += _stored_bytes(entry)
        if kept and total > HISTORY_BYTES:
            break
        kept.append(entry)
    kept.reverse()
    return tuple(kept), len(history) - len(kept)


@dataclass(frozen=True)
class FrontierChange:
    """What accepting a result did to a test's frontier."""

    test_id: str
    candidate: Point
    """The accepted result: on the frontier now, unless it was equal to a stored point."""
    equal_to: Point | None = None
    """A stored point equal within tolerance to the candidate: it stays, and the candidate
    goes to the history as a run, so the frontier never creeps by steps within tolerance."""
    retired: tuple[Point, ...] = ()
    """Stored points that were better than the accepted one (an accepted regression)."""
    pruned: tuple[Point, ...] = ()
    """Stored points the accepted one dominates."""
    superseded: tuple[Point, ...] = ()
    """Stored points equal to the accepted one where both measured, which measured fewer
    metrics: the accepted one replaces them."""
    kept: int = 0
    """Stored points left in place (trade-offs, other machines), ``equal_to`` included."""
    regressions: Mapping[str, str] = field(default_factory=dict)
    """Retired point id -> on which metrics, by how much, the accepted result is worse."""
    dropped: int = 0
    """The oldest history entries dropped to keep the history within its bounds."""

    @property
    def added(self) -> bool:
        return self.equal_to is None

    def describe(self) -> str:
        size = self.kept + (1 if self.added else 0)
        if self.equal_to is not None:
            parts = [f"kept {self.equal_to.id}: this result is equal to it within tolerance"]
        else:
            parts = [f"added {self.candidate.id}"]
        for point in self.retired:
            worse = self.regressions.get(point.id)
            why = f": this result is worse on {worse}" if worse else ""
            parts.append(f"retired {point.id} (an accepted regression{why})")
        if self.pruned:
            parts.append(f"pruned {len(self.pruned)}")
        if self.superseded:
            parts.append(f"superseded {len(self.superseded)} (equal, measuring fewer metrics)")
        parts.append(f"{size} point{'s' if size != 1 else ''} on the frontier")
        if self.dropped:
            parts.append(dropped_words(self.dropped))
        return ", ".join(parts)


def dropped_words(dropped: int) -> str:
    """What the summary says when the oldest history entries were dropped."""
    entries = "entry" if dropped == 1 else "entries"
    return (
        f"dropped the {dropped} oldest history {entries} (history keeps {HISTORY_LIMIT} entries, "
        f"{HISTORY_BYTES // 1024} KiB)"
    )


def comparable_points(
    baseline: TestBaseline | None, machine: Machine | None, matching: Matching
) -> tuple[tuple[Point, ...], str]:
    """The stored points a result from ``machine`` is judged against, and why others were not.

    Returns the points and, when stored points exist but none matches, the reason.
    """
    if baseline is None or not baseline.points:
        return (), ""
    if machine is None or matching is Matching.ANY:
        return baseline.points, ""
    matched = tuple(p for p in baseline.points if machine.matches(p.machine, matching))
    if matched:
        return matched, ""
    others = sorted(
        {p.machine.describe() if p.machine else "unknown machine" for p in baseline.points}
    )
    nearest = next((p.machine for p in baseline.points if p.machine is not None), None)
    differ = machine.differences(nearest) if nearest is not None else []
    return (), (
        f"no stored point was measured on a machine matching this one ({machine.describe()}; "
        f"matching={matching.value}); stored: {'; '.join(others)}"
        + (f" (differs in {', '.join(differ)})" if differ else "")
        + "; accept a result to start this machine's frontier, or compare across machines "
        "with machine matching cpu or any"
    )


def merge_metrics(
    test_id: str, stored: Mapping[str, Metric], new: Mapping[str, Metric]
) -> dict[str, Metric]:
    """Union of metric definitions; a metric whose direction or unit changed is an error."""
    merged = dict(stored)
    for name, metric in new.items():
        old = merged.get(name)
        if old is not None and (old.direction, old.unit) != (metric.direction, metric.unit):
            raise ConfigError(
                f"{test_id}: metric {name!r} was stored as better={old.direction.value}, "
                f"unit={old.unit!r} but is now better={metric.direction.value}, "
                f"unit={metric.unit!r}; use a new metric name, or remove the test's stored "
                f"points to start its frontier again"
            )
        merged[name] = metric
    return merged


DEPARTURE_EVENTS = {
    Dominance.RIGHT_DOMINATES: "retired",
    Dominance.UNDECIDED: "retired",
    Dominance.LEFT_DOMINATES: "pruned",
}
"""The history event of a stored point that leaves when a new point is accepted, by the new
point's dominance against it. Equal points and trade-offs (no entry) stay."""


@dataclass(frozen=True)
class Departures:
    """What accepting a judged result does to the stored points it was judged against."""

    leaving: Mapping[str, str] = field(default_factory=dict)
    """Stored point id -> its history event (``retired`` or ``pruned``)."""
    equal_to: str | None = None
    """A stored point equal within tolerance to the result: it stays, the result is not added."""
    regressions: Mapping[str, str] = field(default_factory=dict)
    """Retired point id -> the metrics on which the result is worse, with their changes."""


def _worse_metrics(comparison: PointComparison) -> str:
    worse = [
        f"{c.metric.name} {c.change * 100:+.1f}%" if c.change is not None else c.metric.name
        for c in comparison.comparisons
        if c.relation in (Relation.WORSE, Relation.UNSURE_WORSE)
    ]
    return ", ".join(worse)


def departures(verdict: Verdict) -> Departures:
    """Which stored points leave the frontier if the verdict's candidate is accepted.

    Points that dominate (or may dominate) the candidate retire -- an accepted regression,
    reported with the metrics it is worse on -- and points it dominates are pruned. A point
    equal to the candidate within tolerance stays and the candidate is not added, unless the
    candidate measures metrics the point lacks (a metric added to the test): then the
    candidate supersedes it. Trade-off points stay.
    """
    leaving = {
        pc.reference.id: DEPARTURE_EVENTS[pc.dominance]
        for pc in verdict.against
        if pc.dominance in DEPARTURE_EVENTS
    }
    equal = None
    for pc in verdict.against:
        if pc.dominance is not Dominance.EQUAL:
            continue
        if verdict.candidate.metric_names - pc.reference.metric_names:
            leaving[pc.reference.id] = "superseded"
        elif equal is None:
            equal = pc.reference.id
    regressions = {
        pc.reference.id: _worse_metrics(pc)
        for pc in verdict.against
        if leaving.get(pc.reference.id) == "retired"
    }
    return Departures(leaving, equal, regressions)


def remove_departing(
    baseline: TestBaseline, leaving: Mapping[str, str], at: str, *, drop: str | None = None
) -> tuple[list[Point], dict[str, list[Point]], list[HistoryEntry]]:
    """The stored points that stay, those that leave (by event) and the history with the
    leaving points appended; ``drop`` is a point id that leaves without an event."""
    gone: dict[str, list[Point]] = {"retired": [], "pruned": [], "superseded": []}
    kept = []
    for point in baseline.points:
        event = leaving.get(point.id)
        if event is not None:
            gone[event].append(point)
        elif point.id != drop:
            kept.append(point)
    history = list(baseline.history)
    for event, points in gone.items():
        history.extend(HistoryEntry(event, at, p) for p in points)
    return kept, gone, history


def accept_point(
    baseline: TestBaseline | None,
    test_id: str,
    candidate: Point,
    metrics: Mapping[str, Metric],
    leaving: Departures,
    *,
    at: str | None = None,
) -> tuple[TestBaseline, FrontierChange]:
    """Accept ``candidate`` into the frontier, so that the same result passes afterwards.

    ``leaving`` says which stored points leave (see :func:`departures`). Stored points not
    named there stay, including points that another run added to the file after the candidate
    was judged. A candidate equal to a stored point that is still there is not added: the
    stored point keeps anchoring the frontier and the candidate is logged as a run.
    """
    at = at or utc_now()
    baseline = baseline or TestBaseline(test_id)
    merged = merge_metrics(test_id, baseline.metrics, metrics)
    kept, gone, history = remove_departing(baseline, leaving.leaving, at, drop=candidate.id)
    equal = next((p for p in kept if p.id == leaving.equal_to), None)
    if equal is None:
        points = (*kept, candidate)
    else:
        points = tuple(kept)
        history.append(HistoryEntry("run", at, candidate, verdict=f"equal to {equal.id}"))
    bounded, dropped = bound_history(history)
    updated = replace(baseline, metrics=merged, points=points, history=bounded)
    change = FrontierChange(
        test_id=test_id,
        candidate=candidate,
        equal_to=equal,
        retired=tuple(gone["retired"]),
        pruned=tuple(gone["pruned"]),
        superseded=tuple(gone["superseded"]),
        kept=len(kept),
        regressions={p.id: leaving.regressions.get(p.id, "") for p in gone["retired"]},
        dropped=dropped,
    )
    return updated, change
