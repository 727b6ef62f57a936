"""The pytest plugin: options, the ``pareto`` fixture and marker, verdicts in reports.

This is the only module (with :mod:`pytest_pareto.hookspecs`) that talks to pytest; all
measuring, judging and storing happens in the core modules.
"""

from __future__ import annotations

import inspect
from collections.abc import Generator, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from pytest_pareto import hookspecs
from pytest_pareto.errors import BaselineFileError, ConfigError, ParetoError
from pytest_pareto.frontier.groups import baseline_id
from pytest_pareto.frontier.maintenance import (
    FrontierChange,
    accept_point,
    comparable_points,
    departures,
    merge_metrics,
)
from pytest_pareto.judging.verdict import JudgePolicy, Outcome, Verdict, judge
from pytest_pareto.measuring.measure import MeasureOptions
from pytest_pareto.measuring.options import MARKER_ARGUMENTS, TestOptions
from pytest_pareto.measuring.recorder import MeasureGuard, Recorder, select_probes
from pytest_pareto.model.machine import Machine, Matching, current_machine
from pytest_pareto.model.metrics import MetricRegistry, Tolerance
from pytest_pareto.model.points import TestBaseline
from pytest_pareto.probes import Probe, builtin_probes
from pytest_pareto.probes.probe_report import header_lines
from pytest_pareto.replication.provenance import git_commit
from pytest_pareto.reports.words import summary_lines, verdict_message
from pytest_pareto.store.baseline_files import Store

__all__ = ["ParetoSession", "pareto"]

# Further pytest-layer modules, each one topic (named _pytest_*.py), loaded with this one.
pytest_plugins: list[str] = [
    "pytest_pareto.plugin.hardware",
    "pytest_pareto.plugin.notebooks",
    "pytest_pareto.plugin.budgets",
    "pytest_pareto.plugin.censoring",
    "pytest_pareto.plugin.derived",
    "pytest_pareto.plugin.groups",
    "pytest_pareto.plugin.benchmark_alias",
    "pytest_pareto.plugin.reports",
    "pytest_pareto.plugin.progress",
    "pytest_pareto.plugin.xdist",
    "pytest_pareto.plugin.temp_files",
    "pytest_pareto.plugin.replication",
]

SESSION_PLUGIN_NAME = "pareto-session"
session_key = pytest.StashKey["ParetoSession"]()
options_key = pytest.StashKey[TestOptions]()
baseline_key = pytest.StashKey["TestBaseline | None"]()
recorder_key = pytest.StashKey[Recorder]()
verdict_key = pytest.StashKey[Verdict]()
FAILED_AFTER_JUDGING = "its test failed"
"""Why ``--pareto-update`` does not accept a verdict whose test failed (e.g. over budget)."""


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    pluginmanager.add_hookspecs(hookspecs)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup(
        "pareto", "pytest-pareto: efficiency regression testing on a Pareto frontier"
    )
    group.addoption(
        "--pareto-update",
        action="store_true",
        help="accept this run's results into the stored frontiers: dominated results do not "
        "fail, stored points they are worse than retire to history, points they dominate are "
        "pruned. Example: pytest --pareto-update tests/test_model.py",
    )
    group.addoption(
        "--pareto-strict",
        action="store_true",
        default=None,
        help="fail tests that have no stored baseline or an inconclusive verdict (for CI)",
    )
    group.addoption(
        "--pareto-disable",
        action="store_true",
        help="run measured tests once without measuring or judging",
    )
    group.addoption(
        "--pareto-store",
        metavar="DIR",
        default=None,
        help="folder of the baseline files (default: ini pareto_store, else <rootdir>/baselines)",
    )
    group.addoption(
        "--pareto-machine",
        choices=[m.value for m in Matching],
        default=None,
        help="which stored points to compare with: those of the same hardware (exact, default), "
        "of the same CPU model (cpu), or all (any)",
    )
    parser.addini(
        "pareto_store", "folder of the baseline files, relative to rootdir", default="baselines"
    )
    parser.addini(
        "pareto_tolerance",
        "default tolerance of every metric: a fraction (0.05) or a percentage (5%)",
        default="5%",
    )
    parser.addini("pareto_strict", "like --pareto-strict", type="bool", default=False)
    parser.addini("pareto_machine", "like --pareto-machine (exact, cpu, any)", default="exact")
    parser.addini(
        "pareto_max_time",
        "seconds of timed rounds per measured call in one process",
        default="0.5",
    )
    parser.addini(
        "pareto_normalise_speed",
        "judge wall and CPU times relative to a calibration loop timed in the same process "
        "(cancels whole-process speed differences of shared hosts)",
        type="bool",
        default=True,
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"pareto({', '.join(f'{name}=...' for name in MARKER_ARGUMENTS)}): measure this test and "
        "judge it against its stored Pareto frontier. Without the `pareto` fixture the test "
        "function itself is measured.",
    )
    if config.getoption("pareto_disable"):
        return
    try:
        session = ParetoSession(config)
    except ConfigError as exc:
        raise pytest.UsageError(f"pytest-pareto: {exc}") from None
    config.stash[session_key] = session
    config.pluginmanager.register(session, SESSION_PLUGIN_NAME)


