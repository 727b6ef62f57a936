"""``pytest-pareto plot``: a test's frontier and history as a PNG or SVG figure."""

from __future__ import annotations

import argparse
import re
import sys
import textwrap
from pathlib import Path

from pytest_pareto.cli._common import (
    EXIT_OK,
    EXIT_USAGE,
    Command,
    add_store_argument,
    find_test,
    open_store,
    stored_tests,
)
from pytest_pareto.errors import ConfigError
from pytest_pareto.reports.plots import FIGURE_FORMATS, frontier_figure, save_figure

__all__ = ["COMMAND", "figure_name"]


def figure_name(test_id: str, fmt: str) -> str:
    """A file name for a test's figure: the id with path and odd characters made safe."""
    safe = re.sub(r"[^A-Za-z0-9_.\-\[\]]+", "_", test_id.replace("::", "__")).strip("_")
    return f"{safe or 'test'}.{fmt}"


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "test_id", nargs="?", metavar="TEST-ID", help="the test to plot (a unique prefix works)"
    )
    parser.add_argument("--x", metavar="METRIC", help="metric on the x axis (default: a time)")
    parser.add_argument(
        "--y", metavar="METRIC", help="metric on the y axis (default: a quality metric)"
    )
    parser.add_argument(
        "-o", "--output", metavar="FILE", type=Path, help="the figure file: .png or .svg"
    )
    parser.add_argument(
        "--all",
        metavar="DIR",
        type=Path,
        dest="all_dir",
        help="write one figure per stored test into DIR (TEST-ID is then a prefix filter)",
    )
    parser.add_argument(
        "--format",
        choices=FIGURE_FORMATS,
        default="png",
        help="figure format with --all (default: png)",
    )
    add_store_argument(parser)


def _run(args: argparse.Namespace) -> int:
    store = open_store(args)
    if args.all_dir is not None:
        if args.output is not None:
            raise ConfigError("give either -o FILE (one test) or --all DIR (every test)")
        tests = stored_tests(store, args.test_id or "")
        if not tests:
            print(f"no stored test to plot in {store.root}", file=sys.stderr)
            return EXIT_USAGE
        written = 0
        for baseline in tests:
            if not baseline.points and not baseline.history:
                continue
            try:
                figure = frontier_figure(baseline, args.x, args.y)
            except ConfigError as exc:
                print(f"skipped {baseline.test_id}: {exc}")
                continue
            path = args.all_dir / figure_name(baseline.test_id, args.format)
            save_figure(figure, path)
            print(f"wrote {path}")
            written += 1
        print(f"{written} figure(s) in {args.all_dir}")
        return EXIT_OK if written else EXIT_USAGE
    if args.test_id is None or args.output is None:
        raise ConfigError("plot needs TEST-ID and -o FILE.png|FILE.svg (or --all DIR)")
    if args.output.suffix.lower().lstrip(".") not in FIGURE_FORMATS:
        raise ConfigError(f"{args.output}: name the figure file .png or .svg")
    baseline = find_test(store, args.test_id)
    save_figure(frontier_figure(baseline, args.x, args.y), args.output)
    print(f"wrote {args.output}")
    return EXIT_OK


COMMAND = Command(
    name="plot",
    help="plot a test's frontier and history (matplotlib)",
    description=textwrap.dedent(
        """\
        Draw a test's stored frontier and history: the trade-off of two metrics (frontier
        points per machine class, their 2-D front as a staircase, history in grey) next to a
        timeline of one metric. A test with a single metric gets the timeline alone.
        Needs matplotlib: pip install 'pytest-pareto[jupyter]' (or pip install matplotlib).

        examples:
          pytest-pareto plot tests/test_model.py::test_predict -o predict.png
          pytest-pareto plot tests/test_model.py::test_predict --x wall_time --y accuracy -o p.svg
          pytest-pareto plot --all figures/                 # one PNG per stored test
          pytest-pareto plot tests/test_model.py --all figures/ --format svg

        exit status: 0 written, 2 usage error, unknown test or metric, matplotlib missing
        """
    ),
    add_arguments=_add_arguments,
    run=_run,
)
