"""The process's speed: a fixed loop timed before user code runs and while it is measured.

Wall and CPU times are judged relative to how fast this process runs a fixed pure-Python loop
(:func:`calibration_run`, timed between rounds), which cancels the speed differences of a
shared host between processes. It also cancels a slowdown that the code under test causes to
the whole interpreter -- a ``sys.settrace`` tracer or a busy thread installed at import slows
the loop as much as the call. So each process also times the loop once *before* any user code
is imported (:func:`take_process_reference`, called by the pytest plugin as it loads). When
the loop runs more than :data:`SLOWDOWN_LIMIT` times slower while measuring than it did then,
the code under test slowed the whole process: that measurement keeps raw times, and the
verdict says why.

A replica forked from a warm process (which took the reference before importing user code)
times the loop again as it starts (:func:`retake_in_forked_process`), unless user code
changed the trace or profile function: the host's speed is a property of each process.

An environment-wide slowdown that is present from the start (a coverage tool active in the
whole run) slows the reference too and stays cancelled.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence

__all__ = [
    "CALIBRATION_LOOPS",
    "PROCESS_SLOWDOWN",
    "SLOWDOWN_LIMIT",
    "calibration_run",
    "process_reference",
    "process_slowdown",
    "retake_in_forked_process",
    "take_process_reference",
]

CALIBRATION_LOOPS = 20_000
"""Iterations of the calibration loop. Frozen: stored calibrations compare only with runs of
this same loop, so changing it would need a new field in the baseline files."""

SLOWDOWN_LIMIT = 1.5
"""How much slower the loop may run while measuring than before user code, before the
process counts as slowed by the code under test. Both sides are the *fastest* of several
runs of the loop: a busy host preempts some runs and so adds time, and the fastest run
stays near the process's speed, while a tracer slows every run (4-10x here). A drift taken
for a slowdown would judge raw times, which on a host slower than when a baseline was
stored can fail a test: hence the fastest runs and a wide limit."""

PROCESS_SLOWDOWN = "process_slowdown"
"""``extra_info`` key of a point whose measuring process the code under test slowed: the
factor, largest over its processes."""

_reference: float | None = None
_tracers_at_reference: tuple[object, object] = (None, None)
"""``sys.gettrace()`` and ``sys.getprofile()`` when the reference was taken."""


def calibration_run() -> float:
    """Seconds a fixed pure-Python loop takes now: this process's current speed."""
    start = time.perf_counter_ns()
    total = 0
    for i in range(CALIBRATION_LOOPS):
        total += i ^ 3
    return (time.perf_counter_ns() - start) / 1e9


def take_process_reference(runs: int = 5) -> float:
    """Time the loop now (the fastest of ``runs``) as the process's speed before user code;
    kept from the first call on."""
    global _reference, _tracers_at_reference
    if _reference is None:
        _tracers_at_reference = (sys.gettrace(), sys.getprofile())
        _reference = min(calibration_run() for _ in range(runs))
    return _reference


def retake_in_forked_process(runs: int = 5) -> float | None:
    """Time the loop again in a process forked after user code was imported (a replica of
    a warm process): a shared host runs each process at its own speed, so a reference
    inherited from the parent may be off by the host's factor (1.6x here). Only while the
    interpreter runs as it did when the parent took its reference -- the same trace and
    profile functions (none, or a coverage tool's) -- else the code under test changed
    them at import and the inherited reference is what shows that."""
    global _reference
    if _reference is not None and (sys.gettrace(), sys.getprofile()) == _tracers_at_reference:
        _reference = min(calibration_run() for _ in range(runs))
    return _reference


def process_reference() -> float | None:
    """The speed taken before user code, or ``None`` where none was taken."""
    return _reference


def process_slowdown(runs: Sequence[float]) -> float | None:
    """How many times slower the loop ran while measuring (the fastest of ``runs``) than
    before user code, when that is beyond :data:`SLOWDOWN_LIMIT`; else ``None``."""
    if not runs or _reference is None or _reference <= 0:
        return None
    factor = min(runs) / _reference
    return factor if factor > SLOWDOWN_LIMIT else None
