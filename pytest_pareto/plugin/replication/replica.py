"""The replica's side of replication: this process measures the listed tests, never judges.

A replica is pytest started by a :class:`~.controller.ReplicationController` with the hidden
``--pareto-replica REQUEST`` option. It runs only the tests the request lists, measures each
once (only the probes with a noisy metric when asked, within ``pareto_process_max_time``),
and writes what it measured and how each test ended to the request's output file when the
session ends.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import replace
from functools import partial
from typing import Any

import pytest

from pytest_pareto.measuring.diagnostics import diagnostic_summaries
from pytest_pareto.measuring.measure import MeasureOptions
from pytest_pareto.measuring.speed_reference import PROCESS_SLOWDOWN, retake_in_forked_process
from pytest_pareto.model.metrics import Metric
from pytest_pareto.model.points import Sample
from pytest_pareto.plugin.keys import options_of, recorder_key
from pytest_pareto.probes import Probe
from pytest_pareto.replication.schedule import ReplicaRequest, TestRun, write_runs
from pytest_pareto.replication.warm_process import exit_now, serve_forks

__all__ = ["Replica"]


class Replica:
    """Registered as a plugin only in a replica process."""

    def __init__(self, request: ReplicaRequest, process_max_time: float) -> None:
        self.request = request
        self.process_max_time = process_max_time
        self.measured: dict[str, tuple[dict[str, Metric], dict[str, Sample]]] = {}
        self.slowdowns: dict[str, float] = {}
        self.diagnostics: dict[str, dict[str, Any]] = {}
        self.seconds: dict[str, float] = {}
        self.outcomes: dict[str, tuple[str, str]] = {}
        """Test id -> (pytest's outcome word, why it did not pass)."""

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(
        self, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        wanted = set(self.request.tests)
        keep = [item for item in items if item.nodeid in wanted]
        dropped = [item for item in items if item.nodeid not in wanted]
        if dropped:
            config.hook.pytest_deselected(items=dropped)
            items[:] = keep

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> bool | None:
        """A warm process forks a replica per request instead of running the tests."""
        if self.request.serve is None:
            return None
        serve_forks(*self.request.serve, partial(self._measure_forked, session))
        # The launcher reads nothing else of a warm process, and other plugins' end of the
        # session (hypothesis's statistics: seconds where no bytecode is cached) would only
        # delay it.
        exit_now(0)
        return True  # pragma: no cover -- exit_now() does not return

    def _measure_forked(self, session: pytest.Session, request: ReplicaRequest) -> None:
        """In a forked replica: run the requested tests as pytest's loop would, then write
        what they measured."""
        retake_in_forked_process()
        self.request = request
        wanted = set(request.tests)
        items = [item for item in session.items if item.nodeid in wanted]
        for index, item in enumerate(items):
            following = items[index + 1] if index + 1 < len(items) else None
            item.config.hook.pytest_runtest_protocol(item=item, nextitem=following)
        self.write()

    def measuring_for(
        self, item: pytest.Item, probes: list[Probe], options: MeasureOptions
    ) -> tuple[list[Probe], MeasureOptions]:
        """Noisy probes only (when asked), within the replica's own time budget."""
        if self.request.noisy_only:
            probes = [p for p in probes if any(m.noisy for m in p.metrics)]
        if options_of(item).max_time is None:
            options = replace(options, max_time=self.process_max_time)
        return probes, options

    @pytest.hookimpl(wrapper=True, trylast=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Generator[None, None, None]:
        """When asked, profile and trace the measured call once more: after its timed rounds,
        never during them, and before the measuring plugin lets the call go (so: trylast,
        the innermost wrapper)."""
        result = yield
        recorder = item.stash.get(recorder_key, None)
        if self.request.diagnose and recorder is not None and recorder.call is not None:
            wanted = frozenset(recorder.metrics)
            self.diagnostics[item.nodeid] = diagnostic_summaries(recorder, wanted)
        return result

    def pytest_runtest_teardown(self, item: pytest.Item) -> None:
        """Keep what the test measured (its body has run)."""
        recorder = item.stash.get(recorder_key, None)
        point = recorder.point() if recorder is not None else None
        if recorder is not None and point is not None:
            samples = {name: obs.samples[0] for name, obs in point.observations.items()}
            self.measured[item.nodeid] = (recorder.metrics, samples)
            slowdown = point.extra_info.get(PROCESS_SLOWDOWN)
            if isinstance(slowdown, int | float):
                self.slowdowns[item.nodeid] = float(slowdown)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        test_id = report.nodeid
        self.seconds[test_id] = self.seconds.get(test_id, 0.0) + report.duration
        if report.failed:
            outcome = "failed" if report.when == "call" else "error"
            crash = getattr(report.longrepr, "reprcrash", None)
            lines = report.longreprtext.strip().splitlines()
            message = str(crash.message) if crash is not None else (lines[-1] if lines else "")
            self.outcomes[test_id] = (outcome, message[:500])
        elif report.skipped:
            self.outcomes[test_id] = ("skipped", "")
        elif report.when == "call":
            self.outcomes.setdefault(test_id, ("passed", ""))

    def pytest_sessionfinish(self) -> None:
        self.write()

    def write(self) -> None:
        """Write how each requested test ended and what it measured."""
        runs = []
        for test_id in self.request.tests:
            outcome, message = self.outcomes.get(test_id, ("", ""))
            if not outcome:
                continue
            metrics, samples = self.measured.get(test_id, ({}, {}))
            slowdown = self.slowdowns.get(test_id)
            run = TestRun(
                test_id,
                outcome,
                metrics,
                samples,
                message,
                slowdown,
                diagnostics=self.diagnostics.get(test_id, {}),
                seconds=self.seconds.get(test_id),
            )
            runs.append(run)
        write_runs(self.request.out, runs)
