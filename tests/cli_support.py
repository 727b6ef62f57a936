"""Helpers for the console-script tests: stores built from plain numbers, the CLI in a
subprocess, and measured test modules with deterministic recorded metrics."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from pytest_pareto.frontier.maintenance import accept_point, departures
from pytest_pareto.judging.verdict import judge
from pytest_pareto.model.machine import Machine
from pytest_pareto.model.metrics import Direction, Metric, Variability
from pytest_pareto.model.points import HistoryEntry, Point, TestBaseline
from pytest_pareto.store.baseline_files import Store
from tests.conftest import make_point

MACHINE_A = Machine("Test CPU A", 8, 32, os="Linux", python="3.11")
MACHINE_B = Machine("Test CPU B", 64, 256, gpus=("Test GPU",), os="Linux", python="3.11")

LATENCY = Metric("latency", "s", Direction.LOWER, Variability.DETERMINISTIC)
MEMORY = Metric("memory", "B", Direction.LOWER, Variability.DETERMINISTIC)
ACCURACY = Metric("accuracy", "", Direction.HIGHER, Variability.DETERMINISTIC)
METRICS = {m.name: m for m in (LATENCY, MEMORY, ACCURACY)}


def point(
    values: Mapping[str, float | Sequence[float]],
    *,
    at: str = "2026-01-01T00:00:00Z",
    commit: str | None = "0123456789abcdef0123",
    machine: Machine | None = MACHINE_A,
) -> Point:
    """A point; a sequence of values gives one process per value."""
    return make_point(values, recorded_at=at, commit=commit, machine=machine)


def put(
    store: Store,
    test_id: str,
    points: Sequence[Point],
    history: Sequence[HistoryEntry] = (),
    metrics: Mapping[str, Metric] | None = None,
) -> TestBaseline:
    """Write one test's baseline (replacing what was there)."""
    used = set().union(*(p.metric_names for p in [*points, *(h.point for h in history)]))
    all_metrics = dict(metrics or METRICS)
    baseline = TestBaseline(
        test_id, {n: all_metrics[n] for n in sorted(used)}, tuple(points), tuple(history)
    )
    store.update(test_id, lambda _: baseline)
    return baseline


def accept_run(store: Store, test_id: str, candidate: Point, at: str) -> None:
    """What ``pytest --pareto-update`` does with one result: judge it, then accept it."""
    current = store.load(test_id)
    metrics = {n: METRICS[n] for n in candidate.metric_names}
    if current is not None:
        metrics = {**current.metrics, **metrics}
    verdict = judge(test_id, candidate, current.points if current else (), metrics)

    def change(baseline: TestBaseline | None) -> TestBaseline:
        updated, _ = accept_point(
            baseline, test_id, candidate, verdict.metrics, departures(verdict), at=at
        )
        return updated

    store.update(test_id, change)


def run_cli(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``pytest-pareto ARGS`` in a subprocess."""
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", COLUMNS="200")
    return subprocess.run(
        [sys.executable, "-m", "pytest_pareto.cli", *map(str, args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def measured_module(values: Mapping[str, Mapping[str, float]]) -> str:
    """Source of a test module whose tests record the given metric values (deterministic).

    ``values`` maps test name -> {metric: value}; ``accuracy`` is higher-is-better, ``latency``
    is in seconds, anything else is lower-is-better without unit.
    """
    lines = ["import pytest", ""]
    for test, metrics in values.items():
        lines += ["", "@pytest.mark.pareto", f"def {test}(pareto):"]
        for name, value in metrics.items():
            if name == "accuracy":
                lines.append(f"    pareto.record({name!r}, {value!r}, better='higher')")
            elif name == "latency":
                lines.append(f"    pareto.record({name!r}, {value!r}, unit='s')")
            else:
                lines.append(f"    pareto.record({name!r}, {value!r})")
    return "\n".join(lines) + "\n"
