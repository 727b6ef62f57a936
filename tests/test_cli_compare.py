"""``pytest-pareto compare A B`` over stores, JSON reports and git refs: exit 1 when B is
dominated, 0 otherwise, 2 on usage or file errors."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from cli_support import MACHINE_B, measured_module, point, put, run_cli

from pytest_pareto.store.baseline_files import Store


def _statuses(out: str) -> dict[str, tuple[str, str]]:
    """test id -> (status, better side) from the text table."""
    found = {}
    for line in out.splitlines():
        parts = line.split()
        if parts and "::" in parts[0]:
            found[parts[0]] = (parts[3], parts[4])
    return found


@pytest.fixture
def sides(tmp_path: Path) -> tuple[Path, Path]:
    a, b = Store(tmp_path / "a"), Store(tmp_path / "b")
    base = {"latency": 0.010, "accuracy": 0.90}
    put(a, "t.py::test_same", [point(base)])
    put(b, "t.py::test_same", [point({"latency": 0.0102, "accuracy": 0.90})])  # within 5%
    put(a, "t.py::test_worse", [point(base)])
    put(b, "t.py::test_worse", [point({"latency": 0.015, "accuracy": 0.90})])
    put(a, "t.py::test_better", [point(base)])
    put(b, "t.py::test_better", [point({"latency": 0.010, "accuracy": 0.95})])
    put(a, "t.py::test_trade", [point(base)])
    put(b, "t.py::test_trade", [point({"latency": 0.005, "accuracy": 0.80})])
    put(a, "t.py::test_gone", [point(base)])
    put(b, "t.py::test_added", [point(base)])
    return a.root, b.root


def test_compare_stores_per_test_and_fails_when_b_is_dominated(
    sides: tuple[Path, Path], tmp_path: Path
) -> None:
    a, b = sides
    result = run_cli("compare", a, b, cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert _statuses(result.stdout) == {
        "t.py::test_added": ("new", "only"),
        "t.py::test_better": ("improved", "B"),
        "t.py::test_gone": ("removed", "only"),
        "t.py::test_same": ("pass", "equal"),
        "t.py::test_trade": ("trade-off", "neither"),
        "t.py::test_worse": ("dominated", "A"),
    }
    assert "latency +50.0% worse" in result.stdout
    assert "B is dominated in 1 test(s): t.py::test_worse" in result.stdout


def test_compare_passes_when_nothing_in_b_is_dominated(
    sides: tuple[Path, Path], tmp_path: Path
) -> None:
    a, b = sides
    same = run_cli("compare", a, a, cwd=tmp_path)
    assert same.returncode == 0
    assert {s for s, _ in _statuses(same.stdout).values()} == {"pass"}
    assert "B is dominated in no test" in same.stdout
    # B -> A: the worse test is now improved, the better one dominated
    reverse = run_cli("compare", b, a, "--prefix", "t.py::test_worse", cwd=tmp_path)
    assert reverse.returncode == 0
    assert "improved" in reverse.stdout


def test_tolerances_and_strictness_are_options(sides: tuple[Path, Path], tmp_path: Path) -> None:
    a, b = sides
    loose = run_cli("compare", a, b, "--metric-tolerance", "latency=60%", cwd=tmp_path)
    assert _statuses(loose.stdout)["t.py::test_worse"] == ("pass", "equal")
    # the trade-off's 50% faster latency no longer counts: its lower accuracy dominates
    assert _statuses(loose.stdout)["t.py::test_trade"] == ("dominated", "A")
    assert loose.returncode == 1
    tight = run_cli(
        "compare", a, b, "--tolerance", "0", "--prefix", "t.py::test_same", cwd=tmp_path
    )
    assert tight.returncode == 1  # +2% latency now counts


def test_machine_matching(tmp_path: Path) -> None:
    a, b = Store(tmp_path / "a"), Store(tmp_path / "b")
    put(a, "t.py::test_x", [point({"latency": 0.010})])
    put(b, "t.py::test_x", [point({"latency": 0.020}, machine=MACHINE_B)])
    exact = run_cli("compare", a.root, b.root, cwd=tmp_path)
    assert exact.returncode == 0
    assert _statuses(exact.stdout)["t.py::test_x"] == ("skipped", "not")
    assert "no stored point was measured on a machine matching" in exact.stdout
    anything = run_cli("compare", a.root, b.root, "--machine", "any", cwd=tmp_path)
    assert anything.returncode == 1


def test_json_and_markdown_output(sides: tuple[Path, Path], tmp_path: Path) -> None:
    a, b = sides
    result = run_cli("compare", a, b, "--format", "json", cwd=tmp_path)
    assert result.returncode == 1
    data = json.loads(result.stdout)
    assert data["regression"] is True
    by_id = {t["test_id"]: t for t in data["tests"]}
    assert by_id["t.py::test_worse"]["status"] == "dominated"
    assert by_id["t.py::test_worse"]["verdicts"][0]["outcome"] == "dominated"
    assert by_id["t.py::test_better"]["better"] == "B"

    markdown = run_cli("compare", a, b, "--format", "markdown", cwd=tmp_path)
    assert markdown.returncode == 1
    assert "| `t.py::test_worse` | 1 | 1 | dominated | A | latency +50.0% worse |" in (
        markdown.stdout
    )


def test_compare_two_json_reports_of_pytest_runs(pytester: pytest.Pytester) -> None:
    def run(loss: float, accuracy: float, report: str) -> None:
        values = {"test_fit": {"loss": loss, "accuracy": accuracy}}
        pytester.makepyfile(test_fit=measured_module(values))
        pytester.runpytest("-p", "no:cacheprovider", "--pareto-update", "--pareto-report", report)

    run(0.30, 0.80, "base.json")
    run(0.40, 0.80, "slow.json")  # worse loss, same accuracy
    worse = run_cli("compare", "base.json", "slow.json", "-v", cwd=pytester.path)
    assert worse.returncode == 1, worse.stdout + worse.stderr
    assert "A: report" in worse.stdout
    assert "base.json" in worse.stdout
    assert "loss +33.3% worse" in worse.stdout
    assert "pareto: dominated" in worse.stdout  # -v explains
    better = run_cli("compare", "slow.json", "base.json", cwd=pytester.path)
    assert better.returncode == 0
    assert "improved" in better.stdout


def _git(cwd: Path, *args: str) -> None:
    env = dict(
        os.environ,
        GIT_AUTHOR_NAME="t",
        GIT_AUTHOR_EMAIL="t@example.com",
        GIT_COMMITTER_NAME="t",
        GIT_COMMITTER_EMAIL="t@example.com",
    )
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True)


def test_compare_git_refs_reads_committed_baselines(tmp_path: Path) -> None:
    store = Store(tmp_path / "baselines")
    put(store, "tests/test_m.py::test_x", [point({"latency": 0.010, "accuracy": 0.9})])
    _git(tmp_path, "init", "-q", "-b", "main")
    _git(tmp_path, "add", "baselines")
    _git(tmp_path, "commit", "-q", "-m", "baseline")
    _git(tmp_path, "tag", "v1")
    put(store, "tests/test_m.py::test_x", [point({"latency": 0.020, "accuracy": 0.9})])
    _git(tmp_path, "commit", "-q", "-am", "slower")

    regressed = run_cli("compare", "v1", "HEAD", cwd=tmp_path)
    assert regressed.returncode == 1, regressed.stdout + regressed.stderr
    assert "A: git v1:baselines/" in regressed.stdout
    assert "latency +100.0% worse" in regressed.stdout
    assert run_cli("compare", "HEAD", "git:v1", cwd=tmp_path).returncode == 0
    # a ref against the work tree's folder; a store elsewhere in the tree
    assert run_cli("compare", "v1", "baselines", cwd=tmp_path).returncode == 1
    sub = tmp_path / "sub"
    sub.mkdir()
    nested = run_cli("compare", "main~1", "main", "--store", "../baselines", cwd=sub)
    assert nested.returncode == 1, nested.stderr


def test_usage_and_file_errors_exit_2(sides: tuple[Path, Path], tmp_path: Path) -> None:
    a, _ = sides
    missing = run_cli("compare", a, "no-such-thing", cwd=tmp_path)
    assert missing.returncode == 2
    assert "'no-such-thing' is neither a baseline folder, a JSON report file nor a git ref" in (
        missing.stderr
    )
    (tmp_path / "bad.json").write_text('{"format": "something else"}')
    not_report = run_cli("compare", a, "bad.json", cwd=tmp_path)
    assert not_report.returncode == 2
    assert "not a pytest-pareto report" in not_report.stderr
    baseline_file = next(a.rglob("*.json"))
    not_a_report = run_cli("compare", a, baseline_file, cwd=tmp_path)
    assert not_a_report.returncode == 2
    assert "is a baseline file, not a report; compare its store folder" in not_a_report.stderr
    (tmp_path / "broken.json").write_text("{")
    assert run_cli("compare", a, "broken.json", cwd=tmp_path).returncode == 2
    bad_tolerance = run_cli("compare", a, a, "--metric-tolerance", "latency", cwd=tmp_path)
    assert bad_tolerance.returncode == 2
    assert "METRIC=TOL" in bad_tolerance.stderr
    assert run_cli("compare", a, cwd=tmp_path).returncode == 2
    assert run_cli("compare", a, a, "--machine", "nope", cwd=tmp_path).returncode == 2
    not_git = run_cli("compare", "git:main", a, cwd=tmp_path)
    assert not_git.returncode == 2
    assert "is not a commit" in not_git.stderr
