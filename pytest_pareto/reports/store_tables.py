"""Stored frontiers and histories as table rows (for ``show``, ``history`` and ``export``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pytest_pareto.model.machine import Machine
from pytest_pareto.model.metrics import Direction, Metric
from pytest_pareto.model.points import Point, TestBaseline
from pytest_pareto.model.units import format_value

__all__ = [
    "ARROW_LEGEND",
    "DIRECTION_ARROWS",
    "FRONTIER",
    "Table",
    "frontier_table",
    "history_table",
    "machine_class",
    "machines_of",
    "metric_header",
]

FRONTIER = "frontier"
"""The state of a point that is on the frontier (history entries have their event)."""

DIRECTION_ARROWS = {Direction.LOWER: "↓", Direction.HIGHER: "↑"}
ARROW_LEGEND = "↓ lower is better, ↑ higher is better"


@dataclass(frozen=True)
class Table:
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


def metric_header(metric: Metric) -> str:
    return f"{metric.label()} {DIRECTION_ARROWS[metric.direction]}"


def machine_class(point: Point) -> str:
    return point.machine.hardware_class if point.machine is not None else "unknown"


def _metric_cells(point: Point, metrics: list[Metric]) -> list[str]:
    cells = []
    for metric in metrics:
        observation = point.observations.get(metric.name)
        if observation is None:
            cells.append("-")
            continue
        text = format_value(observation.value, metric.unit)
        if observation.processes > 1:
            text += f" (n={observation.processes})"
        if observation.censored:
            text = "≥ " + text
        cells.append(text)
    return cells


def _commit(point: Point) -> str:
    if not point.commit:
        return "-"
    dirty = "+dirty" if point.commit.endswith("+dirty") else ""
    return point.commit.removesuffix("+dirty")[:10] + dirty


def _metrics(baseline: TestBaseline) -> list[Metric]:
    return [baseline.metrics[name] for name in sorted(baseline.metrics)]


def frontier_table(baseline: TestBaseline) -> Table:
    """One row per frontier point: id, each metric with its unit, date, commit, machine."""
    metrics = _metrics(baseline)
    headers = ("point", *(metric_header(m) for m in metrics), "recorded", "commit", "machine")
    rows = tuple(
        (p.id, *_metric_cells(p, metrics), p.recorded_at or "-", _commit(p), machine_class(p))
        for p in baseline.points
    )
    return Table(headers, rows)


def history_table(baseline: TestBaseline) -> Table:
    """Every stored point, oldest first: frontier points and history entries with their event
    (retired, pruned, superseded, run), when they left the frontier and their verdict."""
    metrics = _metrics(baseline)
    entries: list[tuple[str, str, str, str, Point]] = [
        (p.recorded_at, FRONTIER, "", "", p) for p in baseline.points
    ]
    entries += [
        (h.point.recorded_at, h.event, h.at, h.verdict or "", h.point) for h in baseline.history
    ]
    entries.sort(key=lambda entry: (entry[0], entry[2] or "~"))
    headers = (
        "recorded",
        "event",
        "verdict",
        "left frontier",
        "point",
        *(metric_header(m) for m in metrics),
        "commit",
        "machine",
    )
    rows = tuple(
        (
            recorded or "-",
            event,
            verdict or "-",
            left or "-",
            point.id,
            *_metric_cells(point, metrics),
            _commit(point),
            machine_class(point),
        )
        for recorded, event, left, verdict, point in entries
    )
    return Table(headers, rows)


def machines_of(baselines: Iterable[TestBaseline]) -> dict[str, Machine | None]:
    """Every machine class that took a stored point (frontier or history), with its details."""
    found: dict[str, Machine | None] = {}
    for baseline in baselines:
        for point in [*baseline.points, *(h.point for h in baseline.history)]:
            found.setdefault(machine_class(point), point.machine)
    return dict(sorted(found.items()))
