"""How a replica is started: its command line, environment and scratch folder.

A replica is pytest re-invoked on the files of the tests of one batch, with this run's
rootdir, ini file, ``-p`` plugins, ``-o`` overrides and import mode, plus the hidden
``--pareto-replica REQUEST`` option. For ``--pareto-against`` the reference side runs the
same command in a temporary git worktree of the reference.

With ``pareto_replica_forks`` above 0 (the default), that command starts a *warm process*
instead, which collects the batch's tests once and forks a replica per batch, up to that
many (:mod:`pytest_pareto.replication.warm_process`); where forking is not safe the launcher
says why and starts every replica afresh.

Before each look the launcher starts the warm processes the look will need, as many at a
time as the host has CPUs, and waits until all of them have collected before the first child
measures; the look's children are then forked from them in turn (A B A B …), so that neither
a warm process nor a stretch of time makes up a side's sample alone.
"""

from __future__ import annotations

import collections
import itertools
import math
import os
import shutil
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from pytest_pareto.errors import MeasurementError
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
        self.warm: dict[Side, list[WarmProcess]] = {side: [] for side in Side}
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

    def _present(self, side: Side, ids: Sequence[str]) -> tuple[str, ...]:
        """The tests of ``ids`` whose file exists on ``side``."""
        root = self._here(side, self.config.rootpath)
        return tuple(t for t in ids if (root / t.split("::")[0]).exists())

    def _scratch(self) -> Path:
        """The folder of this run's replica files, made when first needed."""
        if self.workdir is None:
            self.workdir = Path(tempfile.mkdtemp(prefix="pareto-replicas-"))
        return self.workdir

    def prepare_look(self, side: Side, ids: Sequence[str], batches: int) -> None:
        """Start the warm processes ``side`` needs for a look of ``batches`` replicas of
        ``ids``, as many at a time as there are CPUs (another as soon as one is ready), and
        wait until all have collected."""
        present = self._present(side, ids)
        if self.forks <= 0 or side in self.spawning or not present:
            return
        warm = self._usable(side, present)
        spare = sum(self.forks - w.served for w in warm)
        needed = math.ceil(max(0, batches - spare) / self.forks)
        at_once = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
        starting: collections.deque[WarmProcess] = collections.deque()
        while needed or starting:
            while needed and len(starting) < max(1, at_once):
                starting.append(self._start_warm(side, present))
                needed -= 1
            try:
                starting.popleft().wait_ready()
            except ForkUnsafe as exc:
                self._spawn_from_now(side, str(exc))
                return
            except MeasurementError:
                # The others would fail alike (the replica run on these tests says why), but
                # those started must be ready or ended before a child measures.
                needed = 0

    def run_batch(
        self, side: Side, ids: Sequence[str], noisy_only: bool, *, diagnose: bool = False
    ) -> Mapping[str, TestRun]:
        """Measure ``ids`` once each in a new replica of ``side``; tests absent there are
        left out of its runs. ``diagnose``: the replica also profiles and traces each call."""
        present = self._present(side, ids)
        if not present:
            return {}
        scratch = self._scratch()
        number = next(self._numbers)
        request = ReplicaRequest(
            present,
            str(scratch / f"runs-{number}.json"),
            noisy_only=noisy_only,
            diagnose=diagnose,
        )
        if self.forks > 0 and side not in self.spawning:
            warm = self._warm_process(side, present)
            try:
                runs = warm.run(request)
            except ForkUnsafe as exc:
                self._spawn_from_now(side, str(exc))
            else:
                self.forked += 1
                return runs
            finally:
                if warm.served >= self.forks:
                    self._retire(side, warm)
        self.fresh += 1
        return run_replica(
            self._command(side, present, number),
            request=request,
            request_path=scratch / f"request-{number}.json",
            log_path=scratch / f"log-{number}.txt",
        )

    def _usable(self, side: Side, tests: Sequence[str]) -> list[WarmProcess]:
        """The side's warm processes that can fork a replica of ``tests``; the others
        (ended, or started on other tests) are ended."""
        for warm in list(self.warm[side]):
            if not warm.can_serve(tests):
                self._retire(side, warm)
        return self.warm[side]

    def _warm_process(self, side: Side, tests: Sequence[str]) -> WarmProcess:
        """The side's warm process that has forked the fewest replicas (children of the
        warm processes of a look alternate), a new one when none can fork these tests."""
        warm = self._usable(side, tests)
        if warm:
            return min(warm, key=lambda w: w.served)
        return self._start_warm(side, tests)

    def _start_warm(self, side: Side, tests: Sequence[str]) -> WarmProcess:
        scratch = self._scratch()
        self.warm_started += 1
        number = next(self._numbers)
        warm = WarmProcess(
            self._command(side, tests, number),
            ReplicaRequest(tuple(tests), str(scratch / f"warm-{number}.json")),
            scratch / f"request-{number}.json",
            scratch / f"log-{number}.txt",
        )
        self.warm[side].append(warm)
        return warm

    def _retire(self, side: Side, warm: WarmProcess) -> None:
        warm.close()
        if warm in self.warm[side]:
            self.warm[side].remove(warm)

    def _spawn_from_now(self, side: Side, why: str) -> None:
        """Forking is unsafe on ``side``: end its warm processes, start its replicas afresh."""
        self.spawning[side] = why
        for warm in list(self.warm[side]):
            self._retire(side, warm)

    def _command(self, side: Side, tests: Sequence[str], number: int) -> ReplicaCommand:
        """The command line, folder and environment of a replica of ``side`` on ``tests``."""
        config = self.config
        root = self._here(side, config.rootpath)
        argv = replica_argv(
            config,
            root=root,
            ini=self._here(side, config.inipath) if config.inipath is not None else None,
            basetemp=self._scratch() / f"tmp-{number}",
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
        for side, processes in self.warm.items():
            for warm in list(processes):
                self._retire(side, warm)
        if self.worktree is not None:
            self.worktree.remove()
            self.worktree = None
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None
