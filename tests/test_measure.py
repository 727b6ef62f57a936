"""The measuring loop and the built-in probes."""

from __future__ import annotations

import gc
import importlib
import time
from collections.abc import Mapping
from pathlib import Path

import pytest

from pytest_pareto.errors import ConfigError
from pytest_pareto.measuring.measure import MeasureOptions, calibration_run, measure
from pytest_pareto.model.metrics import Metric
from pytest_pareto.probes import (
    Availability,
    CpuTimeProbe,
    PeakRssProbe,
    Probe,
    PyAllocProbe,
    Scope,
    WallTimeProbe,
    builtin_probes,
)

EVENTS: list[str] = []


class RecordingProbe:
    """Logs its start/stop and reports how many calls happened in its bracket."""

    def __init__(self, name: str, scope: Scope, per_call: bool = True) -> None:
        self.name = name
        self.metrics = (Metric(name),)
        self.scope = scope
        self.per_call = frozenset({name}) if per_call else frozenset()
        self.default = True
        self.gc_enabled_at_start: list[bool] = []
        self._calls_at_start = 0

    def availability(self) -> Availability:
        return Availability.yes("test")

    def start(self) -> None:
        EVENTS.append(f"start {self.name}")
        self.gc_enabled_at_start.append(gc.isenabled())
        self._calls_at_start = CALLS[0]

    def stop(self) -> Mapping[str, float]:
        EVENTS.append(f"stop {self.name}")
        return {self.name: float(CALLS[0] - self._calls_at_start)}


CALLS = [0]


def counted(x: int = 1) -> int:
    CALLS[0] += 1
    return x * 2


@pytest.fixture(autouse=True)
def _reset() -> None:
    EVENTS.clear()
    CALLS[0] = 0


def test_probes_nest_by_scope_and_values_are_per_call() -> None:
    timer = RecordingProbe("timer", Scope.TIMER)
    around = RecordingProbe("around", Scope.ROUND, per_call=False)
    whole = RecordingProbe("whole", Scope.PASS)
    alone = RecordingProbe("alone", Scope.SEPARATE)
    options = MeasureOptions(rounds=3, iterations=4, warmup=2)
    result = measure(counted, (5,), probes=[alone, whole, around, timer], options=options)
    assert result.result == 10
    assert (result.rounds, result.iterations) == (3, 4)
    assert EVENTS[:5] == ["start whole", "start around", "start timer", "stop timer", "stop around"]
    assert EVENTS[-3:] == ["stop whole", "start alone", "stop alone"]
    assert result.samples["timer"].rounds == (1.0, 1.0, 1.0)  # 4 calls / 4 iterations
    assert result.samples["around"].rounds == (4.0, 4.0, 4.0)  # not divided
    assert result.samples["whole"].rounds == (1.0,)  # 12 calls / 12
    assert result.samples["alone"].rounds == (1.0,)  # one call
    assert CALLS[0] == 2 + 12 + 1  # warm-up, timed, separate pass


def test_gc_is_off_while_timing_and_restored() -> None:
    timer = RecordingProbe("timer", Scope.TIMER)
    alone = RecordingProbe("alone", Scope.SEPARATE)
    measure(counted, probes=[timer, alone], options=MeasureOptions(rounds=2, iterations=1))
    assert timer.gc_enabled_at_start == [False, False]
    assert alone.gc_enabled_at_start == [True]
    assert gc.isenabled()


def test_exceptions_propagate_and_gc_is_restored() -> None:
    calls = []

    def fails_on_third() -> None:
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        measure(fails_on_third, probes=[WallTimeProbe()], options=MeasureOptions(iterations=1))
    assert gc.isenabled()


def test_calibration_batches_fast_calls_into_longer_rounds() -> None:
    result = measure(counted, probes=[WallTimeProbe()], options=MeasureOptions(max_time=0.05))
    assert result.iterations > 10  # a call takes well under a microsecond here
    assert 3 <= result.rounds <= 100
    per_call = result.samples["wall_time"].summary
    assert 0 < per_call < 0.002  # one call is below the 2 ms target round length


