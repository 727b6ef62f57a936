"""Budgets in words: the table a test with budgets shows, and its failure message."""

from __future__ import annotations

from collections.abc import Sequence

from pytest_pareto.judging.budgets import BudgetResult, BudgetStatus
from pytest_pareto.model.units import format_value
from pytest_pareto.reports.words import render_table

__all__ = ["budget_message", "budget_rows"]


def _format(value: float | None, unit: str, censored: bool = False) -> str:
    if value is None:
        return "-"
    return ("≥ " if censored else "") + format_value(value, unit)


def _status_text(result: BudgetResult) -> str:
    if result.status is BudgetStatus.VIOLATED and result.value is not None and result.limit:
        gap = abs(result.value - result.limit)
        word = "over" if result.budget.upper else "short"
        share = f" ({gap / abs(result.limit) * 100:.1f}%)" if result.limit else ""
        return f"violated: {word} by {_format(gap, result.unit)}{share}"
    return str(result.status.value)


def budget_rows(results: Sequence[BudgetResult]) -> list[list[str]]:
    rows = []
    for r in results:
        rows.append(
            [
                r.budget.metric,
                _format(r.value, r.unit, r.censored),
                r.budget.describe(),
                _format(r.limit, r.unit),
                _status_text(r) + (f" — {r.note}" if r.note else ""),
            ]
        )
    return rows


def budget_message(results: Sequence[BudgetResult]) -> str:
    """The budgets in words and a table; the first line says whether any was violated."""
    violated = [r for r in results if r.violated]
    if violated:
        names = ", ".join(f"{r.budget.metric} {r.budget.describe()}" for r in violated)
        head = f"pareto: over budget — {names}"
    else:
        head = "pareto: within budget"
    table = render_table(
        ("metric", "value", "budget", "limit", "status"), budget_rows(results), indent="  "
    )
    return "\n".join([head, *table])
