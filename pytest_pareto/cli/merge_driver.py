"""``pytest-pareto merge-driver``: git's merge driver for baseline files, and its setup."""

from __future__ import annotations

import argparse
import subprocess
import sys
import textwrap
from pathlib import Path

from pytest_pareto.cli._baseline_merge import merge_files, merge_policy
from pytest_pareto.cli._common import DEFAULT_STORE, EXIT_OK, EXIT_USAGE, Command
from pytest_pareto.errors import BaselineFileError, ConfigError
from pytest_pareto.model.metrics import Tolerance
from pytest_pareto.model.points import utc_now
from pytest_pareto.store.baseline_files import BaselineFile, write_atomically

__all__ = ["ATTRIBUTE", "COMMAND", "DRIVER", "install"]

DRIVER = "merge-driver %O %A %B %P"
"""The driver's arguments in git's notation: ancestor, ours (rewritten), theirs, path."""
ATTRIBUTE = "merge=pareto"


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    for name, what in (
        ("ancestor", "the common ancestor's version (git's %%O)"),
        ("ours", "our version, rewritten with the merge (git's %%A)"),
        ("theirs", "their version (git's %%B)"),
        ("path", "the file's path in the repository (git's %%P)"),
    ):
        parser.add_argument(name, nargs="?", help=what)
    parser.add_argument(
        "--install",
        action="store_true",
        help="set the driver up in this repository: a .gitattributes line and git config",
    )
    parser.add_argument(
        "--store",
        metavar="DIR",
        default=DEFAULT_STORE,
        help=f"with --install: the baseline folder (default: {DEFAULT_STORE})",
    )
    parser.add_argument(
        "--command",
        default="pytest-pareto",
        help="with --install: how git runs pytest-pareto (default: pytest-pareto; e.g. "
        "'python -m pytest_pareto.cli' when the script is not on git's PATH)",
    )
    parser.add_argument(
        "--tolerance",
        default="5%",
        help="tolerance of the merge's comparisons (default: 5%%, pytest's pareto_tolerance)",
    )
    parser.add_argument(
        "--metric-tolerance",
        action="append",
        default=[],
        metavar="METRIC=TOL",
        help="a metric's own tolerance (repeatable)",
    )


def _git(*args: str, cwd: Path) -> str:
    try:
        result = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, check=False, timeout=60
        )
    except OSError as exc:
        raise ConfigError(f"cannot run git ({exc})") from None
    if result.returncode != 0:
        raise ConfigError(f"git {' '.join(args)} failed: {result.stderr.strip()}")
    return result.stdout.strip()


def install(cwd: Path, store: str = DEFAULT_STORE, command: str = "pytest-pareto") -> list[str]:
    """Set the driver up in the repository at ``cwd``; returns what was done, in words."""
    top = Path(_git("rev-parse", "--show-toplevel", cwd=cwd))
    folder = (cwd / store).resolve()
    try:
        pattern = folder.relative_to(top.resolve()).as_posix() + "/**"
    except ValueError:
        raise ConfigError(f"--store {store} is outside the repository at {top}") from None
    line = f"{pattern} {ATTRIBUTE}"
    attributes = top / ".gitattributes"
    text = attributes.read_text(encoding="utf-8") if attributes.exists() else ""
    done = []
    if line not in text.splitlines():
        sep = "" if not text or text.endswith("\n") else "\n"
        attributes.write_text(f"{text}{sep}{line}\n", encoding="utf-8")
        done.append(f"added to {attributes}: {line}")
    driver = f"{command} {DRIVER}"
    _git("config", "merge.pareto.name", "pytest-pareto baseline files", cwd=top)
    _git("config", "merge.pareto.driver", driver, cwd=top)
    done.append(f'git config merge.pareto.driver "{driver}"')
    return done


def _read(path: str, side: str, module: str, *, empty_ok: bool = False) -> BaselineFile:
    file = Path(path)
    try:
        text = file.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise BaselineFileError(file, f"({side}) cannot be read ({exc})") from None
    if empty_ok and not text.strip():
        return BaselineFile(file)  # the file did not exist in the ancestor
    try:
        return BaselineFile.parse(file, text, module)
    except BaselineFileError as exc:
        raise BaselineFileError(file, f"({side}) {exc.problem}", exc.fix) from None


def _tolerances(specs: list[str]) -> dict[str, Tolerance]:
    tolerances = {}
    for spec in specs:
        name, sep, value = spec.partition("=")
        if not sep or not name:
            raise ConfigError(f"--metric-tolerance {spec!r}: write METRIC=TOL, e.g. loss=2%")
        tolerances[name] = Tolerance.parse(value, metric=name)
    return tolerances


def _merge(args: argparse.Namespace) -> int:
    module = (args.path or args.ours).removesuffix(".json")
    policy = merge_policy(Tolerance.parse(args.tolerance), _tolerances(args.metric_tolerance))
    try:
        base = _read(args.ancestor, "ancestor", module, empty_ok=True)
        ours = _read(args.ours, "ours", module)
        theirs = _read(args.theirs, "theirs", module)
    except BaselineFileError as exc:
        print(f"pytest-pareto merge-driver: {args.path}: not merged: {exc}", file=sys.stderr)
        return EXIT_USAGE
    merged, notes = merge_files(base, ours, theirs, policy, utc_now())
    write_atomically(Path(args.ours), merged.fitted_text())
    changes = [note.describe() for note in notes if note.describe()]
    count = len(merged.tests)
    print(
        f"pytest-pareto merge-driver: {args.path}: merged {count} test{'s' if count != 1 else ''}"
        + "".join(f"\n  {change}" for change in changes),
        file=sys.stderr,
    )
    return EXIT_OK


def _run(args: argparse.Namespace) -> int:
    if args.install:
        for line in install(Path.cwd(), args.store, args.command):
            print(line)
        return EXIT_OK
    if args.ancestor is None or args.ours is None or args.theirs is None:
        raise ConfigError("give the ancestor, ours and theirs (git's %O %A %B), or --install")
    return _merge(args)


COMMAND = Command(
    name="merge-driver",
    help="merge concurrent updates of a baseline file (a git merge driver)",
    description=textwrap.dedent(
        """\
        A git merge driver for baseline files: a three-way merge of frontiers. Points added on
        either side are kept; a point of the common ancestor that either side removed (pruned,
        retired) stays removed; the points the two sides added are compared with each other
        (the plugin's rank test, --tolerance) and a dominated one is pruned; histories are
        merged by time and bounded. Writes the result over OURS and exits 0; exits 2, and git
        marks a conflict, only when a version is not a valid baseline file.

        setup (once per clone; --install does both):
          echo 'baselines/** merge=pareto' >> .gitattributes
          git config merge.pareto.driver "pytest-pareto merge-driver %O %A %B %P"

        examples:
          pytest-pareto merge-driver --install
          pytest-pareto merge-driver --install --command "python -m pytest_pareto.cli"

        exit status: 0 merged or installed, 2 a version is not a valid baseline file
        """
    ),
    add_arguments=_add_arguments,
    run=_run,
)
