"""Corrupt, future and hostile baseline files: a clear error naming the file and the fix, the
rest of the run goes on, and the file is left as it is. Damage to a file's frame (not JSON,
not a baseline file, a schema it cannot read, a test named twice) errors every measured test
of its module; a malformed entry of one test in a file the writer laid out errors that test
only, and stops any update of the file."""

from __future__ import annotations

import copy
import json
import os
import pickle
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pytest_pareto.errors import BaselineFileError
from pytest_pareto.store.baseline_files import (
    MAX_FILE_BYTES,
    SCHEMA_VERSION,
    Store,
    format_json,
)

BAD_MODULE = """
import pytest

def test_measured_a(pareto):
    pareto.record("loss", 1.0)

@pytest.mark.pareto(tolerance={"loss": 0.1})
def test_measured_b(pareto):
    pareto.record("loss", 2.0)

def test_plain():
    assert True
"""

GOOD_MODULE = """
def test_measured_ok(pareto):
    pareto.record("loss", 3.0)

def test_plain_ok():
    assert True
"""

VALID: dict[str, Any] = {
    "format": "pytest-pareto baselines",
    "schema_version": SCHEMA_VERSION,
    "tests": {
        "test_measured_a": {
            "history": [],
            "metrics": {
                "loss": {"better": "lower", "unit": "", "variability": "deterministic"},
                "wall_time": {"better": "lower", "unit": "s", "variability": "noisy"},
            },
            "points": [
                {
                    "id": "0a1b2c3d",
                    "recorded_at": "2026-01-01T00:00:00Z",
                    "metrics": {"loss": {"value": 1.0}, "wall_time": {"value": 0.5}},
                }
            ],
        }
    },
}


Damage = Callable[[dict[str, Any]], str]
"""Changes a file's data (``VALID``, perhaps with more tests) and gives the file's text."""


def _changed(change: Callable[[dict[str, Any]], None]) -> Damage:
    """The damage done by ``change``, in the writer's layout."""

    def damage(data: dict[str, Any]) -> str:
        change(data)
        return format_json(data)

    return damage


def _replaced(old: str, new: str) -> Damage:
    """The writer's text with the first ``old`` (in test_measured_a's entry) made ``new``."""

    def damage(data: dict[str, Any]) -> str:
        text = format_json(data)
        assert old in text
        return text.replace(old, new, 1)

    return damage


def _edit(change: Callable[[dict[str, Any]], None]) -> bytes:
    return _changed(change)(copy.deepcopy(VALID)).encode()


def _point(data: dict[str, Any]) -> dict[str, Any]:
    point: dict[str, Any] = data["tests"]["test_measured_a"]["points"][0]
    return point


ENTRY_CASES: dict[str, tuple[Damage, str]] = {
    # name: (the damage to test_measured_a's entry, the problem in the message); the fix is
    # "fix or remove" for all. In the writer's layout, only that test errors.
    "value is a string": (
        _changed(lambda d: _point(d)["metrics"]["loss"].update(value="1.0")),
        "test '{test}', point 0, metric 'loss': '1.0' is not a number",
    ),
    "points is an object": (
        _changed(lambda d: d["tests"]["test_measured_a"].update(points={})),
        "test '{test}': 'points' and 'history' must be lists",
    ),
    "unknown direction": (
        _changed(lambda d: d["tests"]["test_measured_a"]["metrics"]["loss"].update(better="up")),
        "test '{test}': metric 'loss': better='up' is not a direction",
    ),
    "undeclared metric": (
        _changed(lambda d: _point(d)["metrics"].update(flops={"value": 3.0})),
        "test '{test}', point 0: metrics ['flops'] are not declared",
    ),
    "negative time": (
        _changed(lambda d: _point(d)["metrics"]["wall_time"].update(value=-0.5)),
        "{test}: wall_time = -0.5 s is negative, which a measurement cannot be",
    ),
    "process median is a string": (
        _changed(
            lambda d: _point(d)["metrics"].update(
                wall_time={"value": 0.5, "medians": ["0.5"], "rounds": [3], "spread": [0.0]}
            )
        ),
        "test '{test}', point 0, metric 'wall_time': 'medians': '0.5' is not a number",
    ),
    "round count is not whole": (
        _changed(
            lambda d: _point(d)["metrics"].update(
                wall_time={"value": 0.5, "medians": [0.5], "rounds": [2.5], "spread": [0.0]}
            )
        ),
        "test '{test}', point 0, metric 'wall_time': 'rounds' must hold one whole number >= 1 "
        "per process",
    ),
    "negative time in history": (
        _changed(
            lambda d: d["tests"]["test_measured_a"]["history"].append(
                {"at": "x", "event": "run", "point": {"values": {"wall_time": -0.5}}}
            )
        ),
        "{test}: wall_time = -0.5 s is negative, which a measurement cannot be",
    ),
    "NaN in an entry": (
        _replaced('"value": 1.0', '"value": NaN'),
        "test 'test_measured_a' is not valid JSON (NaN is not allowed in baseline files)",
    ),
    "duplicate key in an entry": (
        _replaced('"history": [],', '"history": [],\n      "history": [],'),
        "test 'test_measured_a' is not valid JSON (key 'history' appears twice in one object)",
    ),
    "overflowing number in an entry": (
        _replaced('"value": 1.0', '"value": 1e999'),
        "test '{test}', point 0, metric 'loss': inf is not a finite number",
    ),
    "entry is not JSON": (
        _replaced('"history": [],', '"history": []'),
        "test 'test_measured_a' is not valid JSON (Expecting ',' delimiter: line 7 column 7 "
        "(char 128))",
    ),
}
WRITABLE_ENTRY_CASES = sorted(
    set(ENTRY_CASES)
    - {"NaN in an entry", "duplicate key in an entry", "entry is not JSON"}
    - {"overflowing number in an entry"}
)
"""The entry cases that any JSON writer can write (in any layout)."""


