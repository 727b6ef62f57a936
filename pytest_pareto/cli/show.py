"""``pytest-pareto show``: stored frontiers as tables."""

from __future__ import annotations

import argparse
import sys
import textwrap

from pytest_pareto.cli._common import (
    EXIT_OK,
    EXIT_USAGE,
    Command,
    add_prefix_argument,
    add_store_argument,
    open_store,
    stored_tests,
)
from pytest_pareto.reports.store_tables import ARROW_LEGEND, frontier_table, machines_of
from pytest_pareto.reports.words import render_table

__all__ = ["COMMAND"]


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    add_prefix_argument(parser, "show")
    add_store_argument(parser)


def _run(args: argparse.Namespace) -> int:
    store = open_store(args)
    tests = stored_tests(store, args.prefix)
    if not tests:
        if args.prefix:
            print(f"no stored test id starts with {args.prefix!r} in {store.root}", file=sys.stderr)
            return EXIT_USAGE
        print(f"no stored frontiers in {store.root} (record some with: pytest --pareto-update)")
        return EXIT_OK
    for baseline in tests:
        history = f", {len(baseline.history)} in history" if baseline.history else ""
        count = len(baseline.points)
        print(f"{baseline.test_id}  ({count} point{'s' if count != 1 else ''}{history})")
        table = frontier_table(baseline)
        for line in render_table(table.headers, table.rows, indent="  "):
            print(line)
        print()
    print(ARROW_LEGEND)
    print("machines:")
    for name, machine in machines_of(tests).items():
        print(f"  {name}  {machine.describe() if machine else 'not recorded'}")
    return EXIT_OK


COMMAND = Command(
    name="show",
    help="show stored frontiers as tables",
    description=textwrap.dedent(
        """\
        Show each stored test's Pareto frontier: one row per point with every metric in
        readable units (with the number of processes when there were several), when and at
        which commit it was recorded, and the machine class it was measured on (the classes
        are listed at the end).

        examples:
          pytest-pareto show
          pytest-pareto show tests/test_model.py
          pytest-pareto show tests/test_model.py::test_predict --store ci/baselines

        exit status: 0 shown (or nothing stored), 2 no folder or no test matches the prefix
        """
    ),
    add_arguments=_add_arguments,
    run=_run,
)