def test_times_carry_the_process_speed_and_other_metrics_do_not(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    speeds = iter([3e-4, 1e-4, 2e-4, 5e-4, 4e-4, 9e-4])
    module = importlib.import_module(
        "pytest_pareto.measuring.measure"
    )  # the name is also a function
    monkeypatch.setattr(module, "calibration_run", lambda: next(speeds))
    probes: list[Probe] = [WallTimeProbe(), CpuTimeProbe(), RecordingProbe("count", Scope.TIMER)]
    result = measure(counted, probes=probes, options=MeasureOptions(rounds=10, iterations=2))
    # Loops before rounds 0, 1, 2, 4 and 8: five, and their median is the process's speed.
    assert result.samples["wall_time"].scale == 3e-4
    assert result.samples["cpu_time"].scale == 3e-4
    assert result.samples["count"].scale is None
    plain = measure(
        counted,
        probes=probes,
        options=MeasureOptions(rounds=3, iterations=2, normalise_speed=False),
    )
    assert plain.samples["wall_time"].scale is None
    assert next(speeds) == 9e-4  # the plain run timed no calibration loop


def cyclic_garbage(count: int) -> None:
    """Self-referencing lists: only the cycle collector frees them, at a point in the call
    set by its allocation counter."""
    for _ in range(count):
        garbage: list[object] = []
        garbage.append(garbage)


@pytest.mark.parametrize("garbage_before", [0, 250, 500])
def test_allocation_peak_does_not_depend_on_what_ran_before(garbage_before: int) -> None:
    # Less garbage than the collector's threshold (700): whether a collection falls inside
    # the call depends on where its counter stood when the call began.
    options = MeasureOptions(rounds=1, iterations=1, warmup=0, disable_gc=False)
    gc.collect()
    first = measure(cyclic_garbage, (500,), probes=[PyAllocProbe()], options=options)
    cyclic_garbage(garbage_before)  # moves the collector's counter
    again = measure(cyclic_garbage, (500,), probes=[PyAllocProbe()], options=options)
    assert again.samples["py_alloc_peak"].rounds == first.samples["py_alloc_peak"].rounds


def test_the_calibration_loop_takes_real_time() -> None:
    assert 0 < calibration_run() < 1.0


def test_setup_runs_before_every_round_with_fresh_arguments() -> None:
    seen = []

    def setup() -> tuple[tuple[int], dict[str, int]]:
        return (len(seen),), {}

    def record(x: int) -> int:
        seen.append(x)
        return x

    result = measure(
        record, probes=[WallTimeProbe()], options=MeasureOptions(rounds=3), setup=setup
    )
    assert seen == [0, 1, 2, 3]  # one warm-up, three rounds of one call, fresh args each time
    assert result.iterations == 1


def test_warm_up_rounds_make_their_calls_between_setup_and_teardown() -> None:
    events = []

    def setup() -> None:
        events.append("setup")

    def teardown() -> None:
        events.append("teardown")

    options = MeasureOptions(rounds=1, iterations=1, warmup=2, warmup_iterations=3)
    measure(lambda: events.append("call"), probes=[], options=options, teardown=teardown)
    warm_up = ["call", "call", "call", "teardown"]
    assert events == [*warm_up, *warm_up, "call", "teardown"]
    events.clear()
    measure(lambda: events.append("call"), probes=[], options=options, setup=setup)
    assert events == ["setup", "call", "call", "call"] * 2 + ["setup", "call"]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"rounds": 0},
        {"iterations": -1},
        {"warmup": -1},
        {"min_rounds": 5, "max_rounds": 2},
        {"warmup_iterations": 0},
    ],
)
def test_bad_measure_options(kwargs: dict[str, int]) -> None:
    with pytest.raises(ConfigError):
        MeasureOptions(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "says"),
    [
        ({"rounds": 0}, "rounds= must be an integer >= 1, got 0"),
        ({"rounds": True}, "rounds= must be an integer >= 1, got True"),
        ({"iterations": 2.5}, "iterations= must be an integer >= 1, got 2.5"),
        ({"warmup": None}, "warmup= must be an integer >= 0, got None"),
    ],
)
def test_measure_options_validate_counts_as_the_marker_does(
    kwargs: dict[str, object], says: str
) -> None:
    """One validation, one wording, for the marker's and the measuring loop's counts."""
    with pytest.raises(ConfigError) as raised:
        MeasureOptions(**kwargs)  # type: ignore[arg-type]
    assert str(raised.value) == says


def test_builtin_probes_follow_the_protocol_and_explain_themselves() -> None:
    for probe in builtin_probes():
        assert isinstance(probe, Probe)
        availability = probe.availability()
        assert availability.method if availability.available else availability.reason
    always = {"wall_time", "cpu_time", "peak_rss", "py_alloc"}
    assert always <= {p.name for p in builtin_probes() if p.availability().available}


