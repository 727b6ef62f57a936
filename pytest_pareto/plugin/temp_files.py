"""At the start of a run, remove the temporary files that interrupted writes left in the store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pytest_pareto.plugin import session_key
from pytest_pareto.store.temp_files import remove_stale_temp_files

__all__: list[str] = []

_removed_key = pytest.StashKey[list[Path]]()


def pytest_sessionstart(session: pytest.Session) -> None:
    config = session.config
    pareto = config.stash.get(session_key, None)
    if pareto is None or pareto.is_worker:
        return
    config.stash[_removed_key] = remove_stale_temp_files(pareto.store.root)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    removed = config.stash.get(_removed_key, [])
    if removed:
        names = ", ".join(str(path) for path in removed[:3]) + (", ..." if len(removed) > 3 else "")
        terminalreporter.write_line(
            f"pareto: removed {len(removed)} temporary file(s) left by an interrupted write: "
            f"{names}"
        )
