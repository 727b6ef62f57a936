"""pytest-xdist support: workers on one host measure noisy metrics one at a time.

Verdicts travel to the xdist controller on the call reports and only the controller writes
the store (see :mod:`pytest_pareto.plugin.session`); this module adds the measurement lock:
in an xdist worker, each measurement of a noisy metric (time, RSS) holds the host's
:func:`~pytest_pareto.store.locks.measurement_lock`, so a worker measures alone while the other
workers run ordinary tests and deterministic measurements.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import pytest

from pytest_pareto.plugin.options import SERIALIZE_INI
from pytest_pareto.plugin.settings import RunSettings
from pytest_pareto.store.locks import measurement_lock

if TYPE_CHECKING:
    from pytest_pareto.measuring.recorder import MeasureGuard

__all__ = ["header_lines", "is_xdist_controller", "is_xdist_worker", "measure_guard"]


def is_xdist_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def is_xdist_controller(config: pytest.Config) -> bool:
    return not is_xdist_worker(config) and bool(getattr(config.option, "numprocesses", None))


def measure_guard(config: pytest.Config, settings: RunSettings) -> MeasureGuard | None:
    """The lock an xdist worker holds around noisy measurements; ``None`` elsewhere."""
    if not is_xdist_worker(config) or not settings.serialize_measurements:
        return None
    return functools.partial(measurement_lock, settings.measure_lock_timeout)


def header_lines(config: pytest.Config) -> list[str]:
    if not is_xdist_controller(config):
        return []
    if bool(config.getini(SERIALIZE_INI)):
        return ["pareto xdist: workers measure noisy metrics one at a time (measurement lock)"]
    return [f"pareto xdist: workers measure at once ({SERIALIZE_INI} = false)"]
