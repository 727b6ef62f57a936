"""What a run produced: verdicts, frontier changes, errors, and what is not accepted and why."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from pytest_pareto.frontier.maintenance import FrontierChange
from pytest_pareto.judging.verdict import Outcome, Verdict
from pytest_pareto.reports.words import summary_lines, verdict_message

__all__ = ["FAILED_AFTER_JUDGING", "RunResults"]

FAILED_AFTER_JUDGING = "its test failed"
"""Why ``--pareto-update`` does not accept a verdict whose test failed (e.g. over budget)."""


@dataclass
class RunResults:
    """The verdicts of the run's tests (xdist workers' too), and what accepting them did."""

    verdicts: list[Verdict] = field(default_factory=list)
    changes: list[FrontierChange] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    not_accepted: dict[str, str] = field(default_factory=dict)
    """Test id -> why ``--pareto-update`` does not accept its verdict here (its test failed
    after judging, e.g. over budget; or its group accepts it)."""

    def write_summary(
        self, terminalreporter: pytest.TerminalReporter, *, update: bool, verbose: bool
    ) -> None:
        """The ``pareto`` block: every verdict, the frontier changes and errors."""
        if not (self.verdicts or self.changes or self.errors):
            return
        write = terminalreporter.write_line
        terminalreporter.write_sep("=", "pareto")
        for line in _summary(self.verdicts, self.changes, verbose=verbose):
            write(line)
        if update:
            for test_id, why in self.not_accepted.items():
                if why == FAILED_AFTER_JUDGING:
                    write(f"not accepted: {test_id}: {why}", yellow=True)
        for error in self.errors:
            write(f"error: {error}", red=True)


def _summary(
    verdicts: list[Verdict], changes: list[FrontierChange], *, verbose: bool
) -> Iterator[str]:
    yield from summary_lines(verdicts, changes)
    if verbose:
        for verdict in verdicts:
            if verdict.outcome not in (Outcome.NEW, Outcome.SKIPPED):
                yield ""
                yield verdict.test_id
                yield verdict_message(verdict, update_hint=False)
