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

from typing import TYPE_CHECKING

import pytest

from pytest_pareto.plugin.settings import Settings, header_line, parse_run

if TYPE_CHECKING:
    from pytest_pareto.measuring.recorder import Recorder
    from pytest_pareto.plugin.reports import ReportFiles
    from pytest_pareto.plugin.results import RunResults
    from pytest_pareto.plugin.run import MeasuringRun
    from pytest_pareto.plugin.run_inputs import RunInputs
    from pytest_pareto.plugin.temp_files import StaleTempFiles
    from pytest_pareto.reports.run_report import RunReport

__all__ = ["ParetoSession", "recorder_for", "start", "stop"]

SESSION_PLUGIN_NAME = "pareto-session"
session_key = pytest.StashKey["ParetoSession"]()


def marker_help(config: pytest.Config) -> str:
    """The ``pareto`` marker's line; its arguments are listed only where shown (``--markers``),
    as listing them imports the measuring core."""
    if not getattr(config.option, "markers", False):
        return "pareto(...): measure this test and judge it against its stored Pareto frontier."
    from pytest_pareto.measuring.options import MARKER_ARGUMENTS

    return (
        f"pareto({', '.join(f'{name}=...' for name in MARKER_ARGUMENTS)}): measure this test "
        "and judge it against its stored Pareto frontier. Without the `pareto` fixture the "
        "test function itself is measured."
    )


def start(config: pytest.Config) -> None:
    config.addinivalue_line("markers", marker_help(config))
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
    run = session.measuring() if session is not None else None
    if run is None:
        from pytest_pareto.measuring.recorder import Recorder

        return Recorder(request.node.nodeid, enabled=False)
    return run.tests.new_recorder(request.node)


def is_measured_item(item: pytest.Item, *, benchmark_fixture: bool) -> bool:
    """Whether ``item`` is measured: the ``pareto`` marker or a measuring fixture."""
    names = getattr(item, "fixturenames", ())
    if "pareto" in names or (benchmark_fixture and "benchmark" in names):
        return True
    return item.get_closest_marker("pareto") is not None


