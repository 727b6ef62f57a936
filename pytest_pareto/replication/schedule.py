"""Process replication: measure tests in fresh replica processes, in batches, sequentially.

The process is the unit of replication for noisy metrics. Starting an interpreter with the
test framework costs about a second, so one replica process measures every still-undecided
test once (a *batch*); after each look of the
:class:`~pytest_pareto.judging.sequential.SequentialDesign` only the tests that are still
undecided go on. When a baseline is measured in the same run (``--pareto-against``),
reference and candidate batches alternate in the order R C C R R C…, so that a drift of the
host hits both sides alike.

This module knows nothing of pytest: a batch is run by a callable the caller provides (the
pytest layer re-invokes pytest on the node ids with a hidden replica option), and each replica
reports what it measured as JSON (:func:`write_runs` / :func:`read_runs`).
"""

from __future__ import annotations

import enum
import json
import os
import subprocess
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, NamedTuple

from pytest_pareto.errors import MeasurementError
from pytest_pareto.judging.sequential import SequentialDesign
from pytest_pareto.model.metrics import Metric
from pytest_pareto.model.points import Observation, Sample
from pytest_pareto.replication.progress import ProgressSink

__all__ = [
    "AGAINST_INFO",
    "LookPreparer",
    "ReplicaCommand",
    "ReplicaRequest",
    "Replication",
    "Side",
    "TestRun",
    "read_runs",
    "replica_environment",
    "replicate",
    "run_replica",
    "runs_or_why",
    "start_replica",
    "write_runs",
]

FORMAT_NAME = "pytest-pareto replica runs"

AGAINST_INFO = "pareto_against"
"""``extra_info`` key of a reference point measured from ``--pareto-against`` (its git ref)."""


class Side(enum.Enum):
    """Which code a replica measures."""

    CANDIDATE = "candidate"
    """The working tree: the result being judged."""
    REFERENCE = "reference"
    """The baseline's code (``--pareto-against REF``)."""


class ReplicaCommand(NamedTuple):
    """How to start a replica (or a warm process): its command line, folder, environment."""

    argv: list[str]
    cwd: Path
    env: dict[str, str]


