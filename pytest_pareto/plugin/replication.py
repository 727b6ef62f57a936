"""pytest layer of process replication, ``--pareto-against`` and stale-baseline warnings.

Before the tests run, every measured test with a noisy metric is measured again in fresh
worker processes: pytest re-invoked on the test files with the hidden ``--pareto-worker``
option, which makes the plugin measure the listed tests once and write their samples to a
file instead of judging them. One worker measures every undecided test (a batch); after each
look of the sequential design only undecided tests go on. The test itself then runs as usual
in this process (for its assertions and deterministic metrics) and is judged with the noisy
metrics of the workers.

Under pytest-xdist each xdist worker replicates its own tests one at a time, holding the
host's measurement lock while it does (batching up front in every xdist worker would
measure each test once per xdist worker).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Generator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest
from filelock import Timeout

from pytest_pareto.errors import BaselineFileError, ConfigError, MeasurementError
from pytest_pareto.frontier.maintenance import comparable_points
from pytest_pareto.judging.dominance import Comparator, compare_values
from pytest_pareto.judging.stats import (
    DEFAULT_ALPHA,
    DEFAULT_PROCESSES,
    RankComparator,
    SequentialDesign,
    needs_more_processes,
)
from pytest_pareto.judging.verdict import JudgePolicy, Verdict, judge
from pytest_pareto.measuring.measure import MeasureOptions
from pytest_pareto.measuring.options import TestOptions
from pytest_pareto.model.machine import Machine
from pytest_pareto.model.metrics import Metric, Variability
from pytest_pareto.model.points import Observation, Point, Sample, utc_now
from pytest_pareto.plugin import (
    ParetoSession,
    options_key,
    recorder_key,
    session_key,
)
from pytest_pareto.plugin.progress import progress
from pytest_pareto.probes import Probe
from pytest_pareto.replication.schedule import (
    Replication,
    Side,
    TestRun,
    WorkerRequest,
    replicate,
    run_worker,
    worker_environment,
    write_runs,
)
from pytest_pareto.replication.worktree import RefWorktree, add_worktree, resolve_commit
from pytest_pareto.store.locks import LOCK_TIMEOUT_S, measurement_lock

__all__ = [
    "PROCESSES_ENV",
    "comparators_for",
    "measuring_for",
    "parse_age",
    "replicated_inputs",
    "stale_warnings",
]

AGAINST_INFO = "pareto_against"
"""``extra_info`` key of a reference point measured from ``--pareto-against``."""

DEFAULT_PROCESS_MAX_TIME = "0.1"
PROCESSES_ENV = "PYTEST_PARETO_PROCESSES"
"""Environment variable that replaces the ini option ``pareto_processes`` (e.g. ``1`` for a
test suite whose own pytest runs should measure in one process)."""
UPDATE_PROCESSES = 20
"""Processes of a point stored by ``--pareto-update`` (fewer if the test asks for fewer)."""
DEFAULT_BASELINE_MAX_AGE = "7d"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("pareto")
    group.addoption(
        "--pareto-processes",
        type=int,
        default=None,
        metavar="N",
        help="most worker processes per side for noisy metrics (default: ini "
        f"pareto_processes, {DEFAULT_PROCESSES}); looks at 5, 10, 20, 40 stop early once "
        f"decided; --pareto-update stores {UPDATE_PROCESSES}. "
        "1 measures in this process only, with a conservative rule.",
    )
    group.addoption(
        "--pareto-against",
        metavar="REF",
        default=None,
        help="measure the baseline from git REF (a temporary worktree) in the same run, "
        "interleaved with the working tree, and judge against it instead of the stored "
        "frontier. Example: pytest --pareto-against origin/main",
    )
    group.addoption("--pareto-worker", default=None, help=argparse.SUPPRESS)
    parser.addini(
        "pareto_processes",
        f"most worker processes per side for noisy metrics (default {DEFAULT_PROCESSES})",
        default=str(DEFAULT_PROCESSES),
    )
    parser.addini(
        "pareto_alpha",
        "chance of a false 'worse' per test, over all looks and comparisons (default 0.05)",
        default=str(DEFAULT_ALPHA),
    )
    parser.addini(
        "pareto_process_max_time",
        "seconds of timed rounds per measured call in each worker process",
        default=DEFAULT_PROCESS_MAX_TIME,
    )
    parser.addini(
        "pareto_baseline_max_age",
        "warn when a stored noisy baseline is older than this (e.g. 7d, 12h; 0 = never)",
        default=DEFAULT_BASELINE_MAX_AGE,
    )


# -- settings --------------------------------------------------------------------------


def _positive_float(config: pytest.Config, name: str) -> float:
    text = str(config.getini(name))
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise ConfigError(f"ini {name} = {text!r} must be a number > 0")
    return value


def parse_age(text: str) -> float | None:
    """Seconds in ``7d``, ``12h``, ``30m``, ``90s`` or a bare number of days; 0 is ``None``."""
    units = {"d": 86400.0, "h": 3600.0, "m": 60.0, "s": 1.0}
    spec = text.strip().lower()
    factor = units.get(spec[-1:])
    number = spec[:-1] if factor is not None else spec
    try:
        value = float(number) * (factor if factor is not None else units["d"])
    except ValueError:
        raise ConfigError(
            f"ini pareto_baseline_max_age = {text!r} must be an age such as 7d, 12h or 30m"
        ) from None
    if value < 0:
        raise ConfigError(f"ini pareto_baseline_max_age = {text!r} must not be negative")
    return value or None


@dataclass
class Controller:
    """This run's replication settings and results."""

    config: pytest.Config
    session: ParetoSession
    processes: int | None
    """``--pareto-processes`` (wins over markers), else ``None``."""
    default_processes: int
    alpha: float
    process_max_time: float
    max_age_s: float | None
    against: str | None
    worker: WorkerRequest | None
    results: dict[str, Replication] = field(default_factory=dict)
    worktree: RefWorktree | None = None
    workdir: Path | None = None
    batches: int = 0
    workers_started: int = 0
    seconds: float = 0.0
    tests: int = 0
    # worker mode: what this worker measured
    measured: dict[str, tuple[dict[str, Metric], dict[str, Sample]]] = field(default_factory=dict)
    outcomes: dict[str, tuple[str, str]] = field(default_factory=dict)

    # -- per test ----------------------------------------------------------------------

    def options(self, item: pytest.Item) -> TestOptions:
        return item.stash.get(options_key, None) or TestOptions()

    def design(self, item: pytest.Item) -> SequentialDesign:
        processes = self.processes or self.options(item).processes or self.default_processes
        if self.session.update:
            processes = min(processes, UPDATE_PROCESSES)
        return SequentialDesign(max_processes=processes, alpha=self.alpha)

    def may_be_noisy(self, item: pytest.Item) -> bool:
        """Whether the test can have a noisy metric, by its marker's ``metrics=``."""
        wanted = self.options(item).metrics
        if wanted is None:
            return True
        noisy = {m.name for p in self.session.probes for m in p.metrics if m.noisy}
        for name in wanted:
            metric = self.session.registry.get(name)
            if name in noisy or (metric is not None and metric.noisy):
                return True
        return False

    def worth_replicating(self, item: pytest.Item) -> bool:
        """Whether worker processes could change this test's verdict or stored point.

        With ``--pareto-against`` every test with a noisy metric is. Otherwise the stored
        baseline tells: a test is replicated when a comparable stored point has a noisy
        gating metric, or, under ``--pareto-update``, when it has no stored point yet. A new
        test judged without ``--pareto-update`` has nothing to be compared with, and a test
        whose stored points are all deterministic needs one process.
        """
        if self.design(item).max_processes < 2 or not self.may_be_noisy(item):
            return False
        if self.against:
            return True
        try:
            baseline = self.session.store.load(item.nodeid)
        except BaselineFileError:
            return False  # the test errors in setup, saying why
        if baseline is None or not baseline.points:
            return self.session.update
        wanted = self.options(item).metrics
        points, _ = comparable_points(baseline, self.session.machine, self.session.matching)
        if self.session.update:
            points = baseline.points
        return any(
            baseline.metrics[name].noisy
            for point in points
            for name in point.observations
            if name in baseline.metrics and (wanted is None or name in wanted)
        )

    def policy(self, item: pytest.Item) -> JudgePolicy:
        options = self.options(item)
        return JudgePolicy(
            tolerances=options.tolerance,
            default_tolerance=self.session.default_tolerance,
            gating=frozenset(options.metrics) if options.metrics is not None else None,
            comparators=comparators_from(self.design(item)),
        )

    # -- replicating -------------------------------------------------------------------

    def upfront(self, session: pytest.Session) -> bool:
        config = session.config
        return not (
            self.worker is not None
            or hasattr(config, "workerinput")
            or config.pluginmanager.has_plugin("dsession")
            or config.option.collectonly
            or session.testsfailed
        )

    def replicate_items(self, items: Sequence[pytest.Item], *, lock_batches: bool) -> None:
        # Python test functions only: other items (notebook cells) are collected by options
        # a worker does not get.
        measured = [
            item
            for item in items
            if isinstance(item, pytest.Function) and self.session._measured(item)
        ]
        noisy = [item for item in measured if self.worth_replicating(item)]
        reference_only = [i for i in measured if i not in noisy] if self.against else []
        if not noisy and not reference_only:
            return
        by_id = {item.nodeid: item for item in measured}
        started = time.perf_counter()
        if self.against and self.worktree is None:
            self.worktree = add_worktree(self.config.rootpath, self.against)
        self.announce(
            f"measuring {len(noisy)} test{'s' if len(noisy) != 1 else ''} in worker processes"
            + (f", baseline from {self.against}" if self.against else "")
        )

        def run_batch(side: Side, ids: Sequence[str], noisy_only: bool) -> Mapping[str, TestRun]:
            if not lock_batches:
                return self.run_batch(side, ids, noisy_only)
            try:
                with measurement_lock():
                    return self.run_batch(side, ids, noisy_only)
            except Timeout:  # newer locks raise MeasurementError themselves
                raise MeasurementError(
                    f"waited {LOCK_TIMEOUT_S:.0f}s for the host's measurement lock: another run "
                    "on this machine is measuring"
                ) from None

        def needs_more(test_id: str, state: Replication) -> bool:
            item = by_id[test_id]
            if not state.observations(Side.CANDIDATE, test_id, noisy=True):
                return False  # nothing noisy after all: one process was enough
            if self.session.update:
                return True  # a stored point is the reference of many runs: measure it fully
            verdict = self.interim_verdict(item, state)
            design = self.design(item)
            return verdict is not None and any(
                needs_more_processes(c, design) for pc in verdict.against for c in pc.comparisons
            )

        with progress(self.config, "pareto replication") as sink:
            state = replicate(
                [item.nodeid for item in noisy],
                {item.nodeid: self.design(item) for item in noisy},
                run_batch,
                needs_more,
                against=self.against is not None,
                reference_only=[item.nodeid for item in reference_only],
                progress=sink,
            )
        for test_id in by_id:
            self.results[test_id] = state
        self.batches += state.batches
        self.tests += len(noisy)
        self.seconds += time.perf_counter() - started

    def run_batch(self, side: Side, ids: Sequence[str], noisy_only: bool) -> Mapping[str, TestRun]:
        if self.workdir is None:
            self.workdir = Path(tempfile.mkdtemp(prefix="pareto-workers-"))
        self.workers_started += 1
        number = self.workers_started
        config = self.config
        tree = self.worktree if side is Side.REFERENCE else None

        def here(path: Path) -> Path:
            return tree.map(path) if tree is not None else path

        root = here(config.rootpath)
        present = [t for t in ids if (root / t.split("::")[0]).exists()]
        files = sorted({str(root / t.split("::")[0]) for t in present})
        if not present:
            return {}
        args = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
        args += ["--rootdir", str(root), "--basetemp", str(self.workdir / f"tmp-{number}")]
        if config.inipath is not None:
            args += ["-c", str(here(config.inipath))]
        for plugin in config.option.plugins or ():
            args += ["-p", plugin]
        for override in config.option.override_ini or ():
            args += ["-o", override]
        args += [f"--import-mode={config.option.importmode}"]
        if config.pluginmanager.has_plugin("xdist"):
            args += ["-n", "0"]
        args += [*files, "--pareto-worker"]
        python_path = [root, root / "src"] if tree is not None or self.against else []
        invocation = here(config.invocation_params.dir)
        request = WorkerRequest(
            tuple(present), str(self.workdir / f"runs-{number}.json"), noisy_only=noisy_only
        )
        return run_worker(
            args,
            cwd=invocation if invocation.is_dir() else root,
            env=worker_environment(os.environ, python_path=python_path),
            request=request,
            request_path=self.workdir / f"request-{number}.json",
            log_path=self.workdir / f"log-{number}.txt",
        )

    # -- points ------------------------------------------------------------------------

    def point_of(self, state: Replication, side: Side, test_id: str) -> Point | None:
        if not state.has(side, test_id):
            return None
        observations = state.observations(side, test_id, noisy=False)
        observations.update(state.observations(side, test_id, noisy=True))
        if side is Side.CANDIDATE:
            return Point(observations, machine=self.session.machine)
        assert self.worktree is not None
        return Point(
            observations,
            commit=self.worktree.commit,
            machine=self.session.machine,
            extra_info={AGAINST_INFO: self.worktree.ref},
        )

    def references(
        self, item: pytest.Item, state: Replication | None
    ) -> tuple[tuple[Point, ...], str, dict[str, Metric]]:
        """The points to judge against, why none (if so), and their metric definitions."""
        if self.against:
            test_id = item.nodeid
            reference = self.point_of(state, Side.REFERENCE, test_id) if state else None
            if reference is None:
                why = state.reference_problems.get(test_id, "") if state else ""
                if state is None or test_id in state.reference_absent:
                    why = ""  # not there at all: a new test
                return (), why, {}
            return (reference,), "", state.metrics(Side.REFERENCE, test_id) if state else {}
        try:
            baseline = self.session.store.load(item.nodeid)
        except BaselineFileError:
            return (), "", {}
        points, reason = comparable_points(baseline, self.session.machine, self.session.matching)
        return points, reason, dict(baseline.metrics) if baseline is not None else {}

    def interim_verdict(self, item: pytest.Item, state: Replication) -> Verdict | None:
        candidate = self.point_of(state, Side.CANDIDATE, item.nodeid)
        if candidate is None:
            return None
        references, reason, metrics = self.references(item, state)
        metrics.update(state.metrics(Side.CANDIDATE, item.nodeid))
        return judge(
            item.nodeid, candidate, references, metrics, self.policy(item), skipped_reason=reason
        )

    # -- reporting ---------------------------------------------------------------------

    def announce(self, message: str) -> None:
        """One line on the terminal, unless -q or on an xdist worker."""
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is None or self.config.get_verbosity() < 0:
            return
        if not hasattr(self.config, "workerinput"):
            reporter.write_line(f"pareto: {message}")

    def close(self) -> None:
        if self.worktree is not None:
            self.worktree.remove()
            self.worktree = None
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None


