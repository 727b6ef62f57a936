"""The pytest plugin's hooks and the ``pareto`` fixture; each hands over to its topic.

pytest loads this module through the ``pytest11`` entry point, in every run, whatever the run
selects: so it imports only what registering the options needs. The options are registered in
:mod:`.options` and parsed once into :class:`.settings.Settings`; :mod:`.session` sets up the
run and builds the measuring part (:mod:`.run`: probes, the machine, the store, replication,
judging) only once a measured test is collected (see :class:`.session.ParetoSession`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from pytest_pareto import hookspecs
from pytest_pareto.plugin import options, speed

if TYPE_CHECKING:
    from pytest_pareto.measuring.recorder import Recorder

__all__ = ["pareto"]


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    pluginmanager.add_hookspecs(hookspecs)


def pytest_addoption(parser: pytest.Parser) -> None:
    options.register(parser)


def pytest_load_initial_conftests(args: list[str]) -> None:
    """Before conftest files and test modules: the process's speed before user code."""
    speed.take_reference(args)


def pytest_configure(config: pytest.Config) -> None:
    from pytest_pareto.plugin import session

    session.start(config)


def pytest_unconfigure(config: pytest.Config) -> None:
    from pytest_pareto.plugin import session

    session.stop(config)


@pytest.fixture
def pareto(request: pytest.FixtureRequest) -> Recorder:
    """Measure a call and record metrics: ``pareto(fn, *args)``, ``pareto.record(...)``."""
    from pytest_pareto.plugin import session

    return session.recorder_for(request)
