"""How a replica is started: its command line, environment and scratch folder.

A replica is pytest re-invoked on the files of the tests of one batch, with this run's
rootdir, ini file, ``-p`` plugins, ``-o`` overrides and import mode, plus the hidden
``--pareto-replica REQUEST`` option. For ``--pareto-against`` the reference side runs the
same command in a temporary git worktree of the reference.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from pytest_pareto.replication.schedule import (
    ReplicaRequest,
    Side,
    TestRun,
    replica_environment,
    run_replica,
)
from pytest_pareto.replication.worktree import RefWorktree, add_worktree

__all__ = ["REPLICA_OPTION", "ReplicaLauncher", "replica_argv"]

REPLICA_OPTION = "--pareto-replica"


def replica_argv(
    config: pytest.Config, *, root: Path, ini: Path | None, basetemp: Path, files: Sequence[str]
) -> list[str]:
    """The command line of a replica measuring tests of ``files`` (the request file follows)."""
    args = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    args += ["--rootdir", str(root), "--basetemp", str(basetemp)]
    if ini is not None:
        args += ["-c", str(ini)]
    for plugin in config.option.plugins or ():
        args += ["-p", plugin]
    for override in config.option.override_ini or ():
        args += ["-o", override]
    args += [f"--import-mode={config.option.importmode}"]
    if config.pluginmanager.has_plugin("xdist"):
        args += ["-n", "0"]  # a replica measures in its own process, never in xdist workers
    return [*args, *files, REPLICA_OPTION]


class ReplicaLauncher:
    """Runs one replica per batch, on the working tree or on the reference's worktree."""

    def __init__(self, config: pytest.Config, against: str | None) -> None:
        self.config = config
        self.against = against
        self.worktree: RefWorktree | None = None
        self.workdir: Path | None = None
        self.started = 0

    def prepare(self) -> None:
        """Check out the reference (``--pareto-against``) before the first batch."""
        if self.against and self.worktree is None:
            self.worktree = add_worktree(self.config.rootpath, self.against)

    def _here(self, side: Side, path: Path) -> Path:
        """``path`` of the working tree, or its counterpart in the reference's worktree."""
        if side is Side.REFERENCE and self.worktree is not None:
            return self.worktree.map(path)
        return path

    def run_batch(
        self, side: Side, ids: Sequence[str], noisy_only: bool, *, diagnose: bool = False
    ) -> Mapping[str, TestRun]:
        """Measure ``ids`` once each in a new replica of ``side``; tests absent there are
        left out of its runs. ``diagnose``: the replica also profiles and traces each call."""
        config = self.config
        root = self._here(side, config.rootpath)
        present = [t for t in ids if (root / t.split("::")[0]).exists()]
        if not present:
            return {}
        if self.workdir is None:
            self.workdir = Path(tempfile.mkdtemp(prefix="pareto-replicas-"))
        self.started += 1
        number, workdir = self.started, self.workdir
        argv = replica_argv(
            config,
            root=root,
            ini=self._here(side, config.inipath) if config.inipath is not None else None,
            basetemp=workdir / f"tmp-{number}",
            files=sorted({str(root / t.split("::")[0]) for t in present}),
        )
        # Both sides import the code of their own tree, not an installed copy.
        python_path = [root, root / "src"] if self.against else []
        invocation = self._here(side, config.invocation_params.dir)
        return run_replica(
            argv,
            cwd=invocation if invocation.is_dir() else root,
            env=replica_environment(os.environ, python_path=python_path),
            request=ReplicaRequest(
                tuple(present),
                str(workdir / f"runs-{number}.json"),
                noisy_only=noisy_only,
                diagnose=diagnose,
            ),
            request_path=workdir / f"request-{number}.json",
            log_path=workdir / f"log-{number}.txt",
        )

    def close(self) -> None:
        if self.worktree is not None:
            self.worktree.remove()
            self.worktree = None
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None
