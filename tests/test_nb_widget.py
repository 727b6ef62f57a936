"""The inline widget and the static display bundle, through widget state and mime bundles."""

from __future__ import annotations

import base64
import io
import re

import pytest

pytest.importorskip("ipywidgets")
pytest.importorskip("matplotlib")

from matplotlib.image import imread

from nb_ext.display import MIME_TYPE, ResultCard
from nb_ext.plots import frontier_figure, history_figure
from nb_ext.result import ParetoResult, Role
from nb_ext.widget import ParetoWidget
from pytest_pareto.judging.verdict import JudgePolicy, Outcome, Verdict, judge
from pytest_pareto.model.points import HistoryEntry, Point
from tests.conftest import ACCURACY, WALL_TIME, make_point

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
METRICS = {"wall_time": WALL_TIME, "accuracy": ACCURACY}

FAST = make_point({"wall_time": 0.010, "accuracy": 0.90}, recorded_at="2026-01-01T00:00:00Z")
ACCURATE = make_point({"wall_time": 0.020, "accuracy": 0.95}, recorded_at="2026-01-02T00:00:00Z")
SLOW_RUN = make_point({"wall_time": 0.030, "accuracy": 0.85}, recorded_at="2026-01-03T00:00:00Z")
QUICK_RUN = make_point({"wall_time": 0.008, "accuracy": 0.80}, recorded_at="2026-01-04T00:00:00Z")
NEW = make_point({"wall_time": 0.025, "accuracy": 0.88}, recorded_at="2026-01-05T00:00:00Z")


def run(point: Point, verdict: str = "new") -> HistoryEntry:
    return HistoryEntry("run", point.recorded_at, point, verdict)


def judged_result() -> ParetoResult:
    """A new run that the frontier dominates, with two earlier runs in history."""
    verdict = judge("nb.ipynb::predict", NEW, [FAST, ACCURATE], METRICS, JudgePolicy())
    assert verdict.outcome is Outcome.DOMINATED
    history = (run(FAST), run(ACCURATE), run(SLOW_RUN), run(QUICK_RUN), run(NEW, "dominated"))
    return ParetoResult(
        test_id="nb.ipynb::predict",
        metrics=METRICS,
        frontier=(FAST, ACCURATE),
        history=history,
        new=NEW,
        verdict=verdict,
        notes=("an example note",),
    )


def test_roles_highlight_the_new_point_and_shade_dominated_ones() -> None:
    roles = {point.id: role for point, role in judged_result().roles()}
    assert roles == {
        FAST.id: Role.FRONTIER,
        ACCURATE.id: Role.FRONTIER,
        SLOW_RUN.id: Role.DOMINATED,  # slower and less accurate than FAST
        QUICK_RUN.id: Role.HISTORY,  # faster than every frontier point: not dominated
        NEW.id: Role.NEW,
    }


def test_widget_state_has_the_verdict_badge_plots_and_axis_dropdowns() -> None:
    widget = ParetoWidget(judged_result())
    badge = widget.badge.get_state()["value"]
    assert 'class="pareto-badge pareto-dominated"' in badge
    assert "✗ dominated" in badge
    assert "nb.ipynb::predict" in badge
    table = widget.table.get_state()["value"]
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", table)
    assert cells[:4] == ["accuracy", "0.88", "0.9", "-2.2%"]
    assert cells[7:11] == ["wall_time", "25 ms", "10 ms", "+150.0%"]
    assert "pareto-badge" not in table  # the badge is its own widget
    assert "%pareto_baseline accept predict" in table

    for image in (widget.history_image, widget.frontier_image):
        state = image.get_state()
        assert state["format"] == "png"
        assert bytes(state["value"]).startswith(PNG_MAGIC)
    x_state, y_state = widget.x_axis.get_state(), widget.y_axis.get_state()
    assert x_state["_options_labels"] == y_state["_options_labels"] == ("wall_time", "accuracy")
    assert (widget.x_axis.value, widget.y_axis.value) == ("wall_time", "accuracy")

    box = widget.get_state()
    assert len(box["children"]) == 3
    assert "pareto-widget" in box["_dom_classes"]


def test_choosing_other_axes_redraws_the_frontier_plot() -> None:
    widget = ParetoWidget(judged_result())
    before = bytes(widget.frontier_image.value)
    widget.x_axis.value = "accuracy"
    widget.y_axis.value = "wall_time"
    after = bytes(widget.frontier_image.get_state()["value"])
    assert after.startswith(PNG_MAGIC)
    assert after != before


