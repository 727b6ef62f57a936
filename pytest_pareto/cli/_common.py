"""What every subcommand shares: its registration shape and the exit codes."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["EXIT_OK", "EXIT_REGRESSION", "EXIT_USAGE", "Command"]

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
