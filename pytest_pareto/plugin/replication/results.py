"""What the replicas measured, per test: the points the judging gets from replication."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import pytest

from pytest_pareto.errors import MeasurementError
from pytest_pareto.judging.verdict import Verdict
from pytest_pareto.measuring.diagnostics import DIAGNOSTIC_INFO, dominated_on
from pytest_pareto.measuring.measure import MeasureOptions
from pytest_pareto.measuring.speed_reference import PROCESS_SLOWDOWN
from pytest_pareto.model.machine import Machine
from pytest_pareto.model.metrics import Metric
from pytest_pareto.model.points import Observation, Point
from pytest_pareto.plugin.replication.command import ReplicaLauncher
from pytest_pareto.probes import Probe
from pytest_pareto.replication.schedule import AGAINST_INFO, Replication, Side
from pytest_pareto.store.locks import measurement_lock

__all__ = ["References", "ReplicatedResults"]

References = tuple[tuple[Point, ...], str, Mapping[str, Metric]]
"""Points to judge against, why there are none (if so), and their metric definitions."""


class ReplicatedResults:
    """Each replicated test's runs, as the candidate (and reference) points to judge with."""

    def __init__(self, machine: Machine, launcher: ReplicaLauncher, *, against: bool) -> None:
        self.machine = machine
        self.launcher = launcher
        """Whose worktree the reference points come from."""
        self.against = against
        self.by_test: dict[str, Replication] = {}

    def __contains__(self, test_id: str) -> bool:
        return test_id in self.by_test

    def measuring_for(
        self, item: pytest.Item, probes: list[Probe], options: MeasureOptions
    ) -> tuple[list[Probe], MeasureOptions]:
        """A replicated test measures one round here: its noisy values come from the
        replicas, and its deterministic ones need one call."""
        state = self.by_test.get(item.nodeid)
        if state is not None and state.has(Side.CANDIDATE, item.nodeid):
            options = replace(options, rounds=1, iterations=1, warmup=max(1, options.warmup))
        return probes, options

    def judge_inputs(self, item: pytest.Item, point: Point) -> tuple[Point, References | None]:
        """The candidate to judge ``item`` with (noisy observations from the replicas), and
        with ``--pareto-against`` the references to judge it against."""
        test_id = item.nodeid
        state = self.by_test.get(test_id)
        if state is not None and test_id in state.problems:
            raise MeasurementError(
                f"{test_id} could not be measured in replica processes: {state.problems[test_id]}"
            )
        if state is not None and state.has(Side.CANDIDATE, test_id):
            observations: dict[str, Observation] = dict(point.observations)
            observations.update(state.observations(Side.CANDIDATE, test_id, noisy=True))
            point = point.with_observations(observations)
            slowdown = state.process_slowdown(Side.CANDIDATE, test_id)
            if slowdown is not None:
                point = replace(point, extra_info={**point.extra_info, PROCESS_SLOWDOWN: slowdown})
        if not self.against:
            return point, None
        return point, self.against_references(test_id, state)

    def point_of(self, state: Replication, side: Side, test_id: str) -> Point | None:
        if not state.has(side, test_id):
            return None
        observations = state.observations(side, test_id, noisy=False)
        observations.update(state.observations(side, test_id, noisy=True))
        if side is Side.CANDIDATE:
            return Point(observations, machine=self.machine)
        worktree = self.launcher.worktree
        assert worktree is not None
        return Point(
            observations,
            commit=worktree.commit,
            machine=self.machine,
            extra_info={AGAINST_INFO: worktree.ref},
        )

    def against_references(self, test_id: str, state: Replication | None) -> References:
        """The reference's point measured in this run (``--pareto-against``), or why none."""
        reference = self.point_of(state, Side.REFERENCE, test_id) if state else None
        if reference is None:
            why = state.reference_problems.get(test_id, "") if state else ""
            if state is None or test_id in state.reference_absent:
                why = ""  # not there at all: a new test
            return (), why, {}
        return (reference,), "", state.metrics(Side.REFERENCE, test_id) if state else {}

    def with_reference_diagnostics(self, verdict: Verdict) -> Verdict:
        """Under ``--pareto-against``, a verdict dominated on a metric a profile or an
        allocation summary explains gets that summary of the reference side too: one more
        replica of the reference's worktree profiles and traces the call once (after its
        measuring, as the candidate's extra pass is), so the diff has both sides of one run."""
        decisive = verdict.decisive
        if not self.against or decisive is None:
            return verdict
        info = decisive.reference.extra_info
        wanted = {
            key
            for key, metrics in DIAGNOSTIC_INFO.items()
            if key not in info and dominated_on(verdict, metrics)
        }
        if not wanted:
            return verdict
        try:
            with measurement_lock():  # it measures too: not beside xdist workers' measuring
                runs = self.launcher.run_batch(
                    Side.REFERENCE, [verdict.test_id], noisy_only=False, diagnose=True
                )
        except MeasurementError:
            return verdict  # a summary only explains; the message says there is none
        run = runs.get(verdict.test_id)
        found = {k: v for k, v in (run.diagnostics if run else {}).items() if k in wanted}
        if not found:
            return verdict
        reference = replace(decisive.reference, extra_info={**info, **found})
        compared = replace(decisive, reference=reference)
        against = tuple(compared if pc is decisive else pc for pc in verdict.against)
        return replace(verdict, against=against, decisive=compared)
