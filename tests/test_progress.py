"""Progress of long pareto work on pytest's terminal: quiet with -q, one rewritten line on a
terminal, throttled lines in logs, every update with -v; silent on xdist workers."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys

import pytest

from pytest_pareto.replication.progress import NullProgress, ProgressSink, progress_line

CONFTEST = """
from pytest_pareto.plugin.progress import progress


class Clock:
    now = 100.0

    def __call__(self):
        return self.now


def pytest_sessionfinish(session):
    clock = Clock()
    with progress(session.config, "pareto replication", clock=clock) as sink:
        for done in range(1, 7):
            clock.now += 4.0  # each process takes 4 s
            sink.update(done, 6, remaining=6 - done, message=f"batch {done}")
"""


def _line(done: int) -> str:
    return progress_line("pareto replication", done, 6, remaining=6 - done, message=f"batch {done}")


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_a="def test_ok():\n    pass\n")
    return pytester


def _shown(result: pytest.RunResult) -> list[str]:
    return [line for line in result.outlines if line.startswith("pareto replication")]


def test_line_format() -> None:
    assert _line(3) == "pareto replication: 3/6 processes measured, 3 tests remaining (batch 3)"
    assert progress_line("p", 5, 10, remaining=1) == "p:  5/10 processes measured, 1 test remaining"
    sink: ProgressSink = NullProgress()
    sink.update(1, 2, remaining=1, message="x")  # a silent sink for code run outside pytest
    sink.finish("done")


def test_quiet_shows_nothing(project: pytest.Pytester) -> None:
    assert _shown(project.runpytest("-q", "-p", "no:cacheprovider")) == []


def test_default_verbosity_in_a_log_is_throttled(project: pytest.Pytester) -> None:
    # not a terminal: the first update, then at most one line per 15 s, and the last one
    result = project.runpytest("-p", "no:cacheprovider")
    assert _shown(result) == [_line(1), _line(5), _line(6)]


def test_verbose_shows_every_update(project: pytest.Pytester) -> None:
    result = project.runpytest("-v", "-p", "no:cacheprovider")
    assert _shown(result) == [_line(done) for done in range(1, 7)]


def test_a_terminal_gets_one_line_rewritten_in_place(project: pytest.Pytester) -> None:
    parent, child = pty.openpty()
    env = dict(os.environ, COLUMNS="160", LINES="40", PYTHONDONTWRITEBYTECODE="1")
    env.pop("PYTEST_ADDOPTS", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--color=no"],
        cwd=project.path,
        stdin=child,
        stdout=child,
        stderr=child,
        env=env,
    )
    os.close(child)
    chunks = []
    while True:
        ready, _, _ = select.select([parent], [], [], 60)
        if not ready:
            break
        try:
            data = os.read(parent, 65536)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(parent)
    assert process.wait(timeout=60) == 0
    output = b"".join(chunks).decode()
    for done in range(1, 7):  # 4 s apart on the injected clock: each one is drawn
        assert "\r" + _line(done) in output
    # the same screen line: no newline between updates, one after the last
    start = output.index("\r" + _line(1))
    end = output.index("\r" + _line(6))
    assert "\n" not in output[start:end]
    assert output[end:].split("\n", 1)[0].rstrip("\r ") == "\r" + _line(6)


@pytest.mark.slow
def test_silent_on_xdist_workers(pytester: pytest.Pytester) -> None:
    pytest.importorskip("xdist")
    pytester.makepyfile(
        test_w="""
        from pytest_pareto.plugin.progress import progress

        def test_worker(request):
            assert hasattr(request.config, "workerinput")
            assert not progress(request.config).enabled
        """
    )
    pytester.runpytest("-n", "1", "-p", "no:cacheprovider").assert_outcomes(passed=1)
