"""How often a measurement calls: rounds, iterations and warm-up, validated in one place.

The marker's arguments, :class:`~pytest_pareto.measuring.measure.MeasureOptions` and
``pareto.pedantic()`` name these counts their own way; each passes its spelling as labels.
"""

from __future__ import annotations

from collections.abc import Collection

from pytest_pareto.errors import ConfigError

__all__ = ["MARKER_LABELS", "check_count", "check_repetitions"]

MARKER_LABELS = ("rounds=", "iterations=", "warmup=")
"""How the marker (and :class:`~pytest_pareto.measuring.measure.MeasureOptions`) names them."""

_MINIMUMS = {"rounds": 1, "iterations": 1, "warmup": 0}


def check_count(label: str, value: object, minimum: int) -> None:
    """Raise :class:`ConfigError` unless ``value`` is an integer (not a bool) >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(f"{label} must be an integer >= {minimum}, got {value!r}")


def check_repetitions(
    rounds: object,
    iterations: object,
    warmup: object,
    *,
    labels: tuple[str, str, str] = MARKER_LABELS,
    automatic: Collection[str] = ("rounds", "iterations", "warmup"),
) -> None:
    """Rounds and iterations must be integers >= 1, warm-up an integer >= 0; those named in
    ``automatic`` may also be ``None`` (chosen automatically). ``labels`` name the three in
    errors, in that order."""
    values = (rounds, iterations, warmup)
    for label, (name, minimum), value in zip(labels, _MINIMUMS.items(), values, strict=True):
        if value is not None or name not in automatic:
            check_count(label, value, minimum)
