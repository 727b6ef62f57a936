"""Process replication: measure tests in fresh worker processes, in batches, sequentially.

The process is the unit of replication for noisy metrics. Starting an interpreter with the
test framework costs about a second, so one worker process measures every still-undecided
test once (a *batch*); after each look of the :class:`~pytest_pareto.judging.stats.SequentialDesign`
only the tests that are still undecided go on. When a baseline is measured in the same run
(``--pareto-against``), reference and candidate batches alternate in the order R C C R R C…,
so that a drift of the host hits both sides alike.

This module knows nothing of pytest: a batch is run by a callable the caller provides (the
pytest layer re-invokes pytest on the node ids with a hidden worker option), and each worker
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
from typing import Any

from pytest_pareto.errors import MeasurementError
from pytest_pareto.judging.stats import SequentialDesign
from pytest_pareto.model.metrics import Metric
from pytest_pareto.model.points import Observation, Sample
from pytest_pareto.replication.progress import ProgressSink

__all__ = [
    "REPLICA_ENV",
    "Replication",
    "Side",
    "TestRun",
    "WorkerRequest",
    "in_replica",
    "read_runs",
    "replicate",
    "run_worker",
    "worker_environment",
    "write_runs",
]

REPLICA_ENV = "PYTEST_PARETO_REPLICA"
"""Set in every worker process. A worker runs while its parent holds the host's measurement
lock (:func:`pytest_pareto.store.locks.measurement_lock`), so it must not take that lock itself."""

FORMAT_NAME = "pytest-pareto worker runs"


def in_replica() -> bool:
    """Whether this process is a replica worker started by pytest-pareto."""
    return bool(os.environ.get(REPLICA_ENV))


class Side(enum.Enum):
    """Which code a worker measures."""

    CANDIDATE = "candidate"
    """The working tree: the result being judged."""
    REFERENCE = "reference"
    """The baseline's code (``--pareto-against REF``)."""


