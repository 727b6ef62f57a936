"""``pytest-pareto bisect``: the search alone, and on a real repository with real processes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pytest_pareto.cli._bisect_search import Class, estimated_probes, first_bad
from tests.conftest import inner_environment

HELPER = """\
FACTOR = {factor}


def work():
    {fault}ops = 0
    data = [0] * (100000 * FACTOR)
    for _ in data:
        ops += 1
    return ops
"""

MEASURED = """\
import pytest

import helper


@pytest.mark.pareto(metrics=["py_alloc_peak"])
def test_helper(pareto):
    pareto.record("ops", pareto(helper.work))
"""


TEST_ID = "test_helper.py::test_helper"


def git(folder: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@localhost", *args],
        cwd=folder,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def commit(folder: Path, message: str, factor: int, *, fault: bool = False) -> str:
    raises = "raise RuntimeError('broken on purpose')\n    " if fault else ""
    (folder / "helper.py").write_text(HELPER.format(factor=factor, fault=raises))
    (folder / "CHANGES").write_text(f"{message}\n")
    git(folder, "add", ".")
    git(folder, "commit", "-q", "-m", message)
    return git(folder, "rev-parse", "HEAD")


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``pytest-pareto ARGS``, with a temporary folder (so a measurement lock) of its own:
    other runs measuring on this host would make the probes wait for them."""
    private = cwd.parent / f"{cwd.name}-tmp"
    private.mkdir(exist_ok=True)
    return subprocess.run(
        [sys.executable, "-m", "pytest_pareto.cli", *args],
        cwd=cwd,
        env=inner_environment(TMPDIR=str(private), COLUMNS="200"),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def repository(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """Twelve commits: commit 7 doubles the helper's work (its operations and its list);
    at commit 9 the test errors."""
    folder = tmp_path_factory.mktemp("bisected")
    (folder / "pytest.ini").write_text("[pytest]\naddopts = -p no:cacheprovider\n")
    (folder / "test_helper.py").write_text(MEASURED)
    git(folder, "init", "-q")
    commits = []
    for number in range(1, 13):
        factor = 2 if number >= 7 else 1
        commits.append(commit(folder, f"change {number}", factor, fault=number == 9))
    return folder, commits


def test_the_search_finds_the_first_bad_commit_and_steps_around_skips() -> None:
    bad_from, probed = 6, []

    def classify(index: int) -> Class:
        probed.append(index)
        if index == 7:
            return Class.SKIP
        return Class.BAD if index >= bad_from else Class.GOOD

    found = first_bad(11, classify)
    assert found.first_bad == 6
    assert found.could_also_be == ()
    assert probed.count(7) <= 1
    assert len(probed) <= 5
    # Only skipped commits before the first bad one: it could be any of them.
    found = first_bad(4, lambda i: Class.SKIP)
    assert found.first_bad == 3
    assert found.could_also_be == (0, 1, 2)
    assert [estimated_probes(n) for n in (0, 1, 2, 3, 10)] == [0, 1, 2, 2, 4]


@pytest.mark.slow
def test_bisect_names_the_commit_that_doubled_the_work(
    repository: tuple[Path, list[str]],
) -> None:
    folder, commits = repository
    result = run_cli("bisect", commits[0], commits[-1], "test_helper.py::test_helper", cwd=folder)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"first dominated commit: {commits[6]} change 7" in result.stdout
    assert "py_alloc_peak +100.0%" in result.stdout
    assert "bisect: probe 1 of ~5:" in result.stderr
    assert "replica processes so far" in result.stderr
    table = result.stdout.split("commits:\n", 1)[1].split("\n\n", 1)[0]
    assert table.splitlines()[0].split() == ["commit", "subject", "verdict", "counted", "note"]
    rows = {line.split()[0]: line for line in table.splitlines()[1:]}
    assert "dominated" in rows[commits[6][:10]]
    assert "bad" in rows[commits[6][:10]]
    assert "good" in rows[commits[5][:10]]  # its parent is not dominated
    assert "skip" in rows[commits[8][:10]]  # the test errors there
    # Where the memory went between commit 7 and its parent: the helper's list doubled.
    where = result.stdout.split(f"where the memory went between {commits[5][:10]} and ", 1)[1]
    assert where.splitlines()[2].split()[:1] == ["helper.py:6"]
    assert git(folder, "worktree", "list").count("\n") == 0  # every probe's worktree is gone


@pytest.mark.slow
def test_bisect_exits_1_where_nothing_changed(repository: tuple[Path, list[str]]) -> None:
    folder, commits = repository
    result = run_cli(
        "bisect", commits[0], commits[5], TEST_ID, "--pareto-processes", "1", cwd=folder
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"BAD {commits[5][:10]} is not dominated by GOOD {commits[0][:10]}: pass" in (
        result.stdout
    )


def test_bisect_usage_errors(repository: tuple[Path, list[str]], tmp_path: Path) -> None:
    folder, commits = repository
    test_id = "test_helper.py::test_helper"
    backwards = run_cli("bisect", commits[-1], commits[0], test_id, cwd=folder)
    assert backwards.returncode == 2
    assert "is not an ancestor of BAD" in backwards.stderr
    unknown = run_cli("bisect", "no-such-ref", commits[-1], test_id, cwd=folder)
    assert unknown.returncode == 2
    assert "GOOD no-such-ref: not a commit" in unknown.stderr
    outside = run_cli("bisect", "HEAD~1", "HEAD", test_id, cwd=tmp_path)
    assert outside.returncode == 2
    assert "needs a git repository" in outside.stderr
