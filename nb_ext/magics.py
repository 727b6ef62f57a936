"""``%%pareto``, ``%pareto``, ``%pareto_baseline`` and ``%pareto_history``: the IPython class
that names them; parsing, measuring, showing and the stored frontiers live in their modules."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from IPython.core import magic as _magic
from IPython.core.magic import Magics

from nb_ext.arguments import (
    baseline_arguments,
    cell_arguments,
    cell_request,
    history_arguments,
    parse,
)
from nb_ext.measure import measure_cell
from nb_ext.result import ParetoResult
from nb_ext.session import Session
from nb_ext.show import show_result
from nb_ext.stored_magics import accept_last_run, stored_result

__all__ = ["ParetoMagics"]

_Magic = Callable[..., Any]
# IPython's decorators are untyped in some releases (8.x); these names give them a type.
magics_class: Callable[[type[Any]], type[Any]] = _magic.magics_class
line_cell_magic: Callable[[_Magic], _Magic] = _magic.line_cell_magic
line_magic: Callable[[_Magic], _Magic] = _magic.line_magic


@magics_class
class ParetoMagics(Magics):
    """Measure cells and judge them against the project's Pareto frontiers."""

    def __init__(self, shell: Any) -> None:
        super().__init__(shell)  # type: ignore[no-untyped-call, unused-ignore]
        self.session = Session(shell)

    @cell_arguments
    @line_cell_magic
    def pareto(self, line: str, cell: str | None = None) -> ParetoResult | None:
        """Measure a cell (or one statement) and judge it against its stored Pareto frontier.

        The cell runs in the notebook's namespace, measured with the same probes and options
        as pytest's ``pareto`` fixture; its last expression is recorded as a quality metric.
        The result is compared with the frontier stored under the project's ``baselines/``
        (test id ``<notebook path>::NAME``) and appended to its history; the frontier
        changes only with ``%pareto_baseline accept NAME``.
        """
        __tracebackhide__ = True
        request = cell_request(self.pareto, line, cell)
        result = measure_cell(self.session, request)
        if result is None:
            return None
        if not request.spec.quiet:
            show_result(self.shell, result)
        return result if request.spec.output else None

    @baseline_arguments
    @line_magic
    def pareto_baseline(self, line: str) -> None:
        """Accept a cell's last run into its Pareto frontier.

        Stored points better than it retire to history, points it dominates are pruned,
        trade-offs stay (as ``pytest --pareto-update`` does).
        """
        accept_last_run(self.session, parse(self.pareto_baseline, line).name)

    @history_arguments
    @line_magic
    def pareto_history(self, line: str) -> ParetoResult | None:
        """Show a cell's stored frontier and the history of its runs."""
        args = parse(self.pareto_history, line)
        result = stored_result(self.session, args.name)
        show_result(self.shell, result)
        return result if args.output else None
