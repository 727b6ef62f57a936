"""The measuring loop: warm-up, calibration, timed rounds, then separate passes."""

from __future__ import annotations

import gc
import math
import statistics
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pytest_pareto.errors import ConfigError
from pytest_pareto.judging.censoring import Deadline
from pytest_pareto.model.metrics import SPEED_NORMALISED
from pytest_pareto.model.points import Sample
from pytest_pareto.probes import CallProbe, Probe, Scope

__all__ = ["MeasureOptions", "Measurement", "measure"]

MAX_ITERATIONS = 1_000_000

CALIBRATION_LOOPS = 20_000
"""Iterations of the calibration loop. Frozen: stored calibrations compare only with runs of
this same loop, so changing it would need a new field in the baseline files."""


def calibration_run() -> float:
    """Seconds a fixed pure-Python loop takes now: this process's current speed."""
    start = time.perf_counter_ns()
    total = 0
    for i in range(CALIBRATION_LOOPS):
        total += i ^ 3
    return (time.perf_counter_ns() - start) / 1e9


@dataclass(frozen=True)
class MeasureOptions:
    """How long and how often to measure one callable in one process."""

    rounds: int | None = None
    """Timed rounds; ``None`` chooses from ``max_time`` within [min_rounds, max_rounds]."""
    iterations: int | None = None
    """Calls per round; ``None`` calibrates so a round lasts at least ``min_round_time``."""
    warmup: int = 1
    """Untimed calls before measuring (imports, caches, JIT)."""
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
        for name in ("rounds", "iterations"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or value < 1):
                raise ConfigError(f"{name}={value!r} must be a positive integer")
        if not isinstance(self.warmup, int) or self.warmup < 0:
            raise ConfigError(f"warmup={self.warmup!r} must be an integer >= 0")
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


def _calibrate(
    call: Callable[[], Any], first_call_s: float, options: MeasureOptions
) -> tuple[int, float]:
    """Calls per round, and the time of one call as measured while calibrating."""
    if options.iterations is not None:
        return options.iterations, first_call_s
    per_call = first_call_s
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
    setup: Callable[[], tuple[Sequence[Any], Mapping[str, Any]] | None] | None = None,
    teardown: Callable[..., Any] | None = None,
) -> Measurement:
    """Measure ``fn(*args, **kwargs)`` with ``probes`` in this process.

    With ``setup``, every round calls it (untimed) for fresh arguments and makes one call.
    ``teardown``, when given, is called untimed with the call's arguments after each warm-up
    call, round and separate pass. Exceptions from ``fn`` propagate; a warm-up call or timed
    round longer than ``options.timeout`` per call raises
    :class:`~pytest_pareto.judging.censoring.CallCensored`.
    """
    options = options or MeasureOptions()
    with Deadline(options.timeout) as deadline:
        return _measure(fn, args, kwargs, probes, options, setup, teardown, deadline)


def _measure(
    fn: Callable[..., Any],
    args: Sequence[Any],
    kwargs: Mapping[str, Any] | None,
    probes: Sequence[Probe],
    options: MeasureOptions,
    setup: Callable[[], tuple[Sequence[Any], Mapping[str, Any]] | None] | None,
    teardown: Callable[..., Any] | None,
    deadline: Deadline,
) -> Measurement:
    kwargs = dict(kwargs or {})
    call_args: list[Any] = [tuple(args), kwargs]

    def prepare() -> None:
        if setup is not None:
            fresh = setup()
            if fresh is not None:
                call_args[0], call_args[1] = tuple(fresh[0]), dict(fresh[1])

    def call() -> Any:
        return fn(*call_args[0], **call_args[1])

    def finish() -> None:
        if teardown is not None:
            teardown(*call_args[0], **call_args[1])

    result: Any = None
    started = time.perf_counter()
    for _ in range(options.warmup):
        prepare()
        deadline.arm(1, "warm-up")
        result = call()
        deadline.check()
        finish()
    first_call_s = (time.perf_counter() - started) / options.warmup if options.warmup else 0.0

    by_scope: dict[Scope, list[Probe]] = {scope: [] for scope in Scope}
    for probe in probes:
        by_scope[probe.scope].append(probe)
    # Clocks innermost; among them wall time last so it brackets the calls most tightly.
    timers = sorted(by_scope[Scope.TIMER], key=lambda p: p.name == "wall_time")
    round_probes = by_scope[Scope.ROUND]
    pass_probes = by_scope[Scope.PASS]

    values: dict[str, list[float]] = {}
    calibration: list[float] = []

    def collect(probe: Probe, readings: Mapping[str, float], calls: int) -> None:
        for name, value in readings.items():
            per = value / calls if name in probe.per_call else value
            values.setdefault(name, []).append(per)

    gc_was_enabled = gc.isenabled()
    if options.disable_gc:
        gc.collect()
        gc.disable()
    try:
        if setup is not None:
            iterations, per_call = 1, first_call_s
        else:
            iterations, per_call = _calibrate(
                deadline.guard(call, "calibration"), first_call_s, options
            )
        rounds = _auto_rounds(per_call * iterations, options)
        for probe in pass_probes:
            probe.start()
        for index in range(rounds):
            # Rounds 0, 1, 2, 4, 8, ...: spread over the measurement, at most ~8 loops.
            if options.normalise_speed and index & (index - 1) == 0:
                calibration.append(calibration_run())
            prepare()
            deadline.arm(iterations, "timed rounds")
            for probe in round_probes:
                probe.start()
            for probe in timers:
                probe.start()
            for _ in range(iterations):
                result = call()
            for probe in reversed(timers):
                collect(probe, probe.stop(), iterations)
            for probe in reversed(round_probes):
                collect(probe, probe.stop(), iterations)
            deadline.check()
            finish()
        for probe in reversed(pass_probes):
            collect(probe, probe.stop(), iterations * rounds)
    finally:
        if options.disable_gc and gc_was_enabled:
            gc.enable()

    for probe in by_scope[Scope.SEPARATE]:
        prepare()
        # The collector's allocation counter decides where in the call a collection frees
        # garbage, and so the allocation peak: start it from zero whatever ran before.
        gc.collect()
        probe.start()  # not bounded by the timeout: these passes slow the call on purpose
        try:
            result = call()
        finally:
            readings = probe.stop()
        finish()
        collect(probe, readings, 1)

    for probe in by_scope[Scope.CALL]:
        prepare()
        if not isinstance(probe, CallProbe):
            raise ConfigError(f"probe {probe.name!r} has scope 'call' but no measure_call()")
        collect(probe, probe.measure_call(fn, call_args[0], call_args[1]), 1)

    scale = statistics.median(calibration) if calibration else None
    samples = {
        name: Sample(tuple(vals), scale=scale if name in SPEED_NORMALISED else None)
        for name, vals in values.items()
    }
    methods = {probe.name: probe.availability().describe() for probe in probes}
    return Measurement(result, samples, rounds, iterations, methods)
