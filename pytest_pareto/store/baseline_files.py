"""Baseline files: one versioned JSON file per test module under ``baselines/``.

Files are written with sorted keys, two-space indentation and a trailing newline so that
diffs are small and merges local; every write is atomic (temporary file, fsync, rename) and
happens under a lock file, so a reader sees the old file or the new one, never a mix.

A file is read lazily when it is in the writer's layout: its frame is checked when it is
read, each test's entry when that test is first loaded (``lazy_entries``); a file laid out
otherwise (edited by hand, an older schema) is parsed and checked whole.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from pytest_pareto.errors import BaselineFileError
from pytest_pareto.model.points import TestBaseline
from pytest_pareto.store.lazy_entries import (
    ModuleEntries,
    baseline_of,
    check_values,
    gc_paused,
    index_entries,
    reject_constant,
    unique_keys,
)
from pytest_pareto.store.locks import file_lock
from pytest_pareto.store.migrations import OLDEST_SCHEMA_VERSION, migrate
from pytest_pareto.store.temp_files import TEMP_PREFIX, create_temp_file

__all__ = [
    "FORMAT_NAME",
    "SCHEMA_VERSION",
    "BaselineFile",
    "Store",
    "format_json",
    "read_entries",
    "split_test_id",
    "write_atomically",
]

FORMAT_NAME = "pytest-pareto baselines"
SCHEMA_VERSION = 2
MAX_FILE_BYTES = 64 * 1024 * 1024
"""Refuse to parse larger files: a baseline file this big is a mistake or an attack."""

_TEMP_PREFIX = TEMP_PREFIX
_CONFLICT_MARKERS = ("\n<<<<<<< ", "\n=======\n", "\n>>>>>>> ")


def split_test_id(test_id: str) -> tuple[str, str]:
    """Split a node id into (module path, name within the module)."""
    module, sep, name = test_id.partition("::")
    if not sep:
        return module, ""
    return module, name


def format_json(data: Any) -> str:
    """Stable, diffable JSON: sorted keys, 2-space indent, number lists on one line, newline.

    Raises ``ValueError`` for NaN or infinity, which JSON cannot hold.
    """

    def scalar(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False, allow_nan=False)

    def render(value: Any, depth: int) -> str:
        pad, inner = "  " * depth, "  " * (depth + 1)
        if isinstance(value, dict):
            if not value:
                return "{}"
            items = [
                f"{inner}{scalar(str(k))}: {render(v, depth + 1)}" for k, v in sorted(value.items())
            ]
            return "{\n" + ",\n".join(items) + "\n" + pad + "}"
        if isinstance(value, list | tuple):
            if not value:
                return "[]"
            if all(isinstance(v, int | float | str | bool) or v is None for v in value):
                return "[" + ", ".join(scalar(v) for v in value) + "]"
            items = [inner + render(v, depth + 1) for v in value]
            return "[\n" + ",\n".join(items) + "\n" + pad + "]"
        return scalar(value)

    return render(data, 0) + "\n"


class BaselineFile:
    """The parsed content of one baseline file: the baselines of one test module."""

    def __init__(self, path: Path, tests: Mapping[str, TestBaseline] | None = None) -> None:
        self.path = path
        self.tests: dict[str, TestBaseline] = dict(tests or {})

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT_NAME,
            "schema_version": SCHEMA_VERSION,
            "tests": {name: baseline.to_json() for name, baseline in sorted(self.tests.items())},
        }

    def dumps(self) -> str:
        return format_json(self.to_json())

    def fitted_text(self) -> str:
        """The file's text within :data:`MAX_FILE_BYTES`, so that the reader never refuses what
        the writer wrote: when over it, the oldest history entries of the file go first; a
        file over it without any history is refused (:class:`BaselineFileError`)."""
        text = self.dumps()
        entries = sorted(
            (entry.at, name, i)
            for name, baseline in self.tests.items()
            for i, entry in enumerate(baseline.history)
        )
        drop = max(1, len(entries) // 8)
        while len(text.encode()) > MAX_FILE_BYTES:
            if not entries or drop > len(entries):
                raise BaselineFileError(
                    self.path,
                    f"would be over the {MAX_FILE_BYTES}-byte limit ({len(text.encode())} bytes) "
                    "even without history: too many points in one module; nothing was written",
                    "split the module's measured tests over several modules, or remove old "
                    "machines' points (pytest-pareto prune --machine CLASS)",
                )
            gone = {(name, i) for _, name, i in entries[:drop]}
            text = self._without(gone).dumps()
            drop = min(len(entries), drop * 2) if drop < len(entries) else drop + 1
        return text

    def _without(self, gone: set[tuple[str, int]]) -> BaselineFile:
        tests = {
            name: replace(
                baseline,
                history=tuple(h for i, h in enumerate(baseline.history) if (name, i) not in gone),
            )
            for name, baseline in self.tests.items()
        }
        return BaselineFile(self.path, tests)

    @classmethod
    def parse(cls, path: Path, text: str, module: str) -> BaselineFile:
        """Parse and validate a file's text, every test of it; raise
        :class:`BaselineFileError` saying why not."""
        return cls(path, read_entries(path, text, module).decode_all())


def _header() -> str:
    """What the writer writes before the first test's entry (after the last: :data:`_FOOTER`)."""
    return (
        f'{{\n  "format": {json.dumps(FORMAT_NAME)},\n  "schema_version": {SCHEMA_VERSION},\n'
        '  "tests": {\n'
    )


