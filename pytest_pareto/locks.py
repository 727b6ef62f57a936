"""Host-wide locks: one measurement at a time, one writer per baseline file."""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from filelock import FileLock

__all__ = ["LOCK_TIMEOUT_S", "file_lock", "lock_dir", "measurement_lock"]

LOCK_TIMEOUT_S = 600.0
"""How long to wait for a lock before giving up with an error."""


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
    key = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:16]
    with FileLock(str(lock_dir() / f"file-{key}.lock"), timeout=timeout):
        yield


@contextlib.contextmanager
def measurement_lock(timeout: float = LOCK_TIMEOUT_S) -> Iterator[None]:
    """Hold the host's measurement lock, so that noisy metrics are measured one at a time.

    Parallel test processes (xdist workers, replicate processes of several runs) take it
    around the measuring of noisy metrics, and run ordinary tests while others measure.
    """
    with FileLock(str(lock_dir() / "measure.lock"), timeout=timeout):
        yield
