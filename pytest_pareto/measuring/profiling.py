"""One profiled pass of a measured call (``cProfile``): where its time went, kept small.

The pass runs after the timed rounds, never during them, and only when a verdict asks where
the time went (dominated on a time metric) or a baseline is recorded (``--pareto-update``).
The summary is plain JSON in the point's ``extra_info``, so that it is stored with a
baseline point and travels in reports without a type of its own in the model.
"""

from __future__ import annotations

import cProfile
import os
import pstats
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_pareto.measuring import measured_call
from pytest_pareto.measuring.measured_call import MeasuredCall

__all__ = [
    "PROFILE_INFO",
    "TIME_METRICS",
    "FunctionCost",
    "ProfileSummary",
    "profile_call",
    "short_path",
]

PROFILE_INFO = "pareto_profile"
"""``extra_info`` key of a point's profile summary."""

TIME_METRICS = frozenset({"wall_time", "cpu_time"})
"""Metrics a profile explains."""

KEPT_FUNCTIONS = 24
"""Functions a summary keeps, by own time: enough to diff, small enough to store (~2 KiB)."""

_NAME_LIMIT = 60
_PROFILER_DISABLE = "<method 'disable' of '_lsprof.Profiler' objects>"


@dataclass(frozen=True)
class FunctionCost:
    """One function's own time (without the functions it called) and calls in one pass."""

    function: str
    location: str
    """``file:line``; the file relative to the working folder when inside it."""
    own_s: float
    calls: int

    @property
    def key(self) -> tuple[str, str]:
        """The function across versions: its file and name (its line may move)."""
        return self.location.rpartition(":")[0], self.function


@dataclass(frozen=True)
class ProfileSummary:
    """The functions with the most own time in one profiled pass, most first."""

    functions: tuple[FunctionCost, ...]

    def to_json(self) -> dict[str, Any]:
        rows = [[f.function, f.location, f.own_s, f.calls] for f in self.functions]
        return {"unit": "s", "functions": rows}

    @classmethod
    def from_json(cls, data: object) -> ProfileSummary | None:
        """The summary stored in ``data``; ``None`` when there is none or it is unreadable
        (a profile only explains, it never decides: a bad one is ignored)."""
        if not isinstance(data, Mapping) or not isinstance(data.get("functions"), list):
            return None
        try:
            functions = tuple(
                FunctionCost(str(name), str(where), float(own), int(calls))
                for name, where, own, calls in data["functions"]
            )
        except (TypeError, ValueError):
            return None
        return cls(functions)

    @classmethod
    def of_point_info(cls, extra_info: Mapping[str, Any]) -> ProfileSummary | None:
        return cls.from_json(extra_info.get(PROFILE_INFO))


def short_path(filename: str) -> str:
    """A file name that stays short: relative to the working folder when inside it, else
    its last two parts (``site-packages/numpy/...`` reads ``numpy/core.py``)."""
    if filename.startswith(("<", "~")):
        return filename
    path = Path(filename)
    try:
        return path.resolve().relative_to(Path(os.getcwd()).resolve()).as_posix()
    except (ValueError, OSError):
        return "/".join(path.parts[-2:])


def _function_costs(stats: pstats.Stats) -> list[FunctionCost]:
    costs = []
    raw: Mapping[tuple[str, int, str], tuple[Any, ...]] = stats.stats  # type: ignore[attr-defined]
    for (filename, line, name), (_, calls, own, *_rest) in raw.items():
        if filename == measured_call.__file__ or name == _PROFILER_DISABLE:
            continue  # our own frames: the call's wrapper and the profiler stopping
        location = short_path(filename) if filename == "~" else f"{short_path(filename)}:{line}"
        costs.append(FunctionCost(name[:_NAME_LIMIT], location, round(float(own), 7), int(calls)))
    return sorted(costs, key=lambda c: (-c.own_s, c.location, c.function))


def profile_call(call: MeasuredCall, keep: int = KEPT_FUNCTIONS) -> ProfileSummary:
    """Run ``call`` once more under ``cProfile`` (its setup and teardown unprofiled)."""
    profiler = cProfile.Profile()
    call.prepare()
    profiler.enable()
    try:
        call()
    finally:
        profiler.disable()
        call.finish()
    return ProfileSummary(tuple(_function_costs(pstats.Stats(profiler))[:keep]))
