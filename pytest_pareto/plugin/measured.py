"""The per-test hooks of a measuring run: a test's options, baseline, recorder, and report.

A test is measured when it has the ``pareto`` marker or uses the ``pareto`` fixture. Its
marker options are read at collection, its stored frontier is loaded at setup, the fixture
(or, for a marked test without it, :meth:`MeasuredTests.pytest_pyfunc_call`) measures, and
after the body the test is judged (not in a replica, which only measures).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Generator, Sequence
from typing import Any

import pytest

from pytest_pareto.errors import BaselineFileError, ConfigError
from pytest_pareto.frontier.groups import baseline_id
from pytest_pareto.measuring.deadlines import CallCensored
from pytest_pareto.measuring.measure import MeasureOptions
from pytest_pareto.measuring.options import TestOptions, known_metric_names
from pytest_pareto.measuring.recorder import MeasureGuard, Recorder, select_probes
from pytest_pareto.model.metrics import MetricRegistry
from pytest_pareto.plugin.budgets import budget_section
from pytest_pareto.plugin.censoring import censored_result
from pytest_pareto.plugin.derived import notes_of
from pytest_pareto.plugin.judging import Judge
from pytest_pareto.plugin.keys import (
    baseline_key,
    is_measured,
    options_key,
    options_of,
    recorder_key,
    verdict_key,
)
from pytest_pareto.plugin.payload import attach_payload
from pytest_pareto.plugin.settings import RunSettings
from pytest_pareto.probes import Probe
from pytest_pareto.reports.words import verdict_message
from pytest_pareto.store.baseline_files import Store

__all__ = ["MeasuredTests", "MeasuringFor"]

MeasuringFor = Callable[
    [pytest.Item, list[Probe], MeasureOptions], tuple[list[Probe], MeasureOptions]
]
"""The probes and measuring options of a test in this process, given the defaults
(replication decides: see the controller's and the replica's ``measuring_for``)."""


def marker_options(item: pytest.Item) -> TestOptions | None:
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


class MeasuredTests:
    """Registered as a plugin in every measuring run (``--pareto-disable`` has none)."""

    def __init__(
        self,
        settings: RunSettings,
        store: Store,
        probes: Sequence[Probe],
        registry: MetricRegistry,
        *,
        measuring_for: MeasuringFor,
        measure_guard: MeasureGuard | None,
        judge: Judge | None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.probes = list(probes)
        self.registry = registry
        self.known_metrics = known_metric_names(self.probes, registry.names())
        """Names a marker may give before the test records anything (fixed for the run)."""
        self.measuring_for = measuring_for
        self.measure_guard = measure_guard
        """Held around measuring noisy metrics (the measurement lock in xdist workers)."""
        self.judge = judge
        """``None`` in a replica, which measures and never judges."""

    @pytest.hookimpl(trylast=True)  # after other plugins have added their markers
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        known = self.known_metrics
        for item in items:
            try:
                options = marker_options(item)
            except ConfigError as exc:
                raise pytest.UsageError(f"{item.nodeid}: @pytest.mark.pareto: {exc}") from None
            if options is None:
                continue
            if "pareto" not in getattr(item, "fixturenames", ()):
                # Without the fixture nothing can be recorded: every name must be known now.
                try:
                    options.check_unknown_names(item.nodeid, known)
                except ConfigError as exc:
                    raise pytest.UsageError(str(exc)) from None
            item.stash[options_key] = options

    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        if not is_measured(item):
            return
        try:
            item.stash[baseline_key] = self.store.load(
                baseline_id(item.nodeid, options_of(item).group)
            )
        except BaselineFileError as exc:
            # from None: the message says it all; no "during handling..." chain in the report
            raise pytest.fail.Exception(f"pareto: {exc}", pytrace=False) from None

    def new_recorder(self, item: pytest.Item) -> Recorder:
        """The ``pareto`` fixture's recorder for ``item``; skips the test when metrics it
        names cannot be measured here."""
        options = options_of(item)
        probes = select_probes(self.probes, options.metrics)
        unavailable = [p for p in probes if not p.availability().available]
        if unavailable and options.metrics is not None:
            # The test asked for these metrics by name: measuring without them would mislead.
            reasons = "; ".join(f"{p.name}: {p.availability().reason}" for p in unavailable)
            pytest.skip(f"pareto: cannot measure here: {reasons}")
        probes = [p for p in probes if p not in unavailable]
        probes, measure_options = self.measuring_for(
            item, probes, options.measure_options(self.settings.measure_options)
        )
        recorder = Recorder(
            item.nodeid,
            probes=probes,
            options=measure_options,
            registry=self.registry,
            derived=options.derived,
            group=options.group,
            measure_guard=self.measure_guard,
        )
        item.stash[recorder_key] = recorder
        return recorder

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
        self.new_recorder(pyfuncitem)(function, **arguments)
        return True

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Generator[None, None, None]:
        try:
            yield  # the test itself; if it failed, there is nothing to judge
        except CallCensored as stop:
            if not censored_result(item, stop):
                raise
        recorder = item.stash.get(recorder_key, None)
        if recorder is not None and options_key in item.stash:
            self._check_names(item, recorder)
        try:
            if self.judge is not None and recorder is not None and recorder.used:
                self.judge.after_call(item, recorder)
        finally:
            if recorder is not None:
                recorder.call = None  # the stash outlives the test: free its arguments

    def _check_names(self, item: pytest.Item, recorder: Recorder) -> None:
        """A name the marker gives that no probe or plugin defines and the test did not
        record is a typo: it must not switch measuring off (``metrics=["walltime"]``)."""
        try:
            options_of(item).check_unknown_names(
                item.nodeid, self.known_metrics, has=recorder.metrics
            )
        except ConfigError as exc:
            raise pytest.fail.Exception(f"pareto: {exc}", pytrace=False) from None

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        if call.when == "call":
            attach_payload(item, report)
            _add_sections(item, report)
        return report


def _add_sections(item: pytest.Item, report: pytest.TestReport) -> None:
    """The report sections of a measured call, in this order: budget, derived, verdict.
    A failure's message already holds the budget and verdict tables."""
    budget = budget_section(item) if report.passed else None
    if budget is not None:
        report.sections.append(("pareto budget", budget))
    notes = notes_of(item)
    if notes:
        report.sections.append(("pareto derived", "\n".join(notes)))
    verdict = item.stash.get(verdict_key, None)
    if verdict is not None and report.passed:
        report.sections.append(("pareto", verdict_message(verdict, update_hint=False)))