@dataclass(frozen=True)
class ReplicaRequest:
    """What one replica process is asked to do: measure these tests once each."""

    tests: tuple[str, ...]
    out: str
    """Where the replica writes its runs (JSON)."""
    noisy_only: bool = True
    """Run only probes with a noisy metric (deterministic ones need a single process)."""
    diagnose: bool = False
    """After measuring, profile and trace each call once more (where the time and memory
    went, on the reference side of a dominated ``--pareto-against`` test)."""
    serve: tuple[int, int] | None = None
    """A warm process's pipes (requests in, answers out): collect ``tests``, then fork a
    replica per request (:mod:`.warm_process`) instead of measuring."""

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "tests": list(self.tests),
            "out": self.out,
            "noisy_only": self.noisy_only,
            "diagnose": self.diagnose,
        }
        if self.serve is not None:
            data["serve"] = list(self.serve)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ReplicaRequest:
        return cls(
            tests=tuple(str(t) for t in data["tests"]),
            out=str(data["out"]),
            noisy_only=bool(data.get("noisy_only", True)),
            diagnose=bool(data.get("diagnose", False)),
            serve=(int(data["serve"][0]), int(data["serve"][1])) if data.get("serve") else None,
        )

    @classmethod
    def load(cls, path: Path | str) -> ReplicaRequest:
        try:
            return cls.from_json(json.loads(Path(path).read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise MeasurementError(f"cannot read the replica request {path}: {exc}") from None


@dataclass(frozen=True)
class TestRun:
    """What one replica process measured (and recorded) of one test."""

    __test__ = False  # not a pytest test class

    test_id: str
    outcome: str
    """``passed``, ``failed``, ``skipped`` or ``error`` (pytest's words)."""
    metrics: Mapping[str, Metric] = field(default_factory=dict)
    samples: Mapping[str, Sample] = field(default_factory=dict)
    message: str = ""
    """Why it did not pass, when it did not."""
    process_slowdown: float | None = None
    """How much the code under test slowed this replica's speed reference, when beyond noise
    (see :mod:`pytest_pareto.measuring.speed_reference`)."""
    diagnostics: Mapping[str, Any] = field(default_factory=dict)
    """Profile and allocation summaries (``extra_info`` keys), when the request asked."""
    seconds: float | None = None
    """How long the test took in the replica (set-up, call with its measuring, teardown)."""

    @property
    def ok(self) -> bool:
        return self.outcome == "passed" and bool(self.samples)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "outcome": self.outcome,
            "message": self.message,
            "metrics": {name: m.to_json() for name, m in sorted(self.metrics.items())},
            "samples": {name: s.to_json() for name, s in sorted(self.samples.items())},
        }
        if self.process_slowdown is not None:
            data["process_slowdown"] = self.process_slowdown
        if self.diagnostics:
            data["diagnostics"] = dict(self.diagnostics)
        if self.seconds is not None:
            data["seconds"] = self.seconds
        return data

    @classmethod
    def from_json(cls, test_id: str, data: Mapping[str, Any]) -> TestRun:
        return cls(
            test_id=test_id,
            outcome=str(data["outcome"]),
            message=str(data.get("message", "")),
            metrics={n: Metric.from_json(n, spec) for n, spec in data.get("metrics", {}).items()},
            samples={
                n: Sample.from_json(r, f"replica result of {test_id}, metric {n!r}")
                for n, r in data["samples"].items()
            },
            process_slowdown=data.get("process_slowdown"),
            diagnostics=dict(data.get("diagnostics", {})),
            seconds=data.get("seconds"),
        )


def write_runs(path: Path | str, runs: Iterable[TestRun]) -> None:
    """Write a replica's runs atomically (the parent never reads half a file)."""
    data = {"format": FORMAT_NAME, "runs": {run.test_id: run.to_json() for run in runs}}
    target = Path(path)
    partial = target.with_name(target.name + ".partial")
    partial.write_text(json.dumps(data, allow_nan=False), encoding="utf-8")
    os.replace(partial, target)


def read_runs(path: Path | str) -> dict[str, TestRun]:
    """The runs a replica wrote; :class:`MeasurementError` when the file is missing or bad."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if data.get("format") != FORMAT_NAME:
            raise ValueError(f"not a {FORMAT_NAME} file")
        return {tid: TestRun.from_json(tid, run) for tid, run in data["runs"].items()}
    except FileNotFoundError:
        raise MeasurementError(f"the replica wrote no results ({path} is missing)") from None
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise MeasurementError(f"the replica's results {path} are unreadable ({exc})") from None


def replica_environment(
    base: Mapping[str, str], *, python_path: Sequence[Path] = ()
) -> dict[str, str]:
    """The environment of a replica: the parent's without the test runner's per-process
    variables (an xdist worker's among them), with ``python_path`` first on ``PYTHONPATH``."""
    env = {
        key: value
        for key, value in base.items()
        if not key.startswith("PYTEST_XDIST_") and key != "PYTEST_CURRENT_TEST"
    }
    if python_path:
        parts = [str(p) for p in python_path]
        if env.get("PYTHONPATH"):
            parts.append(env["PYTHONPATH"])
        env["PYTHONPATH"] = os.pathsep.join(parts)
    return env


def start_replica(
    command: ReplicaCommand,
    request: ReplicaRequest,
    request_path: Path,
    log: IO[bytes],
    *,
    pass_fds: Sequence[int] = (),
) -> subprocess.Popen[bytes]:
    """Start ``command`` followed by the file of ``request`` (written to ``request_path``),
    its output to ``log``: a replica, or a warm process (:mod:`.warm_process`)."""
    request_path.write_text(json.dumps(request.to_json()), encoding="utf-8")
    return subprocess.Popen(
        [*command.argv, str(request_path)],
        cwd=command.cwd,
        env=command.env,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        pass_fds=pass_fds,
    )


def run_replica(
    command: ReplicaCommand, *, request: ReplicaRequest, request_path: Path, log_path: Path
) -> dict[str, TestRun]:
    """Run one replica process and read its runs.

    Tests the replica did not report are missing from the result; a replica that reported
    nothing raises :class:`MeasurementError` with the end of its output.
    """
    out = Path(request.out)
    out.unlink(missing_ok=True)
    with log_path.open("wb") as log, start_replica(command, request, request_path, log) as process:
        try:
            status = process.wait()
        except BaseException:  # interrupted: do not leave the replica running
            process.kill()
            raise
    return runs_or_why(out, log_path, f"the replica exited with status {status}")


def runs_or_why(out: Path, log_path: Path, ending: str) -> dict[str, TestRun]:
    """The runs a replica wrote to ``out``, or :class:`MeasurementError` saying how it ended
    (``ending``) and what its output (``log_path``) ends with."""
    try:
        return read_runs(out)
    except MeasurementError as exc:
        raise MeasurementError(f"{exc}; {ending}; its output ends:\n{log_tail(log_path)}") from None


def log_tail(log_path: Path) -> str:
    return log_path.read_text(encoding="utf-8", errors="replace")[-2000:]


# -- the sequential loop ---------------------------------------------------------------


BatchRunner = Callable[[Side, Sequence[str], bool], Mapping[str, TestRun]]
"""Runs one replica on (side, test ids, noisy_only) and returns its runs by test id."""


@dataclass
class Replication:
    """Every replica run of every test, per side, and the tests that left early and why."""

    runs: dict[Side, dict[str, list[TestRun]]] = field(
        default_factory=lambda: {side: {} for side in Side}
    )
    problems: dict[str, str] = field(default_factory=dict)
    """Test id -> why its candidate could not be replicated (failed in a replica, crash)."""
    reference_problems: dict[str, str] = field(default_factory=dict)
    """Test id -> why the reference has no result for it (not there, or failing there)."""
    reference_absent: set[str] = field(default_factory=set)
    """Tests the reference did not run at all (e.g. they do not exist there)."""
    batches: int = 0

    def add(self, side: Side, run: TestRun) -> None:
        self.runs[side].setdefault(run.test_id, []).append(run)

    def note(self, side: Side, test_id: str, problem: str) -> None:
        found = self.problems if side is Side.CANDIDATE else self.reference_problems
        found[test_id] = f"{found[test_id]}\n{problem}" if test_id in found else problem

    def processes(self, side: Side, test_id: str) -> int:
        return len(self.runs[side].get(test_id, []))

    def has(self, side: Side, test_id: str) -> bool:
        return bool(self.runs[side].get(test_id))

    def seconds(self, test_id: str) -> float:
        """Seconds the test itself took in every replica of both sides (start-up and
        collection of the replica processes not included)."""
        return sum(run.seconds or 0.0 for side in Side for run in self.runs[side].get(test_id, []))

    def process_slowdown(self, side: Side, test_id: str) -> float | None:
        """The largest slowdown the code under test caused to a replica's speed reference."""
        factors = [r.process_slowdown for r in self.runs[side].get(test_id, [])]
        return max((f for f in factors if f is not None), default=None)

    def metrics(self, side: Side, test_id: str) -> dict[str, Metric]:
        merged: dict[str, Metric] = {}
        for run in self.runs[side].get(test_id, []):
            merged.update(run.metrics)
        return merged

    def observations(self, side: Side, test_id: str, *, noisy: bool) -> dict[str, Observation]:
        """Noisy metrics pooled over every process, or deterministic ones from the first
        process that has them."""
        runs = self.runs[side].get(test_id, [])
        metrics = self.metrics(side, test_id)
        found: dict[str, list[Sample]] = {}
        for run in runs:
            for name, sample in run.samples.items():
                metric = metrics.get(name)
                if metric is None or metric.noisy is not noisy:
                    continue
                if noisy or name not in found:
                    found.setdefault(name, []).append(sample)
        return {name: Observation(tuple(samples)) for name, samples in found.items()}


Decide = Callable[[str, Replication], bool]
"""Whether a test needs more processes after a look (called with the runs so far)."""

LookPreparer = Callable[[Side, Sequence[str], int], None]
"""Told before each look: (side, the look's tests, how many replicas of them it will run)."""


class _Schedule:
    """One :func:`replicate` call: the runs so far, and each test's next look."""

    def __init__(
        self,
        designs: Mapping[str, SequentialDesign],
        run_batch: BatchRunner,
        *,
        against: bool,
        reference_only: Sequence[str],
        progress: ProgressSink | None,
        prepare: LookPreparer | None = None,
    ) -> None:
        self.designs = designs
        self.run_batch = run_batch
        self.prepare = prepare
        self.against = against
        self.reference_only = list(reference_only)
        self.progress = progress
        self.state = Replication()
        self.target: dict[str, int] = {}
        """Test id -> the processes its current look needs."""
        self.first_reference = True
        self.step = 0

    def start(self, tests: Sequence[str]) -> None:
        for test_id in tests:
            self.target[test_id] = self.designs[test_id].looks[0]

    def undecided(self, pending: Sequence[str]) -> list[str]:
        """The pending tests that have fewer candidate processes than their look needs."""
        state = self.state
        return [
            t
            for t in pending
            if t not in state.problems and state.processes(Side.CANDIDATE, t) < self.target[t]
        ]

    def prepare_look(self, pending: Sequence[str]) -> None:
        """Tell the preparer what the coming look will run on each side."""
        batch = self.undecided(pending)
        if self.prepare is None or not batch:
            return
        state = self.state
        steps = max(self.target[t] - state.processes(Side.CANDIDATE, t) for t in batch)
        self.prepare(Side.CANDIDATE, batch, steps)
        if self.against:
            self.prepare(Side.REFERENCE, self.reference_tests(batch), steps)

    def measure(self, batch: Sequence[str]) -> None:
        """One batch step: a candidate replica (and with ``against`` a reference one)."""
        self.step += 1
        if self.progress is not None:
            self.progress.update(
                min(self.state.processes(Side.CANDIDATE, t) for t in batch),
                max(self.target[t] for t in batch),
                remaining=len(batch),
                message=f"batch {self.step}",
            )
        if not self.against:
            self.run(Side.CANDIDATE, batch, noisy_only=True)
        else:
            first_side = Side.REFERENCE if self.step % 2 else Side.CANDIDATE
            for side in (first_side, _other(first_side)):
                if side is Side.CANDIDATE:
                    self.run(side, batch, noisy_only=True)
                else:
                    self.run_reference(batch)
        self.stop_without_noise(batch)

    def reference_tests(self, batch: Sequence[str]) -> list[str]:
        """What the next reference replica of ``batch`` runs: the first also every
        reference-only test; later ones none the reference cannot run (new there, or
        failing), which need no more of it."""
        if self.first_reference:
            return [*batch, *(t for t in self.reference_only if t not in batch)]
        problems = self.state.reference_problems
        return [t for t in batch if t not in problems]

    def run_reference(self, batch: Sequence[str]) -> None:
        tests = self.reference_tests(batch)
        # The first runs every probe: the reference's deterministic metrics come from it.
        first, self.first_reference = self.first_reference, False
        self.run(Side.REFERENCE, tests, noisy_only=not first)

    def run(self, side: Side, ids: Sequence[str], *, noisy_only: bool) -> None:
        """Run one replica on ``ids`` and keep what it measured, or why it did not."""
        if not ids:
            return
        state = self.state
        state.batches += 1
        try:
            runs = self.run_batch(side, ids, noisy_only)
        except MeasurementError as exc:
            for test_id in ids:
                state.note(side, test_id, f"the {side.value} replica failed: {exc}")
            return
        for test_id in ids:
            found = runs.get(test_id)
            if found is None:
                state.note(side, test_id, f"the {side.value} replica did not run it")
                if side is Side.REFERENCE:
                    state.reference_absent.add(test_id)
            elif found.outcome != "passed":
                state.note(side, test_id, f"it {found.outcome} in a {side.value} replica")
                if found.message:
                    state.note(side, test_id, found.message)
            else:
                state.add(side, found)

    def stop_without_noise(self, batch: Sequence[str]) -> None:
        """A test that measured nothing noisy needs no second process."""
        state = self.state
        for test_id in batch:
            if state.has(Side.CANDIDATE, test_id) and not state.observations(
                Side.CANDIDATE, test_id, noisy=True
            ):
                self.target[test_id] = state.processes(Side.CANDIDATE, test_id)

    def next_looks(self, pending: Sequence[str], needs_more: Decide) -> list[str]:
        """The tests that go on to their next look (their targets raised to it)."""
        state = self.state
        going_on = []
        for test_id in pending:
            if test_id in state.problems or not state.observations(
                Side.CANDIDATE, test_id, noisy=True
            ):
                continue
            nxt = self.designs[test_id].next_look(state.processes(Side.CANDIDATE, test_id))
            if nxt is not None and needs_more(test_id, state):
                self.target[test_id] = nxt
                going_on.append(test_id)
        return going_on

    def finish(self) -> None:
        """Reference-only tests still unmeasured (no noisy test ran a reference batch)."""
        if self.against and self.first_reference and self.reference_only:
            self.run(Side.REFERENCE, self.reference_only, noisy_only=False)


def _other(side: Side) -> Side:
    return Side.CANDIDATE if side is Side.REFERENCE else Side.REFERENCE


def replicate(
    tests: Sequence[str],
    designs: Mapping[str, SequentialDesign],
    run_batch: BatchRunner,
    needs_more: Decide,
    *,
    against: bool = False,
    reference_only: Sequence[str] = (),
    progress: ProgressSink | None = None,
    prepare: LookPreparer | None = None,
) -> Replication:
    """Measure ``tests`` in replica batches until each is decided or has its last look.

    ``designs`` gives each test's looks. With ``against``, every batch step runs a reference
    replica and a candidate replica, alternating which goes first; the first reference batch
    runs every probe (deterministic metrics of the reference come from it) and also covers
    ``reference_only`` (tests measured once, for their deterministic metrics only).
    ``prepare`` is told before each look what it will run (to start its processes at once).
    """
    schedule = _Schedule(
        designs,
        run_batch,
        against=against,
        reference_only=reference_only,
        progress=progress,
        prepare=prepare,
    )
    schedule.start(tests)
    pending = list(tests)
    while pending:
        schedule.prepare_look(pending)
        while batch := schedule.undecided(pending):
            schedule.measure(batch)
        pending = schedule.next_looks(pending, needs_more)
    schedule.finish()
    return schedule.state
