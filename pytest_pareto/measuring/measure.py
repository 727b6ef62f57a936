"""The measuring loop: warm-up, calibration, timed rounds, then separate passes."""

from __future__ import annotations

import contextlib
import gc
import math
import statistics
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pytest_pareto.errors import ConfigError
from pytest_pareto.measuring.deadlines import Deadline
from pytest_pareto.measuring.measured_call import MeasuredCall, Setup, Teardown
from pytest_pareto.measuring.repetitions import check_count, check_repetitions
from pytest_pareto.measuring.speed_reference import calibration_run, process_slowdown
from pytest_pareto.model.metrics import SPEED_NORMALISED
from pytest_pareto.model.points import Sample
from pytest_pareto.probes import CallProbe, PausableProbe, Probe, Scope

__all__ = ["MeasureOptions", "Measurement", "calibration_run", "measure", "measure_call"]

MAX_ITERATIONS = 1_000_000
RETIME_BELOW = 10
"""A warm-up call shorter than this many target round times is timed once more (cheap)."""


@dataclass(frozen=True)
class MeasureOptions:
    """How long and how often to measure one callable in one process."""

    rounds: int | None = None
    """Timed rounds; ``None`` chooses from ``max_time`` within [min_rounds, max_rounds]."""
    iterations: int | None = None
    """Calls per round; ``None`` calibrates so a round lasts at least ``min_round_time``."""
    warmup: int = 1
    """Untimed warm-up rounds before measuring (imports, caches, JIT)."""
    warmup_iterations: int = 1
    """Calls per warm-up round (``pareto.pedantic()`` warms up with rounds like its timed ones)."""
    min_round_time: float = 0.002
    max_time: float = 0.5
    min_rounds: int = 3
    max_rounds: int = 100
    disable_gc: bool = True
    timeout: float | None = None
    """Seconds a call may take; a longer one ends the measurement as censored."""
    normalise_speed: bool = True
    """Time a fixed loop before some rounds (0, 1, 2, 4, 8, ...), so times can be judged
    relative to the process's speed (see :data:`~pytest_pareto.model.metrics.SPEED_NORMALISED`)."""

    def __post_init__(self) -> None:
        check_repetitions(
            self.rounds, self.iterations, self.warmup, automatic=("rounds", "iterations")
        )
        check_count("warmup_iterations=", self.warmup_iterations, 1)
        if self.min_rounds < 1 or self.max_rounds < self.min_rounds:
            raise ConfigError("min_rounds must be >= 1 and max_rounds >= min_rounds")
        if not (0 < self.max_time < math.inf and self.min_round_time >= 0):
            raise ConfigError("max_time must be finite and > 0, and min_round_time >= 0")
        if self.timeout is not None and not 0 < self.timeout < math.inf:
            raise ConfigError(f"timeout={self.timeout!r} must be a finite number of seconds > 0")


@dataclass(frozen=True)
class Measurement:
    """What one process measured of one callable."""

    result: Any
    samples: Mapping[str, Sample]
    rounds: int
    iterations: int
    methods: Mapping[str, str] = field(default_factory=dict)
    """Probe name -> how it measured (for reports)."""
    process_slowdown: float | None = None
    """How many times slower the process ran while measuring than before user code, when the
    code under test slowed it beyond noise; then times are kept raw (not speed-normalised)."""


def _calibrate(
    call: Callable[[], Any], first_call_s: float, options: MeasureOptions
) -> tuple[int, float]:
    """Calls per round, and the time of one call as measured while calibrating."""
    if options.iterations is not None:
        return options.iterations, first_call_s
    per_call = first_call_s
    if options.min_round_time <= per_call < RETIME_BELOW * options.min_round_time:
        # A warm-up call above the target may be a fast call the host preempted (or a first
        # call that filled caches): time one more before deciding on one call a round.
        start = time.perf_counter()
        call()
        per_call = min(per_call, time.perf_counter() - start)
    iterations = 1
    # Double until a batch reaches the target round time: one slow first call is not trusted.
    while per_call * iterations < options.min_round_time and iterations < MAX_ITERATIONS:
        iterations *= 2
        start = time.perf_counter()
        for _ in range(iterations):
            call()
        per_call = (time.perf_counter() - start) / iterations
    if per_call <= 0:
        return iterations, per_call
    return max(1, min(MAX_ITERATIONS, math.ceil(options.min_round_time / per_call))), per_call


