"""Which tests replication measures again, and with how many processes at most."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from pytest_pareto.errors import BaselineFileError
from pytest_pareto.frontier.groups import baseline_id
from pytest_pareto.frontier.maintenance import comparable_points
from pytest_pareto.frontier.pipeline import JudgeContext
from pytest_pareto.judging.sequential import SequentialDesign
from pytest_pareto.model.metrics import MetricRegistry
from pytest_pareto.model.points import TestBaseline
from pytest_pareto.plugin.keys import is_measured, options_of
from pytest_pareto.plugin.settings import RunSettings
from pytest_pareto.probes import Probe

__all__ = ["Selection"]


class Selection:
    """Decides, from a test's marker and its stored frontier, whether replicas could change
    its verdict or stored point."""

    def __init__(
        self,
        settings: RunSettings,
        context: JudgeContext,
        probes: Sequence[Probe],
        registry: MetricRegistry,
    ) -> None:
        self.settings = settings
        self.context = context
        self.registry = registry
        self.noisy_probe_metrics = {m.name for p in probes for m in p.metrics if m.noisy}

    def design(self, item: pytest.Item) -> SequentialDesign:
        return self.settings.design(options_of(item).processes)

    def load_baseline(self, item: pytest.Item) -> TestBaseline | None:
        """The stored frontier ``item`` is judged against: its group's, or its own.

        Raises :class:`BaselineFileError` for an unreadable file.
        """
        return self.context.store.load(baseline_id(item.nodeid, options_of(item).group))

    def measured(self, items: Sequence[pytest.Item]) -> list[pytest.Item]:
        # Python test functions only: other items (notebook cells) are collected by options
        # a replica does not get.
        return [item for item in items if isinstance(item, pytest.Function) and is_measured(item)]

    def may_be_noisy(self, item: pytest.Item) -> bool:
        """Whether the test can have a noisy metric, by its marker's ``metrics=``."""
        wanted = options_of(item).metrics
        if wanted is None:
            return True
        for name in wanted:
            metric = self.registry.get(name)
            if name in self.noisy_probe_metrics or (metric is not None and metric.noisy):
                return True
        return False

    def worth_replicating(self, item: pytest.Item) -> bool:
        """Whether replica processes could change this test's verdict or stored point.

        With ``--pareto-against`` every test with a noisy metric is. Otherwise the stored
        baseline tells: a test is replicated when a comparable stored point has a noisy
        gating metric, or, under ``--pareto-update``, when it has no stored point yet. A new
        test judged without ``--pareto-update`` has nothing to be compared with, and a test
        whose stored points are all deterministic needs one process.
        """
        if self.design(item).max_processes < 2 or not self.may_be_noisy(item):
            return False
        if self.settings.against:
            return True
        try:
            baseline = self.load_baseline(item)
        except BaselineFileError:
            return False  # the test errors in setup, saying why
        update = self.settings.update
        if baseline is None or not baseline.points:
            return update
        wanted = options_of(item).metrics
        points, _ = comparable_points(baseline, self.context.machine, self.context.matching)
        if update:
            points = baseline.points
        return any(
            baseline.metrics[name].noisy
            for point in points
            for name in point.observations
            if name in baseline.metrics and (wanted is None or name in wanted)
        )
