"""Temporary files of atomic writes: how they are named, and removing those a killed run left.

A baseline file is written to ``.pareto-tmp-<name>.<random>.tmp`` in its own folder, then
renamed over ``<name>``; the temporary file exists only while its writer holds the file's lock
(:func:`~pytest_pareto.store.locks.file_lock`). A process killed between the two (SIGKILL,
power loss) leaves it behind. :func:`remove_stale_temp_files` removes a temporary file when its
target's lock is free (no writer on this host) and it is older than :data:`STALE_AFTER_S` (a
writer on another host or user sharing the folder finishes well within that).
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
import time
from pathlib import Path

from pytest_pareto.store.locks import file_lock

__all__ = [
    "STALE_AFTER_S",
    "TEMP_PREFIX",
    "TEMP_SUFFIX",
    "remove_stale_temp_files",
    "target_of",
    "temp_prefix",
]

TEMP_PREFIX = ".pareto-tmp-"
TEMP_SUFFIX = ".tmp"
STALE_AFTER_S = 60.0
"""A temporary file younger than this is left alone even when its target is not locked."""


def temp_prefix(target: Path) -> str:
    """The name prefix of ``target``'s temporary files (``mkstemp`` adds a random part)."""
    return f"{TEMP_PREFIX}{target.name}."


def create_temp_file(target: Path) -> tuple[int, str]:
    """A new temporary file for ``target`` in its folder: ``(fd, path)``.

    ``mkstemp`` creates it readable by its owner only; the file becomes a baseline file that
    is committed and shared, so it gets the mode any file the user creates gets (0666 less
    the umask), like the file it replaces.
    """
    fd, path = tempfile.mkstemp(prefix=temp_prefix(target), suffix=TEMP_SUFFIX, dir=target.parent)
    with contextlib.suppress(OSError):  # a file system without modes keeps what it gave
        os.fchmod(fd, 0o666 & ~current_umask())
    return fd, path


def current_umask() -> int:
    """This process's umask, read without changing it where Linux tells it."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)  # elsewhere: set and restore at once
    os.umask(mask)
    return mask


def target_of(temp: Path) -> Path | None:
    """The baseline file a temporary file was meant to become, or ``None`` if unknown."""
    name = temp.name
    if not name.startswith(TEMP_PREFIX):
        return None
    stem = name[len(TEMP_PREFIX) :].removesuffix(TEMP_SUFFIX)
    target, sep, _random = stem.rpartition(".")
    return temp.with_name(target) if sep and target else None


def _age_s(path: Path, now: float) -> float | None:
    """Age of a regular file (not a link or folder), or ``None``."""
    try:
        info = path.lstat()
    except OSError:
        return None
    return now - info.st_mtime if stat.S_ISREG(info.st_mode) else None


def remove_stale_temp_files(root: Path, *, min_age_s: float = STALE_AFTER_S) -> list[Path]:
    """Remove the temporary files interrupted writes left under ``root``; return them."""
    if not root.is_dir():
        return []
    now = time.time()
    stale = []
    for temp in sorted(root.rglob(f"{TEMP_PREFIX}*")):
        age = _age_s(temp, now)
        if age is not None and age >= min_age_s:
            stale.append(temp)
    if not stale:
        return []
    from filelock import Timeout  # 20 ms: imported when there is something to remove

    removed = []
    for temp in stale:
        target = target_of(temp)
        try:
            with contextlib.ExitStack() as stack:
                if target is not None:
                    stack.enter_context(file_lock(target, timeout=0))
                temp.unlink()
        except Timeout:
            continue  # a writer on this host holds the target's lock: the file may be live
        except FileNotFoundError:
            continue
        except OSError:
            continue  # not ours to remove (permissions): left for the user
        removed.append(temp)
    return removed
