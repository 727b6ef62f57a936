"""Baseline files: paths, the stable format, round trips and the errors for bad files."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import ACCURACY, WALL_TIME

from pytest_pareto.errors import BaselineFileError, ConfigError
from pytest_pareto.frontier.maintenance import (
    HISTORY_BYTES,
    HISTORY_LIMIT,
    Departures,
    accept_point,
    bound_history,
)
from pytest_pareto.model.machine import current_machine
from pytest_pareto.model.points import HistoryEntry, Observation, Point, Sample, TestBaseline
from pytest_pareto.store import baseline_files
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
    assert data["medians"] == [(0.010 + 0.011) / 2, 0.020]
    assert data["rounds"] == [2, 1]
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
    data = {
        "value": 0.015,
        "medians": [0.01, 0.02],
        "rounds": [1, 1],
        "spread": [0.0, 0.0],
        "calibration": calibration,
    }
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
    assert '"medians": [0.011, 0.0125]' in text  # number lists stay on one line
    assert "0.012," not in text  # the rounds themselves are not stored
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
            '{"format": "pytest-pareto baselines", "schema_version": 2, "tests": {"t": '
            '{"metrics": {}, "points": [{"metrics": {"x": {"value": 1}}}]}}}',
            "not declared",
        ),
        (
            '{"format": "pytest-pareto baselines", "schema_version": 2, "tests": {"t": '
            '{"metrics": {"wall_time": {"better": "lower", "unit": "s"}}, '
            '"points": [{"metrics": {"wall_time": {"value": -1}}}]}}}',
            "negative",
        ),
        (
            '{"format": "pytest-pareto baselines", "schema_version": 2, "tests": {"t": '
            '{"metrics": {"wall_time": {"better": "lower", "unit": "s"}}, "points": [], '
            '"history": [{"at": "x", "event": "run", "point": {"values": {"wall_time": -1}}}]}}}',
            "negative",
        ),
        (
            '{"format": "pytest-pareto baselines", "schema_version": 2, "tests": {"t": '
            '{"metrics": {"x": {"better": "sideways"}}, "points": []}}}',
            "direction",
        ),
        (
            '{"format": "pytest-pareto baselines", "schema_version": 2, "tests": {"t": '
            '{"metrics": {"x": {}}, "points": [{"metrics": {"x": {"value": 1, '
            '"processes": [[1]]}}}]}}}',
            r"unknown keys \['processes'\]",
        ),
        (
            '{"format": "pytest-pareto baselines", "schema_version": 2, "tests": {"t": '
            '{"metrics": {"x": {}}, "points": [{"machine": "abc", '
            '"metrics": {"x": {"value": 1}}}]}}}',
            "machine 'abc' is not in the test's 'machines'",
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


# -- bounded by construction ---------------------------------------------------------------


def _runs(count: int, verdict: str = "equal") -> list[HistoryEntry]:
    return [
        HistoryEntry(
            "run",
            f"2026-01-01T00:{i // 60:02d}:{i % 60:02d}Z",
            Point({"wall_time": Observation.single(0.01 + i)}, recorded_at=f"t{i}"),
            verdict,
        )
        for i in range(count)
    ]


def test_history_is_bounded_by_bytes_as_well_as_count_oldest_first() -> None:
    entries = _runs(300)
    kept, dropped = bound_history(entries)
    assert len(kept) == HISTORY_LIMIT  # short entries: the count bounds them
    assert (kept[-1], dropped) == (entries[-1], 100)
    wordy = _runs(100, verdict="x" * 1000)
    kept, dropped = bound_history(wordy)
    assert kept == tuple(wordy[-len(kept) :])  # the newest stay
    assert dropped == 100 - len(kept) > 0
    size = sum(len(json.dumps(e.to_json("01234567"), separators=(",", ":"))) for e in kept)
    assert size <= HISTORY_BYTES
    (_,), none = bound_history(_runs(1, verdict="x" * (2 * HISTORY_BYTES)))
    assert none == 0  # the newest entry always stays


def test_an_update_says_when_history_entries_were_dropped() -> None:
    kept = Point({"loss": Observation.single(1.0)}, recorded_at="2026-02-01T00:00:00Z")
    again = Point({"loss": Observation.single(1.0)}, recorded_at="2026-02-02T00:00:00Z")
    stored = TestBaseline("m.py::t", {"loss": ACCURACY}, (kept,), tuple(_runs(200)))
    leaving = Departures(equal_to=kept.id)  # logged as a run: one more history entry
    _, change = accept_point(stored, "m.py::t", again, {"loss": ACCURACY}, leaving)
    assert change.dropped == 1
    assert change.describe().endswith(
        f"dropped the 1 oldest history entry (history keeps {HISTORY_LIMIT} entries, "
        f"{HISTORY_BYTES // 1024} KiB)"
    )


def test_the_writer_never_writes_a_file_the_reader_refuses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(tmp_path)
    points = (Point({"wall_time": Observation.single(0.5)}, recorded_at="2026-02-01T00:00:00Z"),)
    baseline = TestBaseline("m.py::t", {"wall_time": WALL_TIME}, points, tuple(_runs(60)))
    full = BaselineFile(tmp_path / "m.py.json", {"t": baseline}).dumps()
    monkeypatch.setattr(baseline_files, "MAX_FILE_BYTES", len(full.encode()) // 2)
    store.update("m.py::t", lambda _: baseline)
    path = tmp_path / "m.py.json"
    assert len(path.read_bytes()) <= baseline_files.MAX_FILE_BYTES
    loaded = Store(tmp_path).load("m.py::t")
    assert loaded is not None
    assert loaded.points == baseline.points
    assert 0 < len(loaded.history) < 60
    assert [h.at for h in loaded.history] == [
        h.at for h in baseline.history[-len(loaded.history) :]
    ]

    written = path.read_bytes()
    many = tuple(
        Point({"wall_time": Observation.single(0.5 + i)}, recorded_at=f"2026-02-{i:02d}")
        for i in range(1, 29)
    )
    limit = len(written) + 10
    monkeypatch.setattr(baseline_files, "MAX_FILE_BYTES", limit)
    with pytest.raises(BaselineFileError) as info:
        store.update("m.py::t", lambda b: replace(baseline, points=many))
    assert f"over the {limit}-byte limit" in str(info.value)
    assert "even without history" in str(info.value)
    assert path.read_bytes() == written  # nothing was written