def test_frontier_scatter_draws_roles_and_shades_the_dominated_region() -> None:
    figure = frontier_figure(judged_result(), "wall_time", "accuracy")
    (axes,) = figure.axes
    by_label = {c.get_label(): c for c in axes.collections}
    assert by_label["this run (dominated)"].get_offsets().tolist() == [[0.025, 0.88]]
    assert by_label["frontier"].get_offsets().tolist() == [[0.010, 0.90], [0.020, 0.95]]
    assert by_label["dominated"].get_offsets().tolist() == [[0.030, 0.85]]
    assert by_label["earlier run"].get_offsets().tolist() == [[0.008, 0.80]]
    (region,) = [p for p in axes.patches if p.get_label() == "dominated region"]
    inside = region.get_path().contains_point
    assert inside((0.030, 0.85))  # slower and less accurate than a frontier point
    assert inside((0.025, 0.88))  # the new point: dominated
    assert not inside((0.008, 0.80))  # faster than all: outside
    assert not inside((0.015, 0.97))  # more accurate than all: outside
    assert "↓ better" in axes.get_xlabel()
    assert "↑ better" in axes.get_ylabel()


def test_history_plot_has_one_panel_per_metric_with_runs_in_order() -> None:
    figure = history_figure(judged_result())
    assert [a.get_title() for a in figure.axes] == ["wall_time (↓ better)", "accuracy (↑ better)"]
    runs_line = next(line for line in figure.axes[1].lines if line.get_label() == "runs")
    assert list(runs_line.get_ydata()) == [0.90, 0.95, 0.85, 0.80, 0.88]
    star = next(line for line in figure.axes[1].lines if line.get_label() == "this run")
    assert list(star.get_xdata()) == [5]


def test_static_bundle_has_text_html_png_and_json() -> None:
    result = judged_result()
    bundle = ResultCard(result)._repr_mimebundle_()
    assert set(bundle) == {"text/plain", "text/html", "image/png", MIME_TYPE}

    text = bundle["text/plain"]
    assert text.startswith("pareto: nb.ipynb::predict: dominated")
    assert "wall_time" in text
    assert "note: an example note" in text

    page = bundle["text/html"]
    assert 'class="pareto-badge pareto-dominated"' in page
    embedded = re.search(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert embedded is not None
    assert base64.b64decode(embedded.group(1)) == bundle["image/png"]

    pixels = imread(io.BytesIO(bundle["image/png"]))
    height, width = pixels.shape[:2]
    assert width > 600
    assert height > 200

    data = bundle[MIME_TYPE]
    assert data["outcome"] == "dominated"
    assert data["runs"] == 5
    assert Verdict.from_json(data["verdict"]).outcome is Outcome.DOMINATED


def test_widget_bundle_adds_the_widget_view_to_the_static_fallback() -> None:
    widget = ParetoWidget(judged_result())
    bundle = widget._repr_mimebundle_()
    view = bundle["application/vnd.jupyter.widget-view+json"]
    assert view["model_id"] == widget.box.model_id
    assert {"text/plain", "text/html", "image/png", MIME_TYPE} <= set(bundle)
    assert bundle["text/plain"].startswith("pareto: nb.ipynb::predict: dominated")


def test_history_only_and_empty_results_still_draw() -> None:
    history = ParetoResult("nb.ipynb::predict", METRICS, frontier=(FAST,), history=(run(FAST),))
    widget = ParetoWidget(history)
    assert "pareto-history" in widget.badge.value
    assert bytes(widget.frontier_image.value).startswith(PNG_MAGIC)

    empty = ParetoResult("nb.ipynb::nothing", {})
    widget = ParetoWidget(empty)
    assert widget.x_axis.options == ()
    assert bytes(widget.history_image.value).startswith(PNG_MAGIC)
    assert "0 frontier point(s), 0 run(s)" in ResultCard(empty).text()


@pytest.mark.slow  # importing nbconvert takes seconds
def test_nbconvert_without_widget_state_falls_back_to_the_html_card() -> None:
    nbformat = pytest.importorskip("nbformat")
    nbconvert = pytest.importorskip("nbconvert")
    bundle = ParetoWidget(judged_result())._repr_mimebundle_()
    data = {**bundle, "image/png": base64.b64encode(bundle["image/png"]).decode("ascii")}
    notebook = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("%%pareto predict\n0.88")
    cell.outputs = [nbformat.v4.new_output("display_data", data=data)]
    notebook.cells = [cell]
    page, _ = nbconvert.HTMLExporter().from_notebook_node(notebook)
    assert 'class="pareto-badge pareto-dominated"' in page  # the card, not an empty widget
    assert "data:image/png;base64," in page
    assert "widget-view+json" not in page
