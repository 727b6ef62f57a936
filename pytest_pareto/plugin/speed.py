"""The process's speed before any user code: the reference that tells a slow host from code
that slows the whole interpreter (see :mod:`pytest_pareto.measuring.speed_reference`)."""

from __future__ import annotations

from collections.abc import Sequence

from pytest_pareto.measuring.speed_reference import take_process_reference

__all__ = ["take_reference"]


def take_reference(args: Sequence[str]) -> None:
    """Time the reference loop, unless this run measures nothing (``--pareto-disable``)."""
    if "--pareto-disable" not in args:
        take_process_reference()
