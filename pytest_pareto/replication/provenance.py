"""Where a result comes from: the git commit of the working tree."""

from __future__ import annotations

import subprocess
from pathlib import Path

__all__ = ["git_commit"]


def _git(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, timeout=10, check=False
    )


def git_commit(cwd: Path | str) -> str | None:
    """The commit checked out at ``cwd``, with ``+dirty`` when tracked files changed.

    ``None`` outside a git work tree or without git.
    """
    try:
        head = _git(Path(cwd), "rev-parse", "HEAD")
        if head.returncode != 0:
            return None
        dirty = _git(Path(cwd), "status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return None
    commit = head.stdout.strip()
    return f"{commit}+dirty" if dirty.returncode == 0 and dirty.stdout.strip() else commit
