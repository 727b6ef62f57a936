"""Variant frontiers (``group=``): storage, accepting, session-end judging, reports, xdist."""

from __future__ import annotations

import json

import pytest
from conftest import ACCURACY, FLOPS, make_point

from pytest_pareto.frontier.groups import (
    RunVariant,
    accept_variant,
    group_baseline_id,
    run_dominations,
)
from pytest_pareto.judging.verdict import JudgePolicy
from pytest_pareto.model.machine import Machine
from pytest_pareto.model.metrics import Tolerance
from pytest_pareto.model.points import Point, TestBaseline

RUN = ("-p", "no:benchmark", "-p", "no:cacheprovider")
METRICS = {m.name: m for m in (ACCURACY, FLOPS)}
POLICY = JudgePolicy(default_tolerance=Tolerance(rel=0.01))


def _point(flops: float, accuracy: float, at: str = "2026-01-01T00:00:00Z") -> Point:
    return make_point({"flops": flops, "accuracy": accuracy}, recorded_at=at)


def _accept(baseline: TestBaseline | None, variant: str, point: Point) -> TestBaseline:
    updated, _ = accept_variant(baseline, "models", variant, point, METRICS, POLICY)
    return updated


def _frontier(baseline: TestBaseline) -> dict[str, tuple[float, float]]:
    return {
        str(p.variant): (p.value("flops"), p.value("accuracy"))
        for p in baseline.points  # one point per variant in these tests
    }


def test_group_ids_name_one_file_per_group() -> None:
    assert group_baseline_id("models") == "_groups/models::models"
    assert group_baseline_id("int8 vs fp32/cpu") == "_groups/int8-vs-fp32-cpu::int8 vs fp32/cpu"
    assert group_baseline_id("..") == "_groups/group::.."


def test_accepting_variants_keeps_the_group_front() -> None:
    baseline = _accept(None, "fp32", _point(100, 0.90))
    baseline = _accept(baseline, "int8", _point(40, 0.88))  # a trade-off: both stay
    assert _frontier(baseline) == {"fp32": (100, 0.90), "int8": (40, 0.88)}

    baseline, change = accept_variant(
        baseline, "models", "wide", _point(300, 0.85), METRICS, POLICY
    )
    assert not change.added  # dominated by fp32: not added, remembered as a run
    assert change.dominated_by is not None
    assert change.dominated_by.variant == "fp32"
    assert _frontier(baseline) == {"fp32": (100, 0.90), "int8": (40, 0.88)}
    assert baseline.history[-1].event == "run"
    assert "dominated by point" in str(baseline.history[-1].verdict)

    # A new fp32 point that dominates int8's: int8's is pruned; fp32's old one too.
    baseline, change = accept_variant(
        baseline, "models", "fp32", _point(30, 0.91, "2026-01-02T00:00:00Z"), METRICS, POLICY
    )
    assert change.added
    assert _frontier(baseline) == {"fp32": (30, 0.91)}
    assert {p.variant for p in change.pruned} == {"fp32", "int8"}


def test_a_variant_may_accept_its_own_regression_but_not_another_variants_loss() -> None:
    baseline = _accept(None, "a", _point(100, 0.90))
    baseline = _accept(baseline, "b", _point(50, 0.80))
    # a regresses (slower, same accuracy): its own old point retires; b's stays.
    baseline, change = accept_variant(
        baseline, "models", "a", _point(120, 0.90, "2026-01-02T00:00:00Z"), METRICS, POLICY
    )
    assert [p.variant for p in change.retired] == ["a"]
    assert _frontier(baseline) == {"a": (120, 0.90), "b": (50, 0.80)}


def test_points_of_other_machines_are_left_alone() -> None:
    other = Machine("Other CPU", 64, 256)
    stored = TestBaseline(
        group_baseline_id("models"),
        METRICS,
        (Point({**_point(10, 0.99).observations}, machine=other, variant="x"),),
    )
    updated, change = accept_variant(
        stored,
        "models",
        "y",
        _point(100, 0.5),
        METRICS,
        POLICY,
        comparable=lambda point: point.machine != other,
    )
    assert change.added
    assert len(updated.points) == 2


def test_run_dominations_find_the_strongest_dominator() -> None:
    variants = [
        RunVariant("t::a", "g", _point(100, 0.90), METRICS, POLICY),
        RunVariant("t::b", "g", _point(300, 0.80), METRICS, POLICY),
        RunVariant("t::c", "g", _point(200, 0.85), METRICS, POLICY),
        RunVariant("t::d", "other", _point(1000, 0.10), METRICS, POLICY),
    ]
    found = {(d.dominated, d.by) for d in run_dominations(variants)}
    assert found == {("t::b", "t::a"), ("t::c", "t::a")}  # d is in another group


# -- in pytest ---------------------------------------------------------------------------

