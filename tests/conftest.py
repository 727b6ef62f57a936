"""Shared test helpers: points and metrics built from plain numbers."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

import pytest

from pytest_pareto.model.machine import Machine
from pytest_pareto.model.metrics import BUILTIN_METRICS, Direction, Metric, Variability
from pytest_pareto.model.points import Observation, Point, Sample

ACCURACY = Metric("accuracy", "", Direction.HIGHER, Variability.DETERMINISTIC)
LOSS = Metric("loss", "", Direction.LOWER, Variability.DETERMINISTIC)
FLOPS = Metric("flops", "FLOP", Direction.LOWER, Variability.DETERMINISTIC)
WALL_TIME = BUILTIN_METRICS["wall_time"]


def make_point(
    values: Mapping[str, float | Sequence[float]],
    *,
    recorded_at: str = "2026-01-01T00:00:00Z",
    commit: str | None = None,
    machine: Machine | None = None,
) -> Point:
    """A point from metric values; a sequence gives one process per value."""
    observations = {}
    for name, value in values.items():
        if isinstance(value, int | float):
            observations[name] = Observation.single(float(value))
        else:
            observations[name] = Observation(tuple(Sample((float(v),)) for v in value))
    return Point(observations, recorded_at=recorded_at, commit=commit, machine=machine)


@pytest.fixture(autouse=True)
def _pareto_in_one_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """The pytest runs that tests start measure in one process unless they ask for replicas
    (``--pareto-processes N``): replication is tested where it is the subject."""
    monkeypatch.setenv("PYTEST_PARETO_PROCESSES", "1")


@pytest.fixture
def metrics() -> dict[str, Metric]:
    return {m.name: m for m in (ACCURACY, LOSS, FLOPS, WALL_TIME)}


INNER_PYTEST_ADDOPTS = "-p no:hypothesispytest -p no:benchmark -p no:cacheprovider"
"""Plugins an inner pytest session does not need: pytester re-imports them on every run, and
hypothesis's terminal summary imports all of hypothesis (about a second) in every pytest
process, replicas included."""


def inner_environment(**extra: str) -> dict[str, str]:
    """The environment for a pytest started with ``subprocess`` (and its replicas): this
    one's, without its own ``PYTEST_*`` settings, with :data:`INNER_PYTEST_ADDOPTS`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    return {**env, "PYTEST_ADDOPTS": INNER_PYTEST_ADDOPTS, **extra}


@pytest.fixture(autouse=True)
def _lean_inner_sessions(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    if "pytester" in request.fixturenames:
        request.getfixturevalue("pytester")  # it clears PYTEST_ADDOPTS when created
        monkeypatch.setenv("PYTEST_ADDOPTS", INNER_PYTEST_ADDOPTS)


@pytest.fixture(autouse=True)
def _no_speed_reference_from_the_suites_start(monkeypatch: pytest.MonkeyPatch) -> None:
    """This process took its speed reference when the suite started; a test measuring much
    later on a loaded host would be taken for code that slowed the process. Each test (and
    each inner pytest session, which takes its own) starts without one."""
    from pytest_pareto.measuring import speed_reference

    monkeypatch.setattr(speed_reference, "_reference", None)
