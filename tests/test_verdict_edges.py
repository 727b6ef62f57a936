"""Verdicts at the edges, end to end: the gate never passes what it must fail."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from cli_support import measured_module
from conftest import make_point

from pytest_pareto.errors import BaselineFileError, ConfigError
from pytest_pareto.judging.budgets import check_budgets, parse_budgets
from pytest_pareto.judging.verdict import Outcome, judge
from pytest_pareto.model.metrics import BUILTIN_METRICS, Metric, Tolerance
from pytest_pareto.model.points import TestBaseline
from pytest_pareto.reports.words import verdict_message
from pytest_pareto.store.baseline_files import FORMAT_NAME, SCHEMA_VERSION, Store


def _run(pytester: pytest.Pytester, loss: float, *args: str) -> pytest.RunResult:
    pytester.makepyfile(test_m=measured_module({"test_loss": {"loss": loss}}))
    return pytester.runpytest("-p", "no:cacheprovider", *args)


def test_updates_within_tolerance_do_not_move_the_frontier(pytester: pytest.Pytester) -> None:
    """100 -> update 104 -> a run at 108 fails (5% tolerance): no boiling frog."""
    _run(pytester, 100.0, "--pareto-update").assert_outcomes(passed=1)
    step = _run(pytester, 104.0, "--pareto-update")
    step.assert_outcomes(passed=1)
    step.stdout.fnmatch_lines(["*test_loss: kept * this result is equal to it within tolerance*"])
    creep = _run(pytester, 108.0)
    creep.assert_outcomes(failed=1)
    creep.stdout.fnmatch_lines(["*loss*108*100*+8.0%*"])


def test_an_accepted_regression_is_reported_plainly(pytester: pytest.Pytester) -> None:
    _run(pytester, 100.0, "--pareto-update").assert_outcomes(passed=1)
    accepted = _run(pytester, 108.2, "--pareto-update")
    accepted.assert_outcomes(passed=1)
    accepted.stdout.fnmatch_lines(
        [
            "*test_loss: added *, retired * (an accepted regression: this result is worse on "
            "loss +8.2%)*"
        ]
    )
    _run(pytester, 108.2).assert_outcomes(passed=1)


# -- power is a rate: reported, never an objective ------------------------------------------


def test_mean_gpu_power_never_turns_a_dominated_result_into_a_trade_off() -> None:
    """2x wall time, +33% energy and lower mean power (the GPU idled): dominated."""
    metrics = {name: BUILTIN_METRICS[name] for name in ("wall_time", "energy_gpu", "gpu_power")}
    stored = make_point({"wall_time": 1.0, "energy_gpu": 300.0, "gpu_power": 300.0})
    slower = make_point({"wall_time": 2.0, "energy_gpu": 400.0, "gpu_power": 200.0})
    verdict = judge("t.py::test_infer", slower, [stored], metrics)
    assert verdict.outcome is Outcome.DOMINATED
    assert verdict.decisive is not None
    assert "gpu_power" not in {c.metric.name for c in verdict.decisive.comparisons}
    assert "gpu_power (rate): 200 W (not gating)" in verdict_message(verdict)


# -- budgets gate, so they never name an estimate or a rate ------------------------------------


@pytest.mark.parametrize(
    ("metric", "why"), [("energy_estimate", "an estimate never gates"), ("gpu_power", "a rate")]
)
def test_a_budget_on_an_estimate_or_a_rate_is_a_usage_error(
    pytester: pytest.Pytester, metric: str, why: str
) -> None:
    pytester.makepyfile(
        f"""
        import pytest

        @pytest.mark.pareto(budget={{{metric!r}: "<= 1000"}})
        def test_budgeted(pareto):
            pareto(sum, range(10))
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*test_budgeted*budget on {metric!r}*{why}*"])


def test_a_budget_on_a_registered_estimate_is_refused_when_checked() -> None:
    estimate = Metric("carbon_estimate", "g", estimate=True)
    point = make_point({"carbon_estimate": 1.0})
    (budget,) = parse_budgets({"carbon_estimate": "<= 2"})
    with pytest.raises(ConfigError, match="an estimate never gates"):
        check_budgets((budget,), point, {"carbon_estimate": estimate})


# -- ambiguous or hand-edited input ------------------------------------------------------------


