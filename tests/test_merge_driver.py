"""The git merge driver for baseline files: real ``git merge`` of real branches, each of which
accepted results as ``pytest --pareto-update`` does, in repositories set up with
``pytest-pareto merge-driver --install`` as the docs say."""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from cli_support import METRICS, accept_run, point, run_cli

from pytest_pareto.cli._baseline_merge import merge_policy, merge_test
from pytest_pareto.model.metrics import BUILTIN_METRICS, Tolerance
from pytest_pareto.model.points import Observation, Point, Sample, TestBaseline
from pytest_pareto.store.baseline_files import Store

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")

MODULE = "tests/test_m.py"
FILE = f"baselines/{MODULE}.json"
A, B = f"{MODULE}::test_a", f"{MODULE}::test_b"
DRIVER = f"{shlex.quote(sys.executable)} -m pytest_pareto.cli"


def git(repo: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        ["git", *args], cwd=repo, capture_output=True, text=True, check=False, timeout=120
    )
    if check and result.returncode != 0:
        raise AssertionError(f"git {' '.join(args)}: {result.stdout}{result.stderr}")
    return result


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository with the driver installed as documented, and a first commit."""
    path = tmp_path / "repo"
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    git(path, "config", "user.email", "dev@example.com")
    git(path, "config", "user.name", "Dev")
    (path / "baselines").mkdir()
    installed = run_cli("merge-driver", "--install", "--command", DRIVER, cwd=path)
    assert installed.returncode == 0, installed.stderr
    git(path, "add", ".gitattributes")
    git(path, "commit", "-q", "-m", "set up the merge driver")
    return path


def commit_update(repo: Path, message: str, *runs: tuple[str, Point]) -> None:
    store = Store(repo / "baselines")
    for test_id, candidate in runs:
        accept_run(store, test_id, candidate, candidate.recorded_at)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


def branches(repo: Path, ours: Callable[[], None], theirs: Callable[[], None]) -> str:
    """Make the two branches' commits, merge theirs into ours; the merge's output."""
    git(repo, "checkout", "-q", "-b", "theirs")
    theirs()
    git(repo, "checkout", "-q", "main")
    ours()
    merged = git(repo, "merge", "--no-edit", "theirs", check=False)
    assert merged.returncode == 0, merged.stdout + merged.stderr
    assert "CONFLICT" not in merged.stdout
    return merged.stdout + merged.stderr


def frontier(repo: Path, test_id: str) -> list[dict[str, float]]:
    """The values of the stored frontier points, in a fixed order."""
    baseline = Store(repo / "baselines").load(test_id)
    assert baseline is not None
    return in_order(*(p.values() for p in baseline.points))


def in_order(*values: dict[str, float]) -> list[dict[str, float]]:
    return sorted(values, key=lambda v: sorted(v.items()))


def stored(repo: Path, test_id: str) -> TestBaseline:
    baseline = Store(repo / "baselines").load(test_id)
    assert baseline is not None
    return baseline


def test_install_writes_the_two_documented_lines(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    first = run_cli("merge-driver", "--install", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert (tmp_path / ".gitattributes").read_text() == "baselines/** merge=pareto\n"
    driver = git(tmp_path, "config", "merge.pareto.driver").stdout.strip()
    assert driver == "pytest-pareto merge-driver %O %A %B %P"
    again = run_cli("merge-driver", "--install", cwd=tmp_path)  # idempotent
    assert again.returncode == 0
    assert (tmp_path / ".gitattributes").read_text() == "baselines/** merge=pareto\n"


def test_different_tests_of_one_module(repo: Path) -> None:
    commit_update(repo, "base", (A, point({"latency": 10.0}, at="2026-01-01T00:00:00Z")))
    output = branches(
        repo,
        lambda: commit_update(
            repo, "ours: a faster", (A, point({"latency": 8.0}, at="2026-01-02T00:00:00Z"))
        ),
        lambda: commit_update(
            repo, "theirs: b is new", (B, point({"latency": 3.0}, at="2026-01-03T00:00:00Z"))
        ),
    )
    assert "pytest-pareto merge-driver" in output
    assert frontier(repo, A) == [{"latency": 8.0}]
    assert frontier(repo, B) == [{"latency": 3.0}]
    assert [(h.event, h.point.value("latency")) for h in stored(repo, A).history] == [
        ("pruned", 10.0)
    ]


def test_the_same_test_improved_on_both_sides(repo: Path) -> None:
    commit_update(repo, "base", (A, point({"latency": 10.0}, at="2026-01-01T00:00:00Z")))
    branches(
        repo,
        lambda: commit_update(
            repo, "ours", (A, point({"latency": 8.0}, at="2026-01-02T00:00:00Z"))
        ),
        lambda: commit_update(
            repo, "theirs", (A, point({"latency": 6.0}, at="2026-01-03T00:00:00Z"))
        ),
    )
    assert frontier(repo, A) == [{"latency": 6.0}]  # theirs dominates ours: ours is pruned
    history = stored(repo, A).history
    assert [h.at for h in history] == sorted(h.at for h in history)  # merged by time
    assert {(h.event, h.point.value("latency")) for h in history} == {
        ("pruned", 10.0),  # pruned on both sides
        ("pruned", 8.0),  # pruned by the merge
    }
    (merged,) = [h for h in history if h.point.value("latency") == 8.0]
    assert merged.verdict is not None
    assert merged.verdict.startswith("merge: dominated by ")


def test_trade_offs_on_both_sides(repo: Path) -> None:
    commit_update(
        repo, "base", (A, point({"latency": 10.0, "memory": 10.0}, at="2026-01-01T00:00:00Z"))
    )
    branches(
        repo,
        lambda: commit_update(
            repo, "ours", (A, point({"latency": 5.0, "memory": 15.0}, at="2026-01-02T00:00:00Z"))
        ),
        lambda: commit_update(
            repo, "theirs", (A, point({"latency": 15.0, "memory": 5.0}, at="2026-01-03T00:00:00Z"))
        ),
    )
    assert frontier(repo, A) == in_order(
        {"latency": 10.0, "memory": 10.0},
        {"latency": 5.0, "memory": 15.0},
        {"latency": 15.0, "memory": 5.0},
    )
    assert stored(repo, A).history == ()


def test_one_side_prunes_what_the_other_kept(repo: Path) -> None:
    commit_update(
        repo, "base", (A, point({"latency": 10.0, "memory": 10.0}, at="2026-01-01T00:00:00Z"))
    )
    branches(
        repo,
        # ours dominates the base point: it is pruned here
        lambda: commit_update(
            repo, "ours", (A, point({"latency": 8.0, "memory": 8.0}, at="2026-01-02T00:00:00Z"))
        ),
        # theirs is a trade-off with the base point: it stays there
        lambda: commit_update(
            repo, "theirs", (A, point({"latency": 5.0, "memory": 15.0}, at="2026-01-03T00:00:00Z"))
        ),
    )
    assert frontier(repo, A) == in_order(
        {"latency": 8.0, "memory": 8.0},
        {"latency": 5.0, "memory": 15.0},
    )
    assert [(h.event, h.point.values()) for h in stored(repo, A).history] == [
        ("pruned", {"latency": 10.0, "memory": 10.0})
    ]


def test_a_side_that_is_not_a_baseline_file_is_a_conflict(repo: Path) -> None:
    commit_update(repo, "base", (A, point({"latency": 10.0}, at="2026-01-01T00:00:00Z")))
    git(repo, "checkout", "-q", "-b", "theirs")
    path = repo / FILE
    text = path.read_text()
    path.write_text(text.replace('"tests": {', '"tests": [', 1))
    git(repo, "commit", "-q", "-am", "theirs: a broken file")
    git(repo, "checkout", "-q", "main")
    commit_update(repo, "ours", (A, point({"latency": 8.0}, at="2026-01-02T00:00:00Z")))
    ours = path.read_text()
    merged = git(repo, "merge", "--no-edit", "theirs", check=False)
    assert merged.returncode != 0
    assert "CONFLICT" in merged.stdout
    assert "(theirs) not valid JSON" in merged.stdout + merged.stderr
    assert path.read_text() == ours  # left as ours, marked conflicted


def test_files_of_the_older_schema_merge_and_are_written_in_the_current_one(
    repo: Path, tmp_path: Path
) -> None:
    old = json.loads(
        (Path(__file__).parent / "data/baselines-v1/tests/test_model.py.json").read_text()
    )
    path = repo / "baselines" / "tests" / "test_model.py.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(old, indent=2))
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "schema 1")
    test_id = "tests/test_model.py::test_new"
    other = "tests/test_model.py::test_other"
    branches(
        repo,
        lambda: commit_update(repo, "ours", (test_id, point({"latency": 1.0}))),
        lambda: commit_update(repo, "theirs", (other, point({"latency": 2.0}))),
    )
    data = json.loads(path.read_text())
    assert data["schema_version"] == 2
    assert {"test_predict", "test_new", "test_other"} <= set(data["tests"])


# -- the merge of one test, in process -----------------------------------------------------


def _noisy(level: float, at: str) -> Point:
    """20 processes of wall time around ``level``, calibrated."""
    samples = tuple(
        Sample((level * (1 + i / 400), level * (1 + i / 390)), 1e-3 * (1 + i / 1000))
        for i in range(20)
    )
    return Point({"wall_time": Observation(samples)}, recorded_at=at)


def test_noisy_points_are_compared_with_the_rank_test() -> None:
    metrics = {"wall_time": BUILTIN_METRICS["wall_time"]}
    base = TestBaseline("m.py::t", metrics, (_noisy(1.0, "2026-01-01"),))
    ours = TestBaseline("m.py::t", metrics, (_noisy(0.5, "2026-01-02"),))
    theirs = TestBaseline("m.py::t", metrics, (_noisy(0.7, "2026-01-03"),))
    equal = TestBaseline("m.py::t", metrics, (_noisy(0.505, "2026-01-04"),))
    policy = merge_policy(Tolerance(rel=0.05))

    merged, note = merge_test(base, ours, theirs, policy, "2026-02-01T00:00:00Z")
    assert [p.value("wall_time") for p in merged.points] == [ours.points[0].value("wall_time")]
    assert note.pruned == {theirs.points[0].id: ours.points[0].id}

    merged, note = merge_test(base, ours, equal, policy, "2026-02-01T00:00:00Z")
    assert merged.points == ours.points  # the earlier of two equal points stays
    assert note.equal == {equal.points[0].id: ours.points[0].id}
    assert [(h.event, h.verdict) for h in merged.history] == [
        ("run", f"equal to {ours.points[0].id}")
    ]


def test_a_test_removed_on_one_side_and_unchanged_on_the_other_stays_removed() -> None:
    metrics = dict(METRICS)
    kept = TestBaseline("m.py::t", metrics, (point({"latency": 1.0}),))
    from pytest_pareto.cli._baseline_merge import merge_files
    from pytest_pareto.store.baseline_files import BaselineFile

    base = BaselineFile(Path("m.py.json"), {"t": kept, "u": kept})
    ours = BaselineFile(Path("m.py.json"), {"u": kept})
    theirs = BaselineFile(Path("m.py.json"), {"t": kept, "u": kept})
    merged, _ = merge_files(base, ours, theirs, merge_policy(Tolerance(rel=0.05)), "now")
    assert set(merged.tests) == {"u"}
