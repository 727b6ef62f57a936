"""Budgets: grammar and units, relative budgets, and failing tests independently of the frontier."""

from __future__ import annotations

import pytest

from pytest_pareto.errors import ConfigError
from pytest_pareto.judging.budgets import Budget, BudgetStatus, check_budgets, parse_budgets
from pytest_pareto.measuring.quality import QUALITY_METRICS
from pytest_pareto.model.metrics import BUILTIN_METRICS, Direction, Metric, Variability
from pytest_pareto.model.points import Observation, Point

RUN = ("-p", "no:benchmark", "-p", "no:cacheprovider")
KNOWN = {**QUALITY_METRICS, **BUILTIN_METRICS}
ENERGY = Metric("energy_cpu", "J", Direction.LOWER, Variability.NOISY)
FLOPS = Metric("flops", "FLOP", Direction.LOWER, Variability.DETERMINISTIC)
POWER = Metric("gpu_power", "W", Direction.LOWER, Variability.NOISY)
ALL = {**KNOWN, **{m.name: m for m in (ENERGY, FLOPS, POWER)}}


@pytest.mark.parametrize(
    ("metric", "spec", "operator", "limit"),
    [
        ("wall_time", "<= 2s", "<=", 2.0),
        ("wall_time", "<= 250ms", "<=", 0.25),
        ("wall_time", "< 90us", "<", 90e-6),
        ("wall_time", "≤ 90µs", "<=", 90e-6),
        ("wall_time", "<= 1e-3 s", "<=", 1e-3),
        ("wall_time", "<= 1.5min", "<=", 90.0),
        ("wall_time", "<= 0.5", "<=", 0.5),  # no unit: the metric's base unit
        ("peak_rss", "<= 512MiB", "<=", 512 * 2**20),
        ("peak_rss", "<= 1.5GB", "<=", 1.5e9),
        ("peak_rss", "<= 64 KiB", "<=", 65536),
        ("energy_cpu", "<= 3Wh", "<=", 10800.0),
        ("energy_cpu", "<= 2 kJ", "<=", 2000.0),
        ("energy_cpu", "< 250mJ", "<", 0.25),
        ("gpu_power", "<= 300W", "<=", 300.0),
        ("flops", "< 5 GFLOP", "<", 5e9),
        ("accuracy", ">= 0.90", ">=", 0.90),
        ("accuracy", "≥ .9", ">=", 0.9),
        ("accuracy", "> 0.5", ">", 0.5),
    ],
)
def test_units_are_converted_to_the_metric_base_unit(
    metric: str, spec: str, operator: str, limit: float
) -> None:
    (budget,) = parse_budgets({metric: spec}, ALL)
    assert budget.operator == operator
    assert budget.limit(ALL[metric], None) == pytest.approx(limit)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"accuracy": "0.9"}, "is not understood"),
        ({"accuracy": ">= "}, "is not understood"),
        ({"accuracy": "=> 0.9"}, "is not understood"),
        ({"accuracy": ">= 0.9 0.1"}, "is not understood"),
        ({"accuracy": ">= lots"}, "is not understood"),
        ({"accuracy": 0.9}, "must be a string"),
        ({"accuracy": []}, "must be a string or a list"),
        ({"wall_time": "<= 2parsecs"}, "unit 'parsecs' does not fit metric 'wall_time'"),
        ({"peak_rss": "<= 2s"}, "unit 's' does not fit metric 'peak_rss'.*MiB"),
        ({"accuracy": ">= 90MiB"}, "unit 'MiB' does not fit metric 'accuracy' .unitless."),
        ({"accuracy": ">= -5%"}, "a percentage must be >= 0"),
        (">= 0.9", "must map metric names"),
    ],
)
def test_malformed_budgets_are_config_errors(spec: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_budgets(spec, KNOWN)


def test_a_list_gives_a_metric_several_budgets() -> None:
    budgets = parse_budgets({"wall_time": ["<= 2s", "<= 110%"]}, KNOWN)
    assert [b.describe() for b in budgets] == ["<= 2s", "<= 110%"]
    assert [b.relative for b in budgets] == [False, True]


def _point(censored: bool = False, **values: float) -> Point:
    return Point(
        {
            name: Observation.single(v)
            if not censored
            else Observation(Observation.single(v).samples, censored=True)
            for name, v in values.items()
        },
        recorded_at="2026-01-01T00:00:00Z",
    )


def test_relative_budgets_take_the_best_stored_point() -> None:
    stored = [_point(accuracy=0.95, wall_time=2.0), _point(accuracy=0.90, wall_time=1.0)]
    budgets = parse_budgets({"accuracy": ">= 99.5%", "wall_time": "<= 110%"}, KNOWN)

    results = check_budgets(budgets, _point(accuracy=0.9453, wall_time=1.09), KNOWN, stored)
    assert [r.status for r in results] == [BudgetStatus.OK, BudgetStatus.OK]
    # 99.5% of the highest stored accuracy; 110% of the lowest stored time.
    assert results[0].limit == pytest.approx(0.95 * 0.995)
    assert results[1].limit == pytest.approx(1.1)
    assert "99.5% of the best stored 0.95" in results[0].note

    results = check_budgets(budgets, _point(accuracy=0.9450, wall_time=1.2), KNOWN, stored)
    assert [r.status for r in results] == [BudgetStatus.VIOLATED, BudgetStatus.VIOLATED]

    results = check_budgets(budgets, _point(accuracy=0.1, wall_time=9.0), KNOWN, [])
    assert [r.status for r in results] == [BudgetStatus.UNCHECKED, BudgetStatus.UNCHECKED]
    assert "no stored frontier point" in results[0].note


def test_a_censored_time_is_a_lower_bound_for_budgets() -> None:
    slow = _point(censored=True, wall_time=2.0)
    over, unknown, met = check_budgets(
        parse_budgets({"wall_time": ["<= 1s", "<= 5s", ">= 1s"]}, KNOWN), slow, KNOWN
    )
    assert over.status is BudgetStatus.VIOLATED  # at least 2 s: surely over 1 s
    assert unknown.status is BudgetStatus.UNCHECKED  # at least 2 s: maybe over 5 s
    assert met.status is BudgetStatus.OK  # at least 2 s: surely at least 1 s


def test_a_budget_on_a_metric_the_test_lacks_is_an_error() -> None:
    with pytest.raises(ConfigError, match="neither measured nor recorded; it has: accuracy"):
        check_budgets([Budget("loss", "<=", 1.0)], _point(accuracy=0.9), KNOWN)


# -- in pytest ---------------------------------------------------------------------------


def test_a_malformed_budget_is_a_collection_error_naming_the_test(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        test_model="""
        import pytest

        @pytest.mark.pareto(budget={"accuracy": ">= lots"})
        def test_model(pareto):
            pareto.record("accuracy", 0.9)

        @pytest.mark.pareto(budget={"peak_rss": "<= 2s"})
        def test_memory(pareto):
            pass
        """
    )
    result = pytester.runpytest(*RUN)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*test_model.py::test_model: @pytest.mark.pareto: budget '>= lots' for 'accuracy'*"]
    )


