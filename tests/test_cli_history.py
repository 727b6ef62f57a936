"""``pytest-pareto history``: every stored point of a test with its event and verdict."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_support import accept_run, measured_module, point, put, run_cli

from pytest_pareto.model.points import HistoryEntry
from pytest_pareto.store.baseline_files import Store

TEST = "tests/test_model.py::test_predict"


def _rows(out: str) -> list[list[str]]:
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().startswith("recorded"))
    return [line.split() for line in lines[start + 1 :] if line.startswith("  ")]


def test_history_lists_runs_oldest_first_with_events(tmp_path: Path) -> None:
    store = Store(tmp_path / "baselines")
    first = point({"latency": 0.010, "accuracy": 0.90}, at="2026-01-01T00:00:00Z")
    better = point({"latency": 0.008, "accuracy": 0.92}, at="2026-01-02T00:00:00Z")
    worse = point({"latency": 0.020, "accuracy": 0.92}, at="2026-01-03T00:00:00Z")
    trade = point({"latency": 0.005, "accuracy": 0.80}, at="2026-01-04T00:00:00Z")
    accept_run(store, TEST, first, at="2026-01-01T01:00:00Z")
    accept_run(store, TEST, better, at="2026-01-02T01:00:00Z")  # dominates first: pruned
    accept_run(store, TEST, worse, at="2026-01-03T01:00:00Z")  # accepted regression: retired
    accept_run(store, TEST, trade, at="2026-01-04T01:00:00Z")  # a trade-off: both stay

    result = run_cli("history", TEST, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"{TEST}: 2 on the frontier, 2 in history, oldest first" in result.stdout
    rows = _rows(result.stdout)
    assert [(r[0], r[1], r[3], r[4]) for r in rows] == [
        ("2026-01-01T00:00:00Z", "pruned", "2026-01-02T01:00:00Z", first.id),
        ("2026-01-02T00:00:00Z", "retired", "2026-01-03T01:00:00Z", better.id),
        ("2026-01-03T00:00:00Z", "frontier", "-", worse.id),
        ("2026-01-04T00:00:00Z", "frontier", "-", trade.id),
    ]
    assert rows[0][5:7] == ["0.9", "10"]
    assert rows[0][7] == "ms"


def test_history_shows_stored_verdicts(tmp_path: Path) -> None:
    store = Store(tmp_path / "baselines")
    kept = point({"latency": 0.010}, at="2026-01-01T00:00:00Z")
    run = point({"latency": 0.030}, at="2026-01-05T00:00:00Z")
    put(store, TEST, [kept], [HistoryEntry("run", "2026-01-05T00:00:01Z", run, "dominated")])
    result = run_cli("history", TEST, cwd=tmp_path)
    assert result.returncode == 0
    rows = _rows(result.stdout)
    assert rows[1][:5] == [
        "2026-01-05T00:00:00Z",
        "run",
        "dominated",
        "2026-01-05T00:00:01Z",
        run.id,
    ]


def test_history_finds_a_test_by_unique_prefix_and_suggests_names(tmp_path: Path) -> None:
    store = Store(tmp_path / "baselines")
    put(store, TEST, [point({"latency": 0.01})])
    put(store, "tests/test_model.py::test_train", [point({"latency": 0.02})])
    assert run_cli("history", "tests/test_model.py::test_pred", cwd=tmp_path).returncode == 0

    ambiguous = run_cli("history", "tests/test_model.py::test_", cwd=tmp_path)
    assert ambiguous.returncode == 2
    assert "matches 2 stored tests" in ambiguous.stderr

    typo = run_cli("history", "tests/test_model.py::test_predikt", cwd=tmp_path)
    assert typo.returncode == 2
    assert f"did you mean: {TEST}" in typo.stderr

    usage = run_cli("history", cwd=tmp_path)
    assert usage.returncode == 2
    assert "TEST-ID" in usage.stderr


def test_history_of_updates_made_by_pytest(pytester: pytest.Pytester) -> None:
    for loss in (0.5, 0.4):  # the second run dominates the first: it is pruned
        pytester.makepyfile(test_fit=measured_module({"test_fit": {"loss": loss}}))
        pytester.runpytest("--pareto-update", "-p", "no:cacheprovider").assert_outcomes(passed=1)
    result = run_cli("history", "test_fit.py::test_fit", cwd=pytester.path)
    assert result.returncode == 0, result.stderr
    events = [(row[1], row[-3]) for row in _rows(result.stdout)]
    assert events == [("pruned", "0.5"), ("frontier", "0.4")]
