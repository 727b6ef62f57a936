"""pytest-pareto's own costs, gated by pytest-pareto against ``baselines/``.

Each test measures one piece of work the plugin adds to a measured test: the measurement
loop around a trivial call, judging a result against a stored frontier, and reading a
baseline file. Their stored frontiers live in the repository's ``baselines/tests/efficiency``;
re-record them with ``pytest tests/efficiency --pareto-update`` after a deliberate change.

``py_alloc_peak`` is deterministic and gates everywhere; ``wall_time`` is replicated over
replica processes and judged with the rank test, against points of the same hardware.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from pytest_pareto.judging.dominance import compare_values
from pytest_pareto.judging.stats import RankComparator
from pytest_pareto.judging.verdict import JudgePolicy, Outcome, judge
from pytest_pareto.measuring.measure import MeasureOptions, measure
from pytest_pareto.model.metrics import BUILTIN_METRICS, Direction, Metric, Tolerance, Variability
from pytest_pareto.model.points import Observation, Point, Sample, TestBaseline
from pytest_pareto.probes import WallTimeProbe
from pytest_pareto.store.baseline_files import Store

OVERHEAD = pytest.mark.pareto(
    metrics=["wall_time", "py_alloc_peak"],
    tolerance={"wall_time": "30%", "py_alloc_peak": "10%"},
    processes=5,
    max_time=0.2,
)

WALL = BUILTIN_METRICS["wall_time"]
ACCURACY = Metric("accuracy", "", Direction.HIGHER, Variability.DETERMINISTIC)
METRICS = {"wall_time": WALL, "accuracy": ACCURACY}


def _process(rng: random.Random, level: float) -> Sample:
    return Sample(tuple(level * rng.uniform(0.95, 1.05) for _ in range(20)), 1e-3)


def _point(rng: random.Random, speed: float, accuracy: float) -> Point:
    wall = Observation(tuple(_process(rng, speed) for _ in range(20)))
    return Point({"wall_time": wall, "accuracy": Observation.single(accuracy)})


def _frontier(points: int) -> list[Point]:
    """A trade-off frontier: each point faster and less accurate than the next."""
    rng = random.Random(7)
    return [_point(rng, 0.01 * (1 + i), 0.80 + 0.01 * i) for i in range(points)]


def _noop() -> None:
    return None


@OVERHEAD
def test_measuring_a_trivial_call(pareto) -> None:  # type: ignore[no-untyped-def]
    """The measurement loop itself: warm-up, calibration, 20 timed rounds of a no-op.

    With the collector left on: its full collection before the rounds costs in proportion to
    the whole heap of the process, which is not the loop's doing."""
    options = MeasureOptions(rounds=20, iterations=1, disable_gc=False)
    result = pareto(measure, _noop, probes=[WallTimeProbe()], options=options)
    assert result.rounds == 20


@OVERHEAD
def test_judging_against_a_frontier_of_ten_points(pareto) -> None:  # type: ignore[no-untyped-def]
    """Rank tests and bootstrap intervals: 20 processes a side, ten stored points."""
    frontier = _frontier(10)
    candidate = _point(random.Random(8), 0.055, 0.845)
    policy = JudgePolicy(
        tolerances={"accuracy": Tolerance(abs=0.001)},
        comparators={
            Variability.NOISY: RankComparator(resamples=200),
            Variability.DETERMINISTIC: compare_values,
        },
    )
    verdict = pareto(judge, "t.py::t", candidate, frontier, METRICS, policy)
    assert verdict.outcome is Outcome.TRADE_OFF


@OVERHEAD
def test_loading_a_baseline_file(pareto, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Parsing and validating one module's file: 20 tests of 10 points each."""
    store = Store(tmp_path)
    frontier = _frontier(10)
    for i in range(20):
        test_id = f"tests/test_m.py::test_{i}"
        store.update(test_id, lambda _, t=test_id: TestBaseline(t, METRICS, tuple(frontier), ()))

    def load_fresh() -> TestBaseline | None:
        return Store(tmp_path).load("tests/test_m.py::test_0")

    loaded = pareto(load_fresh)
    assert loaded is not None
    assert len(loaded.points) == 10
