"""Reading a baseline file lazily: loading one test of a module decodes that test's entry
only, once; the others stay text until they are asked for."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import ACCURACY, WALL_TIME, make_point

from pytest_pareto.errors import BaselineFileError
from pytest_pareto.model.points import TestBaseline
from pytest_pareto.store import lazy_entries
from pytest_pareto.store.baseline_files import BaselineFile, Store

NAMES = ("test_a", "test_b[x-1]", 'test_c[a"b\\\\c\t\u00e9\u2603]', "")
"""Test names, one with characters JSON escapes, and the module's own entry (a group)."""


def _baseline(test_id: str, value: float) -> TestBaseline:
    point = make_point({"wall_time": value, "accuracy": 0.9}, recorded_at="2026-01-02T00:00:00Z")
    return TestBaseline(test_id, {"wall_time": WALL_TIME, "accuracy": ACCURACY}, (point,), ())


def _test_id(name: str) -> str:
    return f"tests/test_m.py::{name}" if name else "tests/test_m.py"


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = Store(tmp_path)
    content = BaselineFile(store.path_for(_test_id("x")))
    for k, name in enumerate(NAMES):
        content.tests[name] = _baseline(_test_id(name), 0.01 * (k + 1))
    store.write(content)
    return Store(tmp_path)


@pytest.fixture
def decoded(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the entries decoded, in order."""
    names: list[str] = []
    real = lazy_entries.baseline_of

    def counting(path: Path, module: str, name: str, entry: Any) -> TestBaseline:
        names.append(name)
        return real(path, module, name, entry)

    monkeypatch.setattr(lazy_entries, "baseline_of", counting)
    return names


def test_loading_one_test_decodes_its_entry_only_and_once(store: Store, decoded: list[str]) -> None:
    wanted = _test_id(NAMES[1])
    baseline = store.load(wanted)
    assert baseline is not None
    assert baseline.test_id == wanted
    assert baseline.points[0].value("wall_time") == 0.02
    assert decoded == [NAMES[1]]
    assert store.load(wanted) is baseline
    assert store.load(_test_id("test_not_there")) is None
    assert decoded == [NAMES[1]]
    for k, name in enumerate(NAMES):
        loaded = store.load(_test_id(name))
        assert loaded is not None
        assert loaded.test_id == _test_id(name)
        assert loaded.points[0].value("wall_time") == 0.01 * (k + 1)
    assert sorted(decoded) == sorted(NAMES)


def test_reading_a_file_indexes_its_tests_without_decoding_them(
    store: Store, decoded: list[str]
) -> None:
    path = store.path_for(_test_id("x"))
    entries = store.read_entries(path)
    assert set(entries.names) == set(NAMES)
    assert entries.decoded == frozenset()
    assert decoded == []
    assert [b.test_id for b in store.iter_baselines()] == [_test_id(n) for n in sorted(NAMES)]
    assert sorted(decoded) == sorted(NAMES)


def test_the_lazy_reading_reads_what_the_whole_file_holds(store: Store) -> None:
    path = store.path_for(_test_id("x"))
    whole = {name: b.to_json() for name, b in store.read_file(path).tests.items()}
    path.write_text(path.read_text().replace("\n", "\r\n"))  # another layout: parsed whole
    assert store.read_entries(path).decoded == frozenset(NAMES)
    assert {name: b.to_json() for name, b in store.read_file(path).tests.items()} == whole


def test_a_malformed_entry_raises_the_same_error_each_time(
    store: Store, decoded: list[str]
) -> None:
    path = store.path_for(_test_id("x"))
    text = path.read_text()
    path.write_text(text.replace('"accuracy": {\n', '"accuracy": {\n"x": NaN,\n', 1))
    first = sorted(NAMES)[0]
    errors = []
    for _ in range(2):
        with pytest.raises(BaselineFileError, match=f"test {first!r} is not valid JSON") as info:
            store.load(_test_id(first))
        errors.append(info.value)
    assert errors[0] is errors[1]
    assert store.load(_test_id(NAMES[1])) is not None
    assert decoded == [NAMES[1]]