controller_key = pytest.StashKey[Controller]()


def _controller(config: pytest.Config) -> Controller | None:
    return config.stash.get(controller_key, None)


def comparators_from(design: SequentialDesign) -> dict[Variability, Comparator]:
    return {
        Variability.NOISY: RankComparator(design),
        Variability.DETERMINISTIC: compare_values,
    }


# -- what the plugin asks ------------------------------------------------------------


def comparators_for(item: pytest.Item) -> dict[Variability, Comparator]:
    """The comparators that judge ``item`` (the rank test with the test's design)."""
    controller = _controller(item.config)
    if controller is None:
        return comparators_from(SequentialDesign())
    return comparators_from(controller.design(item))


def measuring_for(
    item: pytest.Item, probes: list[Probe], options: MeasureOptions
) -> tuple[list[Probe], MeasureOptions]:
    """The probes and measuring options of ``item`` in this process.

    A worker measures noisy probes only (when asked) within its own time budget; the main
    process of a replicated test measures one round, since its noisy values are replaced by
    the workers' and its deterministic ones need one call.
    """
    controller = _controller(item.config)
    if controller is None:
        return probes, options
    if controller.worker is not None:
        if controller.worker.noisy_only:
            probes = [p for p in probes if any(m.noisy for m in p.metrics)]
        if controller.options(item).max_time is None:
            options = replace(options, max_time=controller.process_max_time)
        return probes, options
    state = controller.results.get(item.nodeid)
    if state is not None and state.has(Side.CANDIDATE, item.nodeid):
        options = replace(options, rounds=1, iterations=1, warmup=max(1, options.warmup))
    return probes, options


