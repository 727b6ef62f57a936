"""Notebooks as tests: ``pytest --pareto-notebooks`` runs notebooks in a real kernel.

Each ``%%pareto NAME`` cell (or ``%pareto NAME`` line) becomes one test item. The notebook
runs once, top to bottom, with nbclient; the kernel measures each such cell and writes what
it measured to a record file instead of judging it (see
:mod:`pytest_pareto.measuring.notebook_records`). Each item then hands its record to the session's
usual machinery: judged against the frontier like any test, accepted by ``--pareto-update``.
"""

from __future__ import annotations

import os
import re
import shlex
import tempfile
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from pytest_pareto.errors import ConfigError
from pytest_pareto.measuring.notebook_records import (
    DISABLE_ENV,
    NOTEBOOK_ENV,
    RECORD_ENV,
    CellRecord,
    read_records,
)
from pytest_pareto.measuring.options import TestOptions
from pytest_pareto.measuring.recorder import Recorder
from pytest_pareto.model.metrics import MetricRegistry
from pytest_pareto.plugin.keys import options_key, recorder_key

__all__ = ["NotebookCellItem", "NotebookCollector", "NotebookFile", "measured_cells"]

_CELL_MAGIC = re.compile(r"^\s*%%pareto(?:\s+(?P<line>.*))?$")
_LINE_MAGIC = re.compile(r"^\s*%pareto(?:\s+(?P<line>.*))?$")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


@dataclass(frozen=True)
class NotebookRunner:
    """How this run runs notebooks: the kernel, the timeout, and the metric definitions of a
    measuring run (``None`` with ``--pareto-disable``: the notebooks run, nothing is judged)."""

    timeout: int
    kernel: str
    registry: MetricRegistry | None


class NotebookCollector:
    """Registered as a plugin with ``--pareto-notebooks``: collects ``*.ipynb`` files."""

    def __init__(self, runner: NotebookRunner) -> None:
        self.runner = runner

    def pytest_collect_file(self, file_path: Path, parent: pytest.Collector) -> NotebookFile | None:
        if file_path.suffix == ".ipynb":
            return NotebookFile.from_parent(parent, path=file_path, runner=self.runner)
        return None


@dataclass(frozen=True)
class MeasuredCell:
    """A cell that measures: its index in the notebook and its ``NAME``."""

    index: int
    name: str


def _name_of(line: str, where: str) -> str:
    options, _, _ = line.partition(" -- ")
    try:
        words = shlex.split(options)
    except ValueError as exc:
        raise ConfigError(f"{where}: cannot split the magic's arguments ({exc})") from None
    if not words or words[0].startswith("-"):
        raise ConfigError(f"{where}: %%pareto needs NAME first, e.g. %%pareto predict --rounds 5")
    return words[0]


def measured_cells(notebook: Any, path: Path) -> list[MeasuredCell]:
    """The ``%%pareto`` cells and ``%pareto`` lines of a notebook, in order; names unique."""
    found: list[MeasuredCell] = []
    seen: dict[str, int] = {}
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        lines = cell.source.splitlines()
        first = next((i for i, line in enumerate(lines) if line.strip()), None)
        if first is None:
            continue
        where = f"{path.name}, cell {index}"
        cell_magic = _CELL_MAGIC.match(lines[first])
        candidates = [cell_magic] if cell_magic else [_LINE_MAGIC.match(line) for line in lines]
        for match in candidates:
            if match is None:
                continue
            name = _name_of(match.group("line") or "", where)
            if name in seen:
                raise ConfigError(
                    f"{where}: NAME {name!r} is already used by cell {seen[name]}; "
                    "each measured cell of a notebook needs its own NAME"
                )
            seen[name] = index
            found.append(MeasuredCell(index, name))
    return found


def _read_notebook(path: Path) -> Any:
    import nbformat

    return nbformat.read(path, as_version=4)  # type: ignore[no-untyped-call]


class NotebookCellError(Exception):
    """The kernel raised in (or before) a measured cell; the message is its traceback."""


@dataclass
class NotebookRun:
    """The outcome of running one notebook once."""

    records: dict[str, CellRecord] = field(default_factory=dict)
    failed_cell: int | None = None
    """Index of the cell that raised, or ``None``."""
    error: str = ""
    summary: str = ""
    """The error's last line, e.g. ``RuntimeError: injected failure``."""

    def error_for(self, index: int) -> str | None:
        if self.failed_cell is None or self.failed_cell > index:
            return None
        if self.failed_cell == index:
            return self.error
        return f"not run: cell {self.failed_cell} failed before it ({self.summary})"