def _auto_rounds(round_s: float, options: MeasureOptions) -> int:
    if options.rounds is not None:
        return options.rounds
    if round_s <= 0:
        return options.max_rounds
    fit = int(options.max_time / round_s)
    return max(options.min_rounds, min(options.max_rounds, fit))


def measure(
    fn: Callable[..., Any],
    args: Sequence[Any] = (),
    kwargs: Mapping[str, Any] | None = None,
    *,
    probes: Sequence[Probe],
    options: MeasureOptions | None = None,
    setup: Setup | None = None,
    teardown: Teardown | None = None,
) -> Measurement:
    """Measure ``fn(*args, **kwargs)`` with ``probes`` in this process.

    With ``setup``, every round calls it (untimed) for fresh arguments and makes one call.
    ``teardown``, when given, is called untimed with the call's arguments after each warm-up
    round, timed round and separate pass. Exceptions from ``fn`` propagate; a warm-up round or
    timed round longer than ``options.timeout`` per call raises
    :class:`~pytest_pareto.measuring.deadlines.CallCensored`.
    """
    call = MeasuredCall(fn, tuple(args), dict(kwargs or {}), setup, teardown)
    return measure_call(call, probes=probes, options=options)


def measure_call(
    call: MeasuredCall, *, probes: Sequence[Probe], options: MeasureOptions | None = None
) -> Measurement:
    """:func:`measure` of a prepared call (see :mod:`~pytest_pareto.measuring.measured_call`)."""
    options = options or MeasureOptions()
    with Deadline(options.timeout) as deadline:
        return _measure(call, probes, options, deadline)


def _measure(
    call: MeasuredCall, probes: Sequence[Probe], options: MeasureOptions, deadline: Deadline
) -> Measurement:
    first_call_s = _warm_up(call, options, deadline)
    groups = _ProbeGroups.of(probes)
    readings = _Readings()
    with _collector_paused(options.disable_gc):
        iterations, per_call = _iterations(call, options, deadline, first_call_s)
        rounds = _auto_rounds(per_call * iterations, options)
        _timed_rounds(call, groups, options, deadline, rounds, iterations, readings)
    _separate_passes(call, groups.separate, readings)
    _call_probes(call, groups.per_call, readings)
    methods = {probe.name: probe.availability().describe() for probe in probes}
    slowdown = process_slowdown(readings.calibration)
    return Measurement(call.result, readings.samples(), rounds, iterations, methods, slowdown)


def _warm_up(call: MeasuredCall, options: MeasureOptions, deadline: Deadline) -> float:
    """The untimed warm-up rounds; seconds per call they took (0 without any)."""
    started = time.perf_counter()
    for _ in range(options.warmup):
        call.prepare()
        deadline.arm(options.warmup_iterations, "warm-up")
        for _ in range(options.warmup_iterations):
            call.result = call()
        deadline.check()
        call.finish()
    calls = options.warmup * options.warmup_iterations
    return (time.perf_counter() - started) / calls if calls else 0.0


@contextlib.contextmanager
def _collector_paused(pause: bool) -> Iterator[None]:
    """Without garbage collection (after a full one) while ``pause``; restored after."""
    was_enabled = gc.isenabled()
    if pause:
        gc.collect()
        gc.disable()
    try:
        yield
    finally:
        if pause and was_enabled:
            gc.enable()


@dataclass(frozen=True)
class _ProbeGroups:
    """The probes by when they measure."""

    timers: list[Probe]
    per_round: list[Probe]
    per_pass: list[Probe]
    separate: list[Probe]
    per_call: list[Probe]

    @classmethod
    def of(cls, probes: Sequence[Probe]) -> _ProbeGroups:
        by_scope: dict[Scope, list[Probe]] = {scope: [] for scope in Scope}
        for probe in probes:
            by_scope[probe.scope].append(probe)
        # Clocks innermost; among them wall time last so it brackets the calls most tightly.
        timers = sorted(by_scope[Scope.TIMER], key=lambda p: p.name == "wall_time")
        return cls(
            timers=timers,
            per_round=by_scope[Scope.ROUND],
            per_pass=by_scope[Scope.PASS],
            separate=by_scope[Scope.SEPARATE],
            per_call=by_scope[Scope.CALL],
        )


