"""Hooks other plugins implement to add probes and metrics and to react to verdicts.

Implement them in a ``conftest.py`` or a plugin module::

    def pytest_pareto_add_probes(config):
        return [MyCounterProbe()]

    def pytest_pareto_verdict(item, verdict):
        if verdict.outcome.value == "dominated":
            notify(item.nodeid, verdict)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from pytest_pareto.frontier.maintenance import FrontierChange
    from pytest_pareto.judging.verdict import Verdict
    from pytest_pareto.model.metrics import Metric
    from pytest_pareto.probes import Probe

hookspec = pluggy.HookspecMarker("pytest")

__all__ = [
    "pytest_pareto_add_metrics",
    "pytest_pareto_add_probes",
    "pytest_pareto_frontier_updated",
    "pytest_pareto_verdict",
]


@hookspec
def pytest_pareto_add_probes(config: Any) -> list[Probe]:
    """Return extra probes (objects following :class:`pytest_pareto.probes.Probe`).

    Called once at configure time; every implementation's list is used.
    """
    raise NotImplementedError


@hookspec
def pytest_pareto_add_metrics(config: Any) -> list[Metric]:
    """Return metric definitions (unit, direction, variability) for names tests record.

    ``pareto.record(name, value)`` then takes the unit and direction from here.
    """
    raise NotImplementedError


@hookspec
def pytest_pareto_verdict(item: Any, verdict: Verdict) -> None:
    """Called with each measured test's verdict, before the test passes or fails by it."""


@hookspec
def pytest_pareto_frontier_updated(config: Any, change: FrontierChange) -> None:
    """Called after ``--pareto-update`` wrote a test's new frontier."""
