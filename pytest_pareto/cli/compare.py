"""``pytest-pareto compare A B``: per test, which side dominates; exit 1 when B regressed."""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from pathlib import Path

from pytest_pareto.cli._common import (
    DEFAULT_STORE,
    EXIT_OK,
    EXIT_REGRESSION,
    EXIT_USAGE,
    Command,
)
from pytest_pareto.cli._frontier_compare import TestComparison, compare_snapshots, status_counts
from pytest_pareto.cli._snapshots import Snapshot, load_snapshot
from pytest_pareto.errors import ConfigError
from pytest_pareto.judging.verdict import JudgePolicy
from pytest_pareto.model.machine import Matching
from pytest_pareto.model.metrics import Tolerance
from pytest_pareto.reports.markdown import markdown_table
from pytest_pareto.reports.words import render_table, verdict_message

__all__ = ["COMMAND"]

_HEADERS = ("test", "A points", "B points", "B against A", "better", "detail")


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("a", metavar="A", help="the reference side: folder, JSON report or git ref")
    parser.add_argument("b", metavar="B", help="the new side: folder, JSON report or git ref")
    parser.add_argument(
        "--store",
        metavar="DIR",
        default=DEFAULT_STORE,
        help=f"the baseline folder inside a git ref's tree (default: {DEFAULT_STORE})",
    )
    parser.add_argument(
        "--tolerance",
        metavar="TOL",
        default="5%",
        help="tolerance of every metric: 0.05, 5%% or abs:0.01 (default: 5%%)",
    )
    parser.add_argument(
        "--metric-tolerance",
        metavar="METRIC=TOL",
        action="append",
        default=[],
        help="tolerance of one metric, e.g. accuracy=abs:0.005 (repeatable)",
    )
    parser.add_argument(
        "--machine",
        choices=[m.value for m in Matching],
        default=Matching.EXACT.value,
        help="which A points a B point is compared with: same hardware class (exact, "
        "default), same CPU model (cpu), or all (any)",
    )
    parser.add_argument("--prefix", default="", help="compare only tests whose id starts so")
    parser.add_argument(
        "--strict", action="store_true", help="an inconclusive test fails too (exit 1)"
    )
    parser.add_argument(
        "--format",
        choices=("text", "markdown", "json"),
        default="text",
        help="output: a text table (default), a markdown table (for pull request comments), "
        "or JSON",
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="explain each test that is not equal"
    )


def _policy(args: argparse.Namespace) -> JudgePolicy:
    tolerances = {}
    for spec in args.metric_tolerance:
        name, sep, value = spec.partition("=")
        if not sep or not name:
            raise ConfigError(f"--metric-tolerance {spec!r}: write METRIC=TOL, e.g. loss=2%")
        tolerances[name] = Tolerance.parse(value, metric=name)
    return JudgePolicy(tolerances=tolerances, default_tolerance=Tolerance.parse(args.tolerance))


def _lacking(comparison: TestComparison) -> str:
    # Only news when B is not worse: a dominated B always lacks the A point that beats it.
    if not comparison.uncovered or comparison.fails(strict=True):
        return ""
    return f"; B lacks {comparison.uncovered} of A's {comparison.a_points} point(s)"


def _rows(comparisons: list[TestComparison]) -> list[list[str]]:
    return [
        [
            c.test_id,
            str(c.a_points),
            str(c.b_points),
            c.status,
            c.better_side,
            c.detail() + _lacking(c),
        ]
        for c in comparisons
    ]


def _summary(comparisons: list[TestComparison], strict: bool) -> str:
    counts = ", ".join(f"{n} {status}" for status, n in status_counts(comparisons).items())
    failing = [c.test_id for c in comparisons if c.fails(strict=strict)]
    verdict = (
        f"B is dominated in {len(failing)} test(s): {', '.join(failing)}"
        if failing
        else "B is dominated in no test"
    )
    return f"{len(comparisons)} test(s): {counts or 'none'}. {verdict}"


def _print_text(a: Snapshot, b: Snapshot, comparisons: list[TestComparison], strict: bool) -> None:
    print(f"A: {a.source} ({len(a.tests)} tests)")
    print(f"B: {b.source} ({len(b.tests)} tests)")
    print()
    for line in render_table(_HEADERS, _rows(comparisons)):
        print(line)
    print()
    print(_summary(comparisons, strict))


def _print_markdown(
    a: Snapshot, b: Snapshot, comparisons: list[TestComparison], strict: bool
) -> None:
    print(f"**A**: {a.source} · **B**: {b.source}")
    print()
    rows = [[f"`{row[0]}`", *row[1:]] for row in _rows(comparisons)]
    print("\n".join(markdown_table(_HEADERS, rows)))
    print()
    print(_summary(comparisons, strict))


def _run(args: argparse.Namespace) -> int:
    policy = _policy(args)
    cwd = Path.cwd()
    a = load_snapshot(args.a, store=args.store, cwd=cwd)
    b = load_snapshot(args.b, store=args.store, cwd=cwd)
    for side, snapshot in (("A", a), ("B", b)):
        if not snapshot.tests:
            print(f"warning: side {side} ({snapshot.source}) holds no tests", file=sys.stderr)
    comparisons = compare_snapshots(a, b, policy, Matching.parse(args.machine), prefix=args.prefix)
    if args.prefix and not comparisons:
        print(f"no test id starts with {args.prefix!r} on either side", file=sys.stderr)
        return EXIT_USAGE
    if args.format == "json":
        data = {
            "a": a.source,
            "b": b.source,
            "regression": any(c.fails(strict=args.strict) for c in comparisons),
            "tests": [c.to_json() for c in comparisons],
        }
        print(json.dumps(data, indent=2, sort_keys=True, allow_nan=False))
    elif args.format == "markdown":
        _print_markdown(a, b, comparisons, args.strict)
    else:
        _print_text(a, b, comparisons, args.strict)
    if args.verbose and args.format == "text":
        for comparison in comparisons:
            verdict = comparison.decisive
            if verdict is not None and verdict.decisive is not None and comparison.status != "pass":
                print(f"\n{comparison.test_id}")
                print(verdict_message(verdict, update_hint=False))
    regression = any(c.fails(strict=args.strict) for c in comparisons)
    return EXIT_REGRESSION if regression else EXIT_OK


COMMAND = Command(
    name="compare",
    help="compare two sets of frontiers; exit 1 when B is dominated",
    description=textwrap.dedent(
        """\
        Compare side B (new) with side A (reference), test by test. Each side is
          - a baseline folder (its current frontiers),
          - a JSON report of one run (pytest --pareto-report run.json): each test's result,
          - a git ref (branch, tag, commit, HEAD~1; write git:REF to insist): the baseline
            folder (--store) as committed there, read with git without a checkout.
        Every point of B is judged against the comparable points of A exactly as pytest
        judges a new result (same tolerances, machine matching and outcomes). A test is
        "dominated" when a point of B is dominated by a point of A: B regressed.

        examples:
          pytest-pareto compare main HEAD                    # committed frontiers
          pytest-pareto compare main baselines               # main against the work tree
          pytest-pareto compare base.json pr.json            # two CI runs' reports
          pytest-pareto compare main pr.json --metric-tolerance accuracy=abs:0.005
          pytest-pareto compare origin/main HEAD --format markdown >> comment.md

        exit status: 0 no test of B is dominated, 1 some test of B is dominated (with
        --strict: or inconclusive), 2 usage error or a file that cannot be read
        """
    ),
    add_arguments=_add_arguments,
    run=_run,
)
