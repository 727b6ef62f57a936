"""Raw rounds for forensics: every round of every process of a point, in a folder git ignores.

Baseline files keep what the verdicts use (per process: the median of its rounds, their count,
their spread and the calibration), not the rounds. To look at the rounds behind a result (a
bimodal process, a warm-up that did not settle), they can be written next to the store, one
file per point::

    .pareto-raw/<module path>/<test name>/<recorded_at>-<point id>.json

The folder holds a ``.gitignore`` of ``*``, so its files are never committed.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from pytest_pareto.model.points import Point
from pytest_pareto.store.baseline_files import split_test_id, write_atomically

__all__ = ["FORMAT_NAME", "RAW_FOLDER", "path_for", "write"]

RAW_FOLDER = ".pareto-raw"
"""The side folder's name, in the project's root (next to ``baselines/``)."""

FORMAT_NAME = "pytest-pareto raw rounds"

_UNSAFE = re.compile(r"[^A-Za-z0-9_.,=+\[\]-]+")


def _safe(part: str) -> str:
    cleaned = _UNSAFE.sub("_", part).strip(".")
    return cleaned or "_"


def path_for(folder: Path, test_id: str, point: Point) -> Path:
    """Where :func:`write` puts the rounds of ``point`` of ``test_id``."""
    module, name = split_test_id(test_id)
    parts = [_safe(part) for part in module.split("/")]
    stamp = _safe(point.recorded_at.replace(":", "")) if point.recorded_at else "undated"
    return folder.joinpath(*parts, _safe(name or "_"), f"{stamp}-{point.id}.json")


def _rounds_json(point: Point) -> dict[str, Any]:
    metrics: dict[str, Any] = {}
    for name, observation in sorted(point.observations.items()):
        samples = observation.samples
        if not all(sample.rounds for sample in samples):
            continue  # read back from a baseline file: its rounds are gone
        entry: dict[str, Any] = {"processes": [list(sample.rounds) for sample in samples]}
        if observation.scales is not None:
            entry["calibration"] = list(observation.scales)
        if observation.censored:
            entry["censored"] = True
        metrics[name] = entry
    return metrics


def write(folder: Path, test_id: str, point: Point) -> Path | None:
    """Write the raw rounds of ``point`` (a result as measured, before it is stored) under
    ``folder``; returns the file, or ``None`` when no metric of the point has rounds."""
    metrics = _rounds_json(point)
    if not metrics:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    ignore = folder / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# raw rounds written by pytest-pareto: never committed\n*\n")
    path = path_for(folder, test_id, point)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {
        "format": FORMAT_NAME,
        "test_id": test_id,
        "point": point.id,
        "recorded_at": point.recorded_at,
        "commit": point.commit,
        "metrics": metrics,
    }
    write_atomically(path, json.dumps(data, indent=1, sort_keys=True, allow_nan=False) + "\n")
    return path
