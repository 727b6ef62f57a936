"""The state of a measuring run (no ``--pareto-disable``) and its topic plugins.

Which plugins a process registers depends on its mode: a replica (``--pareto-replica``)
measures with a :class:`~.replication.replica.Replica` and judges nothing; every other
process (a plain run, an xdist worker or controller) has a
:class:`~.replication.controller.ReplicationController` and a :class:`~.judging.Judge`.
"""

from __future__ import annotations

import pytest

from pytest_pareto.frontier.pipeline import JudgeContext
from pytest_pareto.model.metrics import MetricRegistry
from pytest_pareto.plugin.derived import DerivedNotes
from pytest_pareto.plugin.groups import GroupRun
from pytest_pareto.plugin.judging import Judge
from pytest_pareto.plugin.measured import MeasuredTests, MeasuringFor
from pytest_pareto.plugin.replication.controller import ReplicationController
from pytest_pareto.plugin.replication.replica import Replica
from pytest_pareto.plugin.results import RunResults
from pytest_pareto.plugin.run_inputs import RunInputs
from pytest_pareto.plugin.xdist import measure_guard
from pytest_pareto.replication.provenance import git_commit
from pytest_pareto.store.baseline_files import Store

__all__ = ["MeasuringRun"]


class MeasuringRun:
    """Where and how this run judges, what it measures with, and its topic objects."""

    def __init__(self, config: pytest.Config, inputs: RunInputs, results: RunResults):
        self.config = config
        self.settings = settings = inputs.settings
        self.probes = inputs.probes
        self.registry = _registry(config)
        self.context = JudgeContext(
            Store(settings.store), inputs.machine, settings.matching, settings.default_tolerance
        )
        self._commit: str | bool | None = False
        self.replica: Replica | None = None
        self.replication: ReplicationController | None = None
        judge = None
        measuring: MeasuringFor
        if settings.replica is not None:
            self.replica = Replica(settings.replica, settings.process_max_time)
            measuring = self.replica.measuring_for
        else:
            self.replication = ReplicationController(
                config, settings, self.context, self.probes, self.registry
            )
            replicated = self.replication.results
            measuring = replicated.measuring_for
            judge = Judge(config, settings, self.context, replicated, self.commit)
        self.tests = MeasuredTests(
            settings,
            self.context.store,
            self.probes,
            self.registry,
            measuring_for=measuring,
            measure_guard=measure_guard(config, settings),
            judge=judge,
        )
        self.groups = GroupRun(config, settings, self.context, results)
        self.notes = DerivedNotes()

    def commit(self) -> str | None:
        """The checked-out commit of the rootdir (looked up once, when first needed)."""
        if self._commit is False:
            self._commit = git_commit(self.config.rootpath)
        return self._commit if isinstance(self._commit, str) else None

    def plugins(self) -> list[tuple[object, str]]:
        """The plugin objects this process registers, with their names."""
        found: list[tuple[object, str]] = [(self.tests, "pareto-tests")]
        if self.replica is not None:
            found.append((self.replica, "pareto-replica"))
        if self.replication is not None:
            found.append((self.replication, "pareto-replication"))
        return found

    def close(self) -> None:
        if self.replication is not None:
            self.replication.close()


def _registry(config: pytest.Config) -> MetricRegistry:
    registry = MetricRegistry()
    for metrics in config.pluginmanager.hook.pytest_pareto_add_metrics(config=config):
        for metric in metrics:
            registry.add(metric)
    return registry
