"""Verdicts of a new point against a frontier, and accepting points into it."""

from __future__ import annotations

import itertools

import pytest
from conftest import ACCURACY, FLOPS, LOSS, make_point
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_pareto.errors import ConfigError
from pytest_pareto.frontier.maintenance import (
    HISTORY_LIMIT,
    accept_point,
    departures,
    merge_metrics,
)
from pytest_pareto.judging.dominance import Dominance
from pytest_pareto.judging.verdict import JudgePolicy, Outcome, Verdict, judge
from pytest_pareto.model.metrics import Direction, Metric, Tolerance
from pytest_pareto.model.points import TestBaseline

METRICS = {"flops": FLOPS, "accuracy": ACCURACY}
EXACT = JudgePolicy(default_tolerance=Tolerance())
FIVE_PERCENT = JudgePolicy(default_tolerance=Tolerance(rel=0.05))


def pt(flops: float, accuracy: float, at: str = "2026-01-01T00:00:00Z"):
    return make_point({"flops": flops, "accuracy": accuracy}, recorded_at=at)


def verdict_of(candidate, *frontier, policy=FIVE_PERCENT) -> Verdict:
    return judge("t.py::test", candidate, list(frontier), METRICS, policy)


def test_no_baseline_is_new_and_fails_only_when_strict() -> None:
    verdict = verdict_of(pt(100, 0.9))
    assert verdict.outcome is Outcome.NEW
    assert not verdict.fails()
    assert verdict.fails(strict=True)


def test_equal_within_tolerance_passes() -> None:
    verdict = verdict_of(pt(103, 0.9), pt(100, 0.9))
    assert verdict.outcome is Outcome.PASS
    assert not verdict.fails(strict=True)


def test_worse_on_one_metric_and_better_on_none_is_dominated() -> None:
    stored = pt(100, 0.9)
    verdict = verdict_of(pt(150, 0.9), stored)
    assert verdict.outcome is Outcome.DOMINATED
    assert verdict.fails()
    assert verdict.decisive is not None
    assert verdict.decisive.reference is stored
    flops = next(c for c in verdict.decisive.comparisons if c.metric.name == "flops")
    assert flops.change == pytest.approx(0.5)
    assert verdict.decisive.epsilon == pytest.approx(1.5)


def test_faster_but_less_accurate_is_a_trade_off() -> None:
    verdict = verdict_of(pt(50, 0.85), pt(100, 0.9))
    assert verdict.outcome is Outcome.TRADE_OFF
    assert not verdict.fails(strict=True)


def test_better_somewhere_worse_nowhere_is_improved() -> None:
    verdict = verdict_of(pt(50, 0.9), pt(100, 0.9))
    assert verdict.outcome is Outcome.IMPROVED


def test_dominated_by_any_point_wins_over_other_relations() -> None:
    trade = pt(10, 0.5)
    better = pt(100, 0.95)
    verdict = verdict_of(pt(120, 0.9), trade, better)
    assert verdict.outcome is Outcome.DOMINATED
    assert verdict.decisive is not None
    assert verdict.decisive.reference is better
    assert len(verdict.against) == 2


def test_the_strongest_dominator_is_named() -> None:
    mild = pt(100, 0.9)
    strong = pt(20, 0.95)
    verdict = verdict_of(pt(200, 0.9), mild, strong)
    assert verdict.decisive is not None
    assert verdict.decisive.reference is strong


def test_gating_restricts_the_metrics_compared() -> None:
    policy = JudgePolicy(default_tolerance=Tolerance(), gating=frozenset({"accuracy"}))
    verdict = verdict_of(pt(1000, 0.9), pt(100, 0.9), policy=policy)
    assert verdict.outcome is Outcome.PASS
    assert [c.metric.name for c in verdict.decisive.comparisons] == ["accuracy"]


def test_per_metric_tolerance_overrides_the_default() -> None:
    policy = JudgePolicy(
        tolerances={"flops": Tolerance(rel=1.0)}, default_tolerance=Tolerance(rel=0.0)
    )
    assert verdict_of(pt(190, 0.9), pt(100, 0.9), policy=policy).outcome is Outcome.PASS
    assert verdict_of(pt(100, 0.89), pt(100, 0.9), policy=policy).outcome is Outcome.DOMINATED