@pytest.mark.parametrize("spec", [10, 10.0, "10", "1.5"])
def test_a_bare_relative_tolerance_above_one_is_refused(spec: object) -> None:
    with pytest.raises(ConfigError) as info:
        Tolerance.parse(spec, metric="wall_time")
    number = f"{float(str(spec)):g}"
    assert f"'{number}%'" in str(info.value)
    assert f"'abs:{number}'" in str(info.value)
    assert "wall_time" in str(info.value)


@pytest.mark.parametrize(
    ("spec", "rel", "abs_"),
    [(0.1, 0.1, 0.0), (1, 1.0, 0.0), ("10%", 0.1, 0.0), ("250%", 2.5, 0.0), ("abs:10", 0.0, 10.0)],
)
def test_explicit_tolerances_are_accepted(spec: object, rel: float, abs_: float) -> None:
    assert Tolerance.parse(spec) == Tolerance(rel=rel, abs=abs_)


def test_a_marker_with_a_bare_tolerance_of_ten_is_a_usage_error(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.pareto(tolerance={"wall_time": 10})
        def test_tolerant(pareto):
            pareto(sum, range(10))
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*test_tolerant*tolerance for metric 'wall_time' = 10*'10%'*"])


def _write_store(root: Path, metrics: dict[str, Any], observation: dict[str, Any]) -> Path:
    path = root / "test_m.py.json"
    root.mkdir(parents=True, exist_ok=True)
    entry = {
        "metrics": metrics,
        "points": [{"metrics": {next(iter(metrics)): observation}, "recorded_at": "2026-01-01"}],
    }
    path.write_text(
        json.dumps(
            {"format": FORMAT_NAME, "schema_version": SCHEMA_VERSION, "tests": {"test_a": entry}}
        )
    )
    return path


def test_built_in_metric_properties_come_from_the_code_not_the_file(tmp_path: Path) -> None:
    edited = {"energy_estimate": {"better": "higher", "unit": "J", "estimate": False}}
    _write_store(tmp_path / "baselines", edited, {"value": 2.0})
    baseline = Store(tmp_path / "baselines").load("test_m.py::test_a")
    assert baseline is not None
    assert baseline.metrics["energy_estimate"] == BUILTIN_METRICS["energy_estimate"]
    assert not baseline.metrics["energy_estimate"].gates


def test_a_hand_edited_value_that_disagrees_with_its_processes_names_the_file(
    tmp_path: Path,
) -> None:
    metrics = {"wall_time": {"better": "lower", "unit": "s", "variability": "noisy"}}
    path = _write_store(
        tmp_path / "baselines",
        metrics,
        {"value": 0.5, "medians": [1.0, 2.0, 3.0], "rounds": [1, 1, 1], "spread": [0.0, 0.0, 0.0]},
    )
    with pytest.raises(BaselineFileError) as info:
        Store(tmp_path / "baselines").load("test_m.py::test_a")
    assert str(path) in str(info.value)
    assert "'value' 0.5 disagrees with its processes, whose median is 2.0" in str(info.value)


# -- files and CI ------------------------------------------------------------------------------


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_baseline_files_get_the_mode_the_umask_gives(tmp_path: Path, umask: int, mode: int) -> None:
    old = os.umask(umask)
    try:
        store = Store(tmp_path / "baselines")
        store.update(
            "test_m.py::test_a",
            lambda _: TestBaseline("test_m.py::test_a", {}, (make_point({"loss": 1.0}),)),
        )
    finally:
        os.umask(old)
    path = store.path_for("test_m.py::test_a")
    assert stat.S_IMODE(path.stat().st_mode) == mode


def test_ci_does_not_turn_no_tests_collected_into_success() -> None:
    script = (Path(__file__).resolve().parent.parent / ".ci" / "run").read_text()
    assert "exit 0" not in script
    assert "python -m pytest" in script


# -- inconclusive, end to end ------------------------------------------------------------------

# Each process records the next value of LAT (a controlled sample source: per-process medians
# as a timer would give them), counting processes in the file COUNTER.
CONTROLLED_LATENCY = """
import os
from pathlib import Path

def test_lat(pareto):
    counter = Path(os.environ["COUNTER"])
    values = [float(v) for v in os.environ["LAT"].split(",")]
    n = len(counter.read_text()) if counter.exists() else 0
    with counter.open("a") as handle:
        handle.write("x")
    pareto.record("latency", values[n % len(values)], unit="s", noisy=True)
"""


def _latency_run(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, values: str, *args: str
) -> pytest.RunResult:
    monkeypatch.setenv("LAT", values)
    monkeypatch.setenv("COUNTER", str(pytester.path / f"count-{values}"))
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", *args)


def test_one_process_worse_beyond_tolerance_is_inconclusive_and_strict_fails_it(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(test_m=CONTROLLED_LATENCY)
    _latency_run(pytester, monkeypatch, "1.0", "--pareto-update").assert_outcomes(passed=1)
    judged = _latency_run(pytester, monkeypatch, "1.3")
    judged.assert_outcomes(passed=1)
    judged.stdout.fnmatch_lines(["*test_lat*inconclusive*latency*1.3 s*1 s*+30.0%*"])
    assert judged.ret == pytest.ExitCode.OK
    strict = _latency_run(pytester, monkeypatch, "1.3", "--pareto-strict")
    strict.assert_outcomes(failed=1)
    assert strict.ret == pytest.ExitCode.TESTS_FAILED
    strict.stdout.fnmatch_lines(["*pareto: inconclusive*"])


def test_update_with_an_inconclusive_result_reports_the_accepted_regression(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(test_m=CONTROLLED_LATENCY)
    _latency_run(pytester, monkeypatch, "1.0", "--pareto-update").assert_outcomes(passed=1)
    update = _latency_run(pytester, monkeypatch, "1.3", "--pareto-update")
    update.assert_outcomes(passed=1)
    update.stdout.fnmatch_lines(
        [
            "*test_lat*inconclusive*",
            "*retired * (an accepted regression: this result is worse on latency +30.0%)*",
        ]
    )
    _latency_run(pytester, monkeypatch, "1.3").stdout.fnmatch_lines(["*test_lat*pass*"])


@pytest.mark.slow
def test_overlapping_processes_are_inconclusive_under_the_rank_test(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Five processes a side, medians +15% apart but overlapping: not significant."""
    pytester.makepyfile(test_m=CONTROLLED_LATENCY)
    five = ("--pareto-processes", "5")
    stored = _latency_run(pytester, monkeypatch, "1.0,1.2,0.8,1.1,0.9", "--pareto-update", *five)
    stored.assert_outcomes(passed=1)
    judged = _latency_run(pytester, monkeypatch, "1.3,0.85,1.15,1.25,0.95", *five)
    judged.assert_outcomes(passed=1)
    judged.stdout.fnmatch_lines(
        ["*test_lat*inconclusive*latency*1.15 s*1 s*+15.0%*", "*replicated 1 test in 5 *"]
    )
    verbose = _latency_run(pytester, monkeypatch, "1.3,0.85,1.15,1.25,0.95", "-v", *five)
    verbose.stdout.fnmatch_lines(["*5 vs 5 processes*"])


# -- a typo in a metric name never switches measuring off ----------------------------------------


def test_a_misspelt_metric_without_the_fixture_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.pareto(metrics=["walltime"])
        def test_sum():
            sum(range(100))
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "--pareto-strict")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*test_sum: @pytest.mark.pareto: unknown metric 'walltime' (did you mean wall_time?)*"]
    )


@pytest.mark.parametrize(
    ("marker", "typo", "meant"),
    [
        ('metrics=["walltime"]', "walltime", "wall_time"),
        ('tolerance={"acuracy": "abs:0.01"}', "acuracy", "accuracy"),
        ('budget={"cpu_tim": "<= 1s"}', "cpu_tim", "cpu_time"),
    ],
)
def test_a_misspelt_metric_with_the_fixture_fails_the_test(
    pytester: pytest.Pytester, marker: str, typo: str, meant: str
) -> None:
    pytester.makepyfile(
        f"""
        import pytest

        @pytest.mark.pareto({marker})
        def test_model(pareto):
            pareto(sum, range(100))
            pareto.record("accuracy", 0.9, better="higher")
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "--pareto-update")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([f"*unknown metric {typo!r} (did you mean {meant}*"])
    assert not (pytester.path / "baselines").exists()


def test_a_name_the_test_records_for_the_first_time_is_fine(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.pareto(metrics=["tokens_per_joule"], tolerance={"tokens_per_joule": "5%"})
        def test_model(pareto):
            pareto.record("tokens_per_joule", 12.5, better="higher")
        """
    )
    pytester.runpytest("-p", "no:cacheprovider", "--pareto-update").assert_outcomes(passed=1)
