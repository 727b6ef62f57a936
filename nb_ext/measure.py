"""Run a ``%%pareto`` cell under the core's recorder, then judge the point or hand it to pytest."""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from IPython.core.error import UsageError

from nb_ext.arguments import CellRequest, CellSpec, usage_error
from nb_ext.cell import CompiledCell, compile_cell
from nb_ext.gate import Gate
from nb_ext.result import ParetoResult
from nb_ext.session import Session
from pytest_pareto.errors import BaselineFileError, ConfigError
from pytest_pareto.measuring.diagnostics import with_diagnostics
from pytest_pareto.measuring.measure import MeasureOptions
from pytest_pareto.measuring.notebook_records import (
    DISABLE_ENV,
    RECORD_ENV,
    CellRecord,
    append_record,
)
from pytest_pareto.measuring.options import known_metric_names
from pytest_pareto.measuring.recorder import Recorder, select_probes
from pytest_pareto.model.metrics import Direction, unknown_metrics_message
from pytest_pareto.model.points import Point
from pytest_pareto.probes import Probe, builtin_probes
from pytest_pareto.replication.provenance import git_commit

__all__ = ["measure_cell"]

_SLOW_ROUND_RATIO = 4.0


@dataclass(frozen=True)
class _Measured:
    """A cell's measured point, with what the user should know about it."""

    point: Point
    recorder: Recorder
    notes: tuple[str, ...]
    value: Any
    """The cell's last value."""


def measure_cell(session: Session, request: CellRequest) -> ParetoResult | None:
    """Measure the cell and judge it: the result, or ``None`` when pytest runs the notebook
    (it then measures nothing, or records for pytest to judge)."""
    __tracebackhide__ = True
    spec = request.spec
    location = session.locate()
    test_id = location.test_id(spec.name)
    setup = compile_cell(session.shell, request.setup) if request.setup.strip() else None
    cell = compile_cell(session.shell, request.measured)
    if os.environ.get(DISABLE_ENV):
        if setup is not None:
            _run_as_usual(setup)
        _run_as_usual(cell)
        return None
    if spec.quality_named and not cell.has_value:
        raise usage_error(
            f"--quality {spec.quality}: the cell must end with an expression to record"
        )
    probes = _cell_probes(spec, cell)
    record_to = os.environ.get(RECORD_ENV)
    gate = session.gate(location)
    better = _quality_direction(gate, spec, test_id, stored=not record_to)
    recorder = _recorder(test_id, probes, spec, better, cell)
    if setup is not None:
        _run_as_usual(setup)
    value = _run_as_usual(cell, recorder if probes else None)
    notes = _record_last_value(recorder, spec, better, cell, value)
    point = recorder.point(commit=git_commit(location.root), machine=gate.context.machine)
    if point is None:
        raise usage_error(
            "nothing was measured or recorded: name measured metrics with --metrics or "
            "end the cell with a number"
        )
    measured = _Measured(point, recorder, notes, value)
    if record_to:
        _record_for_pytest(record_to, spec, measured)
        return None
    result = _judge(gate, spec, measured)
    session.last = (gate, test_id)
    return result


def _cell_probes(spec: CellSpec, cell: CompiledCell) -> list[Probe]:
    """The probes that measure the cell: those ``--metrics`` names, available here."""
    every = builtin_probes()
    probes = select_probes(every, spec.options.metrics)
    named = set(spec.options.metrics or ()) | set(spec.options.tolerance)
    recorded = {spec.quality} if cell.has_value else set()
    typos = named - known_metric_names(every) - recorded
    if typos:
        raise usage_error(
            unknown_metrics_message(
                typos, known_metric_names(every) | recorded, where="--metrics/--tolerance: "
            )
        )
    known = {m.name for p in probes for m in p.metrics} | recorded
    unknown = sorted(named - known)
    if unknown:
        raise usage_error(
            f"--metrics/--tolerance name {', '.join(unknown)}, which this cell neither "
            f"measures nor records; it has: {', '.join(sorted(known)) or 'none'}"
        )
    unavailable = [p for p in probes if not p.availability().available]
    asked = [p for p in unavailable if {m.name for m in p.metrics} & named]
    if asked:
        reasons = "; ".join(f"{p.name}: {p.availability().reason}" for p in asked)
        raise UsageError(f"cannot measure here: {reasons}")
    return [p for p in probes if p not in unavailable]


