"""Where a result comes from: the git commit of the working tree."""

from __future__ import annotations

import subprocess
from pathlib import Path

from pytest_pareto.replication.git import Git

__all__ = ["git_commit"]

_GIT = Git(timeout_s=10)
"""Quick, and quiet: without git, or when it fails, a result just has no commit."""


def git_commit(cwd: Path | str) -> str | None:
    """The commit checked out at ``cwd``, with ``+dirty`` when tracked files changed.

    ``None`` outside a git work tree or without git.
    """
    try:
        head = _GIT.text(Path(cwd), "rev-parse", "HEAD")
        if head.returncode != 0:
            return None
        dirty = _GIT.text(Path(cwd), "status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return None
    commit = head.stdout.strip()
    return f"{commit}+dirty" if dirty.returncode == 0 and dirty.stdout.strip() else commit
