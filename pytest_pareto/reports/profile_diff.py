"""Where the time went: the profile of a dominated result against its reference's, as a table.

Both profiles are single passes taken after the timed rounds
(:mod:`~pytest_pareto.measuring.profiling`); functions are matched by file and name, so a
function whose line moved still matches. The rows are the functions whose own time grew
most; with no reference profile, the new result's own top functions.
"""

from __future__ import annotations

from dataclasses import dataclass

from pytest_pareto.judging.verdict import Outcome, Verdict
from pytest_pareto.measuring.profiling import FunctionCost, ProfileSummary
from pytest_pareto.model.units import format_value

__all__ = [
    "PROFILE_DIFF_HEADERS",
    "CostChange",
    "ProfileTable",
    "profile_changes",
    "profile_table",
]

SHOWN_IN_MESSAGE = 5
PROFILE_DIFF_HEADERS = (
    "function",
    "file:line",
    "own time before → after",
    "change",
    "calls before → after",
)


@dataclass(frozen=True)
class CostChange:
    """One function's own time and calls before (the reference) and after (the new result)."""

    function: str
    location: str
    own_before: float
    own_after: float
    calls_before: int
    calls_after: int

    @property
    def growth(self) -> float:
        return self.own_after - self.own_before

    def row(self) -> list[str]:
        return [
            self.function,
            self.location,
            f"{format_value(self.own_before, 's')} → {format_value(self.own_after, 's')}",
            f"{self.growth / self.own_before:+.0%}" if self.own_before > 0 else "new",
            f"{self.calls_before} → {self.calls_after}",
        ]


@dataclass(frozen=True)
class ProfileTable:
    """What a report shows of the profiles: a heading, the table, its rows most-grown first."""

    heading: str
    headers: tuple[str, ...]
    rows: tuple[list[str], ...]


def profile_changes(before: ProfileSummary, after: ProfileSummary) -> list[CostChange]:
    """Functions whose own time grew, most first (a function kept in only one summary
    counts as zero on the other side)."""
    old: dict[tuple[str, str], FunctionCost] = {f.key: f for f in before.functions}
    changes = []
    for cost in after.functions:
        was = old.get(cost.key)
        change = CostChange(
            cost.function,
            cost.location,
            was.own_s if was else 0.0,
            cost.own_s,
            was.calls if was else 0,
            cost.calls,
        )
        if change.growth > 0:
            changes.append(change)
    return sorted(changes, key=lambda c: -c.growth)


def profile_table(
    verdict: Verdict, limit: int | None = None, *, always: bool = False
) -> ProfileTable | None:
    """The profile diff of a dominated verdict (``always``: of any verdict, e.g. over its
    budget) whose new result was profiled; ``None`` otherwise. ``limit``: rows at most (the
    message shows 5, the HTML report all)."""
    after = ProfileSummary.of_point_info(verdict.candidate.extra_info)
    if after is None or not (always or verdict.outcome is Outcome.DOMINATED):
        return None
    reference = verdict.decisive.reference if verdict.decisive else None
    before = ProfileSummary.of_point_info(reference.extra_info) if reference else None
    if before is None:
        rows = [
            [f.function, f.location, format_value(f.own_s, "s"), str(f.calls)]
            for f in after.functions
        ]
        return ProfileTable(
            "where the time went: no profile of the reference point to diff against (a point "
            "stored before profiles were kept has none); the new result's functions with the "
            "most own time:",
            ("function", "file:line", "own time", "calls"),
            tuple(rows[:limit]),
        )
    changes = profile_changes(before, after)
    return ProfileTable(
        "where the time went (one profiled pass each): the functions whose own time grew most",
        PROFILE_DIFF_HEADERS,
        tuple(c.row() for c in changes[:limit]),
    )
