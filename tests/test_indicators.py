"""Frontier indicators against independent definitions, and in verdicts and reports."""

from __future__ import annotations

import itertools
import math

import pytest
from conftest import ACCURACY, FLOPS, make_point
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_pareto.frontier.indicators import (
    additive_epsilon,
    distance_to_front,
    front_after_accepting,
    hypervolume,
    multiplicative_epsilon,
    normalise,
    verdict_indicators,
)
from pytest_pareto.judging.verdict import JudgePolicy, Outcome, Verdict, judge
from pytest_pareto.model.metrics import Tolerance
from pytest_pareto.reports.words import verdict_message

# -- independent definitions -------------------------------------------------------------


def rectangle_sum_2d(points: list[tuple[float, float]], ref: tuple[float, float]) -> float:
    """Area of the union of the rectangles [p, ref], summed cell by cell of the grid that
    every rectangle's corners span (each cell is wholly inside or outside the union)."""
    xs = sorted({p[0] for p in points if p[0] < ref[0]} | {ref[0]})
    ys = sorted({p[1] for p in points if p[1] < ref[1]} | {ref[1]})
    area = 0.0
    for x0, x1 in itertools.pairwise(xs):
        for y0, y1 in itertools.pairwise(ys):
            if any(p[0] <= x0 and p[1] <= y0 for p in points):
                area += (x1 - x0) * (y1 - y0)
    return area


def grid_volume_3d(points: list[tuple[int, int, int]], ref: int) -> int:
    """Unit cubes of the grid [0, ref)^3 dominated by some point (brute force)."""
    return sum(
        1
        for cell in itertools.product(range(ref), repeat=3)
        if any(all(p[i] <= cell[i] for i in range(3)) for p in points)
    )


def epsilon_by_search(
    a: list[tuple[float, ...]], b: list[tuple[float, ...]], *, mult: bool
) -> float:
    """The least ε (to 1e-9) with every b ε-dominated by some a, by bisection on the
    dominance test itself."""

    def covers(eps: float) -> bool:
        if mult:
            return all(
                any(all(x <= eps * y for x, y in zip(p, q, strict=True)) for p in a) for q in b
            )
        return all(any(all(x - eps <= y for x, y in zip(p, q, strict=True)) for p in a) for q in b)

    low, high = (0.0, 1e3) if mult else (-1e3, 1e3)
    for _ in range(200):
        mid = (low + high) / 2
        if covers(mid):
            high = mid
        else:
            low = mid
    return high


coordinate = st.floats(min_value=0.0, max_value=10.0, allow_nan=False, width=32)
positive = st.floats(min_value=0.125, max_value=10.0, allow_nan=False, width=32)


# -- hypervolume -------------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(coordinate, coordinate), min_size=0, max_size=8))
def test_hypervolume_2d_equals_rectangle_sums(points: list[tuple[float, float]]) -> None:
    ref = (11.0, 11.0)
    assert hypervolume(points, ref) == pytest.approx(rectangle_sum_2d(points, ref), abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(*(st.integers(min_value=0, max_value=5),) * 3),
        min_size=1,
        max_size=6,
    )
)
def test_hypervolume_3d_equals_grid_count(points: list[tuple[int, int, int]]) -> None:
    assert hypervolume(points, (6, 6, 6)) == pytest.approx(grid_volume_3d(points, 6))


def test_hypervolume_small_cases_by_hand() -> None:
    assert hypervolume([(1.0, 1.0)], (2.0, 3.0)) == pytest.approx(2.0)
    # Two rectangles overlapping in [2,3]x[2,3]: 1*2 + 2*1 - ... computed by hand: 3.
    assert hypervolume([(1.0, 2.0), (2.0, 1.0)], (3.0, 3.0)) == pytest.approx(3.0)
    assert hypervolume([(4.0, 0.0)], (3.0, 3.0)) == 0.0  # beyond the reference: nothing
    assert hypervolume([(0.5,), (0.2,)], (1.0,)) == pytest.approx(0.8)