def _with_sibling() -> dict[str, Any]:
    """``VALID`` with a second, well-formed test after test_measured_a."""
    data = copy.deepcopy(VALID)
    data["tests"]["test_sibling"] = copy.deepcopy(VALID["tests"]["test_measured_a"])
    return data


def _named_twice() -> bytes:
    """The writer's text of ``VALID`` with test_measured_a's entry twice."""
    text = format_json(VALID)
    start = text.index('    "test_measured_a": {')
    end = text.index("\n    }", start) + len("\n    }")
    return (text[:end] + ",\n" + text[start:end] + text[end:]).encode()


CASES: dict[str, tuple[bytes, str, str]] = {
    # name: (file content, problem in the message, fix in the message)
    "truncated JSON": (
        json.dumps(VALID).encode()[:-40],
        "not valid JSON (",
        "git checkout -- FILE",
    ),
    "empty file": (b"", "not valid JSON (", "git checkout -- FILE"),
    "not a baseline file": (b"[1, 2, 3]", "not a pytest-pareto baseline file", "fix or remove"),
    "tests is a list": (
        _edit(lambda d: d.update(tests=[])),
        "'tests' must be an object",
        "fix or remove",
    ),
    "future schema": (
        _edit(lambda d: d.update(schema_version=99)),
        f"written by a newer pytest-pareto (schema 99, this one reads up to {SCHEMA_VERSION})",
        "upgrade pytest-pareto (pip install -U pytest-pareto)",
    ),
    "schema zero": (
        _edit(lambda d: d.update(schema_version=0)),
        "unknown schema version 0",
        "fix or remove",
    ),
    "schema as text": (
        _edit(lambda d: d.update(schema_version=str(SCHEMA_VERSION))),
        "'schema_version' must be an integer",
        "fix or remove",
    ),
    "NaN": (
        json.dumps(VALID).replace('"value": 1.0', '"value": NaN').encode(),
        "not valid JSON (NaN is not allowed in baseline files)",
        "fix or remove",
    ),
    "Infinity": (
        json.dumps(VALID).replace('"value": 1.0', '"value": -Infinity').encode(),
        "not valid JSON (-Infinity is not allowed in baseline files)",
        "fix or remove",
    ),
    "overflowing number": (
        json.dumps(VALID).replace('"value": 1.0', '"value": 1e999').encode(),
        "test '{test}', point 0, metric 'loss': inf is not a finite number",
        "fix or remove",
    ),
    "duplicate test key": (
        json.dumps(VALID).replace('"tests": {', '"tests": {"test_measured_a": {}, ').encode(),
        "not valid JSON (key 'test_measured_a' appears twice in one object)",
        "fix or remove",
    ),
    "test named twice": (
        _named_twice(),
        "not valid JSON (key 'test_measured_a' appears twice in one object)",
        "fix or remove",
    ),
    "merge conflict in an entry": (
        format_json(VALID)
        .replace('"history": [],', '"history": [],\n<<<<<<< HEAD\n=======\n>>>>>>> branch')
        .encode(),
        "holds unresolved git merge conflict markers",
        "take one side (`git checkout --ours FILE` or `--theirs FILE`)",
    ),
    "merge conflict": (
        b'{\n<<<<<<< HEAD\n  "format": "pytest-pareto baselines",\n=======\n'
        b'  "format": "other",\n>>>>>>> branch\n}\n',
        "holds unresolved git merge conflict markers",
        "take one side (`git checkout --ours FILE` or `--theirs FILE`)",
    ),
    "deep nesting": (b"[" * 200_000 + b"]" * 200_000, "not valid JSON (", "fix or remove"),
    "not UTF-8": (b'{"format": "\xff\xfe"}', "cannot be read (", "fix or remove"),
    "pickle": (
        pickle.dumps({"format": "pytest-pareto baselines"}),
        "cannot be read (",
        "fix or remove",
    ),
    "python code": (
        b"__import__('os').system('touch PWNED')",
        "not valid JSON (",
        "fix or remove",
    ),
}

