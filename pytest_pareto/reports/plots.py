"""Figures of a stored frontier with its history, and of one verdict (matplotlib).

matplotlib is imported only when a figure is drawn; without it,
:class:`PlottingUnavailable` says what to install.
"""

from __future__ import annotations

import datetime as _dt
import importlib
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_pareto.errors import ConfigError, ParetoError
from pytest_pareto.judging.dominance import pareto_front
from pytest_pareto.judging.verdict import Verdict
from pytest_pareto.model.metrics import Direction, Metric
from pytest_pareto.model.points import Point, TestBaseline
from pytest_pareto.model.units import unit_scale
from pytest_pareto.reports.palette import OUTCOME_COLOURS

__all__ = [
    "FIGURE_FORMATS",
    "INSTALL_HINT",
    "PlottingUnavailable",
    "choose_axes",
    "figure_bytes",
    "frontier_figure",
    "save_figure",
    "verdict_figure",
]

FIGURE_FORMATS = ("png", "svg")
INSTALL_HINT = (
    "plots need matplotlib: pip install 'pytest-pareto[jupyter]' (or: pip install matplotlib)"
)

_PREFERRED_X = ("wall_time", "cpu_time")
_MACHINE_COLOURS = ("#1f77b4", "#9467bd", "#8c564b", "#17becf", "#bcbd22", "#7f7f7f")
_HISTORY_MARKERS = {"retired": "x", "pruned": "v", "superseded": "s", "run": "."}


class PlottingUnavailable(ParetoError):
    """matplotlib is not installed."""


def _figure_class() -> Any:
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise PlottingUnavailable(INSTALL_HINT) from None
    return Figure


def choose_axes(
    test_id: str, metrics: Mapping[str, Metric], x: str | None = None, y: str | None = None
) -> tuple[str, str | None]:
    """The metrics on the x and y axes: the ones asked for, else a cost against a quality.

    By default x is a time (or another lower-is-better cost) and y a higher-is-better metric
    (or another metric); y is ``None`` when the test has a single metric.
    """
    names = sorted(metrics)
    for asked in (x, y):
        if asked is not None and asked not in metrics:
            raise ConfigError(
                f"{test_id}: no metric {asked!r} is stored; its metrics are: {', '.join(names)}"
            )
    if x is not None and x == y:
        raise ConfigError(f"{test_id}: --x and --y name the same metric {x!r}")
    if x is None:
        costs = [n for n in names if metrics[n].direction is Direction.LOWER and n != y]
        preferred = [n for n in _PREFERRED_X if n in costs]
        others = [n for n in names if n != y]
        if not others:
            raise ConfigError(f"{test_id}: has no metric to plot")
        x = (preferred or costs or others)[0]
    if y is None:
        rest = [n for n in names if n != x]
        quality = [n for n in rest if metrics[n].direction is Direction.HIGHER]
        choices = quality or rest
        y = choices[0] if choices else None
    return x, y


@dataclass(frozen=True)
class _Axis:
    metric: Metric
    factor: float
    unit: str

    @classmethod
    def for_values(cls, metric: Metric, values: Sequence[float]) -> _Axis:
        magnitude = max((abs(v) for v in values), default=0.0)
        factor, unit = unit_scale(magnitude, metric.unit)
        return cls(metric, factor, unit)

    def label(self) -> str:
        unit = f" [{self.unit}]" if self.unit else ""
        return f"{self.metric.label()}{unit} ({self.metric.direction.value} is better)"

    def scaled(self, point: Point) -> float:
        return point.value(self.metric.name) / self.factor


def _has(point: Point, *names: str | None) -> bool:
    return all(name is None or name in point.observations for name in names)


def _front_2d(points: Sequence[Point], x: Metric, y: Metric) -> list[Point]:
    """The points no other point beats on both axes, sorted along x."""
    return sorted(pareto_front(points, (x, y)), key=lambda p: p.value(x.name))


def _parse_time(text: str) -> _dt.datetime | None:
    try:
        return _dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def _machine_key(point: Point) -> str:
    return point.machine.hardware_class if point.machine is not None else "unknown"


