"""pytest-pareto under real pytest-xdist workers: verdicts reach the controller, only the
controller writes the store, and workers measure noisy metrics one at a time."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_pareto.store.baseline_files import Store

pytest.importorskip("xdist")

pytestmark = pytest.mark.slow

RECORDING_TESTS = """
import os
import pytest

@pytest.mark.parametrize("k", range(6))
def test_model(pareto, k):
    regress = os.environ.get("REGRESS") == "1" and k % 2 == 0
    pareto.record("loss", {offset} + k + (10 if regress else 0))
    pareto.record("accuracy", 0.9, better="higher")
    pareto.extra_info["worker"] = os.environ.get("PYTEST_XDIST_WORKER", "")
"""

WRITE_LOG = """
import json
import os

def pytest_pareto_frontier_updated(config, change):
    with open(os.environ["UPDATE_LOG"], "a") as log:
        worker = hasattr(config, "workerinput")
        log.write(json.dumps([os.getpid(), worker, change.test_id]) + "\\n")
"""


@pytest.fixture
def isolated_locks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Lock files in this test's own folder, so other runs on the host do not interfere."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setenv("TMPDIR", str(folder))
    return folder


def test_update_writes_each_baseline_once_and_a_second_run_judges(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, isolated_locks: Path
) -> None:
    pytester.makepyfile(
        test_one=RECORDING_TESTS.format(offset=1), test_two=RECORDING_TESTS.format(offset=100)
    )
    pytester.makeconftest(WRITE_LOG)
    log = pytester.path / "updates.log"
    monkeypatch.setenv("UPDATE_LOG", str(log))

    result = pytester.runpytest_subprocess("-n", "2", "--pareto-update")
    result.assert_outcomes(passed=12)
    result.stdout.fnmatch_lines(["*12 new*", "*frontier updated:*"])

    writes = [json.loads(line) for line in log.read_text().splitlines()]
    test_ids = sorted(test_id for _, _, test_id in writes)
    expected = sorted(f"test_{m}.py::test_model[{k}]" for m in ("one", "two") for k in range(6))
    assert test_ids == expected  # each baseline written exactly once
    assert {worker for _, worker, _ in writes} == {False}  # by the controller only
    assert len({pid for pid, _, _ in writes}) == 1

    store = Store(pytester.path / "baselines")
    workers = set()
    for module, offset in (("one", 1), ("two", 100)):
        for k in range(6):
            baseline = store.load(f"test_{module}.py::test_model[{k}]")
            assert baseline is not None
            (point,) = baseline.points
            assert point.values() == {"accuracy": 0.9, "loss": offset + k}
            workers.add(point.extra_info["worker"])
    assert workers == {"gw0", "gw1"}  # points measured in both workers reached the store

    before = {path: path.read_bytes() for path in store.iter_files()}
    monkeypatch.setenv("REGRESS", "1")
    result = pytester.runpytest_subprocess("-n", "2")
    result.assert_outcomes(passed=6, failed=6)
    result.stdout.fnmatch_lines(["*dominated*", "*6 pass*"])
    for k in (0, 2, 4):
        result.stdout.fnmatch_lines([f"FAILED test_one.py::test_model[[]{k}[]]*dominated*"])
    assert {path: path.read_bytes() for path in store.iter_files()} == before


MEASURED_TESTS = """
import os
import time
import pytest

def busy(log, rendezvous):
    start = time.monotonic()
    if rendezvous:
        rendezvous_with_other_worker(log.parent)
    while time.monotonic() - start < 0.02:
        pass
    with open(log, "a") as handle:
        handle.write(f"{{os.getpid()}} {{start}} {{time.monotonic()}}\\n")

def rendezvous_with_other_worker(folder):
    mine = folder / f"arrived-{{os.getpid()}}"
    mine.touch()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if any(p != mine for p in folder.glob("arrived-*")):
            return
        time.sleep(0.01)

@pytest.mark.pareto(rounds=3, iterations=1, warmup=0, metrics=["wall_time"])
@pytest.mark.parametrize("k", range(4))
def test_measured_{name}(pareto, k, tmp_path_factory):
    from pathlib import Path
    log = Path(os.environ["MEASURE_LOG"])
    rendezvous = os.environ.get("RENDEZVOUS") == "1" and k == 0
    pareto(busy, log, rendezvous)

@pytest.mark.parametrize("k", range(4))
def test_ordinary_{name}(k):
    time.sleep(0.05)
"""


def _intervals(log: Path) -> list[tuple[int, float, float]]:
    rows = [line.split() for line in log.read_text().splitlines()]
    return [(int(pid), float(start), float(end)) for pid, start, end in rows]


def _overlaps(intervals: list[tuple[int, float, float]]) -> int:
    """Pairs of calls measured by different processes at the same time."""
    return sum(
        1
        for i, (pid_a, start_a, end_a) in enumerate(intervals)
        for pid_b, start_b, end_b in intervals[i + 1 :]
        if pid_a != pid_b and start_a < end_b and start_b < end_a
    )


@pytest.mark.parametrize("serialize", [True, False], ids=["lock", "no-lock"])
def test_workers_measure_one_at_a_time(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    isolated_locks: Path,
    serialize: bool,
) -> None:
    pytester.makepyfile(
        test_a=MEASURED_TESTS.format(name="a"), test_b=MEASURED_TESTS.format(name="b")
    )
    folder = pytester.path / "measure-log"
    folder.mkdir()
    log = folder / "calls.log"
    monkeypatch.setenv("MEASURE_LOG", str(log))
    options = ["-n", "2", "--dist", "loadfile", "-p", "no:randomly"]
    if not serialize:
        # Without the lock both workers can be inside a measurement at once: the rendezvous
        # makes that certain, which shows the overlap check below can see it.
        monkeypatch.setenv("RENDEZVOUS", "1")
        options += ["-o", "pareto_serialize_measurements=false"]
    result = pytester.runpytest_subprocess(*options)
    result.assert_outcomes(passed=16)
    if serialize:
        result.stdout.fnmatch_lines(["*workers measure noisy metrics one at a time*"])
    intervals = _intervals(log)
    assert len({pid for pid, _, _ in intervals}) == 2  # both workers measured
    assert len(intervals) == 2 * 4 * 3  # 2 modules x 4 tests x 3 rounds
    if serialize:
        assert _overlaps(intervals) == 0
    else:
        assert _overlaps(intervals) > 0
