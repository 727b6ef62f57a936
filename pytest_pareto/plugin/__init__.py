"""The pytest plugin's hooks and the ``pareto`` fixture; each hands over to its topic.

pytest loads this module through the ``pytest11`` entry point. The options are registered in
:mod:`.options` and parsed once into :class:`.settings.Settings`; :mod:`.session` sets up the
run and registers the plugins its mode needs (:mod:`.measured` for the tests, :mod:`.judging`,
:mod:`.groups`, :mod:`.replication` and the others, one topic each).
"""

from __future__ import annotations

import pytest

from pytest_pareto import hookspecs
from pytest_pareto.measuring.recorder import Recorder
from pytest_pareto.plugin import options, session, speed

__all__ = ["pareto"]


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    pluginmanager.add_hookspecs(hookspecs)


def pytest_addoption(parser: pytest.Parser) -> None:
    options.register(parser)


def pytest_load_initial_conftests(args: list[str]) -> None:
    """Before conftest files and test modules: the process's speed before user code."""
    speed.take_reference(args)


def pytest_configure(config: pytest.Config) -> None:
    session.start(config)


def pytest_unconfigure(config: pytest.Config) -> None:
    session.stop(config)


@pytest.fixture
def pareto(request: pytest.FixtureRequest) -> Recorder:
    """Measure a call and record metrics: ``pareto(fn, *args)``, ``pareto.record(...)``."""
    return session.recorder_for(request)
