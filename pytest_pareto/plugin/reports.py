"""Reports of a pytest run: ``--pareto-report`` files and JUnit XML properties.

``--pareto-report PATH`` (repeatable) writes the run's verdicts when the session ends, in the
format the suffix names: ``.json`` (machine-readable, :mod:`pytest_pareto.reports.run_report`),
``.md`` (a summary; also appended to ``$GITHUB_STEP_SUMMARY`` when set) or ``.html``
(self-contained, plots embedded). Each measured test also gets JUnit XML properties:
``pareto_<metric>`` (its value in the metric's base unit), ``pareto_<metric>_change`` (the
relative change against the decisive stored point) and ``pareto_against`` (that point's id),
next to the plugin's ``pareto_outcome``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from pytest_pareto.errors import ParetoError
from pytest_pareto.judging.verdict import Verdict
from pytest_pareto.reports.report_files import write_report
from pytest_pareto.reports.run_report import RunReport

__all__ = ["ReportFiles", "junit_properties"]


def junit_properties(verdict: Verdict) -> list[tuple[str, object]]:
    """The verdict's key metrics as ``(name, value)`` pairs for JUnit XML properties."""
    properties: list[tuple[str, object]] = []
    for name in sorted(verdict.candidate.metric_names):
        properties.append((f"pareto_{name}", verdict.candidate.value(name)))
    if verdict.decisive is not None:
        for comparison in verdict.decisive.comparisons:
            if comparison.change is not None:
                properties.append((f"pareto_{comparison.metric.name}_change", comparison.change))
        properties.append(("pareto_against", verdict.decisive.reference.id))
    return properties


class ReportFiles:
    """The ``--pareto-report`` files, written once the run's results are final."""

    def __init__(self, folder: Path, paths: Sequence[str]) -> None:
        self.targets = [Path(folder, path) for path in paths]
        self.written: list[str] = []
        """Each file written, or ``error: ...``."""

    def write(self, report: RunReport) -> bool:
        """Write every file; ``False`` when one could not be written."""
        ok = True
        for target in self.targets:
            try:
                self.written += [str(p) for p in write_report(target, report)]
            except ParetoError as exc:
                self.written.append(f"error: {exc}")
                ok = False
        return ok

    def write_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        for line in self.written:
            if line.startswith("error: "):
                terminalreporter.write_line(f"pareto report {line}", red=True)
            else:
                terminalreporter.write_line(f"pareto report: {line}")
