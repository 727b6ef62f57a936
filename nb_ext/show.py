"""How a :class:`ParetoResult` displays: its mime bundle, registered with the shell by
``%load_ext nb_ext``, and the live widget the magics show where a kernel runs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from IPython import display as _ipython_display

from nb_ext.display import ResultCard
from nb_ext.result import ParetoResult
from nb_ext.widget import ParetoWidget

__all__ = ["register_result_display", "result_bundle", "show_result"]

# Typed here: IPython's display function is untyped in some releases.
_display: Callable[[Any], None] = _ipython_display.display


def result_bundle(result: ParetoResult) -> dict[str, Any]:
    """The result as its card: text, HTML, a PNG and JSON, which every front end shows."""
    return ResultCard(result)._repr_mimebundle_()


def register_result_display(shell: Any) -> None:
    """Display every :class:`ParetoResult` in ``shell`` (``-o``'s value too) as its card."""
    shell.display_formatter.mimebundle_formatter.for_type(ParetoResult, result_bundle)


def show_result(shell: Any, result: ParetoResult) -> None:
    """Display the result as output of the running cell: where a kernel runs, as the live
    widget (its bundle keeps the card for front ends without widgets), else as the card."""
    if getattr(shell, "kernel", None) is not None:
        try:
            widget = ParetoWidget(result)
        except ImportError:  # no ipywidgets or matplotlib
            pass
        else:
            _display(widget)
            return
    _display(result)
