"""pytest layer of budgets: a test over its ``budget=`` fails, whatever its frontier says."""

from __future__ import annotations

from collections.abc import Generator

import pytest

from pytest_pareto.errors import ConfigError
from pytest_pareto.frontier.maintenance import comparable_points
from pytest_pareto.judging.budgets import BudgetResult, check_budgets
from pytest_pareto.judging.verdict import Verdict
from pytest_pareto.plugin import baseline_key, options_key, session_key
from pytest_pareto.reports.budget_table import budget_message
from pytest_pareto.reports.words import verdict_message

__all__ = ["pytest_pareto_verdict", "pytest_runtest_makereport"]

budget_key = pytest.StashKey[tuple[BudgetResult, ...]]()


@pytest.hookimpl
def pytest_pareto_verdict(item: pytest.Item, verdict: Verdict) -> None:
    options = item.stash.get(options_key, None)
    session = item.config.stash.get(session_key, None)
    if options is None or not options.budget or session is None:
        return
    # Relative budgets take the best of the points the verdict was judged against.
    references, _ = comparable_points(
        item.stash.get(baseline_key, None), session.machine, session.matching
    )
    try:
        results = check_budgets(options.budget, verdict.candidate, verdict.metrics, references)
    except ConfigError as exc:
        pytest.fail(f"pareto: {item.nodeid}: {exc}", pytrace=False)
    item.stash[budget_key] = results
    if any(result.violated for result in results):
        message = budget_message(results)
        if not session.update and verdict.fails(strict=session.strict):
            message += "\n" + verdict_message(verdict)
        pytest.fail(message, pytrace=False)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    results = item.stash.get(budget_key, None)
    if call.when == "call" and results and report.passed:
        report.sections.append(("pareto budget", budget_message(results)))
    return report
