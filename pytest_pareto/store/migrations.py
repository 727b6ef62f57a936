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

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from pytest_pareto.errors import BaselineFileError

__all__ = ["MIGRATIONS", "OLDEST_SCHEMA_VERSION", "Migration", "migrate"]

OLDEST_SCHEMA_VERSION = 1
"""The oldest schema version that can still be read."""

Migration = Callable[[dict[str, Any]], dict[str, Any]]

MIGRATIONS: dict[int, Migration] = {}
"""Schema version ``n`` -> the step that upgrades raw JSON of version ``n`` to ``n + 1``.
Schema 1 is the first version; no step exists yet."""


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
