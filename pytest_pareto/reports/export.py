"""Stored frontiers exported as CSV (one row per point and metric), JSON or markdown."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from pytest_pareto.model.points import Point, TestBaseline
from pytest_pareto.reports.markdown import markdown_table
from pytest_pareto.reports.store_tables import (
    ARROW_LEGEND,
    FRONTIER,
    frontier_table,
    history_table,
    machine_class,
)
from pytest_pareto.store.baseline_files import format_json

__all__ = [
    "CSV_COLUMNS",
    "EXPORT_FORMAT",
    "EXPORT_FORMATS",
    "EXPORT_SCHEMA_VERSION",
    "export",
    "export_csv",
    "export_json",
    "export_markdown",
]

EXPORT_FORMATS = ("csv", "json", "markdown")
EXPORT_FORMAT = "pytest-pareto export"
EXPORT_SCHEMA_VERSION = 1
CSV_COLUMNS = (
    "test_id",
    "point",
    "state",
    "recorded_at",
    "left_at",
    "commit",
    "machine_class",
    "metric",
    "value",
    "unit",
    "better",
    "processes",
)


def export_json(baselines: Sequence[TestBaseline]) -> str:
    """Every test's metrics, frontier points and history, keyed by full test id: a lossless
    copy (each entry reads back with ``TestBaseline.from_json``)."""
    return format_json(
        {
            "format": EXPORT_FORMAT,
            "schema_version": EXPORT_SCHEMA_VERSION,
            "tests": {b.test_id: b.to_json() for b in baselines},
        }
    )


def _csv_rows(
    baseline: TestBaseline, point: Point, state: str, left_at: str
) -> Iterable[list[str]]:
    for name, observation in sorted(point.observations.items()):
        metric = baseline.metrics[name]
        yield [
            baseline.test_id,
            point.id,
            state,
            point.recorded_at,
            left_at,
            point.commit or "",
            machine_class(point),
            name,
            repr(observation.value),
            metric.unit,
            metric.direction.value,
            str(observation.processes),
        ]


def export_csv(baselines: Sequence[TestBaseline], *, history: bool = False) -> str:
    """One row per (point, metric), values in the metric's base unit (seconds, bytes) with
    full precision; ``history`` adds the points that left the frontier."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for baseline in baselines:
        for point in baseline.points:
            writer.writerows(_csv_rows(baseline, point, FRONTIER, ""))
        if history:
            for entry in baseline.history:
                writer.writerows(_csv_rows(baseline, entry.point, entry.event, entry.at))
    return buffer.getvalue()


def export_markdown(baselines: Sequence[TestBaseline], *, history: bool = False) -> str:
    """A section per test with its frontier (or, with ``history``, every stored point)."""
    lines = ["# pytest-pareto frontiers", "", ARROW_LEGEND]
    for baseline in baselines:
        table = history_table(baseline) if history else frontier_table(baseline)
        lines += ["", f"## `{baseline.test_id}`", ""]
        lines += markdown_table(table.headers, table.rows)
    return "\n".join(lines) + "\n"


def export(baselines: Sequence[TestBaseline], fmt: str, *, history: bool = False) -> str:
    if fmt == "csv":
        return export_csv(baselines, history=history)
    if fmt == "json":
        return export_json(baselines)
    if fmt == "markdown":
        return export_markdown(baselines, history=history)
    raise ValueError(f"unknown export format {fmt!r}")