def test_a_budget_violation_fails_whatever_the_frontier_says(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_model="""
        import pytest

        @pytest.mark.pareto(budget={"accuracy": ">= 0.90", "model_bytes": "<= 1MiB"})
        def test_model(pareto):
            pareto.record("accuracy", 0.87)
            pareto.record("model_bytes", 300 * 1024, unit="B")
        """
    )
    result = pytester.runpytest(*RUN)  # no baseline: the frontier verdict is "new"
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*pareto: over budget — accuracy >= 0.9",
            "*accuracy*0.87*>= 0.9*0.9*violated: short by 0.03 (3.3%)*",
            "*model_bytes*300 KiB*<= 1MiB*1 MiB*ok*",
        ]
    )
    result = pytester.runpytest(*RUN, "--pareto-update")  # over budget: never accepted
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*not accepted: test_model.py::test_model: its test failed*"])
    assert not (pytester.path / "baselines" / "test_model.py.json").exists()


def test_a_relative_budget_against_the_stored_frontier(pytester: pytest.Pytester) -> None:
    source = """
        import pytest

        @pytest.mark.pareto(
            tolerance={{"accuracy": "abs:0.05"}}, budget={{"accuracy": ">= 99.5%"}}
        )
        def test_model(pareto):
            pareto.record("accuracy", {accuracy})
    """
    pytester.makepyfile(test_model=source.format(accuracy=0.95))
    result = pytester.runpytest(*RUN, "--pareto-update")
    result.assert_outcomes(passed=1)  # no stored point yet: the relative budget is not checked
    pytester.makepyfile(test_model=source.format(accuracy=0.946))
    pytester.runpytest(*RUN).assert_outcomes(passed=1)  # 0.946 >= 0.945250
    pytester.makepyfile(test_model=source.format(accuracy=0.94))  # equal within abs 0.05
    result = pytester.runpytest(*RUN)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*accuracy*0.94*>= 99.5%*0.945*violated*99.5% of the best stored 0.95*"]
    )


def test_units_of_recorded_metrics_are_checked_when_recorded(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_model="""
        import pytest

        @pytest.mark.pareto(budget={"tokens": "<= 3MiB"})
        def test_model(pareto):
            pareto.record("tokens", 5, unit="tokens")
        """
    )
    result = pytester.runpytest(*RUN)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*unit 'MiB' does not fit metric 'tokens'*use tokens*"])
