"""Reading baseline files of older schema versions.

``tests/data/baselines-v1/`` holds a baseline file of schema 1 exactly as pytest-pareto wrote it.
It is frozen: never regenerate it. When the schema changes, this test keeps proving that files
users committed long ago still read, through the migration steps of
:mod:`pytest_pareto.store.migrations`.
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


def _tag_points(data: dict[str, Any]) -> dict[str, Any]:
    """A stand-in for a future schema 2: every point gains extra_info["from"]."""
    for entry in data["tests"].values():
        for point in entry["points"]:
            point.setdefault("extra_info", {})["from"] = "schema 1"
    return data


def test_an_older_schema_is_upgraded_on_read_and_written_in_the_new_one(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = store.root / FILE
    original = path.read_bytes()
    monkeypatch.setattr(baseline_files, "SCHEMA_VERSION", 2)
    monkeypatch.setitem(migrations.MIGRATIONS, 1, _tag_points)

    predict = store.load("tests/test_model.py::test_predict")
    assert predict is not None
    assert [p.extra_info.get("from") for p in predict.points] == ["schema 1", "schema 1"]
    assert predict.points[0].extra_info["batch"] == 64
    assert path.read_bytes() == original  # reading never rewrites the file

    store.update("tests/test_model.py::test_predict", lambda baseline: baseline)
    data = json.loads(path.read_text())
    assert data["schema_version"] == 2
    assert data["tests"]["test_train[small]"]["points"][0]["extra_info"] == {"from": "schema 1"}
    monkeypatch.setattr(baseline_files, "SCHEMA_VERSION", 1)  # an older pytest-pareto reads it
    with pytest.raises(BaselineFileError) as info:
        Store(store.root).read_file(path)
    assert "written by a newer pytest-pareto (schema 2, this one reads up to 1)" in str(info.value)
    assert "upgrade pytest-pareto" in str(info.value)


def test_current_files_are_not_migrated(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []

    def spy(data: dict[str, Any]) -> dict[str, Any]:
        calls.append(data["schema_version"])
        return data

    monkeypatch.setitem(migrations.MIGRATIONS, 1, spy)
    assert store.load("tests/test_model.py::test_predict") is not None
    assert calls == []


def test_a_missing_step_is_a_clear_error(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(baseline_files, "SCHEMA_VERSION", 3)
    monkeypatch.setitem(migrations.MIGRATIONS, 1, _tag_points)
    with pytest.raises(BaselineFileError) as info:
        store.read_file(store.root / FILE)
    assert str(info.value).startswith(
        f"{store.root / FILE}: schema 2 cannot be upgraded to 3 (no migration); report this"
    )


def test_a_step_that_fails_on_odd_data_is_a_clear_error(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    def needs_a_field(data: dict[str, Any]) -> dict[str, Any]:
        data["renamed"] = data.pop("no such field")
        return data

    monkeypatch.setattr(baseline_files, "SCHEMA_VERSION", 2)
    monkeypatch.setitem(migrations.MIGRATIONS, 1, needs_a_field)
    path = store.root / FILE
    original = path.read_bytes()
    with pytest.raises(BaselineFileError) as info:
        store.read_file(path)
    assert str(info.value).startswith(
        f"{path}: could not be upgraded from schema 1 to 2 (KeyError('no such field'))"
    )
    assert path.read_bytes() == original
