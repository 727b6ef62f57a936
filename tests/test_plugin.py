"""Acceptance tests of the pytest plugin, run in real pytest sessions with pytester."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_pareto.store.baseline_files import Store

pytest_plugins = ["pytester"]

MODULE = """
import json
import pathlib

import pytest

VALUES = json.loads(pathlib.Path(__file__).with_name("values.json").read_text())


@pytest.mark.pareto(metrics=["ops", "accuracy"], tolerance={"accuracy": "abs:0.005"})
def test_model(pareto):
    values = VALUES["test_model"]
    pareto.record("ops", values["ops"])
    pareto.record("accuracy", values["accuracy"], better="higher")
"""


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeini("[pytest]\naddopts = -p no:cacheprovider\n")
    pytester.makepyfile(test_model=MODULE)
    return pytester


def run_with(
    pytester: pytest.Pytester, ops: float, accuracy: float, *args: str
) -> pytest.RunResult:
    values = {"test_model": {"ops": ops, "accuracy": accuracy}}
    (pytester.path / "values.json").write_text(json.dumps(values))
    return pytester.runpytest(*args)


def stored_points(pytester: pytest.Pytester) -> list[dict[str, float]]:
    baseline = Store(pytester.path / "baselines").load("test_model.py::test_model")
    assert baseline is not None
    return [point.values() for point in baseline.points]


def test_new_test_passes_and_is_listed_as_new(project: pytest.Pytester) -> None:
    result = run_with(project, 100, 0.9)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        ["*= pareto =*", "test_model.py::test_model*new*", "*new (no baseline): 1 test*"]
    )
    assert not (project.path / "baselines").exists()


def test_strict_fails_a_test_without_baseline(project: pytest.Pytester) -> None:
    result = run_with(project, 100, 0.9, "--pareto-strict")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*pareto: new: no baseline*"])


def test_update_records_then_equal_passes(project: pytest.Pytester) -> None:
    run_with(project, 100, 0.9, "--pareto-update").assert_outcomes(passed=1)
    assert stored_points(project) == [{"accuracy": 0.9, "ops": 100.0}]
    text = (project.path / "baselines" / "test_model.py.json").read_text()
    assert text.endswith("\n")
    assert '"schema_version": 2' in text
    result = run_with(project, 102, 0.9)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["test_model.py::test_model*pass*"])


def test_dominated_fails_with_a_message_naming_point_metric_change_and_tolerance(
    project: pytest.Pytester,
) -> None:
    run_with(project, 100, 0.9, "--pareto-update")
    stored_id = Store(project.path / "baselines").load("test_model.py::test_model").points[0].id  # type: ignore[union-attr]
    result = run_with(project, 150, 0.88)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*pareto: dominated*better on at least one metric beyond tolerance*",
            f"*against point {stored_id}*",
            "*metric*new*baseline*change*tolerance*relation*",
            "*accuracy*0.88*0.9*-2.2%*0.005*worse*exact*",
            "*ops*150*100*+50.0%*5%*worse*exact*",
            "*ε-indicator 1.5*",
            "*worse on: accuracy -2.2%, ops +50.0%*",
            "*pytest --pareto-update 'test_model.py::test_model'*",
        ]
    )


def test_trade_off_passes(project: pytest.Pytester) -> None:
    run_with(project, 100, 0.9, "--pareto-update")
    result = run_with(project, 50, 0.85)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["test_model.py::test_model*trade-off*"])


def test_improved_passes(project: pytest.Pytester) -> None:
    run_with(project, 100, 0.9, "--pareto-update")
    result = run_with(project, 100, 0.95)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["test_model.py::test_model*improved*"])


def test_update_accepts_a_regression_prunes_and_keeps_trade_offs(
    project: pytest.Pytester,
) -> None:
    run_with(project, 100, 0.9, "--pareto-update")
    run_with(project, 50, 0.8, "--pareto-update").assert_outcomes(passed=1)  # a trade-off: kept
    assert len(stored_points(project)) == 2
    result = run_with(project, 40, 0.95, "--pareto-update")  # dominates both
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*frontier updated:*", "*test_model*added*pruned 2*1 point on*"])
    assert stored_points(project) == [{"accuracy": 0.95, "ops": 40.0}]
    result = run_with(project, 80, 0.95, "--pareto-update")  # a deliberate regression
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        ["*retired * (an accepted regression: this result is worse on ops +100.0%)*"]
    )
    run_with(project, 80, 0.95).assert_outcomes(passed=1)  # the accepted result passes
    history = json.loads((project.path / "baselines" / "test_model.py.json").read_text())
    events = [h["event"] for h in history["tests"]["test_model"]["history"]]
    assert events == ["pruned", "pruned", "retired"]


def test_disable_runs_the_test_without_measuring(project: pytest.Pytester) -> None:
    run_with(project, 100, 0.9, "--pareto-update")
    result = run_with(project, 999, 0.1, "--pareto-disable")
    result.assert_outcomes(passed=1)
    assert "= pareto =" not in result.stdout.str()


def test_failing_test_body_is_not_judged_or_stored(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_broken(pareto):
            pareto.record("ops", 1.0)
            assert False, "the model is broken"
        """
    )
    result = pytester.runpytest("--pareto-update")
    result.assert_outcomes(failed=1)
    assert "frontier updated" not in result.stdout.str()
    assert not (pytester.path / "baselines").exists()


