"""Replicas forked from warm processes: the protocol, the safety check, and the plugin's use."""

from __future__ import annotations

import os
import sys
import textwrap
import threading
from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import cast

import pytest

from pytest_pareto.errors import MeasurementError
from pytest_pareto.plugin.replication.command import ReplicaLauncher
from pytest_pareto.replication.schedule import ReplicaCommand, ReplicaRequest, Side
from pytest_pareto.replication.warm_process import ForkUnsafe, WarmProcess, fork_unsafe_reason
from tests.replica_project import MEASURED, WORK

# Imported here, once: pytester's in-process runs drop the modules a run imported, and torch
# cannot be imported twice in one process.
torch = pytest.importorskip("torch")

SERVER = """
import os, random, sys, threading, time
from pytest_pareto.replication.schedule import ReplicaRequest, TestRun, write_runs
from pytest_pareto.replication.warm_process import serve_forks

request = ReplicaRequest.load(sys.argv[1])
if os.environ.get("FAIL_TO_COLLECT"):
    sys.exit("collection failed here")
if os.environ.get("START_THREAD"):
    threading.Thread(target=time.sleep, args=(30,), daemon=True).start()

def measure(asked):
    if "crash" in asked.tests:
        print("the child gives up", flush=True)
        os._exit(3)
    runs = [TestRun(t, "passed", message=f"{os.getpid()} {random.random()}") for t in asked.tests]
    write_runs(asked.out, runs)

serve_forks(*request.serve, measure)
print("served")
"""


def warm(tmp_path: Path, **env: str) -> WarmProcess:
    script = tmp_path / "server.py"
    script.write_text(SERVER, encoding="utf-8")
    python_path = {"PYTHONPATH": str(Path(__file__).parents[1])}
    command = ReplicaCommand([sys.executable, str(script)], tmp_path, {**python_path, **env})
    return WarmProcess(
        command,
        ReplicaRequest(("a", "b", "crash"), str(tmp_path / "warm.json")),
        tmp_path / "request.json",
        tmp_path / "log.txt",
    )


def test_a_warm_process_forks_one_replica_per_request(tmp_path: Path) -> None:
    process = warm(tmp_path)
    try:
        first = process.run(ReplicaRequest(("a", "b"), str(tmp_path / "runs-1.json")))
        second = process.run(ReplicaRequest(("b",), str(tmp_path / "runs-2.json")))
        assert set(first) == {"a", "b"}
        assert set(second) == {"b"}
        pid_1, random_1 = first["b"].message.split()
        pid_2, random_2 = second["b"].message.split()
        assert pid_1 != pid_2
        assert pid_1 != str(process.process.pid)
        assert random_1 != random_2  # each child reseeds, as a fresh process would be seeded
        assert process.served == 2
        assert process.can_serve(["a"])
        assert not process.can_serve(["a", "other"])
    finally:
        process.close()
    assert process.process.returncode == 0
    assert "served" in (tmp_path / "log.txt").read_text()


def test_a_warm_process_says_when_it_is_ready_before_any_request(tmp_path: Path) -> None:
    process = warm(tmp_path)
    try:
        process.wait_ready()
        assert process.ready
        assert process.served == 0
        process.wait_ready()  # once ready, it stays so: nothing more is read
        assert set(process.run(ReplicaRequest(("a",), str(tmp_path / "runs.json")))) == {"a"}
    finally:
        process.close()


def test_a_warm_process_that_ends_before_it_is_ready_says_why(tmp_path: Path) -> None:
    process = warm(tmp_path, FAIL_TO_COLLECT="1")
    with pytest.raises(MeasurementError, match="collection failed here"):
        process.wait_ready()
    assert process.process.returncode == 1


