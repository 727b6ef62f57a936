"""Floating-point operations of one call of torch code, with ``FlopCounterMode``.

``torch.utils.flop_counter.FlopCounterMode(display=False)`` counts the FLOPs of the aten
operators a call dispatches (matrix products, convolutions, attention; forward and, when the
call runs it, backward) by formula from the shapes, so the count is deterministic: the same
code on the same shapes gives the same number on any machine. A Linear(512→1024), ReLU,
Linear(1024→10) forward on a batch of 64 counts 2·64·512·1024 + 2·64·1024·10 = 68,419,584.

The counter slows the call, so it runs in its own pass of one call, never while timing.
Defaults: available where torch is installed; runs by default only in a process that has
already imported torch (no test pays for importing it); a call that runs no counted torch
operator records nothing rather than a misleading zero.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Mapping
from typing import Any

from pytest_pareto.errors import MeasurementError
from pytest_pareto.model.metrics import BUILTIN_METRICS, Metric
from pytest_pareto.probes._protocol import Availability, Scope
from pytest_pareto.probes._torch_default import RunsWhereTorchIsImported

__all__ = ["FlopsProbe"]


class FlopsProbe(RunsWhereTorchIsImported):
    """``flops``: FLOPs of one call, counted by torch (deterministic)."""

    name: str = "flops"
    metrics: tuple[Metric, ...] = (BUILTIN_METRICS["flops"],)
    scope: Scope = Scope.SEPARATE
    per_call: frozenset[str] = frozenset()
    default_rule: str = "by default in processes that import torch"

    def __init__(self) -> None:
        self._mode: Any = None

    def availability(self) -> Availability:
        method = "torch.utils.flop_counter.FlopCounterMode, one call in a separate pass"
        if "torch" not in sys.modules:
            if importlib.util.find_spec("torch") is None:
                return Availability.no("torch is not installed (pip install torch)")
            return Availability.yes(method)
        try:
            from torch.utils.flop_counter import FlopCounterMode  # noqa: F401
        except ImportError as exc:
            return Availability.no(f"this torch has no FlopCounterMode (torch >= 2.1): {exc}")
        return Availability.yes(method)

    def start(self) -> None:
        try:
            from torch.utils.flop_counter import FlopCounterMode
        except ImportError as exc:
            raise MeasurementError(f"cannot count FLOPs: {exc}") from None
        self._mode = FlopCounterMode(display=False)
        self._mode.__enter__()

    def stop(self) -> Mapping[str, float]:
        mode, self._mode = self._mode, None
        if mode is None:
            return {}
        mode.__exit__(None, None, None)
        total = int(mode.get_total_flops())
        return {"flops": float(total)} if total > 0 else {}
