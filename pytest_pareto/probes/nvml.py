"""GPU energy and mean power of the visible NVIDIA GPUs, through NVML.

Per GPU, the probe reads ``nvmlDeviceGetTotalEnergyConsumption`` (millijoules since the
driver loaded; Volta and newer) before and after the timed pass. Where that counter is not
supported it samples ``nvmlDeviceGetPowerUsage`` (milliwatts) on a background thread and
integrates the samples over the pass (trapezoids). NVML updates both every 20-100 ms, and
on Ampere and newer the power reading is a one-second average, so a pass shorter than about
a second gives a coarse value: the metrics are noisy and the replicated processes average it.

The counters cover the whole GPU, whoever uses it. By default the probe runs in processes that
import torch, and it records nothing when torch is imported but never initialised CUDA (the
code did no GPU work); name ``energy_gpu`` in ``metrics=`` to measure other CUDA code.
"""

from __future__ import annotations

import itertools
import os
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pytest_pareto.errors import MeasurementError
from pytest_pareto.model.metrics import BUILTIN_METRICS, Metric
from pytest_pareto.model.nvml_devices import GpuDevice, NvmlUnavailable, open_nvml
from pytest_pareto.probes._protocol import Availability, Scope
from pytest_pareto.probes._torch_default import RunsWhereTorchIsImported

__all__ = ["NvmlProbe", "integrate_power", "torch_did_no_cuda_work"]

SAMPLE_PERIOD_S = 0.02
"""Power sampling period: NVML does not update faster."""


def integrate_power(samples: Sequence[tuple[float, float]]) -> float:
    """Energy (J) of power samples ``(seconds, watts)`` in time order, by trapezoids."""
    energy = 0.0
    for (t0, p0), (t1, p1) in itertools.pairwise(samples):
        energy += (t1 - t0) * (p0 + p1) / 2.0
    return energy


def torch_did_no_cuda_work() -> bool:
    """True when torch is imported in this process and has not initialised CUDA."""
    torch = sys.modules.get("torch")
    if torch is None:
        return False
    try:
        return not bool(torch.cuda.is_initialized())
    except Exception:  # a torch without a usable cuda module did no CUDA work
        return True