def _quality_direction(gate: Gate, spec: CellSpec, test_id: str, *, stored: bool) -> Direction:
    """``--better``, else the direction stored for the quality metric, else higher."""
    try:
        baseline = gate.context.store.load(test_id) if stored else None
    except BaselineFileError as exc:
        raise UsageError(str(exc)) from None
    if spec.better is not None:
        return spec.better
    known = baseline.metrics.get(spec.quality) if baseline else None
    return known.direction if known is not None else Direction.HIGHER


def _recorder(
    test_id: str, probes: list[Probe], spec: CellSpec, better: Direction, cell: CompiledCell
) -> Recorder:
    recorder = Recorder(
        test_id, probes=probes, options=spec.options.measure_options(MeasureOptions())
    )
    if cell.has_value:
        try:  # check the quality metric's name before running anything
            Recorder(test_id, probes=probes).record(spec.quality, 0.0, better=better.value)
        except ConfigError as exc:
            raise usage_error(f"--quality: {exc}") from None
    return recorder


def _run_as_usual(cell: CompiledCell, recorder: Recorder | None = None) -> Any:
    """Run (or measure) a cell; an exception propagates with the cell's frames only."""
    __tracebackhide__ = True
    try:
        return recorder(cell.run) if recorder is not None else cell.run()
    except Exception as exc:
        # The same exception, re-raised with a shorter traceback: no new cause to chain.
        raise exc.with_traceback(cell.user_traceback(exc.__traceback__))  # noqa: B904


def _as_number(value: Any) -> float | None:
    """The value as a float if it is a real number (numpy and 0-d torch scalars included)."""
    if value is None or isinstance(value, bool | str | bytes | complex):
        return None
    if not hasattr(type(value), "__float__"):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError, RuntimeError):
        return None
    return number if math.isfinite(number) else None


def _record_last_value(
    recorder: Recorder, spec: CellSpec, better: Direction, cell: CompiledCell, value: Any
) -> tuple[str, ...]:
    """Record the cell's last value as the quality metric if it is a number; the notes."""
    notes = list(_measurement_notes(recorder))
    number = _as_number(value)
    if number is not None:
        recorder.record(spec.quality, number, better=better.value)
    elif spec.quality_named:
        raise usage_error(
            f"--quality {spec.quality}: the cell's last value is a "
            f"{type(value).__name__}, not a number; nothing was recorded"
        )
    elif cell.has_value and value is not None:
        notes.append(
            f"the cell's last value is a {type(value).__name__}, not a number: "
            f"no {spec.quality} recorded"
        )
    return tuple(notes)


def _measurement_notes(recorder: Recorder) -> Sequence[str]:
    measurement = recorder.measurement
    if measurement is None:
        return ()
    wall = measurement.samples.get("wall_time")
    if wall is None or len(wall.rounds) < 2 or min(wall.rounds) <= 0:
        return ()
    ratio = max(wall.rounds) / min(wall.rounds)
    if ratio < _SLOW_ROUND_RATIO:
        return ()
    return (
        f"the slowest round took {ratio:.1f}x the fastest: a cache, a first-call effect or "
        "other load may be skewing wall_time",
    )


def _record_for_pytest(path: str, spec: CellSpec, measured: _Measured) -> None:
    """Under ``pytest --pareto-notebooks``: hand the measurement to pytest, judge nothing."""
    recorder = measured.recorder
    samples = {name: obs.samples[0] for name, obs in measured.point.observations.items()}
    record = CellRecord(spec.name, samples, recorder.metrics, spec.options, measured.notes)
    append_record(path, record)
    if not spec.quiet:
        print(f"pareto: {recorder.test_id} measured; pytest judges it")


def _judge(gate: Gate, spec: CellSpec, measured: _Measured) -> ParetoResult:
    """Judge the point against its frontier and log the run: what to show of it."""
    recorder = measured.recorder
    test_id = recorder.test_id
    try:
        verdict, updated = gate.judge_and_log(
            test_id, measured.point, recorder.metrics, spec.options
        )
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    # A dominated cell runs once more, profiled or traced: where the time or memory went.
    verdict = gate.explained(with_diagnostics(verdict, recorder, update=False))
    recorder.call = None
    measurement = recorder.measurement
    return replace(
        gate.view(test_id, updated, verdict=verdict, notes=measured.notes),
        value=measured.value,
        rounds=measurement.rounds if measurement else None,
        iterations=measurement.iterations if measurement else None,
    )
