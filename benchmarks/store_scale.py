"""How long a large store takes to load and judge.

Builds a store of TESTS tests x POINTS frontier points (in MODULES baseline files, as the plugin
writes them: every point with its machine, commit and metrics), then times:

* load all: parse and validate every baseline file;
* load each test: ``Store.load`` of every test id in turn, as the setups of a full run do;
* judge all: judge one new result per test against its comparable stored points;
* verdicts to JSON: serialise every verdict (the payload each test report carries);
* one test: a fresh store, load one test's baseline and judge it (a run of a single test).

Usage::

    python benchmarks/store_scale.py                     # 10,000 tests x 20 points
    python benchmarks/store_scale.py --rounds 10         # noisy metrics with 10 rounds each
    python benchmarks/store_scale.py --tests 1000 --repeat 1

Prints a table; times are the median of --repeat runs, in seconds (wall clock). The machine is
shared, so expect noise; compare runs taken one after the other.
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
from typing import Any

from pytest_pareto.frontier.maintenance import comparable_points
from pytest_pareto.judging.verdict import JudgePolicy, Verdict, judge
from pytest_pareto.model.machine import Matching, current_machine
from pytest_pareto.model.metrics import BUILTIN_METRICS, Direction, Metric
from pytest_pareto.model.points import Observation, Point, Sample, TestBaseline
from pytest_pareto.store.baseline_files import BaselineFile, Store

NOISY = ("wall_time", "cpu_time", "peak_rss")
ACCURACY = Metric("accuracy", "", Direction.HIGHER)


def _metrics() -> dict[str, Metric]:
    metrics = {name: BUILTIN_METRICS[name] for name in (*NOISY, "py_alloc_peak")}
    metrics["accuracy"] = ACCURACY
    return metrics


def _point(rng: random.Random, index: int, rounds: int) -> Point:
    observations = {
        name: Observation((Sample(tuple(rng.uniform(1.0, 2.0) for _ in range(rounds))),))
        for name in NOISY
    }
    observations["py_alloc_peak"] = Observation.single(float(rng.randrange(10_000, 1_000_000)))
    observations["accuracy"] = Observation.single(rng.uniform(0.5, 1.0))
    return Point(
        observations,
        recorded_at=f"2026-01-{1 + index % 28:02d}T00:00:00Z",
        commit=f"{rng.getrandbits(160):040x}",
        machine=current_machine(),
    )


def build_store(root: Path, tests: int, points: int, modules: int, rounds: int) -> int:
    """Write the store; return its size in bytes."""
    rng = random.Random(0)
    metrics = _metrics()
    per_module = -(-tests // modules)
    size = 0
    for module in range(modules):
        path = root / "tests" / f"test_m{module:04d}.py.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        names = [f"test_{k}" for k in range(per_module) if module * per_module + k < tests]
        content = BaselineFile(
            path,
            {
                name: TestBaseline(
                    f"tests/test_m{module:04d}.py::{name}",
                    metrics,
                    tuple(_point(rng, i, rounds) for i in range(points)),
                )
                for name in names
            },
        )
        text = content.dumps()
        path.write_text(text, encoding="utf-8")
        size += len(text.encode())
    return size


def _timed(action: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    """Median wall-clock seconds, least CPU seconds of this process, and the result."""
    walls, cpus, result = [], [], None
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = action()
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - start_cpu)
    return statistics.median(walls), min(cpus), result


def _candidate(baseline: TestBaseline) -> Point:
    """A new result: the first stored point, 1% slower on wall time."""
    first = baseline.points[0]
    observations = dict(first.observations)
    wall = observations["wall_time"]
    observations["wall_time"] = Observation(
        tuple(Sample(tuple(v * 1.01 for v in s.rounds)) for s in wall.samples)
    )
    return Point(observations, recorded_at="2026-02-01T00:00:00Z", machine=first.machine)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tests", type=int, default=10_000)
    parser.add_argument("--points", type=int, default=20)
    parser.add_argument("--modules", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=1, help="rounds stored per noisy metric")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    root = Path(tempfile.mkdtemp(prefix="pareto-scale-"))
    try:
        size = build_store(root / "baselines", args.tests, args.points, args.modules, args.rounds)
        store = Store(root / "baselines")
        files = list(store.iter_files())

        def load_all() -> list[TestBaseline]:
            return [b for path in files for b in store.read_file(path).tests.values()]

        load_s, load_cpu, baselines = _timed(load_all, args.repeat)
        test_ids = [b.test_id for b in baselines]

        def setup_all() -> int:
            # What the plugin's setup does for every test of a run: Store.load(test id).
            fresh = Store(root / "baselines")
            return sum(fresh.load(test_id) is not None for test_id in test_ids)

        setup_s, setup_cpu, _ = _timed(setup_all, args.repeat)
        machine = current_machine()
        policy = JudgePolicy()
        candidates = [(b, _candidate(b)) for b in baselines]

        def judge_all() -> list[Verdict]:
            verdicts = []
            for baseline, candidate in candidates:
                references, reason = comparable_points(baseline, machine, Matching.EXACT)
                verdicts.append(
                    judge(
                        baseline.test_id,
                        candidate,
                        references,
                        baseline.metrics,
                        policy,
                        skipped_reason=reason,
                    )
                )
            return verdicts

        judge_s, judge_cpu, verdicts = _timed(judge_all, args.repeat)
        json_s, json_cpu, _ = _timed(lambda: [v.to_json() for v in verdicts], args.repeat)

        one_id = baselines[len(baselines) // 2].test_id

        def one_test() -> Verdict:
            fresh = Store(root / "baselines")
            baseline = fresh.load(one_id)
            assert baseline is not None
            references, _ = comparable_points(baseline, machine, Matching.EXACT)
            return judge(one_id, _candidate(baseline), references, baseline.metrics, policy)

        one_s, one_cpu, _ = _timed(one_test, args.repeat)
    finally:
        shutil.rmtree(root, ignore_errors=True)

    points = args.tests * args.points
    print(
        f"store: {args.tests} tests x {args.points} points = {points} points, "
        f"{args.modules} files, {size / 2**20:.1f} MiB, {args.rounds} round(s) per noisy metric"
    )
    print(
        f"python {sys.version.split()[0]}; wall: median of {args.repeat} runs, "
        f"cpu: least process CPU time of {args.repeat} runs"
    )
    rows = [
        (
            "load all (parse + validate)",
            load_s,
            load_cpu,
            f"{load_cpu / points * 1e6:.1f} µs/point",
        ),
        ("load each test (run setups)", setup_s, setup_cpu, ""),
        ("judge all", judge_s, judge_cpu, f"{judge_cpu / args.tests * 1e3:.3f} ms/test"),
        ("load + judge all", load_s + judge_s, load_cpu + judge_cpu, ""),
        ("verdicts to JSON", json_s, json_cpu, f"{json_cpu / args.tests * 1e3:.3f} ms/test"),
        ("one test (load its file, judge)", one_s, one_cpu, ""),
    ]
    print(f"{'':32} {'wall s':>8} {'cpu s':>8}")
    for label, wall, cpu, per in rows:
        print(f"{label:32} {wall:8.3f} {cpu:8.3f}  {per}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
