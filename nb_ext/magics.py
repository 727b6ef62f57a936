"""``%%pareto``, ``%pareto``, ``%pareto_baseline`` and ``%pareto_history``."""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from IPython.core import magic as _magic
from IPython.core import magic_arguments as _magic_arguments
from IPython.core.error import UsageError
from IPython.core.magic import Magics

from nb_ext.cell import CompiledCell, compile_cell
from nb_ext.display import ResultCard
from nb_ext.gate import DEFAULT_TOLERANCE, Gate
from nb_ext.locate import Location, locate
from nb_ext.result import ParetoResult
from pytest_pareto.errors import BaselineFileError, ConfigError
from pytest_pareto.measuring.measure import MeasureOptions
from pytest_pareto.measuring.notebook_records import (
    DISABLE_ENV,
    RECORD_ENV,
    CellRecord,
    append_record,
)
from pytest_pareto.measuring.options import TestOptions
from pytest_pareto.measuring.recorder import Recorder, select_probes
from pytest_pareto.model.machine import current_machine
from pytest_pareto.model.metrics import Direction, Tolerance
from pytest_pareto.model.points import Point
from pytest_pareto.probes import Probe, builtin_probes
from pytest_pareto.replication.provenance import git_commit
from pytest_pareto.store.baseline_files import Store

__all__ = ["USAGE", "ParetoMagics"]

USAGE = """\
usage: %%pareto NAME [options] [-- SETUP]    measure the cell (SETUP runs first, untimed)
       %pareto NAME [options] -- STATEMENT   measure one statement
options: [-r/--rounds N] [-n/--iterations N] [-w/--warmup N] [--max-time S]
         [-t/--tolerance METRIC=TOL ...] [-m/--metrics METRIC ...]
         [--quality NAME] [--better higher|lower] [-q] [-o]
example: %%pareto predict_small --rounds 5 --tolerance wall_time=0.1 accuracy=abs:0.005"""

_Magic = Callable[..., Any]
# IPython's decorators are untyped in some releases (8.x); these names give them a type.
magics_class: Callable[[type[Any]], type[Any]] = _magic.magics_class
line_cell_magic: Callable[[_Magic], _Magic] = _magic.line_cell_magic
line_magic: Callable[[_Magic], _Magic] = _magic.line_magic
magic_arguments: Callable[[], Callable[[_Magic], _Magic]] = _magic_arguments.magic_arguments
argument: Callable[..., Callable[[_Magic], _Magic]] = _magic_arguments.argument
parse_argstring: Callable[[_Magic, str], Any] = _magic_arguments.parse_argstring

DEFAULT_QUALITY = "accuracy"
_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-\[\]]*$")
_CODE_SEPARATOR = re.compile(r"(?:^|\s)--(?:\s|$)")
_SLOW_ROUND_RATIO = 4.0


def _split_code(line: str) -> tuple[str, str]:
    """Split a magic line at its first `` -- `` into options and code."""
    match = _CODE_SEPARATOR.search(line)
    if match is None:
        return line, ""
    return line[: match.start()], line[match.end() :]


def _usage_error(message: str) -> UsageError:
    return UsageError(f"{message}\n{USAGE}")


def _parse(magic: Callable[..., Any], text: str) -> Any:
    try:
        return parse_argstring(magic, text)
    except UsageError as exc:
        raise _usage_error(str(exc)) from None
    except ValueError as exc:  # unbalanced quotes
        raise _usage_error(f"cannot split the arguments ({exc})") from None