CASES.update(
    (name, (damage(copy.deepcopy(VALID)).encode(), problem, "fix or remove"))
    for name, (damage, problem) in ENTRY_CASES.items()
)


def _slug(case: str) -> str:
    return "test_" + case.replace(" ", "_").replace("-", "_")


SPECIAL = ("huge file", "named pipe", "folder")


def _write_case(path: Path, case: str) -> None:
    if case == "huge file":
        with path.open("wb") as handle:  # sparse: large on paper, nothing written
            handle.truncate(MAX_FILE_BYTES + 1)
    elif case == "named pipe":
        os.mkfifo(path)  # reading it would block the run forever
    elif case == "folder":
        path.mkdir()
    else:
        path.write_bytes(CASES[case][0])


def _expected(case: str, test_id: str) -> tuple[str, str]:
    if case == "huge file":
        return f"is over the {MAX_FILE_BYTES}-byte limit", "remove it"
    if case in ("named pipe", "folder"):
        return "is not a regular file", "remove it"
    _, problem, fix = CASES[case]
    return problem.format(test=test_id), fix


def _snapshot(path: Path) -> object:
    if path.is_dir() or not path.is_file():
        return path.lstat().st_mode
    return path.read_bytes()


ALL_CASES = sorted(CASES) + [c for c in SPECIAL if c != "named pipe" or hasattr(os, "mkfifo")]


@pytest.mark.parametrize("case", ALL_CASES)
def test_store_names_the_file_the_problem_and_the_fix(tmp_path: Path, case: str) -> None:
    path = tmp_path / "tests" / "test_mod.py.json"
    path.parent.mkdir()
    _write_case(path, case)
    before = _snapshot(path)
    problem, fix = _expected(case, "tests/test_mod.py::test_measured_a")
    with pytest.raises(BaselineFileError) as info:
        Store(tmp_path).load("tests/test_mod.py::test_measured_a")
    assert str(info.value).startswith(f"{path}: {problem}")
    assert info.value.path == path
    assert fix in info.value.fix
    other = "tests/test_mod.py::test_other"
    if case in ENTRY_CASES:  # only the malformed entry's test errors
        assert Store(tmp_path).load(other) is None
    else:
        with pytest.raises(BaselineFileError, match="^" + re.escape(f"{path}: {problem}")):
            Store(tmp_path).load(other)
    assert _snapshot(path) == before