def test_cpu_time_counts_busy_work_not_sleep() -> None:
    import time

    result = measure(
        time.sleep,
        (0.02,),
        probes=[WallTimeProbe(), CpuTimeProbe()],
        options=MeasureOptions(rounds=3, iterations=1, warmup=0),
    )
    wall = result.samples["wall_time"].summary
    cpu = result.samples["cpu_time"].summary
    assert wall >= 0.02  # sleep never returns early
    assert cpu < wall / 5  # a sleeping process uses next to no CPU


def big_allocation(mib: int) -> int:
    block = bytearray(mib * 1024 * 1024)
    block[::4096] = b"\x01" * len(block[::4096])  # touch every page so it becomes resident
    return len(block)


def test_peak_rss_with_the_kernel_high_water_mark() -> None:
    probe = PeakRssProbe()
    if probe.scope is not Scope.ROUND:
        pytest.skip(f"kernel peak reset unavailable here: {probe.availability().describe()}")
    assert "VmHWM" in probe.availability().method
    result = measure(
        big_allocation, (64,), probes=[probe], options=MeasureOptions(rounds=3, iterations=1)
    )
    peak = result.samples["peak_rss"].summary
    assert 60 * 2**20 <= peak <= 80 * 2**20


def test_peak_rss_falls_back_to_sampling_and_says_so(tmp_path: Path) -> None:
    probe = PeakRssProbe(proc_self=tmp_path)  # no clear_refs, no status: kernel path unavailable
    assert probe.scope is Scope.SEPARATE
    availability = probe.availability()
    assert availability.available
    assert "psutil sampling" in availability.method
    assert "may miss" in availability.method

    def hold(mib: int) -> int:
        import time

        size = big_allocation(mib)
        block = bytearray(mib * 1024 * 1024)
        block[::4096] = b"\x01" * len(block[::4096])
        time.sleep(0.05)  # long enough for several samples
        return size + len(block)

    result = measure(hold, (64,), probes=[probe], options=MeasureOptions(rounds=1, warmup=0))
    assert result.samples["peak_rss"].summary >= 50 * 2**20


def test_python_allocation_peak_is_deterministic_and_exact() -> None:
    def build(n: int) -> list[int]:
        return list(range(n))

    runs = [
        measure(build, (100_000,), probes=[PyAllocProbe()], options=MeasureOptions(rounds=1))
        .samples["py_alloc_peak"]
        .summary
        for _ in range(3)
    ]
    assert len(set(runs)) == 1
    assert runs[0] >= 100_000 * 8  # at least the list's pointer array


@pytest.mark.parametrize(("during", "slowed"), [(1e-4, None), (1.2e-4, None), (4e-4, 4.0)])
def test_a_process_the_code_slowed_keeps_raw_times_and_says_by_how_much(
    monkeypatch: pytest.MonkeyPatch, during: float, slowed: float | None
) -> None:
    """The loop timed before user code (1e-4 s) against the loop while measuring."""
    from pytest_pareto.measuring import measure as measure_module
    from pytest_pareto.measuring import speed_reference

    monkeypatch.setattr(speed_reference, "_reference", 1e-4)
    monkeypatch.setattr(measure_module, "calibration_run", lambda: during)
    result = measure(counted, probes=[WallTimeProbe()], options=MeasureOptions(rounds=5))
    assert result.process_slowdown == (pytest.approx(slowed) if slowed else None)
    assert result.samples["wall_time"].scale == (None if slowed else during)


def test_the_process_reference_is_taken_once(monkeypatch: pytest.MonkeyPatch) -> None:
    from pytest_pareto.measuring import speed_reference

    monkeypatch.setattr(speed_reference, "_reference", None)  # restored after the test
    first = speed_reference.take_process_reference()
    assert speed_reference.take_process_reference() == first == speed_reference.process_reference()
    assert first > 0


def test_one_slow_warm_up_call_does_not_decide_one_call_a_round() -> None:
    """A fast call whose first run was slow (preempted, cold caches) is still batched."""
    calls = []

    def slow_once() -> None:
        calls.append(None)
        if len(calls) == 1:
            time.sleep(0.004)  # twice the 2 ms target round length

    result = measure(slow_once, probes=[WallTimeProbe()], options=MeasureOptions(max_time=0.05))
    assert result.iterations > 10
