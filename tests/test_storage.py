"""Baseline files: paths, the stable format, round trips and the errors for bad files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import ACCURACY, WALL_TIME

from pytest_pareto.errors import BaselineFileError, ConfigError
from pytest_pareto.model.machine import current_machine
from pytest_pareto.model.points import HistoryEntry, Observation, Point, Sample, TestBaseline
from pytest_pareto.store.baseline_files import SCHEMA_VERSION, BaselineFile, Store, format_json


def sample_baseline(test_id: str = "tests/test_m.py::test_a") -> TestBaseline:
    measured = Point(
        {
            "wall_time": Observation((Sample((0.010, 0.011, 0.012)), Sample((0.013, 0.012)))),
            "accuracy": Observation.single(0.91),
        },
        recorded_at="2026-11-01T10:00:00Z",
        commit="abc123",
        machine=current_machine(),
        extra_info={"batch": 64, "note": "résumé"},
    )
    old = Point({"wall_time": Observation.single(0.02), "accuracy": Observation.single(0.95)})
    return TestBaseline(
        test_id,
        {"wall_time": WALL_TIME, "accuracy": ACCURACY},
        (measured,),
        (HistoryEntry("retired", "2026-11-01T10:00:00Z", old, verdict="dominated"),),
    )


def test_path_mirrors_the_test_module(tmp_path: Path) -> None:
    store = Store(tmp_path)
    assert store.path_for("tests/unit/test_m.py::TestA::test_b[x-1]") == (
        tmp_path / "tests" / "unit" / "test_m.py.json"
    )
    assert (
        store.path_for("../outside/test_x.py::t") == tmp_path / "_" / "outside" / "test_x.py.json"
    )
    assert store.path_for("nb/analysis.ipynb::predict") == tmp_path / "nb" / "analysis.ipynb.json"


def test_round_trip_keeps_every_field(tmp_path: Path) -> None:
    store = Store(tmp_path)
    baseline = sample_baseline()
    store.update(baseline.test_id, lambda _: baseline)
    loaded = store.load(baseline.test_id)
    assert loaded is not None
    assert loaded.to_json() == baseline.to_json()
    point = loaded.points[0]
    assert point.observations["wall_time"].per_process == (0.011, 0.0125)
    assert point.value("wall_time") == pytest.approx(0.01175)
    assert point.machine == current_machine()
    assert loaded.history[0].verdict == "dominated"


def test_calibration_is_stored_per_process_and_read_back(tmp_path: Path) -> None:
    observation = Observation((Sample((0.010, 0.011), 2e-4), Sample((0.020,), 4e-4)))
    data = observation.to_json()
    assert data["calibration"] == [2e-4, 4e-4]
    assert data["processes"] == [[0.010, 0.011], [0.020]]
    back = Observation.from_json(data, "f.json")
    assert back == observation
    assert back.normalised_per_process == pytest.approx((52.5, 50.0))
    # Files written before calibration existed read as uncalibrated.
    del data["calibration"]
    assert Observation.from_json(data, "f.json").normalised_per_process is None


@pytest.mark.parametrize(
    ("calibration", "message"),
    [([2e-4], "one time per process"), ("x", "one time per process"), ([2e-4, -1], "> 0")],
)
def test_bad_calibration_is_refused(calibration: object, message: str) -> None:
    data = {"value": 0.01, "processes": [[0.01], [0.02]], "calibration": calibration}
    with pytest.raises(ConfigError, match=message):
        Observation.from_json(data, "f.json")


def test_worker_samples_keep_their_calibration() -> None:
    sample = Sample((0.5, 0.6), 3e-4)
    assert Sample.from_json(sample.to_json(), "w") == sample
    assert Sample.from_json([0.5, 0.6], "w") == Sample((0.5, 0.6))


def test_format_is_stable_sorted_and_ends_with_a_newline(tmp_path: Path) -> None:
    store = Store(tmp_path)
    baseline = sample_baseline()
    store.update(baseline.test_id, lambda _: baseline)
    path = store.path_for(baseline.test_id)
    text = path.read_text(encoding="utf-8")
    assert text.endswith("}\n")
    assert not text.endswith("\n\n")
    data = json.loads(text)
    assert data["schema_version"] == SCHEMA_VERSION
    assert format_json(data) == text  # re-formatting changes nothing
    assert '"processes": [\n' in text
    assert "[0.01, 0.011, 0.012]" in text  # number lists stay on one line
    keys = [line.split('"')[1] for line in text.splitlines() if line.startswith('  "')]
    assert keys == sorted(keys)
    store.update(baseline.test_id, lambda b: b)  # rewriting the same content: same bytes
    assert path.read_text(encoding="utf-8") == text
    assert not list(path.parent.glob(".pareto-tmp-*"))


def test_tests_of_one_module_share_a_file_and_removal_deletes_it(tmp_path: Path) -> None:
    store = Store(tmp_path)
    a, b = sample_baseline("t.py::test_a"), sample_baseline("t.py::test_b")
    store.update(a.test_id, lambda _: a)
    store.update(b.test_id, lambda _: b)
    assert [p.name for p in store.iter_files()] == ["t.py.json"]
    assert sorted(x.test_id for x in store.iter_baselines()) == ["t.py::test_a", "t.py::test_b"]
    store.update(a.test_id, lambda _: None)
    assert store.load(a.test_id) is None
    assert store.load(b.test_id) is not None
    store.update(b.test_id, lambda _: None)
    assert not store.path_for(b.test_id).exists()


def test_missing_file_is_no_baseline(tmp_path: Path) -> None:
    assert Store(tmp_path).load("nothing.py::test") is None


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[]", "not a pytest-pareto baseline file"),
        ('{"format": "pytest-pareto baselines", "schema_version": 99, "tests": {}}', "newer"),
        ('{"format": "pytest-pareto baselines", "schema_version": "1", "tests": {}}', "integer"),
        ('{"format": "pytest-pareto baselines", "schema_version": 1, "tests": []}', "'tests'"),
        (
            '{"format": "pytest-pareto baselines", "schema_version": 1, "tests": {"t": '
            '{"metrics": {}, "points": [{"metrics": {"x": {"value": NaN}}}]}}}',
            "NaN is not allowed",
        ),
        (
            '{"format": "pytest-pareto baselines", "schema_version": 1, "tests": {"t": '
            '{"metrics": {}, "points": [{"metrics": {"x": {"value": 1}}}]}}}',
            "not declared",
        ),
        (
            '{"format": "pytest-pareto baselines", "schema_version": 1, "tests": {"t": '
            '{"metrics": {"wall_time": {"better": "lower", "unit": "s"}}, '
            '"points": [{"metrics": {"wall_time": {"value": -1}}}]}}}',
            "negative",
        ),
        (
            '{"format": "pytest-pareto baselines", "schema_version": 1, "tests": {"t": '
            '{"metrics": {"x": {"better": "sideways"}}, "points": []}}}',
            "direction",
        ),
    ],
)
def test_bad_files_name_the_file_and_the_fix(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "m.py.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(BaselineFileError, match=message) as info:
        Store(tmp_path).load("m.py::t")
    assert str(path) in str(info.value)
    assert path.read_text(encoding="utf-8") == content  # left untouched


def test_nan_cannot_be_written() -> None:
    with pytest.raises(ValueError, match="not JSON compliant"):
        format_json({"x": float("nan")})


def test_parse_rejects_unknown_history_events(tmp_path: Path) -> None:
    baseline = sample_baseline()
    data = BaselineFile(tmp_path / "x.json", {"test_a": baseline}).to_json()
    data["tests"]["test_a"]["history"][0]["event"] = "vanished"
    with pytest.raises(BaselineFileError, match="history entries need an event"):
        BaselineFile.parse(tmp_path / "x.json", json.dumps(data), "x")
