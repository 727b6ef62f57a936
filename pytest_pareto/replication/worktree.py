"""A temporary git worktree of a reference commit, to measure a baseline's code beside ours."""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from pytest_pareto.errors import ConfigError
from pytest_pareto.replication.git import Git
from pytest_pareto.store.locks import file_lock

__all__ = ["RefWorktree", "add_worktree", "repository_root", "resolve_commit"]

_GIT = Git(timeout_s=300, not_installed="--pareto-against needs git, which is not installed")
"""Patient (a worktree of a large repository takes a while); a missing git is a usage error."""


def repository_root(path: Path) -> Path:
    """The top of the git work tree that holds ``path``."""
    top = _GIT.text(path, "rev-parse", "--show-toplevel")
    if top.returncode != 0:
        raise ConfigError(
            f"--pareto-against needs a git repository, and {path} is not in one "
            f"({top.stderr.strip()})"
        )
    return Path(top.stdout.strip()).resolve()


@dataclass(frozen=True)
class RefWorktree:
    """A detached checkout of ``commit`` at ``path``, linked to the repository at ``top``."""

    ref: str
    commit: str
    top: Path
    path: Path

    def map(self, path: Path) -> Path:
        """Where ``path`` of the main work tree lies in this worktree (outside: unchanged)."""
        try:
            relative = path.resolve().relative_to(self.top)
        except ValueError:
            return path
        return self.path / relative

    def remove(self) -> None:
        """Remove the worktree and its administrative files; never raises."""
        _GIT.text(self.top, "worktree", "remove", "--force", str(self.path))
        shutil.rmtree(self.path.parent, ignore_errors=True)
        _GIT.text(self.top, "worktree", "prune")


def resolve_commit(repo_dir: Path, ref: str) -> tuple[Path, str]:
    """The top of the repository holding ``repo_dir`` and the commit ``ref`` names there.

    Raises :class:`ConfigError` when there is no repository or ``ref`` names no commit.
    """
    top = repository_root(repo_dir)
    resolved = _GIT.text(top, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    if resolved.returncode != 0:
        raise ConfigError(
            f"--pareto-against {ref}: not a commit in {top} (try a branch, a tag, HEAD~1 or a "
            "commit hash; a shallow clone may need `git fetch --unshallow`)"
        )
    return top, resolved.stdout.strip()


def add_worktree(repo_dir: Path, ref: str) -> RefWorktree:
    """Check ``ref`` out into a new temporary worktree of the repository holding ``repo_dir``."""
    top, commit = resolve_commit(repo_dir, ref)
    folder = Path(tempfile.mkdtemp(prefix="pareto-against-"))
    path = folder / "tree"
    # Worktree bookkeeping in .git is not safe against concurrent adds (xdist workers).
    with file_lock(top / ".git" / "pareto-worktree"):
        added = _GIT.text(top, "worktree", "add", "--detach", str(path), commit)
    if added.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        raise ConfigError(
            f"--pareto-against {ref}: git worktree add failed: {added.stderr.strip()}"
        )
    return RefWorktree(ref=ref, commit=commit, top=top, path=path)
