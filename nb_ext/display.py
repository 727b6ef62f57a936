"""The result card: text, HTML, a PNG and JSON, so a result shows in any front end.

Widgets need a live kernel and a widget manager; nbconvert, GitHub and plain IPython show
this bundle instead.
"""

from __future__ import annotations

import base64
import html
from typing import Any

from nb_ext.plots import summary_figure, to_png
from nb_ext.result import ParetoResult
from pytest_pareto.judging.verdict import Outcome
from pytest_pareto.model.units import format_value
from pytest_pareto.reports.allocation_diff import allocation_table
from pytest_pareto.reports.palette import outcome_colour
from pytest_pareto.reports.profile_diff import profile_table
from pytest_pareto.reports.words import render_table, verdict_message, verdict_rows

__all__ = ["MIME_TYPE", "ResultCard", "accept_hint", "badge_html"]

MIME_TYPE = "application/vnd.pytest-pareto.result+json"
"""The machine-readable part of the bundle: :meth:`ParetoResult.to_json`."""

_CELL_STYLE = ' style="padding:2px 10px;text-align:left"'
_ROW_HEADERS = ("metric", "this run", "frontier", "change", "tolerance", "relation", "how sure")


def accept_hint(result: ParetoResult) -> str:
    """What to type to make this run part of the frontier, when that would change anything."""
    if result.outcome is None or result.outcome is Outcome.PASS:
        return ""
    return f"to accept this run into the frontier: %pareto_baseline accept {result.name}"


def badge_html(result: ParetoResult) -> str:
    """The verdict badge: a coloured label with the outcome."""
    colour = outcome_colour(result.outcome)
    if result.outcome is None:
        label, kind = "history", "history"
    else:
        label, kind = f"{result.outcome.symbol} {result.outcome.value}", result.outcome.value
    return (
        f'<span class="pareto-badge pareto-{html.escape(kind)}" style="display:inline-block;'
        f"padding:2px 10px;border-radius:10px;color:white;font-weight:bold;"
        f'background:{colour}">{html.escape(label)}</span>'
    )


def _rows(result: ParetoResult) -> tuple[tuple[str, ...], list[list[str]]]:
    verdict = result.verdict
    if verdict is not None and verdict.decisive is not None:
        return _ROW_HEADERS, verdict_rows(verdict.decisive)
    if result.new is not None:
        rows = [
            [
                result.metrics[name].label(),
                format_value(result.new.value(name), result.metrics[name].unit),
            ]
            for name in result.metric_names()
            if name in result.new.metric_names
        ]
        return ("metric", "this run"), rows
    names = result.metric_names()
    headers = ("point", "recorded", *names)
    rows = [
        [
            point.id,
            point.recorded_at,
            *(
                format_value(point.value(n), result.metrics[n].unit)
                if n in point.metric_names
                else ""
                for n in names
            ),
        ]
        for point in result.frontier
    ]
    return headers, rows


def _headline(result: ParetoResult) -> str:
    if result.verdict is None:
        runs = len(result.runs())
        return f"{result.test_id}: {len(result.frontier)} frontier point(s), {runs} run(s) stored"
    return f"{result.test_id}: {result.verdict.outcome.value}"


def _where_it_went(result: ParetoResult) -> list[str]:
    """The profile and allocation diffs of a dominated cell, behind a disclosure each."""
    if result.verdict is None:
        return []
    parts = []
    for title, table in (
        ("where the time went", profile_table(result.verdict)),
        ("where the memory went", allocation_table(result.verdict)),
    ):
        if table is None:
            continue
        head = "".join(f"<th{_CELL_STYLE}>{html.escape(h)}</th>" for h in table.headers)
        body = "".join(
            "<tr>" + "".join(f"<td{_CELL_STYLE}>{html.escape(c)}</td>" for c in row) + "</tr>"
            for row in table.rows
        )
        parts.append(
            f'<details class="pareto-where"><summary>{title}</summary>'
            f"<div>{html.escape(table.heading)}</div>"
            f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></details>"
        )
    return parts


class ResultCard:
    """Display bundle of a :class:`ParetoResult`."""

    def __init__(self, result: ParetoResult) -> None:
        self.result = result

    def text(self) -> str:
        result = self.result
        lines = [f"pareto: {_headline(result)}"]
        if result.verdict is not None:
            lines.append(verdict_message(result.verdict, update_hint=False))
            if result.verdict.decisive is None:
                headers, rows = _rows(result)
                lines.extend(render_table(headers, rows, indent="  "))
        else:
            headers, rows = _rows(result)
            if rows:
                lines.extend(render_table(headers, rows, indent="  "))
        lines.extend(f"note: {note}" for note in result.notes)
        hint = accept_hint(result)
        if hint:
            lines.append(hint)
        return "\n".join(lines)

    def png(self) -> bytes | None:
        try:
            figure = summary_figure(self.result)
        except ImportError:
            return None
        return to_png(figure)

    def html(self, png: bytes | None = None, *, badge: bool = True) -> str:
        """The card as HTML; ``badge=False`` leaves out the verdict line (the widget has it)."""
        result = self.result
        headers, rows = _rows(result)
        head = "".join(f"<th{_CELL_STYLE}>{html.escape(h)}</th>" for h in headers)
        body = "".join(
            "<tr>" + "".join(f"<td{_CELL_STYLE}>{html.escape(cell)}</td>" for cell in row) + "</tr>"
            for row in rows
        )
        parts = ['<div class="pareto-result">']
        if badge:
            parts.append(
                f"<div>{badge_html(result)} <code>{html.escape(result.test_id)}</code></div>"
            )
        if result.verdict is not None and result.verdict.decisive is not None:
            first = verdict_message(result.verdict, update_hint=False).splitlines()[0]
            parts.append(f'<div class="pareto-explain">{html.escape(first)}</div>')
        elif result.verdict is not None and result.verdict.reason:
            parts.append(f'<div class="pareto-explain">{html.escape(result.verdict.reason)}</div>')
        if rows:
            parts.append(
                f'<table class="pareto-metrics"><thead><tr>{head}</tr></thead>'
                f"<tbody>{body}</tbody></table>"
            )
        if png is None and not badge:
            pass  # the widget shows the pictures itself
        elif png is not None:
            encoded = base64.b64encode(png).decode("ascii")
            parts.append(
                f'<img class="pareto-plot" alt="frontier and history of '
                f'{html.escape(result.test_id)}" src="data:image/png;base64,{encoded}"/>'
            )
        else:
            parts.append("<div><em>install matplotlib to see the plots</em></div>")
        parts.extend(_where_it_went(result))
        if result.notes:
            items = "".join(f"<li>{html.escape(note)}</li>" for note in result.notes)
            parts.append(f'<ul class="pareto-notes">{items}</ul>')
        hint = accept_hint(result)
        if hint:
            parts.append(f'<div class="pareto-hint"><code>{html.escape(hint)}</code></div>')
        parts.append("</div>")
        return "".join(parts)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        png = self.png()
        bundle: dict[str, Any] = {
            "text/plain": self.text(),
            "text/html": self.html(png),
            MIME_TYPE: self.result.to_json(),
        }
        if png is not None:
            bundle["image/png"] = png
        return bundle
