"""``pytest-pareto export``: stored frontiers as CSV, JSON or markdown."""

from __future__ import annotations

import argparse
import sys
import textwrap
from pathlib import Path

from pytest_pareto.cli._common import (
    EXIT_OK,
    EXIT_USAGE,
    Command,
    add_prefix_argument,
    add_store_argument,
    open_store,
    stored_tests,
)
from pytest_pareto.errors import ConfigError
from pytest_pareto.reports.export import EXPORT_FORMATS, export

__all__ = ["COMMAND"]


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    add_prefix_argument(parser, "export")
    parser.add_argument(
        "--format", choices=EXPORT_FORMATS, required=True, help="csv, json or markdown"
    )
    parser.add_argument(
        "-o", "--output", metavar="FILE", type=Path, help="write to FILE (default: stdout)"
    )
    parser.add_argument(
        "--history",
        action="store_true",
        help="CSV and markdown: include the points that left the frontier (JSON always does)",
    )
    add_store_argument(parser)


def _run(args: argparse.Namespace) -> int:
    tests = stored_tests(open_store(args), args.prefix)
    if args.prefix and not tests:
        print(f"no stored test id starts with {args.prefix!r}", file=sys.stderr)
        return EXIT_USAGE
    text = export(tests, args.format, history=args.history)
    if args.output is None:
        sys.stdout.write(text)
        return EXIT_OK
    try:
        args.output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{args.output}: cannot be written ({exc.strerror})") from None
    print(f"wrote {len(tests)} tests to {args.output}", file=sys.stderr)
    return EXIT_OK


COMMAND = Command(
    name="export",
    help="export stored frontiers as CSV, JSON or markdown",
    description=textwrap.dedent(
        """\
        Export stored frontiers for spreadsheets, notebooks and documents.
          csv       one row per point and metric: test_id, point, state (frontier or the
                    history event), recorded_at, left_at, commit, machine_class, metric,
                    value (base unit: s, B, J, FLOP; full precision), unit, better, processes
          json      every test's metrics, points and history keyed by test id (lossless)
          markdown  a table per test, like `show`

        examples:
          pytest-pareto export --format csv -o frontiers.csv
          pytest-pareto export tests/test_model.py --format csv --history
          pytest-pareto export --format markdown >> docs/performance.md

        exit status: 0 exported, 2 usage error, no baseline folder, or no test matches
        """
    ),
    add_arguments=_add_arguments,
    run=_run,
)
