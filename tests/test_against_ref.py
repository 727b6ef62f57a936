"""``--pareto-against REF``: the baseline measured from a git ref in the same run."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.replica_project import MEASURED, WORK


def git(folder: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@localhost", *args],
        cwd=folder,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    """Run pytest in-process without the hypothesis plugin (see test_replicate.run)."""
    return pytester.runpytest("-p", "no:hypothesispytest", *args)


@pytest.fixture
def repository(pytester: pytest.Pytester) -> Path:
    """A real git repository: HEAD~1 does the work once, HEAD ten times."""
    pytester.makeini("[pytest]\naddopts = -p no:cacheprovider\n")
    pytester.makepyfile(work=WORK.format(factor=1.0), test_measured=MEASURED)
    git(pytester.path, "init", "-q")
    git(pytester.path, "add", ".")
    git(pytester.path, "commit", "-q", "-m", "baseline")
    pytester.makepyfile(work=WORK.format(factor=10.0))
    git(pytester.path, "commit", "-q", "-am", "ten times the work")
    return pytester.path


@pytest.mark.slow
def test_against_the_previous_commit_catches_a_slowdown(
    pytester: pytest.Pytester, repository: Path
) -> None:
    result = run(pytester, "--pareto-against", "HEAD~1", "--pareto-processes", "4")
    result.assert_outcomes(failed=1)
    base = git(repository, "rev-parse", "HEAD~1")[:10]
    result.stdout.fnmatch_lines(
        [
            "pareto: measuring 1 test in replica processes, baseline from HEAD~1",
            "*pareto: dominated*",
            f"*against point * (recorded *, commit {base}), measured from HEAD~1 in this run",
            "*wall_time*worse*ratio*95% CI*4 vs 4 processes*",
            "replicated 1 test in 8 replica processes (baseline from HEAD~1)*",
            "  test * replica processes * its own time",
            "  test_*::test_* 4 + 4 (reference) *s",
            "  starting the replica processes and collecting: *s",
        ]
    )
    assert git(repository, "worktree", "list").count("\n") == 1  # the temporary one is gone
    assert not (repository / "baselines").exists()  # nothing stored
    assert "--pareto-update" not in result.stdout.str()  # no stored baseline to replace

    # Identical code on both sides passes; a test that HEAD lacks is new.
    pytester.makepyfile(
        test_added="""
        def test_added(pareto):
            pareto(sum, range(1000))
        """
    )
    result = run(pytester, "--pareto-against", "HEAD", "--pareto-processes", "4", "-v")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        ["test_added.py::test_added * new *", "test_measured.py::test_work * pass *wall_time*"]
    )


def test_a_ref_that_names_no_commit_stops_the_run(
    pytester: pytest.Pytester, repository: Path
) -> None:
    result = run(pytester, "--pareto-against", "no-such-branch")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "--pareto-against no-such-branch: not a commit in" in result.stderr.str()


def test_against_needs_a_git_repository(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_measured=MEASURED, work=WORK.format(factor=1.0))
    result = run(pytester, "--pareto-against", "HEAD")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "--pareto-against needs a git repository" in result.stderr.str()
