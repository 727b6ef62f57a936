"""Reading baseline files of older schema versions.

``tests/data/baselines-v1/`` holds a baseline file of schema 1 exactly as pytest-pareto wrote it
(every round of every process; history entries with whole points). It is frozen: never
regenerate it. This test keeps proving that files users committed long ago still read, through
the migration steps of :mod:`pytest_pareto.store.migrations`, and are written in the current
schema by the next update. (``tests/data/baselines-v1-measured/`` holds schema-1 files of a real
measured run: ``tests/test_compact_points.py`` judges from them.)
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from pytest_pareto.errors import BaselineFileError
from pytest_pareto.model.metrics import Direction, Variability
from pytest_pareto.store import baseline_files, migrations
from pytest_pareto.store.baseline_files import Store

FROZEN_V1 = Path(__file__).parent / "data" / "baselines-v1"
FILE = "tests/test_model.py.json"


@pytest.fixture
def store(tmp_path: Path) -> Store:
    shutil.copytree(FROZEN_V1, tmp_path / "baselines")
    return Store(tmp_path / "baselines")


def test_frozen_v1_file_reads(store: Store) -> None:
    predict = store.load("tests/test_model.py::test_predict")
    assert predict is not None
    assert predict.metrics["accuracy"].direction is Direction.HIGHER
    assert predict.metrics["wall_time"].variability is Variability.NOISY
    assert predict.metrics["wall_time"].unit == "s"
    first, second = predict.points
    assert first.values() == {"accuracy": 0.8125, "wall_time": 0.0125}
    assert first.observations["wall_time"].per_process == (0.0121, 0.0129)
    assert first.extra_info == {"batch": 64}
    assert first.commit == "3f2a9c1e0b7d4a5c8e6f1029384756abcdef0123"
    assert first.machine is not None
    assert first.machine.cpu_model == "Intel(R) Xeon(R) Gold 6248 CPU @ 2.50GHz"
    assert first.machine.packages == {"numpy": "1.26.4", "torch": "2.3.0+cpu"}
    assert second.values() == {"accuracy": 0.8437, "wall_time": 0.0251}
    (entry,) = predict.history
    assert (entry.event, entry.at, entry.point.value("accuracy")) == (
        "pruned",
        "2026-03-02T10:15:00Z",
        0.8,
    )

    train = store.load("tests/test_model.py::test_train[small]")
    assert train is not None
    (point,) = train.points
    assert point.machine is None
    assert point.values() == {"loss": 0.4375, "peak_rss": 52428800.0}


def test_points_keep_their_ids(store: Store) -> None:
    """Ids are recomputed on read; users quote them, so they must not change between versions."""
    raw = json.loads((FROZEN_V1 / FILE).read_text())
    content = store.read_file(store.root / FILE)
    for name, entry in raw["tests"].items():
        stored_ids = [p["id"] for p in entry["points"]]
        assert [p.id for p in content.tests[name].points] == stored_ids


def test_a_rewrite_keeps_everything(store: Store) -> None:
    path = store.root / FILE
    before = store.read_file(path)
    store.update("tests/test_model.py::test_predict", lambda baseline: baseline)
    after = store.read_file(path)
    assert after.to_json() == before.to_json()
    assert json.loads(path.read_text())["schema_version"] == baseline_files.SCHEMA_VERSION


def test_schema_1_points_become_compact_and_history_entries_summaries(store: Store) -> None:
    """Schema 2 keeps per process the median, round count and spread, not every round, and a
    history entry keeps its point's values; what judging reads is unchanged."""
    path = store.root / FILE
    raw = json.loads(path.read_text())["tests"]["test_predict"]
    store.update("tests/test_model.py::test_predict", lambda baseline: baseline)
    data = json.loads(path.read_text())
    assert data["schema_version"] == 2
    test = data["tests"]["test_predict"]
    wall = test["points"][0]["metrics"]["wall_time"]
    assert "processes" not in wall
    assert wall["medians"] == [0.0121, 0.0129]
    assert wall["rounds"] == [3, 3]
    assert wall["spread"] == [0.0002, 0.0001]  # median absolute deviation, 2 digits
    assert wall["value"] == raw["points"][0]["metrics"]["wall_time"]["value"]
    (entry,) = test["history"]
    assert entry["point"]["values"] == {"accuracy": 0.8, "wall_time": 0.0302}
    assert entry["point"]["id"] == raw["history"][0]["point"]["id"]
    assert "metrics" not in entry["point"]
    machine = test["machines"][entry["point"]["machine"]]
    assert machine == raw["history"][0]["point"]["machine"]
    assert test["points"][0]["machine"] == entry["point"]["machine"]  # one machine, one entry


