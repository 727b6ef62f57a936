"""Code that slows the whole interpreter cannot hide behind speed normalisation.

A tracer (``sys.settrace``) installed when the test module is imported slows the calibration
loop as much as the measured call, so the speed-normalised ratio cancels it. Each replica's
loop timed before user code tells the two apart: the change fails against a baseline
recorded without it, with a stored baseline and with ``--pareto-against``, while identical
code passes. A busy thread started at import fails too (it slows a 10 ms call more than the
1 ms loop, whose runs mostly fit between two GIL switches).
"""

from __future__ import annotations

import subprocess
import sys

import pytest

WORK = """
def work(n=100_000):  # about 10 ms: a round spans GIL switch intervals (5 ms)
    total = 0
    for i in range(n):
        total += i * i % 7
    return total
"""

TEST = """
import slowdown  # noqa: F401  (what it does at import is the change under test)
from work import work

def test_work(pareto):
    pareto(work)
"""

SLOWDOWNS = {
    "none": "",
    "settrace": (
        "import sys\ndef tracer(frame, event, arg):\n    return tracer\nsys.settrace(tracer)\n"
    ),
    "thread": (
        "import threading\n"
        "def spin():\n"
        "    while True:\n"
        "        sum(range(1000))\n"
        "threading.Thread(target=spin, daemon=True).start()\n"
    ),
}
FIVE = (
    *("-p", "no:cacheprovider", "--pareto-processes", "5"),
    # 20 rounds of the 10 ms call a process: the busy thread's cost varies with how its GIL
    # switches fall in each round, and a median of the default's 5 rounds can miss it.
    *("-o", "pareto_max_time=0.2", "-o", "pareto_process_max_time=0.2"),
)


def _project(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(work=WORK, test_m=TEST, slowdown=SLOWDOWNS["none"])
    pytester.makeini("[pytest]\npythonpath = .\n")


def _expect(result: pytest.RunResult, change: str) -> None:
    if change == "none":
        result.assert_outcomes(passed=1)
        return
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*pareto: dominated*"])
    if change == "settrace":  # a busy thread slows the call more than the loop: seen anyway
        result.stdout.fnmatch_lines(["*slowed the whole process*"])


@pytest.mark.slow
def test_process_wide_slowdowns_fail_against_a_stored_baseline(pytester: pytest.Pytester) -> None:
    _project(pytester)
    pytester.runpytest_subprocess(*FIVE, "--pareto-update").assert_outcomes(passed=1)
    for change in ("settrace", "thread", "none"):
        pytester.makepyfile(slowdown=SLOWDOWNS[change])
        _expect(pytester.runpytest_subprocess(*FIVE), change)


@pytest.mark.slow
@pytest.mark.parametrize("change", ["settrace", "thread"])
def test_process_wide_slowdowns_fail_with_pareto_against(
    pytester: pytest.Pytester, change: str
) -> None:
    _project(pytester)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@localhost"]
    subprocess.run([*git, "init", "-q"], cwd=pytester.path, check=True)
    subprocess.run([*git, "add", "."], cwd=pytester.path, check=True)
    subprocess.run([*git, "commit", "-qm", "baseline"], cwd=pytester.path, check=True)
    pytester.makepyfile(slowdown=SLOWDOWNS[change])
    _expect(pytester.runpytest_subprocess(*FIVE, "--pareto-against", "HEAD"), change)


def test_a_forked_replica_times_its_own_speed_unless_user_code_set_a_tracer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A forked replica inherits its warm process's reference; the host may run the child
    at another speed (1.6x here), so it times the loop again -- but not when the code under
    test installed a tracer at import, which the inherited reference is there to show."""
    from pytest_pareto.measuring import speed_reference

    stale = 1e-9  # a parent far faster than any process can run the loop
    monkeypatch.setattr(speed_reference, "_reference", stale)
    monkeypatch.setattr(speed_reference, "_tracers_at_reference", (sys.gettrace(), None))
    monkeypatch.setattr(sys, "getprofile", lambda: None)
    retaken = speed_reference.retake_in_forked_process(runs=2)
    assert retaken is not None
    assert retaken > stale
    assert speed_reference.process_reference() == retaken

    monkeypatch.setattr(speed_reference, "_reference", stale)
    monkeypatch.setattr(sys, "getprofile", lambda: print)  # "set by user code at import"
    assert speed_reference.retake_in_forked_process(runs=2) == stale
