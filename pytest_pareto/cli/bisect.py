"""``pytest-pareto bisect GOOD BAD TEST_ID``: the first commit at which a test is dominated."""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

from pytest_pareto.cli._bisect_search import Class, estimated_probes, first_bad
from pytest_pareto.cli._common import EXIT_OK, EXIT_REGRESSION, Command
from pytest_pareto.errors import ConfigError
from pytest_pareto.judging.sequential import DEFAULT_PROCESSES
from pytest_pareto.judging.verdict import Outcome, Verdict
from pytest_pareto.measuring.allocations import MEMORY_METRICS, AllocationSummary
from pytest_pareto.measuring.profiling import TIME_METRICS, ProfileSummary
from pytest_pareto.model.points import Point
from pytest_pareto.replication.git import Git
from pytest_pareto.replication.schedule import replica_environment
from pytest_pareto.replication.worktree import add_worktree
from pytest_pareto.reports.allocation_diff import ALLOCATION_DIFF_HEADERS, allocation_rows
from pytest_pareto.reports.profile_diff import (
    PROFILE_DIFF_HEADERS,
    SHOWN_IN_MESSAGE,
    profile_changes,
)
from pytest_pareto.reports.run_report import load_report
from pytest_pareto.reports.words import format_change, render_table

__all__ = ["COMMAND"]

_GIT = Git(timeout_s=300, not_installed="pytest-pareto bisect needs git, which is not installed")
_PROCESSES_OPTION = "--pareto-processes"
_NOT_DOMINATED = (Outcome.PASS, Outcome.IMPROVED, Outcome.TRADE_OFF)
_REPLICATED = re.compile(r"replicated \d+ tests? in (\d+) replica process")
"""The line of a probe's pytest run that says how many replica processes it started."""


@dataclass(frozen=True)
class Probe:
    """One measured commit: its verdict against GOOD and how bisect counted it."""

    commit: str
    subject: str
    verdict: str
    counted: Class
    note: str = ""
    metrics: frozenset[str] = frozenset()
    """The metrics the test measured there."""


@dataclass
class Bisection:
    """The fixed inputs of one bisection and the probes measured so far."""

    top: Path
    cwd: Path
    good: str
    test_id: str
    pytest_args: list[str]
    processes: int
    probes: dict[str, Probe] = field(default_factory=dict)
    replica_processes: int = 0
    """Replica processes the probes' runs started so far, both sides."""

    def progress(self, line: str) -> None:
        print(f"bisect: {line}", file=sys.stderr, flush=True)