def test_a_failing_child_is_a_measurement_error_with_its_output(tmp_path: Path) -> None:
    process = warm(tmp_path)
    try:
        with pytest.raises(MeasurementError, match="exited with status 3") as failed:
            process.run(ReplicaRequest(("crash",), str(tmp_path / "runs.json")))
        assert "the child gives up" in str(failed.value)
        # The warm process goes on serving.
        assert set(process.run(ReplicaRequest(("a",), str(tmp_path / "again.json")))) == {"a"}
    finally:
        process.close()


def test_a_warm_process_with_threads_refuses_to_fork(tmp_path: Path) -> None:
    process = warm(tmp_path, START_THREAD="1")
    try:
        with pytest.raises(ForkUnsafe, match="2 threads"):
            process.wait_ready()  # it says so instead of being ready
    finally:
        process.close()
    again = warm(tmp_path, START_THREAD="1")
    try:
        with pytest.raises(ForkUnsafe, match="2 threads"):
            again.run(ReplicaRequest(("a",), str(tmp_path / "runs.json")))
    finally:
        again.close()
    assert not (tmp_path / "runs.json").exists()


def test_fork_is_unsafe_while_another_thread_runs() -> None:
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        reason = fork_unsafe_reason()
    finally:
        stop.set()
        thread.join()
    assert reason is not None
    assert "threads" in reason


class StartingWarmProcess:
    """Stands in for a warm process in the launcher: ready, or ended while collecting."""

    def __init__(self, fails: bool) -> None:
        self.fails = fails
        self.waited = False
        self.served = 0

    def wait_ready(self) -> None:
        self.waited = True
        if self.fails:
            raise MeasurementError("collection failed")


def test_a_look_waits_for_every_warm_process_it_started_even_after_one_failed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """None may still be importing when the look's first child measures."""
    (tmp_path / "test_a.py").write_text("", encoding="utf-8")
    config = SimpleNamespace(rootpath=tmp_path)
    launcher = ReplicaLauncher(cast(pytest.Config, config), None, forks=3)
    started: list[StartingWarmProcess] = []

    def start(side: Side, tests: Sequence[str]) -> StartingWarmProcess:
        started.append(StartingWarmProcess(fails=not started))
        return started[-1]

    monkeypatch.setattr(launcher, "_start_warm", start)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2, 3}, raising=False)
    try:
        launcher.prepare_look(Side.CANDIDATE, ["test_a.py::test_a"], batches=20)
    finally:
        launcher.close()
    assert len(started) == 4  # four at a time; after the failure no more are started
    assert all(process.waited for process in started)


# -- the plugin ----------------------------------------------------------------------------


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest("-p", "no:hypothesispytest", *args)


@pytest.mark.slow
def test_replicas_are_forked_from_warm_processes_and_the_summary_says_so(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeini("[pytest]\naddopts = -p no:cacheprovider\npareto_replica_forks = 2\n")
    pytester.makepyfile(work=WORK.format(factor=1.0), test_measured=MEASURED)
    result = run(pytester, "--pareto-update", "--pareto-processes", "4")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "replicated 1 test in 4 replica processes*",
            "  replica processes: 4 forked from 2 warm processes",
        ]
    )


TIMELINE = """
import os, time

def _note(what):
    with open(os.environ["TIMELINE"], "a") as timeline:
        timeline.write(f"{what} {os.getpid()} {os.getppid()} {time.monotonic()}\\n")

def pytest_collection_finish(session):
    _note("collected")
"""

NOTING = """
import pytest
from conftest import _note
from work import work

@pytest.mark.pareto(metrics=["wall_time"], tolerance={"wall_time": "100%"})
def test_measured(pareto):
    _note("measured")
    pareto(work)
"""


