"""What a measuring run measures with, and where: its settings, its probes and the machine.

Built apart from the rest of the run (:class:`~pytest_pareto.plugin.run.MeasuringRun`) because
the pytest header shows them: a run that shows the header but measures nothing then imports
the probes and the machine fingerprint, not judging, replication or reports.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from pytest_pareto.model.machine import Machine, current_machine
from pytest_pareto.plugin.hardware import configured_probes
from pytest_pareto.plugin.settings import RunSettings, header_line
from pytest_pareto.plugin.xdist import header_lines as xdist_header_lines
from pytest_pareto.probes import Probe, builtin_probes
from pytest_pareto.probes.probe_report import header_lines as probe_header_lines

__all__ = ["RunInputs"]


@dataclass(frozen=True)
class RunInputs:
    """A measuring run's settings, probes and machine (see the module doc)."""

    settings: RunSettings
    probes: list[Probe]
    """The built-in probes and those plugins add, set up from the ini options."""
    machine: Machine

    @classmethod
    def build(cls, config: pytest.Config, settings: RunSettings) -> RunInputs:
        probes: list[Probe] = builtin_probes()
        for extra in config.pluginmanager.hook.pytest_pareto_add_probes(config=config):
            probes.extend(extra)
        return cls(settings, configured_probes(probes, settings), current_machine())

    def header_lines(self, config: pytest.Config) -> list[str]:
        return [
            *xdist_header_lines(config),
            header_line(config, self.settings.store),
            f"pareto machine: {self.machine.summary()}",
            *probe_header_lines(self.probes),
        ]
