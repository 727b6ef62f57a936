"""pytest layer of variant frontiers (``group=``): session-end judging, accepting, reporting.

At test time a grouped test is judged by the plugin against its group's stored frontier (the
plugin loads the group's entry as the test's baseline). This module carries each variant's
point to the controller, judges the variants of the run against each other at session end,
accepts them into the group's frontier with ``--pareto-update``, and lists each group's
frontier in the terminal summary. See :mod:`pytest_pareto.frontier.groups` for the design.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from typing import Any

import pytest

from pytest_pareto.errors import ParetoError
from pytest_pareto.frontier.groups import (
    Domination,
    GroupChange,
    RunVariant,
    accept_variant,
    group_baseline_id,
    run_dominations,
)
from pytest_pareto.judging.dominance import Relation
from pytest_pareto.judging.verdict import Verdict
from pytest_pareto.measuring.options import TestOptions
from pytest_pareto.model.metrics import Metric, Tolerance
from pytest_pareto.model.points import Point, TestBaseline
from pytest_pareto.model.units import format_value
from pytest_pareto.plugin import ParetoSession, options_key, session_key, verdict_key
from pytest_pareto.reports.words import format_change, render_table, verdict_rows

__all__ = ["GroupRun", "pytest_configure", "pytest_runtest_makereport"]


PLUGIN_NAME = "pareto-groups"


@pytest.hookimpl(trylast=True)  # after the plugin has set up its session
def pytest_configure(config: pytest.Config) -> None:
    session = config.stash.get(session_key, None)
    if session is not None:
        config.pluginmanager.register(GroupRun(config, session), PLUGIN_NAME)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    options = item.stash.get(options_key, None)
    judged = item.stash.get(verdict_key, None) is not None
    if call.when == "call" and judged and options is not None and options.group:
        # Plain JSON travels to an xdist controller with the report.
        report.pareto_group = {  # type: ignore[attr-defined]
            "group": options.group,
            "metrics": list(options.metrics) if options.metrics is not None else None,
            "tolerance": {
                name: {"rel": t.rel, "abs": t.abs} for name, t in options.tolerance.items()
            },
        }
    return report


class GroupRun:
    """The grouped tests of this run, as the controller sees them."""

    def __init__(self, config: pytest.Config, session: ParetoSession) -> None:
        self.config = config
        self.session = session
        self.variants: list[RunVariant] = []
        self.failed: set[str] = set()
        self.dominations: list[Domination] = []
        self.changes: list[GroupChange] = []
        self.frontiers: dict[str, TestBaseline] = {}
        """Each group's frontier after this run: written, or as an update would write it."""
        self.errors: list[str] = []

    def groups(self) -> list[str]:
        return sorted({v.group for v in self.variants})

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        spec: dict[str, Any] | None = getattr(report, "pareto_group", None)
        data = getattr(report, "pareto", None)
        if report.when != "call" or spec is None or data is None:
            return
        verdict = Verdict.from_json(data)
        options = TestOptions(
            metrics=tuple(spec["metrics"]) if spec["metrics"] is not None else None,
            tolerance={name: Tolerance(**t) for name, t in spec["tolerance"].items()},
        )
        self.variants.append(
            RunVariant(
                test_id=report.nodeid,
                group=str(spec["group"]),
                point=verdict.candidate,
                metrics=verdict.metrics,
                policy=self.session.policy(options),
            )
        )
        if report.failed:
            self.failed.add(report.nodeid)
        self.session.not_accepted.setdefault(report.nodeid, f"in group {spec['group']!r}")

    def _accept(
        self, group: str, variants: Sequence[RunVariant]
    ) -> tuple[TestBaseline | None, list[GroupChange]]:
        """Accept each variant in turn; write the group's entry only under --pareto-update."""
        session = self.session
        changes: list[GroupChange] = []

        def comparable(point: Point) -> bool:
            return session.machine.matches(point.machine, session.matching)

        def fold(baseline: TestBaseline | None) -> TestBaseline | None:
            changes.clear()
            for variant in variants:
                baseline, change = accept_variant(
                    baseline,
                    group,
                    variant.test_id,
                    variant.point,
                    variant.metrics,
                    variant.policy,
                    comparable=comparable,
                )
                changes.append(change)
            return baseline

        group_id = group_baseline_id(group)
        if session.update:
            return session.store.update(group_id, fold), changes
        return fold(session.store.load(group_id)), changes

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.session.is_worker or not self.variants:
            return
        update = self.session.update
        self.dominations = run_dominations(self.variants)
        dominated = {d.dominated for d in self.dominations}
        for group in self.groups():
            # Variants another variant of this run dominates go last: they are then not added,
            # instead of added and pruned again, whatever order the tests ran in.
            accepted = sorted(
                (v for v in self.variants if v.group == group and v.test_id not in self.failed),
                key=lambda v: v.test_id in dominated,
            )
            try:
                frontier, changes = self._accept(group, accepted)
            except ParetoError as exc:
                self.errors.append(f"group {group!r}: {exc}")
                continue
            if frontier is not None:
                self.frontiers[group] = frontier
            self.changes.extend(changes)
            if update:
                self._announce(changes)
        if self.errors and update:
            self.session.errors.extend(self.errors)
        late = [d for d in self.dominations if d.dominated not in self.failed and not update]
        if (late or self.errors) and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def _announce(self, changes: Sequence[GroupChange]) -> None:
        for change in changes:
            frontier_change = change.frontier_change()
            if frontier_change is not None:
                self.session.changes.append(frontier_change)
                self.config.hook.pytest_pareto_frontier_updated(
                    config=self.config, change=frontier_change
                )

    def _metrics(self) -> dict[str, Metric]:
        metrics: dict[str, Metric] = {}
        for frontier in self.frontiers.values():
            metrics.update(frontier.metrics)
        for variant in self.variants:
            metrics.update(variant.metrics)
        return metrics

    @pytest.hookimpl(trylast=True)  # after the plugin's own summary
    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.session.is_worker or not self.variants:
            return
        write = terminalreporter.write_line
        terminalreporter.write_sep("=", "pareto groups")
        metrics = self._metrics()
        fresh = {change.candidate.id for change in self.changes if change.added}
        for group in self.groups():
            where = self.session.store.path_for(group_baseline_id(group))
            frontier = self.frontiers.get(group)
            if frontier is None:
                write(f"group {group!r}: frontier unknown ({where})")
                continue
            when = "after this update" if self.session.update else "if this run were accepted"
            write(
                f"group {group!r}: {len(frontier.points)} point(s) on its frontier {when} ({where})"
            )
            for line in _frontier_table(frontier, fresh, metrics):
                write(line)
            if self.session.update:
                for change in self.changes:
                    if change.group == group and not change.added:
                        write(f"  {change.variant}: {change.describe()}", yellow=True)
            dominated = [d for d in self.dominations if d.group == group]
            if dominated and not self.session.update:
                write(f"  dominated by another variant of this run: {len(dominated)}", red=True)
                for domination in dominated:
                    for line in _domination_lines(domination):
                        write(line, red=True)
        for error in self.errors:
            write(f"error: {error}", red=True)


def _frontier_table(
    frontier: TestBaseline, fresh: set[str], metrics: dict[str, Metric]
) -> list[str]:
    names = sorted({name for point in frontier.points for name in point.observations})
    rows = []
    for point in frontier.points:
        cells = [point.variant or "?"]
        for name in names:
            obs = point.observations.get(name)
            unit = metrics[name].unit if name in metrics else ""
            cells.append("-" if obs is None else format_value(obs.value, unit))
        cells.append(f"{point.id} ({'this run' if point.id in fresh else 'stored'})")
        rows.append(cells)
    return render_table(("variant", *names, "point"), rows, indent="    ")


def _domination_lines(domination: Domination) -> list[str]:
    worse = [c for c in domination.comparison.comparisons if c.relation is Relation.WORSE]
    summary = ", ".join(f"{c.metric.name} {format_change(c.change)}" for c in worse)
    lines = [f"  {domination.dominated} is dominated by {domination.by}: worse on {summary}"]
    headers = ("metric", "new", "other", "change", "tolerance", "relation", "how sure")
    lines.extend(render_table(headers, verdict_rows(domination.comparison), indent="    "))
    return lines
