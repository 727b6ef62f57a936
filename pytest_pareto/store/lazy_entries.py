"""The tests of one baseline file, each decoded when it is first asked for.

The writer lays a file out one way (sorted keys, two-space indentation, a newline at the end):
each test's entry under ``"tests"`` starts on a line of its own, indented by four spaces, and
ends on a line of four spaces and a closing brace. JSON strings cannot hold a raw newline, so
these lines can be found without parsing anything else: :func:`index_entries` finds them and
checks that they are exactly what the writer writes (one entry after another, the commas
between them, no test named twice); :class:`ModuleEntries` decodes an entry -- strictly:
no duplicate keys, no NaN or infinity, the same checks as a whole file -- when its test is
first asked for, and keeps it. A malformed entry fails only its own test.

A file in any other layout is parsed whole by the caller (``baseline_files``); this module
only says that it is not in the writer's layout.
"""

from __future__ import annotations

import contextlib
import gc
import json
import re
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from pytest_pareto.errors import BaselineFileError, ConfigError
from pytest_pareto.model.metrics import BUILTIN_METRICS
from pytest_pareto.model.points import TestBaseline

__all__ = [
    "ModuleEntries",
    "baseline_of",
    "check_values",
    "gc_paused",
    "index_entries",
    "reject_constant",
    "unique_keys",
]


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    # Parsing builds many small acyclic objects; cyclic collections triggered meanwhile scan
    # the whole heap again and again (nearly half the time of loading a large store).
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def reject_constant(token: str) -> float:
    raise ValueError(f"{token} is not allowed in baseline files")


def unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # A hand-merged file may hold a key twice; json would silently keep the last one.
    data = dict(pairs)
    if len(data) != len(pairs):
        keys = [key for key, _ in pairs]
        duplicate = next(key for key in keys if keys.count(key) > 1)
        raise ValueError(f"key {duplicate!r} appears twice in one object")
    return data


_DECODER = json.JSONDecoder(parse_constant=reject_constant, object_pairs_hook=unique_keys)

_ENTRY_LINE = re.compile(r"\n    (?=[^ ])")
"""The start of a line indented by exactly four spaces: where an entry starts or ends."""
_ENTRY_HEAD = re.compile(r'    "((?:[^"\\\x00-\x1f]|\\.)*)": \{')
_LAST_TAIL = "    }"
_TAIL = _LAST_TAIL + ","


Whole = Callable[[], Mapping[str, TestBaseline]]
"""Parses and checks a file whole: its tests by name, or :class:`BaselineFileError`."""


def index_entries(
    path: Path, module: str, text: str, frame: tuple[str, str], whole: Whole
) -> ModuleEntries | None:
    """The entries of a file in the writer's layout, none of them decoded yet; ``None`` when
    the file is laid out otherwise, or names a test twice (then only parsing it whole can
    tell what it holds, or say what is wrong with it).

    ``frame`` is what the writer writes before the first entry and after the last one;
    ``whole`` reads the file whole, for when an entry turns out not to be JSON on its own
    although the file is (:class:`ModuleEntries`).
    """
    header, footer = frame
    if not (text.startswith(header) and text.endswith(footer)):
        return None
    end = len(text) - len(footer)
    spans: dict[str, tuple[int, int]] = {}
    expected = len(header)  # where the next entry's first line must start
    lines = (m.start() + 1 for m in _ENTRY_LINE.finditer(text, len(header) - 1, end))
    for head_at in lines:
        tail_at = next(lines, None)
        head = _ENTRY_HEAD.fullmatch(text, head_at, text.find("\n", head_at))
        name = _name(head.group(1)) if head else None
        if head_at != expected or tail_at is None or head is None or name is None:
            return None
        last = tail_at + len(_LAST_TAIL) == end and text.startswith(_LAST_TAIL, tail_at)
        if not last and not text.startswith(_TAIL + "\n", tail_at):
            return None
        if name in spans:
            return None
        spans[name] = (head.end() - 1, tail_at + len(_LAST_TAIL))
        if last:
            return ModuleEntries(path, module, text, spans, whole=whole)
        expected = tail_at + len(_TAIL) + 1
    return None


def _name(inner: str) -> str | None:
    """The test name a JSON string literal (without its quotes) stands for, if it is one."""
    if "\\" not in inner:
        return inner
    try:
        name = json.loads(f'"{inner}"')
    except ValueError:
        return None
    return name if isinstance(name, str) else None


