"""Words and tables for verdicts: failure messages and the terminal summary."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from pytest_pareto.frontier.indicators import verdict_indicators
from pytest_pareto.frontier.maintenance import FrontierChange
from pytest_pareto.judging.censoring import CENSORED_METHODS
from pytest_pareto.judging.dominance import MetricComparison, Relation
from pytest_pareto.judging.verdict import Outcome, PointComparison, Verdict
from pytest_pareto.measuring.speed_reference import PROCESS_SLOWDOWN
from pytest_pareto.model.units import format_value
from pytest_pareto.reports.allocation_diff import allocation_table, rss_note
from pytest_pareto.reports.profile_diff import SHOWN_IN_MESSAGE, ProfileTable, profile_table

__all__ = [
    "format_change",
    "metric_rows",
    "render_table",
    "verdict_message",
    "verdict_rows",
    "where_it_went_lines",
]


def format_change(change: float | None) -> str:
    if change is None:
        return "n/a"
    return f"{change * 100:+.1f}%"


def _how_sure(comparison: MetricComparison) -> str:
    if comparison.method in CENSORED_METHODS:
        return CENSORED_METHODS[comparison.method]
    if comparison.p_value is None:
        if comparison.metric.noisy:
            procs = comparison.processes or (1, 1)
            how = comparison.method if comparison.method != "exact" else "median, no test"
            return f"{how}, {procs[0]} vs {procs[1]} process(es)"
        return "exact"
    parts = []
    if comparison.tested_ratio is not None:
        ratio = f"ratio {comparison.tested_ratio:.3g}"
        if comparison.interval is not None:
            low, high = comparison.interval
            level = f"{comparison.confidence * 100:.0f}% " if comparison.confidence else ""
            ratio += f" ({level}CI {low:.3g}–{high:.3g})"
        parts.append(ratio)
    parts.append(f"p={comparison.p_value:.2g} ({comparison.method})")
    if comparison.processes is not None:
        parts.append(f"{comparison.processes[0]} vs {comparison.processes[1]} processes")
    return ", ".join(parts)


def render_table(
    headers: Sequence[str], rows: Iterable[Sequence[str]], indent: str = ""
) -> list[str]:
    """Left-aligned text columns separated by two spaces."""
    materialized = [list(headers), *(list(row) for row in rows)]
    widths = [max(len(row[i]) for row in materialized) for i in range(len(headers))]
    return [
        indent
        + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in materialized
    ]


def verdict_rows(comparison: PointComparison) -> list[list[str]]:
    """Table rows (metric, new, baseline, change, tolerance, relation, how sure)."""
    rows = []
    for c in comparison.comparisons:
        # A censored value is a bound on the worse side ("at least this slow").
        bound = "≥ " if c.metric.direction.value == "lower" else "≤ "
        new_bound = bound if c.method in ("censored-new", "censored-both") else ""
        old_bound = bound if c.method in ("censored-baseline", "censored-both") else ""
        rows.append(
            [
                c.metric.label(),
                new_bound + format_value(c.candidate, c.metric.unit),
                old_bound + format_value(c.reference, c.metric.unit),
                format_change(c.change),
                c.tolerance.describe(c.metric.unit),
                c.relation.value,
                _how_sure(c),
            ]
        )
    return rows


_HEADERS = ("metric", "new", "baseline", "change", "tolerance", "relation", "how sure")

_EXPLAIN = {
    Outcome.DOMINATED: "a stored point is better on at least one metric beyond tolerance "
    "and the new result is better on none",
    Outcome.INCONCLUSIVE: "a stored point may be better: the new result looks worse beyond "
    "tolerance but the evidence is not significant",
    Outcome.IMPROVED: "the new result dominates a stored point",
    Outcome.PASS: "equal within tolerance to a stored point",
    Outcome.TRADE_OFF: "better than every comparable stored point somewhere, worse elsewhere",
}


def _estimate_lines(verdict: Verdict) -> list[str]:
    """Estimates and rates of the new result: shown, labelled, never gating."""
    lines = []
    for name in sorted(verdict.candidate.metric_names):
        metric = verdict.metrics.get(name)
        if metric is not None and not metric.gates:
            value = format_value(verdict.candidate.value(name), metric.unit)
            lines.append(f"  {metric.label()}: {value} (not gating)")
    return lines


def _slowdown_lines(verdict: Verdict) -> list[str]:
    """Why times were judged raw: the code under test slowed its whole process."""
    factor = verdict.candidate.extra_info.get(PROCESS_SLOWDOWN)
    if not isinstance(factor, int | float):
        return []
    return [
        f"  the code under test slowed the whole process: a fixed loop ran {factor:.3g}x slower "
        "while measuring than before the test's code was imported (a tracer, a busy thread?); "
        "times are judged raw, not relative to the process's speed"
    ]


def _table_lines(table: ProfileTable | None) -> list[str]:
    if table is None:
        return []
    if not table.rows:
        return [f"  {table.heading}: none grew"]
    return [f"  {table.heading}", *render_table(table.headers, table.rows, indent="    ")]


def where_it_went_lines(verdict: Verdict, *, always: bool = False) -> list[str]:
    """Where the time and the memory went, when the new result was profiled or traced:
    for a dominated verdict, or (``always``) for one over its budget."""
    limit = SHOWN_IN_MESSAGE
    lines = _table_lines(profile_table(verdict, limit, always=always))
    note = rss_note(verdict)
    if note is not None:
        lines.append(f"  {note}")
    return lines + _table_lines(allocation_table(verdict, limit, always=always))


def verdict_message(verdict: Verdict, *, update_hint: bool = True) -> str:
    """A verdict in words: what happened, against which point, by how much, how sure."""
    head = f"pareto: {verdict.outcome.value}"
    if verdict.decisive is None:
        return f"{head}: {verdict.reason}" if verdict.reason else head
    decisive = verdict.decisive
    against = decisive.reference.extra_info.get("pareto_against")  # --pareto-against REF
    source = f", measured from {against} in this run" if against else ""
    lines = [
        f"{head} — {_EXPLAIN[verdict.outcome]}",
        f"  against {decisive.reference.describe()}{source}",
    ]
    lines.extend(render_table(_HEADERS, verdict_rows(decisive), indent="  "))
    lines.extend(_slowdown_lines(verdict))
    lines.extend(_estimate_lines(verdict))
    epsilon = decisive.epsilon
    if verdict.outcome in (Outcome.DOMINATED, Outcome.INCONCLUSIVE) and epsilon is not None:
        lines.append(
            f"  ε-indicator {epsilon:.3g}: the new result is up to {epsilon:.3g}x worse on a metric"
        )
    worse = [c for c in decisive.comparisons if c.relation is Relation.WORSE]
    if verdict.outcome is Outcome.DOMINATED and worse:
        summary = ", ".join(f"{c.metric.name} {format_change(c.change)}" for c in worse)
        lines.append(f"  worse on: {summary}")
    lines.extend(where_it_went_lines(verdict))
    indicators = verdict_indicators(verdict)
    if indicators is not None:
        lines.extend(f"  {line}" for line in indicators.describe())
    others = len(verdict.against) - 1
    if others > 0:
        lines.append(f"  ({others} other stored point{'s' if others > 1 else ''} compared)")
    if update_hint and verdict.outcome in (Outcome.DOMINATED, Outcome.INCONCLUSIVE) and not against:
        lines.append(
            "  to accept this result as the new baseline: "
            f"pytest --pareto-update '{verdict.test_id}'"
        )
    return "\n".join(lines)


def metric_rows(verdict: Verdict) -> list[list[str]]:
    """(metric, new, frontier, change) per metric of the decisive comparison, or per metric
    of the candidate when nothing was compared; a censored value reads ``≥ value``."""
    if verdict.decisive is None:
        rows = []
        for name in sorted(verdict.candidate.metric_names):
            metric = verdict.metrics[name]
            value = format_value(verdict.candidate.value(name), metric.unit)
            if verdict.candidate.observations[name].censored:
                value = f"≥ {value}"
            rows.append([metric.label(), value, "", ""])
        return rows
    return [
        [
            c.metric.label(),
            format_value(c.candidate, c.metric.unit),
            format_value(c.reference, c.metric.unit),
            format_change(c.change),
        ]
        for c in verdict.decisive.comparisons
    ]


def summary_rows(verdicts: Sequence[Verdict]) -> list[list[str]]:
    """One row per (test, metric) of the decisive comparison; the test's name only once."""
    rows: list[list[str]] = []
    for verdict in verdicts:
        label = [verdict.test_id, verdict.outcome.value]
        for i, row in enumerate(metric_rows(verdict)):
            rows.append([*(label if i == 0 else ["", ""]), *row])
    return rows


def summary_lines(verdicts: Sequence[Verdict], changes: Sequence[FrontierChange] = ()) -> list[str]:
    """The terminal summary: a table of verdicts, then what an update changed."""
    lines: list[str] = []
    if verdicts:
        lines.extend(
            render_table(
                ("test", "verdict", "metric", "new", "frontier", "change"), summary_rows(verdicts)
            )
        )
        counts: dict[str, int] = {}
        for verdict in verdicts:
            counts[verdict.outcome.value] = counts.get(verdict.outcome.value, 0) + 1
        lines.append(", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items())))
        new = [v.test_id for v in verdicts if v.outcome is Outcome.NEW]
        if new and not changes:
            lines.append(
                f"new (no baseline): {len(new)} test{'s' if len(new) > 1 else ''}; "
                "record them with: pytest --pareto-update"
            )
        skipped = [v for v in verdicts if v.outcome is Outcome.SKIPPED]
        for verdict in skipped:
            lines.append(f"not compared: {verdict.test_id}: {verdict.reason}")
    if changes:
        lines.append("frontier updated:")
        lines.extend(f"  {change.test_id}: {change.describe()}" for change in changes)
    return lines
