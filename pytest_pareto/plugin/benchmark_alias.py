"""An opt-in ``benchmark`` fixture that is the ``pareto`` fixture, for pytest-benchmark tests.

Enabled by the ini option ``pareto_benchmark_fixture = true``. Two plugins cannot both own a
fixture name, so pytest-benchmark must then be disabled (``-p no:benchmark``) or uninstalled.
"""

from __future__ import annotations

import pytest

from pytest_pareto.measuring.recorder import Recorder
from pytest_pareto.plugin.options import BENCHMARK_FIXTURE_INI

__all__ = ["BenchmarkAlias", "check_no_benchmark_plugin"]


class BenchmarkAlias:
    """Registered as a plugin when the ini option asks for it."""

    @pytest.fixture
    def benchmark(self, pareto: Recorder) -> Recorder:
        """The ``pareto`` fixture under pytest-benchmark's name."""
        return pareto


def check_no_benchmark_plugin(config: pytest.Config) -> None:
    if config.pluginmanager.has_plugin("benchmark"):
        raise pytest.UsageError(
            f"pytest-pareto: {BENCHMARK_FIXTURE_INI} = true gives pytest-pareto the `benchmark` "
            "fixture, but pytest-benchmark is active and owns it; disable it with "
            "-p no:benchmark (e.g. in addopts) or uninstall it"
        )
