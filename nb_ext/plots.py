"""Matplotlib (Agg) pictures of a test: each metric over runs, and a 2-D frontier scatter."""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from typing import Any

from nb_ext.result import ParetoResult, Role
from pytest_pareto.model.metrics import Direction, Metric
from pytest_pareto.model.units import format_value
from pytest_pareto.reports.palette import outcome_colour

__all__ = [
    "frontier_axes",
    "frontier_figure",
    "history_figure",
    "summary_figure",
    "to_png",
]

_FRONTIER = "#2e7d32"
_HISTORY = "#78909c"
_DOMINATED = "#bdbdbd"
_MAX_HISTORY_PANELS = 6


def _new_figure(width: float, height: float) -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def to_png(figure: Any) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _axis_label(metric: Metric) -> str:
    arrow = "↓" if metric.direction is Direction.LOWER else "↑"
    return f"{metric.label()} ({arrow} better)"


def _value_formatter(metric: Metric) -> Any:
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda value, _pos: format_value(value, metric.unit))


def _draw_history(axes: Any, result: ParetoResult, metric: Metric) -> None:
    runs = result.runs()
    xs = [i for i, p in enumerate(runs, start=1) if metric.name in p.metric_names]
    ys = [runs[i - 1].value(metric.name) for i in xs]
    axes.plot(xs, ys, "o-", color=_HISTORY, markersize=4, linewidth=1, label="runs")
    for number, point in enumerate(result.frontier):
        if metric.name in point.metric_names:
            axes.axhline(
                point.value(metric.name),
                color=_FRONTIER,
                linestyle="--",
                linewidth=1,
                label="frontier" if number == 0 else None,
            )
    if result.new is not None and metric.name in result.new.metric_names:
        axes.plot(
            [len(runs)],
            [result.new.value(metric.name)],
            marker="*",
            markersize=14,
            color=outcome_colour(result.outcome),
            linestyle="none",
            label="this run",
        )
    axes.set_title(_axis_label(metric), fontsize=9)
    axes.yaxis.set_major_formatter(_value_formatter(metric))
    axes.tick_params(labelsize=8)
    axes.set_xlabel("run", fontsize=8)
    if xs:
        axes.set_xlim(0.5, max(xs) + 0.5)
        axes.xaxis.get_major_locator().set_params(integer=True)


def history_figure(result: ParetoResult, metrics: Sequence[str] | None = None) -> Any:
    """One small panel per metric: its value over the runs, frontier values dashed."""
    names = list(metrics if metrics is not None else result.metric_names())[:_MAX_HISTORY_PANELS]
    columns = min(3, max(1, len(names)))
    rows = max(1, math.ceil(len(names) / columns))
    figure = _new_figure(3.2 * columns, 2.3 * rows)
    if not names:
        axes = figure.add_subplot(1, 1, 1)
        axes.text(0.5, 0.5, "nothing measured yet", ha="center", va="center")
        axes.set_axis_off()
        return figure
    for index, name in enumerate(names, start=1):
        _draw_history(figure.add_subplot(rows, columns, index), result, result.metrics[name])
    figure.axes[0].legend(fontsize=7, loc="best")
    return figure


def _shade_dominated(axes: Any, points: list[tuple[float, float]], sx: int, sy: int) -> None:
    """Shade the region the frontier points dominate (worse on both axes than one of them)."""
    if not points:
        return
    xlim, ylim = axes.get_xlim(), axes.get_ylim()
    far_x = max(sx * xlim[0], sx * xlim[1]) + abs(xlim[1] - xlim[0])
    far_y = max(sy * ylim[0], sy * ylim[1]) + abs(ylim[1] - ylim[0])
    oriented = sorted((sx * x, sy * y) for x, y in points)
    outline = [(oriented[0][0], far_y)]
    lowest = far_y
    for ox, oy in oriented:
        if oy < lowest:
            outline.extend([(ox, lowest), (ox, oy)])
            lowest = oy
    outline.extend([(far_x, lowest), (far_x, far_y)])
    axes.fill(
        [sx * ox for ox, _ in outline],
        [sy * oy for _, oy in outline],
        color=_DOMINATED,
        alpha=0.35,
        linewidth=0,
        label="dominated region",
        zorder=0,
    )
    axes.set_xlim(xlim)
    axes.set_ylim(ylim)