@pytest.mark.slow
def test_a_looks_warm_processes_start_at_once_and_take_turns(
    pytester: pytest.Pytester, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every warm process of a look has collected before its first child measures (no
    import runs while a replica measures), and their children alternate."""
    timeline = tmp_path / "timeline.txt"
    monkeypatch.setenv("TIMELINE", str(timeline))
    pytester.makeini("[pytest]\naddopts = -p no:cacheprovider\npareto_replica_forks = 2\n")
    pytester.makeconftest(TIMELINE)
    pytester.makepyfile(work=WORK.format(factor=1.0), test_measured=NOTING)
    result = run(pytester, "--pareto-update", "--pareto-processes", "4")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["  replica processes: 4 forked from 2 warm processes"])
    events = [line.split() for line in timeline.read_text().splitlines()]
    children = [(int(ppid), float(at)) for what, _, ppid, at in events if what == "measured"]
    warm = {int(pid): float(at) for what, pid, _, at in events if what == "collected"}
    parents = [ppid for ppid, _ in children if ppid in warm]
    assert len(parents) == 4  # the main process's own run is not a child of a warm process
    assert len(set(parents)) == 2
    assert parents[0] != parents[1]
    assert parents[:2] == parents[2:]  # A B A B
    first_measured = min(at for ppid, at in children if ppid in warm)
    assert all(at < first_measured for at in warm.values())


@pytest.mark.slow
def test_threads_started_at_import_make_replicas_start_afresh(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\naddopts = -p no:cacheprovider\n")
    threaded = textwrap.dedent(
        """
        import threading, time
        threading.Thread(target=time.sleep, args=(60,), daemon=True).start()
        """
    )
    pytester.makepyfile(work=WORK.format(factor=1.0), test_measured=threaded + MEASURED)
    result = run(pytester, "--pareto-update", "--pareto-processes", "3")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "replicated 1 test in 3 replica processes*",
            "  replica processes: 0 forked from 1 warm processes, 3 started afresh; candidate "
            "replicas started afresh: the process has 2 threads after importing and collecting "
            "the tests*",
        ]
    )


@pytest.mark.slow
def test_no_forks_starts_every_replica_afresh(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\naddopts = -p no:cacheprovider\npareto_replica_forks = 0\n")
    pytester.makepyfile(work=WORK.format(factor=1.0), test_measured=MEASURED)
    result = run(pytester, "--pareto-update", "--pareto-processes", "2")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["  replica processes: each a fresh process"])


def test_a_bad_forks_setting_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(work=WORK.format(factor=1.0), test_measured=MEASURED)
    result = run(pytester, "-o", "pareto_replica_forks=many")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*ini pareto_replica_forks = 'many' must be an integer >= 0 (0 starts every replica*"]
    )


TORCH_TEST = """
import pytest
import torch

torch.manual_seed(0)
MODEL = torch.nn.Sequential(torch.nn.Linear(256, 512), torch.nn.ReLU(), torch.nn.Linear(512, 10))
BATCH = torch.randn(64, 256)
{at_import}

def infer():
    with torch.no_grad():
        return MODEL(BATCH)


@pytest.mark.pareto(metrics=["wall_time"], tolerance={{"wall_time": "100%"}})
def test_inference(pareto):
    pareto(infer)
"""


@pytest.mark.slow
@pytest.mark.parametrize(
    ("at_import", "started"),
    [
        ("", "  replica processes: 2 forked from 1 warm processes"),
        (
            "MODEL(BATCH)",
            "  replica processes: 0 forked from 1 warm processes, 2 started afresh; candidate "
            "replicas started afresh: * native thread* (e.g. an OpenMP pool) started while "
            "importing and collecting the tests",
        ),
    ],
    ids=["model-built", "inference-at-import"],
)
def test_torch_forks_until_its_thread_pool_has_run(
    pytester: pytest.Pytester, at_import: str, started: str
) -> None:
    """Importing torch and building a model leave a warm process safe to fork (numpy's
    OpenBLAS threads restart after a fork); an inference at import starts torch's OpenMP
    pool, which a forked child would wait on for ever."""
    pytester.makeini("[pytest]\naddopts = -p no:cacheprovider\n")
    pytester.makepyfile(test_torch=TORCH_TEST.format(at_import=at_import))
    result = run(pytester, "--pareto-update", "--pareto-processes", "2")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["replicated 1 test in 2 replica processes*", started])