def pytest_unconfigure(config: pytest.Config) -> None:
    session = config.stash.get(session_key, None)
    if session is not None:
        config.pluginmanager.unregister(session)
        del config.stash[session_key]


@pytest.fixture
def pareto(request: pytest.FixtureRequest) -> Recorder:
    """Measure a call and record metrics: ``pareto(fn, *args)``, ``pareto.record(...)``."""
    session = request.config.stash.get(session_key, None)
    item = request.node
    if session is None:
        return Recorder(item.nodeid, enabled=False)
    recorder = session.new_recorder(item)
    item.stash[recorder_key] = recorder
    return recorder


def _marker_options(item: pytest.Item) -> TestOptions | None:
    """Merged ``pareto`` marker arguments, the closest marker winning; ``None`` if unmarked."""
    markers = list(item.iter_markers("pareto"))
    if not markers:
        return None
    kwargs: dict[str, Any] = {}
    for marker in reversed(markers):
        if marker.args:
            return TestOptions.from_kwargs(marker.kwargs, marker.args)
        kwargs.update(marker.kwargs)
    return TestOptions.from_kwargs(kwargs)


class ParetoSession:
    """The plugin's state for one pytest run, registered at configure time."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.update: bool = config.getoption("pareto_update")
        strict = config.getoption("pareto_strict")
        self.strict: bool = strict if strict is not None else config.getini("pareto_strict")
        store = config.getoption("pareto_store") or config.getini("pareto_store")
        self.store = Store(Path(config.rootpath, store))
        self.matching = Matching.parse(
            config.getoption("pareto_machine") or config.getini("pareto_machine")
        )
        self.default_tolerance = Tolerance.parse(config.getini("pareto_tolerance"))
        try:
            max_time = float(config.getini("pareto_max_time"))
        except ValueError:
            raise ConfigError("ini pareto_max_time must be a number of seconds") from None
        self.measure_options = MeasureOptions(
            max_time=max_time, normalise_speed=config.getini("pareto_normalise_speed")
        )
        self.is_worker = hasattr(config, "workerinput")
        hook = config.pluginmanager.hook
        self.probes: list[Probe] = builtin_probes()
        for extra in hook.pytest_pareto_add_probes(config=config):
            self.probes.extend(extra)
        self.registry = MetricRegistry()
        for metrics in hook.pytest_pareto_add_metrics(config=config):
            for metric in metrics:
                self.registry.add(metric)
        self.machine: Machine = current_machine()
        self.measure_guard: MeasureGuard | None = None
        """Held around measuring noisy metrics (set in xdist workers by _pytest_xdist)."""
        self._commit: str | bool | None = False
        self.verdicts: list[Verdict] = []
        self.changes: list[FrontierChange] = []
        self.errors: list[str] = []
        self.not_accepted: dict[str, str] = {}
        """Test id -> why ``--pareto-update`` does not accept its verdict here (its test failed
        after judging, e.g. over budget; or its group accepts it)."""

    @property
    def commit(self) -> str | None:
        if self._commit is False:
            self._commit = git_commit(self.config.rootpath)
        return self._commit if isinstance(self._commit, str) else None

    # -- collection --------------------------------------------------------------------

    def pytest_report_header(self, config: pytest.Config) -> list[str]:
        mode = "update" if self.update else "judge"
        return [
            f"pareto: store {self.store.root}, mode {mode}, "
            f"strict {'on' if self.strict else 'off'}, "
            f"machine matching {self.matching.value}",
            f"pareto machine: {self.machine.summary()}",
            *header_lines(self.probes),
        ]

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in items:
            try:
                options = _marker_options(item)
            except ConfigError as exc:
                raise pytest.UsageError(f"{item.nodeid}: @pytest.mark.pareto: {exc}") from None
            if options is not None:
                item.stash[options_key] = options

    # -- running -----------------------------------------------------------------------

    def _measured(self, item: pytest.Item) -> bool:
        return options_key in item.stash or "pareto" in getattr(item, "fixturenames", ())

    def new_recorder(self, item: pytest.Item) -> Recorder:
        options = item.stash.get(options_key, TestOptions())
        probes = select_probes(self.probes, options.metrics)
        unavailable = [p for p in probes if not p.availability().available]
        if unavailable and options.metrics is not None:
            # The test asked for these metrics by name: measuring without them would mislead.
            reasons = "; ".join(f"{p.name}: {p.availability().reason}" for p in unavailable)
            pytest.skip(f"pareto: cannot measure here: {reasons}")
        probes = [p for p in probes if p not in unavailable]
        from pytest_pareto.plugin.replication import measuring_for  # imports this module

        probes, measure_options = measuring_for(
            item, probes, options.measure_options(self.measure_options)
        )
        return Recorder(
            item.nodeid,
            probes=probes,
            options=measure_options,
            registry=self.registry,
            derived=options.derived,
            group=options.group,
            measure_guard=self.measure_guard,
        )

    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        if not self._measured(item):
            return
        group = item.stash.get(options_key, TestOptions()).group
        try:
            item.stash[baseline_key] = self.store.load(baseline_id(item.nodeid, group))
        except BaselineFileError as exc:
            # from None: the message says it all; no "during handling..." chain in the report
            raise pytest.fail.Exception(f"pareto: {exc}", pytrace=False) from None

    @pytest.hookimpl(tryfirst=True)
    def pytest_pyfunc_call(self, pyfuncitem: pytest.Function) -> bool | None:
        """A marked test without the fixture: measure the test function itself."""
        if options_key not in pyfuncitem.stash or "pareto" in pyfuncitem.fixturenames:
            return None
        function = pyfuncitem.obj
        if inspect.iscoroutinefunction(function) or inspect.isasyncgenfunction(function):
            return None
        names = getattr(getattr(pyfuncitem, "_fixtureinfo", None), "argnames", None)
        if names is None:
            names = tuple(inspect.signature(function).parameters)
        arguments = {name: pyfuncitem.funcargs[name] for name in names}
        recorder = self.new_recorder(pyfuncitem)
        pyfuncitem.stash[recorder_key] = recorder
        recorder(function, **arguments)
        return True

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Generator[None, None, None]:
        yield  # the test itself; if it failed, there is nothing to judge
        recorder = item.stash.get(recorder_key, None)
        if recorder is None or not recorder.used:
            return
        try:
            verdict = self._judge(item, recorder)
        except ParetoError as exc:
            raise pytest.fail.Exception(f"pareto: {exc}", pytrace=False) from None
        item.stash[verdict_key] = verdict
        item.user_properties.append(("pareto_outcome", verdict.outcome.value))
        item.config.hook.pytest_pareto_verdict(item=item, verdict=verdict)
        if not self.update and verdict.fails(strict=self.strict):
            pytest.fail(verdict_message(verdict), pytrace=False)

    def _judge(self, item: pytest.Item, recorder: Recorder) -> Verdict:
        options = item.stash.get(options_key, TestOptions())
        if recorder.censored is None:  # a censored call never reached the rest of the test
            options.check_metric_names(item.nodeid, list(recorder.metrics))
        point = recorder.point(commit=self.commit, machine=self.machine)
        assert point is not None  # recorder.used
        baseline = item.stash.get(baseline_key, None)
        references, reason = comparable_points(baseline, self.machine, self.matching)
        from pytest_pareto.plugin.replication import comparators_for, replicated_inputs

        policy = replace(self.policy(options), comparators=comparators_for(item))
        stored = baseline.metrics if baseline is not None else {}
        try:
            metrics = merge_metrics(item.nodeid, stored, recorder.metrics)
        except ConfigError as exc:
            where = self.store.path_for(baseline.test_id if baseline is not None else item.nodeid)
            raise ConfigError(f"{exc} (stored in {where})") from None
        point, references, reason = replicated_inputs(item, point, references, reason, metrics)
        return judge(item.nodeid, point, references, metrics, policy, skipped_reason=reason)

    def policy(self, options: TestOptions) -> JudgePolicy:
        """How a test with these marker options is judged."""
        return JudgePolicy(
            tolerances=options.tolerance,
            default_tolerance=self.default_tolerance,
            gating=frozenset(options.metrics) if options.metrics is not None else None,
        )

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        verdict = item.stash.get(verdict_key, None)
        if call.when == "call" and verdict is not None:
            # A plain JSON attribute travels with the report to an xdist controller.
            report.pareto = verdict.to_json()  # type: ignore[attr-defined]
            if report.passed:  # a failure's message already holds the same table
                report.sections.append(("pareto", verdict_message(verdict, update_hint=False)))
        return report

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        data = getattr(report, "pareto", None)
        if report.when == "call" and data is not None:
            self.verdicts.append(Verdict.from_json(data))
            if report.failed:
                self.not_accepted.setdefault(report.nodeid, FAILED_AFTER_JUDGING)

    # -- finishing ---------------------------------------------------------------------

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if not self.update or self.is_worker:
            return
        for verdict in self.verdicts:
            if verdict.test_id in self.not_accepted:
                continue
            try:
                change = self._accept(verdict)
            except ParetoError as exc:
                self.errors.append(str(exc))
                continue
            self.changes.append(change)
            self.config.hook.pytest_pareto_frontier_updated(config=self.config, change=change)
        if self.errors:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def _accept(self, verdict: Verdict) -> FrontierChange:
        changes: list[FrontierChange] = []

        def change(baseline: TestBaseline | None) -> TestBaseline:
            updated, what = accept_point(
                baseline, verdict.test_id, verdict.candidate, verdict.metrics, departures(verdict)
            )
            changes.append(what)
            return updated

        self.store.update(verdict.test_id, change)
        return changes[-1]

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.is_worker or not (self.verdicts or self.changes or self.errors):
            return
        terminalreporter.write_sep("=", "pareto")
        for line in _summary(self.verdicts, self.changes, verbose=self.config.get_verbosity() > 0):
            terminalreporter.write_line(line)
        if self.update:
            for test_id, why in self.not_accepted.items():
                if why == FAILED_AFTER_JUDGING:
                    terminalreporter.write_line(f"not accepted: {test_id}: {why}", yellow=True)
        for error in self.errors:
            terminalreporter.write_line(f"error: {error}", red=True)


def _summary(
    verdicts: list[Verdict], changes: list[FrontierChange], *, verbose: bool
) -> Iterator[str]:
    yield from summary_lines(verdicts, changes)
    if verbose:
        for verdict in verdicts:
            if verdict.outcome not in (Outcome.NEW, Outcome.SKIPPED):
                yield ""
                yield verdict.test_id
                yield verdict_message(verdict, update_hint=False)
