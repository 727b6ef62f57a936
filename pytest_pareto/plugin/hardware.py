"""pytest layer of the hardware probes: the ini options of the energy estimate."""

from __future__ import annotations

import pytest

from pytest_pareto.errors import ConfigError
from pytest_pareto.plugin import session_key
from pytest_pareto.probes import EnergyEstimateProbe
from pytest_pareto.probes.energy_estimate import parse_tdp

__all__ = ["pytest_addoption", "pytest_configure"]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        "pareto_energy_estimate",
        "add energy_estimate (CPU time x TDP per thread, labelled an estimate, never gating) "
        "to every measured test where no energy counter works",
        type="bool",
        default=False,
    )
    parser.addini(
        "pareto_cpu_tdp",
        "the CPU's TDP for energy_estimate: WATTS or WATTS/THREADS per package (e.g. 280/128); "
        "default: a table of common CPUs",
        default="",
    )


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    session = config.stash.get(session_key, None)
    if session is None:
        return
    tdp = str(config.getini("pareto_cpu_tdp")).strip()
    try:
        power = parse_tdp(tdp) if tdp else None
    except ConfigError as exc:
        raise pytest.UsageError(f"pytest-pareto: {exc}") from None
    enabled = bool(config.getini("pareto_energy_estimate"))
    for probe in session.probes:
        if isinstance(probe, EnergyEstimateProbe):
            configured = EnergyEstimateProbe(
                power, enabled=enabled, fallback_for=probe.fallback_for
            )
            session.probes[session.probes.index(probe)] = configured