@dataclass(frozen=True)
class WorkerRequest:
    """What one worker process is asked to do: measure these tests once each."""

    tests: tuple[str, ...]
    out: str
    """Where the worker writes its runs (JSON)."""
    noisy_only: bool = True
    """Run only probes with a noisy metric (deterministic ones need a single process)."""

    def to_json(self) -> dict[str, Any]:
        return {"tests": list(self.tests), "out": self.out, "noisy_only": self.noisy_only}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> WorkerRequest:
        return cls(
            tests=tuple(str(t) for t in data["tests"]),
            out=str(data["out"]),
            noisy_only=bool(data.get("noisy_only", True)),
        )

    @classmethod
    def load(cls, path: Path | str) -> WorkerRequest:
        try:
            return cls.from_json(json.loads(Path(path).read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise MeasurementError(f"cannot read the worker request {path}: {exc}") from None


@dataclass(frozen=True)
class TestRun:
    """What one worker process measured (and recorded) of one test."""

    __test__ = False  # not a pytest test class

    test_id: str
    outcome: str
    """``passed``, ``failed``, ``skipped`` or ``error`` (pytest's words)."""
    metrics: Mapping[str, Metric] = field(default_factory=dict)
    samples: Mapping[str, Sample] = field(default_factory=dict)
    message: str = ""
    """Why it did not pass, when it did not."""

    @property
    def ok(self) -> bool:
        return self.outcome == "passed" and bool(self.samples)

    def to_json(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "message": self.message,
            "metrics": {name: m.to_json() for name, m in sorted(self.metrics.items())},
            "samples": {name: s.to_json() for name, s in sorted(self.samples.items())},
        }

    @classmethod
    def from_json(cls, test_id: str, data: Mapping[str, Any]) -> TestRun:
        return cls(
            test_id=test_id,
            outcome=str(data["outcome"]),
            message=str(data.get("message", "")),
            metrics={n: Metric.from_json(n, spec) for n, spec in data.get("metrics", {}).items()},
            samples={
                n: Sample.from_json(r, f"worker result of {test_id}, metric {n!r}")
                for n, r in data["samples"].items()
            },
        )


def write_runs(path: Path | str, runs: Iterable[TestRun]) -> None:
    """Write a worker's runs atomically (the parent never reads half a file)."""
    data = {"format": FORMAT_NAME, "runs": {run.test_id: run.to_json() for run in runs}}
    target = Path(path)
    partial = target.with_name(target.name + ".partial")
    partial.write_text(json.dumps(data, allow_nan=False), encoding="utf-8")
    os.replace(partial, target)


def read_runs(path: Path | str) -> dict[str, TestRun]:
    """The runs a worker wrote; :class:`MeasurementError` when the file is missing or bad."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if data.get("format") != FORMAT_NAME:
            raise ValueError(f"not a {FORMAT_NAME} file")
        return {tid: TestRun.from_json(tid, run) for tid, run in data["runs"].items()}
    except FileNotFoundError:
        raise MeasurementError(f"the worker wrote no results ({path} is missing)") from None
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise MeasurementError(f"the worker's results {path} are unreadable ({exc})") from None


def worker_environment(
    base: Mapping[str, str], *, python_path: Sequence[Path] = ()
) -> dict[str, str]:
    """The environment of a worker: the parent's, marked as a replica, without the test
    runner's per-process variables, with ``python_path`` first on ``PYTHONPATH``."""
    env = {
        key: value
        for key, value in base.items()
        if not key.startswith("PYTEST_XDIST_") and key != "PYTEST_CURRENT_TEST"
    }
    env[REPLICA_ENV] = "1"
    if python_path:
        parts = [str(p) for p in python_path]
        if env.get("PYTHONPATH"):
            parts.append(env["PYTHONPATH"])
        env["PYTHONPATH"] = os.pathsep.join(parts)
    return env


def run_worker(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    request: WorkerRequest,
    request_path: Path,
    log_path: Path,
) -> dict[str, TestRun]:
    """Run one worker process (``argv`` followed by the request file) and read its runs.

    Tests the worker did not report are missing from the result; a worker that reported
    nothing raises :class:`MeasurementError` with the end of its output.
    """
    request_path.write_text(json.dumps(request.to_json()), encoding="utf-8")
    out = Path(request.out)
    out.unlink(missing_ok=True)
    with log_path.open("wb") as log:
        completed = subprocess.run(
            [*argv, str(request_path)],
            cwd=cwd,
            env=dict(env),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    try:
        return read_runs(out)
    except MeasurementError as exc:
        tail = log_path.read_text(encoding="utf-8", errors="replace")[-2000:]
        raise MeasurementError(
            f"{exc}; the worker exited with status {completed.returncode}; its output ends:\n{tail}"
        ) from None


# -- the sequential loop ---------------------------------------------------------------


BatchRunner = Callable[[Side, Sequence[str], bool], Mapping[str, TestRun]]
"""Runs one worker on (side, test ids, noisy_only) and returns its runs by test id."""


@dataclass
class Replication:
    """Every worker run of every test, per side, and the tests that left early and why."""

    runs: dict[Side, dict[str, list[TestRun]]] = field(
        default_factory=lambda: {side: {} for side in Side}
    )
    problems: dict[str, str] = field(default_factory=dict)
    """Test id -> why its candidate could not be replicated (failed in a worker, crash)."""
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


def replicate(
    tests: Sequence[str],
    designs: Mapping[str, SequentialDesign],
    run_batch: BatchRunner,
    needs_more: Decide,
    *,
    against: bool = False,
    reference_only: Sequence[str] = (),
    progress: ProgressSink | None = None,
) -> Replication:
    """Measure ``tests`` in worker batches until each is decided or has its last look.

    ``designs`` gives each test's looks. With ``against``, every batch step runs a reference
    worker and a candidate worker, alternating which goes first; the first reference batch
    runs every probe (deterministic metrics of the reference come from it) and also covers
    ``reference_only`` (tests measured once, for their deterministic metrics only).
    """
    state = Replication()
    target = {t: designs[t].looks[0] for t in tests}
    pending = list(tests)
    first_reference = True
    step = 0

    def run(side: Side, ids: Sequence[str], noisy_only: bool) -> None:
        if not ids:
            return
        state.batches += 1
        try:
            runs = run_batch(side, ids, noisy_only)
        except MeasurementError as exc:
            for test_id in ids:
                state.note(side, test_id, f"the {side.value} worker failed: {exc}")
            return
        for test_id in ids:
            found = runs.get(test_id)
            if found is None:
                state.note(side, test_id, f"the {side.value} worker did not run it")
                if side is Side.REFERENCE:
                    state.reference_absent.add(test_id)
            elif found.outcome != "passed":
                state.note(side, test_id, f"it {found.outcome} in a {side.value} worker")
                if found.message:
                    state.note(side, test_id, found.message)
            else:
                state.add(side, found)

    def stop_without_noise(batch: Sequence[str]) -> None:
        # A test that measured nothing noisy needs no second process.
        for test_id in batch:
            if state.has(Side.CANDIDATE, test_id) and not state.observations(
                Side.CANDIDATE, test_id, noisy=True
            ):
                target[test_id] = state.processes(Side.CANDIDATE, test_id)

    def undecided() -> list[str]:
        return [
            t
            for t in pending
            if t not in state.problems and state.processes(Side.CANDIDATE, t) < target[t]
        ]

    while pending:
        while batch := undecided():
            step += 1
            if progress is not None:
                progress.update(
                    min(state.processes(Side.CANDIDATE, t) for t in batch),
                    max(target[t] for t in batch),
                    remaining=len(batch),
                    message=f"batch {step}",
                )
            if not against:
                run(Side.CANDIDATE, batch, True)
                stop_without_noise(batch)
                continue
            sides = (
                (Side.REFERENCE, Side.CANDIDATE) if step % 2 else (Side.CANDIDATE, Side.REFERENCE)
            )
            for side in sides:
                if side is Side.CANDIDATE:
                    run(side, batch, True)
                elif first_reference:
                    first_reference = False
                    run(side, [*batch, *(t for t in reference_only if t not in batch)], False)
                else:
                    # Tests the reference cannot run (new there, or failing) need no more of it.
                    run(side, [t for t in batch if t not in state.reference_problems], True)
            stop_without_noise(batch)
        still = []
        for test_id in pending:
            if test_id in state.problems or not state.observations(
                Side.CANDIDATE, test_id, noisy=True
            ):
                continue
            nxt = designs[test_id].next_look(state.processes(Side.CANDIDATE, test_id))
            if nxt is not None and needs_more(test_id, state):
                target[test_id] = nxt
                still.append(test_id)
        pending = still
    if against and first_reference and reference_only:
        run(Side.REFERENCE, list(reference_only), False)
    return state