def test_schema_1_with_a_value_that_disagrees_with_its_rounds_is_refused(
    store: Store,
) -> None:
    path = store.root / FILE
    data = json.loads(path.read_text())
    data["tests"]["test_predict"]["points"][0]["metrics"]["wall_time"]["value"] = 0.5
    path.write_text(json.dumps(data))
    with pytest.raises(BaselineFileError, match=r"'value' 0\.5 disagrees with its processes"):
        Store(store.root).load("tests/test_model.py::test_predict")


def test_malformed_schema_1_content_is_reported_by_the_reader(store: Store) -> None:
    path = store.root / FILE
    data = json.loads(path.read_text())
    data["tests"]["test_predict"]["points"][0]["metrics"]["wall_time"]["processes"] = [["x"]]
    path.write_text(json.dumps(data))
    with pytest.raises(BaselineFileError) as info:
        Store(store.root).load("tests/test_model.py::test_predict")
    assert "could not be upgraded from schema 1 to 2" in str(info.value)
    assert "a process holds a value that is not a number" in str(info.value)


def _current(store: Store) -> Path:
    """The frozen file, rewritten in the current schema."""
    store.update("tests/test_model.py::test_predict", lambda baseline: baseline)
    return store.root / FILE


def _tag_points(data: dict[str, Any]) -> dict[str, Any]:
    """A stand-in for a future schema: every point gains extra_info["from"]."""
    for entry in data["tests"].values():
        for point in entry["points"]:
            point.setdefault("extra_info", {})["from"] = "an older schema"
    return data


CURRENT = baseline_files.SCHEMA_VERSION


def test_an_older_schema_is_upgraded_on_read_and_written_in_the_new_one(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _current(store)
    original = path.read_bytes()
    monkeypatch.setattr(baseline_files, "SCHEMA_VERSION", CURRENT + 1)
    monkeypatch.setitem(migrations.MIGRATIONS, CURRENT, _tag_points)

    predict = store.load("tests/test_model.py::test_predict")
    assert predict is not None
    assert [p.extra_info.get("from") for p in predict.points] == ["an older schema"] * 2
    assert predict.points[0].extra_info["batch"] == 64
    assert path.read_bytes() == original  # reading never rewrites the file

    store.update("tests/test_model.py::test_predict", lambda baseline: baseline)
    data = json.loads(path.read_text())
    assert data["schema_version"] == CURRENT + 1
    assert data["tests"]["test_train[small]"]["points"][0]["extra_info"] == {
        "from": "an older schema"
    }
    monkeypatch.setattr(baseline_files, "SCHEMA_VERSION", CURRENT)  # an older pytest-pareto
    with pytest.raises(BaselineFileError) as info:
        Store(store.root).read_file(path)
    assert (
        f"written by a newer pytest-pareto (schema {CURRENT + 1}, this one reads up to {CURRENT})"
        in str(info.value)
    )
    assert "upgrade pytest-pareto" in str(info.value)


def test_current_files_are_not_migrated(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    _current(store)
    calls: list[int] = []

    def spy(data: dict[str, Any]) -> dict[str, Any]:
        calls.append(data["schema_version"])
        return data

    for version in range(migrations.OLDEST_SCHEMA_VERSION, CURRENT + 1):
        monkeypatch.setitem(migrations.MIGRATIONS, version, spy)
    assert Store(store.root).load("tests/test_model.py::test_predict") is not None
    assert calls == []


def test_a_missing_step_is_a_clear_error(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _current(store)
    monkeypatch.setattr(baseline_files, "SCHEMA_VERSION", CURRENT + 2)
    monkeypatch.setitem(migrations.MIGRATIONS, CURRENT, _tag_points)
    with pytest.raises(BaselineFileError) as info:
        Store(store.root).read_file(path)
    assert str(info.value).startswith(
        f"{path}: schema {CURRENT + 1} cannot be upgraded to {CURRENT + 2} (no migration); "
        "report this"
    )


def test_a_step_that_fails_on_odd_data_is_a_clear_error(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    def needs_a_field(data: dict[str, Any]) -> dict[str, Any]:
        data["renamed"] = data.pop("no such field")
        return data

    path = _current(store)
    monkeypatch.setattr(baseline_files, "SCHEMA_VERSION", CURRENT + 1)
    monkeypatch.setitem(migrations.MIGRATIONS, CURRENT, needs_a_field)
    original = path.read_bytes()
    with pytest.raises(BaselineFileError) as info:
        Store(store.root).read_file(path)
    assert str(info.value).startswith(
        f"{path}: could not be upgraded from schema {CURRENT} to {CURRENT + 1} "
        "(KeyError('no such field'))"
    )
    assert path.read_bytes() == original
