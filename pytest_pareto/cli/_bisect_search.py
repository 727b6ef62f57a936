"""The search of ``pytest-pareto bisect``: binary search over commits, with skips, no git."""

from __future__ import annotations

import enum
import math
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Class", "SearchResult", "estimated_probes", "first_bad"]


class Class(enum.Enum):
    """What a probe says about a commit, as ``git bisect`` would mark it."""

    GOOD = "good"
    BAD = "bad"
    SKIP = "skip"


@dataclass(frozen=True)
class SearchResult:
    """The first bad index, and the skipped indices before it that could be it instead."""

    first_bad: int
    could_also_be: tuple[int, ...]


def estimated_probes(candidates: int) -> int:
    """Probes a binary search over ``candidates`` untested commits needs (without skips)."""
    return math.ceil(math.log2(candidates + 1)) if candidates > 0 else 0


def first_bad(count: int, classify: Callable[[int], Class]) -> SearchResult:
    """The first bad one of ``count`` commits, oldest first, of which the last is bad and
    the one before the first is good. ``classify`` is called once per probed index; a
    skipped commit is never probed again and its nearest untested neighbour is tried."""
    lo, hi = -1, count - 1
    skipped: set[int] = set()
    while True:
        untested = [i for i in range(lo + 1, hi) if i not in skipped]
        if not untested:
            return SearchResult(hi, tuple(i for i in range(lo + 1, hi) if i in skipped))
        middle = (lo + hi) // 2
        pick = min(untested, key=lambda i: (abs(i - middle), i))
        found = classify(pick)
        if found is Class.BAD:
            hi = pick
        elif found is Class.GOOD:
            lo = pick
        else:
            skipped.add(pick)
