"""The default rule the torch and GPU probes share: run where torch is already in use."""

from __future__ import annotations

import sys

from pytest_pareto.probes._protocol import Availability

__all__ = ["RunsWhereTorchIsImported"]


class RunsWhereTorchIsImported:
    """Mixin: by default a probe runs when available and torch is imported in this process.

    Importing torch only to measure would cost seconds and change what is measured, so
    these probes follow the code under test. Setting ``default`` overrides the rule.
    """

    _default: bool | None = None

    def availability(self) -> Availability:
        raise NotImplementedError

    @property
    def default(self) -> bool:
        if self._default is not None:
            return self._default
        return "torch" in sys.modules and self.availability().available

    @default.setter
    def default(self, value: bool) -> None:
        self._default = value
