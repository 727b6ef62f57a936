"""Dominance, the Pareto front and the ε-indicator, against brute-force definitions."""

from __future__ import annotations

import itertools
import random

import pytest
from conftest import ACCURACY, FLOPS, LOSS, make_point
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_pareto.judging.dominance import (
    Dominance,
    Relation,
    compare_values,
    dominance_from,
    epsilon_indicator,
    pareto_front,
    strictly_dominates,
)
from pytest_pareto.judging.verdict import JudgePolicy, compare_points
from pytest_pareto.model.metrics import Direction, Metric, Tolerance, Variability
from pytest_pareto.model.points import Observation, Point

METRICS = [FLOPS, ACCURACY, LOSS]

values = st.integers(min_value=0, max_value=6).map(float)
vectors = st.tuples(values, values, values)


def as_point(vector: tuple[float, float, float]):
    return make_point(dict(zip(("flops", "accuracy", "loss"), vector, strict=True)))


def brute_dominates(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    """Textbook definition on oriented vectors: flops low, accuracy high, loss low."""
    oa = (a[0], -a[1], a[2])
    ob = (b[0], -b[1], b[2])
    no_worse = all(x <= y for x, y in zip(oa, ob, strict=True))
    better = any(x < y for x, y in zip(oa, ob, strict=True))
    return no_worse and better


@given(vectors, vectors)
def test_strict_dominance_matches_the_textbook_definition(a, b) -> None:
    assert strictly_dominates(as_point(a), as_point(b), METRICS) == brute_dominates(a, b)


@given(vectors, vectors, vectors)
def test_strict_dominance_is_transitive(a, b, c) -> None:
    pa, pb, pc = as_point(a), as_point(b), as_point(c)
    if strictly_dominates(pa, pb, METRICS) and strictly_dominates(pb, pc, METRICS):
        assert strictly_dominates(pa, pc, METRICS)


@given(vectors)
def test_strict_dominance_is_irreflexive(a) -> None:
    assert not strictly_dominates(as_point(a), as_point(a), METRICS)


@given(st.lists(vectors, max_size=12))
def test_front_is_exactly_the_non_dominated_points(vs) -> None:
    points = [as_point(v) for v in vs]
    front = pareto_front(points, METRICS)
    expected = [
        p
        for p, v in zip(points, vs, strict=True)
        if not any(brute_dominates(w, v) for w in vs if w is not v)
    ]
    assert front == expected
    for a, b in itertools.permutations(front, 2):
        assert not strictly_dominates(a, b, METRICS)


@given(st.lists(vectors, max_size=10), st.randoms(use_true_random=False))
def test_front_does_not_depend_on_input_order(vs, rng: random.Random) -> None:
    points = [as_point(v) for v in vs]
    shuffled = points[:]
    rng.shuffle(shuffled)
    front = {id(p) for p in pareto_front(points, METRICS)}
    assert {id(p) for p in pareto_front(shuffled, METRICS)} == front


def relation_of(metric: Metric, candidate: float, reference: float, tol: Tolerance) -> Relation:
    return compare_values(
        metric, Observation.single(candidate), Observation.single(reference), tol
    ).relation


@pytest.mark.parametrize(
    ("metric", "candidate", "reference", "tolerance", "expected"),
    [
        (FLOPS, 105.0, 100.0, Tolerance(rel=0.05), Relation.EQUAL),  # exactly on the band
        (FLOPS, 105.1, 100.0, Tolerance(rel=0.05), Relation.WORSE),
        (FLOPS, 94.9, 100.0, Tolerance(rel=0.05), Relation.BETTER),
        (ACCURACY, 0.90, 0.91, Tolerance(abs=0.005), Relation.WORSE),  # higher is better
        (ACCURACY, 0.914, 0.91, Tolerance(abs=0.005), Relation.EQUAL),
        (ACCURACY, 0.92, 0.91, Tolerance(abs=0.005), Relation.BETTER),
        (LOSS, 0.0, 0.0, Tolerance(rel=0.1), Relation.EQUAL),
        (LOSS, 0.001, 0.0, Tolerance(rel=0.1), Relation.WORSE),  # relative band of zero is zero
        (LOSS, 0.001, 0.0, Tolerance(rel=0.1, abs=0.01), Relation.EQUAL),
    ],
)
def test_compare_values_applies_the_tolerance_band(
    metric, candidate, reference, tolerance, expected
) -> None:
    assert relation_of(metric, candidate, reference, tolerance) is expected


def test_measurement_floor_absorbs_small_changes() -> None:
    memory = Metric("peak", "B", Direction.LOWER, Variability.NOISY, floor=1024 * 1024)
    assert relation_of(memory, 900_000.0, 0.0, Tolerance()) is Relation.EQUAL
    assert relation_of(memory, 2_000_000.0, 0.0, Tolerance()) is Relation.WORSE


@pytest.mark.parametrize(
    ("reference", "expected"),
    [(10.0, Relation.UNSURE_WORSE), (1.0, Relation.UNSURE_WORSE), (0.5, Relation.WORSE)],
)
def test_censored_candidate_is_never_better(reference: float, expected: Relation) -> None:
    """A censored value is a bound: the truth lies on its worse side, so it cannot be better.

    Judged as the verdict judges it: with compare_values as the policy's comparator."""
    censored = Point({"flops": Observation(Observation.single(1.0).samples, censored=True)})
    policy = JudgePolicy(default_tolerance=Tolerance())
    assert policy.comparators[FLOPS.variability] is compare_values
    judged = compare_points(censored, make_point({"flops": reference}), {"flops": FLOPS}, policy)
    assert judged is not None
    assert judged.comparisons[0].relation is expected


@given(st.lists(st.sampled_from(list(Relation)), min_size=1, max_size=6))
def test_dominance_from_relations_follows_its_definition(relations) -> None:
    seen = set(relations)
    result = dominance_from(relations)
    better = Relation.BETTER in seen
    worse = Relation.WORSE in seen
    unsure_worse = Relation.UNSURE_WORSE in seen
    if result is Dominance.RIGHT_DOMINATES:
        assert worse
        assert not better
    elif result is Dominance.LEFT_DOMINATES:
        assert better
        assert not worse
        assert not unsure_worse
    elif result is Dominance.NO_DOMINANCE:
        assert better
        assert worse or unsure_worse
    elif result is Dominance.UNDECIDED:
        assert not better
        assert not worse
        assert unsure_worse
    else:
        assert seen <= {Relation.EQUAL, Relation.UNSURE_BETTER}


@given(vectors, vectors)
def test_zero_tolerance_relations_agree_with_strict_dominance(a, b) -> None:
    pa, pb = as_point(a), as_point(b)
    relations = [relation_of(m, pa.value(m.name), pb.value(m.name), Tolerance()) for m in METRICS]
    dominance = dominance_from(relations)
    assert (dominance is Dominance.RIGHT_DOMINATES) == strictly_dominates(pb, pa, METRICS)
    assert (dominance is Dominance.LEFT_DOMINATES) == strictly_dominates(pa, pb, METRICS)
    assert (dominance is Dominance.EQUAL) == (a == b)


@settings(max_examples=200)
@given(vectors, vectors, st.floats(min_value=0, max_value=0.5))
def test_larger_tolerance_never_creates_a_difference(a, b, rel) -> None:
    pa, pb = as_point(a), as_point(b)
    for metric in METRICS:
        tight = relation_of(metric, pa.value(metric.name), pb.value(metric.name), Tolerance(rel))
        loose = relation_of(
            metric, pa.value(metric.name), pb.value(metric.name), Tolerance(rel + 0.25)
        )
        if tight is Relation.EQUAL:
            assert loose is Relation.EQUAL


def test_epsilon_indicator_is_the_largest_oriented_ratio() -> None:
    candidate = {"flops": 300.0, "accuracy": 0.5, "loss": 1.0}
    reference = {"flops": 100.0, "accuracy": 0.8, "loss": 1.0}
    # flops 3x worse; accuracy 0.8/0.5 = 1.6x worse; loss equal.
    assert epsilon_indicator(candidate, reference, METRICS) == pytest.approx(3.0)
    assert epsilon_indicator(reference, candidate, METRICS) == pytest.approx(1.0)


@given(
    st.tuples(*[st.floats(min_value=0.1, max_value=100)] * 3),
    st.tuples(*[st.floats(min_value=0.1, max_value=100)] * 3),
)
def test_epsilon_at_most_one_iff_weakly_dominating(a, b) -> None:
    ca = dict(zip(("flops", "accuracy", "loss"), a, strict=True))
    cb = dict(zip(("flops", "accuracy", "loss"), b, strict=True))
    eps = epsilon_indicator(ca, cb, METRICS)
    assert eps is not None
    weakly = (
        ca["flops"] <= cb["flops"]
        and ca["accuracy"] >= cb["accuracy"]
        and (ca["loss"] <= cb["loss"])
    )
    assert (eps <= 1.0) == weakly


def test_epsilon_leaves_out_non_positive_values() -> None:
    assert epsilon_indicator({"loss": 0.0}, {"loss": 1.0}, [LOSS]) is None
    assert epsilon_indicator(
        {"loss": 2.0, "flops": 0.0},
        {"loss": 1.0, "flops": 5.0},
        [
            LOSS,
            FLOPS,
        ],
    ) == pytest.approx(2.0)
