"""``%pareto_baseline accept`` and ``%pareto_history``: a cell's stored frontier and runs."""

from __future__ import annotations

import os

from IPython.core.error import UsageError

from nb_ext.result import ParetoResult
from nb_ext.session import Session
from pytest_pareto.errors import BaselineFileError, ConfigError
from pytest_pareto.measuring.notebook_records import DISABLE_ENV, RECORD_ENV

__all__ = ["accept_last_run", "stored_result"]


def accept_last_run(session: Session, name: str | None) -> None:
    """Accept the last run of cell ``name`` (else of the cell measured last) into its frontier."""
    if os.environ.get(RECORD_ENV) or os.environ.get(DISABLE_ENV):
        print("pareto: pytest runs this notebook; accept with pytest --pareto-update")
        return
    location = session.locate()
    if name is not None:
        gate, test_id = session.gate(location), location.test_id(name)
    elif session.last is not None:
        gate, test_id = session.last
    else:
        raise UsageError("no cell was measured yet in this session: %pareto_baseline accept NAME")
    try:
        change = gate.accept(test_id)
    except (ConfigError, BaselineFileError) as exc:
        raise UsageError(str(exc)) from None
    print(f"pareto: accepted into the frontier of {test_id}: {change.describe()}")


def stored_result(session: Session, name: str) -> ParetoResult:
    """Cell ``name``'s stored frontier and this machine's history of its runs."""
    location = session.locate()
    gate = session.gate(location)
    test_id = location.test_id(name)
    store = gate.context.store
    try:
        stored = store.load(test_id)
    except BaselineFileError as exc:
        raise UsageError(str(exc)) from None
    if stored is None:
        raise UsageError(
            f"nothing is stored for {test_id} in {store.root}; run %%pareto {name} first"
        )
    return gate.view(test_id, stored)
