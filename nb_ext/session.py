"""What the magics remember in one kernel: where the notebook is, one gate per store, and
the cell measured last."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nb_ext.arguments import usage_error
from nb_ext.gate import DEFAULT_TOLERANCE, Gate
from nb_ext.locate import Location, locate
from pytest_pareto.errors import ConfigError
from pytest_pareto.frontier.pipeline import JudgeContext
from pytest_pareto.model.machine import current_machine
from pytest_pareto.model.metrics import Tolerance
from pytest_pareto.store.baseline_files import Store

__all__ = ["Session", "ini_tolerance"]


def ini_tolerance(location: Location) -> Tolerance:
    """``pareto_tolerance`` of the project's pytest configuration, else the default 5%."""
    settings = location.settings
    text = settings.values.get("pareto_tolerance") if settings is not None else None
    if settings is None or not text:
        return DEFAULT_TOLERANCE
    try:
        return Tolerance.parse(text)
    except ConfigError as exc:
        raise usage_error(f"pareto_tolerance in {settings.path}: {exc}") from None


class Session:
    """The magics' state in one IPython shell."""

    def __init__(self, shell: Any) -> None:
        self.shell = shell
        self.last: tuple[Gate, str] | None = None
        """The gate and test id of the cell judged last (``%pareto_baseline accept``)."""
        self._gates: dict[Path, Gate] = {}
        self._told: set[str] = set()

    def locate(self) -> Location:
        """Where the running notebook is; a fallback is told once per session."""
        try:
            location = locate(user_ns=self.shell.user_ns)
        except ConfigError as exc:  # the project's pytest configuration cannot be read
            raise usage_error(str(exc)) from None
        if location.note and location.note not in self._told:
            self._told.add(location.note)
            print(f"pareto: {location.note}")
        return location

    def gate(self, location: Location) -> Gate:
        """The gate of the location's store, judging with the project's tolerance."""
        gate = self._gates.get(location.store_root)
        if gate is None:
            context = JudgeContext(
                Store(location.store_root),
                current_machine(),
                default_tolerance=ini_tolerance(location),
            )
            gate = self._gates[location.store_root] = Gate(context)
        return gate
