"""How a replica is started: its command line, environment and scratch folder.

A replica is pytest re-invoked on the files of the tests of one batch, with this run's
rootdir, ini file, ``-p`` plugins, ``-o`` overrides and import mode, plus the hidden
``--pareto-replica REQUEST`` option. For ``--pareto-against`` the reference side runs the
same command in a temporary git worktree of the reference.

With ``pareto_replica_forks`` above 0 (the default), that command starts a *warm process*
instead, which collects the batch's tests once and forks a replica per batch, up to that
many (:mod:`pytest_pareto.replication.warm_process`); where forking is not safe the launcher
says why and starts every replica afresh.
"""

from __future__ import annotations

import itertools
import os
import shutil
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from pytest_pareto.replication.schedule import (
    ReplicaCommand,
    ReplicaRequest,
    Side,
    TestRun,
    replica_environment,
    run_replica,
)
from pytest_pareto.replication.warm_process import ForkUnsafe, WarmProcess
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

    def __init__(self, config: pytest.Config, against: str | None, forks: int) -> None:
        self.config = config
        self.against = against
        self.forks = forks
        """Replicas each warm process forks; 0: every replica is a fresh process."""
        self.worktree: RefWorktree | None = None
        self.workdir: Path | None = None
        self.fresh = 0
        """Replicas started as fresh processes."""
        self.forked = 0
        self.warm_started = 0
        self._numbers = itertools.count(1)
        """Numbers the files of each replica and warm process."""
        self.warm: dict[Side, WarmProcess] = {}
        self.spawning: dict[Side, str] = {}
        """Why a side starts its replicas afresh although forking was asked for."""

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
        root = self._here(side, self.config.rootpath)
        present = tuple(t for t in ids if (root / t.split("::")[0]).exists())
        if not present:
            return {}
        if self.workdir is None:
            self.workdir = Path(tempfile.mkdtemp(prefix="pareto-replicas-"))
        number = next(self._numbers)
        request = ReplicaRequest(
            present,
            str(self.workdir / f"runs-{number}.json"),
            noisy_only=noisy_only,
            diagnose=diagnose,
        )
        if self.forks > 0 and side not in self.spawning:
            try:
                runs = self._warm_process(side, present).run(request)
            except ForkUnsafe as exc:
                self.spawning[side] = str(exc)
            else:
                self.forked += 1
                return runs
        self.fresh += 1
        return run_replica(
            self._command(side, present, number),
            request=request,
            request_path=self.workdir / f"request-{number}.json",
            log_path=self.workdir / f"log-{number}.txt",
        )

    def _warm_process(self, side: Side, tests: Sequence[str]) -> WarmProcess:
        """The side's warm process, a new one when it has forked its share or was not
        started on these tests."""
        warm = self.warm.get(side)
        if warm is not None and warm.served < self.forks and warm.can_serve(tests):
            return warm
        if warm is not None:
            warm.close()
        assert self.workdir is not None
        self.warm_started += 1
        number = next(self._numbers)
        warm = WarmProcess(
            self._command(side, tests, number),
            ReplicaRequest(tuple(tests), str(self.workdir / f"warm-{number}.json")),
            self.workdir / f"request-{number}.json",
            self.workdir / f"log-{number}.txt",
        )
        self.warm[side] = warm
        return warm

    def _command(self, side: Side, tests: Sequence[str], number: int) -> ReplicaCommand:
        """The command line, folder and environment of a replica of ``side`` on ``tests``."""
        config = self.config
        root = self._here(side, config.rootpath)
        assert self.workdir is not None
        argv = replica_argv(
            config,
            root=root,
            ini=self._here(side, config.inipath) if config.inipath is not None else None,
            basetemp=self.workdir / f"tmp-{number}",
            files=sorted({str(root / t.split("::")[0]) for t in tests}),
        )
        # Both sides import the code of their own tree, not an installed copy.
        python_path = [root, root / "src"] if self.against else []
        invocation = self._here(side, config.invocation_params.dir)
        return ReplicaCommand(
            argv,
            invocation if invocation.is_dir() else root,
            replica_environment(os.environ, python_path=python_path),
        )

    def how_started(self) -> str:
        """How the replicas were started, for the summary."""
        if not self.forked and not self.spawning:
            return "each a fresh process" if self.forks == 0 else ""
        words = f"{self.forked} forked from {self.warm_started} warm processes"
        if self.fresh:
            words += f", {self.fresh} started afresh"
        for side, why in sorted(self.spawning.items(), key=lambda kv: kv[0].value):
            words += f"; {side.value} replicas started afresh: {why}"
        return words

    def close(self) -> None:
        for warm in self.warm.values():
            warm.close()
        self.warm.clear()
        if self.worktree is not None:
            self.worktree.remove()
            self.worktree = None
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None
