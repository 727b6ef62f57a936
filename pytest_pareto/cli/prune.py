"""``pytest-pareto prune``: remove stored points of tests and machines that no longer exist."""

from __future__ import annotations

import argparse
import textwrap
from pathlib import Path

from pytest_pareto.cli._common import (
    EXIT_OK,
    Command,
    add_store_argument,
    open_store,
    stored_tests,
)
from pytest_pareto.cli._pruning import MachineRule, apply_prune, collect_test_ids, plan_prune
from pytest_pareto.model.machine import current_machine

__all__ = ["COMMAND"]

THIS_MACHINE = "this"


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dry-run", action="store_true", help="say what would be removed; change nothing"
    )
    parser.add_argument(
        "--machine",
        metavar="CLASS",
        action="append",
        default=[],
        help="remove points measured on this machine class (see pytest-pareto show; "
        "'unknown' for points without one; repeatable)",
    )
    parser.add_argument(
        "--keep-machine",
        metavar="CLASS",
        action="append",
        default=None,
        help=f"remove points of every machine class except these ('{THIS_MACHINE}' is the "
        "machine running the command; repeatable)",
    )
    parser.add_argument(
        "--no-collect",
        action="store_true",
        help="do not ask pytest which tests exist (prune machines only)",
    )
    add_store_argument(parser)
    parser.add_argument(
        "pytest_args",
        nargs=argparse.REMAINDER,
        metavar="-- PYTEST-ARGS",
        help="arguments for pytest --collect-only (e.g. -- tests/ -p no:randomly)",
    )


def _classes(names: list[str]) -> frozenset[str]:
    return frozenset(current_machine().hardware_class if n == THIS_MACHINE else n for n in names)


def _run(args: argparse.Namespace) -> int:
    store = open_store(args)
    pytest_args = [a for a in args.pytest_args if a != "--"] if args.pytest_args else []
    machines = MachineRule(
        remove=_classes(args.machine),
        keep=_classes(args.keep_machine) if args.keep_machine is not None else None,
    )
    collected = None
    if not args.no_collect:
        print(f"asking pytest which tests exist: pytest --collect-only {' '.join(pytest_args)}")
        collected = collect_test_ids(pytest_args, Path.cwd())
        print(f"  {len(collected.test_ids)} tests collected, rootdir {collected.rootdir}")
    baselines = stored_tests(store)
    actions = plan_prune(baselines, collected, machines)
    if not actions:
        print(f"nothing to prune in {store.root} ({len(baselines)} stored tests)")
        return EXIT_OK
    verb = "would" if args.dry_run else "will"
    print(f"{len(actions)} of {len(baselines)} stored tests {verb} change:")
    for action in actions:
        print(f"  {action.test_id}: {action.describe()}")
    if args.dry_run:
        print("dry run: nothing was changed")
        return EXIT_OK
    apply_prune(store, actions, collected, machines)
    print(f"pruned {store.root}")
    return EXIT_OK


COMMAND = Command(
    name="prune",
    help="remove stored points of tests or machines that no longer exist",
    description=textwrap.dedent(
        """\
        Remove stored tests that no longer exist, and points measured on machines you no
        longer use. Which tests exist is asked of pytest: it runs
        `pytest --collect-only` in a subprocess in the current folder (pass pytest
        arguments after --). A stored test is removed when its module file is gone, or its
        module was collected and the test was not (renamed, deleted, a parameter no longer
        generated). Tests in modules that were not collected are kept; if collection fails,
        nothing is removed. -k/-m do not hide tests from this check.

        Machines are named by the class shown by `pytest-pareto show`: --machine CLASS
        removes that class's points, --keep-machine CLASS removes every other class's.
        A test left with no points at all is removed. Always try --dry-run first.

        examples:
          pytest-pareto prune --dry-run
          pytest-pareto prune -- tests/ -p no:randomly
          pytest-pareto prune --no-collect --machine 2efa1bd766
          pytest-pareto prune --no-collect --keep-machine this --dry-run

        exit status: 0 pruned (or nothing to prune), 2 usage error, no baseline folder,
        or collection failed
        """
    ),
    add_arguments=_add_arguments,
    run=_run,
)
