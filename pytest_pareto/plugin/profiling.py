"""One profiled pass after judging, when the verdict asks where the time went.

A test dominated on a time metric is profiled once more (never during its timed rounds), and
so is every test with a time metric that ``--pareto-update`` records, so that its stored
point has a profile to diff against later. A passing test costs nothing.
"""

from __future__ import annotations

from dataclasses import replace

from pytest_pareto.judging.dominance import Relation
from pytest_pareto.judging.verdict import Outcome, Verdict
from pytest_pareto.measuring.profiling import PROFILE_INFO, TIME_METRICS, profile_call
from pytest_pareto.measuring.recorder import Recorder

__all__ = ["dominated_on_time", "with_profile"]


def dominated_on_time(verdict: Verdict) -> bool:
    """Whether the verdict is dominated and a time metric is among the worse ones."""
    if verdict.outcome is not Outcome.DOMINATED or verdict.decisive is None:
        return False
    return any(
        c.metric.name in TIME_METRICS and c.relation is Relation.WORSE
        for c in verdict.decisive.comparisons
    )


def with_profile(verdict: Verdict, recorder: Recorder, *, update: bool) -> Verdict:
    """The verdict, its new point carrying a profile summary when one is wanted."""
    call = recorder.call
    if call is None or not TIME_METRICS & verdict.candidate.metric_names:
        return verdict
    if not (update or dominated_on_time(verdict)):
        return verdict
    try:
        summary = profile_call(call)
    except Exception:  # a profile only explains; the verdict stands without it
        return verdict
    info = {**verdict.candidate.extra_info, PROFILE_INFO: summary.to_json()}
    return replace(verdict, candidate=replace(verdict.candidate, extra_info=info))
