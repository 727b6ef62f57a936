"""What every subcommand shares: its registration shape and the exit codes."""

from __future__ import annotations

import argparse
import difflib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_pareto.errors import ConfigError
from pytest_pareto.model.points import TestBaseline
from pytest_pareto.store.baseline_files import Store

__all__ = [
    "DEFAULT_STORE",
    "EXIT_OK",
    "EXIT_REGRESSION",
    "EXIT_USAGE",
    "Command",
    "add_prefix_argument",
    "add_store_argument",
    "find_test",
    "open_store",
    "stored_tests",
]

EXIT_OK = 0
EXIT_REGRESSION = 1
EXIT_USAGE = 2

SubParsers = Any  # argparse's private _SubParsersAction


@dataclass(frozen=True)
class Command:
    """A subcommand: its name, help, and how it adds its arguments and runs."""

    name: str
    help: str
    description: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]

    def register(self, sub: SubParsers) -> None:
        parser = sub.add_parser(
            self.name,
            help=self.help,
            description=self.description,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        self.add_arguments(parser)
        parser.set_defaults(run=self.run)


DEFAULT_STORE = "baselines"


def add_prefix_argument(parser: argparse.ArgumentParser, verb: str) -> None:
    """The optional TEST-ID-PREFIX that narrows a command to some tests."""
    parser.add_argument(
        "prefix",
        nargs="?",
        default="",
        metavar="TEST-ID-PREFIX",
        help=f"{verb} only tests whose id starts with this (default: all)",
    )


def add_store_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--store",
        metavar="DIR",
        default=DEFAULT_STORE,
        help=f"folder of the baseline files (default: ./{DEFAULT_STORE})",
    )


def open_store(args: argparse.Namespace) -> Store:
    """The store named by ``--store``; a missing folder is a usage error that says what to do."""
    root = Path(args.store)
    if not root.is_dir():
        raise ConfigError(
            f"no baseline folder at {root}: run the command in your project's root, pass "
            "--store DIR, or record frontiers first with: pytest --pareto-update"
        )
    return Store(root)


def stored_tests(store: Store, prefix: str = "") -> list[TestBaseline]:
    """Every stored test whose id starts with ``prefix``, sorted by id."""
    tests = [b for b in store.iter_baselines() if b.test_id.startswith(prefix)]
    return sorted(tests, key=lambda b: b.test_id)


def find_test(store: Store, test_id: str) -> TestBaseline:
    """One stored test by its exact id (a unique prefix also works)."""
    tests = stored_tests(store)
    exact = [b for b in tests if b.test_id == test_id]
    if exact:
        return exact[0]
    prefixed = [b for b in tests if b.test_id.startswith(test_id)]
    if len(prefixed) == 1:
        return prefixed[0]
    if prefixed:
        names = ", ".join(b.test_id for b in prefixed[:5])
        raise ConfigError(f"{test_id!r} matches {len(prefixed)} stored tests ({names}); be exact")
    ids = [b.test_id for b in tests]
    close = difflib.get_close_matches(test_id, ids, n=3, cutoff=0.5)
    hint = f"; did you mean: {', '.join(close)}" if close else "; list them: pytest-pareto show"
    raise ConfigError(f"no stored test {test_id!r} in {store.root}{hint}")
