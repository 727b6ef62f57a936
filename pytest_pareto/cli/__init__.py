"""The ``pytest-pareto`` console script: one module per subcommand.

Exit codes: 0 success, 1 a regression was found (or the demo did not behave as expected),
2 usage or file errors.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from pytest_pareto._version import __version__
from pytest_pareto.cli import (
    bisect,
    compare,
    demo,
    export,
    history,
    import_benchmark,
    merge_driver,
    noise,
    plot,
    probes,
    prune,
    show,
)
from pytest_pareto.cli._common import EXIT_USAGE, Command
from pytest_pareto.errors import ParetoError

__all__ = ["COMMANDS", "main"]

COMMANDS: tuple[Command, ...] = (
    demo.COMMAND,
    probes.COMMAND,
    show.COMMAND,
    history.COMMAND,
    compare.COMMAND,
    plot.COMMAND,
    export.COMMAND,
    prune.COMMAND,
    import_benchmark.COMMAND,
    bisect.COMMAND,
    merge_driver.COMMAND,
    noise.COMMAND,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pytest-pareto",
        description="Inspect, compare and demonstrate pytest-pareto frontiers.",
        epilog="Run 'pytest-pareto COMMAND --help' for a command's options and examples.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in COMMANDS:
        command.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        # Commands that pass pytest's own options on take them first too (noise -k fit).
        if getattr(args, "pytest_args", None) is None:
            parser.error(f"unrecognized arguments: {' '.join(unknown)}")
        args.pytest_args = [*unknown, *args.pytest_args]
    try:
        return int(args.run(args))
    except ParetoError as exc:
        print(f"pytest-pareto {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
