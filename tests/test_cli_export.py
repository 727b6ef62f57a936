"""``pytest-pareto export``: CSV and JSON that read back to the stored values, and markdown."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from cli_support import MACHINE_B, accept_run, point, put, run_cli

from pytest_pareto.model.points import TestBaseline
from pytest_pareto.store.baseline_files import Store

TEST = "tests/test_model.py::test_predict"


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = Store(tmp_path / "baselines")
    accept_run(store, TEST, point({"latency": 0.1, "accuracy": 0.9}), "2026-01-01T00:00:01Z")
    accept_run(  # dominates the first: it goes to history as pruned
        store,
        TEST,
        point({"latency": 1 / 30, "accuracy": 0.93}, at="2026-01-02T00:00:00Z"),
        "2026-01-02T00:00:01Z",
    )
    put(
        store,
        "tests/test_other.py::test_mem",
        [point({"memory": [1048576.0, 1050000.0, 1049000.0]}, machine=MACHINE_B, commit=None)],
    )
    return store


def _stored(store: Store) -> dict[str, TestBaseline]:
    return {b.test_id: b for b in store.iter_baselines()}


def test_csv_round_trip(store: Store, tmp_path: Path) -> None:
    result = run_cli("export", "--format", "csv", "--history", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    read_back: dict[tuple[str, str, str], dict[str, float]] = {}
    for row in rows:
        key = (row["test_id"], row["point"], row["state"])
        read_back.setdefault(key, {})[row["metric"]] = float(row["value"])
    expected: dict[tuple[str, str, str], dict[str, float]] = {}
    for baseline in _stored(store).values():
        for p in baseline.points:
            expected[(baseline.test_id, p.id, "frontier")] = p.values()
        for h in baseline.history:
            expected[(baseline.test_id, h.point.id, h.event)] = h.point.values()
    assert read_back == expected  # exact floats, 1/30 included
    assert {s for _, _, s in read_back} == {"frontier", "pruned"}
    memory = next(r for r in rows if r["metric"] == "memory")
    assert memory["unit"] == "B"
    assert memory["better"] == "lower"
    assert memory["processes"] == "3"
    assert memory["machine_class"] == MACHINE_B.hardware_class
    assert memory["commit"] == ""
    latency = next(r for r in rows if r["metric"] == "latency" and r["state"] == "pruned")
    assert latency["left_at"] == "2026-01-02T00:00:01Z"
    frontier_only = run_cli("export", "--format", "csv", cwd=tmp_path).stdout
    assert "pruned" not in frontier_only
    assert len(frontier_only.splitlines()) == 1 + 3


def test_json_round_trip(store: Store, tmp_path: Path) -> None:
    out = tmp_path / "export.json"
    result = run_cli("export", "--format", "json", "-o", out, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "wrote 2 tests" in result.stderr
    data = json.loads(out.read_text())
    assert data["format"] == "pytest-pareto export"
    assert data["schema_version"] == 1
    read_back = {
        test_id: TestBaseline.from_json(test_id, entry, str(out))
        for test_id, entry in data["tests"].items()
    }
    assert read_back == _stored(store)


def test_markdown(store: Store, tmp_path: Path) -> None:
    result = run_cli("export", "tests/test_model.py", "--format", "markdown", cwd=tmp_path)
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert f"## `{TEST}`" in lines
    assert "test_mem" not in result.stdout
    header = next(line for line in lines if line.startswith("| point"))
    assert header.startswith("| point | accuracy ↑ | latency ↓ | recorded | commit | machine |")
    row = next(line for line in lines if "33.3 ms" in line)
    assert "| 0.93 | 33.3 ms | 2026-01-02T00:00:00Z |" in row
    history = run_cli("export", "--format", "markdown", "--history", cwd=tmp_path)
    assert "| pruned |" in history.stdout


def test_export_errors(store: Store, tmp_path: Path) -> None:
    assert run_cli("export", "--format", "xml", cwd=tmp_path).returncode == 2
    assert run_cli("export", cwd=tmp_path).returncode == 2  # --format is required
    nothing = run_cli("export", "tests/none", "--format", "csv", cwd=tmp_path)
    assert nothing.returncode == 2
    assert "no stored test id starts with" in nothing.stderr
    unwritable = run_cli(
        "export", "--format", "csv", "-o", tmp_path / "no" / "dir" / "x.csv", cwd=tmp_path
    )
    assert unwritable.returncode == 2
    assert "cannot be written" in unwritable.stderr
