"""pytest layer of the hardware probes: the ini options of the energy estimate."""

from __future__ import annotations

from collections.abc import Sequence

from pytest_pareto.plugin.settings import RunSettings
from pytest_pareto.probes import EnergyEstimateProbe, Probe

__all__ = ["configured_probes"]


def configured_probes(probes: Sequence[Probe], settings: RunSettings) -> list[Probe]:
    """``probes`` with the energy estimate set up from the ini options."""
    configured = []
    for probe in probes:
        if isinstance(probe, EnergyEstimateProbe):
            probe = EnergyEstimateProbe(
                settings.cpu_power,
                enabled=settings.energy_estimate,
                fallback_for=probe.fallback_for,
            )
        configured.append(probe)
    return configured