class NvmlProbe(RunsWhereTorchIsImported):
    """``energy_gpu`` (J per call) and ``gpu_power`` (mean W) of the visible GPUs."""

    name: str = "nvml"
    metrics: tuple[Metric, ...] = (BUILTIN_METRICS["energy_gpu"], BUILTIN_METRICS["gpu_power"])
    scope: Scope = Scope.PASS
    per_call: frozenset[str] = frozenset({"energy_gpu"})
    default_rule: str = "by default where available, in processes that import torch"

    def __init__(
        self,
        environ: Mapping[str, str] | None = None,
        *,
        sample_period: float = SAMPLE_PERIOD_S,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self._environ = os.environ if environ is None else environ
        self._sample_period = sample_period
        self._clock = clock
        self._connected = False
        self._nvml: Any = None
        self._counted: tuple[GpuDevice, ...] = ()
        """GPUs read through the energy counter."""
        self._sampled: tuple[GpuDevice, ...] = ()
        """GPUs whose power is sampled and integrated."""
        self._reason = ""
        self._active = False
        self._t0 = 0.0
        self._energy_start: list[int] = []
        self._samples: list[tuple[float, float]] = []
        self._stop_sampling = threading.Event()
        self._sampler: threading.Thread | None = None
        self._paused: tuple[float, list[int]] | None = None
        self._left_out: list[tuple[float, float, list[int], list[int]]] = []
        """Paused segments: (from, to, counters at from, counters at to)."""

    def _connect(self) -> None:
        if self._connected:
            return
        self._connected = True
        try:
            self._nvml, inventory = open_nvml(self._environ)
        except NvmlUnavailable as exc:
            self._reason = str(exc)
            return
        if not inventory.devices:
            self._reason = inventory.reason
            return
        counted, sampled, broken = [], [], []
        for device in inventory.devices:
            try:
                self._nvml.nvmlDeviceGetTotalEnergyConsumption(device.handle)
                counted.append(device)
                continue
            except self._nvml.NVMLError:
                pass
            try:
                self._nvml.nvmlDeviceGetPowerUsage(device.handle)
                sampled.append(device)
            except self._nvml.NVMLError as exc:
                broken.append(f"GPU {device.index} {device.name}: {exc}")
        if broken:
            self._reason = "NVML reads neither energy nor power of " + "; ".join(broken)
            return
        self._counted, self._sampled = tuple(counted), tuple(sampled)

    def availability(self) -> Availability:
        self._connect()
        if self._reason:
            return Availability.no(self._reason)
        parts = []
        if self._counted:
            gpus = ", ".join(f"{d.index} {d.name}" for d in self._counted)
            parts.append(
                f"energy counter (nvmlDeviceGetTotalEnergyConsumption) of GPU {gpus}, "
                "updated every 20-100 ms"
            )
        if self._sampled:
            gpus = ", ".join(f"{d.index} {d.name}" for d in self._sampled)
            parts.append(
                f"power (nvmlDeviceGetPowerUsage, updated every 20-100 ms, a 1 s average on "
                f"Ampere and newer) of GPU {gpus} sampled every "
                f"{self._sample_period * 1000:g} ms and integrated"
            )
        return Availability.yes("; ".join(parts) + "; whole GPUs, around the timed pass")

    def _power_w(self) -> float:
        milliwatts = sum(self._nvml.nvmlDeviceGetPowerUsage(d.handle) for d in self._sampled)
        return float(milliwatts) / 1000.0

    def _sample(self, at: float | None = None) -> None:
        self._samples.append((self._clock() if at is None else at, self._power_w()))

    def start(self) -> None:
        if not self.availability().available:
            raise MeasurementError(f"NVML is unavailable: {self._reason}")
        self._active = not torch_did_no_cuda_work()
        if not self._active:
            return
        try:
            self._samples, self._left_out, self._paused = [], [], None
            self._t0 = self._clock()
            self._energy_start = [
                self._nvml.nvmlDeviceGetTotalEnergyConsumption(d.handle) for d in self._counted
            ]
            if self._sampled:
                self._sample(self._t0)  # the samples span exactly [t0, t1]
                self._stop_sampling.clear()
                self._sampler = threading.Thread(
                    target=self._sample_until_stopped, name="pareto-nvml-sampler", daemon=True
                )
                self._sampler.start()
        except self._nvml.NVMLError as exc:
            raise MeasurementError(f"NVML failed at the start of a measurement: {exc}") from None

    def _read_counters(self) -> tuple[float, list[int]]:
        energies = [self._nvml.nvmlDeviceGetTotalEnergyConsumption(d.handle) for d in self._counted]
        at = self._clock()
        if self._sampled:
            self._sample(at)  # a sample on each edge: the segment integrates exactly
        return at, energies

    def pause(self) -> None:
        if not self._active:
            return
        try:
            self._paused = self._read_counters()
        except self._nvml.NVMLError as exc:
            raise MeasurementError(f"NVML failed during a measurement: {exc}") from None

    def resume(self) -> None:
        if not self._active or self._paused is None:
            return
        try:
            at, energies = self._read_counters()
        except self._nvml.NVMLError as exc:
            raise MeasurementError(f"NVML failed during a measurement: {exc}") from None
        self._left_out.append((self._paused[0], at, self._paused[1], energies))
        self._paused = None

    def _left_out_energy(self, samples: Sequence[tuple[float, float]]) -> tuple[float, float]:
        """Joules and seconds of the paused segments, from the counters and the samples."""
        joules = seconds = 0.0
        for start, end, before, after in self._left_out:
            joules += sum(b - a for a, b in zip(before, after, strict=True)) / 1000.0
            joules += integrate_power([s for s in samples if start <= s[0] <= end])
            seconds += end - start
        return joules, seconds

    def _sample_until_stopped(self) -> None:
        while not self._stop_sampling.wait(self._sample_period):
            try:
                self._sample()
            except self._nvml.NVMLError:
                continue  # a missed sample only widens one trapezoid

    def stop(self) -> Mapping[str, float]:
        if not self._active:
            return {}
        try:
            end = [self._nvml.nvmlDeviceGetTotalEnergyConsumption(d.handle) for d in self._counted]
            if self._sampler is not None:
                self._stop_sampling.set()
                self._sampler.join()
                self._sampler = None
            t1 = self._clock()
            if self._sampled:
                self._sample(t1)
        except self._nvml.NVMLError as exc:
            raise MeasurementError(f"NVML failed at the end of a measurement: {exc}") from None
        deltas = [after - before for before, after in zip(self._energy_start, end, strict=True)]
        if any(delta < 0 for delta in deltas):
            return {}  # the driver reloaded during the pass: no honest value
        samples = sorted(self._samples)  # the sampler thread and the edges both append
        left_out, paused_s = self._left_out_energy(samples)
        energy = max(0.0, sum(deltas) / 1000.0 + integrate_power(samples) - left_out)
        elapsed = t1 - self._t0 - paused_s
        readings = {"energy_gpu": energy}
        if elapsed > 0:
            readings["gpu_power"] = energy / elapsed
        return readings
