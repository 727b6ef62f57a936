"""pytest layer of budgets: a test over its ``budget=`` fails, whatever its frontier says."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from pytest_pareto.errors import ConfigError
from pytest_pareto.frontier.maintenance import comparable_points
from pytest_pareto.frontier.pipeline import JudgeContext
from pytest_pareto.judging.budgets import check_budgets
from pytest_pareto.judging.verdict import Verdict
from pytest_pareto.plugin.keys import baseline_key, budget_key, options_of
from pytest_pareto.reports.budget_table import budget_message
from pytest_pareto.reports.words import verdict_message, where_it_went_lines

__all__ = ["budget_section", "check_test_budgets"]


def check_test_budgets(
    item: pytest.Item,
    verdict: Verdict,
    context: JudgeContext,
    *,
    fails: bool,
    explain: Callable[[frozenset[str]], Verdict] | None = None,
) -> None:
    """Fail ``item`` when it is over one of its budgets; ``fails``: its verdict fails it too
    (the message then also shows the verdict). ``explain`` gives the verdict with where the
    time or memory went on the metrics over budget (one more pass of the call)."""
    budget = options_of(item).budget
    if not budget:
        return
    # Relative budgets take the best of the points the verdict was judged against.
    references, _ = comparable_points(
        item.stash.get(baseline_key, None), context.machine, context.matching
    )
    try:
        results = check_budgets(budget, verdict.candidate, verdict.metrics, references)
    except ConfigError as exc:
        pytest.fail(f"pareto: {item.nodeid}: {exc}", pytrace=False)
    item.stash[budget_key] = results
    over = frozenset(result.budget.metric for result in results if result.violated)
    if over:
        message = budget_message(results)
        if explain is not None:
            verdict = explain(over)
            if not fails:  # a failing verdict's message says it itself
                message = "\n".join([message, *where_it_went_lines(verdict, always=True)])
        if fails:
            message += "\n" + verdict_message(verdict)
        pytest.fail(message, pytrace=False)


def budget_section(item: pytest.Item) -> str | None:
    """The report section of a test within its budgets."""
    results = item.stash.get(budget_key, None)
    return budget_message(results) if results else None