def test_points_without_a_shared_gating_metric_are_skipped_with_a_reason() -> None:
    other = make_point({"loss": 1.0})
    metrics = {**METRICS, "loss": Metric("loss")}
    verdict = judge("t::x", pt(1, 1), [other], metrics, FIVE_PERCENT)
    assert verdict.outcome is Outcome.SKIPPED
    assert "gating metric" in verdict.reason


def test_a_metric_without_definition_is_an_error() -> None:
    with pytest.raises(ConfigError, match="no definition"):
        judge("t::x", make_point({"mystery": 1.0}), [], METRICS)


def test_verdict_json_round_trip_keeps_everything_reports_use() -> None:
    verdict = verdict_of(pt(150, 0.8), pt(100, 0.9), pt(10, 0.1))
    again = Verdict.from_json(verdict.to_json())
    assert again.outcome is verdict.outcome
    assert again.candidate.values() == verdict.candidate.values()
    assert [pc.reference.id for pc in again.against] == [pc.reference.id for pc in verdict.against]
    assert again.decisive is not None
    assert verdict.decisive is not None
    assert again.decisive.reference.id == verdict.decisive.reference.id
    assert [(c.metric.name, c.relation, c.change) for c in again.decisive.comparisons] == [
        (c.metric.name, c.relation, c.change) for c in verdict.decisive.comparisons
    ]


# -- accepting ---------------------------------------------------------------------------


def accept_verdict(baseline: TestBaseline | None, verdict: Verdict):
    return accept_point(
        baseline, verdict.test_id, verdict.candidate, verdict.metrics, departures(verdict)
    )


def test_accepting_a_regression_retires_the_better_point_and_then_passes() -> None:
    old = pt(100, 0.9, "2026-01-01T00:00:00Z")
    baseline = TestBaseline("t.py::test", METRICS, (old,))
    worse = pt(150, 0.9, "2026-01-02T00:00:00Z")
    verdict = verdict_of(worse, *baseline.points)
    updated, change = accept_verdict(baseline, verdict)
    assert [p.id for p in updated.points] == [worse.id]
    assert [p.id for p in change.retired] == [old.id]
    assert [(h.event, h.point.id) for h in updated.history] == [("retired", old.id)]
    again = verdict_of(pt(150, 0.9, "2026-01-03T00:00:00Z"), *updated.points)
    assert again.outcome is Outcome.PASS


def test_accepting_prunes_dominated_keeps_equal_and_trade_offs() -> None:
    dominated = pt(200, 0.8, "2026-01-01T00:00:00Z")
    equal = pt(101, 0.9, "2026-01-01T00:00:01Z")
    trade = pt(10, 0.5, "2026-01-01T00:00:02Z")
    baseline = TestBaseline("t.py::test", METRICS, (dominated, equal, trade))
    new = pt(100, 0.9, "2026-01-02T00:00:00Z")
    updated, change = accept_verdict(baseline, verdict_of(new, *baseline.points))
    # The equal point stays and anchors the frontier; the new result is logged as a run.
    assert {p.id for p in updated.points} == {trade.id, equal.id}
    assert [p.id for p in change.pruned] == [dominated.id]
    assert change.equal_to is not None
    assert change.equal_to.id == equal.id
    assert not change.added
    assert change.kept == 2
    assert [(h.event, h.point.id) for h in updated.history] == [
        ("pruned", dominated.id),
        ("run", new.id),
    ]
    assert "pruned 1" in change.describe()
    assert f"kept {equal.id}: this result is equal to it within tolerance" in change.describe()


def test_the_frontier_does_not_creep_by_steps_within_tolerance() -> None:
    """100 -> accept 104 -> a run at 108 fails: equal results never move the frontier."""
    baseline, _ = accept_verdict(None, verdict_of(pt(100, 0.9, "2026-01-01T00:00:00Z")))
    step = pt(104, 0.9, "2026-01-02T00:00:00Z")
    assert verdict_of(step, *baseline.points).outcome is Outcome.PASS
    baseline, change = accept_verdict(baseline, verdict_of(step, *baseline.points))
    assert [p.values()["flops"] for p in baseline.points] == [100]
    assert [h.point.id for h in baseline.history if h.event == "run"] == [step.id]
    assert not change.added
    again = verdict_of(pt(108, 0.9, "2026-01-03T00:00:00Z"), *baseline.points)
    assert again.outcome is Outcome.DOMINATED


