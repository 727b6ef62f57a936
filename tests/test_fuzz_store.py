"""Fuzzing the readers of user input: a baseline file's loader returns valid data or raises
BaselineFileError, marker arguments and recorded metrics parse or raise ConfigError; nothing
else ever escapes."""

from __future__ import annotations

import json
import math
import statistics
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_pareto.errors import BaselineFileError, ConfigError
from pytest_pareto.measuring.measure import MeasureOptions
from pytest_pareto.measuring.options import TestOptions
from pytest_pareto.measuring.recorder import Recorder
from pytest_pareto.store.baseline_files import FORMAT_NAME, SCHEMA_VERSION, BaselineFile, Store

PATH = Path("baselines/tests/test_m.py.json")
MODULE = "tests/test_m.py"

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=16,
)

metric_names = st.sampled_from(["loss", "accuracy", "wall_time", "peak_rss", "flops"])
finite = st.floats(min_value=0.0, max_value=1e12, allow_nan=False)


@st.composite
def observations(draw: st.DrawFn) -> dict[str, Any]:
    if draw(st.booleans()):
        return {"value": draw(finite)}
    processes = draw(st.lists(st.lists(finite, min_size=1, max_size=4), min_size=1, max_size=3))
    return {"value": _median([_median(rounds) for rounds in processes]), "processes": processes}


def _median(values: list[float]) -> float:
    """The median as the model computes it (a stored value must agree with its processes)."""
    return values[0] if len(values) == 1 else float(statistics.median(values))


@st.composite
def compact_observations(draw: st.DrawFn) -> dict[str, Any]:
    """A metric as schema 2 stores it: per process a median, round count and spread."""
    if draw(st.booleans()):
        return {"value": draw(finite)}
    medians = draw(st.lists(finite, min_size=1, max_size=4))
    data: dict[str, Any] = {
        "value": _median(medians),
        "medians": medians,
        "rounds": [draw(st.integers(1, 50)) for _ in medians],
        "spread": [draw(finite) for _ in medians],
    }
    if draw(st.booleans()):
        data["calibration"] = [draw(st.floats(1e-6, 1.0)) for _ in medians]
    if draw(st.booleans()):
        data["censored"] = True
    return data


@st.composite
def machines(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "class": "x",
        "cpu_count": draw(st.integers(1, 256)),
        "cpu_model": draw(st.text(max_size=12)),
        "gpus": draw(st.lists(st.text(max_size=8), max_size=2)),
        "memory_gib": draw(st.integers(0, 4096)),
        "os": "Linux",
        "packages": {"torch": "2.13.0"},
        "python": "3.11.7",
    }


@st.composite
def points(draw: st.DrawFn, names: list[str], schema: int = 1) -> dict[str, Any]:
    kind = observations() if schema == 1 else compact_observations()
    point: dict[str, Any] = {
        "id": "00000000",
        "recorded_at": "2026-01-01T00:00:00Z",
        "metrics": {name: draw(kind) for name in names},
    }
    if draw(st.booleans()):
        point["commit"] = "0123456789abcdef"
    if draw(st.booleans()):
        point["machine"] = "m1" if schema > 1 and draw(st.booleans()) else draw(machines())
    return point


@st.composite
def summaries(draw: st.DrawFn, names: list[str]) -> dict[str, Any]:
    """A history entry's point as schema 2 stores it."""
    summary: dict[str, Any] = {
        "id": "00000000",
        "recorded_at": "2026-01-01T00:00:00Z",
        "values": {name: draw(finite) for name in names},
    }
    if draw(st.booleans()):
        summary["machine"] = "m1"
    if draw(st.booleans()):
        summary["censored"] = names[:1]
    return summary


@st.composite
def baseline_files(draw: st.DrawFn) -> dict[str, Any]:
    """The JSON of a valid baseline file, of schema 1 or of the current one."""
    schema = draw(st.sampled_from([1, SCHEMA_VERSION]))
    tests = {}
    for name in draw(st.lists(st.text(min_size=1, max_size=8), max_size=3, unique=True)):
        names = draw(st.lists(metric_names, min_size=1, max_size=3, unique=True))
        metrics = {
            n: {
                "better": draw(st.sampled_from(["lower", "higher"])),
                "unit": "s" if n == "wall_time" else "",
                "variability": draw(st.sampled_from(["noisy", "deterministic"])),
            }
            for n in names
        }
        frontier = draw(st.lists(points(names, schema), max_size=3))
        stored = points(names) if schema == 1 else summaries(names)
        history = [
            {"at": "2026-01-02T00:00:00Z", "event": "pruned", "point": p}
            for p in draw(st.lists(stored, max_size=2))
        ]
        tests[name] = {"metrics": metrics, "points": frontier, "history": history}
        if schema > 1:
            tests[name]["machines"] = {"m1": draw(machines())}
    return {"format": FORMAT_NAME, "schema_version": schema, "tests": tests}


