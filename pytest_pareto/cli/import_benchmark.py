"""``pytest-pareto import-benchmark``: pytest-benchmark saved runs into baselines."""

from __future__ import annotations

import argparse
import textwrap
from pathlib import Path

from pytest_pareto.cli._benchmark_import import import_runs, read_benchmark_file, run_files
from pytest_pareto.cli._common import EXIT_OK, EXIT_USAGE, Command
from pytest_pareto.model.machine import Matching
from pytest_pareto.model.units import format_value
from pytest_pareto.reports.words import render_table
from pytest_pareto.store.baseline_files import Store

__all__ = ["COMMAND"]


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        type=Path,
        help="pytest-benchmark JSON files, or folders to search (e.g. .benchmarks)",
    )
    parser.add_argument(
        "--store",
        type=Path,
        default=Path("baselines"),
        help="baseline folder to import into (default: ./baselines; run from your rootdir)",
    )
    parser.add_argument(
        "--machine",
        choices=("auto", "file", "current"),
        default="auto",
        help="which machine the points belong to: this one when the file's CPU model and "
        "count match it (auto, default), the file's machine_info (file), or this one (current)",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="show what would be imported, write nothing"
    )


def _run(args: argparse.Namespace) -> int:
    files = run_files(args.paths)
    if not files:
        print("pytest-pareto import-benchmark: no JSON file found in the given paths")
        return EXIT_USAGE
    runs = [read_benchmark_file(path, machine=args.machine) for path in files]
    rows = []
    for run in sorted(runs, key=lambda r: (r.recorded_at, str(r.path))):
        for bench in run.benchmarks:
            median = format_value(bench.point.value("wall_time"), "s")
            rows.append([bench.test_id, median, str(bench.rounds), run.path.name])
    print(f"{len(rows)} benchmark(s) in {len(runs)} file(s):")
    for line in render_table(("test", "median", "rounds", "file"), rows, indent="  "):
        print(line)
    changes = import_runs(Store(args.store), runs, matching=Matching.EXACT, dry_run=args.dry_run)
    print("would change:" if args.dry_run else f"imported into {args.store}:")
    for change in changes:
        print(f"  {change.test_id}: {change.describe()}")
    return EXIT_OK


COMMAND = Command(
    name="import-benchmark",
    help="turn pytest-benchmark saved runs into pytest-pareto baselines",
    description=textwrap.dedent(
        """\
        Read pytest-benchmark JSON files (.benchmarks/**/NNNN_*.json from --benchmark-save
        or --benchmark-autosave, or a --benchmark-json file) and accept each benchmark's
        median time per call as a wall_time point of the test with the same node id, oldest
        run first, as `pytest --pareto-update` would. Run it from the folder pytest uses as
        rootdir, so node ids match.

        examples:
          pytest-pareto import-benchmark .benchmarks
          pytest-pareto import-benchmark .benchmarks/Linux-CPython-3.11-64bit/0007_*.json
          pytest-pareto import-benchmark bench.json --store baselines --dry-run
        """
    ),
    add_arguments=_add_arguments,
    run=_run,
)