def frontier_axes(result: ParetoResult) -> tuple[str | None, str | None]:
    """The default scatter axes: the first two metrics (a quality metric preferred on y)."""
    names = result.metric_names()
    if not names:
        return None, None
    if len(names) == 1:
        return names[0], names[0]
    measured = [n for n in names if result.metrics[n].direction is Direction.LOWER]
    quality = [n for n in names if result.metrics[n].direction is Direction.HIGHER]
    if measured and quality:
        return measured[0], quality[0]
    return names[0], names[1]


def _role_label(role: Role, result: ParetoResult) -> str:
    if role is Role.NEW:
        return f"this run ({result.outcome.value})" if result.outcome else "this run"
    return {Role.DOMINATED: "dominated", Role.HISTORY: "earlier run"}.get(role, "frontier")


def _draw_frontier(axes: Any, result: ParetoResult, x: str | None, y: str | None) -> None:
    if x is None or y is None or x not in result.metrics or y not in result.metrics:
        axes.text(0.5, 0.5, "no metric to plot", ha="center", va="center")
        axes.set_axis_off()
        return
    mx, my = result.metrics[x], result.metrics[y]
    styles: dict[Role, dict[str, Any]] = {
        Role.DOMINATED: {"color": _DOMINATED, "marker": "o", "s": 30, "zorder": 2},
        Role.HISTORY: {"color": _HISTORY, "marker": "o", "s": 30, "zorder": 3},
        Role.FRONTIER: {"color": _FRONTIER, "marker": "D", "s": 50, "zorder": 4},
        Role.NEW: {
            "color": outcome_colour(result.outcome),
            "marker": "*",
            "s": 260,
            "edgecolors": "black",
            "linewidths": 0.8,
            "zorder": 5,
        },
    }
    by_role: dict[Role, list[tuple[float, float]]] = {role: [] for role in Role}
    for point, role in result.roles():
        if x in point.metric_names and y in point.metric_names:
            by_role[role].append((point.value(x), point.value(y)))
    for role in (Role.DOMINATED, Role.HISTORY, Role.FRONTIER, Role.NEW):
        if by_role[role]:
            xs, ys = zip(*by_role[role], strict=True)
            axes.scatter(xs, ys, label=_role_label(role, result), **styles[role])
    axes.margins(0.15)
    sx = 1 if mx.direction is Direction.LOWER else -1
    sy = 1 if my.direction is Direction.LOWER else -1
    _shade_dominated(axes, by_role[Role.FRONTIER], sx, sy)
    axes.set_xlabel(_axis_label(mx), fontsize=9)
    axes.set_ylabel(_axis_label(my), fontsize=9)
    axes.xaxis.set_major_formatter(_value_formatter(mx))
    axes.yaxis.set_major_formatter(_value_formatter(my))
    axes.tick_params(labelsize=8)
    axes.set_title(f"{result.name}: frontier", fontsize=10)
    axes.legend(fontsize=7, loc="best")


def frontier_figure(result: ParetoResult, x: str | None = None, y: str | None = None) -> Any:
    """A scatter of two metrics: frontier points, earlier runs (dominated ones shaded), the
    new point highlighted, and the region the frontier dominates shaded."""
    if x is None or y is None:
        x, y = frontier_axes(result)
    figure = _new_figure(5.0, 3.8)
    _draw_frontier(figure.add_subplot(1, 1, 1), result, x, y)
    return figure


def summary_figure(result: ParetoResult) -> Any:
    """One static picture for front ends without widgets: the scatter, then the history."""
    history_names = result.metric_names()[:3]
    panels = 1 + len(history_names)
    figure = _new_figure(3.4 * panels + 0.6, 3.4)
    grid = figure.add_gridspec(1, panels, width_ratios=[1.4] + [1.0] * len(history_names))
    _draw_frontier(figure.add_subplot(grid[0, 0]), result, *frontier_axes(result))
    for index, name in enumerate(history_names, start=1):
        _draw_history(figure.add_subplot(grid[0, index]), result, result.metrics[name])
    return figure
