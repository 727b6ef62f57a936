"""The inline widget: verdict badge, metric table, history plot and a 2-D frontier scatter.

Core ipywidgets only (no front-end build): plots are matplotlib PNGs in ``Image`` widgets,
the scatter's axes are chosen from two ``Dropdown`` widgets.
"""

from __future__ import annotations

import struct
from typing import Any

from nb_ext.display import ResultCard, badge_html
from nb_ext.plots import frontier_axes, frontier_figure, history_figure, to_png
from nb_ext.result import ParetoResult

__all__ = ["ParetoWidget"]


def _png_width(png: bytes) -> int:
    """A PNG's width in pixels (from its header), so the front end shows it at its size."""
    return int(struct.unpack(">I", png[16:20])[0])


class ParetoWidget:
    """A :class:`ParetoResult` as live widgets, with the static card as a fallback.

    Display it (it is the last value of ``%%pareto``'s output): front ends with a widget
    manager show the widgets, others the card's HTML and PNG.
    """

    def __init__(self, result: ParetoResult) -> None:
        import ipywidgets as widgets

        self.result = result
        self.card = ResultCard(result)
        names = result.metric_names()
        x, y = frontier_axes(result)
        self.badge = widgets.HTML(
            value=f"{badge_html(result)} <code>{result.test_id}</code>",
            layout=widgets.Layout(margin="0 0 4px 0"),
        )
        self.badge.add_class("pareto-verdict")
        self.table = widgets.HTML(value=self._table_html())
        history_png = to_png(history_figure(result))
        self.history_image = widgets.Image(
            value=history_png, format="png", width=str(_png_width(history_png))
        )
        self.history_image.add_class("pareto-history-plot")
        self.x_axis = widgets.Dropdown(options=names, value=x, description="x")
        self.y_axis = widgets.Dropdown(options=names, value=y, description="y")
        frontier_png = self._frontier_png()
        self.frontier_image = widgets.Image(
            value=frontier_png, format="png", width=str(_png_width(frontier_png))
        )
        self.frontier_image.add_class("pareto-frontier-plot")
        self.x_axis.observe(self._redraw_frontier, names="value")
        self.y_axis.observe(self._redraw_frontier, names="value")
        tabs = widgets.Tab(
            children=[
                widgets.VBox([widgets.HBox([self.x_axis, self.y_axis]), self.frontier_image]),
                self.history_image,
            ]
        )
        tabs.set_title(0, "frontier")
        tabs.set_title(1, "history")
        self.tabs = tabs
        self.box = widgets.VBox([self.badge, self.table, tabs])
        self.box.add_class("pareto-widget")

    def _table_html(self) -> str:
        # The card's HTML without its badge and picture: the widget shows those itself.
        return self.card.html(png=None, badge=False)

    def _frontier_png(self) -> bytes:
        return to_png(frontier_figure(self.result, self.x_axis.value, self.y_axis.value))

    def _redraw_frontier(self, _change: Any = None) -> None:
        self.frontier_image.value = self._frontier_png()

    def get_state(self) -> dict[str, Any]:
        """The widget model's state (as sent to the front end)."""
        state: dict[str, Any] = self.box.get_state()
        return state

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        bundle = self.card._repr_mimebundle_(include, exclude)
        widget_view = self.box._repr_mimebundle_()
        bundle.update(
            {k: v for k, v in widget_view.items() if k != "text/plain"},
        )
        return bundle