VARIANTS = """
    import pytest

    VARIANTS = {variants}

    @pytest.mark.parametrize("name", list(VARIANTS))
    @pytest.mark.pareto(group="models", tolerance={{"accuracy": "abs:0.001"}})
    def test_model(pareto, name):
        flops, accuracy = VARIANTS[name]
        pareto.record("flops", flops, unit="FLOP")
        pareto.record("accuracy", accuracy)
"""
GOOD = {"fp32": (1000, 0.95), "int8": (600, 0.93), "small": (400, 0.90)}


def _write(pytester: pytest.Pytester, variants: dict[str, tuple[int, float]]) -> None:
    pytester.makepyfile(test_models=VARIANTS.format(variants=variants))


def test_a_dominated_variant_fails_the_run_even_when_it_runs_first(
    pytester: pytest.Pytester,
) -> None:
    # "wide" runs first and costs more for less accuracy than fp32, which runs after it.
    _write(pytester, {"wide": (3000, 0.94), **GOOD})
    result = pytester.runpytest(*RUN)
    result.assert_outcomes(passed=4)  # no stored frontier: every test is "new"
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "*= pareto groups =*",
            "group 'models': 3 point(s) on its frontier if this run were accepted*",
            "*dominated by another variant of this run: 1",
            "*test_model[[]wide[]] is dominated by *test_model[[]fp32[]]: "
            "worse on accuracy -1.1%, flops +200.0%",
            "*accuracy*0.94*0.95*worse*",
            "*flops*3 kFLOP*1 kFLOP*worse*",
        ]
    )
    assert not (pytester.path / "baselines").exists()  # judging never writes


def test_update_then_the_stored_group_frontier_judges_each_variant(
    pytester: pytest.Pytester,
) -> None:
    _write(pytester, {**GOOD, "wide": (3000, 0.94)})
    result = pytester.runpytest(*RUN, "--pareto-update")
    result.assert_outcomes(passed=4)
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(
        [
            "*test_model[[]wide[]]: not added to group 'models': dominated by point * "
            "(variant test_models.py::test_model[[]fp32[]]*",
        ]
    )
    stored = json.loads((pytester.path / "baselines/_groups/models.json").read_text())
    points = stored["tests"]["models"]["points"]
    assert sorted(p["variant"] for p in points) == [
        "test_models.py::test_model[fp32]",
        "test_models.py::test_model[int8]",
        "test_models.py::test_model[small]",
    ]
    assert not (pytester.path / "baselines/test_models.py.json").exists()

    result = pytester.runpytest(*RUN)
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*_ test_model[[]wide[]] _*",
            "pareto: dominated*",
            "*against point * (variant test_models.py::test_model[[]fp32[]]*",
            "*accuracy*0.94*0.95*worse*",
            "*flops*3 kFLOP*1 kFLOP*+200.0%*worse*",
            "*worse on: accuracy -1.1%, flops +200.0%",
        ]
    )
    # The group's frontier is listed with the verdicts.
    result.stdout.fnmatch_lines(
        [
            "group 'models': 3 point(s) on its frontier*",
            "*variant*accuracy*flops*point*",
            "*test_model[[]fp32[]]*0.95*1 kFLOP*",
        ]
    )

    # int8 regresses below its own stored point: it fails against its own variant.
    _write(pytester, {**GOOD, "int8": (600, 0.92)})
    result = pytester.runpytest(*RUN)
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["*against point * (variant test_models.py::test_model[[]int8[]]*"])


@pytest.mark.slow
def test_session_end_judging_sees_variants_of_every_xdist_worker(
    pytester: pytest.Pytester,
) -> None:
    pytest.importorskip("xdist")
    _write(pytester, {"wide": (3000, 0.94), **GOOD})
    result = pytester.runpytest_subprocess(*RUN, "-n", "2")
    result.assert_outcomes(passed=4)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        ["*test_model[[]wide[]] is dominated by *test_model[[]fp32[]]: worse on*"]
    )


TIMED_VARIANTS = """
    import pytest

    @pytest.mark.parametrize("size", [1_000, 300_000])
    @pytest.mark.pareto(group="timed", metrics=["wall_time"])
    def test_sum(pareto, size):
        pareto(sum, range(size))
"""


def test_session_end_judges_noisy_metrics_with_the_rank_test(pytester: pytest.Pytester) -> None:
    """Variants are compared with each other as each is judged at test time: a noisy metric
    with the rank test (here its rule for one process per side), not value by value."""
    pytester.makeini("[pytest]\npareto_max_time = 0.05\n")
    pytester.makepyfile(test_timed=TIMED_VARIANTS)
    result = pytester.runpytest(*RUN)
    result.assert_outcomes(passed=2)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "*test_sum[[]300000[]] is dominated by *test_sum[[]1000[]]: worse on wall_time*",
            "*wall_time*worse*no test (single process*): a change counts beyond 3x, "
            "1 vs 1 process(es)",
        ]
    )
