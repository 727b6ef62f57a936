"""Frontier maintenance: which stored points compare, and accepting a new point."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from pytest_pareto.errors import ConfigError
from pytest_pareto.judging.dominance import Dominance
from pytest_pareto.judging.verdict import Verdict
from pytest_pareto.model.machine import Machine, Matching
from pytest_pareto.model.metrics import Metric
from pytest_pareto.model.points import HistoryEntry, Point, TestBaseline, utc_now

__all__ = [
    "DEPARTURE_EVENTS",
    "HISTORY_LIMIT",
    "FrontierChange",
    "accept_point",
    "comparable_points",
    "departures",
    "merge_metrics",
    "remove_departing",
]

HISTORY_LIMIT = 200
"""History entries kept per test; the oldest go first."""


@dataclass(frozen=True)
class FrontierChange:
    """What accepting a point did to a test's frontier."""

    test_id: str
    added: Point
    retired: tuple[Point, ...] = ()
    """Stored points that were better than the accepted one (an accepted regression)."""
    pruned: tuple[Point, ...] = ()
    """Stored points the accepted one dominates."""
    superseded: tuple[Point, ...] = ()
    """Stored points equal to the accepted one within tolerance."""
    kept: int = 0
    """Stored points left in place (trade-offs, other machines)."""

    def describe(self) -> str:
        parts = [f"added {self.added.id}"]
        for label, points in (
            ("retired", self.retired),
            ("pruned", self.pruned),
            ("superseded", self.superseded),
        ):
            if points:
                parts.append(f"{label} {len(points)}")
        parts.append(f"{self.kept + 1} point{'s' if self.kept else ''} on the frontier")
        return ", ".join(parts)


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
    Dominance.EQUAL: "superseded",
}
"""The history event of a stored point that leaves when a new point is accepted, by the new
point's dominance against it; trade-offs (no entry) stay."""


def departures(verdict: Verdict) -> dict[str, str]:
    """Which stored points (by id) leave the frontier if the verdict's candidate is accepted.

    Points that dominate (or may dominate) the candidate retire, points it dominates are
    pruned, points equal to it are superseded; trade-off points stay.
    """
    return {
        pc.reference.id: DEPARTURE_EVENTS[pc.dominance]
        for pc in verdict.against
        if pc.dominance in DEPARTURE_EVENTS
    }


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
    leaving: Mapping[str, str],
    *,
    at: str | None = None,
) -> tuple[TestBaseline, FrontierChange]:
    """Add ``candidate`` to the frontier, so that the same result passes afterwards.

    ``leaving`` maps the ids of stored points that leave to their history event (see
    :func:`departures`). Stored points not named there stay, including points that another
    run added to the file after the candidate was judged.
    """
    at = at or utc_now()
    baseline = baseline or TestBaseline(test_id)
    merged = merge_metrics(test_id, baseline.metrics, metrics)
    kept, gone, history = remove_departing(baseline, leaving, at, drop=candidate.id)
    updated = replace(
        baseline,
        metrics=merged,
        points=(*kept, candidate),
        history=tuple(history[-HISTORY_LIMIT:]),
    )
    change = FrontierChange(
        test_id=test_id,
        added=candidate,
        retired=tuple(gone["retired"]),
        pruned=tuple(gone["pruned"]),
        superseded=tuple(gone["superseded"]),
        kept=len(kept),
    )
    return updated, change
