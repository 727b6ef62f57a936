"""pytest layer of derived objectives: say which ones a test asked for could not be computed."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

from pytest_pareto.plugin import recorder_key, session_key

__all__ = ["DerivedNotes", "pytest_configure", "pytest_runtest_makereport"]

PLUGIN_NAME = "pareto-derived"


@pytest.hookimpl(trylast=True)  # after the plugin has set up its session
def pytest_configure(config: pytest.Config) -> None:
    session = config.stash.get(session_key, None)
    if session is not None and not session.is_worker:
        config.pluginmanager.register(DerivedNotes(), PLUGIN_NAME)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    recorder = item.stash.get(recorder_key, None)
    if call.when == "call" and recorder is not None and recorder.used:
        notes = list(recorder.notes)
        if notes:
            report.pareto_notes = notes  # type: ignore[attr-defined]
            report.sections.append(("pareto derived", "\n".join(notes)))
    return report


class DerivedNotes:
    """Collects the notes of every test (xdist workers' too) for the terminal summary."""

    def __init__(self) -> None:
        self.notes: list[tuple[str, str]] = []

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        for note in getattr(report, "pareto_notes", None) or ():
            self.notes.append((report.nodeid, str(note)))

    @pytest.hookimpl(trylast=True)
    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        for test_id, note in self.notes:
            terminalreporter.write_line(f"pareto: {test_id}: {note}", yellow=True)
