"""The plugin's one attribute on a call report, ``report.pareto``: plain JSON, so that it
travels with the report from an xdist worker to the controller.

It holds the test's verdict, the options of its group (a variant) and the notes of derived
objectives that could not be computed; each key only when there is something to say.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from pytest_pareto.judging.verdict import Verdict
from pytest_pareto.measuring.options import TestOptions
from pytest_pareto.model.metrics import Tolerance
from pytest_pareto.plugin.derived import notes_of
from pytest_pareto.plugin.keys import options_of, verdict_key

__all__ = ["Payload", "attach_payload"]


def attach_payload(item: pytest.Item, report: pytest.TestReport) -> None:
    """Put what the controller needs to know of ``item``'s call on its report."""
    data: dict[str, Any] = {}
    verdict = item.stash.get(verdict_key, None)
    if verdict is not None:
        data["verdict"] = verdict.to_json()
        options = options_of(item)
        if options.group:
            data["group"] = _group_json(options)
    notes = notes_of(item)
    if notes:
        data["notes"] = notes
    if data:
        report.pareto = data  # type: ignore[attr-defined]


def _group_json(options: TestOptions) -> dict[str, Any]:
    """What judging a variant at session end needs of its options."""
    return {
        "name": options.group,
        "metrics": list(options.metrics) if options.metrics is not None else None,
        "tolerance": {name: {"rel": t.rel, "abs": t.abs} for name, t in options.tolerance.items()},
        "processes": options.processes,
    }


@dataclass(frozen=True)
class Payload:
    """``report.pareto`` read back."""

    verdict: Verdict | None = None
    group: str | None = None
    group_options: TestOptions = field(default_factory=TestOptions)
    """The options a variant is judged with at session end (metrics, tolerance, processes)."""
    notes: tuple[str, ...] = ()

    @classmethod
    def of(cls, report: pytest.TestReport) -> Payload | None:
        """The payload of a call report; ``None`` for other reports and unmeasured tests."""
        data: dict[str, Any] | None = getattr(report, "pareto", None)
        if report.when != "call" or data is None:
            return None
        verdict = Verdict.from_json(data["verdict"]) if "verdict" in data else None
        spec = data.get("group")
        if spec is None:
            return cls(verdict=verdict, notes=tuple(data.get("notes", ())))
        options = TestOptions(
            metrics=tuple(spec["metrics"]) if spec["metrics"] is not None else None,
            tolerance={name: Tolerance(**t) for name, t in spec["tolerance"].items()},
            processes=spec["processes"],
        )
        return cls(verdict, str(spec["name"]), options, tuple(data.get("notes", ())))