@pytest.mark.parametrize(
    ("marker", "message"),
    [
        (
            "pareto(toleranse={})",
            "*test_bad.py::test_x: @pytest.mark.pareto: unknown argument toleranse*",
        ),
        (
            "pareto('wall_time')",
            "*test_bad.py::test_x: @pytest.mark.pareto: takes keyword arguments only*",
        ),
        ("pareto(rounds=0)", "*rounds= must be an integer >= 1, got 0*"),
        ("pareto(tolerance={'wall_time': 'fast'})", "*tolerance for metric 'wall_time' must be*"),
    ],
)
def test_bad_marker_arguments_stop_the_run_with_a_usage_error(
    pytester: pytest.Pytester, marker: str, message: str
) -> None:
    pytester.makepyfile(
        test_bad=f"""
        import pytest

        @pytest.mark.{marker}
        def test_x(pareto):
            pareto.record("ops", 1.0)
        """
    )
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])


def test_unknown_metric_in_tolerance_fails_the_test_clearly(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.pareto(tolerance={"acuracy": 0.01})
        def test_x(pareto):
            pareto.record("accuracy", 0.9, better="higher")
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*unknown metric 'acuracy' (did you mean accuracy?): no probe measures it, no "
            "plugin registers it and the test does not record it; it has: accuracy*"
        ]
    )


def test_bad_record_value_fails_the_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_x(pareto):
            pareto.record("accuracy", float("nan"), better="higher")
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*record('accuracy', nan): value must be a finite number*"])


def test_corrupt_baseline_errors_that_module_only(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_a="def test_a(pareto):\n    pareto.record('ops', 1.0)\n",
        test_b="def test_b(pareto):\n    pareto.record('ops', 1.0)\n",
    )
    bad = pytester.path / "baselines" / "test_a.py.json"
    bad.parent.mkdir()
    bad.write_text("{oops")
    result = pytester.runpytest()
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines([f"*{bad}: not valid JSON*"])
    assert bad.read_text() == "{oops"


def test_ten_times_slower_wall_time_fails(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(
        """
        import os

        import pytest

        N = int(os.environ["WORK"])


        def busy(n):
            total = 0
            for i in range(n):
                total += i * i
            return total


        @pytest.mark.pareto(metrics=["wall_time"])
        def test_speed(pareto):
            pareto(busy, N)
        """
    )
    monkeypatch.setenv("WORK", "20000")
    pytester.runpytest("--pareto-update").assert_outcomes(passed=1)
    monkeypatch.setenv("WORK", "200000")
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*pareto: dominated*", "*wall_time*worse*"])


def test_marker_without_fixture_measures_the_test_function(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        CALLS = []

        @pytest.fixture
        def data():
            CALLS.append("fixture")
            return list(range(1000))

        @pytest.mark.pareto(metrics=["wall_time"], rounds=4, warmup=1, iterations=2)
        def test_sum(data):
            CALLS.append("call")
            assert sum(data) == 499500

        def test_counts():
            assert CALLS.count("fixture") == 1
            assert CALLS.count("call") == 1 + 4 * 2
        """
    )
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["test_marker_without_fixture*::test_sum*new*wall_time*"])


def test_class_marker_applies_and_closest_argument_wins(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.pareto(metrics=["accuracy"], tolerance={"accuracy": 0.5})
        class TestModels:
            @pytest.mark.pareto(tolerance={"accuracy": 0.0})
            def test_strict(self, pareto):
                pareto.record("accuracy", VALUE, better="higher")
                pareto.record("size", 1.0)

        VALUE = 0.9
        """
    )
    pytester.runpytest("--pareto-update").assert_outcomes(passed=1)
    module = pytester.path / "test_class_marker_applies_and_closest_argument_wins.py"
    module.write_text(module.read_text().replace("VALUE = 0.9", "VALUE = 0.89"))
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)  # tolerance 0 from the method marker; size does not gate
    out = result.stdout.str()
    assert "accuracy" in out
    assert "\n  size" not in out


