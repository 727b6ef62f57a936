"""Comparing censored values: values known only as bounds.

A measured call stopped at its ``timeout=`` (see :mod:`pytest_pareto.measuring.deadlines`)
leaves a *censored* observation: a lower bound on the true time, "worse than the timeout".
:func:`compare_censored` judges such bounds.
"""

from __future__ import annotations

from pytest_pareto.judging.dominance import MetricComparison, Relation
from pytest_pareto.model.metrics import Metric, Tolerance
from pytest_pareto.model.points import Observation

__all__ = ["CENSORED_METHODS", "compare_censored"]


CENSORED_METHODS = {
    "censored-new": "new value is a lower bound (stopped at its timeout)",
    "censored-baseline": "baseline is a lower bound (stopped at its timeout)",
    "censored-both": "both are lower bounds (stopped at their timeouts)",
}
"""The ``method`` of a comparison involving a censored value, and its meaning for reports."""


def compare_censored(
    metric: Metric,
    candidate: Observation,
    reference: Observation,
    tolerance: Tolerance,
    family_size: int = 1,
) -> MetricComparison:
    """Compare when either value is censored: a censored value only says "at least this bad".

    * new censored: worse beyond tolerance even at its bound is ``worse``; otherwise it may
      be worse: ``unsure-worse``.
    * baseline censored: better beyond tolerance than the baseline's bound is ``better``;
      otherwise ``unsure-better``.
    * both censored: neither value is known; ``equal``.
    """
    cand, ref = candidate.value, reference.value
    band = max(tolerance.band(ref), metric.floor)
    diff = metric.direction.orient(cand) - metric.direction.orient(ref)
    if candidate.censored and reference.censored:
        relation, method = Relation.EQUAL, "censored-both"
    elif candidate.censored:
        relation = Relation.WORSE if diff > band else Relation.UNSURE_WORSE
        method = "censored-new"
    else:
        relation = Relation.BETTER if diff < -band else Relation.UNSURE_BETTER
        method = "censored-baseline"
    return MetricComparison(
        metric=metric,
        candidate=cand,
        reference=ref,
        relation=relation,
        tolerance=tolerance,
        method=method,
        processes=(candidate.processes, reference.processes),
    )
