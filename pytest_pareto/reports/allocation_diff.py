"""Where the memory went: the allocations near a dominated result's peak against its
reference's, by ``file:line`` (:mod:`~pytest_pareto.measuring.allocations`)."""

from __future__ import annotations

from pytest_pareto.judging.verdict import Outcome, Verdict
from pytest_pareto.measuring.allocations import AllocationSummary
from pytest_pareto.model.units import format_value
from pytest_pareto.reports.profile_diff import ProfileTable

__all__ = [
    "ALLOCATION_DIFF_HEADERS",
    "RSS_NOTE",
    "allocation_rows",
    "allocation_table",
    "rss_note",
]

RSS_NOTE = (
    "peak RSS cannot be attributed to lines of code (not all of a process's memory is a "
    "Python allocation); the allocations near the Python peak are the nearest view"
)


def _worse_on(verdict: Verdict, metric: str) -> bool:
    decisive = verdict.decisive
    return decisive is not None and any(
        c.metric.name == metric and c.relation.value == "worse" for c in decisive.comparisons
    )


def rss_note(verdict: Verdict) -> str | None:
    """What to say when the verdict is dominated on ``peak_rss``."""
    if verdict.outcome is Outcome.DOMINATED and _worse_on(verdict, "peak_rss"):
        return RSS_NOTE
    return None


def _row(location: str, before: int, after: int, blocks: int) -> list[str]:
    change = f"{(after - before) / before:+.0%}" if before > 0 else "new"
    return [
        location,
        f"{format_value(before, 'B')} → {format_value(after, 'B')}",
        change,
        str(blocks),
    ]


def allocation_table(
    verdict: Verdict, limit: int | None = None, *, always: bool = False
) -> ProfileTable | None:
    """The allocation diff of a dominated verdict (``always``: of any verdict) whose new
    result was traced; ``None`` otherwise. Rows: the lines whose memory near the peak grew
    most."""
    after = AllocationSummary.of_point_info(verdict.candidate.extra_info)
    if after is None or not (always or verdict.outcome is Outcome.DOMINATED):
        return None
    reference = verdict.decisive.reference if verdict.decisive else None
    before = AllocationSummary.of_point_info(reference.extra_info) if reference else None
    if before is None:
        rows = [[a.location, format_value(a.size, "B"), str(a.blocks)] for a in after.lines]
        return ProfileTable(
            "where the memory went: no allocation summary of the reference point to diff "
            "against; the new result's lines holding the most memory near its peak:",
            ("file:line", "size", "blocks"),
            tuple(rows[:limit]),
        )
    return ProfileTable(
        "where the memory went (allocations alive near the peak, one traced pass each): the "
        "lines that grew most",
        ALLOCATION_DIFF_HEADERS,
        allocation_rows(before, after, limit),
    )


ALLOCATION_DIFF_HEADERS = ("file:line", "size before → after", "change", "blocks")


def allocation_rows(
    before: AllocationSummary, after: AllocationSummary, limit: int | None = None
) -> tuple[list[str], ...]:
    """Rows of the lines whose memory near the peak grew most, most first."""
    old = {a.location: a.size for a in before.lines}
    grown = [a for a in after.lines if a.size > old.get(a.location, 0)]
    grown.sort(key=lambda a: -(a.size - old.get(a.location, 0)))
    return tuple(_row(a.location, old.get(a.location, 0), a.size, a.blocks) for a in grown[:limit])
