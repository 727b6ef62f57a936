"""Peak resident memory during a call, above the resident memory before it.

Where the kernel allows it (Linux, writable ``/proc/self/clear_refs``) the probe resets the
kernel's high-water mark (``VmHWM``) before each round and reads it after: exact, and it
catches spikes of any length. Elsewhere it samples RSS with psutil on a thread in a separate
pass, which can miss spikes shorter than the sampling period; the method says which.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from pathlib import Path

from pytest_pareto.model.metrics import BUILTIN_METRICS, Metric
from pytest_pareto.probes._protocol import Availability, Scope

__all__ = ["PeakRssProbe"]

SAMPLE_PERIOD_S = 0.001


def _status_kib(status: Path, field: str) -> int:
    with status.open("rb") as handle:
        for line in handle:
            if line.startswith(field.encode() + b":"):
                return int(line.split()[1])
    raise OSError(f"{status} has no {field} line")


class PeakRssProbe:
    name: str = "peak_rss"
    metrics: tuple[Metric, ...] = (BUILTIN_METRICS["peak_rss"],)
    per_call: frozenset[str] = frozenset()
    default: bool = True

    def __init__(self, proc_self: Path | str = "/proc/self") -> None:
        proc = Path(proc_self)
        self._clear_refs = proc / "clear_refs"
        self._status = proc / "status"
        self._kernel_reason = self._try_kernel_reset()
        self.scope: Scope = Scope.ROUND if not self._kernel_reason else Scope.SEPARATE
        self._before = 0
        self._peak = 0
        self._stop_sampling = threading.Event()
        self._sampler: threading.Thread | None = None

    def _try_kernel_reset(self) -> str:
        """Empty when the high-water mark can be reset here, else why not."""
        try:
            self._reset_kernel_peak()
            _status_kib(self._status, "VmHWM")
        except (OSError, ValueError) as exc:
            return f"cannot reset the kernel's peak RSS via {self._clear_refs} ({exc})"
        return ""

    def _reset_kernel_peak(self) -> None:
        with self._clear_refs.open("w") as handle:
            handle.write("5")

    def availability(self) -> Availability:
        if not self._kernel_reason:
            return Availability.yes(f"kernel high-water mark (VmHWM reset via {self._clear_refs})")
        try:
            import psutil

            psutil.Process().memory_info()
        except Exception as exc:  # psutil cannot read this platform's process memory
            return Availability.no(f"{self._kernel_reason}; psutil cannot read RSS either ({exc})")
        return Availability.yes(
            f"psutil sampling every {SAMPLE_PERIOD_S * 1000:g} ms in a separate pass (may miss "
            f"shorter spikes: {self._kernel_reason})"
        )

    def start(self) -> None:
        if not self._kernel_reason:
            self._before = _status_kib(self._status, "VmRSS") * 1024
            self._reset_kernel_peak()
            return
        import psutil

        process = psutil.Process()
        self._before = self._peak = int(process.memory_info().rss)
        self._stop_sampling.clear()

        def sample() -> None:
            while not self._stop_sampling.wait(SAMPLE_PERIOD_S):
                self._peak = max(self._peak, int(process.memory_info().rss))

        self._sampler = threading.Thread(target=sample, name="pareto-rss-sampler", daemon=True)
        self._sampler.start()

    def stop(self) -> Mapping[str, float]:
        if not self._kernel_reason:
            peak = _status_kib(self._status, "VmHWM") * 1024
        else:
            self._stop_sampling.set()
            if self._sampler is not None:
                self._sampler.join()
            import psutil

            peak = max(self._peak, int(psutil.Process().memory_info().rss))
        return {"peak_rss": float(max(0, peak - self._before))}