def _git(top: Path, *args: str) -> str:
    done = _GIT.text(top, *args)
    if done.returncode != 0:
        raise ConfigError(f"git {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout.strip()


def _commit(top: Path, ref: str, role: str) -> str:
    done = _GIT.text(top, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    if done.returncode != 0:
        raise ConfigError(f"{role} {ref}: not a commit in {top}")
    return done.stdout.strip()


def _commits_between(top: Path, good: str, bad: str) -> list[str]:
    """The commits after GOOD up to BAD, oldest first (BAD last); usage errors otherwise."""
    if good == bad:
        raise ConfigError("GOOD and BAD are the same commit: nothing to search")
    if _GIT.text(top, "merge-base", "--is-ancestor", good, bad).returncode != 0:
        raise ConfigError(f"GOOD {good[:10]} is not an ancestor of BAD {bad[:10]}")
    listed = _git(top, "rev-list", "--reverse", "--ancestry-path", f"{good}..{bad}")
    return listed.split()


def _base_processes(pytest_args: list[str]) -> int:
    """The replica processes per side a probe runs with: the pytest arguments' setting,
    else ``PYTEST_PARETO_PROCESSES``, else the default."""
    value: str | None = os.environ.get("PYTEST_PARETO_PROCESSES")
    for i, arg in enumerate(pytest_args):
        if arg == _PROCESSES_OPTION and i + 1 < len(pytest_args):
            value = pytest_args[i + 1]
        elif arg.startswith(_PROCESSES_OPTION + "="):
            value = arg.partition("=")[2]
    try:
        return max(1, int(value)) if value else DEFAULT_PROCESSES
    except ValueError:
        raise ConfigError(f"{_PROCESSES_OPTION} {value}: not a whole number") from None


def _find_verdict(verdicts: tuple[Verdict, ...], test_id: str) -> Verdict | None:
    for verdict in verdicts:
        if verdict.test_id == test_id:
            return verdict
    ending = [v for v in verdicts if v.test_id.endswith(test_id) or test_id.endswith(v.test_id)]
    return ending[0] if len(ending) == 1 else None


def _last_line(output: str) -> str:
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    return lines[-1] if lines else "no output"


def _pytest_at(run: Bisection, commit: str, args: list[str]) -> tuple[Verdict | None, str]:
    """Run ``pytest TEST_ID ARGS`` at ``commit`` in a temporary worktree: the test's
    verdict, or why there is none."""
    worktree = add_worktree(run.top, commit)
    try:
        with tempfile.TemporaryDirectory(prefix="pareto-bisect-") as folder:
            report = Path(folder) / "report.json"
            argv = [sys.executable, "-m", "pytest", run.test_id, "--pareto-report", str(report)]
            argv += [*run.pytest_args, *args]  # ours last: they win over the user's
            cwd = worktree.map(run.cwd)
            # The probed tree's code, not an installed copy of the project.
            env = replica_environment(
                os.environ, python_path=[worktree.path, worktree.path / "src"]
            )
            done = subprocess.run(
                argv,
                cwd=cwd if cwd.is_dir() else worktree.path,
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            run.replica_processes += sum(map(int, _REPLICATED.findall(done.stdout)))
            if not report.exists():
                return None, f"no report (pytest exit {done.returncode}: {_last_line(done.stdout)})"
            verdict = _find_verdict(load_report(report).verdicts, run.test_id)
            if verdict is None:
                return None, f"the test did not run (pytest exit {done.returncode})"
            return verdict, ""
    finally:
        worktree.remove()


def _measure(run: Bisection, commit: str, processes: int) -> tuple[Verdict | None, str]:
    """The verdict of the test at ``commit`` against GOOD, measured in the same run."""
    args = ["--pareto-against", run.good, _PROCESSES_OPTION, str(processes)]
    return _pytest_at(run, commit, args)


def _changes(verdict: Verdict) -> str:
    if verdict.decisive is None:
        return verdict.reason
    return ", ".join(
        f"{c.metric.name} {format_change(c.change)}" for c in verdict.decisive.comparisons
    )


def _probe(run: Bisection, commit: str, subject: str) -> Probe:
    """Measure ``commit``; an inconclusive verdict is measured again with twice the
    processes, and counts as not dominated when it stays inconclusive."""
    verdict, why = _measure(run, commit, run.processes)
    notes = []
    if verdict is not None and verdict.outcome is Outcome.INCONCLUSIVE:
        more = run.processes * 2
        run.progress(
            f"{commit[:10]} inconclusive with {run.processes} processes per side; "
            f"measuring again with {more}"
        )
        notes.append(f"inconclusive with {run.processes} processes, measured again with {more}")
        verdict, why = _measure(run, commit, more)
    if verdict is None:
        return Probe(commit, subject, "error", Class.SKIP, f"skipped: {why}")
    notes.append(_changes(verdict))
    if verdict.outcome is Outcome.DOMINATED:
        counted = Class.BAD
    elif verdict.outcome in _NOT_DOMINATED:
        counted = Class.GOOD
    elif verdict.outcome is Outcome.INCONCLUSIVE:
        counted = Class.GOOD
        notes.append("still inconclusive: counted as not dominated")
    else:  # new or not compared: nothing at GOOD to judge against
        counted = Class.SKIP
        notes.append("skipped: not compared with GOOD")
    note = "; ".join(n for n in notes if n)
    metrics = verdict.candidate.metric_names
    return Probe(commit, subject, verdict.outcome.value, counted, note, metrics)


def _probe_logged(run: Bisection, commit: str, number: int, of: int) -> Class:
    subject = _git(run.top, "log", "-1", "--format=%s", commit)
    run.progress(f"probe {number} of ~{of}: {commit[:10]} {subject}")
    probe = _probe(run, commit, subject)
    run.probes[commit] = probe
    note = f": {probe.note}" if probe.note else ""
    run.progress(f"  {probe.verdict} (counted {probe.counted.value}){note}")
    run.progress(f"  {run.replica_processes} replica processes so far")
    return probe.counted


def _recorded(run: Bisection, commit: str, store: Path) -> Point | None:
    """The test's point at ``commit``, recorded (``--pareto-update``, which profiles and
    traces it once more) into a temporary store."""
    verdict, _ = _pytest_at(run, commit, ["--pareto-update", "--pareto-store", str(store)])
    return verdict.candidate if verdict is not None else None


def _where_it_went(run: Bisection, first: str) -> list[str]:
    """Where the time and memory went between the first dominated commit and its parent."""
    parent = _GIT.text(run.top, "rev-parse", "--verify", "--quiet", f"{first}^")
    if parent.returncode != 0:
        return []
    before_commit = parent.stdout.strip()
    run.progress(f"profiling {before_commit[:10]} and {first[:10]}: where it went")
    with tempfile.TemporaryDirectory(prefix="pareto-bisect-store-") as folder:
        before = _recorded(run, before_commit, Path(folder) / "parent")
        after = _recorded(run, first, Path(folder) / "first")
    between = f"between {before_commit[:10]} and {first[:10]}"
    if before is None or after is None:
        return [f"where it went {between}: the test could not be recorded at both"]
    lines = []
    old, new = (ProfileSummary.of_point_info(p.extra_info) for p in (before, after))
    if old is not None and new is not None:
        rows = [c.row() for c in profile_changes(old, new)[:SHOWN_IN_MESSAGE]]
        lines += [f"where the time went {between} (one profiled pass each):"]
        lines += render_table(PROFILE_DIFF_HEADERS, rows, indent="  ")
    held, holds = (AllocationSummary.of_point_info(p.extra_info) for p in (before, after))
    if held is not None and holds is not None:
        rows = list(allocation_rows(held, holds, SHOWN_IN_MESSAGE))
        lines += [f"where the memory went {between} (allocations near the peak):"]
        lines += render_table(ALLOCATION_DIFF_HEADERS, rows, indent="  ")
    return lines


def _table(run: Bisection, commits: list[str]) -> list[str]:
    rows = [
        [c[:10], p.subject[:50], p.verdict, p.counted.value, p.note]
        for c in commits
        if (p := run.probes.get(c)) is not None
    ]
    return render_table(("commit", "subject", "verdict", "counted", "note"), rows)


def _search(run: Bisection, commits: list[str]) -> int:
    """Probe BAD, then search the commits before it; print the finding and the table."""
    total = 1 + estimated_probes(len(commits) - 1)
    if _probe_logged(run, commits[-1], 1, total) is not Class.BAD:
        probe = run.probes[commits[-1]]
        if probe.counted is Class.SKIP:
            raise ConfigError(f"the test cannot be judged at BAD {commits[-1][:10]}: {probe.note}")
        print(f"BAD {commits[-1][:10]} is not dominated by GOOD {run.good[:10]}: {probe.verdict}")
        print("\n".join(_table(run, commits)))
        return EXIT_REGRESSION

    def classify(index: int) -> Class:
        number = len(run.probes) + 1
        return _probe_logged(run, commits[index], number, max(total, number))

    found = first_bad(len(commits), classify)
    first = run.probes[commits[found.first_bad]]
    print(f"first dominated commit: {first.commit} {first.subject}")
    print(f"  against GOOD {run.good[:10]}: {first.note}")
    if found.could_also_be:
        skipped = ", ".join(commits[i][:10] for i in found.could_also_be)
        print(f"  or an earlier one that could not be measured (skipped): {skipped}")
    print(f"\nprobed {len(run.probes)} of {len(commits)} commits:")
    print("\n".join(_table(run, commits)))
    if first.metrics & (TIME_METRICS | MEMORY_METRICS):
        print("\n" + "\n".join(_where_it_went(run, first.commit)))
    return EXIT_OK


def _run(args: argparse.Namespace) -> int:
    cwd = Path.cwd()
    done = _GIT.text(cwd, "rev-parse", "--show-toplevel")
    if done.returncode != 0:
        raise ConfigError(f"bisect needs a git repository, and {cwd} is not in one")
    top = Path(done.stdout.strip()).resolve()
    good, bad = _commit(top, args.good, "GOOD"), _commit(top, args.bad, "BAD")
    commits = _commits_between(top, good, bad)
    pytest_args = [a for a in args.pytest_args if a != "--"]
    run = Bisection(top, cwd, good, args.test_id, pytest_args, _base_processes(pytest_args))
    print(
        f"bisect: {len(commits)} commits after GOOD {good[:10]} up to BAD {bad[:10]}; "
        f"about {1 + estimated_probes(len(commits) - 1)} probes of {args.test_id}, "
        f"up to {run.processes} processes per side each",
        file=sys.stderr,
        flush=True,
    )
    return _search(run, commits)


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("good", metavar="GOOD", help="a commit where the test is fine")
    parser.add_argument("bad", metavar="BAD", help="a later commit where it is dominated")
    parser.add_argument("test_id", metavar="TEST_ID", help="the pytest node id of the test")
    parser.add_argument(
        "pytest_args",
        metavar="PYTEST_ARGS",
        nargs=argparse.REMAINDER,
        help="passed on to each probe's pytest run (e.g. --pareto-processes 10)",
    )


COMMAND = Command(
    name="bisect",
    help="find the first commit at which a test is dominated",
    description=textwrap.dedent(
        """\
        Find the first commit between GOOD and BAD at which TEST_ID becomes dominated
        relative to GOOD. Each probe checks a commit out in a temporary git worktree and
        runs there: pytest TEST_ID --pareto-against GOOD, so the commit and GOOD are
        measured interleaved in the same run. A dominated probe counts as bad; pass,
        improved and trade-off count as good; an inconclusive probe is measured again with
        twice the processes and counts as good if it stays inconclusive; a commit where the
        test errors or does not exist is skipped, as `git bisect skip` would. For a test
        with a time or memory metric, it ends with where the time or memory went between the
        first dominated commit and its parent.

        exit status: 0 found, 1 BAD is not dominated by GOOD, 2 usage error.

        examples:
          pytest-pareto bisect v1.2 HEAD tests/test_model.py::test_fit
          pytest-pareto bisect HEAD~20 HEAD tests/test_io.py::test_read --pareto-processes 10
        """
    ),
    add_arguments=_add_arguments,
    run=_run,
)