def replicated_inputs(
    item: pytest.Item,
    point: Point,
    references: tuple[Point, ...],
    reason: str,
    metrics: dict[str, Metric],
) -> tuple[Point, tuple[Point, ...], str]:
    """The candidate and references to judge ``item`` with, once workers measured it.

    Noisy observations come from the workers; with ``--pareto-against`` the references are
    the reference's point. ``metrics`` gains the reference's definitions.
    """
    controller = _controller(item.config)
    if controller is None or controller.worker is not None:
        return point, references, reason
    state = controller.results.get(item.nodeid)
    test_id = item.nodeid
    if state is not None and test_id in state.problems:
        raise MeasurementError(
            f"{test_id} could not be measured in worker processes: {state.problems[test_id]}"
        )
    if state is not None and state.has(Side.CANDIDATE, test_id):
        observations: dict[str, Observation] = dict(point.observations)
        observations.update(state.observations(Side.CANDIDATE, test_id, noisy=True))
        point = point.with_observations(observations)
    if controller.against:
        references, reason, reference_metrics = controller.references(item, state)
        for name, metric in reference_metrics.items():
            metrics.setdefault(name, metric)
    return point, references, reason


# -- hooks -----------------------------------------------------------------------------


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    session = config.stash.get(session_key, None)
    if session is None:
        return  # --pareto-disable
    try:
        processes = config.getoption("pareto_processes")
        if processes is not None and processes < 1:
            raise ConfigError(f"--pareto-processes {processes}: must be at least 1")
        from_env = os.environ.get(PROCESSES_ENV, "").strip()
        source = PROCESSES_ENV if from_env else "ini pareto_processes"
        try:
            default_processes = int(from_env or str(config.getini("pareto_processes")))
        except ValueError:
            default_processes = 0
        if default_processes < 1:
            raise ConfigError(f"{source} must be an integer >= 1")
        alpha = _positive_float(config, "pareto_alpha")
        if alpha >= 1:
            raise ConfigError("ini pareto_alpha must be between 0 and 1")
        against = config.getoption("pareto_against")
        if against and session.update:
            raise ConfigError(
                "--pareto-against judges against a git ref, --pareto-update stores results: "
                "use one at a time"
            )
        worker_file = config.getoption("pareto_worker")
        if against and not worker_file:
            resolve_commit(config.rootpath, against)  # a bad ref stops the run right away
        controller = Controller(
            config=config,
            session=session,
            processes=processes,
            default_processes=default_processes,
            alpha=alpha,
            process_max_time=_positive_float(config, "pareto_process_max_time"),
            max_age_s=parse_age(str(config.getini("pareto_baseline_max_age"))),
            against=against if not worker_file else None,
            worker=WorkerRequest.load(worker_file) if worker_file else None,
        )
    except (ConfigError, MeasurementError) as exc:
        raise pytest.UsageError(f"pytest-pareto: {exc}") from None
    config.stash[controller_key] = controller