def test_accepting_a_regression_says_so_with_the_metric_and_change() -> None:
    old = pt(100, 0.9, "2026-01-01T00:00:00Z")
    baseline = TestBaseline("t.py::test", METRICS, (old,))
    worse = pt(108.2, 0.9, "2026-01-02T00:00:00Z")
    _, change = accept_verdict(baseline, verdict_of(worse, old))
    assert change.regressions == {old.id: "flops +8.2%"}
    assert (
        f"retired {old.id} (an accepted regression: this result is worse on flops +8.2%)"
        in change.describe()
    )


def test_accept_keeps_points_added_by_another_run_meanwhile() -> None:
    first = pt(100, 0.9, "2026-01-01T00:00:00Z")
    verdict = verdict_of(pt(50, 0.8, "2026-01-02T00:00:00Z"), first)  # a trade-off
    concurrent = pt(10, 0.2, "2026-01-02T00:00:01Z")
    on_disk = TestBaseline("t.py::test", METRICS, (first, concurrent))
    updated, _ = accept_verdict(on_disk, verdict)
    assert {p.id for p in updated.points} == {first.id, concurrent.id, verdict.candidate.id}


def test_history_is_capped() -> None:
    baseline: TestBaseline | None = None
    for i in range(HISTORY_LIMIT + 5):
        candidate = pt(100 + i * 10, 0.9, f"2026-01-01T00:{i // 60:02d}:{i % 60:02d}Z")
        points = baseline.points if baseline else ()
        baseline, _ = accept_verdict(baseline, verdict_of(candidate, *points))
    assert baseline is not None
    assert len(baseline.history) == HISTORY_LIMIT
    assert len(baseline.points) == 1


def test_merge_metrics_rejects_a_changed_direction() -> None:
    flipped = Metric("accuracy", "", Direction.LOWER)
    with pytest.raises(ConfigError, match="better=higher"):
        merge_metrics("t::x", {"accuracy": ACCURACY}, {"accuracy": flipped})


grid = st.integers(min_value=1, max_value=8).map(float)
pairs = st.tuples(grid, grid.map(lambda a: a / 10))


@settings(max_examples=150)
@given(st.lists(pairs, max_size=6), pairs)
def test_after_accepting_the_same_result_passes_and_the_front_stays_non_dominated(
    history, candidate
) -> None:
    """The update contract, for any sequence of accepted results and tolerance 0 or 5%."""
    for policy in (EXACT, FIVE_PERCENT):
        baseline: TestBaseline | None = None
        stamps = (f"2026-01-01T00:00:{i:02d}Z" for i in itertools.count())
        for flops, accuracy in [*history, candidate]:
            point = pt(flops, accuracy, next(stamps))
            verdict = verdict_of(point, *(baseline.points if baseline else ()), policy=policy)
            baseline, _ = accept_verdict(baseline, verdict)
        assert baseline is not None
        rerun = pt(*candidate, next(stamps))
        assert not verdict_of(rerun, *baseline.points, policy=policy).fails(strict=True)
        for a, b in itertools.permutations(baseline.points, 2):
            pair = verdict_of(a, b, policy=policy)
            assert pair.decisive is not None
            assert pair.decisive.dominance in (Dominance.NO_DOMINANCE,), (a.values(), b.values())


def test_an_equal_result_that_measures_a_new_metric_supersedes_the_point() -> None:
    """A metric added to the test must reach the frontier: equal where both measured, the
    result with the extra metric replaces the stored point instead of being logged."""
    old = make_point({"flops": 100, "accuracy": 0.9}, recorded_at="2026-01-01T00:00:00Z")
    baseline = TestBaseline("t.py::test", METRICS, (old,))
    richer = make_point(
        {"flops": 101, "accuracy": 0.9, "loss": 0.3}, recorded_at="2026-01-02T00:00:00Z"
    )
    metrics = {**METRICS, "loss": LOSS}
    verdict = judge("t.py::test", richer, [old], metrics, FIVE_PERCENT)
    updated, change = accept_point(
        baseline, "t.py::test", richer, verdict.metrics, departures(verdict)
    )
    assert [p.id for p in updated.points] == [richer.id]
    assert [p.id for p in change.superseded] == [old.id]
    assert change.added
    assert "superseded 1 (equal, measuring fewer metrics)" in change.describe()
