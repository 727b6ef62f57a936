"""Replica processes forked from a warm one, instead of started from nothing.

Starting a replica costs an interpreter, the test framework, the plugin, the imports of the
code under test (torch: more than a second) and collection -- far more than measuring a fast
call. A *warm process* pays that once: it is started like a replica, collects the tests it
may be asked for, runs none of them, and then forks one child per request; each child is a
replica that measures its batch and exits. The warm process serves at most a few requests
(the launcher decides how many), so what differs between fresh processes -- memory layout,
hash seed, the host's speed at start-up -- is still sampled by the warm processes, while the
children sample the host's speed over time (``docs/statistics.md``, cheap replicas).

Forking is only safe in a single-threaded process that has not initialised a GPU context:
before each fork the warm process checks (:func:`fork_unsafe_reason`) and, when it is not
safe, answers why instead of forking, and the launcher spawns replicas from then on.

The protocol, over two pipes: once it has collected, the warm process says ``{"ready":
true}`` (or ``{"unsafe": "why"}``); then the launcher writes one JSON request per line (a
:class:`~.schedule.ReplicaRequest`) and the warm process answers one JSON line per request,
``{"status": N}`` (the child's exit status; its runs are in the request's output file) or
``{"unsafe": "why"}``. The launcher closing the request pipe ends the warm process.

The ready line lets the launcher start several warm processes at once and wait until every
one has finished importing before a child measures: a replica never measures while another
process imports on the same host.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import json
import os
import random
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import IO, Any

from pytest_pareto.errors import MeasurementError
from pytest_pareto.replication.schedule import (
    ReplicaCommand,
    ReplicaRequest,
    TestRun,
    log_tail,
    runs_or_why,
    start_replica,
)

__all__ = [
    "ForkUnsafe",
    "WarmProcess",
    "exit_now",
    "fork_unsafe_reason",
    "serve_forks",
]


class ForkUnsafe(Exception):
    """The warm process cannot fork safely (the message says why)."""


OPENBLAS_THREAD_COUNTS = (
    "openblas_get_num_threads",
    "openblas_get_num_threads64_",
    "scipy_openblas_get_num_threads",
    "scipy_openblas_get_num_threads64_",
)
"""How OpenBLAS builds name their thread count (numpy's and scipy's wheels bundle one)."""


def native_threads() -> int | None:
    """Threads of this process as the kernel counts them (extension libraries' included),
    or ``None`` where that cannot be read."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return None


def fork_aware_threads() -> int:
    """Threads of libraries that stop them before a fork and start them again after it:
    OpenBLAS's thread servers (``pthread_atfork``), one fewer than its thread count."""
    try:
        with open("/proc/self/maps", encoding="utf-8") as maps:
            paths = {line.split()[-1] for line in maps if "openblas" in line}
    except OSError:
        return 0
    threads = 0
    for path in sorted(paths):
        with contextlib.suppress(OSError):
            library = ctypes.CDLL(path)  # already loaded: the same handle
            for name in OPENBLAS_THREAD_COUNTS:
                count = getattr(library, name, None)
                if count is not None:
                    threads += max(0, int(count()) - 1)
                    break
    return threads


def fork_unsafe_reason() -> str | None:
    """Why forking this process now would be unsafe, or ``None`` when it is safe.

    Unsafe: other Python threads (the child would hold only this one, and maybe a lock one
    of them held); native threads beyond the fork-aware ones (an OpenMP pool that ran a
    parallel region hangs in the child); an initialised CUDA context; a platform where
    fork is not the way processes start."""
    if not hasattr(os, "fork") or not sys.platform.startswith("linux"):
        return f"fork is not used on {sys.platform}"
    python_threads = threading.active_count()
    if python_threads > 1:
        return (
            f"the process has {python_threads} threads after importing and collecting the "
            "tests (a forked child would hold only one of them)"
        )
    native = native_threads()
    if native is None:
        return "its threads cannot be counted (no /proc/self/task)"
    others = native - 1 - fork_aware_threads()
    if others > 0:
        return (
            f"{others} native thread{'s' if others != 1 else ''} (e.g. an OpenMP pool) started "
            "while importing and collecting the tests"
        )
    torch = sys.modules.get("torch")
    initialised = getattr(getattr(torch, "cuda", None), "is_initialized", None)
    if callable(initialised) and initialised():
        return "CUDA was initialised while importing or collecting the tests"
    return None


def serve_forks(commands: int, replies: int, measure: Callable[[ReplicaRequest], None]) -> None:
    """The warm process's loop: fork a child per request; the child calls ``measure`` and
    exits. Ends when the launcher closes the request pipe, or when a fork would be unsafe."""
    # What imports and collection made is left out of the children's garbage collections
    # (the measuring collects before its rounds): faster, and those pages stay shared.
    gc.collect()
    gc.freeze()
    with (
        os.fdopen(commands, "r", encoding="utf-8") as requests,
        os.fdopen(replies, "w", encoding="utf-8") as answers,
    ):
        reason = fork_unsafe_reason()
        _answer(answers, {"ready": True} if reason is None else {"unsafe": reason})
        if reason is not None:
            return
        for line in requests:
            request = ReplicaRequest.from_json(json.loads(line))
            reason = fork_unsafe_reason()
            if reason is not None:
                _answer(answers, {"unsafe": reason})
                return
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:
                _child(request, measure, (commands, replies))
            _, status = os.waitpid(pid, 0)
            _answer(answers, {"status": os.waitstatus_to_exitcode(status)})


def _answer(answers: IO[str], message: Mapping[str, Any]) -> None:
    answers.write(json.dumps(message) + "\n")
    answers.flush()


def _child(
    request: ReplicaRequest, measure: Callable[[ReplicaRequest], None], pipes: Sequence[int]
) -> None:
    """A forked replica: measure, then leave without the warm process's exit handlers."""
    code = 1
    try:
        for fd in pipes:
            os.close(fd)
        random.seed()  # a spawned replica would not share its random state with the others
        measure(request)
        code = 0
    except BaseException as exc:
        print(f"pytest-pareto: the forked replica failed: {exc!r}", file=sys.stderr)
    finally:
        exit_now(code)


def exit_now(code: int) -> None:
    """End this process now, output flushed, without its exit handlers or the rest of
    pytest's session end: a forked replica, or a warm process when it has served."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


class WarmProcess:
    """The launcher's handle on one warm process: start it, ask it for replicas, end it."""

    def __init__(
        self, command: ReplicaCommand, request: ReplicaRequest, request_path: Path, log_path: Path
    ) -> None:
        self.tests = frozenset(request.tests)
        self.served = 0
        self.ready = False
        self.log_path = log_path
        commands_read, self._commands = os.pipe()
        self._replies, replies_write = os.pipe()
        pipes = (commands_read, replies_write)
        serving = replace(request, serve=pipes)
        with log_path.open("wb") as log:
            self.process = start_replica(command, serving, request_path, log, pass_fds=pipes)
        os.close(commands_read)
        os.close(replies_write)
        self._send = os.fdopen(self._commands, "w", encoding="utf-8")
        self._receive = os.fdopen(self._replies, "r", encoding="utf-8")

    def can_serve(self, tests: Sequence[str]) -> bool:
        return self.process.poll() is None and self.tests.issuperset(tests)

    def wait_ready(self) -> None:
        """Wait until the warm process has collected its tests; raises :class:`ForkUnsafe`
        when it cannot fork, :class:`MeasurementError` when it ended."""
        if not self.ready:
            self._reply()
            self.ready = True

    def run(self, request: ReplicaRequest) -> dict[str, TestRun]:
        """One forked replica measuring ``request``; raises :class:`ForkUnsafe` when the
        warm process refused to fork, :class:`MeasurementError` when it failed."""
        self.wait_ready()
        out = Path(request.out)
        out.unlink(missing_ok=True)
        self.served += 1
        try:
            self._send.write(json.dumps(request.to_json()) + "\n")
            self._send.flush()
        except OSError:
            pass  # the warm process ended: _reply() says how
        reply = self._reply()
        ending = f"the forked replica exited with status {reply.get('status')}"
        return runs_or_why(out, self.log_path, ending)

    def _reply(self) -> dict[str, Any]:
        """The warm process's next answer, unless it ended or cannot fork."""
        try:
            answer = self._receive.readline()
        except OSError:
            answer = ""
        if not answer:
            self.close()
            raise MeasurementError(
                f"the warm replica process ended (status {self.process.returncode}); "
                f"its output ends:\n{log_tail(self.log_path)}"
            )
        reply: dict[str, Any] = json.loads(answer)
        if "unsafe" in reply:
            self.close()
            raise ForkUnsafe(str(reply["unsafe"]))
        return reply

    def close(self) -> None:
        """End the warm process (it exits when its request pipe closes)."""
        for stream in (self._send, self._receive):
            with contextlib.suppress(OSError):
                stream.close()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
