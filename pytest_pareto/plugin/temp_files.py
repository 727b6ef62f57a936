"""At the start of a run, remove the temporary files that interrupted writes left in the store."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_pareto.store.temp_files import remove_stale_temp_files

__all__ = ["StaleTempFiles"]


class StaleTempFiles:
    """The store's leftovers of interrupted writes, removed when the session starts."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.removed: list[Path] = []

    def remove(self) -> None:
        self.removed = remove_stale_temp_files(self.root)

    def write_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        removed = self.removed
        if removed:
            names = ", ".join(str(p) for p in removed[:3]) + (", ..." if len(removed) > 3 else "")
            terminalreporter.write_line(
                f"pareto: removed {len(removed)} temporary file(s) left by an interrupted write: "
                f"{names}"
            )