class ModuleEntries:
    """The tests of one baseline file by name; each decoded and checked when first asked for
    (:meth:`get`), then kept, and so is the error of a malformed one.

    An entry that is not valid JSON on its own fails its test, unless the file as a whole is
    valid JSON: then the entries were not where the writer puts them (a file edited by hand),
    and the file is read whole instead, as a file in another layout is. So is a file asked
    for a test that no line starts but whose name the text holds as a key.
    """

    def __init__(
        self,
        path: Path,
        module: str,
        text: str = "",
        spans: Mapping[str, tuple[int, int]] | None = None,
        decoded: Mapping[str, TestBaseline] | None = None,
        whole: Whole | None = None,
    ) -> None:
        self.path = path
        self.module = module
        self._text = text
        self._spans = dict(spans or {})
        self._done: dict[str, TestBaseline | BaselineFileError] = dict(decoded or {})
        self._names = tuple(self._spans) + tuple(n for n in self._done if n not in self._spans)
        self._whole = whole
        self._error: BaselineFileError | None = None
        """Set when the file, read whole, fails every test."""

    @property
    def names(self) -> tuple[str, ...]:
        """The tests of the file, in the file's order."""
        return self._names

    @property
    def decoded(self) -> frozenset[str]:
        """The tests decoded so far (well-formed or not)."""
        return frozenset(self._done)

    def get(self, name: str) -> TestBaseline | None:
        """The baseline of test ``name`` of the module, or ``None`` if the file has none;
        raises :class:`BaselineFileError` if its entry is malformed."""
        if self._error is not None:
            raise self._error
        done = self._done.get(name)
        if done is None:
            span = self._spans.get(name)
            if span is None and not self._may_hide(name):
                return None
            decoded = None if span is None else self._decode(name, *span)
            if decoded is None:
                self._read_whole()
                return self.get(name)
            done = self._done[name] = decoded
            if len(self._done) == len(self._spans):  # all decoded: the text is not needed
                self._text, self._whole = "", None
        if isinstance(done, BaselineFileError):
            raise done
        return done

    def decode_all(self) -> dict[str, TestBaseline]:
        """Every test's baseline by name; raises the error of the first malformed entry."""
        with gc_paused():
            for name in self.names:
                self.get(name)  # may find that the file must be read whole: names change
        found = {name: self.get(name) for name in self.names}
        return {name: baseline for name, baseline in found.items() if baseline is not None}

    def __iter__(self) -> Iterator[TestBaseline]:
        """Every test's baseline (all decoded first); raises as :meth:`decode_all` does."""
        return iter(self.decode_all().values())

    def _decode(self, name: str, start: int, end: int) -> TestBaseline | BaselineFileError | None:
        """The test's baseline, or the error it fails with; ``None`` if the entry is not
        JSON on its own but the file is."""
        try:
            entry = _DECODER.decode(self._text[start:end])
        except json.JSONDecodeError as exc:
            if self._whole is not None and _is_json(self._text):
                return None
            where = self._position(start + exc.pos)
            problem = f"test {name!r} is not valid JSON ({exc.msg}: {where})"
            return BaselineFileError(self.path, problem)
        except (ValueError, RecursionError) as exc:
            return BaselineFileError(self.path, f"test {name!r} is not valid JSON ({exc})")
        try:
            baseline = baseline_of(self.path, self.module, name, entry)
            check_values(self.path, baseline)
        except BaselineFileError as exc:
            return exc
        return baseline

    def _may_hide(self, name: str) -> bool:
        """Whether an entry of test ``name`` may be in the file although no line starts it
        where the writer would (an edited file): the text holds the name as a key."""
        return bool(self._text) and f"{json.dumps(name, ensure_ascii=False)}: {{" in self._text

    def _read_whole(self) -> None:
        """Read the file whole from now on (see the class)."""
        whole, self._whole = self._whole, None
        tests: Mapping[str, TestBaseline] = {}
        if whole is not None:  # always, for a file read lazily
            try:
                tests = whole()
            except BaselineFileError as exc:
                self._error = exc
        self._text, self._spans, self._done = "", {}, dict(tests)
        self._names = tuple(tests)

    def _position(self, at: int) -> str:
        line = self._text.count("\n", 0, at) + 1
        column = at - self._text.rfind("\n", 0, at)
        return f"line {line} column {column} (char {at})"


def _is_json(text: str) -> bool:
    try:
        _DECODER.decode(text)
    except (ValueError, RecursionError):
        return False
    return True


def baseline_of(path: Path, module: str, name: str, entry: Any) -> TestBaseline:
    """The baseline of test ``name`` from its decoded entry, or :class:`BaselineFileError`."""
    test_id = f"{module}::{name}" if name else module
    try:
        return TestBaseline.from_json(test_id, entry, str(path))
    except ConfigError as exc:
        raise BaselineFileError(path, str(exc).removeprefix(f"{path}: ")) from None
    except (TypeError, ValueError, KeyError, AttributeError, OverflowError) as exc:
        raise BaselineFileError(path, f"test {name!r} is malformed ({exc!r})") from None


_NON_NEGATIVE_UNITS = frozenset({"s", "B", "J", "FLOP"})
"""Units of quantities that cannot be negative (a time, a size, an energy, a count)."""


def check_values(path: Path, baseline: TestBaseline) -> None:
    """Raise :class:`BaselineFileError` for a negative time or size (values are finite
    already: the model rejects others)."""
    checked = [baseline.metrics.get(name) or BUILTIN_METRICS.get(name) for name in baseline.metrics]
    names = [m.name for m in checked if m is not None and m.unit in _NON_NEGATIVE_UNITS]
    if not names:
        return
    lowest = [
        (min(obs.per_process), name)
        for point in baseline.points
        for name, obs in point.observations.items()
        if name in names
    ]
    for entry in baseline.history:
        values = entry.summary.values
        lowest.extend((values[name], name) for name in names if name in values)
    value, name = min(lowest, default=(0.0, ""))
    if not value >= 0:
        unit = baseline.metrics[name].unit
        raise BaselineFileError(
            path,
            f"{baseline.test_id}: {name} = {value!r} {unit} is negative, "
            "which a measurement cannot be",
        )
