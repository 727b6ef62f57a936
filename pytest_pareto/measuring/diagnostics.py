"""One profiled or traced pass after judging, when the verdict asks where the time or the
memory went.

A test dominated on a time metric is profiled once more (never during its timed rounds), one
dominated on a memory metric is traced once more, and so is every test with such a metric
that ``--pareto-update`` records, so that its stored point has a summary to diff against
later. A passing test costs nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from pytest_pareto.judging.dominance import Relation
from pytest_pareto.judging.verdict import Outcome, Verdict
from pytest_pareto.measuring.allocations import (
    ALLOCATIONS_INFO,
    MEMORY_METRICS,
    allocations_at_peak,
)
from pytest_pareto.measuring.measured_call import MeasuredCall
from pytest_pareto.measuring.profiling import PROFILE_INFO, TIME_METRICS, profile_call
from pytest_pareto.measuring.recorder import Recorder

__all__ = ["DIAGNOSTIC_INFO", "diagnostic_summaries", "dominated_on", "with_diagnostics"]

DIAGNOSTIC_INFO = {PROFILE_INFO: TIME_METRICS, ALLOCATIONS_INFO: MEMORY_METRICS}
"""``extra_info`` key of each summary, and the metrics it explains."""


def dominated_on(verdict: Verdict, metrics: frozenset[str]) -> bool:
    """Whether the verdict is dominated and one of ``metrics`` is among the worse ones."""
    if verdict.outcome is not Outcome.DOMINATED or verdict.decisive is None:
        return False
    return any(
        c.metric.name in metrics and c.relation is Relation.WORSE
        for c in verdict.decisive.comparisons
    )


def _wanted(
    verdict: Verdict, metrics: frozenset[str], *, update: bool, over_budget: frozenset[str]
) -> bool:
    """Whether the summary that explains ``metrics`` is asked of this verdict's new point."""
    if not metrics & verdict.candidate.metric_names:
        return False
    return update or bool(metrics & over_budget) or dominated_on(verdict, metrics)


def _one_more_pass(key: str, call: MeasuredCall) -> dict[str, Any] | None:
    """The summary ``key`` of one more pass of ``call``; ``None`` when it cannot be taken."""
    # Looked up when called, so that tests can count the passes.
    measure: Callable[[MeasuredCall], Any] = (
        profile_call if key == PROFILE_INFO else allocations_at_peak
    )
    try:
        summary: dict[str, Any] = measure(call).to_json()
    except Exception:  # a summary only explains; the verdict stands without it
        return None
    return summary


def with_diagnostics(
    verdict: Verdict,
    recorder: Recorder,
    *,
    update: bool,
    over_budget: frozenset[str] = frozenset(),
) -> Verdict:
    """The verdict, its new point carrying a profile and an allocation summary when wanted:
    dominated on (or ``over_budget`` on) a metric the summary explains, or ``update``.
    A summary the point already has is kept."""
    call = recorder.call
    if call is None:
        return verdict
    info = dict(verdict.candidate.extra_info)
    for key, metrics in DIAGNOSTIC_INFO.items():
        if key in info or not _wanted(verdict, metrics, update=update, over_budget=over_budget):
            continue
        summary = _one_more_pass(key, call)
        if summary is not None:
            info[key] = summary
    if len(info) == len(verdict.candidate.extra_info):
        return verdict
    return replace(verdict, candidate=replace(verdict.candidate, extra_info=info))


def diagnostic_summaries(recorder: Recorder, metrics: frozenset[str]) -> dict[str, Any]:
    """A profile and an allocation summary of one more pass of the recorded call, each only
    when ``metrics`` holds a metric it explains (a replica asked for where the time went)."""
    call = recorder.call
    if call is None:
        return {}
    found = {
        key: _one_more_pass(key, call)
        for key, explained in DIAGNOSTIC_INFO.items()
        if explained & metrics
    }
    return {key: summary for key, summary in found.items() if summary is not None}
