"""Writing a run report in the format its file suffix names, and to GitHub's step summary."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from pytest_pareto.errors import ConfigError
from pytest_pareto.reports.html import render_html
from pytest_pareto.reports.markdown import render_markdown
from pytest_pareto.reports.run_report import REPORT_SUFFIXES, STEP_SUMMARY_VARIABLE, RunReport
from pytest_pareto.store.baseline_files import format_json

__all__ = ["render", "write_report"]


def render(report: RunReport, suffix: str) -> str:
    """The report in the format a file suffix names (``.json``, ``.md``, ``.html``)."""
    if suffix == ".json":
        return format_json(report.to_json())
    if suffix == ".md":
        return render_markdown(report)
    if suffix == ".html":
        return render_html(report)
    raise ConfigError(
        f"--pareto-report: cannot tell the format of {suffix or 'a file without suffix'!r}; "
        f"name the file with one of {', '.join(REPORT_SUFFIXES)}"
    )


def write_report(
    path: Path | str, report: RunReport, environ: Mapping[str, str] | None = None
) -> list[Path]:
    """Write ``report`` to ``path`` in the format its suffix names; return the files written.

    A markdown report is also appended to the file named by ``$GITHUB_STEP_SUMMARY`` when that
    variable is set (GitHub Actions shows it on the run's summary page).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    text = render(report, suffix)
    try:
        if path.parent != Path():
            path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"--pareto-report: cannot write {path} ({exc.strerror})") from None
    written = [path]
    environ = os.environ if environ is None else environ
    summary = environ.get(STEP_SUMMARY_VARIABLE)
    if suffix == ".md" and summary:
        try:
            with open(summary, "a", encoding="utf-8") as handle:
                handle.write(text if text.endswith("\n") else text + "\n")
        except OSError as exc:
            raise ConfigError(
                f"--pareto-report: cannot append to ${STEP_SUMMARY_VARIABLE} ({summary}: "
                f"{exc.strerror})"
            ) from None
        written.append(Path(summary))
    return written