# -- epsilon and distance ----------------------------------------------------------------


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.tuples(coordinate, coordinate, coordinate), min_size=1, max_size=5),
    st.lists(st.tuples(coordinate, coordinate, coordinate), min_size=1, max_size=5),
)
def test_additive_epsilon_is_the_least_shift(
    a: list[tuple[float, ...]], b: list[tuple[float, ...]]
) -> None:
    assert additive_epsilon(a, b) == pytest.approx(epsilon_by_search(a, b, mult=False), abs=1e-6)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.tuples(positive, positive), min_size=1, max_size=5),
    st.lists(st.tuples(positive, positive), min_size=1, max_size=5),
)
def test_multiplicative_epsilon_is_the_least_factor(
    a: list[tuple[float, ...]], b: list[tuple[float, ...]]
) -> None:
    assert multiplicative_epsilon(a, b) == pytest.approx(
        epsilon_by_search(a, b, mult=True), rel=1e-6
    )


def test_distance_and_normalise() -> None:
    assert distance_to_front((0.0, 0.0), [(3.0, 4.0), (1.0, 1.0)]) == pytest.approx(math.sqrt(2))
    assert normalise([(0.0, 5.0, 2.0), (10.0, 5.0, 4.0)]) == [(0.0, 0.0, 0.0), (1.0, 0.0, 1.0)]


# -- verdicts ----------------------------------------------------------------------------

METRICS = {m.name: m for m in (ACCURACY, FLOPS)}
POLICY = JudgePolicy(default_tolerance=Tolerance(rel=0.01))
STORED = [
    make_point({"flops": 100, "accuracy": 0.90}, recorded_at="2026-01-01T00:00:00Z"),
    make_point({"flops": 50, "accuracy": 0.80}, recorded_at="2026-01-01T00:00:01Z"),
]


def _verdict(flops: float, accuracy: float) -> Verdict:
    candidate = make_point(
        {"flops": flops, "accuracy": accuracy}, recorded_at="2026-02-01T00:00:00Z"
    )
    return judge("t.py::test", candidate, STORED, METRICS, POLICY)


def test_a_dominated_result_would_shrink_the_front() -> None:
    verdict = _verdict(120, 0.85)  # worse than the first stored point on both metrics
    assert verdict.outcome is Outcome.DOMINATED
    indicators = verdict_indicators(verdict)
    assert indicators is not None
    # Accepting retires the dominating point: the front covers less.
    assert indicators.hypervolume_change is not None
    assert indicators.hypervolume_change < 0
    # A stored point beats it on every metric: ε× below 1, ε+ below 0.
    assert indicators.epsilon_multiplicative is not None
    assert indicators.epsilon_multiplicative < 1
    assert indicators.epsilon_additive < 0
    message = verdict_message(verdict)
    assert "less hypervolume" in message
    assert "a stored point is better on every metric" in message


def test_a_trade_off_extends_the_front() -> None:
    verdict = _verdict(20, 0.70)  # cheaper than both, less accurate than both
    assert verdict.outcome is Outcome.TRADE_OFF
    indicators = verdict_indicators(verdict)
    assert indicators is not None
    assert indicators.hypervolume_change is not None
    assert indicators.hypervolume_change > 0
    assert indicators.epsilon_additive > 0
    assert [p.id for p in front_after_accepting(verdict)] == [
        *(p.id for p in STORED),
        verdict.candidate.id,
    ]
    assert "more hypervolume" in verdict_message(verdict)


def test_hypervolume_change_matches_a_hand_computation() -> None:
    # Stored front (flops, 1/accuracy oriented as -accuracy): the new result (100, 0.95)
    # dominates the first stored point, so the new front is {(50, .80), (100, .95)}.
    verdict = _verdict(100, 0.95)
    assert verdict.outcome is Outcome.IMPROVED
    indicators = verdict_indicators(verdict)
    assert indicators is not None
    # Normalised over flops 50..100 and -accuracy -0.95..-0.80, reference 1.1:
    # stored: (1, 1/3) and (0, 1); new: (0, 1) and (1, 0).
    stored = rectangle_sum_2d([(1.0, 1 / 3), (0.0, 1.0)], (1.1, 1.1))
    new = rectangle_sum_2d([(0.0, 1.0), (1.0, 0.0)], (1.1, 1.1))
    assert indicators.hypervolume_stored == pytest.approx(stored)
    assert indicators.hypervolume_new == pytest.approx(new)
    assert indicators.hypervolume_change == pytest.approx(new / stored - 1)