def pytest_unconfigure(config: pytest.Config) -> None:
    controller = config.stash.get(controller_key, None)
    if controller is not None:
        controller.close()
        del config.stash[controller_key]


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    controller = _controller(config)
    if controller is None or controller.worker is None:
        return
    wanted = set(controller.worker.tests)
    keep = [item for item in items if item.nodeid in wanted]
    dropped = [item for item in items if item.nodeid not in wanted]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtestloop(session: pytest.Session) -> Generator[None, object, object]:
    controller = _controller(session.config)
    if controller is not None and controller.upfront(session):
        try:
            controller.replicate_items(session.items, lock_batches=True)
        except ConfigError as exc:
            raise pytest.UsageError(f"pytest-pareto: {exc}") from None
    return (yield)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_protocol(
    item: pytest.Item, nextitem: pytest.Item | None
) -> Generator[None, object, object]:
    controller = _controller(item.config)
    if (
        controller is not None
        and controller.worker is None
        and hasattr(item.config, "workerinput")
        and item.nodeid not in controller.results
        and controller.session._measured(item)
    ):
        # Under xdist: one test at a time, holding the host's measurement lock.
        try:
            with measurement_lock():
                controller.replicate_items([item], lock_batches=False)
        except (Timeout, MeasurementError) as exc:
            problem = str(exc) or f"waited {LOCK_TIMEOUT_S:.0f}s for the host's measurement lock"
            controller.results[item.nodeid] = Replication(problems={item.nodeid: problem})
    return (yield)


