"""How large a realistic store is, how long it takes to load, and to judge one test or all.

Builds a store with pytest-pareto's own writer (``Store.write``: the file format, the machine
table, history summaries) from points shaped like the ones the plugin stores for a test with
the default probes and ``--pareto-processes 20``:

* noisy ``wall_time``, ``cpu_time`` (both speed-calibrated) and ``peak_rss``: 20 processes,
  each with its median, round count (10-50) and spread; deterministic ``py_alloc_peak``;
* a trade-off frontier of 1-5 points per test (faster but larger, and so on);
* 20 history entries per test (runs, pruned and retired points), as summaries;

for TESTS tests in MODULES files (10,000 in 100 by default). Then it times, in seconds:

* ``load_s``: what a run pays to open every module file of the store and index its tests
  (``Store.read_entries``: read the file, check its frame, find each test's entry); a test's
  entry is decoded and checked only when that test is first loaded, so this is not the time
  to decode the whole store, which is printed too:
* ``full_decode_s``: open every file and decode and check every test in it (what
  ``Store.iter_baselines`` and ``Store.read_file`` pay, and what ``load_s`` measured before
  tests were decoded lazily), on the line before the last;
* ``judge_one_s``: a run of one test: a fresh store loads its module (100 tests) and judges a
  new result against the test's frontier with the plugin's comparators (the rank test and
  its bootstrap interval for noisy metrics, 20 processes per side);
* ``judge_all_s``: judge a new result of every test against its frontier (decoded already).

Usage::

    python benchmarks/store_scale.py                  # 10,000 tests in 100 modules
    python benchmarks/store_scale.py --tests 1000 --modules 10

Times are the median of --repeat runs (wall clock) on whatever else the machine is doing: say
the load (``uptime``) with the figures. The last two lines are machine-readable::

    full-decode: tests=T full_decode_s=D
    store-scale: tests=T points=P bytes=B load_s=X judge_one_s=Y judge_all_s=Z
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple, TypeVar

from pytest_pareto.frontier.maintenance import comparable_points
from pytest_pareto.judging.dominance import compare_values
from pytest_pareto.judging.stats import RankComparator, SequentialDesign
from pytest_pareto.judging.verdict import JudgePolicy, Verdict, judge
from pytest_pareto.model.machine import Matching, current_machine
from pytest_pareto.model.metrics import BUILTIN_METRICS, Variability
from pytest_pareto.model.points import HistoryEntry, Observation, Point, TestBaseline
from pytest_pareto.store.baseline_files import BaselineFile, Store
from pytest_pareto.store.lazy_entries import ModuleEntries

PROCESSES = 20
HISTORY = 20
CALIBRATED = ("wall_time", "cpu_time")
METRICS = {name: BUILTIN_METRICS[name] for name in (*CALIBRATED, "peak_rss", "py_alloc_peak")}
EVENTS = ("run", "run", "run", "pruned", "retired")
T = TypeVar("T")


def _ns(seconds: float) -> float:
    """A time as a clock gives it: whole nanoseconds (per call: divided by the iterations)."""
    return round(seconds, 9)


def _noisy(rng: random.Random, level: float, calibrated: bool) -> Observation:
    """20 processes as the plugin stores them: median (often the mean of the middle two rounds),
    round count, spread and, for timed metrics, the calibration loop's median."""
    medians, counts, spreads, scales = [], [], [], []
    for _ in range(PROCESSES):
        speed = rng.lognormvariate(0.0, 0.05)
        low, high = _ns(level * speed), _ns(level * speed * rng.uniform(1.0, 1.02))
        count = rng.randint(10, 50)
        medians.append((low + high) / 2 if count % 2 == 0 else low)
        counts.append(count)
        spreads.append(float(f"{level * rng.uniform(0.005, 0.05):.2g}"))
        scales.append(_ns(0.001 * speed * rng.uniform(0.99, 1.01)))
    return Observation.from_summaries(
        tuple(medians), tuple(counts), tuple(spreads), tuple(scales) if calibrated else None
    )


def plugin_point(rng: random.Random, time_level: float, memory: float, at: str) -> Point:
    observations = {name: _noisy(rng, time_level, True) for name in CALIBRATED}
    observations["peak_rss"] = _noisy(rng, memory, False)
    observations["py_alloc_peak"] = Observation.single(float(rng.randrange(300, 100_000)))
    return Point(
        observations,
        recorded_at=at,
        commit=f"{rng.getrandbits(160):040x}",
        machine=current_machine(),
    )


def _frontier(rng: random.Random) -> tuple[Point, ...]:
    """1-5 trade-off points: each faster than the one before and larger in memory."""
    size = rng.randint(1, 5)
    time_level, memory = rng.uniform(1e-4, 1e-1), float(rng.randrange(2**20, 2**30))
    return tuple(
        plugin_point(rng, time_level * 0.7**k, memory * 1.6**k, f"2026-02-{1 + k:02d}T10:00:00Z")
        for k in range(size)
    )


