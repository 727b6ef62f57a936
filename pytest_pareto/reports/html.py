"""A run's verdicts as one self-contained HTML page: tables, and plots as data URIs."""

from __future__ import annotations

import base64
import html

from pytest_pareto.errors import ParetoError
from pytest_pareto.judging.verdict import Outcome, Verdict
from pytest_pareto.reports.allocation_diff import allocation_table
from pytest_pareto.reports.markdown import verdict_table_rows
from pytest_pareto.reports.plots import figure_bytes, verdict_figure
from pytest_pareto.reports.profile_diff import ProfileTable, profile_table
from pytest_pareto.reports.run_report import RunReport
from pytest_pareto.reports.words import verdict_message

__all__ = ["MAX_PLOTS", "render_html"]

MAX_PLOTS = 50
"""Tests drawn per page, most severe first: each plot costs a fraction of a second."""

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", "Liberation Sans", sans-serif;
       margin: 2em; color: #222; max-width: 1100px; }
h1 { font-size: 1.4em; } h2 { font-size: 1.15em; margin-top: 2em; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.7em; text-align: left; }
th { background: #f3f3f3; }
tr.first td { border-top: 2px solid #999; }
td.outcome-dominated { color: #b00020; font-weight: bold; }
td.outcome-inconclusive { color: #b36b00; font-weight: bold; }
td.outcome-improved, td.outcome-pass { color: #1b7f1b; }
.status-fail { color: #b00020; } .status-ok { color: #1b7f1b; }
pre { background: #f7f7f7; padding: 0.8em; overflow-x: auto; font-size: 0.85em; }
section.test { border-top: 1px solid #ddd; }
.meta { color: #666; font-size: 0.85em; }
img.plot { max-width: 100%; border: 1px solid #eee; }
""".strip()

_HEADERS = ("", "test", "verdict", "metric", "new", "frontier", "change")


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _anchor(test_id: str) -> str:
    return "t-" + "".join(ch if ch.isalnum() else "-" for ch in test_id)


def _summary_table(report: RunReport) -> list[str]:
    out = ["<table id='verdicts'>", "<thead><tr>"]
    out += [f"<th>{_e(h)}</th>" for h in _HEADERS]
    out += ["</tr></thead>", "<tbody>"]
    for verdict in report.sorted_verdicts():
        symbols = {outcome: outcome.symbol for outcome in Outcome}  # no emoji font needed
        for i, row in enumerate(verdict_table_rows(verdict, code=False, badges=symbols)):
            cells = []
            for j, cell in enumerate(row):
                if j == 1 and cell:
                    cells.append(f"<td><a href='#{_anchor(cell)}'>{_e(cell)}</a></td>")
                elif j == 2 and cell:
                    cells.append(f"<td class='outcome-{_e(cell)}'>{_e(cell)}</td>")
                else:
                    cells.append(f"<td>{_e(cell)}</td>")
            out.append(f"<tr{' class=first' if i == 0 else ''}>{''.join(cells)}</tr>")
    out += ["</tbody>", "</table>"]
    return out


def _plot(verdict: Verdict) -> str:
    try:
        figure = verdict_figure(verdict)
        data = base64.b64encode(figure_bytes(figure, "png")).decode("ascii")
    except ParetoError as exc:  # matplotlib missing, or nothing to plot
        return f"<p class='meta'>No plot: {_e(str(exc))}</p>"
    alt = f"{verdict.test_id}: new result against the stored frontier"
    return f"<img class='plot' alt='{_e(alt)}' src='data:image/png;base64,{data}'>"


def _profile_section(verdict: Verdict, *, judged: bool) -> list[str]:
    """The full profile and allocation diffs (the message shows their top rows only). In a
    judging run a new point carries a summary only when dominated or over a budget, so
    ``judged`` shows any it carries; an update run's points all carry one, shown if dominated."""
    tables = (profile_table(verdict, always=judged), allocation_table(verdict, always=judged))
    return [line for table in tables for line in _diff_table(table)]


def _diff_table(table: ProfileTable | None) -> list[str]:
    if table is None:
        return []
    out = [f"<p>{_e(table.heading)}</p>", "<table class='profile'><thead><tr>"]
    out += [f"<th>{_e(h)}</th>" for h in table.headers]
    out += ["</tr></thead>", "<tbody>"]
    out += ["<tr>" + "".join(f"<td>{_e(c)}</td>" for c in row) + "</tr>" for row in table.rows]
    out += ["</tbody>", "</table>"]
    return out


def _test_section(report: RunReport, verdict: Verdict, *, plot: bool, limit: int) -> list[str]:
    title = f"{verdict.test_id}: {verdict.outcome.value}"
    out = [f"<section class='test' id='{_anchor(verdict.test_id)}'>", f"<h2>{_e(title)}</h2>"]
    if plot:
        out.append(_plot(verdict))
    else:
        out.append(f"<p class='meta'>No plot: only the first {limit} tests are drawn.</p>")
    message = verdict_message(verdict, update_hint=report.mode == "judge")
    out.append(f"<pre>{_e(message)}</pre>")
    out += _profile_section(verdict, judged=report.mode == "judge")
    out.append("</section>")
    return out


def render_html(report: RunReport, *, max_plots: int = MAX_PLOTS) -> str:
    """The run as an HTML page that needs nothing else: CSS inline, plots as PNG data URIs
    (for the ``max_plots`` most severe tests)."""
    failed = report.failed
    if report.mode == "update":
        status, css = "frontiers updated", "status-ok"
    elif failed:
        status, css = f"{len(failed)} regression(s)", "status-fail"
    else:
        status, css = "no regression", "status-ok"
    meta = [f"pytest-pareto {report.version}", report.created_at, f"mode {report.mode}"]
    if report.commit:
        meta.append(f"commit {report.commit[:12]}")
    if report.machine is not None:
        meta.append(report.machine.describe())
    out = [
        "<!DOCTYPE html>",
        "<html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>pytest-pareto report: {_e(status)}</title>",
        f"<style>{_CSS}</style>",
        "</head><body>",
        f"<h1>pytest-pareto: <span class='{css}'>{_e(status)}</span></h1>",
        f"<p><strong>{_e(report.headline())}</strong></p>",
        f"<p class='meta'>{_e(' · '.join(meta))}</p>",
    ]
    if report.verdicts:
        out += _summary_table(report)
    plotted = 0
    for verdict in report.sorted_verdicts():
        if verdict.outcome is Outcome.SKIPPED:
            out.append(f"<p class='meta'>Not compared: {_e(verdict.test_id)}: ")
            out.append(f"{_e(verdict.reason)}</p>")
            continue
        out += _test_section(report, verdict, plot=plotted < max_plots, limit=max_plots)
        plotted += 1
    if report.changes:
        out.append("<h2>Frontier updated</h2><ul>")
        out += [f"<li>{_e(c.test_id)}: {_e(c.describe())}</li>" for c in report.changes]
        out.append("</ul>")
    if report.errors:
        out.append("<h2>Errors</h2><ul>")
        out += [f"<li>{_e(error)}</li>" for error in report.errors]
        out.append("</ul>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"