@pytest.mark.slow
def test_bad_files_error_their_modules_tests_and_the_run_goes_on(
    pytester: pytest.Pytester,
) -> None:
    """One run with a module per bad file: a damaged frame errors each of its module's measured
    tests, a malformed entry its own test only, with their file's message; everything else
    passes, and no bad file is touched, even by an update: writing the other test's result
    into a file with a malformed entry is refused, saying why."""
    store = pytester.path / "baselines"
    store.mkdir()
    pytester.makepyfile(test_ok=GOOD_MODULE, **{_slug(case): BAD_MODULE for case in ALL_CASES})
    for case in ALL_CASES:
        _write_case(store / f"{_slug(case)}.py.json", case)
    before = {case: _snapshot(store / f"{_slug(case)}.py.json") for case in ALL_CASES}
    entry_cases = len(ENTRY_CASES)  # test_measured_b, without an entry, passes

    for update in (False, True):
        result = pytester.runpytest("-p", "no:randomly", *(["--pareto-update"] if update else []))
        result.assert_outcomes(
            passed=len(ALL_CASES) + 2 + entry_cases, errors=2 * len(ALL_CASES) - entry_cases
        )
        output = result.stdout.str()
        for case in ALL_CASES:
            module = f"{_slug(case)}.py"
            problem, fix = _expected(case, f"{module}::test_measured_a")
            assert f"pareto: {store / module}.json: {problem}" in output, case
            assert fix in output
            if update and case in ENTRY_CASES:
                assert f"error: {store / module}.json: {problem}" in output, case
        assert "PWNED" not in {p.name for p in pytester.path.iterdir()}
        assert {case: _snapshot(store / f"{_slug(case)}.py.json") for case in ALL_CASES} == before
    # The good module's frontier was written by the update run.
    assert Store(store).load("test_ok.py::test_measured_ok") is not None


def test_file_corrupted_during_an_update_run_is_not_overwritten(
    pytester: pytest.Pytester,
) -> None:
    """The file was fine at setup and broken by the time the run writes: the write is refused."""
    pytester.makepyfile(
        test_mod="""
        from pathlib import Path

        def test_measured(pareto):
            pareto.record("loss", 1.0)
            Path("baselines/test_mod.py.json").write_text('{"format": ')
        """
    )
    path = pytester.path / "baselines" / "test_mod.py.json"
    path.parent.mkdir()
    path.write_text(json.dumps(VALID))
    result = pytester.runpytest("--pareto-update")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines([f"error: {path}: not valid JSON (*"])
    assert path.read_text() == '{"format": '


def test_a_bad_file_is_parsed_once_per_run(tmp_path: Path) -> None:
    """Each test of the module gets the same error, without re-reading the file."""
    store = Store(tmp_path)
    path = tmp_path / "tests" / "test_mod.py.json"
    path.parent.mkdir()
    path.write_text("not json")
    errors = []
    for name in ("a", "b"):
        with pytest.raises(BaselineFileError) as info:
            store.load(f"tests/test_mod.py::{name}")
        errors.append(info.value)
    assert errors[0] is errors[1]
    path.write_text(json.dumps(VALID))  # fixed: a new inode, size and time, so read again
    assert store.load("tests/test_mod.py::test_measured_a") is not None


def test_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "test_mod.py.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(VALID).encode())
    baseline = Store(tmp_path).load("test_mod.py::test_measured_a")
    assert baseline is not None
    assert baseline.points[0].values() == {"loss": 1.0, "wall_time": 0.5}


def _grow_after_stat(monkeypatch: pytest.MonkeyPatch, path: Path, grown: bytes) -> None:
    """Replace the file's bytes between the size check and the read, as a writer might."""
    real_open = Path.open

    def open_grown(self: Path, *args: Any, **kwargs: Any) -> Any:
        if self == path and args[:1] == ("rb",):
            monkeypatch.setattr(Path, "open", real_open)
            path.write_bytes(grown)
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", open_grown)


def test_a_file_that_grows_while_it_is_read_is_read_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "test_m.py.json"
    path.write_text(json.dumps(VALID))
    data = copy.deepcopy(VALID)
    data["tests"]["test_added"] = copy.deepcopy(VALID["tests"]["test_measured_a"])
    _grow_after_stat(monkeypatch, path, json.dumps(data, indent=4).encode())
    assert Store(tmp_path).load("test_m.py::test_added") is not None


def test_a_file_that_grows_past_the_limit_while_it_is_read_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "test_m.py.json"
    good = json.dumps(VALID).encode()
    path.write_bytes(good)
    monkeypatch.setattr("pytest_pareto.store.baseline_files.MAX_FILE_BYTES", len(good) + 10)
    _grow_after_stat(monkeypatch, path, good + b" " * 100)
    with pytest.raises(BaselineFileError, match="byte limit"):
        Store(tmp_path).load("test_m.py::test_measured_a")


