"""One pytest run of the plugin: its settings, results, plugins, and the order of its work.

:func:`start` (``pytest_configure``) parses the settings once and registers a
:class:`ParetoSession`, which registers the plugins this process needs: notebook collection
(``--pareto-notebooks``), the ``benchmark`` fixture (``pareto_benchmark_fixture``) and, in a
measuring run, those of :class:`~.run.MeasuringRun`.

Where the order of work matters it is written here, once: at session end the verdicts are
accepted, then the variant groups judged and accepted, then the report files written; the
terminal summary shows the verdicts, replication, removed temporary files, report files,
derived-objective notes and groups, in that order. Only the process that writes the run's
results does this: not an xdist worker (its verdicts travel to the controller on the
reports), not a replica.
"""

from __future__ import annotations

import pytest

from pytest_pareto.measuring.options import MARKER_ARGUMENTS
from pytest_pareto.measuring.recorder import Recorder
from pytest_pareto.plugin.accepting import accept_verdicts
from pytest_pareto.plugin.benchmark_alias import BenchmarkAlias, check_no_benchmark_plugin
from pytest_pareto.plugin.notebooks import NotebookCollector, NotebookRunner
from pytest_pareto.plugin.payload import Payload
from pytest_pareto.plugin.reports import ReportFiles
from pytest_pareto.plugin.results import FAILED_AFTER_JUDGING, RunResults
from pytest_pareto.plugin.run import MeasuringRun
from pytest_pareto.plugin.settings import Settings
from pytest_pareto.plugin.xdist import header_lines, is_xdist_worker
from pytest_pareto.reports.run_report import RunReport

__all__ = ["ParetoSession", "recorder_for", "start", "stop"]

SESSION_PLUGIN_NAME = "pareto-session"
session_key = pytest.StashKey["ParetoSession"]()

MARKER_HELP = (
    f"pareto({', '.join(f'{name}=...' for name in MARKER_ARGUMENTS)}): measure this test and "
    "judge it against its stored Pareto frontier. Without the `pareto` fixture the test "
    "function itself is measured."
)


def start(config: pytest.Config) -> None:
    config.addinivalue_line("markers", MARKER_HELP)
    session = ParetoSession(config, Settings.parse(config))
    config.stash[session_key] = session
    session.register_plugins()


def stop(config: pytest.Config) -> None:
    session = config.stash.get(session_key, None)
    if session is not None:
        session.close()
        del config.stash[session_key]


def recorder_for(request: pytest.FixtureRequest) -> Recorder:
    """The ``pareto`` fixture's value: a recorder that measures, or one that does nothing
    (``--pareto-disable``)."""
    session = request.config.stash.get(session_key, None)
    if session is None or session.run is None:
        return Recorder(request.node.nodeid, enabled=False)
    return session.run.tests.new_recorder(request.node)


class ParetoSession:
    """The plugin's state for one pytest run (a plugin itself, registered at configure)."""

    def __init__(self, config: pytest.Config, settings: Settings) -> None:
        self.config = config
        self.settings = settings
        self.results = RunResults()
        self.run = (
            MeasuringRun(config, settings.run, self.results) if settings.run is not None else None
        )
        in_replica = self.run is not None and self.run.replica is not None
        self.writes_results = not (is_xdist_worker(config) or in_replica)
        """Whether this process accepts, reports and sums up the run's results."""
        self.report_files = ReportFiles(config.invocation_params.dir, settings.reports)
        self._registered: list[object] = []

    def register_plugins(self) -> None:
        plugins: list[tuple[object, str]] = [(self, SESSION_PLUGIN_NAME)]
        settings = self.settings
        if settings.notebooks:
            registry = self.run.registry if self.run is not None else None
            runner = NotebookRunner(settings.notebook_timeout, settings.notebook_kernel, registry)
            plugins.append((NotebookCollector(runner), "pareto-notebooks"))
        if settings.benchmark_fixture:
            check_no_benchmark_plugin(self.config)
            plugins.append((BenchmarkAlias(), "pareto-benchmark-alias"))
        if self.run is not None:
            plugins += self.run.plugins()
        for plugin, name in plugins:
            self.config.pluginmanager.register(plugin, name)
            self._registered.append(plugin)

    def close(self) -> None:
        if self.run is not None:
            self.run.close()
        for plugin in reversed(self._registered):
            self.config.pluginmanager.unregister(plugin)
        self._registered.clear()

    # -- hooks ---------------------------------------------------------------------------

    def pytest_report_header(self, config: pytest.Config) -> list[str]:
        if self.run is None:
            return []
        return [*header_lines(config, self.run.settings), *self.run.header_lines()]

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        if self.run is not None and self.writes_results:
            self.run.temp_files.remove()

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        payload = Payload.of(report)
        if payload is None or self.run is None:
            return
        if payload.notes:
            self.run.notes.add(report.nodeid, list(payload.notes))
        if payload.verdict is None:
            return
        self.results.verdicts.append(payload.verdict)
        if payload.group is not None:
            # A variant is accepted with its group, at session end.
            self.run.groups.add(report.nodeid, payload, failed=report.failed)
            self.results.not_accepted.setdefault(report.nodeid, f"in group {payload.group!r}")
        elif report.failed:
            self.results.not_accepted.setdefault(report.nodeid, FAILED_AFTER_JUDGING)

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if not self.writes_results:
            return
        run = self.run
        if run is not None:
            if run.settings.update:
                accept_verdicts(self.results, run.context.store, self.config)
                if self.results.errors:
                    session.exitstatus = pytest.ExitCode.TESTS_FAILED
            run.groups.finish(session)
        if self.settings.reports and not self.report_files.write(self.run_report()):
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def run_report(self) -> RunReport:
        run = self.run
        if run is None:
            return RunReport(verdicts=(), mode="disabled")
        return RunReport(
            verdicts=tuple(self.results.verdicts),
            changes=tuple(self.results.changes),
            errors=tuple(self.results.errors),
            mode="update" if run.settings.update else "judge",
            strict=run.settings.strict,
            commit=run.commit(),
            machine=run.context.machine,
        )

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        if not self.writes_results:
            return
        run = self.run
        if run is not None:
            verbose = self.config.get_verbosity() > 0
            self.results.write_summary(
                terminalreporter, update=run.settings.update, verbose=verbose
            )
            if run.replication is not None:
                run.replication.write_summary(terminalreporter, self.results.verdicts)
            run.temp_files.write_summary(terminalreporter)
        self.report_files.write_summary(terminalreporter)
        if run is not None:
            run.notes.write_summary(terminalreporter)
            run.groups.write_summary(terminalreporter)
