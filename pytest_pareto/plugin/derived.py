"""pytest layer of derived objectives: say which ones a test asked for could not be computed."""

from __future__ import annotations

import pytest

from pytest_pareto.plugin.keys import recorder_key

__all__ = ["DerivedNotes", "notes_of"]


def notes_of(item: pytest.Item) -> list[str]:
    """Why derived objectives ``item`` asked for could not be computed."""
    recorder = item.stash.get(recorder_key, None)
    if recorder is None or not recorder.used:
        return []
    return list(recorder.notes)


class DerivedNotes:
    """The notes of every test of the run (xdist workers' too), for the terminal summary."""

    def __init__(self) -> None:
        self.notes: list[tuple[str, str]] = []

    def add(self, test_id: str, notes: list[str]) -> None:
        self.notes.extend((test_id, str(note)) for note in notes)

    def write_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        for test_id, note in self.notes:
            terminalreporter.write_line(f"pareto: {test_id}: {note}", yellow=True)
