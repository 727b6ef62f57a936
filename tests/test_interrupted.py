"""Interrupted updates: SIGKILL or Ctrl-C while baseline files are written leaves every file
either old or new, never truncated; the temporary files a killed write leaves are removed by a
later run."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pytest_pareto.store.baseline_files import Store
from pytest_pareto.store.locks import file_lock
from pytest_pareto.store.temp_files import TEMP_PREFIX, remove_stale_temp_files, target_of

BLOB = 1_000_000  # characters of extra_info per point: makes each write last milliseconds

WRITER = f"""
import sys
from pathlib import Path
from pytest_pareto.model.metrics import Metric
from pytest_pareto.model.points import Observation, Point, TestBaseline
from pytest_pareto.store.baseline_files import Store

store = Store(Path(sys.argv[1]))
metrics = {{"loss": Metric("loss")}}
ids = [f"tests/test_m{{m}}.py::test_a" for m in range(3)]
start = max((b.points[0].value("loss") for b in store.iter_baselines()), default=0)
i = int(start)
while True:
    i += 1
    for test_id in ids:
        point = Point({{"loss": Observation.single(i)}}, extra_info={{"blob": "x" * {BLOB}}})
        store.update(test_id, lambda _: TestBaseline(test_id, metrics, (point,)))
    if i == int(start) + 1:
        print("ready", flush=True)
"""


def _check_store(root: Path) -> list[float]:
    """Every baseline file parses and holds one whole point; return their values."""
    store = Store(root)
    values = []
    for path in store.iter_files():
        baselines = list(store.read_file(path).tests.values())
        assert len(baselines) == 1
        (point,) = baselines[0].points
        assert len(point.extra_info["blob"]) == BLOB
        values.append(point.value("loss"))
    return values


@pytest.mark.slow
def test_sigkill_during_writes_never_leaves_a_broken_file(tmp_path: Path) -> None:
    root = tmp_path / "baselines"
    rng = random.Random(9)
    leftovers: set[Path] = set()
    last = 0.0
    for _ in range(12):
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(root)], stdout=subprocess.PIPE, text=True
        )
        assert writer.stdout is not None
        assert writer.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.0, 0.2))
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=30)
        writer.stdout.close()
        values = _check_store(root)
        assert len(values) == 3
        assert min(values) >= last  # a file is old or new, never older than before
        last = min(values)
        leftovers |= set(root.rglob(f"{TEMP_PREFIX}*"))
    assert last > 1  # the writer made progress across the kills
    # The temporary files killed writes left name their target and are removed once stale.
    for temp in leftovers:
        target = target_of(temp)
        assert target is not None
        assert target.parent == temp.parent
        assert target.name.startswith("test_m")
    assert sorted(remove_stale_temp_files(root, min_age_s=0)) == sorted(leftovers)
    assert not list(root.rglob(f"{TEMP_PREFIX}*"))
    _check_store(root)


def _age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_stale_temp_file_rule(tmp_path: Path) -> None:
    folder = tmp_path / "tests"
    folder.mkdir()
    old_free = folder / f"{TEMP_PREFIX}test_a.py.json.k3j2h1ab.tmp"
    old_locked = folder / f"{TEMP_PREFIX}test_b.py.json.a8b7c6d5.tmp"
    fresh = folder / f"{TEMP_PREFIX}test_c.py.json.q1w2e3r4.tmp"
    legacy = folder / f"{TEMP_PREFIX}zx81qwer.json"
    baseline = folder / "test_a.py.json"
    for path in (old_free, old_locked, fresh, legacy, baseline):
        path.write_text("{}")
    link = folder / f"{TEMP_PREFIX}link.json.abcdefgh.tmp"
    link.symlink_to(baseline)
    for path in (old_free, old_locked, legacy, baseline):
        _age(path, 120)

    with file_lock(folder / "test_b.py.json"):  # a writer on this host is writing test_b
        removed = remove_stale_temp_files(tmp_path)
    assert sorted(removed) == sorted([old_free, legacy])
    assert old_locked.exists()  # its target is locked: the write may be live
    assert fresh.exists()  # too young: a writer on another host may own it
    assert link.is_symlink()  # not a regular file: not ours
    assert baseline.exists()
    assert remove_stale_temp_files(tmp_path) == [old_locked]


def test_a_run_removes_temp_files_an_interrupted_write_left(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_m="def test_a():\n    pass\n")
    folder = pytester.path / "baselines"
    folder.mkdir()
    stale = folder / f"{TEMP_PREFIX}test_m.py.json.7h6g5f4d.tmp"
    stale.write_text('{"format": "pytest-pareto baselines", "sch')
    _age(stale, 3600)
    result = pytester.runpytest()
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [f"pareto: removed 1 temporary file(s) left by an interrupted write: {stale}"]
    )
    assert not stale.exists()


UPDATED_TESTS = """
import os
import pytest

@pytest.mark.parametrize("k", range(4))
def test_model(pareto, k):
    pareto.record("loss", float(os.environ["LOSS"]))
"""

SLOW_UPDATE = """
import os
import time
from pathlib import Path

def pytest_pareto_frontier_updated(config, change):
    Path(os.environ["MARKER"]).touch()
    time.sleep(0.03)  # an update phase long enough to be interrupted
"""


@pytest.mark.slow
@pytest.mark.parametrize("signal_number", [signal.SIGKILL, signal.SIGINT], ids=["KILL", "INT"])
def test_pytest_killed_during_update_leaves_old_or_new_files(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, signal_number: int
) -> None:
    pytester.makepyfile(**{f"test_m{m}": UPDATED_TESTS for m in range(6)})
    pytester.makeconftest(SLOW_UPDATE)
    marker = pytester.path / "updating"
    monkeypatch.setenv("MARKER", str(marker))
    monkeypatch.setenv("LOSS", "100")
    assert pytester.runpytest("--pareto-update", "-p", "no:cacheprovider").ret == 0
    store = Store(pytester.path / "baselines")
    test_ids = [f"test_m{m}.py::test_model[{k}]" for m in range(6) for k in range(4)]

    rng = random.Random(int(signal_number))
    seen: set[float] = set()
    for attempt in range(2):
        marker.unlink(missing_ok=True)
        monkeypatch.setenv("LOSS", str(90 - attempt))  # dominates every earlier result
        run = subprocess.Popen(
            [sys.executable, "-m", "pytest", "--pareto-update", "-p", "no:cacheprovider", "-q"],
            cwd=pytester.path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 120
        while not marker.exists() and run.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        assert marker.exists(), "the run never reached its update"
        time.sleep(rng.uniform(0.0, 0.4))
        run.send_signal(signal_number)
        run.wait(timeout=60)
        for test_id in test_ids:  # every file parses; each test holds its old or new point
            baseline = store.load(test_id)
            assert baseline is not None
            (point,) = baseline.points
            assert point.value("loss") in {100.0, 90.0, 89.0}
            seen.add(point.value("loss"))
        if signal_number == signal.SIGINT:
            # Ctrl-C unwinds through the write, which removes its temporary file.
            assert not list(store.root.rglob(f"{TEMP_PREFIX}*"))
    assert seen - {100.0}  # some updates were written before the interruption
