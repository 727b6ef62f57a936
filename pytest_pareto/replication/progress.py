"""Progress of long measuring work (replication over processes), as a small protocol.

Code that measures for a long time takes a :class:`ProgressSink` and calls ``update`` as it
goes; it never prints itself. The pytest layer supplies one that writes in pytest's terminal
style (:func:`pytest_pareto.plugin.progress.progress`); :class:`NullProgress` stays silent.
"""

from __future__ import annotations

from typing import Protocol

__all__ = ["NullProgress", "ProgressSink", "progress_line"]


class ProgressSink(Protocol):
    """Where a long loop reports how far it is."""

    def update(
        self, done: int, total: int, *, remaining: int | None = None, message: str = ""
    ) -> None:
        """``done`` of ``total`` units finished (e.g. processes measured); ``remaining``:
        tests still undecided, when known; ``message``: a short note (e.g. ``batch 2``)."""

    def finish(self, message: str = "") -> None:
        """The loop is over (also after an error); ``message`` closes the report."""


class NullProgress:
    """A sink that shows nothing."""

    def update(
        self, done: int, total: int, *, remaining: int | None = None, message: str = ""
    ) -> None:
        return None

    def finish(self, message: str = "") -> None:
        return None


def progress_line(
    title: str,
    done: int,
    total: int,
    *,
    unit: str = "processes measured",
    remaining: int | None = None,
    message: str = "",
) -> str:
    """``pareto: 3/10 processes measured, 2 tests remaining (batch 2)``."""
    width = len(str(total))
    line = f"{title}: {done:>{width}}/{total} {unit}"
    if remaining is not None:
        line += f", {remaining} test{'s' if remaining != 1 else ''} remaining"
    if message:
        line += f" ({message})"
    return line