class ParetoSession:
    """The plugin's state for one pytest run (a plugin itself, registered at configure)."""

    def __init__(self, config: pytest.Config, settings: Settings) -> None:
        self.config = config
        self.settings = settings
        self.run: MeasuringRun | None = None
        """The measuring part, once built (:meth:`measuring`); ``None`` until then."""
        self._results: RunResults | None = None
        self.temp_files: StaleTempFiles | None = None
        self._inputs: RunInputs | None = None
        self._unusable = False
        """The run's settings could not be parsed (said once, as a usage error)."""
        # Inline (not plugin.xdist): that module imports the measuring core.
        in_xdist_worker = hasattr(config, "workerinput")
        in_replica = settings.replica and not settings.disabled
        self.writes_results = not (in_xdist_worker or in_replica)
        """Whether this process accepts, reports and sums up the run's results."""
        self._report_files: ReportFiles | None = None
        self._registered: list[object] = []

    @property
    def results(self) -> RunResults:
        if self._results is None:
            from pytest_pareto.plugin.results import RunResults

            self._results = RunResults()
        return self._results

    @property
    def report_files(self) -> ReportFiles:
        if self._report_files is None:
            from pytest_pareto.plugin.reports import ReportFiles

            self._report_files = ReportFiles(
                self.config.invocation_params.dir, self.settings.reports
            )
        return self._report_files

    def inputs(self) -> RunInputs | None:
        """The run's settings, probes and machine, built on first use; ``None`` with
        ``--pareto-disable``. Raises :class:`pytest.UsageError` (once) for a value of the
        run's settings that cannot be parsed."""
        if self._inputs is None and not (self.settings.disabled or self._unusable):
            self._unusable = True
            run_settings = parse_run(self.config)
            from pytest_pareto.plugin.run_inputs import RunInputs

            self._inputs = RunInputs.build(self.config, run_settings)
            self._unusable = False
        return self._inputs

    def measuring(self) -> MeasuringRun | None:
        """The measuring part of the run, built and registered on first use; ``None`` with
        ``--pareto-disable`` (or settings that cannot be parsed, see :meth:`inputs`)."""
        inputs = self.inputs()
        if self.run is None and inputs is not None:
            from pytest_pareto.plugin.run import MeasuringRun

            self.run = MeasuringRun(self.config, inputs, self.results)
            self._register(self.run.plugins())
        return self.run

    def register_plugins(self) -> None:
        plugins: list[tuple[object, str]] = [(self, SESSION_PLUGIN_NAME)]
        settings = self.settings
        if settings.benchmark_fixture:
            from pytest_pareto.plugin.benchmark_alias import (
                BenchmarkAlias,
                check_no_benchmark_plugin,
            )

            check_no_benchmark_plugin(self.config)
            plugins.append((BenchmarkAlias(), "pareto-benchmark-alias"))
        self._register(plugins)
        if settings.replica or settings.notebooks:
            self.measuring()  # a replica measures; notebooks need the run's metrics
        if settings.notebooks:
            from pytest_pareto.plugin.notebooks import NotebookCollector, NotebookRunner

            registry = self.run.registry if self.run is not None else None
            runner = NotebookRunner(settings.notebook_timeout, settings.notebook_kernel, registry)
            self._register([(NotebookCollector(runner), "pareto-notebooks")])

    def _register(self, plugins: list[tuple[object, str]]) -> None:
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
        """The settings; with ``-v`` also the machine and the probes, which take building
        the measuring run (a run that measures nothing should not pay for them)."""
        if self.settings.disabled:
            return []
        if config.get_verbosity() > 0:
            inputs = self.inputs()
            return [] if inputs is None else inputs.header_lines(config)
        from pytest_pareto.plugin.xdist import header_lines as xdist_header_lines

        return [*xdist_header_lines(config), header_line(config, self.settings.store)]

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        if not self.settings.disabled and self.writes_results:
            from pytest_pareto.plugin.temp_files import StaleTempFiles

            self.temp_files = StaleTempFiles(self.settings.store)
            self.temp_files.remove()

    def pytest_itemcollected(self, item: pytest.Item) -> None:
        if self.run is None and is_measured_item(
            item, benchmark_fixture=self.settings.benchmark_fixture
        ):
            self.measuring()

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if getattr(report, "pareto", None) is None:
            return
        from pytest_pareto.plugin.payload import Payload

        payload = Payload.of(report)
        run = self.measuring() if payload is not None else None
        if payload is None or run is None:
            return
        if payload.notes:
            run.notes.add(report.nodeid, list(payload.notes))
        if payload.verdict is None:
            return
        self.results.verdicts.append(payload.verdict)
        if payload.group is not None:
            # A variant is accepted with its group, at session end.
            run.groups.add(report.nodeid, payload, failed=report.failed)
            self.results.not_accepted.setdefault(report.nodeid, f"in group {payload.group!r}")
        elif report.failed:
            from pytest_pareto.plugin.results import FAILED_AFTER_JUDGING

            self.results.not_accepted.setdefault(report.nodeid, FAILED_AFTER_JUDGING)

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if not self.writes_results:
            return
        if self.settings.reports:
            self.measuring()  # the report names the commit and the machine
        run = self.run
        if run is not None:
            if run.settings.update:
                from pytest_pareto.plugin.accepting import accept_verdicts

                accept_verdicts(self.results, run.context.store, self.config)
                if self.results.errors:
                    session.exitstatus = pytest.ExitCode.TESTS_FAILED
            run.groups.finish(session)
        if self.settings.reports and not self.report_files.write(self.run_report()):
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def run_report(self) -> RunReport:
        from pytest_pareto.reports.run_report import RunReport

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
        if self.temp_files is not None:
            self.temp_files.write_summary(terminalreporter)
        if self.settings.reports:
            self.report_files.write_summary(terminalreporter)
        if run is not None:
            run.notes.write_summary(terminalreporter)
            run.groups.write_summary(terminalreporter)