def _machine_label(point: Point) -> str:
    if point.machine is None:
        return "machine unknown"
    return f"{point.machine.cpu_model} x{point.machine.cpu_count} [{_machine_key(point)}]"


def _trade_off_panel(ax: Any, baseline: TestBaseline, x: _Axis, y: _Axis) -> None:
    colours: dict[str, str] = {}
    for entry in baseline.history:
        if not _has(entry.point, x.metric.name, y.metric.name):
            continue
        ax.scatter(
            [x.scaled(entry.point)],
            [y.scaled(entry.point)],
            marker=_HISTORY_MARKERS.get(entry.event, "."),
            color="#aaaaaa",
            label=f"history: {entry.event}",
            zorder=2,
        )
    by_machine: dict[str, list[Point]] = {}
    for point in baseline.points:
        if _has(point, x.metric.name, y.metric.name):
            by_machine.setdefault(_machine_key(point), []).append(point)
    for key, points in sorted(by_machine.items()):
        colour = colours.setdefault(key, _MACHINE_COLOURS[len(colours) % len(_MACHINE_COLOURS)])
        front = _front_2d(points, x.metric, y.metric)
        if len(front) > 1:
            ax.step(
                [x.scaled(p) for p in front],
                [y.scaled(p) for p in front],
                where="post",
                color=colour,
                alpha=0.6,
                zorder=3,
            )
        ax.scatter(
            [x.scaled(p) for p in points],
            [y.scaled(p) for p in points],
            s=60,
            color=colour,
            edgecolor="black",
            label=f"frontier: {_machine_label(points[0])}",
            zorder=4,
        )
        for p in points:
            ax.annotate(
                p.id,
                (x.scaled(p), y.scaled(p)),
                textcoords="offset points",
                xytext=(5, 5),
                fontsize=7,
            )
    ax.set_xlabel(x.label())
    ax.set_ylabel(y.label())
    ax.set_title("frontier (history in grey)")
    ax.grid(True, alpha=0.3)
    _dedup_legend(ax)


def _timeline_panel(ax: Any, baseline: TestBaseline, axis: _Axis) -> None:
    series: list[tuple[str, Point]] = [("frontier", p) for p in baseline.points]
    series += [(entry.event, entry.point) for entry in baseline.history]
    for label, point in series:
        when = _parse_time(point.recorded_at)
        if when is None or not _has(point, axis.metric.name):
            continue
        on_frontier = label == "frontier"
        ax.scatter(
            [when],
            [axis.scaled(point)],
            s=50 if on_frontier else 30,
            marker="o" if on_frontier else _HISTORY_MARKERS.get(label, "."),
            color="#1f77b4" if on_frontier else "#aaaaaa",
            edgecolor="black" if on_frontier else None,
            label=label if on_frontier else f"history: {label}",
            zorder=4 if on_frontier else 2,
        )
    ax.set_ylabel(axis.label())
    ax.set_xlabel("recorded (UTC)")
    ax.set_title("history")
    ax.grid(True, alpha=0.3)
    dates: Any = importlib.import_module("matplotlib.dates")  # its stubs are partial
    locator = dates.AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(dates.ConciseDateFormatter(locator))
    ax.tick_params(axis="x", labelsize=7)
    _dedup_legend(ax)


def _dedup_legend(ax: Any) -> None:
    handles, labels = ax.get_legend_handles_labels()
    unique = dict(zip(labels, handles, strict=True))
    if unique:
        ax.legend(unique.values(), unique.keys(), fontsize=7, loc="best")


def _all_points(baseline: TestBaseline) -> list[Point]:
    return [*baseline.points, *(entry.point for entry in baseline.history)]