def _containers(data: Any, found: list[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    """Every (container, key) slot of a JSON document."""
    if isinstance(data, dict):
        for key, value in data.items():
            found.append((data, key))
            _containers(value, found)
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found.append((data, index))
            _containers(value, found)
    return found


@st.composite
def mutated_files(draw: st.DrawFn) -> str:
    """A valid file with one slot replaced, removed or duplicated, as text."""
    data = draw(baseline_files())
    for _ in range(draw(st.integers(1, 3))):
        slots = _containers(data, [])
        container, key = draw(st.sampled_from(slots))
        action = draw(st.sampled_from(["replace", "remove", "replace"]))
        if action == "remove":
            del container[key]
        else:
            container[key] = draw(json_values)
    return json.dumps(data)


def _check_loaded(content: BaselineFile) -> None:
    """What a successful load promises: finite values, declared metrics, a stable round trip."""
    for baseline in content.tests.values():
        for point in baseline.points:
            assert point.metric_names <= set(baseline.metrics)
            assert all(math.isfinite(v) for v in point.values().values())
        for entry in baseline.history:
            assert entry.point.metric_names <= set(baseline.metrics)
            assert all(math.isfinite(v) for v in entry.point.values().values())
    again = BaselineFile.parse(PATH, content.dumps(), MODULE)
    assert again.dumps() == content.dumps()


def _load(text: str) -> None:
    try:
        content = BaselineFile.parse(PATH, text, MODULE)
    except BaselineFileError as exc:
        error: BaselineFileError | None = exc
    else:
        error = None
        _check_loaded(content)
    if error is not None:
        assert error.path == PATH
        assert str(error).startswith(f"{PATH}: ")


FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@settings(FUZZ, max_examples=50)
@given(baseline_files())
def test_valid_files_load_and_round_trip(data: dict[str, Any]) -> None:
    content = BaselineFile.parse(PATH, json.dumps(data), MODULE)
    assert set(content.tests) == set(data["tests"])
    _check_loaded(content)


@FUZZ
@given(mutated_files())
def test_mutated_files_load_or_raise_baseline_file_error(text: str) -> None:
    _load(text)


@FUZZ
@given(json_values)
def test_any_json_document_loads_or_raises_baseline_file_error(data: Any) -> None:
    _load(json.dumps(data))


@FUZZ
@given(st.dictionaries(st.text(max_size=8), json_values, max_size=3))
def test_any_top_level_object_loads_or_raises(extra: dict[str, Any]) -> None:
    data: dict[str, Any] = {"format": FORMAT_NAME, "schema_version": SCHEMA_VERSION, "tests": {}}
    data.update(extra)
    _load(json.dumps(data))


@FUZZ
@given(st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_any_bytes_on_disk_load_or_raise(
    tmp_path_factory: pytest.TempPathFactory, raw: bytes
) -> None:
    root = tmp_path_factory.mktemp("store")
    path = root / "tests" / "test_m.py.json"
    path.parent.mkdir()
    path.write_bytes(raw)
    error = None
    try:
        Store(root).read_file(path)
    except BaselineFileError as exc:
        error = exc
    assert error is None or error.path == path
    assert path.read_bytes() == raw


marker_values = (
    scalars
    | st.lists(st.text(max_size=8) | st.floats(), max_size=3)
    | st.dictionaries(st.text(max_size=8), scalars | st.dictionaries(st.text(max_size=4), scalars))
)


edge_floats = st.sampled_from([math.inf, -math.inf, math.nan, 0.0, -0.0, 5e-324, 1e308])
numbers = st.integers(-5, 10**6) | st.floats() | edge_floats | st.booleans()
tolerances = (
    st.floats(min_value=0)
    | edge_floats
    | st.from_regex(r"\A[0-9.]{1,6}(e[0-9]{1,4})?%\Z")
    | st.from_regex(r"\Aabs:[0-9.]{1,6}(e[0-9]{1,4})?\Z")
    | st.fixed_dictionaries(
        {}, optional={"rel": st.floats(min_value=0) | edge_floats, "abs": numbers}
    )
    | numbers
    | marker_values
)
# Each argument mostly gets a plausible value, so that parsing gets past the first check.
argument_values: dict[str, st.SearchStrategy[Any]] = {
    "metrics": st.lists(metric_names, min_size=1, max_size=3, unique=True) | marker_values,
    "tolerance": st.dictionaries(metric_names, tolerances, max_size=2) | marker_values,
    "rounds": st.integers(1, 50) | numbers,
    "warmup": st.integers(0, 5) | numbers,
    "iterations": st.integers(1, 50) | numbers,
    "max_time": st.floats(min_value=1e-6) | numbers | marker_values,
    "group": st.text(max_size=6) | marker_values,
}
marker_kwargs = st.fixed_dictionaries({}, optional=argument_values) | st.dictionaries(
    st.text(max_size=8), marker_values, max_size=2
)


def _check_marker(kwargs: dict[str, Any], args: list[Any]) -> None:
    try:
        options = TestOptions.from_kwargs(kwargs, args)
        measure_options = options.measure_options(MeasureOptions())
    except ConfigError:
        return
    # What parsed is usable: finite, positive limits and tolerances.
    assert 0 < measure_options.max_time < math.inf
    for tolerance in options.tolerance.values():
        assert 0 <= tolerance.rel < math.inf
        assert 0 <= tolerance.abs < math.inf
    if options.metrics is not None:
        assert all(isinstance(name, str) for name in options.metrics)


@settings(max_examples=200, deadline=None)
@given(marker_kwargs, st.lists(scalars, max_size=1) | st.just([]))
def test_marker_arguments_parse_or_raise_config_error(
    kwargs: dict[str, Any], args: list[Any]
) -> None:
    _check_marker(kwargs, args)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_each_marker_argument_alone_parses_or_raises_config_error(data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(sorted(argument_values)))
    _check_marker({name: data.draw(argument_values[name])}, [])


@settings(max_examples=300, deadline=None)
@given(
    st.text(max_size=12) | st.integers(),
    scalars | st.lists(scalars, max_size=2),
    st.text(max_size=8) | st.sampled_from(["lower", "higher", "LOWER"]),
    st.none() | st.text(max_size=4),
)
def test_recorded_metrics_are_kept_or_raise_config_error(
    name: Any, value: Any, better: Any, unit: Any
) -> None:
    recorder = Recorder("tests/test_m.py::test_a")
    try:
        recorder.record(name, value, unit=unit, better=better)
    except ConfigError:
        assert not recorder.used
        return
    point = recorder.point()
    assert point is not None
    assert math.isfinite(point.value(name))