@pytest.mark.parametrize("case", sorted(ENTRY_CASES))
def test_a_malformed_entry_errors_only_its_own_test(tmp_path: Path, case: str) -> None:
    """The well-formed test beside it loads; reading the whole file is refused, naming the
    malformed test, as an update does before it writes."""
    damage, problem = ENTRY_CASES[case]
    path = tmp_path / "test_mod.py.json"
    path.write_text(damage(_with_sibling()))
    store = Store(tmp_path)
    expected = f"{path}: {problem.format(test='test_mod.py::test_measured_a')}"
    with pytest.raises(BaselineFileError, match="^" + re.escape(expected)):
        store.load("test_mod.py::test_measured_a")
    sibling = store.load("test_mod.py::test_sibling")
    assert sibling is not None
    assert sibling.points[0].values() == {"loss": 1.0, "wall_time": 0.5}
    with pytest.raises(BaselineFileError, match="^" + re.escape(expected)):
        Store(tmp_path).read_file(path)


@pytest.mark.parametrize("case", ["value is a string", "entry is not JSON"])
def test_an_update_of_a_file_with_another_tests_entry_malformed_writes_nothing(
    tmp_path: Path, case: str
) -> None:
    damage, problem = ENTRY_CASES[case]
    path = tmp_path / "test_mod.py.json"
    path.write_text(damage(_with_sibling()))
    before = path.read_bytes()
    expected = f"{path}: {problem.format(test='test_mod.py::test_measured_a')}"
    with pytest.raises(BaselineFileError, match="^" + re.escape(expected)):
        Store(tmp_path).update("test_mod.py::test_sibling", lambda baseline: baseline)
    with pytest.raises(BaselineFileError, match="^" + re.escape(expected)):
        Store(tmp_path).update("test_mod.py::test_new", lambda baseline: baseline)
    assert path.read_bytes() == before


LAYOUTS: dict[str, Callable[[dict[str, Any]], str]] = {
    "indent 4": lambda data: json.dumps(data, indent=4) + "\n",
    "minified": lambda data: json.dumps(data, separators=(",", ":")),
    "CRLF": lambda data: format_json(data).replace("\n", "\r\n"),
    "no final newline": lambda data: format_json(data).rstrip("\n"),
    "unsorted": lambda data: json.dumps(dict(reversed(data.items())), indent=2) + "\n",
    "extra key": lambda data: format_json({**data, "note": "edited by hand"}),
}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_a_file_in_another_layout_is_read_whole(tmp_path: Path, layout: str) -> None:
    """Read as the writer's layout would be, and a malformed entry errors every test of the
    module, as before files were read lazily."""
    (tmp_path / "test_w.py.json").write_text(format_json(_with_sibling()))
    (tmp_path / "test_o.py.json").write_text(LAYOUTS[layout](_with_sibling()))
    for name in ("test_measured_a", "test_sibling", "test_absent"):
        expected = Store(tmp_path).load(f"test_w.py::{name}")
        got = Store(tmp_path).load(f"test_o.py::{name}")
        assert (got and got.to_json()) == (expected and expected.to_json())
    for case in WRITABLE_ENTRY_CASES:
        data = json.loads(ENTRY_CASES[case][0](_with_sibling()))
        path = tmp_path / "test_o.py.json"
        path.write_text(LAYOUTS[layout](data))
        problem = ENTRY_CASES[case][1].format(test="test_o.py::test_measured_a")
        for name in ("test_measured_a", "test_sibling"):
            with pytest.raises(BaselineFileError, match="^" + re.escape(f"{path}: {problem}")):
                Store(tmp_path).load(f"test_o.py::{name}")


def test_a_file_that_looks_like_the_writers_but_is_not_is_read_whole(tmp_path: Path) -> None:
    """Valid JSON whose entries do not start and end where the writer puts them: each test
    reads as in the whole file, whichever is asked for first."""
    path = tmp_path / "test_m.py.json"
    text = format_json(_with_sibling())
    edited = text.replace('\n    },\n    "test_sibling": {', '\n  }, "test_sibling": {')
    assert edited != text
    path.write_text(edited)
    assert Store(tmp_path).read_entries(path).names == ("test_measured_a",)  # as lines show
    for first, then in [("test_measured_a", "test_sibling"), ("test_sibling", "test_measured_a")]:
        store = Store(tmp_path)
        for name in (first, then):
            baseline = store.load(f"test_m.py::{name}")
            assert baseline is not None
            assert baseline.points[0].values() == {"loss": 1.0, "wall_time": 0.5}
