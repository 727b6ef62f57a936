"""pytest layer of variant frontiers (``group=``): session-end judging, accepting, reporting.

At test time a grouped test is judged by the plugin against its group's stored frontier (the
plugin loads the group's entry as the test's baseline). Each variant's point reaches the
process that writes the results on its report (:mod:`.payload`); this module judges the
variants of the run against each other at session end, accepts them into the group's
frontier with ``--pareto-update``, and lists each group's frontier in the terminal summary.
See :mod:`pytest_pareto.frontier.groups` for the design.
"""

from __future__ import annotations

from collections.abc import Sequence

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
from pytest_pareto.frontier.pipeline import JudgeContext
from pytest_pareto.judging.dominance import Relation
from pytest_pareto.model.metrics import Metric
from pytest_pareto.model.points import Point, TestBaseline
from pytest_pareto.model.units import format_value
from pytest_pareto.plugin.payload import Payload
from pytest_pareto.plugin.policy import policy_for
from pytest_pareto.plugin.results import RunResults
from pytest_pareto.plugin.settings import RunSettings
from pytest_pareto.reports.words import format_change, render_table, verdict_rows

__all__ = ["GroupRun"]


class GroupRun:
    """The grouped tests of this run, as the process that writes the results sees them."""

    def __init__(
        self,
        config: pytest.Config,
        settings: RunSettings,
        context: JudgeContext,
        results: RunResults,
    ) -> None:
        self.config = config
        self.settings = settings
        self.context = context
        self.results = results
        self.variants: list[RunVariant] = []
        self.failed: set[str] = set()
        self.dominations: list[Domination] = []
        self.changes: list[GroupChange] = []
        self.frontiers: dict[str, TestBaseline] = {}
        """Each group's frontier after this run: written, or as an update would write it."""
        self.errors: list[str] = []

    def groups(self) -> list[str]:
        return sorted({v.group for v in self.variants})

    def add(self, test_id: str, payload: Payload, *, failed: bool) -> None:
        """A variant's result; judged against the run's other variants at session end with
        the same policy as at test time (the rank test for noisy metrics)."""
        assert payload.verdict is not None
        assert payload.group is not None
        self.variants.append(
            RunVariant(
                test_id=test_id,
                group=payload.group,
                point=payload.verdict.candidate,
                metrics=payload.verdict.metrics,
                policy=policy_for(self.context, self.settings, payload.group_options),
            )
        )
        if failed:
            self.failed.add(test_id)

    def _accept(
        self, group: str, variants: Sequence[RunVariant]
    ) -> tuple[TestBaseline | None, list[GroupChange]]:
        """Accept each variant in turn; write the group's entry only under --pareto-update."""
        context = self.context
        changes: list[GroupChange] = []

        def comparable(point: Point) -> bool:
            return context.machine.matches(point.machine, context.matching)

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
        if self.settings.update:
            return context.store.update(group_id, fold), changes
        return fold(context.store.load(group_id)), changes

    def finish(self, session: pytest.Session) -> None:
        """Judge the variants against each other; accept them under ``--pareto-update``."""
        if not self.variants:
            return
        update = self.settings.update
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
            self.results.errors.extend(self.errors)
        late = [d for d in self.dominations if d.dominated not in self.failed and not update]
        if (late or self.errors) and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def _announce(self, changes: Sequence[GroupChange]) -> None:
        for change in changes:
            frontier_change = change.frontier_change()
            if frontier_change is not None:
                self.results.changes.append(frontier_change)
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

    def write_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        """The ``pareto groups`` block: each group's frontier, and variants dominated."""
        if not self.variants:
            return
        terminalreporter.write_sep("=", "pareto groups")
        metrics = self._metrics()
        fresh = {change.candidate.id for change in self.changes if change.added}
        for group in self.groups():
            self._write_group(terminalreporter, group, metrics, fresh)
        for error in self.errors:
            terminalreporter.write_line(f"error: {error}", red=True)

    def _write_group(
        self,
        terminalreporter: pytest.TerminalReporter,
        group: str,
        metrics: dict[str, Metric],
        fresh: set[str],
    ) -> None:
        write = terminalreporter.write_line
        update = self.settings.update
        where = self.context.store.path_for(group_baseline_id(group))
        frontier = self.frontiers.get(group)
        if frontier is None:
            write(f"group {group!r}: frontier unknown ({where})")
            return
        when = "after this update" if update else "if this run were accepted"
        write(f"group {group!r}: {len(frontier.points)} point(s) on its frontier {when} ({where})")
        for line in _frontier_table(frontier, fresh, metrics):
            write(line)
        if update:
            for change in self.changes:
                if change.group == group and not change.added:
                    write(f"  {change.variant}: {change.describe()}", yellow=True)
        dominated = [d for d in self.dominations if d.group == group]
        if dominated and not update:
            write(f"  dominated by another variant of this run: {len(dominated)}", red=True)
            for domination in dominated:
                for line in _domination_lines(domination):
                    write(line, red=True)


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
