"""Units written by users (``2s``, ``512MiB``, ``3Wh``) converted to a metric's base unit."""

from __future__ import annotations

import math
from collections.abc import Mapping

from pytest_pareto.errors import ConfigError

__all__ = ["UNITS", "format_value", "to_base_unit", "unit_scale", "units_for"]

# One table for reading and writing units: base unit -> (name, factor to the base unit,
# whether values are shown in it). Names not shown are accepted from users only.
_TABLE: Mapping[str, tuple[tuple[str, float, bool], ...]] = {
    "s": (
        ("ns", 1e-9, True),
        ("us", 1e-6, False),
        ("µs", 1e-6, True),
        ("ms", 1e-3, True),
        ("s", 1.0, True),
        ("min", 60.0, False),
        ("h", 3600.0, False),
    ),
    "B": (
        ("B", 1.0, True),
        ("kB", 1e3, False),
        ("KB", 1e3, False),
        ("MB", 1e6, False),
        ("GB", 1e9, False),
        ("TB", 1e12, False),
        ("KiB", 2.0**10, True),
        ("MiB", 2.0**20, True),
        ("GiB", 2.0**30, True),
        ("TiB", 2.0**40, True),
    ),
    "J": (
        ("µJ", 1e-6, True),
        ("mJ", 1e-3, True),
        ("J", 1.0, True),
        ("kJ", 1e3, True),
        ("MJ", 1e6, True),
        ("mWh", 3.6, False),
        ("Wh", 3600.0, False),
        ("kWh", 3.6e6, False),
    ),
    "W": (("mW", 1e-3, True), ("W", 1.0, True), ("kW", 1e3, True)),
    "FLOP": (
        ("FLOP", 1.0, True),
        ("kFLOP", 1e3, True),
        ("MFLOP", 1e6, True),
        ("GFLOP", 1e9, True),
        ("TFLOP", 1e12, True),
        ("PFLOP", 1e15, False),
    ),
}

UNITS: Mapping[str, Mapping[str, float]] = {
    base: {name: factor for name, factor, _shown in rows} for base, rows in _TABLE.items()
}
"""Base unit -> the units a user may write for it, with their factor to the base unit.
Decimal prefixes are powers of 1000 (``GB``), binary ones powers of 1024 (``GiB``)."""

_SHOWN: Mapping[str, list[tuple[float, str]]] = {
    base: sorted((factor, name) for name, factor, shown in rows if shown)
    for base, rows in _TABLE.items()
}


def unit_scale(magnitude: float, unit: str = "") -> tuple[float, str]:
    """The factor and label that show values of about ``magnitude`` readably (axes, columns).

    ``unit_scale(0.0123, "s")`` is ``(1e-3, "ms")``; an unknown unit is kept as it is.
    """
    scales = _SHOWN.get(unit)
    if scales is None or not math.isfinite(magnitude):
        return 1.0, unit
    factor, label = scales[0]
    for candidate_factor, candidate_label in scales:
        if abs(magnitude) >= candidate_factor:
            factor, label = candidate_factor, candidate_label
    return factor, label


def format_value(value: float, unit: str = "") -> str:
    """A value with a readable unit prefix: ``0.0123, "s"`` -> ``12.3 ms``."""
    if not math.isfinite(value):
        return str(value)
    if unit not in _SHOWN:
        text = f"{value:.4g}"
        return f"{text} {unit}" if unit else text
    factor, label = unit_scale(value, unit)
    return f"{value / factor:.3g} {label}"


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