def frontier_figure(baseline: TestBaseline, x: str | None = None, y: str | None = None) -> Any:
    """A figure of a test's stored frontier and history.

    With two metrics: the trade-off of ``x`` against ``y`` (the frontier per machine class, its
    2-D front as a staircase, history points in grey) and a timeline of ``y``. With one metric:
    the timeline alone.
    """
    figure_class = _figure_class()
    x_name, y_name = choose_axes(baseline.test_id, baseline.metrics, x, y)
    points = _all_points(baseline)
    if not points:
        raise ConfigError(f"{baseline.test_id}: has no stored points to plot")

    def axis(name: str) -> _Axis:
        values = [p.value(name) for p in points if name in p.observations]
        return _Axis.for_values(baseline.metrics[name], values)

    if y_name is None:
        fig = figure_class(figsize=(6.4, 4.2), layout="constrained")
        _timeline_panel(fig.add_subplot(1, 1, 1), baseline, axis(x_name))
    else:
        fig = figure_class(figsize=(11.5, 4.5), layout="constrained")
        _trade_off_panel(fig.add_subplot(1, 2, 1), baseline, axis(x_name), axis(y_name))
        _timeline_panel(fig.add_subplot(1, 2, 2), baseline, axis(y_name))
    fig.suptitle(baseline.test_id, fontsize=10)
    return fig


def verdict_figure(verdict: Verdict, x: str | None = None, y: str | None = None) -> Any:
    """A figure of a new result (a star, coloured by outcome) among the points it was judged
    against; the decisive point is ringed."""
    figure_class = _figure_class()
    metrics = {n: m for n, m in verdict.metrics.items() if n in verdict.candidate.observations}
    x_name, y_name = choose_axes(verdict.test_id, metrics, x, y)
    references = [pc.reference for pc in verdict.against]
    decisive = verdict.decisive.reference if verdict.decisive is not None else None
    points = [verdict.candidate, *references]

    def axis(name: str) -> _Axis:
        values = [p.value(name) for p in points if name in p.observations]
        return _Axis.for_values(verdict.metrics[name], values)

    fig = figure_class(figsize=(5.2, 3.6), layout="constrained")
    ax = fig.add_subplot(1, 1, 1)
    xa = axis(x_name)
    ya = axis(y_name) if y_name is not None else None

    def coords(p: Point) -> tuple[float, float]:
        return xa.scaled(p), (ya.scaled(p) if ya is not None else 0.0)

    shown = [p for p in references if _has(p, x_name, y_name)]
    if shown:
        ax.scatter(
            *zip(*(coords(p) for p in shown), strict=True),
            s=50,
            color="#1f77b4",
            edgecolor="black",
            label="stored frontier",
            zorder=3,
        )
    if decisive is not None and _has(decisive, x_name, y_name):
        ax.scatter(
            *coords(decisive),
            s=220,
            facecolor="none",
            edgecolor="black",
            linewidth=1.5,
            label=f"decisive {decisive.id}",
            zorder=4,
        )
    colour = OUTCOME_COLOURS[verdict.outcome]
    ax.scatter(
        *coords(verdict.candidate),
        s=220,
        marker="*",
        color=colour,
        edgecolor="black",
        label=f"new result ({verdict.outcome.value})",
        zorder=5,
    )
    ax.set_xlabel(xa.label())
    if ya is not None:
        ax.set_ylabel(ya.label())
    else:
        ax.set_yticks([])
    ax.grid(True, alpha=0.3)
    ax.set_title(f"{verdict.outcome.value}", color=colour, fontsize=10)
    ax.legend(fontsize=7, loc="best")
    return fig


def figure_bytes(figure: Any, fmt: str = "png") -> bytes:
    """The figure rendered as PNG or SVG bytes."""
    if fmt not in FIGURE_FORMATS:
        raise ConfigError(f"cannot draw {fmt!r}; choose one of {', '.join(FIGURE_FORMATS)}")
    buffer = io.BytesIO()
    figure.savefig(buffer, format=fmt, dpi=110 if fmt == "png" else None)
    return buffer.getvalue()


def save_figure(figure: Any, path: Path) -> None:
    """Write the figure to ``path``; the suffix (``.png`` or ``.svg``) picks the format."""
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in FIGURE_FORMATS:
        raise ConfigError(
            f"{path}: name the output with one of the suffixes "
            f"{', '.join('.' + f for f in FIGURE_FORMATS)}"
        )
    data = figure_bytes(figure, fmt)
    try:
        if path.parent != Path():
            path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be written ({exc.strerror})") from None
