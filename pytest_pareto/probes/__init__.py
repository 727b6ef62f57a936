"""Probes: one small module per measurement, all behind the :class:`Probe` protocol."""

from __future__ import annotations

from pytest_pareto.probes._protocol import (
    Availability,
    CallProbe,
    PausableProbe,
    Probe,
    Scope,
)
from pytest_pareto.probes.cpu_time import CpuTimeProbe
from pytest_pareto.probes.energy_estimate import EnergyEstimateProbe
from pytest_pareto.probes.flops import FlopsProbe
from pytest_pareto.probes.instructions import InstructionsProbe
from pytest_pareto.probes.nvml import NvmlProbe
from pytest_pareto.probes.peak_rss import PeakRssProbe
from pytest_pareto.probes.py_alloc import PyAllocProbe, PyAllocRetainedProbe
from pytest_pareto.probes.rapl import RaplProbe
from pytest_pareto.probes.torch_cuda import CudaMemoryProbe, CudaTimeProbe
from pytest_pareto.probes.wall_time import WallTimeProbe

__all__ = [
    "Availability",
    "CallProbe",
    "CpuTimeProbe",
    "CudaMemoryProbe",
    "CudaTimeProbe",
    "EnergyEstimateProbe",
    "FlopsProbe",
    "InstructionsProbe",
    "NvmlProbe",
    "PausableProbe",
    "PeakRssProbe",
    "Probe",
    "PyAllocProbe",
    "PyAllocRetainedProbe",
    "RaplProbe",
    "Scope",
    "WallTimeProbe",
    "builtin_probes",
]


def builtin_probes() -> list[Probe]:
    """Fresh instances of the probes that ship with pytest-pareto."""
    rapl = RaplProbe()
    return [
        WallTimeProbe(),
        CpuTimeProbe(),
        PeakRssProbe(),
        PyAllocProbe(),
        PyAllocRetainedProbe(),
        InstructionsProbe(),
        rapl,
        NvmlProbe(),
        CudaTimeProbe(),
        CudaMemoryProbe(),
        FlopsProbe(),
        EnergyEstimateProbe(fallback_for=rapl),
    ]
