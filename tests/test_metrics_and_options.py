"""Tolerances, directions and marker options: parsing and the errors users see."""

from __future__ import annotations

import pytest

from pytest_pareto.errors import ConfigError
from pytest_pareto.measuring.measure import MeasureOptions
from pytest_pareto.measuring.options import MARKER_ARGUMENTS, TestOptions
from pytest_pareto.model.metrics import Direction, Tolerance


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (0.1, Tolerance(rel=0.1)),
        (0, Tolerance()),
        ("10%", Tolerance(rel=0.1)),
        (" 2.5% ", Tolerance(rel=0.025)),
        ("abs:0.005", Tolerance(abs=0.005)),
        ("0.2", Tolerance(rel=0.2)),
        ({"rel": 0.05, "abs": 1}, Tolerance(rel=0.05, abs=1.0)),
        (Tolerance(abs=3), Tolerance(abs=3)),
    ],
)
def test_tolerance_forms(spec: object, expected: Tolerance) -> None:
    assert Tolerance.parse(spec) == expected


@pytest.mark.parametrize("spec", ["ten", "-5%", -0.1, True, {"rel": 0.1, "x": 1}, [0.1], None])
def test_bad_tolerances_say_which_forms_work(spec: object) -> None:
    with pytest.raises(ConfigError, match=r"tolerance|must be a number"):
        Tolerance.parse(spec, metric="wall_time")


def test_tolerance_band_and_description() -> None:
    tol = Tolerance(rel=0.1, abs=2)
    assert tol.band(-50) == pytest.approx(7)
    assert tol.describe("ms") == "10% + 2 ms"
    assert Tolerance().describe() == "exact"


def test_direction_parse_and_orient() -> None:
    assert Direction.parse("HIGHER") is Direction.HIGHER
    assert Direction.HIGHER.orient(0.9) == -0.9
    with pytest.raises(ConfigError, match="better='lower' or better='higher'"):
        Direction.parse("up")


def test_marker_options_parse() -> None:
    options = TestOptions.from_kwargs(
        {
            "metrics": ["wall_time", "accuracy"],
            "tolerance": {"accuracy": "abs:0.01"},
            "rounds": 7,
            "warmup": 0,
            "group": "models",
        }
    )
    assert options.metrics == ("wall_time", "accuracy")
    assert options.tolerance == {"accuracy": Tolerance(abs=0.01)}
    measure = options.measure_options(MeasureOptions())
    assert (measure.rounds, measure.warmup) == (7, 0)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"toleranse": {}}, "unknown argument toleranse; expected some of"),
        ({"metrics": 3}, "metrics= must be a list"),
        ({"metrics": []}, "at least one metric"),
        ({"tolerance": 0.1}, "must map metric names"),
        ({"tolerance": {"wall_time": "fast"}}, "for metric 'wall_time'"),
        ({"rounds": 0}, "rounds= must be an integer >= 1"),
        ({"rounds": True}, "rounds= must be an integer >= 1"),
        ({"warmup": -1}, "warmup= must be an integer >= 0"),
        ({"max_time": 0}, "max_time= must be a finite number of seconds > 0"),
        ({"group": 3}, "group= must be a non-empty string"),
    ],
)
def test_bad_marker_arguments_are_explained(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        TestOptions.from_kwargs(kwargs)


def test_positional_marker_arguments_are_refused() -> None:
    with pytest.raises(ConfigError, match="keyword arguments only"):
        TestOptions.from_kwargs({}, ("wall_time",))


def test_marker_arguments_list_matches_the_options() -> None:
    assert {"metrics", "tolerance", "rounds", "warmup", "iterations", "max_time", "group"} <= set(
        MARKER_ARGUMENTS
    )


def test_metric_names_must_exist_in_the_test() -> None:
    options = TestOptions.from_kwargs({"tolerance": {"acuracy": 0.1}})
    with pytest.raises(ConfigError, match=r"'acuracy'.*it has: accuracy, wall_time"):
        options.check_metric_names("t.py::test", ["wall_time", "accuracy"])
