"""``pytest-pareto show``: stored frontiers as tables, from a real store."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_support import MACHINE_A, MACHINE_B, measured_module, point, put, run_cli

from pytest_pareto.store.baseline_files import Store


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = Store(tmp_path / "baselines")
    put(
        store,
        "tests/test_model.py::test_predict",
        [
            point({"latency": 0.0123, "memory": 3 * 2**20, "accuracy": 0.91}),
            point(
                {"latency": [0.004, 0.0041, 0.0039], "memory": 5 * 2**20, "accuracy": 0.85},
                at="2026-02-03T04:05:06Z",
                commit="fedcba9876543210+dirty",
                machine=MACHINE_B,
            ),
        ],
    )
    put(store, "tests/test_other.py::test_loss", [point({"memory": 2048.0}, commit=None)])
    return store


def test_show_prints_every_frontier_with_units_dates_commits_and_machines(
    store: Store, tmp_path: Path
) -> None:
    result = run_cli("show", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "tests/test_model.py::test_predict  (2 points)" in out
    assert "tests/test_other.py::test_loss  (1 point)" in out
    header = next(line for line in out.splitlines() if "latency ↓" in line)
    for column in ("point", "accuracy ↑", "memory ↓", "recorded", "commit", "machine"):
        assert column in header
    rows = {line.split()[0]: line for line in out.splitlines() if line.startswith("  ")}
    stored = store.load("tests/test_model.py::test_predict")
    assert stored is not None
    first, second = stored.points
    assert "12.3 ms" in rows[first.id]
    assert "3 MiB" in rows[first.id]
    assert "0.91" in rows[first.id]
    assert "2026-01-01T00:00:00Z" in rows[first.id]
    assert "0123456789" in rows[first.id]
    assert MACHINE_A.hardware_class in rows[first.id]
    assert "4 ms (n=3)" in rows[second.id]  # the median of three processes
    assert "fedcba9876+dirty" in rows[second.id]
    assert MACHINE_B.hardware_class in rows[second.id]
    assert "2 KiB" in out
    assert f"{MACHINE_B.hardware_class}  Test CPU B x64, 256 GiB, Test GPU" in out
    assert "↓ lower is better, ↑ higher is better" in out


def test_show_filters_by_prefix(store: Store, tmp_path: Path) -> None:
    result = run_cli("show", "tests/test_other", cwd=tmp_path)
    assert result.returncode == 0
    assert "test_loss" in result.stdout
    assert "test_predict" not in result.stdout

    result = run_cli("show", "tests/test_nothing", cwd=tmp_path)
    assert result.returncode == 2
    assert "no stored test id starts with 'tests/test_nothing'" in result.stderr


def test_show_uses_the_store_option(store: Store, tmp_path: Path) -> None:
    elsewhere = tmp_path / "sub"
    elsewhere.mkdir()
    result = run_cli("show", "--store", store.root, cwd=elsewhere)
    assert result.returncode == 0
    assert "test_predict" in result.stdout


def test_show_errors(tmp_path: Path) -> None:
    missing = run_cli("show", cwd=tmp_path)
    assert missing.returncode == 2
    assert "no baseline folder at baselines" in missing.stderr
    assert "pytest --pareto-update" in missing.stderr

    (tmp_path / "baselines").mkdir()
    empty = run_cli("show", cwd=tmp_path)
    assert empty.returncode == 0
    assert "no stored frontiers" in empty.stdout

    (tmp_path / "baselines" / "test_x.py.json").write_text("{not json")
    broken = run_cli("show", cwd=tmp_path)
    assert broken.returncode == 2
    assert "test_x.py.json: not valid JSON" in broken.stderr


def test_show_reads_what_pytest_recorded(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_fit=measured_module({"test_fit": {"loss": 0.25, "accuracy": 0.75}}),
    )
    pytester.runpytest("--pareto-update", "-p", "no:cacheprovider").assert_outcomes(passed=1)
    result = run_cli("show", cwd=pytester.path)
    assert result.returncode == 0, result.stderr
    assert "test_fit.py::test_fit  (1 point)" in result.stdout
    assert "accuracy ↑  loss ↓" in result.stdout
    assert "0.75" in result.stdout
    assert "0.25" in result.stdout


def test_help_has_examples() -> None:
    for command in ("show", "history", "compare", "plot", "prune", "export"):
        result = run_cli(command, "--help", cwd=Path.cwd())
        assert result.returncode == 0
        assert "examples:" in result.stdout, command
        assert "exit status:" in result.stdout, command
