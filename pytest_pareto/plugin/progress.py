"""Progress of long pareto work on pytest's terminal, respecting ``-q`` and ``-v``.

A replication loop (or any long measuring phase) asks for a sink and reports to it::

    from pytest_pareto.plugin.progress import progress

    with progress(config, "pareto replication") as sink:
        for batch in batches:
            ...  # measure
            sink.update(processes_done, processes_planned, remaining=len(undecided),
                        message=f"batch {batch.number}")

What is shown, as pytest shows its own "collecting ..." line:

* ``-q`` (verbosity below 0), an xdist worker, or no terminal reporter: nothing;
* default verbosity on a terminal: one status line rewritten in place (at most every
  0.5 s, always the last state), ended by a newline on ``finish``;
* default verbosity in a log (not a terminal, e.g. CI): a line at the first update, then at
  most every 15 s, and the last one;
* ``-v`` and more: every update on its own line.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

import pytest

from pytest_pareto.plugin.xdist import is_xdist_worker
from pytest_pareto.replication.progress import progress_line

__all__ = ["TerminalProgress", "progress"]

TTY_INTERVAL = 0.5
"""Seconds between rewrites of the status line on a terminal (pytest's collect rate)."""
LOG_INTERVAL = 15.0
"""Seconds between lines when the output is not a terminal, at default verbosity."""


class TerminalProgress:
    """A :class:`~pytest_pareto.replication.progress.ProgressSink` for pytest's terminal."""

    def __init__(
        self,
        config: pytest.Config,
        title: str = "pareto",
        *,
        unit: str = "processes measured",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.title = title
        self.unit = unit
        self._clock = clock
        reporter: Any = config.pluginmanager.get_plugin("terminalreporter")
        self._verbosity = config.get_verbosity()
        silent = is_xdist_worker(config) or self._verbosity < 0
        self._reporter = None if silent else reporter
        self._tty = bool(reporter.isatty()) if reporter is not None else False
        self._last_write: float | None = None
        self._pending: str | None = None
        self._rewriting = False
        self._finished = False

    @property
    def enabled(self) -> bool:
        return self._reporter is not None

    def update(
        self, done: int, total: int, *, remaining: int | None = None, message: str = ""
    ) -> None:
        if self._reporter is None or self._finished:
            return
        line = progress_line(
            self.title, done, total, unit=self.unit, remaining=remaining, message=message
        )
        now = self._clock()
        if self._verbosity > 0:
            self._reporter.write_line(line)
            return
        interval = TTY_INTERVAL if self._tty else LOG_INTERVAL
        last = done >= total
        if self._last_write is not None and now - self._last_write < interval and not last:
            self._pending = line  # shown later, or by finish()
            return
        self._show(line)
        self._last_write = now

    def _show(self, line: str) -> None:
        assert self._reporter is not None
        self._pending = None
        if self._tty:
            if not self._rewriting:
                self._reporter.ensure_newline()
                self._rewriting = True
            self._reporter.rewrite(line, erase=True)
        else:
            self._reporter.write_line(line)

    def finish(self, message: str = "") -> None:
        if self._reporter is None or self._finished:
            return
        self._finished = True
        if self._pending is not None:
            self._show(self._pending)
        if self._rewriting:
            self._reporter.write("\n")
            self._rewriting = False
        if message:
            self._reporter.write_line(f"{self.title}: {message}")

    def __enter__(self) -> TerminalProgress:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.finish()


def progress(
    config: pytest.Config,
    title: str = "pareto",
    *,
    unit: str = "processes measured",
    clock: Callable[[], float] = time.monotonic,
) -> TerminalProgress:
    """A progress sink for ``config``'s terminal (see the module docs for what it shows)."""
    return TerminalProgress(config, title, unit=unit, clock=clock)
