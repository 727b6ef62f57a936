"""The magics' arguments: their argparse definitions (and so their ``--help``), parsing, and
the validated :class:`CellSpec` of one ``%%pareto`` line."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from IPython.core import magic_arguments as _magic_arguments
from IPython.core.error import UsageError

from pytest_pareto.errors import ConfigError
from pytest_pareto.measuring.options import TestOptions
from pytest_pareto.model.metrics import Direction

__all__ = [
    "USAGE",
    "CellRequest",
    "CellSpec",
    "baseline_arguments",
    "cell_arguments",
    "cell_request",
    "history_arguments",
    "parse",
    "usage_error",
]

USAGE = """\
usage: %%pareto NAME [options] [-- SETUP]    measure the cell (SETUP runs first, untimed)
       %pareto NAME [options] -- STATEMENT   measure one statement
options: [-r/--rounds N] [-n/--iterations N] [-w/--warmup N] [--max-time S]
         [-t/--tolerance METRIC=TOL ...] [-m/--metrics METRIC ...]
         [--quality NAME] [--better higher|lower] [-q] [-o]
example: %%pareto predict_small --rounds 5 --tolerance wall_time=0.1 accuracy=abs:0.005"""

_Magic = Callable[..., Any]
_Decorator = Callable[[_Magic], _Magic]
# IPython's decorators are untyped in some releases (8.x); these names give them a type.
_magic_arguments_of: Callable[[], _Decorator] = _magic_arguments.magic_arguments
_argument: Callable[..., _Decorator] = _magic_arguments.argument
_parse_argstring: Callable[[_Magic, str], Any] = _magic_arguments.parse_argstring

DEFAULT_QUALITY = "accuracy"
_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-\[\]]*$")
_CODE_SEPARATOR = re.compile(r"(?:^|\s)--(?:\s|$)")


def _with_arguments(*arguments: _Decorator) -> _Decorator:
    """The magic's parser from ``arguments`` (listed as the options show), its ``--help`` as
    its docstring: ``@magic_arguments()`` above the ``@argument(...)`` lines."""

    def decorate(magic: _Magic) -> _Magic:
        for argument in reversed(arguments):
            magic = argument(magic)
        return _magic_arguments_of()(magic)

    return decorate


cell_arguments = _with_arguments(
    _argument("name", help="the result's name; its test id is <notebook path>::NAME"),
    _argument("-r", "--rounds", type=int, help="timed rounds (default: as many as fit max-time)"),
    _argument("-n", "--iterations", type=int, help="runs per round (default: calibrated)"),
    _argument("-w", "--warmup", type=int, help="untimed runs before measuring (default 1)"),
    _argument("--max-time", type=float, help="seconds of timed rounds (default 0.5)"),
    _argument(
        "-t",
        "--tolerance",
        nargs="+",
        action="extend",
        metavar="METRIC=TOL",
        help="per-metric tolerance: 0.1 (10%%), 10%%, abs:0.005 "
        "(default: pytest's pareto_tolerance ini value, else 5%%)",
    ),
    _argument(
        "-m",
        "--metrics",
        nargs="+",
        action="extend",
        metavar="METRIC",
        help="the metrics that gate (and the probes to run), e.g. wall_time accuracy",
    ),
    _argument("--quality", help="name of the cell's last value (default: accuracy)"),
    _argument(
        "--better",
        choices=["higher", "lower"],
        help="which way the last value improves (default: as stored, else higher)",
    ),
    _argument("-q", "--quiet", action="store_true", help="show no result card"),
    _argument("-o", "--output", action="store_true", help="return the ParetoResult"),
)
"""``%%pareto`` and ``%pareto``."""

baseline_arguments = _with_arguments(
    _argument("action", choices=["accept"], help="accept: make the last run part of the frontier"),
    _argument("name", nargs="?", help="the cell's NAME (default: the last measured cell)"),
)
"""``%pareto_baseline``."""

history_arguments = _with_arguments(
    _argument("name", help="the cell's NAME"),
    _argument("-o", "--output", action="store_true", help="return the ParetoResult"),
)
"""``%pareto_history``."""


def usage_error(message: str) -> UsageError:
    return UsageError(f"{message}\n{USAGE}")


def parse(magic: _Magic, text: str) -> Any:
    """The arguments of ``magic`` (decorated with its ``*_arguments``) in ``text``."""
    try:
        return _parse_argstring(magic, text)
    except UsageError as exc:
        raise usage_error(str(exc)) from None
    except ValueError as exc:  # unbalanced quotes
        raise usage_error(f"cannot split the arguments ({exc})") from None


@dataclass(frozen=True)
class CellSpec:
    """What one ``%%pareto`` line asked for, validated."""

    name: str
    options: TestOptions
    quality: str
    quality_named: bool
    better: Direction | None
    quiet: bool
    output: bool

    @classmethod
    def from_args(cls, args: Any) -> CellSpec:
        if not _NAME.match(args.name):
            raise ConfigError(
                f"NAME {args.name!r} must start with a letter, digit or _ and contain only "
                "letters, digits and _ . - [ ]"
            )
        tolerance = {}
        for item in args.tolerance or ():
            metric, sep, spec = item.partition("=")
            if not sep or not metric:
                raise ConfigError(
                    f"--tolerance takes METRIC=TOL (e.g. wall_time=0.1), got {item!r}"
                )
            tolerance[metric] = spec
        metrics = [m for item in args.metrics or () for m in item.split(",") if m]
        kwargs: dict[str, Any] = {
            "tolerance": tolerance,
            "rounds": args.rounds,
            "iterations": args.iterations,
            "warmup": args.warmup,
            "max_time": args.max_time,
        }
        if args.metrics is not None:
            kwargs["metrics"] = metrics
        return cls(
            name=args.name,
            options=TestOptions.from_kwargs(kwargs),
            quality=args.quality or DEFAULT_QUALITY,
            quality_named=args.quality is not None,
            better=Direction.parse(args.better) if args.better is not None else None,
            quiet=args.quiet,
            output=args.output,
        )


@dataclass(frozen=True)
class CellRequest:
    """A ``%%pareto`` (or ``%pareto``) call: its options, untimed setup and measured code."""

    spec: CellSpec
    setup: str
    measured: str


def _split_code(line: str) -> tuple[str, str]:
    """Split a magic line at its first `` -- `` into options and code."""
    match = _CODE_SEPARATOR.search(line)
    if match is None:
        return line, ""
    return line[: match.start()], line[match.end() :]


def cell_request(magic: _Magic, line: str, cell: str | None) -> CellRequest:
    """The call of ``magic`` (``%%pareto`` with ``cell``, ``%pareto`` without), validated."""
    options_text, code = _split_code(line)
    args = parse(magic, options_text)
    if cell is None:
        if not code.strip():
            raise usage_error("%pareto needs a statement after --")
        setup, measured = "", code
    else:
        setup, measured = code, cell
        if not measured.strip():
            raise usage_error("%%pareto needs code in the cell to measure")
    try:
        spec = CellSpec.from_args(args)
    except ConfigError as exc:
        raise usage_error(str(exc)) from None
    return CellRequest(spec, setup, measured)
