"""pytest-xdist support: workers on one host measure noisy metrics one at a time.

Verdicts travel to the controller on the call reports and only the controller writes the
store (see :mod:`pytest_pareto.plugin`); this module adds the measurement lock: in an xdist
worker, each measurement of a noisy metric (time, RSS) holds the host's
:func:`~pytest_pareto.store.locks.measurement_lock`, so a worker measures alone while the other
workers run ordinary tests and deterministic measurements.
"""

from __future__ import annotations

import functools

import pytest

from pytest_pareto.plugin import session_key
from pytest_pareto.store.locks import LOCK_TIMEOUT_S, measurement_lock

__all__ = ["SERIALIZE_INI", "TIMEOUT_INI", "is_xdist_worker"]

SERIALIZE_INI = "pareto_serialize_measurements"
TIMEOUT_INI = "pareto_measure_lock_timeout"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        SERIALIZE_INI,
        "under pytest-xdist, measure noisy metrics in one worker at a time (default true; "
        "false lets workers measure at once and disturb each other's timings)",
        type="bool",
        default=True,
    )
    parser.addini(
        TIMEOUT_INI,
        "seconds an xdist worker waits for the measurement lock before its test errors "
        "(0: no limit)",
        default=f"{LOCK_TIMEOUT_S:g}",
    )


def is_xdist_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def _is_xdist_controller(config: pytest.Config) -> bool:
    return not is_xdist_worker(config) and bool(getattr(config.option, "numprocesses", None))


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    session = config.stash.get(session_key, None)
    if session is None or not is_xdist_worker(config) or not config.getini(SERIALIZE_INI):
        return
    text = config.getini(TIMEOUT_INI)
    try:
        timeout = float(text)
    except ValueError:
        raise pytest.UsageError(
            f"pytest-pareto: ini {TIMEOUT_INI} must be a number of seconds, got {text!r}"
        ) from None
    session.measure_guard = functools.partial(measurement_lock, timeout if timeout > 0 else -1)


def pytest_report_header(config: pytest.Config) -> list[str]:
    if config.stash.get(session_key, None) is None or not _is_xdist_controller(config):
        return []
    if config.getini(SERIALIZE_INI):
        return ["pareto xdist: workers measure noisy metrics one at a time (measurement lock)"]
    return [f"pareto xdist: workers measure at once ({SERIALIZE_INI} = false)"]