def test_options_are_in_help_under_one_group(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--help")
    result.stdout.fnmatch_lines(
        [
            "pytest-pareto: efficiency regression testing on a Pareto frontier:",
            "*--pareto-update*",
            "*--pareto-strict*",
            "*--pareto-disable*",
            "*--pareto-store=DIR*",
        ]
    )


def test_header_shows_store_machine_and_probes(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_nothing():\n    pass\n")
    result = pytester.runpytest("-v")
    result.stdout.fnmatch_lines(
        [
            "pareto: store *baselines, mode judge*",
            "pareto machine: *",
            "pareto probes:",
            "  wall_time: *",
            "  rapl: *",
        ]
    )


def test_without_v_the_header_shows_the_settings_alone(pytester: pytest.Pytester) -> None:
    """The machine and the probes take building the measuring run, which a run that
    measures nothing must not pay for (tests/efficiency gates what it imports)."""
    pytester.makepyfile("def test_nothing():\n    pass\n")
    result = pytester.runpytest("--pareto-strict")
    result.stdout.fnmatch_lines(
        ["pareto: store *baselines, mode judge, strict on, machine matching exact"]
    )
    assert "pareto machine:" not in result.stdout.str()
    assert "pareto: store" not in pytester.runpytest("--pareto-disable").stdout.str()


def test_store_option_and_ini(project: pytest.Pytester) -> None:
    run_with(project, 100, 0.9, "--pareto-update", "--pareto-store", "elsewhere")
    assert (project.path / "elsewhere" / "test_model.py.json").exists()
    project.makeini("[pytest]\naddopts = -p no:cacheprovider\npareto_store = from_ini\n")
    run_with(project, 100, 0.9, "--pareto-update")
    assert (project.path / "from_ini" / "test_model.py.json").exists()


def test_hooks_let_plugins_add_metrics_and_see_verdicts(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        from pytest_pareto import Direction, Metric, Variability

        SEEN = []

        def pytest_pareto_add_metrics(config):
            return [Metric("f1", "", Direction.HIGHER, Variability.DETERMINISTIC)]

        def pytest_pareto_verdict(item, verdict):
            SEEN.append((item.name, verdict.outcome.value))

        def pytest_pareto_frontier_updated(config, change):
            SEEN.append(("updated", change.test_id))

        def pytest_sessionfinish(session):
            print("SEEN", SEEN)
        """
    )
    pytester.makepyfile("def test_f(pareto):\n    pareto.record('f1', 0.7)\n")
    result = pytester.runpytest("--pareto-update", "-s")
    seen = next(line for line in result.stdout.lines if "SEEN" in line)
    assert seen.endswith(
        "SEEN [('test_f', 'new'), "
        "('updated', 'test_hooks_let_plugins_add_metrics_and_see_verdicts.py::test_f')]"
    )
    stored = json.loads(next((pytester.path / "baselines").glob("*.json")).read_text())
    assert stored["tests"]["test_f"]["metrics"]["f1"]["better"] == "higher"


def test_store_files_are_written_only_for_measured_tests(project: pytest.Pytester) -> None:
    project.makepyfile(test_plain="def test_plain():\n    assert True\n")
    run_with(project, 100, 0.9, "--pareto-update").assert_outcomes(passed=2)
    assert sorted(p.name for p in Path(project.path, "baselines").iterdir()) == [
        "test_model.py.json"
    ]


TIMED = """
import pytest


@pytest.mark.pareto(metrics=["wall_time"])
def test_timed(pareto):
    pareto(sum, range(1000))
"""


@pytest.mark.parametrize(
    ("ini", "calibrated"), [("", True), ("pareto_normalise_speed = false", False)]
)
def test_speed_normalisation_is_stored_unless_switched_off(
    pytester: pytest.Pytester, ini: str, calibrated: bool
) -> None:
    pytester.makeini(f"[pytest]\n{ini}\n")
    pytester.makepyfile(test_timed=TIMED)
    pytester.runpytest("--pareto-update").assert_outcomes(passed=1)
    stored = json.loads((pytester.path / "baselines" / "test_timed.py.json").read_text())
    wall = stored["tests"]["test_timed"]["points"][0]["metrics"]["wall_time"]
    assert ("calibration" in wall) is calibrated
    if calibrated:
        assert len(wall["calibration"]) == len(wall["medians"])
        assert all(0 < t < 1 for t in wall["calibration"])
