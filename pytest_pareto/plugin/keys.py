"""What the plugin keeps on each test item (pytest stash keys), and which items it measures.

The topic modules of the plugin share per-test state through these keys; they import them
from here, never from the plugin package itself.
"""

from __future__ import annotations

import pytest

from pytest_pareto.judging.budgets import BudgetResult
from pytest_pareto.judging.verdict import Verdict
from pytest_pareto.measuring.options import TestOptions
from pytest_pareto.measuring.recorder import Recorder
from pytest_pareto.model.points import TestBaseline

__all__ = [
    "baseline_key",
    "budget_key",
    "is_measured",
    "options_key",
    "options_of",
    "recorder_key",
    "verdict_key",
]

options_key = pytest.StashKey[TestOptions]()
"""The test's ``pareto`` marker arguments (set at collection for marked tests)."""
baseline_key = pytest.StashKey[TestBaseline | None]()
"""The stored frontier the test is judged against (loaded at setup)."""
recorder_key = pytest.StashKey[Recorder]()
"""What the test measured and recorded."""
verdict_key = pytest.StashKey[Verdict]()
budget_key = pytest.StashKey[tuple[BudgetResult, ...]]()


def options_of(item: pytest.Item) -> TestOptions:
    """The test's marker options; the defaults when it has no marker."""
    return item.stash.get(options_key, None) or TestOptions()


def is_measured(item: pytest.Item) -> bool:
    """Whether the plugin measures ``item``: it is marked or uses the ``pareto`` fixture."""
    return options_key in item.stash or "pareto" in getattr(item, "fixturenames", ())
