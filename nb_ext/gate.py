"""Judge a cell's point against its stored frontier, log the run, accept it on request.

The same pipeline as the pytest plugin:
:func:`~pytest_pareto.frontier.pipeline.judge_test` and
:func:`~pytest_pareto.frontier.pipeline.accept` in one
:class:`~pytest_pareto.frontier.pipeline.JudgeContext`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from nb_ext.result import ParetoResult
from pytest_pareto.errors import ConfigError
from pytest_pareto.frontier.maintenance import (
    HISTORY_LIMIT,
    FrontierChange,
    comparable_points,
    merge_metrics,
)
from pytest_pareto.frontier.pipeline import JudgeContext, accept, judge_test
from pytest_pareto.judging.verdict import Verdict
from pytest_pareto.measuring.options import TestOptions
from pytest_pareto.model.metrics import Metric, Tolerance
from pytest_pareto.model.points import HistoryEntry, Point, TestBaseline, utc_now

__all__ = ["DEFAULT_TOLERANCE", "Gate"]

DEFAULT_TOLERANCE = Tolerance(rel=0.05)
"""The tolerance of metrics no ``--tolerance`` names (pytest's ``pareto_tolerance`` default)."""


class Gate:
    """The frontiers of one project's baselines, as the magics see them."""

    def __init__(self, context: JudgeContext) -> None:
        self.context = context
        self._judged: dict[str, Verdict] = {}

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
        store = self.context.store
        policy = self.context.policy(options.tolerance, options.metrics)
        verdict = judge_test(self.context, test_id, point, metrics, store.load(test_id), policy)
        entry = HistoryEntry("run", utc_now(), point, verdict.outcome.value)

        def log(current: TestBaseline | None) -> TestBaseline:
            current = current or TestBaseline(test_id)
            return replace(
                current,
                metrics=merge_metrics(test_id, current.metrics, metrics),
                history=(*current.history, entry)[-HISTORY_LIMIT:],
            )

        updated = store.update(test_id, log)
        assert updated is not None
        self._judged[test_id] = verdict
        return verdict, updated

    def explained(self, verdict: Verdict) -> Verdict:
        """Keep ``verdict`` (a judged one, with its profile or allocation summary) as the one
        an accept takes, so the accepted point stores the summary too."""
        self._judged[verdict.test_id] = verdict
        return verdict

    def accept(self, test_id: str) -> FrontierChange:
        """Accept the last run of ``test_id`` into its frontier.

        The last run judged in this session is accepted as judged; without one (a restarted
        kernel), the newest ``run`` in the stored history is judged again and accepted.
        """
        verdict = self._judged.get(test_id)
        if verdict is None:
            verdict = self._rejudge_last_run(test_id)
        return accept(self.context.store, verdict)

    def _rejudge_last_run(self, test_id: str) -> Verdict:
        context = self.context
        stored = context.store.load(test_id)
        runs = [h for h in (stored.history if stored else ()) if h.event == "run"]
        runs = [h for h in runs if context.machine.matches(h.point.machine, context.matching)]
        if stored is None or not runs:
            raise ConfigError(
                f"{test_id} has no measured run to accept on this machine; run the cell with "
                f"%%pareto first"
            )
        candidate = runs[-1].point
        # Judged against the frontier without itself, had it been accepted before.
        others = replace(stored, points=tuple(p for p in stored.points if p.id != candidate.id))
        policy = context.policy({}, None)
        return judge_test(context, test_id, candidate, stored.metrics, others, policy)

    def view(
        self,
        test_id: str,
        baseline: TestBaseline | None,
        *,
        verdict: Verdict | None = None,
        notes: tuple[str, ...] = (),
    ) -> ParetoResult:
        """What to show of a test: its comparable frontier and this machine's history."""
        context = self.context
        frontier, reason = comparable_points(baseline, context.machine, context.matching)
        history = tuple(
            entry
            for entry in (baseline.history if baseline else ())
            if context.machine.matches(entry.point.machine, context.matching)
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
            store_file=context.store.path_for(test_id),
            notes=notes,
        )
