"""An opt-in ``benchmark`` fixture that is the ``pareto`` fixture, for pytest-benchmark tests.

Enabled by the ini option ``pareto_benchmark_fixture = true``. Two plugins cannot both own a
fixture name, so pytest-benchmark must then be disabled (``-p no:benchmark``) or uninstalled.
"""

from __future__ import annotations

import pytest

from pytest_pareto.measuring.recorder import Recorder

__all__ = ["BenchmarkAlias", "pytest_addoption", "pytest_configure"]

INI = "pareto_benchmark_fixture"
PLUGIN_NAME = "pareto-benchmark-alias"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        INI,
        "provide a `benchmark` fixture that is the `pareto` fixture, so tests written for "
        "pytest-benchmark run unchanged (needs pytest-benchmark disabled: -p no:benchmark)",
        type="bool",
        default=False,
    )


class BenchmarkAlias:
    """Registered as a plugin when the ini option asks for it."""

    @pytest.fixture
    def benchmark(self, pareto: Recorder) -> Recorder:
        """The ``pareto`` fixture under pytest-benchmark's name."""
        return pareto


def pytest_configure(config: pytest.Config) -> None:
    if not config.getini(INI):
        return
    if config.pluginmanager.has_plugin("benchmark"):
        raise pytest.UsageError(
            f"pytest-pareto: {INI} = true gives pytest-pareto the `benchmark` fixture, but "
            "pytest-benchmark is active and owns it; disable it with -p no:benchmark "
            "(e.g. in addopts) or uninstall it"
        )
    config.pluginmanager.register(BenchmarkAlias(), PLUGIN_NAME)
