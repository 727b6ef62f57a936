"""Judge a cell's point against its stored frontier, log the run, accept it on request.

The same core calls as the pytest plugin:
:func:`~pytest_pareto.frontier.maintenance.comparable_points`,
:func:`~pytest_pareto.judging.verdict.judge`, :func:`~pytest_pareto.frontier.maintenance.accept`
with :func:`~pytest_pareto.frontier.maintenance.departures`, and
:class:`~pytest_pareto.store.baseline_files.Store`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from nb_ext.result import ParetoResult
from pytest_pareto.errors import ConfigError
from pytest_pareto.frontier.maintenance import (
    HISTORY_LIMIT,
    FrontierChange,
    accept_point,
    comparable_points,
    departures,
    merge_metrics,
)
from pytest_pareto.judging.verdict import JudgePolicy, Verdict, judge
from pytest_pareto.measuring.options import TestOptions
from pytest_pareto.model.machine import Machine, Matching
from pytest_pareto.model.metrics import Metric, Tolerance
from pytest_pareto.model.points import HistoryEntry, Point, TestBaseline, utc_now
from pytest_pareto.store.baseline_files import Store

__all__ = ["DEFAULT_TOLERANCE", "Gate"]

DEFAULT_TOLERANCE = Tolerance(rel=0.05)
"""The tolerance of metrics no ``--tolerance`` names (pytest's ``pareto_tolerance`` default)."""


@dataclass(frozen=True)
class _Judged:
    verdict: Verdict
    policy: JudgePolicy


class Gate:
    """The frontiers of one project's baselines, as the magics see them."""

    def __init__(
        self,
        store: Store,
        machine: Machine,
        *,
        matching: Matching = Matching.EXACT,
        default_tolerance: Tolerance = DEFAULT_TOLERANCE,
    ) -> None:
        self.store = store
        self.machine = machine
        self.matching = matching
        self.default_tolerance = default_tolerance
        self.last_test_id: str | None = None
        self._judged: dict[str, _Judged] = {}

    def policy(self, options: TestOptions) -> JudgePolicy:
        return JudgePolicy(
            tolerances=options.tolerance,
            default_tolerance=self.default_tolerance,
            gating=frozenset(options.metrics) if options.metrics is not None else None,
        )

    def judge_and_log(
        self,
        test_id: str,
        point: Point,
        metrics: Mapping[str, Metric],
        options: TestOptions,
    ) -> tuple[Verdict, TestBaseline]:
        """Judge ``point``, then append it to the test's history as a ``run`` entry.

        The frontier itself is left as it is. A metric whose direction or unit differs from the
        stored one is a :class:`ConfigError`, and nothing is written.
        """
        stored = self.store.load(test_id)
        all_metrics = merge_metrics(test_id, stored.metrics if stored else {}, metrics)
        references, reason = comparable_points(stored, self.machine, self.matching)
        policy = self.policy(options)
        verdict = judge(test_id, point, references, all_metrics, policy, skipped_reason=reason)
        entry = HistoryEntry("run", utc_now(), point, verdict.outcome.value)

        def log(current: TestBaseline | None) -> TestBaseline:
            current = current or TestBaseline(test_id)
            return replace(
                current,
                metrics=merge_metrics(test_id, current.metrics, metrics),
                history=(*current.history, entry)[-HISTORY_LIMIT:],
            )

        updated = self.store.update(test_id, log)
        assert updated is not None
        self._judged[test_id] = _Judged(verdict, policy)
        self.last_test_id = test_id
        return verdict, updated

    def accept(self, test_id: str) -> FrontierChange:
        """Accept the last run of ``test_id`` into its frontier.

        The last run judged in this session is accepted as judged; without one (a restarted
        kernel), the newest ``run`` in the stored history is judged again and accepted.
        """
        judged = self._judged.get(test_id)
        if judged is None:
            judged = self._rejudge_last_run(test_id)
        changes: list[FrontierChange] = []
        verdict = judged.verdict

        def change(current: TestBaseline | None) -> TestBaseline:
            updated, what = accept_point(
                current, test_id, verdict.candidate, verdict.metrics, departures(verdict)
            )
            changes.append(what)
            return updated

        self.store.update(test_id, change)
        return changes[-1]

    def _rejudge_last_run(self, test_id: str) -> _Judged:
        stored = self.store.load(test_id)
        runs = [h for h in (stored.history if stored else ()) if h.event == "run"]
        runs = [h for h in runs if self.machine.matches(h.point.machine, self.matching)]
        if stored is None or not runs:
            raise ConfigError(
                f"{test_id} has no measured run to accept on this machine; run the cell with "
                f"%%pareto first"
            )
        candidate = runs[-1].point
        references, reason = comparable_points(stored, self.machine, self.matching)
        references = tuple(p for p in references if p.id != candidate.id)
        policy = self.policy(TestOptions())
        verdict = judge(
            test_id, candidate, references, stored.metrics, policy, skipped_reason=reason
        )
        return _Judged(verdict, policy)

    def view(
        self,
        test_id: str,
        baseline: TestBaseline | None,
        *,
        verdict: Verdict | None = None,
        notes: tuple[str, ...] = (),
    ) -> ParetoResult:
        """What to show of a test: its comparable frontier and this machine's history."""
        frontier, reason = comparable_points(baseline, self.machine, self.matching)
        history = tuple(
            entry
            for entry in (baseline.history if baseline else ())
            if self.machine.matches(entry.point.machine, self.matching)
        )
        if reason:
            notes = (*notes, reason)
        metrics = dict(baseline.metrics) if baseline else {}
        if verdict is not None:
            metrics.update(verdict.metrics)
        return ParetoResult(
            test_id=test_id,
            metrics=metrics,
            frontier=frontier,
            history=history,
            new=verdict.candidate if verdict is not None else None,
            verdict=verdict,
            store_file=self.store.path_for(test_id),
            notes=notes,
        )
