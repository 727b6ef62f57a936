"""Host-wide locks: one measurement at a time, one writer per baseline file."""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

from pytest_pareto.errors import MeasurementError

__all__ = [
    "LOCK_TIMEOUT_S",
    "MEASUREMENT_LOCK_ENV",
    "file_lock",
    "lock_dir",
    "measurement_lock",
    "measurement_lock_held",
]

LOCK_TIMEOUT_S = 600.0
"""How long to wait for a lock before giving up with an error."""

MEASUREMENT_LOCK_ENV = "PYTEST_PARETO_MEASUREMENT_LOCK_HELD"
"""Set (to the holder's pid) while a process holds the measurement lock, so that the processes
it starts (replicates of a measurement) measure under its hold instead of waiting for it."""

_held = threading.local()


def lock_dir() -> Path:
    """Where lock files live: per host and user, outside any repository."""
    folder = (
        Path(tempfile.gettempdir())
        / f"pytest-pareto-locks-{os.getuid() if hasattr(os, 'getuid') else 'user'}"
    )
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


@contextlib.contextmanager
def file_lock(path: Path, timeout: float = LOCK_TIMEOUT_S) -> Iterator[None]:
    """Hold the lock of one baseline file (keyed by its resolved path)."""
    from filelock import FileLock  # 20 ms: imported when a lock is taken, not by every run

    key = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:16]
    with FileLock(str(lock_dir() / f"file-{key}.lock"), timeout=timeout):
        yield


def measurement_lock_held() -> bool:
    """Whether this thread, or the process that started this one, holds the measurement lock."""
    if getattr(_held, "depth", 0) > 0:
        return True
    holder = os.environ.get(MEASUREMENT_LOCK_ENV, "")
    return holder.isdigit() and int(holder) != os.getpid()


@contextlib.contextmanager
def measurement_lock(timeout: float = LOCK_TIMEOUT_S) -> Iterator[None]:
    """Hold the host's measurement lock, so that noisy metrics are measured one at a time.

    Parallel test processes (xdist workers, replicate processes of several runs) take it
    around the measuring of noisy metrics, and run ordinary tests while others measure.

    It composes: taking it again in the same thread only counts a level, and a process
    started while it is held (it inherits :data:`MEASUREMENT_LOCK_ENV`) measures under its
    parent's hold instead of waiting for a lock its parent will not release.
    A negative ``timeout`` waits without limit; running out of time raises
    :class:`~pytest_pareto.errors.MeasurementError`.
    """
    if measurement_lock_held():
        _held.depth = getattr(_held, "depth", 0) + 1
        try:
            yield
        finally:
            _held.depth -= 1
        return
    from filelock import FileLock, Timeout

    lock = FileLock(str(lock_dir() / "measure.lock"))
    try:
        lock.acquire(timeout=timeout)
    except Timeout:
        raise MeasurementError(
            f"waited {timeout:g} s for the measurement lock ({lock.lock_file}), held by another "
            "process measuring on this host; let it finish, or allow a longer wait"
        ) from None
    previous = os.environ.get(MEASUREMENT_LOCK_ENV)
    os.environ[MEASUREMENT_LOCK_ENV] = str(os.getpid())
    _held.depth = 1
    try:
        yield
    finally:
        _held.depth = 0
        if previous is None:
            os.environ.pop(MEASUREMENT_LOCK_ENV, None)
        else:
            os.environ[MEASUREMENT_LOCK_ENV] = previous
        lock.release()