@dataclass(frozen=True)
class CellSpec:
    """What one ``%%pareto`` line asked for, validated."""

    name: str
    options: TestOptions
    quality: str
    quality_named: bool
    better: Direction | None
    quiet: bool
    output: bool

    @classmethod
    def from_args(cls, args: Any) -> CellSpec:
        if not _NAME.match(args.name):
            raise ConfigError(
                f"NAME {args.name!r} must start with a letter, digit or _ and contain only "
                "letters, digits and _ . - [ ]"
            )
        tolerance = {}
        for item in args.tolerance or ():
            metric, sep, spec = item.partition("=")
            if not sep or not metric:
                raise ConfigError(
                    f"--tolerance takes METRIC=TOL (e.g. wall_time=0.1), got {item!r}"
                )
            tolerance[metric] = spec
        metrics = [m for item in args.metrics or () for m in item.split(",") if m]
        kwargs: dict[str, Any] = {
            "tolerance": tolerance,
            "rounds": args.rounds,
            "iterations": args.iterations,
            "warmup": args.warmup,
            "max_time": args.max_time,
        }
        if args.metrics is not None:
            kwargs["metrics"] = metrics
        return cls(
            name=args.name,
            options=TestOptions.from_kwargs(kwargs),
            quality=args.quality or DEFAULT_QUALITY,
            quality_named=args.quality is not None,
            better=Direction.parse(args.better) if args.better is not None else None,
            quiet=args.quiet,
            output=args.output,
        )


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


def _run_as_usual(cell: CompiledCell, recorder: Recorder | None = None) -> Any:
    """Run (or measure) a cell; an exception propagates with the cell's frames only."""
    __tracebackhide__ = True
    try:
        return recorder(cell.run) if recorder is not None else cell.run()
    except Exception as exc:
        # The same exception, re-raised with a shorter traceback: no new cause to chain.
        raise exc.with_traceback(cell.user_traceback(exc.__traceback__))  # noqa: B904


def _ini_tolerance(location: Location) -> Tolerance:
    """``pareto_tolerance`` of the project's pytest configuration, else the default 5%."""
    settings = location.settings
    text = settings.values.get("pareto_tolerance") if settings is not None else None
    if settings is None or not text:
        return DEFAULT_TOLERANCE
    try:
        return Tolerance.parse(text)
    except ConfigError as exc:
        raise _usage_error(f"pareto_tolerance in {settings.path}: {exc}") from None