def _history(rng: random.Random, frontier: tuple[Point, ...]) -> tuple[HistoryEntry, ...]:
    level = frontier[0].value("wall_time")
    memory = frontier[0].value("peak_rss")
    entries = []
    for k in range(HISTORY):
        at = f"2026-01-{1 + k:02d}T09:{k:02d}:00Z"
        point = plugin_point(rng, level * rng.uniform(0.9, 1.5), memory, at)
        event = EVENTS[k % len(EVENTS)]
        verdict = f"equal to {frontier[0].id}" if event == "run" else None
        entries.append(HistoryEntry(event, at, point, verdict))
    return tuple(entries)


def build_store(root: Path, tests: int, modules: int) -> tuple[int, int]:
    """Write the store with the real writer; return (frontier points, bytes)."""
    rng = random.Random(0)
    store = Store(root)
    per_module = -(-tests // modules)
    points = size = 0
    for module in range(modules):
        module_id = f"tests/test_m{module:03d}.py"
        names = [f"test_{k}" for k in range(per_module) if module * per_module + k < tests]
        content = BaselineFile(store.path_for(f"{module_id}::x"))
        for name in names:
            frontier = _frontier(rng)
            history = _history(rng, frontier)
            content.tests[name] = TestBaseline(f"{module_id}::{name}", METRICS, frontier, history)
            points += len(frontier)
        store.write(content)
        size += content.path.stat().st_size
    return points, size


def policy() -> JudgePolicy:
    """The plugin's policy with 20 processes: the rank test for noisy metrics."""
    comparators = {
        Variability.NOISY: RankComparator(SequentialDesign(max_processes=PROCESSES)),
        Variability.DETERMINISTIC: compare_values,
    }
    return JudgePolicy(comparators=comparators)


def candidate(baseline: TestBaseline, seed: int) -> Point:
    """A new result: like the test's fastest point, 1% slower on wall time."""
    rng = random.Random(seed)
    fastest = baseline.points[-1]
    return plugin_point(
        rng,
        fastest.value("wall_time") * 1.01,
        fastest.value("peak_rss"),
        "2026-03-01T10:00:00Z",
    )


def _timed(action: Callable[[], T], repeat: int) -> tuple[float, T]:
    """Median wall-clock seconds of ``repeat`` runs, and the last result."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def _judge(baseline: TestBaseline, new: Point, judging: JudgePolicy) -> Verdict:
    references, reason = comparable_points(baseline, current_machine(), Matching.EXACT)
    return judge(
        baseline.test_id, new, references, baseline.metrics, judging, skipped_reason=reason
    )


class Timings(NamedTuple):
    load_s: float
    full_decode_s: float
    judge_one_s: float
    judge_all_s: float
    verdicts: int


def measure(root: Path, repeat: int) -> Timings:
    """The timings of the store under ``root``."""
    store = Store(root)
    files = list(store.iter_files())

    def index_all() -> list[ModuleEntries]:
        return [store.read_entries(path) for path in files]

    def decode_all() -> list[TestBaseline]:
        return [baseline for path in files for baseline in store.read_entries(path)]

    load_s, indexed = _timed(index_all, repeat)
    full_decode_s, baselines = _timed(decode_all, repeat)
    if sum(len(entries.names) for entries in indexed) != len(baselines):
        raise AssertionError("the index and the decoded store disagree")
    judging = policy()
    one = baselines[len(baselines) // 2]
    one_candidate = candidate(one, 1)

    def judge_one() -> Verdict:
        baseline = Store(root).load(one.test_id)
        assert baseline is not None
        return _judge(baseline, one_candidate, judging)

    judge_one_s, _ = _timed(judge_one, repeat)
    candidates = [(b, candidate(b, i)) for i, b in enumerate(baselines)]
    start = time.perf_counter()
    verdicts = [_judge(b, new, judging) for b, new in candidates]
    judge_all_s = time.perf_counter() - start
    return Timings(load_s, full_decode_s, judge_one_s, judge_all_s, len(verdicts))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tests", type=int, default=10_000)
    parser.add_argument("--modules", type=int, default=100)
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of load, full decode and judge-one"
    )
    args = parser.parse_args(argv)

    root = Path(tempfile.mkdtemp(prefix="pareto-scale-"))
    try:
        start = time.perf_counter()
        points, size = build_store(root / "baselines", args.tests, args.modules)
        print(f"built in {time.perf_counter() - start:.1f}s with Store.write", flush=True)
        timings = measure(root / "baselines", args.repeat)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(
        f"store: {args.tests} tests in {args.modules} files, {points} frontier points "
        f"({points / args.tests:.1f} per test), {HISTORY} history entries per test, "
        f"{size / 2**20:.1f} MiB ({size / args.tests / 1024:.1f} KiB per test); "
        f"{timings.verdicts} verdicts; python {sys.version.split()[0]}"
    )
    print(f"full-decode: tests={args.tests} full_decode_s={timings.full_decode_s:.3f}")
    print(
        f"store-scale: tests={args.tests} points={points} bytes={size} "
        f"load_s={timings.load_s:.3f} judge_one_s={timings.judge_one_s:.4f} "
        f"judge_all_s={timings.judge_all_s:.1f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
