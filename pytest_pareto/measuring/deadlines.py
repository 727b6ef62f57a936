"""Stopping a measured call at its ``timeout=``.

A call that runs past its timeout is stopped (on Unix, in the main thread, by ``SIGALRM``
through ``setitimer``; elsewhere it runs to its end and is then found too slow) and the
measurement ends with :class:`CallCensored`. The recorder keeps the time it took so far as a
*censored* observation: a lower bound on the true time, "worse than the timeout" (judged by
:func:`~pytest_pareto.judging.censoring.compare_censored`).
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from types import FrameType, TracebackType
from typing import Any

__all__ = ["CallCensored", "Deadline"]


class CallCensored(BaseException):
    """A measured call ran past its ``timeout=``; the measurement stopped there.

    A ``BaseException``, like pytest's own outcomes, so that a test's ``except Exception``
    does not swallow it: the plugin turns it into a censored point, not an error.
    """

    def __init__(self, timeout: float, lower_bound: float, phase: str, interrupted: bool) -> None:
        self.timeout = timeout
        self.lower_bound = lower_bound
        """Seconds per call so far: the true time per call is at least this."""
        self.phase = phase
        self.interrupted = interrupted
        """Whether the call was stopped (else it ran to its end, past the timeout)."""
        how = "stopped" if interrupted else "finished"
        super().__init__(
            f"a call exceeded timeout={timeout:g}s in the {phase} ({how} after "
            f"{lower_bound:.3g}s per call); recorded as a censored result"
        )


class _DeadlinePassed(BaseException):
    """Raised by the alarm inside the call; turned into :class:`CallCensored`."""


class Deadline:
    """Bounds stretches of calls to ``timeout`` seconds per call.

    Use as a context manager around a measurement (it installs the alarm handler) and call
    :meth:`arm` before and :meth:`check` after each stretch. ``None`` bounds nothing.
    """

    def __init__(self, timeout: float | None) -> None:
        self.timeout = timeout
        self._signals = False
        self._previous: Any = None
        self._armed_at: float | None = None
        self._limit = 0.0
        self._calls = 1
        self._phase = ""

    # -- installing the alarm ------------------------------------------------------------

    def _can_interrupt(self) -> bool:
        if not hasattr(signal, "setitimer") or threading.current_thread() is not (
            threading.main_thread()
        ):
            return False
        # Another user of the real-time timer (pytest-timeout's signal method) is armed.
        return signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)

    def __enter__(self) -> Deadline:
        if self.timeout is not None and self._can_interrupt():
            self._previous = signal.signal(signal.SIGALRM, self._alarm)
            self._signals = True
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        armed_at = self._armed_at
        self._disarm()
        if self._signals:
            signal.signal(signal.SIGALRM, self._previous)
            self._signals = False
        if isinstance(exc, _DeadlinePassed) and armed_at is not None:
            raise self._censored(time.perf_counter() - armed_at, interrupted=True) from None

    def _alarm(self, signum: int, frame: FrameType | None) -> None:
        if self._armed_at is not None:  # a late alarm after the stretch ended is ignored
            raise _DeadlinePassed

    # -- stretches -----------------------------------------------------------------------

    def arm(self, calls: int, phase: str) -> None:
        """Start a stretch of ``calls`` calls that may take ``timeout`` seconds each."""
        if self.timeout is None:
            return
        self._calls, self._phase = max(1, calls), phase
        self._limit = self.timeout * self._calls
        self._armed_at = time.perf_counter()
        if self._signals:
            signal.setitimer(signal.ITIMER_REAL, self._limit)

    def check(self) -> None:
        """End the stretch; raise :class:`CallCensored` if it took longer than allowed."""
        armed_at = self._armed_at
        if armed_at is None:
            return
        elapsed = time.perf_counter() - armed_at
        self._disarm()
        if elapsed >= self._limit:
            raise self._censored(elapsed, interrupted=False)

    def guard(self, call: Callable[[], Any], phase: str) -> Callable[[], Any]:
        """``call`` bounded one call at a time (for calibration, where overhead is harmless)."""
        if self.timeout is None:
            return call

        def bounded() -> Any:
            self.arm(1, phase)
            result = call()
            self.check()
            return result

        return bounded

    def _disarm(self) -> None:
        if self._signals:
            signal.setitimer(signal.ITIMER_REAL, 0)
        self._armed_at = None

    def _censored(self, elapsed: float, *, interrupted: bool) -> CallCensored:
        assert self.timeout is not None
        return CallCensored(self.timeout, elapsed / self._calls, self._phase, interrupted)