_FOOTER = "\n  }\n}\n"


def _has_conflict_markers(text: str) -> bool:
    # A search for one character is fast (memchr); for a marker, far slower: only look for
    # the markers whose character occurs at all.
    return text.startswith("<<<<<<< ") or any(
        marker in text for marker in _CONFLICT_MARKERS if marker[1] in text
    )


def read_entries(path: Path, text: str, module: str) -> ModuleEntries:
    """The tests of a file's text. A file in the writer's layout is checked as a whole (its
    frame: format, schema, where each test's entry lies, no test twice) and each test decoded
    and checked when first asked for; a file laid out otherwise is parsed and checked whole.
    Raises :class:`BaselineFileError` for what fails every test of the file."""
    if _has_conflict_markers(text):
        raise BaselineFileError(
            path,
            "holds unresolved git merge conflict markers",
            "resolve it: take one side (`git checkout --ours FILE` or `--theirs FILE`) and "
            "re-run `pytest --pareto-update` on the other side's code to add its results",
        )

    def whole() -> dict[str, TestBaseline]:
        with gc_paused():
            return _parse_whole(path, text, module)

    entries = index_entries(path, module, text, (_header(), _FOOTER), whole)
    return entries if entries is not None else ModuleEntries(path, module, decoded=whole())


def _parse_whole(path: Path, text: str, module: str) -> dict[str, TestBaseline]:
    try:
        data = json.loads(text, parse_constant=reject_constant, object_pairs_hook=unique_keys)
    except (ValueError, RecursionError) as exc:
        raise BaselineFileError(path, f"not valid JSON ({exc})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT_NAME:
        raise BaselineFileError(
            path, f'not a pytest-pareto baseline file (no "format": "{FORMAT_NAME}")'
        )
    version = data.get("schema_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise BaselineFileError(path, "'schema_version' must be an integer")
    if version > SCHEMA_VERSION:
        raise BaselineFileError(
            path,
            f"written by a newer pytest-pareto (schema {version}, this one reads up to "
            f"{SCHEMA_VERSION})",
            "upgrade pytest-pareto (pip install -U pytest-pareto)",
        )
    if version < OLDEST_SCHEMA_VERSION:
        raise BaselineFileError(path, f"unknown schema version {version}")
    if version < SCHEMA_VERSION:
        data = migrate(path, data, version, SCHEMA_VERSION)
    tests = data.get("tests")
    if not isinstance(tests, dict):
        raise BaselineFileError(path, "'tests' must be an object")
    parsed = {name: baseline_of(path, module, name, entry) for name, entry in tests.items()}
    for baseline in parsed.values():
        check_values(path, baseline)
    return parsed


class Store:
    """The baselines of a project, under one root folder."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        self._parsed: dict[Path, tuple[tuple[int, ...], ModuleEntries | BaselineFileError]] = {}

    def path_for(self, test_id: str) -> Path:
        module, _ = split_test_id(test_id)
        parts = [part if part not in ("", ".", "..") else "_" for part in module.split("/")]
        return self.root.joinpath(*parts).with_name(parts[-1] + ".json")

    def _module_of(self, path: Path) -> str:
        relative = path.relative_to(self.root).as_posix()
        return relative.removesuffix(".json")

    def read_file(self, path: Path) -> BaselineFile:
        """Parse one baseline file, every test of it; a missing file is an empty one."""
        return BaselineFile(path, self.read_entries(path).decode_all())

    def read_entries(self, path: Path) -> ModuleEntries:
        """One baseline file's tests, each decoded when first asked for (see
        :func:`read_entries`); a missing file has none."""
        try:
            info = path.stat()
        except FileNotFoundError:
            return ModuleEntries(path, "")
        except OSError as exc:
            raise BaselineFileError(path, f"cannot be read ({exc.strerror})") from None
        return self._parse_file(path, info)

    def _parse_file(self, path: Path, info: os.stat_result) -> ModuleEntries:
        size = info.st_size
        if not stat.S_ISREG(info.st_mode):
            raise BaselineFileError(path, "is not a regular file", "remove it")
        too_big = BaselineFileError(
            path,
            f"is over the {MAX_FILE_BYTES}-byte limit ({size} bytes), far larger than "
            "pytest-pareto writes",
            "restore the committed file (`git checkout -- FILE`) or remove it",
        )
        if size > MAX_FILE_BYTES:
            raise too_big
        try:
            with path.open("rb") as handle:
                # read(n) allocates n bytes up front: ask for the size stat() gave, and
                # only if the file grew since, for the rest up to the limit.
                raw = handle.read(size + 1)
                if len(raw) > size:
                    raw += handle.read(MAX_FILE_BYTES + 1 - len(raw))
            text = raw.decode("utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise BaselineFileError(path, f"cannot be read ({exc})") from None
        if len(raw) > MAX_FILE_BYTES:
            raise too_big
        return read_entries(path, text, self._module_of(path))

    def load(self, test_id: str) -> TestBaseline | None:
        """The stored baseline of one test, or ``None``.

        A file is read and its frame checked once while it stays the same (same inode, size
        and modification time), however many of its tests are loaded, and each test's entry is
        decoded once, when first loaded; a bad file, or a test's malformed entry, raises the
        same error again.
        """
        _, name = split_test_id(test_id)
        return self._read_cached(self.path_for(test_id)).get(name)

    def _read_cached(self, path: Path) -> ModuleEntries:
        try:
            info = path.stat()
        except FileNotFoundError:
            self._parsed.pop(path, None)
            return ModuleEntries(path, "")
        except OSError as exc:
            raise BaselineFileError(path, f"cannot be read ({exc.strerror})") from None
        key = (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)
        cached = self._parsed.get(path)
        if cached is None or cached[0] != key:
            result: ModuleEntries | BaselineFileError
            try:
                result = self._parse_file(path, info)
            except BaselineFileError as exc:
                result = exc
            cached = self._parsed[path] = (key, result)
        if isinstance(cached[1], BaselineFileError):
            raise cached[1]
        return cached[1]

    def iter_files(self) -> Iterator[Path]:
        if not self.root.is_dir():
            return
        for path in sorted(self.root.rglob("*.json")):
            if not path.name.startswith(_TEMP_PREFIX) and path.is_file():
                yield path

    def iter_baselines(self) -> Iterator[TestBaseline]:
        """Every stored baseline, file by file, each test decoded as it goes."""
        for path in self.iter_files():
            yield from self.read_entries(path)

    @contextlib.contextmanager
    def locked(self, path: Path) -> Iterator[None]:
        """Hold the lock of one baseline file (kept outside the repository, per host)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        with file_lock(path):
            yield

    def update(
        self,
        test_id: str,
        change: Callable[[TestBaseline | None], TestBaseline | None],
    ) -> TestBaseline | None:
        """Read-modify-write one test's baseline under the file's lock.

        ``change`` gets the baseline as it is on disk now and returns the new one (``None``
        removes the test).
        """
        path = self.path_for(test_id)
        _, name = split_test_id(test_id)
        with self.locked(path):
            current = self.read_file(path)
            new = change(current.tests.get(name))
            if new is None:
                current.tests.pop(name, None)
            else:
                current.tests[name] = new
            self._write(current)
        return new

    def write(self, content: BaselineFile) -> None:
        """Write a whole baseline file under its lock (tools that build many tests at once);
        a file without tests is removed."""
        with self.locked(content.path):
            self._write(content)

    def _write(self, content: BaselineFile) -> None:
        path = content.path
        if not content.tests:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
            return
        write_atomically(path, content.fitted_text())


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` with ``text``: a temporary file in the same folder, fsync, rename, so a
    reader sees the old file or the new one, never a mix."""
    fd, tmp = create_temp_file(path)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
