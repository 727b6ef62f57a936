"""Upgrading baseline files of older schema versions, on read.

A migration is a function from the raw JSON of one schema version to the raw JSON of the next
(plain dicts and lists: old files cannot be parsed by today's model classes, so migrations never
use them). :data:`MIGRATIONS` maps each version to the step that upgrades it; reading a file of
schema ``n`` applies the steps ``n -> n+1 -> ... -> SCHEMA_VERSION`` in memory. The file itself
is rewritten in the current schema only when ``--pareto-update`` writes it.

To change the schema: raise :data:`~pytest_pareto.store.baseline_files.SCHEMA_VERSION` to
``n+1``, add ``MIGRATIONS[n] = upgrade_n``, and commit a frozen file of schema ``n`` under
``tests/data/`` with a test that reads it (see ``tests/test_migration.py``).
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from pytest_pareto.errors import BaselineFileError

__all__ = ["MIGRATIONS", "OLDEST_SCHEMA_VERSION", "Migration", "migrate", "upgrade_1"]

OLDEST_SCHEMA_VERSION = 1
"""The oldest schema version that can still be read."""

Migration = Callable[[dict[str, Any]], dict[str, Any]]


# -- schema 1 -> 2: compact points, history summaries ----------------------------------------


def _median(values: list[float]) -> float:
    return float(values[0]) if len(values) == 1 else float(statistics.median(values))


def _spread(rounds: list[float], median: float) -> float:
    """Median absolute deviation to 2 significant digits (as schema 2 defines it)."""
    if len(rounds) < 2:
        return 0.0
    return float(f"{statistics.median([abs(v - median) for v in rounds]):.2g}")


def _compact_metric(data: object, where: str) -> object:
    """A schema-1 metric (every round of every process) in schema 2 (per process: median,
    round count, spread). Anything malformed is left for the reader to report."""
    if not isinstance(data, dict):
        return data
    processes = data.get("processes")
    if not isinstance(processes, list) or not processes:
        return data
    compact = {key: value for key, value in data.items() if key != "processes"}
    medians, counts, spreads = [], [], []
    for rounds in processes:
        if not isinstance(rounds, list) or not rounds:
            raise ValueError(f"{where}: each process must be a non-empty list of numbers")
        if any(isinstance(v, bool) or not isinstance(v, int | float) for v in rounds):
            raise ValueError(f"{where}: a process holds a value that is not a number")
        medians.append(_median(rounds))
        counts.append(len(rounds))
        spreads.append(_spread(rounds, medians[-1]))
    compact.update(medians=medians, rounds=counts, spread=spreads)
    compact.setdefault("value", _median(medians))
    return compact


def _summary_point(point: dict[str, Any], where: str) -> dict[str, Any]:
    """A schema-1 history point (whole) as the summary schema 2 keeps."""
    summary: dict[str, Any] = {
        key: point[key] for key in ("commit", "machine", "recorded_at", "variant") if key in point
    }
    metrics = point.get("metrics")
    if not isinstance(metrics, dict):
        return summary
    compact = {
        name: _compact_metric(obs, f"{where}, metric {name!r}") for name, obs in metrics.items()
    }
    summary["values"] = {
        name: obs.get("value") if isinstance(obs, dict) else obs for name, obs in compact.items()
    }
    censored = [
        name for name, obs in compact.items() if isinstance(obs, dict) and obs.get("censored")
    ]
    if censored:
        summary["censored"] = sorted(censored)
    return summary


def _dicts(items: object) -> list[dict[str, Any]]:
    return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []


def upgrade_1(data: dict[str, Any]) -> dict[str, Any]:
    """Schema 1 -> 2: points keep per process the median, round count and spread instead of
    every round; history entries keep a summary of their point (a value per metric)."""
    tests = data.get("tests")
    for name, test in tests.items() if isinstance(tests, dict) else ():
        if not isinstance(test, dict):
            continue
        for i, point in enumerate(_dicts(test.get("points"))):
            metrics = point.get("metrics")
            if not isinstance(metrics, dict):
                continue
            for metric, obs in metrics.items():
                metrics[metric] = _compact_metric(
                    obs, f"test {name!r}, point {i}, metric {metric!r}"
                )
        for i, entry in enumerate(_dicts(test.get("history"))):
            if isinstance(entry.get("point"), dict):
                entry["point"] = _summary_point(entry["point"], f"test {name!r}, history {i}")
    return data


MIGRATIONS: dict[int, Migration] = {1: upgrade_1}
"""Schema version ``n`` -> the step that upgrades raw JSON of version ``n`` to ``n + 1``."""


def migrate(
    path: Path,
    data: dict[str, Any],
    version: int,
    target: int,
    migrations: Mapping[int, Migration] | None = None,
) -> dict[str, Any]:
    """Upgrade the raw JSON ``data`` of ``path`` from schema ``version`` to ``target``."""
    steps = MIGRATIONS if migrations is None else migrations
    for current in range(version, target):
        step = steps.get(current)
        if step is None:
            raise BaselineFileError(
                path,
                f"schema {current} cannot be upgraded to {target} (no migration)",
                "report this as a bug of pytest-pareto; meanwhile read the file with the "
                "version that wrote it",
            )
        try:
            data = step(data)
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
            raise BaselineFileError(
                path, f"could not be upgraded from schema {current} to {current + 1} ({exc!r})"
            ) from None
        data["schema_version"] = current + 1
    return data
