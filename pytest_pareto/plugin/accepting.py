"""``--pareto-update``: accept the run's verdicts into their stored frontiers."""

from __future__ import annotations

import pytest

from pytest_pareto.errors import ParetoError
from pytest_pareto.frontier.pipeline import accept
from pytest_pareto.plugin.results import RunResults
from pytest_pareto.store.baseline_files import Store

__all__ = ["accept_verdicts"]


def accept_verdicts(results: RunResults, store: Store, config: pytest.Config) -> None:
    """Accept every verdict not held back (:attr:`RunResults.not_accepted`); a verdict that
    cannot be written is an error of the run, the others are still accepted."""
    for verdict in results.verdicts:
        if verdict.test_id in results.not_accepted:
            continue
        try:
            change = accept(store, verdict)
        except ParetoError as exc:
            results.errors.append(str(exc))
            continue
        results.changes.append(change)
        config.hook.pytest_pareto_frontier_updated(config=config, change=change)