@dataclass
class _Readings:
    """What the probes read, per metric, and the calibration loop's times."""

    values: dict[str, list[float]] = field(default_factory=dict)
    calibration: list[float] = field(default_factory=list)

    def collect(self, probe: Probe, readings: Mapping[str, float], calls: int) -> None:
        for name, value in readings.items():
            per = value / calls if name in probe.per_call else value
            self.values.setdefault(name, []).append(per)

    def scale(self) -> float | None:
        return statistics.median(self.calibration) if self.calibration else None

    def samples(self) -> dict[str, Sample]:
        scale = self.scale()
        if process_slowdown(self.calibration) is not None:
            scale = None  # the code under test slowed the reference loop too: judge raw times
        return {
            name: Sample(tuple(vals), scale=scale if name in SPEED_NORMALISED else None)
            for name, vals in self.values.items()
        }


def _iterations(
    call: MeasuredCall, options: MeasureOptions, deadline: Deadline, first_call_s: float
) -> tuple[int, float]:
    """Calls per round and seconds per call: one call a round with ``setup``, else calibrated."""
    if call.setup is not None:
        return 1, first_call_s
    return _calibrate(deadline.guard(call, "calibration"), first_call_s, options)


def _timed_rounds(
    call: MeasuredCall,
    groups: _ProbeGroups,
    options: MeasureOptions,
    deadline: Deadline,
    rounds: int,
    iterations: int,
    readings: _Readings,
) -> None:
    """``rounds`` rounds of ``iterations`` calls, read by the pass, round and timer probes.

    Pass probes that can pause (energy counters) count the timed calls only: they are
    paused around calibration loops, ``setup``/``teardown`` and the round probes.
    """
    pausable = [probe for probe in groups.per_pass if isinstance(probe, PausableProbe)]
    for probe in groups.per_pass:
        probe.start()
    for probe in pausable:
        probe.pause()
    for index in range(rounds):
        # Rounds 0, 1, 2, 4, 8, ...: spread over the measurement, at most ~8 loops.
        if options.normalise_speed and index & (index - 1) == 0:
            readings.calibration.append(calibration_run())
        call.prepare()
        deadline.arm(iterations, "timed rounds")
        for probe in groups.per_round:
            probe.start()
        for probe in pausable:
            probe.resume()
        for probe in groups.timers:
            probe.start()
        for _ in range(iterations):
            call.result = call()
        for probe in reversed(groups.timers):
            readings.collect(probe, probe.stop(), iterations)
        for probe in reversed(pausable):
            probe.pause()
        for probe in reversed(groups.per_round):
            readings.collect(probe, probe.stop(), iterations)
        deadline.check()
        call.finish()
    for probe in pausable:
        probe.resume()
    for probe in reversed(groups.per_pass):
        readings.collect(probe, probe.stop(), iterations * rounds)


def _separate_passes(call: MeasuredCall, probes: Sequence[Probe], readings: _Readings) -> None:
    """One round of one call for each probe that slows the call (not bounded by the timeout)."""
    for probe in probes:
        call.prepare()
        # The collector's allocation counter decides where in the call a collection frees
        # garbage, and so the allocation peak: start it from zero whatever ran before.
        gc.collect()
        probe.start()
        try:
            call.result = call()
        finally:
            measured = probe.stop()
        call.finish()
        readings.collect(probe, measured, 1)


def _call_probes(call: MeasuredCall, probes: Sequence[Probe], readings: _Readings) -> None:
    """Probes that make the call themselves (e.g. in a subprocess or under a counter)."""
    for probe in probes:
        call.prepare()
        if not isinstance(probe, CallProbe):
            raise ConfigError(f"probe {probe.name!r} has scope 'call' but no measure_call()")
        readings.collect(probe, probe.measure_call(call.fn, call.args, call.kwargs), 1)
