"""What ``%%pareto`` measured and how it was judged, or what ``%pareto_history`` found stored."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_pareto.judging.dominance import strictly_dominates
from pytest_pareto.judging.verdict import Outcome, Verdict
from pytest_pareto.model.metrics import BUILTIN_METRICS, Metric
from pytest_pareto.model.points import HistoryEntry, Point

__all__ = ["ParetoResult", "Role"]


class Role(enum.Enum):
    """How a point is drawn in the frontier scatter."""

    NEW = "new"
    """The result just measured (highlighted)."""
    FRONTIER = "frontier"
    """A stored frontier point this result was judged against."""
    DOMINATED = "dominated"
    """An earlier run or retired point that a frontier point dominates (shaded)."""
    HISTORY = "history"
    """An earlier run or retired point that no frontier point dominates."""


@dataclass(frozen=True)
class ParetoResult:
    """One test's frontier and history, with the new point and its verdict if a cell ran.

    ``%%pareto ... -o`` returns it. Plain data: ``%load_ext nb_ext`` registers its display
    (:func:`nb_ext.show.register_result_display`).
    """

    test_id: str
    metrics: Mapping[str, Metric]
    frontier: tuple[Point, ...] = ()
    """The stored points comparable with this machine."""
    history: tuple[HistoryEntry, ...] = ()
    """This machine's history entries, oldest first (the new run included)."""
    new: Point | None = None
    verdict: Verdict | None = None
    store_file: Path | None = None
    notes: tuple[str, ...] = ()
    value: Any = None
    """The value of the cell's last expression."""
    rounds: int | None = None
    iterations: int | None = None

    @property
    def outcome(self) -> Outcome | None:
        return self.verdict.outcome if self.verdict is not None else None

    @property
    def name(self) -> str:
        return self.test_id.partition("::")[2] or self.test_id

    def metric_names(self) -> list[str]:
        """Metrics any drawn point has: measured ones first, in a fixed order, then recorded."""
        present: set[str] = set()
        for point in self._all_points():
            present |= point.metric_names
        present &= set(self.metrics)
        builtin = [name for name in BUILTIN_METRICS if name in present]
        return builtin + sorted(present - set(builtin))

    def runs(self) -> list[Point]:
        """The measured runs in order, the new one last."""
        runs = [entry.point for entry in self.history if entry.event == "run"]
        if self.new is not None and all(p.id != self.new.id for p in runs):
            runs.append(self.new)
        return runs

    def roles(self) -> list[tuple[Point, Role]]:
        """Every point to draw, once, with its role."""
        shown: list[tuple[Point, Role]] = [(p, Role.FRONTIER) for p in self.frontier]
        seen = {p.id for p in self.frontier}
        if self.new is not None:
            seen.add(self.new.id)
        for entry in self.history:
            point = entry.point
            if point.id in seen:
                continue
            seen.add(point.id)
            dominated = any(self._dominates(f, point) for f in self.frontier)
            shown.append((point, Role.DOMINATED if dominated else Role.HISTORY))
        if self.new is not None:
            shown.append((self.new, Role.NEW))
        return shown

    def _dominates(self, left: Point, right: Point) -> bool:
        common = sorted(left.metric_names & right.metric_names & set(self.metrics))
        return bool(common) and strictly_dominates(
            left, right, [self.metrics[name] for name in common]
        )

    def _all_points(self) -> list[Point]:
        points = [*self.frontier, *(entry.point for entry in self.history)]
        if self.new is not None:
            points.append(self.new)
        return points

    def to_json(self) -> dict[str, Any]:
        """Machine-readable form (the display's JSON mime type)."""
        return {
            "test_id": self.test_id,
            "outcome": self.outcome.value if self.outcome is not None else None,
            "verdict": self.verdict.to_json() if self.verdict is not None else None,
            "new": self.new.to_json() if self.new is not None else None,
            "frontier": [p.to_json() for p in self.frontier],
            "runs": len(self.runs()),
            "store_file": str(self.store_file) if self.store_file is not None else None,
            "notes": list(self.notes),
        }
