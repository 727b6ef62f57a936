"""Stale baselines: stored points with noisy metrics that are old or from another machine.

Noisy metrics drift with the host (updates, thermal state, neighbours), so a verdict against an
old stored point, or one measured elsewhere, deserves a warning: re-record it, or measure the
baseline in the same run (``--pareto-against``).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence

from pytest_pareto.errors import ConfigError
from pytest_pareto.judging.verdict import Verdict
from pytest_pareto.model.machine import Machine
from pytest_pareto.model.points import utc_now
from pytest_pareto.replication.schedule import AGAINST_INFO

__all__ = ["parse_age", "stale_warnings"]

_AGE_UNITS = {"d": 86400.0, "h": 3600.0, "m": 60.0, "s": 1.0}


def parse_age(text: str) -> float | None:
    """Seconds in ``7d``, ``12h``, ``30m``, ``90s`` or a bare number of days; 0 is ``None``."""
    spec = text.strip().lower()
    factor = _AGE_UNITS.get(spec[-1:])
    number = spec[:-1] if factor is not None else spec
    try:
        value = float(number) * (factor if factor is not None else _AGE_UNITS["d"])
    except ValueError:
        raise ConfigError(
            f"ini pareto_baseline_max_age = {text!r} must be an age such as 7d, 12h or 30m"
        ) from None
    if value < 0:
        raise ConfigError(f"ini pareto_baseline_max_age = {text!r} must not be negative")
    return value or None


def _age_s(recorded_at: str, now: _dt.datetime) -> float | None:
    try:
        when = _dt.datetime.fromisoformat(recorded_at.replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=_dt.timezone.utc)
    return (now - when).total_seconds()


def _describe_age(seconds: float) -> str:
    if seconds >= 2 * 86400:
        return f"{seconds / 86400:.0f} days"
    if seconds >= 2 * 3600:
        return f"{seconds / 3600:.0f} hours"
    return f"{seconds / 60:.0f} minutes"


def stale_warnings(
    verdicts: Sequence[Verdict], machine: Machine, max_age_s: float | None
) -> list[str]:
    """Warnings for stored points with noisy metrics that are old or from another machine."""
    now = _dt.datetime.fromisoformat(utc_now().replace("Z", "+00:00"))
    warnings = []
    seen = set()
    for verdict in verdicts:
        for pc in verdict.against:
            point = pc.reference
            if AGAINST_INFO in point.extra_info or (verdict.test_id, point.id) in seen:
                continue
            if not any(c.metric.noisy for c in pc.comparisons):
                continue
            seen.add((verdict.test_id, point.id))
            problems = []
            age = _age_s(point.recorded_at, now)
            if max_age_s is not None and age is not None and age > max_age_s:
                problems.append(f"is {_describe_age(age)} old")
            if point.machine is None or point.machine.hardware_class != machine.hardware_class:
                where = point.machine.describe() if point.machine else "an unknown machine"
                problems.append(f"was measured on another machine ({where})")
            if problems:
                warnings.append(
                    f"{verdict.test_id}: stored point {point.id} {' and '.join(problems)}; "
                    "noisy metrics drift: re-record it with --pareto-update, or measure the "
                    "baseline in the same run with --pareto-against REF"
                )
    return warnings
