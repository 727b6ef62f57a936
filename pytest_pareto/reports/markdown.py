"""A run's verdicts as a markdown summary (for pull requests and GitHub step summaries)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from pytest_pareto.judging.verdict import Outcome, Verdict
from pytest_pareto.reports.run_report import RunReport
from pytest_pareto.reports.words import metric_rows, verdict_message

__all__ = ["OUTCOME_BADGES", "markdown_table", "render_markdown", "verdict_table_rows"]

OUTCOME_BADGES = {
    Outcome.DOMINATED: "❌",
    Outcome.INCONCLUSIVE: "❔",
    Outcome.IMPROVED: "⬆️",
    Outcome.TRADE_OFF: "↔️",
    Outcome.PASS: "✅",
    Outcome.NEW: "🆕",
    Outcome.SKIPPED: "⏭️",
}


def _cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def markdown_table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    """A GitHub-flavoured markdown table; ``|`` in cells is escaped."""
    lines = ["| " + " | ".join(_cell(h) for h in headers) + " |"]
    lines.append("|" + "|".join("---" for _ in headers) + "|")
    lines.extend("| " + " | ".join(_cell(c) for c in row) + " |" for row in rows)
    return lines


def verdict_table_rows(
    verdict: Verdict, *, code: bool = True, badges: Mapping[Outcome, str] = OUTCOME_BADGES
) -> list[list[str]]:
    """Rows (badge, test, verdict, metric, new, frontier, change) of one verdict: one per
    metric of the decisive comparison, or of the candidate when there is none."""
    test = f"`{verdict.test_id}`" if code else verdict.test_id
    head = [badges[verdict.outcome], test, verdict.outcome.value]
    blank = ["", "", ""]
    return [[*(head if i == 0 else blank), *row] for i, row in enumerate(metric_rows(verdict))]


_HEADERS = ("", "test", "verdict", "metric", "new", "frontier", "change")


def render_markdown(report: RunReport) -> str:
    """The run as markdown: a headline, a table of verdicts, details of the ones that matter."""
    failed = report.failed
    status = "❌ regressions found" if failed else "✅ no regression"
    if report.mode == "update":
        status = "📝 frontiers updated"
    elif report.mode == "disabled":
        status = "measuring disabled (--pareto-disable)"
    lines = [f"## pytest-pareto: {status}", "", f"**{report.headline()}**"]
    if failed:
        lines += ["", "Failed: " + ", ".join(f"`{v.test_id}`" for v in failed)]
    verdicts = report.sorted_verdicts()
    if verdicts:
        rows = [row for v in verdicts for row in verdict_table_rows(v)]
        lines += ["", *markdown_table(_HEADERS, rows)]
    explained = [v for v in verdicts if v.decisive is not None and v.outcome is not Outcome.PASS]
    for verdict in explained:
        badge = OUTCOME_BADGES[verdict.outcome]
        lines += [
            "",
            "<details"
            + (" open" if report.fails(verdict) else "")
            + f"><summary>{badge} {verdict.test_id}: {verdict.outcome.value}</summary>",
            "",
            "```text",
            verdict_message(verdict, update_hint=report.mode == "judge"),
            "```",
            "",
            "</details>",
        ]
    not_compared = [v for v in verdicts if v.outcome is Outcome.SKIPPED]
    if not_compared:
        lines += ["", "Not compared:"]
        lines += [f"- `{v.test_id}`: {v.reason}" for v in not_compared]
    if report.changes:
        lines += ["", "### Frontier updated", ""]
        lines += [f"- `{c.test_id}`: {c.describe()}" for c in report.changes]
    if report.errors:
        lines += ["", "### Errors", ""]
        lines += [f"- {error}" for error in report.errors]
    where = []
    if report.commit:
        where.append(f"commit `{report.commit[:12]}`")
    if report.machine is not None:
        where.append(report.machine.describe())
    where.append(f"pytest-pareto {report.version}")
    where.append(report.created_at)
    lines += ["", "<sub>" + " · ".join(where) + "</sub>", ""]
    return "\n".join(lines)