@pytest.hookimpl(wrapper=True, trylast=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    controller = _controller(item.config)
    if controller is None or controller.worker is None:
        return (yield)
    try:
        return (yield)
    finally:
        # A worker reports what it measured and never judges: take the recorder away
        # before the plugin's judging (an outer wrapper) sees it.
        recorder = item.stash.get(recorder_key, None)
        if recorder is not None:
            del item.stash[recorder_key]
            point = recorder.point()
            if point is not None:
                controller.measured[item.nodeid] = (
                    recorder.metrics,
                    {name: obs.samples[0] for name, obs in point.observations.items()},
                )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    controller = _controller(item.config)
    if controller is None or controller.worker is None:
        return report
    if report.failed:
        outcome = "failed" if report.when == "call" else "error"
        crash = getattr(report.longrepr, "reprcrash", None)
        lines = report.longreprtext.strip().splitlines()
        message = str(crash.message) if crash is not None else (lines[-1] if lines else "")
        controller.outcomes[item.nodeid] = (outcome, message[:500])
    elif report.skipped:
        controller.outcomes[item.nodeid] = ("skipped", "")
    elif report.when == "call":
        controller.outcomes.setdefault(item.nodeid, ("passed", ""))
    return report


def pytest_sessionfinish(session: pytest.Session) -> None:
    controller = _controller(session.config)
    if controller is None or controller.worker is None:
        return
    runs = []
    for test_id in controller.worker.tests:
        outcome, message = controller.outcomes.get(test_id, ("", ""))
        if not outcome:
            continue
        metrics, samples = controller.measured.get(test_id, ({}, {}))
        runs.append(TestRun(test_id, outcome, metrics, samples, message))
    write_runs(controller.worker.out, runs)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    controller = _controller(config)
    if controller is None or controller.worker is not None or hasattr(config, "workerinput"):
        return
    lines = []
    if controller.batches:
        against = f" (baseline from {controller.against})" if controller.against else ""
        lines.append(
            f"replicated {controller.tests} test{'s' if controller.tests != 1 else ''} in "
            f"{controller.batches} worker processes{against}, {controller.seconds:.1f}s"
        )
    warnings = stale_warnings(
        controller.session.verdicts, controller.session.machine, controller.max_age_s
    )
    if not lines and not warnings:
        return
    terminalreporter.write_sep("-", "pareto processes")
    for line in lines:
        terminalreporter.write_line(line)
    for warning in warnings:
        terminalreporter.write_line(f"warning: {warning}", yellow=True)


# -- stale baselines -------------------------------------------------------------------


def _age_s(recorded_at: str, now: _dt.datetime) -> float | None:
    try:
        when = _dt.datetime.fromisoformat(recorded_at.replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=_dt.timezone.utc)
    return (now - when).total_seconds()


def _describe_age(seconds: float) -> str:
    if seconds >= 2 * 86400:
        return f"{seconds / 86400:.0f} days"
    if seconds >= 2 * 3600:
        return f"{seconds / 3600:.0f} hours"
    return f"{seconds / 60:.0f} minutes"


def stale_warnings(
    verdicts: Sequence[Verdict], machine: Machine, max_age_s: float | None
) -> list[str]:
    """Warnings for stored points with noisy metrics that are old or from another machine."""
    now = _dt.datetime.fromisoformat(utc_now().replace("Z", "+00:00"))
    warnings = []
    seen = set()
    for verdict in verdicts:
        for pc in verdict.against:
            point = pc.reference
            if AGAINST_INFO in point.extra_info or (verdict.test_id, point.id) in seen:
                continue
            if not any(c.metric.noisy for c in pc.comparisons):
                continue
            seen.add((verdict.test_id, point.id))
            problems = []
            age = _age_s(point.recorded_at, now)
            if max_age_s is not None and age is not None and age > max_age_s:
                problems.append(f"is {_describe_age(age)} old")
            if point.machine is None or point.machine.hardware_class != machine.hardware_class:
                where = point.machine.describe() if point.machine else "an unknown machine"
                problems.append(f"was measured on another machine ({where})")
            if problems:
                warnings.append(
                    f"{verdict.test_id}: stored point {point.id} {' and '.join(problems)}; "
                    "noisy metrics drift: re-record it with --pareto-update, or measure the "
                    "baseline in the same run with --pareto-against REF"
                )
    return warnings