class NotebookFile(pytest.File):
    """A notebook: one item per measured cell; the notebook runs once, for its first item."""

    _run: NotebookRun | None = None

    def __init__(self, *, runner: NotebookRunner, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.runner = runner

    def collect(self) -> Iterator[pytest.Item]:
        try:
            import nbclient  # noqa: F401  (needed to run it; say so at collection)
            import nbformat  # noqa: F401
        except ImportError:
            raise self.CollectError(
                "pytest --pareto-notebooks needs nbformat and nbclient: "
                "pip install 'pytest-pareto[jupyter]'"
            ) from None
        try:
            notebook = _read_notebook(self.path)
        except Exception as exc:  # nbformat raises several unrelated types for a bad file
            raise self.CollectError(f"{self.path}: not a readable notebook ({exc})") from None
        try:
            cells = measured_cells(notebook, self.path)
        except ConfigError as exc:
            raise self.CollectError(str(exc)) from None
        for cell in cells:
            item = NotebookCellItem.from_parent(self, name=cell.name, cell_index=cell.index)
            item.stash[options_key] = TestOptions()
            yield item

    def run_once(self) -> NotebookRun:
        if self._run is None:
            self._run = self._execute()
        return self._run

    def _execute(self) -> NotebookRun:
        import nbclient
        from nbclient.exceptions import CellExecutionError

        notebook = _read_notebook(self.path)
        kernel: dict[str, Any] = {"kernel_name": self.runner.kernel} if self.runner.kernel else {}
        current = {"index": -1}

        def on_cell_start(cell: Any, cell_index: int) -> None:
            current["index"] = cell_index

        client = nbclient.NotebookClient(
            notebook,
            timeout=self.runner.timeout,
            resources={"metadata": {"path": str(self.path.parent)}},
            on_cell_start=on_cell_start,
            **kernel,
        )
        run = NotebookRun()
        with tempfile.TemporaryDirectory(prefix="pytest-pareto-nb-") as folder:
            record_file = Path(folder, "records.jsonl")
            env = {
                **os.environ,
                NOTEBOOK_ENV: str(self.path),
                "JPY_SESSION_NAME": str(self.path),
            }
            if self.runner.registry is None:
                env[DISABLE_ENV] = "1"
            else:
                env[RECORD_ENV] = str(record_file)
            try:
                with warnings.catch_warnings():
                    # Jupyter's own deprecations (paths, datetime) are not the user's concern.
                    warnings.simplefilter("ignore", DeprecationWarning)
                    warnings.simplefilter("ignore", PendingDeprecationWarning)
                    client.execute(**_kernel_options(client, env))
            except CellExecutionError as exc:
                run.failed_cell = current["index"]
                run.error = _ANSI.sub("", str(exc))
                run.summary = f"{exc.ename}: {_ANSI.sub('', exc.evalue)}"
            except Exception as exc:  # kernel died, timed out, or could not start
                run.failed_cell = max(current["index"], 0)
                run.summary = f"{type(exc).__name__}: {_ANSI.sub('', str(exc))}"
                run.error = run.summary
            try:
                run.records = read_records(record_file)
            except ConfigError as exc:
                run.failed_cell, run.error, run.summary = 0, str(exc), str(exc)
        return run


def _kernel_options(client: Any, env: dict[str, str]) -> dict[str, Any]:
    options: dict[str, Any] = {"env": env}
    traits = client.kernel_manager_class.class_trait_names()
    if "transport_encryption" in traits:  # jupyter_client >= 8.9: encrypt where supported
        options["transport_encryption"] = "auto"
    return options


class NotebookCellItem(pytest.Item):
    """One measured cell of a notebook, judged like a measured test."""

    def __init__(self, *, cell_index: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.cell_index = cell_index

    @property
    def notebook(self) -> NotebookFile:
        parent = self.parent
        assert isinstance(parent, NotebookFile)
        return parent

    def runtest(self) -> None:
        run = self.notebook.run_once()
        error = run.error_for(self.cell_index)
        if error is not None:
            raise NotebookCellError(error)
        registry = self.notebook.runner.registry
        if registry is None:  # --pareto-disable: the notebook ran, nothing was measured
            return
        record = run.records.get(self.name)
        if record is None:
            raise NotebookCellError(
                f"cell {self.cell_index} ran but measured nothing: load the extension in an "
                "earlier cell (%load_ext nb_ext)"
            )
        recorder = Recorder(self.nodeid, registry=registry)
        recorder.include(record.samples, record.metrics)
        self.stash[options_key] = record.options
        self.stash[recorder_key] = recorder
        for note in record.notes:
            self.add_report_section("call", "pareto notes", note)

    def repr_failure(
        self,
        excinfo: pytest.ExceptionInfo[BaseException],
        style: Any = None,
    ) -> str | Any:
        if isinstance(excinfo.value, NotebookCellError):
            return f"{self.path.name}, cell {self.cell_index} ({self.name}):\n{excinfo.value}"
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"{self.path.name}::{self.name} (cell {self.cell_index})"
