"""The result of one pytest run as data: verdicts, frontier changes, and where it ran.

A :class:`RunReport` is what ``pytest --pareto-report PATH`` writes: JSON for machines
(:data:`REPORT_FORMAT`, :data:`REPORT_SCHEMA_VERSION`), a markdown summary or a
self-contained HTML page for people. ``pytest-pareto compare`` reads the JSON back.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_pareto._version import __version__
from pytest_pareto.errors import ConfigError
from pytest_pareto.frontier.maintenance import FrontierChange
from pytest_pareto.judging.verdict import BY_SEVERITY, Verdict
from pytest_pareto.model.machine import Machine
from pytest_pareto.model.points import Point, utc_now
from pytest_pareto.reports.allocation_diff import allocation_table
from pytest_pareto.reports.profile_diff import profile_table

__all__ = [
    "REPORT_FORMAT",
    "REPORT_SCHEMA_VERSION",
    "REPORT_SUFFIXES",
    "STEP_SUMMARY_VARIABLE",
    "RunReport",
    "change_from_json",
    "change_to_json",
    "load_report",
]

REPORT_FORMAT = "pytest-pareto report"
REPORT_SCHEMA_VERSION = 1
REPORT_SUFFIXES = (".json", ".md", ".html")
STEP_SUMMARY_VARIABLE = "GITHUB_STEP_SUMMARY"


def change_to_json(change: FrontierChange) -> dict[str, Any]:
    """A frontier change as JSON: the accepted point and the points that left, in full."""
    data: dict[str, Any] = {
        "test_id": change.test_id,
        "description": change.describe(),
        "added": change.candidate.to_json(),
        "retired": [p.to_json() for p in change.retired],
        "pruned": [p.to_json() for p in change.pruned],
        "superseded": [p.to_json() for p in change.superseded],
        "kept": change.kept,
    }
    if change.equal_to is not None:
        data["equal_to"] = change.equal_to.to_json()
    if change.regressions:
        data["regressions"] = dict(change.regressions)
    return data


def change_from_json(data: Mapping[str, Any], where: str) -> FrontierChange:
    def points(key: str) -> tuple[Point, ...]:
        return tuple(Point.from_json(p, f"{where}, {key}") for p in data.get(key, []))

    equal = data.get("equal_to")
    return FrontierChange(
        test_id=str(data["test_id"]),
        candidate=Point.from_json(data["added"], f"{where}, added"),
        equal_to=Point.from_json(equal, f"{where}, equal_to") if equal is not None else None,
        retired=points("retired"),
        pruned=points("pruned"),
        superseded=points("superseded"),
        kept=int(data.get("kept", 0)),
        regressions={str(k): str(v) for k, v in data.get("regressions", {}).items()},
    )


def _where_it_went(verdict: Verdict, *, judged: bool) -> dict[str, Any]:
    """The profile and allocation diffs of a dominated test or one over its budget, as the
    HTML report shows them (see :func:`~pytest_pareto.reports.html.render_html`)."""
    tables = {
        "where_time_went": profile_table(verdict, always=judged),
        "where_memory_went": allocation_table(verdict, always=judged),
    }
    return {
        key: {"heading": t.heading, "headers": list(t.headers), "rows": [list(r) for r in t.rows]}
        for key, t in tables.items()
        if t is not None
    }


@dataclass(frozen=True)
class RunReport:
    """Everything a report says about one pytest run."""

    verdicts: tuple[Verdict, ...]
    changes: tuple[FrontierChange, ...] = ()
    errors: tuple[str, ...] = ()
    mode: str = "judge"
    """``judge`` (a normal run), ``update`` (``--pareto-update``) or ``disabled``."""
    strict: bool = False
    commit: str | None = None
    machine: Machine | None = None
    created_at: str = field(default_factory=utc_now)
    version: str = __version__
    """The pytest-pareto version that wrote the report."""

    def fails(self, verdict: Verdict) -> bool:
        """Whether this verdict failed its test in this run (never in update mode)."""
        return self.mode == "judge" and verdict.fails(strict=self.strict)

    @property
    def failed(self) -> list[Verdict]:
        return [v for v in self.verdicts if self.fails(v)]

    def counts(self) -> dict[str, int]:
        """Verdicts per outcome, worst first, outcomes with none left out."""
        counts = {o.value: sum(v.outcome is o for v in self.verdicts) for o in BY_SEVERITY}
        return {name: n for name, n in counts.items() if n}

    def headline(self) -> str:
        """One line: how many tests had which outcome (``1 dominated, 3 pass``)."""
        if not self.verdicts:
            return "no measured tests"
        return ", ".join(f"{n} {outcome}" for outcome, n in self.counts().items())

    def sorted_verdicts(self) -> list[Verdict]:
        """Failing tests first, then by outcome severity, then by test id."""
        return sorted(
            self.verdicts,
            key=lambda v: (not self.fails(v), BY_SEVERITY.index(v.outcome), v.test_id),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "format": REPORT_FORMAT,
            "schema_version": REPORT_SCHEMA_VERSION,
            "pytest_pareto_version": self.version,
            "created_at": self.created_at,
            "mode": self.mode,
            "strict": self.strict,
            "commit": self.commit,
            "machine": self.machine.to_json() if self.machine is not None else None,
            "summary": {
                "tests": len(self.verdicts),
                "outcomes": self.counts(),
                "failed": [v.test_id for v in self.failed],
            },
            "tests": [
                {
                    **v.to_json(),
                    "fails": self.fails(v),
                    **_where_it_went(v, judged=self.mode == "judge"),
                }
                for v in self.sorted_verdicts()
            ],
            "changes": [change_to_json(c) for c in self.changes],
            "errors": list(self.errors),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any], where: str = "report") -> RunReport:
        if not isinstance(data, Mapping) or data.get("format") != REPORT_FORMAT:
            raise ConfigError(
                f'{where}: not a pytest-pareto report (no "format": "{REPORT_FORMAT}"); '
                f"write one with: pytest --pareto-report {where}"
            )
        version = data.get("schema_version")
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise ConfigError(f"{where}: 'schema_version' must be a positive integer")
        if version > REPORT_SCHEMA_VERSION:
            raise ConfigError(
                f"{where}: written by a newer pytest-pareto (report schema {version}, this one "
                f"reads up to {REPORT_SCHEMA_VERSION}); upgrade: pip install -U pytest-pareto"
            )
        try:
            machine = data.get("machine")
            return cls(
                verdicts=tuple(Verdict.from_json(entry) for entry in data["tests"]),
                changes=tuple(
                    change_from_json(c, f"{where}, change {i}")
                    for i, c in enumerate(data.get("changes", []))
                ),
                errors=tuple(str(e) for e in data.get("errors", [])),
                mode=str(data.get("mode", "judge")),
                strict=bool(data.get("strict", False)),
                commit=data.get("commit"),
                machine=Machine.from_json(machine, where) if machine is not None else None,
                created_at=str(data.get("created_at", "")),
                version=str(data.get("pytest_pareto_version", "")),
            )
        except ConfigError:
            raise
        except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
            raise ConfigError(f"{where}: the report is malformed ({exc!r})") from None


def load_report(path: Path | str) -> RunReport:
    """Read a JSON report written by ``pytest --pareto-report FILE.json``."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read ({exc})") from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ConfigError(f"{path}: not valid JSON ({exc})") from None
    return RunReport.from_json(data, str(path))
