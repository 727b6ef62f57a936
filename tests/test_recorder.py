"""The object behind the fixture: measuring once, recording user metrics, building the point."""

from __future__ import annotations

import pytest

from pytest_pareto.errors import ConfigError
from pytest_pareto.measuring.measure import MeasureOptions
from pytest_pareto.measuring.recorder import Recorder, select_probes
from pytest_pareto.model.machine import current_machine
from pytest_pareto.model.metrics import Direction, Metric, MetricRegistry, Variability
from pytest_pareto.probes import WallTimeProbe, builtin_probes


def make_recorder(**kwargs: object) -> Recorder:
    return Recorder(
        "t.py::test",
        probes=[WallTimeProbe()],
        options=MeasureOptions(rounds=3, iterations=1),
        **kwargs,  # type: ignore[arg-type]
    )


def test_measures_once_and_returns_the_result() -> None:
    recorder = make_recorder()
    assert recorder(pow, 2, 10) == 1024
    with pytest.raises(ConfigError, match="measures one callable per test"):
        recorder(pow, 2, 3)
    point = recorder.point(commit="abc", machine=current_machine())
    assert point is not None
    assert point.metric_names == {"wall_time"}
    assert point.observations["wall_time"].processes == 1
    assert len(point.observations["wall_time"].samples[0].rounds) == 3
    assert point.commit == "abc"


def test_record_builds_deterministic_metrics_with_directions() -> None:
    recorder = make_recorder()
    recorder.record("accuracy", 0.93, better="higher")
    recorder.record("loss", 0.2)
    recorder.record("tokens_per_s", 1200, unit="1/s", better="higher", noisy=True)
    metrics = recorder.metrics
    assert metrics["accuracy"].direction is Direction.HIGHER
    assert metrics["loss"].direction is Direction.LOWER
    assert metrics["tokens_per_s"].variability is Variability.NOISY
    assert metrics["tokens_per_s"].unit == "1/s"
    point = recorder.point()
    assert point is not None
    assert point.values() == {
        "accuracy": 0.93,
        "loss": 0.2,
        "tokens_per_s": 1200.0,
    }


def test_record_accepts_numeric_scalars_of_other_libraries() -> None:
    class Scalar:
        def __float__(self) -> float:
            return 0.5

    recorder = make_recorder()
    recorder.record("accuracy", Scalar(), better="higher")  # type: ignore[arg-type]
    assert recorder.point().value("accuracy") == 0.5  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        (("accuracy", "high"), {}, "value must be a number, got str"),
        (("accuracy", True), {}, "value must be a number, got bool"),
        (("accuracy", "0.9"), {}, "value must be a number, got str"),
        (("accuracy", None), {}, "value must be a number, got NoneType"),
        (("accuracy", float("inf")), {}, "finite"),
        (("2fast", 1.0), {}, "must start with a letter"),
        (("accuracy", 0.9), {"better": "up"}, "better='lower' or better='higher'"),
    ],
)
def test_bad_records_are_explained(
    args: tuple[object, ...], kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        make_recorder().record(*args, **kwargs)  # type: ignore[arg-type]


def test_a_metric_both_recorded_and_measured_is_an_error() -> None:
    recorder = make_recorder()
    recorder(pow, 2, 2)
    with pytest.raises(ConfigError, match="'wall_time' was already measured"):
        recorder.record("wall_time", 1.0)
    first_recorded = make_recorder()
    first_recorded.record("wall_time", 1.0)
    with pytest.raises(ConfigError, match=r"wall_time recorded with pareto\.record"):
        first_recorded(pow, 2, 2)


def test_recording_a_builtin_metric_uses_its_definition() -> None:
    recorder = make_recorder()
    recorder.record("py_alloc_peak", 2048)
    metric = recorder.metrics["py_alloc_peak"]
    assert (metric.unit, metric.direction, metric.floor) == ("B", Direction.LOWER, 1024)


def test_recording_twice_is_an_error() -> None:
    recorder = make_recorder()
    recorder.record("accuracy", 0.9, better="higher")
    with pytest.raises(ConfigError, match="already recorded"):
        recorder.record("accuracy", 0.91, better="higher")


def test_registered_metrics_give_defaults_and_refuse_contradictions() -> None:
    registry = MetricRegistry([Metric("f1", "", Direction.HIGHER, Variability.DETERMINISTIC)])
    recorder = make_recorder(registry=registry)
    recorder.record("f1", 0.8)
    assert recorder.metrics["f1"].direction is Direction.HIGHER
    with pytest.raises(ConfigError, match="conflicts with the registered metric"):
        make_recorder(registry=registry).record("f1", 0.8, better="lower")


def test_disabled_recorder_only_calls_the_function() -> None:
    recorder = Recorder("t::x", enabled=False)
    assert recorder(pow, 3, 2) == 9
    assert recorder.point() is None
    assert not recorder.used


def test_pedantic_uses_exact_rounds_and_setup() -> None:
    calls: list[int] = []
    recorder = make_recorder()

    def setup() -> tuple[tuple[int], dict[str, int]]:
        return (len(calls),), {}

    recorder.pedantic(calls.append, setup=setup, rounds=4, warmup_rounds=1)
    assert calls == [0, 1, 2, 3, 4]
    samples = recorder.point().observations["wall_time"].samples[0]  # type: ignore[union-attr]
    assert len(samples.rounds) == 4
    with pytest.raises(ConfigError, match="setup= needs iterations=1"):
        make_recorder().pedantic(calls.append, setup=setup, iterations=2)


def test_select_probes_by_metric_name() -> None:
    probes = builtin_probes()
    assert [p.name for p in select_probes(probes, None)] == [p.name for p in probes if p.default]
    assert [p.name for p in select_probes(probes, ["wall_time", "accuracy"])] == ["wall_time"]
    assert select_probes(probes, ["accuracy"]) == []


def test_non_callable_is_refused() -> None:
    with pytest.raises(ConfigError, match="needs a callable first, got int"):
        make_recorder()(42)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "says"),
    [
        ({"rounds": None}, "pedantic(): rounds must be an integer >= 1, got None"),
        ({"iterations": True}, "pedantic(): iterations must be an integer >= 1, got True"),
        ({"warmup_rounds": -1}, "pedantic(): warmup_rounds must be an integer >= 0, got -1"),
    ],
)
def test_pedantic_counts_are_never_chosen_automatically(
    kwargs: dict[str, object], says: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        make_recorder().pedantic(len, ([1],), **kwargs)  # type: ignore[arg-type]
    assert str(raised.value) == says


def test_pedantic_warm_up_rounds_are_rounds_like_the_timed_ones() -> None:
    events = []
    recorder = make_recorder()
    recorder.pedantic(
        lambda: events.append("call"),
        teardown=lambda: events.append("teardown"),
        rounds=2,
        warmup_rounds=1,
        iterations=2,
    )
    assert events == ["call", "call", "teardown"] * 3
    assert recorder.measurement is not None
    assert (recorder.measurement.rounds, recorder.measurement.iterations) == (2, 2)
