"""The parent's side of replication: which tests to measure again, the batches, the results.

Before the tests run, every measured test whose verdict replicas could change is measured
again in fresh replica processes (:mod:`.command`), in batches, until the sequential design
decides it (:func:`~pytest_pareto.replication.schedule.replicate`). The test itself then runs
as usual in this process (for its assertions and deterministic metrics, one round) and is
judged with the noisy metrics of the replicas (:class:`.results.ReplicatedResults`).

Under pytest-xdist each xdist worker replicates its own tests one at a time, holding the
host's measurement lock while it does (batching up front in every xdist worker would
measure each test once per xdist worker).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Generator, Mapping, Sequence
from functools import partial

import pytest

from pytest_pareto.errors import BaselineFileError, ConfigError, MeasurementError
from pytest_pareto.frontier.pipeline import JudgeContext, judge_test
from pytest_pareto.judging.stats import needs_more_processes
from pytest_pareto.judging.verdict import Verdict
from pytest_pareto.model.metrics import MetricRegistry
from pytest_pareto.model.points import TestBaseline
from pytest_pareto.plugin.keys import is_measured, options_of
from pytest_pareto.plugin.policy import policy_for
from pytest_pareto.plugin.progress import progress
from pytest_pareto.plugin.replication.command import ReplicaLauncher
from pytest_pareto.plugin.replication.results import ReplicatedResults
from pytest_pareto.plugin.replication.selection import Selection
from pytest_pareto.plugin.settings import RunSettings
from pytest_pareto.plugin.xdist import is_xdist_worker
from pytest_pareto.probes import Probe
from pytest_pareto.replication.schedule import Replication, Side, TestRun, replicate
from pytest_pareto.reports.staleness import stale_warnings
from pytest_pareto.reports.words import render_table
from pytest_pareto.store.locks import measurement_lock

__all__ = ["ReplicationController"]

SHOWN_TESTS = 5
"""Tests the summary names with their replica processes and time, the costliest first."""


class ReplicationController:
    """Replicates this run's tests and hands their noisy observations to the judging."""

    def __init__(
        self,
        config: pytest.Config,
        settings: RunSettings,
        context: JudgeContext,
        probes: Sequence[Probe],
        registry: MetricRegistry,
    ) -> None:
        self.config = config
        self.settings = settings
        self.context = context
        self.selection = Selection(settings, context, probes, registry)
        self.launcher = ReplicaLauncher(config, settings.against, settings.replica_forks)
        self.in_xdist_worker = is_xdist_worker(config)
        self.results = ReplicatedResults(
            context.machine, self.launcher, against=settings.against is not None
        )
        self.batches = 0
        self.tests = 0
        self.seconds = 0.0

    # -- when ----------------------------------------------------------------------------

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> Generator[None, object, object]:
        if self._upfront(session):
            try:
                self.replicate_items(session.items, lock_batches=True)
            except ConfigError as exc:
                raise pytest.UsageError(f"pytest-pareto: {exc}") from None
        return (yield)

    def _upfront(self, session: pytest.Session) -> bool:
        """Whether to replicate every test before the loop (not under xdist, not when
        only collecting, not after collection errors)."""
        config = session.config
        return not (
            self.in_xdist_worker
            or config.pluginmanager.has_plugin("dsession")
            or config.option.collectonly
            or session.testsfailed
        )

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_protocol(
        self, item: pytest.Item, nextitem: pytest.Item | None
    ) -> Generator[None, object, object]:
        if self.in_xdist_worker and item.nodeid not in self.results and is_measured(item):
            # One test at a time, holding the host's measurement lock.
            try:
                with measurement_lock():
                    self.replicate_items([item], lock_batches=False)
            except MeasurementError as exc:
                self.results.by_test[item.nodeid] = Replication(problems={item.nodeid: str(exc)})
        return (yield)

    # -- replicating ---------------------------------------------------------------------

    def replicate_items(self, items: Sequence[pytest.Item], *, lock_batches: bool) -> None:
        measured = self.selection.measured(items)
        noisy = [item for item in measured if self.selection.worth_replicating(item)]
        against = self.settings.against
        reference_only = [i for i in measured if i not in noisy] if against else []
        if not noisy and not reference_only:
            return
        by_id = {item.nodeid: item for item in measured}
        started = time.perf_counter()
        self.launcher.prepare()
        self.announce(
            f"measuring {len(noisy)} test{'s' if len(noisy) != 1 else ''} in replica processes"
            + (f", baseline from {against}" if against else "")
        )
        run_batch = self._run_locked if lock_batches else self.launcher.run_batch
        prepare = self._prepare_locked if lock_batches else self.launcher.prepare_look
        with progress(self.config, "pareto replication") as sink:
            state = replicate(
                [item.nodeid for item in noisy],
                {item.nodeid: self.selection.design(item) for item in noisy},
                run_batch,
                partial(self._needs_more, by_id),
                against=against is not None,
                reference_only=[item.nodeid for item in reference_only],
                progress=sink,
                prepare=prepare,
            )
        for test_id in by_id:
            self.results.by_test[test_id] = state
        self.batches += state.batches
        self.tests += len(noisy)
        self.seconds += time.perf_counter() - started

    def _run_locked(
        self, side: Side, ids: Sequence[str], noisy_only: bool
    ) -> Mapping[str, TestRun]:
        with measurement_lock():
            return self.launcher.run_batch(side, ids, noisy_only)

    def _prepare_locked(self, side: Side, ids: Sequence[str], batches: int) -> None:
        # Starting processes would disturb another run's measuring on this host.
        with measurement_lock():
            self.launcher.prepare_look(side, ids, batches)

    def _needs_more(
        self, by_id: Mapping[str, pytest.Item], test_id: str, state: Replication
    ) -> bool:
        """Whether a test needs the next look of its design, after this one."""
        if not state.observations(Side.CANDIDATE, test_id, noisy=True):
            return False  # nothing noisy after all: one process was enough
        if self.settings.update:
            return True  # a stored point is the reference of many runs: measure it fully
        item = by_id[test_id]
        verdict = self.interim_verdict(item, state)
        design = self.selection.design(item)
        return verdict is not None and any(
            needs_more_processes(c, design) for pc in verdict.against for c in pc.comparisons
        )

    def interim_verdict(self, item: pytest.Item, state: Replication) -> Verdict | None:
        """The verdict of the replicas' samples so far, judged as the test will be."""
        test_id = item.nodeid
        candidate = self.results.point_of(state, Side.CANDIDATE, test_id)
        if candidate is None:
            return None
        baseline: TestBaseline | None = None
        references = None
        if self.settings.against:
            references = self.results.against_references(test_id, state)
        else:
            with contextlib.suppress(BaselineFileError):  # the test errors in setup, saying why
                baseline = self.selection.load_baseline(item)
        policy = policy_for(self.context, self.settings, options_of(item))
        metrics = state.metrics(Side.CANDIDATE, test_id)
        try:
            return judge_test(
                self.context, test_id, candidate, metrics, baseline, policy, references=references
            )
        except ConfigError:
            return None  # a changed metric definition: the test fails saying so when judged

    # -- reporting -----------------------------------------------------------------------

    def announce(self, message: str) -> None:
        """One line on the terminal, unless -q or on an xdist worker."""
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is None or self.config.get_verbosity() < 0 or self.in_xdist_worker:
            return
        reporter.write_line(f"pareto: {message}")

    def write_summary(
        self, terminalreporter: pytest.TerminalReporter, verdicts: Sequence[Verdict]
    ) -> None:
        """The ``pareto processes`` block: what was replicated, and stale stored points."""
        lines = []
        if self.batches:
            tests, against = self.tests, self.settings.against
            lines.append(
                f"replicated {tests} test{'s' if tests != 1 else ''} in {self.batches} replica "
                f"processes{f' (baseline from {against})' if against else ''}, {self.seconds:.1f}s"
            )
            if started := self.launcher.how_started():
                lines.append(f"  replica processes: {started}")
            lines += self._where_the_time_went()
        warnings = stale_warnings(verdicts, self.context.machine, self.settings.max_age_s)
        if not lines and not warnings:
            return
        terminalreporter.write_sep("-", "pareto processes")
        for line in lines:
            terminalreporter.write_line(line)
        for warning in warnings:
            terminalreporter.write_line(f"warning: {warning}", yellow=True)

    def _where_the_time_went(self) -> list[str]:
        """Per test, the processes each side took and the seconds the test itself ran in
        them (most first, at most :data:`SHOWN_TESTS`), and what start-up and collection
        of the replica processes took besides."""
        states = self.results.by_test
        spent = {
            test_id: state.seconds(test_id)
            for test_id, state in states.items()
            if any(state.has(side, test_id) for side in Side)
        }
        rows = []
        for test_id in sorted(spent, key=lambda t: (-spent[t], t))[:SHOWN_TESTS]:
            state = states[test_id]
            processes = str(state.processes(Side.CANDIDATE, test_id))
            if self.settings.against:
                processes += f" + {state.processes(Side.REFERENCE, test_id)} (reference)"
            rows.append([test_id, processes, f"{spent[test_id]:.1f}s"])
        lines = render_table(("test", "replica processes", "its own time"), rows, indent="  ")
        if len(spent) > SHOWN_TESTS:
            others = sorted(spent.values())[: len(spent) - SHOWN_TESTS]
            lines.append(f"  and {len(others)} more tests: {sum(others):.1f}s")
        overhead = max(0.0, self.seconds - sum(spent.values()))
        lines.append(f"  starting the replica processes and collecting: {overhead:.1f}s")
        return lines

    def close(self) -> None:
        self.launcher.close()
