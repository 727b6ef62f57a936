"""GPU time and peak GPU memory of torch code on CUDA.

``cuda_time``: a pair of ``torch.cuda.Event(enable_timing=True)`` recorded on the current
stream around each timed round, after a ``torch.cuda.synchronize()``, read after the end event
completes. Host clocks around asynchronous kernels measure the launches; the events measure the
GPU's work. ``gpu_peak_memory``: ``torch.cuda.reset_peak_memory_stats()`` before each round and
``max_memory_allocated()`` after it, above ``memory_allocated()`` before it (current device).

torch is imported only by code that already uses it: while torch is not imported, the probes
report why they cannot tell yet (or, reading ``torch/version.py``, that the installed torch is
a CPU-only build). Both run by default where CUDA is available and torch is imported, and
record nothing in a process whose torch never initialised CUDA (it did no GPU work).
"""

from __future__ import annotations

import ast
import importlib.util
import sys
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pytest_pareto.errors import MeasurementError
from pytest_pareto.model.metrics import BUILTIN_METRICS, Metric
from pytest_pareto.probes._protocol import Availability, Scope
from pytest_pareto.probes._torch_default import RunsWhereTorchIsImported

__all__ = ["CudaMemoryProbe", "CudaTimeProbe", "torch_cuda_status"]

INSTALL_HINT = "pip install torch (a CUDA build)"


def _installed_torch_build() -> tuple[str, str | None] | None:
    """``(version, cuda)`` from the installed torch's ``version.py`` without importing it."""
    spec = importlib.util.find_spec("torch")
    if spec is None or not spec.submodule_search_locations:
        return None
    values: dict[str, object] = {}
    try:
        source = (Path(next(iter(spec.submodule_search_locations))) / "version.py").read_text()
        for node in ast.parse(source).body:
            target = node.targets[0] if isinstance(node, ast.Assign) else None
            if isinstance(node, ast.AnnAssign):
                target = node.target
            value = getattr(node, "value", None)
            if isinstance(target, ast.Name) and isinstance(value, ast.Constant):
                values[target.id] = value.value
    except (OSError, SyntaxError, StopIteration):
        return ("unknown", "unknown")
    cuda = values.get("cuda", "unknown")
    return str(values.get("__version__", "unknown")), None if cuda is None else str(cuda)


def torch_cuda_status() -> tuple[Any, str, bool]:
    """``(torch.cuda or None, reason, final)``; ``final`` is False while torch is not imported."""
    torch = sys.modules.get("torch")
    if torch is None:
        build = _installed_torch_build()
        if build is None:
            return None, f"torch is not installed ({INSTALL_HINT})", True
        version, cuda = build
        if cuda is None:
            return None, f"no CUDA: torch {version} is a CPU-only build", True
        return (
            None,
            (
                f"torch {version} is installed but not imported in this process; CUDA is checked "
                "when a test imports torch"
            ),
            False,
        )
    if getattr(torch.version, "cuda", None) is None and getattr(torch.version, "hip", None) is None:
        return None, f"no CUDA: torch {torch.__version__} is a CPU-only build", True
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        available = bool(torch.cuda.is_available())
    if not available:
        why = f": {caught[0].message}" if caught else ""
        return None, f"no CUDA: torch.cuda.is_available() is False{why}", True
    return torch.cuda, "", True


class _CudaProbe(RunsWhereTorchIsImported):
    """What the CUDA probes share: finding torch.cuda, the default rule, skipping idle runs."""

    name: str = ""
    default_rule: str = "by default where CUDA is available, in processes that import torch"

    def __init__(self, cuda: Any = None) -> None:
        """``cuda``: a ``torch.cuda``-like module to use instead of the real one (tests)."""
        self._cuda = cuda
        self._reason = ""
        self._final = cuda is not None
        self._active = False

    def _resolve(self) -> Any:
        if not self._final:
            self._cuda, self._reason, self._final = torch_cuda_status()
        return self._cuda

    def _method(self, cuda: Any) -> str:
        raise NotImplementedError

    def availability(self) -> Availability:
        cuda = self._resolve()
        if cuda is None:
            return Availability.no(self._reason)
        return Availability.yes(self._method(cuda))

    def _begin(self) -> Any:
        """The cuda module when this stretch should be measured, else None."""
        cuda = self._resolve()
        if cuda is None:
            raise MeasurementError(f"{self.name} is unavailable: {self._reason}")
        self._active = bool(cuda.is_initialized())
        return cuda if self._active else None


class CudaTimeProbe(_CudaProbe):
    """``cuda_time``: seconds of GPU work per call, from CUDA events."""

    name = "cuda_time"
    metrics: tuple[Metric, ...] = (BUILTIN_METRICS["cuda_time"],)
    # Around each round but outside the host clocks: its synchronisation must not count as
    # wall or CPU time.
    scope: Scope = Scope.ROUND
    per_call: frozenset[str] = frozenset({"cuda_time"})

    def __init__(self, cuda: Any = None) -> None:
        super().__init__(cuda)
        self._events: tuple[Any, Any] | None = None

    def _method(self, cuda: Any) -> str:
        return (
            f"CUDA events on the current stream of {cuda.get_device_name()}, synchronised, "
            "around each round"
        )

    def start(self) -> None:
        cuda = self._begin()
        if cuda is None:
            return
        begin, end = cuda.Event(enable_timing=True), cuda.Event(enable_timing=True)
        self._events = (begin, end)
        cuda.synchronize()  # earlier queued work must not count
        begin.record()

    def stop(self) -> Mapping[str, float]:
        if not self._active or self._events is None:
            return {}
        begin, end = self._events
        end.record()
        end.synchronize()
        return {"cuda_time": begin.elapsed_time(end) / 1000.0}  # elapsed_time is in ms


class CudaMemoryProbe(_CudaProbe):
    """``gpu_peak_memory``: peak bytes torch allocated on the current CUDA device per round."""

    name = "gpu_memory"
    metrics: tuple[Metric, ...] = (BUILTIN_METRICS["gpu_peak_memory"],)
    scope: Scope = Scope.ROUND
    per_call: frozenset[str] = frozenset()

    def __init__(self, cuda: Any = None) -> None:
        super().__init__(cuda)
        self._before = 0

    def _method(self, cuda: Any) -> str:
        return (
            f"torch.cuda.max_memory_allocated on {cuda.get_device_name()} after "
            "reset_peak_memory_stats, per round (torch's allocator only)"
        )

    def start(self) -> None:
        cuda = self._begin()
        if cuda is None:
            return
        # The allocator's statistics are kept on the host: no synchronisation needed.
        self._before = int(cuda.memory_allocated())
        cuda.reset_peak_memory_stats()

    def stop(self) -> Mapping[str, float]:
        if not self._active:
            return {}
        cuda = self._cuda
        return {"gpu_peak_memory": float(max(0, int(cuda.max_memory_allocated()) - self._before))}
