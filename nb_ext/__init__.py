"""pytest-pareto in Jupyter: ``%load_ext nb_ext`` (or ``%load_ext pytest_pareto``).

``%%pareto NAME`` measures a cell and judges it against the same Pareto frontiers as the
pytest plugin; ``%pareto_baseline accept NAME`` accepts its last run; ``%pareto_history NAME``
shows the inline widget. This package is the only one that imports IPython and ipywidgets.
"""

from __future__ import annotations

from typing import Any

__all__ = ["load_ipython_extension"]


def load_ipython_extension(ipython: Any) -> None:
    """Register the magics, and how their results display, with the running IPython shell."""
    from nb_ext.magics import ParetoMagics
    from nb_ext.show import register_result_display

    ipython.register_magics(ParetoMagics)
    register_result_display(ipython)
