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

from pathlib import Path

import pytest

from pytest_pareto.errors import ParetoError
from pytest_pareto.judging.verdict import Verdict
from pytest_pareto.plugin import session_key
from pytest_pareto.reports.report_files import write_report
from pytest_pareto.reports.run_report import REPORT_SUFFIXES, RunReport

__all__ = ["junit_properties"]

_written_key = pytest.StashKey[list[str]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("pareto")
    group.addoption(
        "--pareto-report",
        metavar="PATH",
        action="append",
        default=[],
        help="write the run's verdicts to PATH: .json (machine-readable), .md (markdown "
        "summary, also appended to $GITHUB_STEP_SUMMARY when set) or .html (self-contained, "
        "with plots); repeatable. Example: pytest --pareto-report pareto.md",
    )


def pytest_configure(config: pytest.Config) -> None:
    for path in config.getoption("pareto_report"):
        if Path(path).suffix.lower() not in REPORT_SUFFIXES:
            raise pytest.UsageError(
                f"--pareto-report {path}: name the file with one of "
                f"{', '.join(REPORT_SUFFIXES)} to choose the format"
            )


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


def pytest_pareto_verdict(item: pytest.Item, verdict: Verdict) -> None:
    item.user_properties.extend(junit_properties(verdict))


def _run_report(config: pytest.Config) -> RunReport:
    session = config.stash.get(session_key, None)
    if session is None:
        return RunReport(verdicts=(), mode="disabled")
    return RunReport(
        verdicts=tuple(session.verdicts),
        changes=tuple(session.changes),
        errors=tuple(session.errors),
        mode="update" if session.update else "judge",
        strict=session.strict,
        commit=session.commit,
        machine=session.machine,
    )


@pytest.hookimpl(trylast=True)  # after the plugin has applied --pareto-update
def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    paths = config.getoption("pareto_report")
    if not paths or hasattr(config, "workerinput"):
        return
    report = _run_report(config)
    written: list[str] = []
    for path in paths:
        target = Path(config.invocation_params.dir, path)
        try:
            written += [str(p) for p in write_report(target, report)]
        except ParetoError as exc:
            written.append(f"error: {exc}")
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
    config.stash[_written_key] = written


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for line in terminalreporter.config.stash.get(_written_key, []):
        if line.startswith("error: "):
            terminalreporter.write_line(f"pareto report {line}", red=True)
        else:
            terminalreporter.write_line(f"pareto report: {line}")
