"""``pytest-pareto history``: every stored point of one test, oldest first."""

from __future__ import annotations

import argparse
import textwrap

from pytest_pareto.cli._common import EXIT_OK, Command, add_store_argument, find_test, open_store
from pytest_pareto.reports.store_tables import ARROW_LEGEND, history_table
from pytest_pareto.reports.words import render_table

__all__ = ["COMMAND"]


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("test_id", metavar="TEST-ID", help="the test's id (a unique prefix works)")
    add_store_argument(parser)


def _run(args: argparse.Namespace) -> int:
    baseline = find_test(open_store(args), args.test_id)
    table = history_table(baseline)
    print(
        f"{baseline.test_id}: {len(baseline.points)} on the frontier, "
        f"{len(baseline.history)} in history, oldest first"
    )
    for line in render_table(table.headers, table.rows, indent="  "):
        print(line)
    print(ARROW_LEGEND)
    return EXIT_OK


COMMAND = Command(
    name="history",
    help="show every recorded point of a test with its event and verdict",
    description=textwrap.dedent(
        """\
        Show every point stored for one test, oldest first: the points on its frontier and
        those that left it, with the event (retired: a worse result was accepted over it;
        pruned: a better result dominated it; run: a measured run that did not move the
        frontier, e.g. one equal within tolerance to a stored point; superseded: replaced by
        an equal result, in files of earlier versions), the verdict when one was stored, when
        it left the frontier, its metrics, commit and machine class.

        examples:
          pytest-pareto history tests/test_model.py::test_predict
          pytest-pareto history tests/test_model.py::test_pred   # a unique prefix

        exit status: 0 shown, 2 no such test or no baseline folder
        """
    ),
    add_arguments=_add_arguments,
    run=_run,
)
