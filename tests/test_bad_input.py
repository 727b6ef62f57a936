"""Bad input outside baseline files: values given to ``pareto.record``, metric names, marker
arguments and a metric whose direction or unit changed between runs -> clear errors."""

from __future__ import annotations

import decimal
import math
from pathlib import Path

import pytest

from pytest_pareto.errors import ConfigError
from pytest_pareto.measuring.recorder import Recorder
from pytest_pareto.model.metrics import Direction, Metric, MetricRegistry


class FloatLike:
    """Stands for a numpy or torch scalar: not a float, but convertible to one."""

    def __float__(self) -> float:
        return 0.25


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("1.5", "record('loss', '1.5'): value must be a number, got str"),
        (b"1", "record('loss', b'1'): value must be a number, got bytes"),
        (True, "record('loss', True): value must be a number, got bool"),
        (None, "record('loss', ...): value must be a number, got NoneType"),
        ([1.0], "record('loss', ...): value must be a number, got list"),
        (1 + 2j, "record('loss', ...): value must be a number, got complex"),
        (10**400, "record('loss', ...): value must be a finite number, got int"),
        (math.nan, "record('loss', nan): value must be a finite number"),
        (math.inf, "record('loss', inf): value must be a finite number"),
        (-math.inf, "record('loss', -inf): value must be a finite number"),
    ],
    ids=["str", "bytes", "bool", "None", "list", "complex", "huge-int", "nan", "inf", "-inf"],
)
def test_record_rejects_values_that_are_not_finite_numbers(value: object, message: str) -> None:
    recorder = Recorder("tests/test_m.py::test_a")
    with pytest.raises(ConfigError) as info:
        recorder.record("loss", value)  # type: ignore[arg-type]
    assert str(info.value) == message
    assert not recorder.used


@pytest.mark.parametrize(
    ("value", "stored"), [(3, 3.0), (decimal.Decimal("0.5"), 0.5), (FloatLike(), 0.25)]
)
def test_record_accepts_numbers_of_other_types(value: object, stored: float) -> None:
    recorder = Recorder("tests/test_m.py::test_a")
    recorder.record("loss", value)  # type: ignore[arg-type]
    point = recorder.point()
    assert point is not None
    assert point.values() == {"loss": stored}


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda r: r.record("", 1.0), "record(): metric name '' must start with a letter"),
        (lambda r: r.record("1st", 1.0), "record(): metric name '1st' must start with a letter"),
        (lambda r: r.record("a b", 1.0), "record(): metric name 'a b' must start with a letter"),
        (lambda r: r.record(7, 1.0), "record(): metric name 7 must start with a letter"),
        (
            lambda r: r.record("loss", 1.0, better="sideways"),
            "better='sideways' is not a direction; use better='lower' or better='higher'",
        ),
        (
            lambda r: (r.record("loss", 1.0), r.record("loss", 2.0)),
            "record(): 'loss' was already recorded in tests/test_m.py::test_a",
        ),
        (
            lambda r: r.record("accuracy", 0.9, better="lower"),
            "record('accuracy'): better=lower conflicts with the registered metric 'accuracy' "
            "(better=higher)",
        ),
    ],
    ids=["empty", "digit", "space", "not-str", "direction", "twice", "registry"],
)
def test_record_rejects_bad_names_and_directions(call: object, message: str) -> None:
    registry = MetricRegistry([Metric("accuracy", "", Direction.HIGHER)])
    recorder = Recorder("tests/test_m.py::test_a", registry=registry)
    with pytest.raises(ConfigError) as info:
        call(recorder)  # type: ignore[operator]
    assert str(info.value).startswith(message)


def test_bad_values_and_unknown_metric_names_fail_their_tests(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_m="""
        import math
        import pytest

        def test_nan(pareto):
            pareto.record("loss", math.nan)

        @pytest.mark.pareto(metrics=["los"])
        def test_unknown_gating_metric(pareto):
            pareto.record("loss", 1.0)

        @pytest.mark.pareto(tolerance={"acuracy": 0.01})
        def test_unknown_tolerance_metric(pareto):
            pareto.record("accuracy", 0.9, better="higher")

        def test_fine(pareto):
            pareto.record("loss", 1.0)
        """
    )
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=1, failed=3)
    result.stdout.fnmatch_lines(
        ["E *ConfigError: record('loss', nan): value must be a finite number"]
    )
    output = result.stdout.str()
    assert (
        "pareto: test_m.py::test_unknown_gating_metric: @pytest.mark.pareto: unknown metric "
        "'los' (did you mean loss or flops?): no probe measures it, no plugin registers it and "
        "the test does not record it; it has: loss"
    ) in output
    assert (
        "pareto: test_m.py::test_unknown_tolerance_metric: @pytest.mark.pareto: unknown metric "
        "'acuracy' (did you mean accuracy?): no probe measures it, no plugin registers it and "
        "the test does not record it; it has: accuracy"
    ) in output


def test_bad_marker_argument_is_a_usage_error_naming_the_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_m="""
        import pytest

        @pytest.mark.pareto(rounds=0)
        def test_a(pareto):
            pareto.record("loss", 1.0)
        """
    )
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*test_m.py::test_a: @pytest.mark.pareto: rounds= must be an integer >= 1, got 0*"]
    )


CHANGING_METRICS = """
import os

def test_direction(pareto):
    pareto.record("score", 0.9, better=os.environ["BETTER"])

def test_unit(pareto):
    pareto.record("latency", 0.9, unit=os.environ["UNIT"])
"""


def test_a_metric_that_changed_between_runs_is_an_error(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(test_m=CHANGING_METRICS)
    monkeypatch.setenv("BETTER", "higher")
    monkeypatch.setenv("UNIT", "s")
    pytester.runpytest("--pareto-update").assert_outcomes(passed=2)
    path = pytester.path / "baselines" / "test_m.py.json"
    stored = path.read_bytes()

    monkeypatch.setenv("BETTER", "lower")
    monkeypatch.setenv("UNIT", "ms")
    for update in (False, True):
        result = pytester.runpytest(*(["--pareto-update"] if update else []))
        result.assert_outcomes(failed=2)
        output = result.stdout.str()
        fix = "use a new metric name, or remove the test's stored points to start its frontier"
        for test, message in (
            (
                "test_direction",
                "metric 'score' was stored as better=higher, unit='' but is now "
                "better=lower, unit=''",
            ),
            (
                "test_unit",
                "metric 'latency' was stored as better=lower, unit='s' but is now "
                "better=lower, unit='ms'",
            ),
        ):
            assert f"pareto: test_m.py::{test}: {message}; {fix} again (stored in {path})" in (
                output
            )
        assert path.read_bytes() == stored


def test_store_path_cannot_escape_the_store(tmp_path: Path) -> None:
    """A node id with '..' parts (a test outside rootdir) still maps into the store folder."""
    from pytest_pareto.store.baseline_files import Store

    store = Store(tmp_path / "baselines")
    path = store.path_for("../../etc/test_x.py::test_a")
    assert path.resolve().is_relative_to((tmp_path / "baselines").resolve())
