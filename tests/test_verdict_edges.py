"""Verdicts at the edges, end to end: the gate never passes what it must fail."""

from __future__ import annotations

import pytest
from cli_support import measured_module


def _run(pytester: pytest.Pytester, loss: float, *args: str) -> pytest.RunResult:
    pytester.makepyfile(test_m=measured_module({"test_loss": {"loss": loss}}))
    return pytester.runpytest("-p", "no:cacheprovider", *args)


def test_updates_within_tolerance_do_not_move_the_frontier(pytester: pytest.Pytester) -> None:
    """100 -> update 104 -> a run at 108 fails (5% tolerance): no boiling frog."""
    _run(pytester, 100.0, "--pareto-update").assert_outcomes(passed=1)
    step = _run(pytester, 104.0, "--pareto-update")
    step.assert_outcomes(passed=1)
    step.stdout.fnmatch_lines(["*test_loss: kept * this result is equal to it within tolerance*"])
    creep = _run(pytester, 108.0)
    creep.assert_outcomes(failed=1)
    creep.stdout.fnmatch_lines(["*loss*108*100*+8.0%*"])


def test_an_accepted_regression_is_reported_plainly(pytester: pytest.Pytester) -> None:
    _run(pytester, 100.0, "--pareto-update").assert_outcomes(passed=1)
    accepted = _run(pytester, 108.2, "--pareto-update")
    accepted.assert_outcomes(passed=1)
    accepted.stdout.fnmatch_lines(
        [
            "*test_loss: added *, retired * (an accepted regression: this result is worse on "
            "loss +8.2%)*"
        ]
    )
    _run(pytester, 108.2).assert_outcomes(passed=1)