@magics_class
class ParetoMagics(Magics):
    """Measure cells and judge them against the project's Pareto frontiers."""

    def __init__(self, shell: Any) -> None:
        super().__init__(shell)  # type: ignore[no-untyped-call, unused-ignore]
        self._gates: dict[Path, Gate] = {}
        self._last: tuple[Gate, str] | None = None
        self._told: set[str] = set()

    # -- where ---------------------------------------------------------------------

    def _locate(self) -> Location:
        try:
            location = locate(user_ns=self._shell.user_ns)
        except ConfigError as exc:  # the project's pytest configuration cannot be read
            raise _usage_error(str(exc)) from None
        if location.note and location.note not in self._told:
            self._told.add(location.note)
            print(f"pareto: {location.note}")
        return location

    def _gate(self, location: Location) -> Gate:
        gate = self._gates.get(location.store_root)
        if gate is None:
            gate = Gate(
                Store(location.store_root),
                current_machine(),
                default_tolerance=_ini_tolerance(location),
            )
            self._gates[location.store_root] = gate
        return gate

    @property
    def _shell(self) -> Any:
        return self.shell

    def _show(self, result: ParetoResult) -> None:
        from IPython import display as ipython_display

        display: Callable[[Any], None] = ipython_display.display
        if getattr(self.shell, "kernel", None) is not None:
            try:
                from nb_ext.widget import ParetoWidget

                display(ParetoWidget(result))
                return
            except ImportError:
                pass
        display(ResultCard(result))

    # -- %%pareto ------------------------------------------------------------------

    @magic_arguments()
    @argument("name", help="the result's name; its test id is <notebook path>::NAME")
    @argument("-r", "--rounds", type=int, help="timed rounds (default: as many as fit max-time)")
    @argument("-n", "--iterations", type=int, help="runs per round (default: calibrated)")
    @argument("-w", "--warmup", type=int, help="untimed runs before measuring (default 1)")
    @argument("--max-time", type=float, help="seconds of timed rounds (default 0.5)")
    @argument(
        "-t",
        "--tolerance",
        nargs="+",
        action="extend",
        metavar="METRIC=TOL",
        help="per-metric tolerance: 0.1 (10%%), 10%%, abs:0.005 "
        "(default: pytest's pareto_tolerance ini value, else 5%%)",
    )
    @argument(
        "-m",
        "--metrics",
        nargs="+",
        action="extend",
        metavar="METRIC",
        help="the metrics that gate (and the probes to run), e.g. wall_time accuracy",
    )
    @argument("--quality", help="name of the cell's last value (default: accuracy)")
    @argument(
        "--better",
        choices=["higher", "lower"],
        help="which way the last value improves (default: as stored, else higher)",
    )
    @argument("-q", "--quiet", action="store_true", help="show no result card")
    @argument("-o", "--output", action="store_true", help="return the ParetoResult")
    @line_cell_magic
    def pareto(self, line: str, cell: str | None = None) -> ParetoResult | None:
        """Measure a cell (or one statement) and judge it against its stored Pareto frontier.

        The cell runs in the notebook's namespace, measured with the same probes and options
        as pytest's ``pareto`` fixture; its last expression is recorded as a quality metric.
        The result is compared with the frontier stored under the project's ``baselines/``
        (test id ``<notebook path>::NAME``) and appended to its history; the frontier
        changes only with ``%pareto_baseline accept NAME``.
        """
        __tracebackhide__ = True
        options_text, code = _split_code(line)
        args = _parse(self.pareto, options_text)
        if cell is None:
            if not code.strip():
                raise _usage_error("%pareto needs a statement after --")
            setup, measured = "", code
        else:
            setup, measured = code, cell
            if not measured.strip():
                raise _usage_error("%%pareto needs code in the cell to measure")
        try:
            spec = CellSpec.from_args(args)
        except ConfigError as exc:
            raise _usage_error(str(exc)) from None
        return self._measure_cell(spec, setup, measured)

    def _measure_cell(self, spec: CellSpec, setup: str, measured: str) -> ParetoResult | None:
        __tracebackhide__ = True
        location = self._locate()
        test_id = location.test_id(spec.name)
        setup_cell = compile_cell(self._shell, setup) if setup.strip() else None
        cell = compile_cell(self._shell, measured)
        if os.environ.get(DISABLE_ENV):
            if setup_cell is not None:
                _run_as_usual(setup_cell)
            _run_as_usual(cell)
            return None
        if spec.quality_named and not cell.has_value:
            raise _usage_error(
                f"--quality {spec.quality}: the cell must end with an expression to record"
            )
        probes = self._probes(spec, cell)
        record_to = os.environ.get(RECORD_ENV)
        gate = self._gate(location)
        try:
            stored = None if record_to else gate.store.load(test_id)
        except BaselineFileError as exc:
            raise UsageError(str(exc)) from None
        better = spec.better
        if better is None:
            known = stored.metrics.get(spec.quality) if stored else None
            better = known.direction if known is not None else Direction.HIGHER
        recorder = Recorder(
            test_id, probes=probes, options=spec.options.measure_options(MeasureOptions())
        )
        if cell.has_value:
            try:  # check the quality metric's name before running anything
                Recorder(test_id, probes=probes).record(spec.quality, 0.0, better=better.value)
            except ConfigError as exc:
                raise _usage_error(f"--quality: {exc}") from None

        if setup_cell is not None:
            _run_as_usual(setup_cell)
        value = _run_as_usual(cell, recorder if probes else None)

        notes = list(self._measurement_notes(recorder))
        number = _as_number(value)
        if number is not None:
            recorder.record(spec.quality, number, better=better.value)
        elif spec.quality_named:
            raise _usage_error(
                f"--quality {spec.quality}: the cell's last value is a "
                f"{type(value).__name__}, not a number; nothing was recorded"
            )
        elif cell.has_value and value is not None:
            notes.append(
                f"the cell's last value is a {type(value).__name__}, not a number: "
                f"no {spec.quality} recorded"
            )
        point = recorder.point(commit=git_commit(location.root), machine=gate.machine)
        if point is None:
            raise _usage_error(
                "nothing was measured or recorded: name measured metrics with --metrics or "
                "end the cell with a number"
            )
        if record_to:
            return self._record_for_pytest(record_to, spec, point, recorder, notes)
        return self._judge_and_show(gate, spec, point, recorder, notes, value)

    @staticmethod
    def _record_for_pytest(
        path: str, spec: CellSpec, point: Point, recorder: Recorder, notes: list[str]
    ) -> None:
        """Under ``pytest --pareto-notebooks``: hand the measurement to pytest, judge nothing."""
        samples = {name: obs.samples[0] for name, obs in point.observations.items()}
        record = CellRecord(spec.name, samples, recorder.metrics, spec.options, tuple(notes))
        append_record(path, record)
        if not spec.quiet:
            print(f"pareto: {recorder.test_id} measured; pytest judges it")

    def _judge_and_show(
        self,
        gate: Gate,
        spec: CellSpec,
        point: Point,
        recorder: Recorder,
        notes: list[str],
        value: Any,
    ) -> ParetoResult | None:
        test_id = recorder.test_id
        try:
            verdict, updated = gate.judge_and_log(test_id, point, recorder.metrics, spec.options)
        except ConfigError as exc:
            raise UsageError(str(exc)) from None
        self._last = (gate, test_id)
        measurement = recorder.measurement
        result = replace(
            gate.view(test_id, updated, verdict=verdict, notes=tuple(notes)),
            value=value,
            rounds=measurement.rounds if measurement else None,
            iterations=measurement.iterations if measurement else None,
        )
        if not spec.quiet:
            self._show(result)
        return result if spec.output else None

    def _probes(self, spec: CellSpec, cell: CompiledCell) -> list[Probe]:
        probes = select_probes(builtin_probes(), spec.options.metrics)
        named = set(spec.options.metrics or ()) | set(spec.options.tolerance)
        known = {m.name for p in probes for m in p.metrics}
        if cell.has_value:
            known.add(spec.quality)
        unknown = sorted(named - known)
        if unknown:
            raise _usage_error(
                f"--metrics/--tolerance name {', '.join(unknown)}, which this cell neither "
                f"measures nor records; it has: {', '.join(sorted(known)) or 'none'}"
            )
        unavailable = [p for p in probes if not p.availability().available]
        asked = [p for p in unavailable if {m.name for m in p.metrics} & named]
        if asked:
            reasons = "; ".join(f"{p.name}: {p.availability().reason}" for p in asked)
            raise UsageError(f"cannot measure here: {reasons}")
        return [p for p in probes if p not in unavailable]

    @staticmethod
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

    # -- %pareto_baseline ----------------------------------------------------------

    @magic_arguments()
    @argument("action", choices=["accept"], help="accept: make the last run part of the frontier")
    @argument("name", nargs="?", help="the cell's NAME (default: the last measured cell)")
    @line_magic
    def pareto_baseline(self, line: str) -> None:
        """Accept a cell's last run into its Pareto frontier.

        Stored points better than it retire to history, points it dominates are pruned,
        trade-offs stay (as ``pytest --pareto-update`` does).
        """
        args = _parse(self.pareto_baseline, line)
        if os.environ.get(RECORD_ENV) or os.environ.get(DISABLE_ENV):
            print("pareto: pytest runs this notebook; accept with pytest --pareto-update")
            return
        location = self._locate()
        if args.name is not None:
            gate, test_id = self._gate(location), location.test_id(args.name)
        elif self._last is not None:
            gate, test_id = self._last
        else:
            raise UsageError(
                "no cell was measured yet in this session: %pareto_baseline accept NAME"
            )
        try:
            change = gate.accept(test_id)
        except (ConfigError, BaselineFileError) as exc:
            raise UsageError(str(exc)) from None
        print(f"pareto: accepted into the frontier of {test_id}: {change.describe()}")

    # -- %pareto_history -----------------------------------------------------------

    @magic_arguments()
    @argument("name", help="the cell's NAME")
    @argument("-o", "--output", action="store_true", help="return the ParetoResult")
    @line_magic
    def pareto_history(self, line: str) -> ParetoResult | None:
        """Show a cell's stored frontier and the history of its runs."""
        args = _parse(self.pareto_history, line)
        location = self._locate()
        gate = self._gate(location)
        test_id = location.test_id(args.name)
        try:
            stored = gate.store.load(test_id)
        except BaselineFileError as exc:
            raise UsageError(str(exc)) from None
        if stored is None:
            raise UsageError(
                f"nothing is stored for {test_id} in {gate.store.root}; run "
                f"%%pareto {args.name} first"
            )
        result = gate.view(test_id, stored)
        self._show(result)
        return result if args.output else None
