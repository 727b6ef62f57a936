"""Results a notebook kernel measured, handed to the pytest session that runs the notebook.

When pytest runs a notebook (``pytest --pareto-notebooks``), the kernel does not judge its
``%%pareto`` cells: it appends one :class:`CellRecord` per measured cell to the file named by
:data:`RECORD_ENV`, and each collected item judges (or, with ``--pareto-update``, accepts) its
record with the session's usual machinery.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_pareto.errors import ConfigError
from pytest_pareto.measuring.options import TestOptions
from pytest_pareto.model.metrics import Metric, Tolerance
from pytest_pareto.model.points import Sample

__all__ = [
    "DISABLE_ENV",
    "NOTEBOOK_ENV",
    "RECORD_ENV",
    "CellRecord",
    "append_record",
    "read_records",
]

RECORD_ENV = "PYTEST_PARETO_NOTEBOOK_RECORD"
"""Path of the file a kernel run by pytest appends its :class:`CellRecord` lines to."""
NOTEBOOK_ENV = "PYTEST_PARETO_NOTEBOOK"
"""Absolute path of the notebook a kernel runs (set by pytest; Jupyter sets JPY_SESSION_NAME)."""
DISABLE_ENV = "PYTEST_PARETO_NOTEBOOK_DISABLE"
"""Set by ``pytest --pareto-disable``: cells run once, unmeasured."""


@dataclass(frozen=True)
class CellRecord:
    """What one ``%%pareto`` cell measured, and the options it asked to be judged with."""

    name: str
    samples: Mapping[str, Sample]
    metrics: Mapping[str, Metric]
    options: TestOptions = field(default_factory=TestOptions)
    notes: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "metrics": {
                name: {**self.metrics[name].to_json(), "rounds": list(sample.rounds)}
                for name, sample in sorted(self.samples.items())
            },
            "gating": list(self.options.metrics) if self.options.metrics is not None else None,
            "tolerance": {
                name: {"rel": tol.rel, "abs": tol.abs}
                for name, tol in sorted(self.options.tolerance.items())
            },
            "notes": list(self.notes),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any], where: str) -> CellRecord:
        try:
            samples = {}
            metrics = {}
            for name, entry in data["metrics"].items():
                metrics[name] = Metric.from_json(name, entry)
                samples[name] = Sample(tuple(float(v) for v in entry["rounds"]))
            gating = data.get("gating")
            options = TestOptions(
                metrics=tuple(gating) if gating is not None else None,
                tolerance={
                    name: Tolerance.parse(spec, metric=name)
                    for name, spec in data.get("tolerance", {}).items()
                },
            )
            return cls(
                name=str(data["name"]),
                samples=samples,
                metrics=metrics,
                options=options,
                notes=tuple(str(n) for n in data.get("notes", ())),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ConfigError(f"{where}: a cell record is malformed ({exc!r})") from None


def append_record(path: Path | str, record: CellRecord) -> None:
    """Append one record as a JSON line (one write call, so a line is never interleaved)."""
    line = json.dumps(record.to_json(), sort_keys=True, allow_nan=False) + "\n"
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line.encode("utf-8"))
    finally:
        os.close(fd)


def read_records(path: Path | str) -> dict[str, CellRecord]:
    """The records in a file by cell name (a later record of the same name wins)."""
    records: dict[str, CellRecord] = {}
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return records
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}, line {number}"
        try:
            data = json.loads(line)
        except ValueError as exc:
            raise ConfigError(f"{where}: not valid JSON ({exc})") from None
        record = CellRecord.from_json(data, where)
        records[record.name] = record
    return records
