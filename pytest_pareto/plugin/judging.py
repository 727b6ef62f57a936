"""Judging a measured test after its body ran: the verdict, its budgets, pass or fail.

The verdict comes from the one pipeline (:func:`~pytest_pareto.frontier.pipeline.judge_test`)
with the test's policy (:func:`~pytest_pareto.plugin.policy.policy_for`); a replicated test
is judged with the noisy observations of its replicas.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from pytest_pareto.errors import ParetoError
from pytest_pareto.frontier.pipeline import JudgeContext, judge_test
from pytest_pareto.judging.verdict import Verdict
from pytest_pareto.measuring.diagnostics import with_diagnostics
from pytest_pareto.measuring.recorder import Recorder
from pytest_pareto.plugin.budgets import check_test_budgets
from pytest_pareto.plugin.keys import baseline_key, options_of, verdict_key
from pytest_pareto.plugin.policy import policy_for
from pytest_pareto.plugin.replication.results import ReplicatedResults
from pytest_pareto.plugin.reports import junit_properties
from pytest_pareto.plugin.settings import RunSettings
from pytest_pareto.reports.words import verdict_message
from pytest_pareto.store import raw_rounds

__all__ = ["Judge"]


class Judge:
    """Judges each measured test of this process (none in a replica)."""

    def __init__(
        self,
        config: pytest.Config,
        settings: RunSettings,
        context: JudgeContext,
        replicated: ReplicatedResults,
        commit: Callable[[], str | None],
    ) -> None:
        self.config = config
        self.settings = settings
        self.context = context
        self.replicated = replicated
        self.commit = commit

    def after_call(self, item: pytest.Item, recorder: Recorder) -> None:
        """Judge ``item``; tell the plugins; fail it when its verdict or a budget says so.

        In this order: the verdict and its JUnit properties, the
        ``pytest_pareto_verdict`` hook, the budgets, the verdict's own failure.
        """
        try:
            verdict = with_diagnostics(
                self.verdict(item, recorder), recorder, update=self.settings.update
            )
            verdict = self.replicated.with_reference_diagnostics(verdict)
        except ParetoError as exc:
            raise pytest.fail.Exception(f"pareto: {exc}", pytrace=False) from None
        item.stash[verdict_key] = verdict
        if self.settings.raw_rounds is not None:
            raw_rounds.write(self.settings.raw_rounds, item.nodeid, verdict.candidate)
        item.user_properties.append(("pareto_outcome", verdict.outcome.value))
        item.user_properties.extend(junit_properties(verdict))
        self.config.hook.pytest_pareto_verdict(item=item, verdict=verdict)
        fails = not self.settings.update and verdict.fails(strict=self.settings.strict)
        check_test_budgets(
            item,
            verdict,
            self.context,
            fails=fails,
            explain=lambda over: self._explained(item, verdict, recorder, over),
        )
        if fails:
            pytest.fail(verdict_message(verdict), pytrace=False)

    @staticmethod
    def _explained(
        item: pytest.Item, verdict: Verdict, recorder: Recorder, over: frozenset[str]
    ) -> Verdict:
        """The verdict with where the time or memory went on the metrics over budget; kept
        as the test's verdict, so that the reports show the tables too."""
        explained = with_diagnostics(verdict, recorder, update=False, over_budget=over)
        item.stash[verdict_key] = explained
        return explained

    def verdict(self, item: pytest.Item, recorder: Recorder) -> Verdict:
        options = options_of(item)
        if recorder.censored is None:  # a censored call never reached the rest of the test
            options.check_metric_names(item.nodeid, list(recorder.metrics))
        point = recorder.point(commit=self.commit(), machine=self.context.machine)
        assert point is not None  # recorder.used
        point, references = self.replicated.judge_inputs(item, point)
        return judge_test(
            self.context,
            item.nodeid,
            point,
            recorder.metrics,
            item.stash.get(baseline_key, None),
            policy_for(self.context, self.settings, options),
            references=references,
        )
