"""Censored results: calls stopped at ``timeout=``, bounds in comparisons, and in pytest."""

from __future__ import annotations

import threading
import time

import pytest

from pytest_pareto.errors import ConfigError
from pytest_pareto.judging.censoring import compare_censored
from pytest_pareto.judging.dominance import Relation
from pytest_pareto.measuring.deadlines import CallCensored, Deadline
from pytest_pareto.measuring.measure import MeasureOptions, measure
from pytest_pareto.measuring.recorder import Recorder
from pytest_pareto.model.metrics import BUILTIN_METRICS, Tolerance
from pytest_pareto.model.points import Observation, Sample
from pytest_pareto.probes import WallTimeProbe

RUN = ("-p", "no:benchmark", "-p", "no:cacheprovider")
WALL_TIME = BUILTIN_METRICS["wall_time"]


def _obs(value: float, censored: bool = False) -> Observation:
    return Observation((Sample((value,)),), censored=censored)


def test_a_call_past_its_timeout_is_stopped_and_censored() -> None:
    started = time.perf_counter()
    with pytest.raises(CallCensored) as caught:
        measure(
            time.sleep,
            (30.0,),
            probes=[WallTimeProbe()],
            options=MeasureOptions(timeout=0.05, warmup=1),
        )
    elapsed = time.perf_counter() - started
    assert elapsed < 10  # stopped, not slept for 30 s
    stop = caught.value
    assert stop.interrupted
    assert stop.phase == "warm-up"
    assert stop.lower_bound >= 0.05
    assert "exceeded timeout=0.05s in the warm-up" in str(stop)


def test_a_timed_round_past_its_timeout_is_censored() -> None:
    calls = []

    def slower_each_time() -> None:
        calls.append(1)
        time.sleep(0.0 if len(calls) < 3 else 30.0)

    with pytest.raises(CallCensored) as caught:
        measure(
            slower_each_time,
            probes=[WallTimeProbe()],
            options=MeasureOptions(timeout=0.05, warmup=1, rounds=5, iterations=1),
        )
    assert caught.value.phase == "timed rounds"


def test_an_except_exception_in_the_test_cannot_swallow_it() -> None:
    def careless_test_code() -> None:
        try:
            measure(time.sleep, (30.0,), probes=[], options=MeasureOptions(timeout=0.05))
        except Exception:
            pytest.fail("CallCensored must pass through `except Exception`")

    with pytest.raises(CallCensored):
        careless_test_code()


def test_outside_the_main_thread_a_slow_call_is_found_after_it_ends() -> None:
    outcome: list[BaseException] = []

    def worker() -> None:
        try:
            measure(time.sleep, (0.2,), probes=[], options=MeasureOptions(timeout=0.05))
        except CallCensored as stop:
            outcome.append(stop)

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    (stop,) = outcome
    assert isinstance(stop, CallCensored)
    assert not stop.interrupted  # no signal here: the call ran to its end
    assert stop.lower_bound >= 0.2


def test_the_alarm_is_left_as_it_was() -> None:
    import signal

    before = signal.getsignal(signal.SIGALRM)
    with Deadline(1.0) as deadline:
        deadline.arm(1, "warm-up")
        deadline.check()
    assert signal.getsignal(signal.SIGALRM) == before
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_no_timeout_measures_as_before() -> None:
    measurement = measure(
        time.sleep, (0.0,), probes=[WallTimeProbe()], options=MeasureOptions(rounds=3)
    )
    assert len(measurement.samples["wall_time"].rounds) == 3
    with pytest.raises(ConfigError, match="timeout=0 must be a finite number of seconds > 0"):
        MeasureOptions(timeout=0)


def test_the_recorder_keeps_the_bound_as_a_censored_point() -> None:
    recorder = Recorder(
        "t.py::test", probes=[WallTimeProbe()], options=MeasureOptions(timeout=0.05)
    )
    with pytest.raises(CallCensored):
        recorder(time.sleep, 30.0)
    point = recorder.point()
    assert point is not None
    assert point.observations["wall_time"].censored
    assert point.value("wall_time") >= 0.05
    assert point.to_json()["metrics"]["wall_time"]["censored"] is True
    with pytest.raises(ConfigError, match="measures one callable per test"):
        recorder(time.sleep, 0.0)


@pytest.mark.parametrize(
    ("candidate", "reference", "relation", "method"),
    [
        (_obs(2.0, True), _obs(1.0), Relation.WORSE, "censored-new"),  # at least 2x slower
        (_obs(1.02, True), _obs(1.0), Relation.UNSURE_WORSE, "censored-new"),  # maybe slower
        (_obs(0.5, True), _obs(1.0), Relation.UNSURE_WORSE, "censored-new"),  # unknown
        (_obs(0.5), _obs(1.0, True), Relation.BETTER, "censored-baseline"),  # surely faster
        (_obs(1.5), _obs(1.0, True), Relation.UNSURE_BETTER, "censored-baseline"),
        (_obs(3.0, True), _obs(1.0, True), Relation.EQUAL, "censored-both"),
    ],
)
def test_censored_values_compare_as_lower_bounds(
    candidate: Observation, reference: Observation, relation: Relation, method: str
) -> None:
    comparison = compare_censored(WALL_TIME, candidate, reference, Tolerance(rel=0.05))
    assert (comparison.relation, comparison.method) == (relation, method)


# -- in pytest ---------------------------------------------------------------------------

SLOW_TEST = """
    import time
    import pytest

    @pytest.mark.pareto(metrics=["wall_time"], timeout=0.25)
    def test_slow(pareto):
        pareto(time.sleep, {seconds})
        assert {seconds} < 1, "the rest of the test does not run after a censored call"
"""


def test_a_censored_call_is_a_result_not_an_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_slow=SLOW_TEST.format(seconds=30))
    result = pytester.runpytest(*RUN, "--pareto-update")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*test_slow.py::test_slow*new*wall_time*≥ 2*ms*"])
    stored = (pytester.path / "baselines" / "test_slow.py.json").read_text()
    assert '"censored": true' in stored


def test_a_call_now_past_the_timeout_is_dominated(pytester: pytest.Pytester) -> None:
    """Stored: 10 ms. Now: stopped at 250 ms, so at least 25x slower (a huge, safe margin)."""
    pytester.makepyfile(test_slow=SLOW_TEST.format(seconds=0.01))
    pytester.runpytest(*RUN, "--pareto-update").assert_outcomes(passed=1)
    pytester.makepyfile(test_slow=SLOW_TEST.format(seconds=30))
    result = pytester.runpytest(*RUN)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*pareto: dominated*",
            "*wall_time*≥ 2*ms*worse*new value is a lower bound (stopped at its timeout)*",
        ]
    )


def test_a_budget_on_a_censored_time(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_slow="""
        import time
        import pytest

        @pytest.mark.pareto(metrics=["wall_time"], timeout=0.1, budget={"wall_time": "<= 50ms"})
        def test_slow(pareto):
            pareto(time.sleep, 30)
        """
    )
    result = pytester.runpytest(*RUN)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*over budget — wall_time <= 50ms*", "*wall_time*≥ 1*violated*"])
