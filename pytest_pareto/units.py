"""Units written by users (``2s``, ``512MiB``, ``3Wh``) converted to a metric's base unit."""

from __future__ import annotations

from collections.abc import Mapping

from pytest_pareto.errors import ConfigError

__all__ = ["UNITS", "to_base_unit", "units_for"]

UNITS: Mapping[str, Mapping[str, float]] = {
    "s": {
        "ns": 1e-9,
        "us": 1e-6,
        "µs": 1e-6,
        "ms": 1e-3,
        "s": 1.0,
        "min": 60.0,
        "h": 3600.0,
    },
    "B": {
        "B": 1.0,
        "kB": 1e3,
        "KB": 1e3,
        "MB": 1e6,
        "GB": 1e9,
        "TB": 1e12,
        "KiB": 2.0**10,
        "MiB": 2.0**20,
        "GiB": 2.0**30,
        "TiB": 2.0**40,
    },
    "J": {
        "mJ": 1e-3,
        "J": 1.0,
        "kJ": 1e3,
        "MJ": 1e6,
        "mWh": 3.6,
        "Wh": 3600.0,
        "kWh": 3.6e6,
    },
    "W": {"mW": 1e-3, "W": 1.0, "kW": 1e3},
    "FLOP": {
        "FLOP": 1.0,
        "kFLOP": 1e3,
        "MFLOP": 1e6,
        "GFLOP": 1e9,
        "TFLOP": 1e12,
        "PFLOP": 1e15,
    },
}
"""Base unit -> the units a user may write for it, with their factor to the base unit.
Decimal prefixes are powers of 1000 (``GB``), binary ones powers of 1024 (``GiB``)."""


def units_for(metric_unit: str) -> Mapping[str, float]:
    """The units accepted for a metric whose base unit is ``metric_unit``."""
    known = UNITS.get(metric_unit)
    if known is not None:
        return known
    return {metric_unit: 1.0} if metric_unit else {}


def to_base_unit(amount: float, unit: str, metric_unit: str, *, metric: str = "") -> float:
    """``amount`` in ``unit`` expressed in ``metric_unit``; a missing unit means the base unit."""
    if not unit:
        return amount
    accepted = units_for(metric_unit)
    factor = accepted.get(unit)
    if factor is None:
        named = f"metric {metric!r}" if metric else "this metric"
        base = f"measured in {metric_unit!r}" if metric_unit else "unitless"
        choices = ", ".join(accepted) if accepted else "a plain number"
        raise ConfigError(f"unit {unit!r} does not fit {named} ({base}); use {choices}")
    return amount * factor
