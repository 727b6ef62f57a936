"""How a test is judged: the one place its :class:`JudgePolicy` is built.

Noisy metrics are compared with the rank test under the test's sequential design (its
processes and the run's alpha), deterministic ones value by value. The plugin's judging at
test time, the replication controller's interim verdicts and the session-end judging of
variant groups all use :func:`policy_for`.
"""

from __future__ import annotations

from pytest_pareto.frontier.pipeline import JudgeContext
from pytest_pareto.judging.dominance import Comparator, compare_values
from pytest_pareto.judging.sequential import SequentialDesign
from pytest_pareto.judging.stats import RankComparator
from pytest_pareto.judging.verdict import JudgePolicy
from pytest_pareto.measuring.options import TestOptions
from pytest_pareto.model.metrics import Variability
from pytest_pareto.plugin.settings import RunSettings

__all__ = ["comparators", "policy_for"]


def comparators(design: SequentialDesign) -> dict[Variability, Comparator]:
    return {
        Variability.NOISY: RankComparator(design),
        Variability.DETERMINISTIC: compare_values,
    }


def policy_for(context: JudgeContext, settings: RunSettings, options: TestOptions) -> JudgePolicy:
    """The policy of a test with these marker ``options``."""
    design = settings.design(options.processes)
    return context.policy(options.tolerance, options.metrics, comparators(design))
