"""Evaluation harness: false alarms and detection of pytest-pareto's gate vs pytest-benchmark.

Creates a project in a temporary git repository with one CPU-bound function and, for each
case, a pair of tests measuring it: ``test_pareto[case]`` (the ``pareto`` fixture) and
``test_bench[case]`` (pytest-benchmark's ``benchmark`` fixture). A case is an A/A pair
(the candidate is identical to the baseline) or an injected slowdown (the candidate does
1.05x ... 2x the work). Then, in one run:

1. baseline phase: ``pytest --pareto-update`` and ``pytest --benchmark-save`` on the
   committed code (every factor 1);
2. candidate phase (the working tree holds the factors): ``pytest`` judged against the
   stored frontier, ``pytest --benchmark-compare --benchmark-compare-fail min:5% mean:5%``
   (one run, both checks), and ``pytest --pareto-against HEAD`` (baseline
   measured from the commit in the same run, interleaved).

It prints (and with ``--out`` writes) a table: per gate, the false-alarm rate on A/A pairs,
the detection rate per slowdown, the inconclusive rate, and the wall time spent.

Not part of the test suite. Example (about 40 minutes on 2 shared cores)::

    python benchmarks/harness.py --aa 60 --per-slowdown 10 --out benchmarks/results
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

SLOWDOWNS = (1.05, 1.1, 1.2, 1.5, 2.0)
BASE_N = 20_000
"""Loop iterations of the measured function (about 1 ms per call here)."""

WORK = '''\
"""A CPU-bound function: the thing whose slowdowns the gates must catch."""

BASE_N = {base_n}


def work(n):
    total = 0
    for i in range(n):
        total += i * i % 7
    return total
'''

TESTS = """\
import pytest

from cases import FACTORS
from work import BASE_N, work

CASES = sorted(FACTORS)


@pytest.mark.parametrize("case", CASES)
def test_pareto(pareto, case):
    pareto(work, int(BASE_N * FACTORS[case]))


@pytest.mark.parametrize("case", CASES)
def test_bench(benchmark, case):
    benchmark(work, int(BASE_N * FACTORS[case]))
"""

CONFTEST = """\
import json
import os


def pytest_pareto_verdict(item, verdict):
    path = os.environ.get("HARNESS_VERDICTS")
    if path:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"test": item.nodeid, "outcome": verdict.outcome.value}))
            handle.write("\\n")
"""

REGRESSION = re.compile(r"test_bench\[(?P<case>[^\]]+)\].*Field '(?P<field>\w+)' has failed")


def case_ids(aa: int, per_slowdown: int) -> dict[str, float]:
    """Case id -> factor of the candidate's work."""
    cases = {f"aa-{i:03d}": 1.0 for i in range(aa)}
    for factor in SLOWDOWNS:
        cases.update({f"x{factor:g}-{i:03d}": factor for i in range(per_slowdown)})
    return cases


def category(case: str) -> str:
    return case.rsplit("-", 1)[0]


def write_cases(folder: Path, factors: dict[str, float]) -> None:
    body = ",\n".join(f"    {case!r}: {factor!r}" for case, factor in sorted(factors.items()))
    (folder / "cases.py").write_text(f"FACTORS = {{\n{body},\n}}\n", encoding="utf-8")


def git(folder: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=harness", "-c", "user.email=harness@localhost", *args],
        cwd=folder,
        check=True,
        capture_output=True,
    )


class LoadSampler:
    """Samples /proc/loadavg (1-minute) every ``period`` seconds while running."""

    def __init__(self, period: float = 30.0) -> None:
        self.period = period
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.period):
            self.samples.append(float(Path("/proc/loadavg").read_text().split()[0]))

    def __enter__(self) -> LoadSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def run_pytest(folder: Path, args: Sequence[str], log: Path) -> tuple[float, str]:
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    env.pop("PYTEST_ADDOPTS", None)
    started = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    output = completed.stdout + completed.stderr
    log.write_text(output, encoding="utf-8")
    if completed.returncode not in (0, 1):
        raise RuntimeError(f"pytest {' '.join(args)} exited {completed.returncode}:\n{output}")
    return elapsed, output


def read_verdicts(path: Path) -> dict[str, str]:
    verdicts = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        entry = json.loads(line)
        match = re.search(r"\[(.+)\]$", entry["test"])
        assert match is not None
        verdicts[match.group(1)] = entry["outcome"]
    return verdicts


def rates(flags: dict[str, str], cases: dict[str, float]) -> dict[str, dict[str, float]]:
    """Per category: the share of cases flagged as a regression, and as inconclusive."""
    table: dict[str, dict[str, float]] = {}
    for name in sorted({category(c) for c in cases}, key=lambda c: (c != "aa", c)):
        members = [c for c in cases if category(c) == name]
        table[name] = {
            "n": len(members),
            "flagged": sum(flags.get(c) == "regression" for c in members) / len(members),
            "inconclusive": sum(flags.get(c) == "inconclusive" for c in members) / len(members),
        }
    return table


def pareto_flags(verdicts: dict[str, str]) -> dict[str, str]:
    kinds = {"dominated": "regression", "inconclusive": "inconclusive"}
    return {case: kinds.get(outcome, "pass") for case, outcome in verdicts.items()}


def bench_flags(output: str, field: str, cases: dict[str, float]) -> dict[str, str]:
    failed = {m["case"] for m in REGRESSION.finditer(output) if m["field"] == field}
    return {case: "regression" if case in failed else "pass" for case in cases}


def render(results: dict[str, dict[str, object]], cases: dict[str, float]) -> Iterator[str]:
    categories = list(rates({}, cases))
    header = [
        "gate",
        "wall time spent",
        *(f"{c} (n={rates({}, cases)[c]['n']:.0f})" for c in categories),
    ]
    yield "| " + " | ".join(header) + " |"
    yield "|" + "---|" * len(header)
    for gate, result in results.items():
        table = result["rates"]
        assert isinstance(table, dict)
        cells = [gate, f"{result['seconds']:.0f} s"]
        for name in categories:
            flagged = 100 * table[name]["flagged"]
            inconclusive = 100 * table[name]["inconclusive"]
            cell = f"{flagged:.0f}%"
            if inconclusive:
                cell += f" (+{inconclusive:.0f}% inc.)"
            cells.append(cell)
        yield "| " + " | ".join(cells) + " |"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--aa", type=int, default=60, help="A/A pairs")
    parser.add_argument("--per-slowdown", type=int, default=10, help="pairs per slowdown")
    parser.add_argument("--processes", type=int, default=None, help="--pareto-processes")
    parser.add_argument("--skip-stored", action="store_true", help="skip the stored-baseline gate")
    parser.add_argument("--skip-against", action="store_true", help="skip --pareto-against")
    parser.add_argument("--out", type=Path, default=None, help="folder for the results file")
    parser.add_argument("--keep", type=Path, default=None, help="build the project here")
    args = parser.parse_args(argv)

    cases = case_ids(args.aa, args.per_slowdown)
    folder = args.keep or Path(tempfile.mkdtemp(prefix="pareto-harness-"))
    folder.mkdir(parents=True, exist_ok=True)
    logs = folder / "logs"
    logs.mkdir(exist_ok=True)
    (folder / "pytest.ini").write_text("[pytest]\naddopts = -p no:cacheprovider\n")
    (folder / "work.py").write_text(WORK.format(base_n=BASE_N))
    (folder / "test_cases.py").write_text(TESTS)
    (folder / "conftest.py").write_text(CONFTEST)
    (folder / ".gitignore").write_text("logs/\nbaselines/\n.benchmarks/\n*.jsonl\n")
    write_cases(folder, dict.fromkeys(cases, 1.0))
    git(folder, "init", "-q")
    git(folder, "add", ".")
    git(folder, "commit", "-q", "-m", "baseline: every factor 1")

    ours = ["-k", "test_pareto", "-p", "no:benchmark"]
    if args.processes:
        ours += ["--pareto-processes", str(args.processes)]
    bench = ["-k", "test_bench", "--benchmark-only", "--benchmark-storage", str(folder / ".b")]
    load_before = Path("/proc/loadavg").read_text().strip()
    started = dt.datetime.now(dt.timezone.utc)
    seconds: dict[str, float] = {}
    print(f"project: {folder}; {len(cases)} cases; load before: {load_before}", flush=True)
    with LoadSampler() as sampler:
        if not args.skip_stored:
            seconds["pareto update"], _ = run_pytest(
                folder, [*ours, "--pareto-update"], logs / "1.txt"
            )
            print(f"  pareto baseline: {seconds['pareto update']:.0f} s", flush=True)
        seconds["bench save"], _ = run_pytest(
            folder, [*bench, "--benchmark-save=base"], logs / "2.txt"
        )
        print(f"  pytest-benchmark baseline: {seconds['bench save']:.0f} s", flush=True)

        write_cases(folder, cases)  # the candidate: the working tree does more work
        stored = folder / "stored.jsonl"
        os.environ["HARNESS_VERDICTS"] = str(stored)
        if not args.skip_stored:
            seconds["pareto check"], _ = run_pytest(folder, ours, logs / "3.txt")
            print(f"  pareto check (stored baseline): {seconds['pareto check']:.0f} s", flush=True)
        # One flag with both checks: the option takes several values, and a repeated flag
        # would replace the first.
        compare = ["--benchmark-compare=0001", "--benchmark-compare-fail", "min:5%", "mean:5%"]
        seconds["bench compare"], bench_output = run_pytest(
            folder, [*bench, *compare], logs / "4.txt"
        )
        print(f"  pytest-benchmark compare: {seconds['bench compare']:.0f} s", flush=True)
        against = folder / "against.jsonl"
        if not args.skip_against:
            os.environ["HARNESS_VERDICTS"] = str(against)
            seconds["pareto against"], _ = run_pytest(
                folder, [*ours, "--pareto-against", "HEAD"], logs / "5.txt"
            )
            print(f"  pareto --pareto-against HEAD: {seconds['pareto against']:.0f} s", flush=True)
    load_after = Path("/proc/loadavg").read_text().strip()

    results: dict[str, dict[str, object]] = {}
    if not args.skip_stored:
        results["pytest-pareto, stored baseline"] = {
            "seconds": seconds["pareto update"] + seconds["pareto check"],
            "rates": rates(pareto_flags(read_verdicts(stored)), cases),
        }
    if not args.skip_against:
        results["pytest-pareto --pareto-against HEAD"] = {
            "seconds": seconds["pareto against"],
            "rates": rates(pareto_flags(read_verdicts(against)), cases),
        }
    for field in ("min", "mean"):
        results[f"pytest-benchmark --benchmark-compare-fail={field}:5%"] = {
            "seconds": seconds["bench save"] + seconds["bench compare"],
            "rates": rates(bench_flags(bench_output, field, cases), cases),
        }
    command = "python benchmarks/harness.py " + " ".join(argv if argv is not None else sys.argv[1:])
    load_during = "not sampled"
    if sampler.samples:
        mean_load = sum(sampler.samples) / len(sampler.samples)
        peak_load = max(sampler.samples)
        load_during = f"1-minute load sampled every 30 s: mean {mean_load:.2f}, max {peak_load:.2f}"
    lines = [
        f"# Harness run {started:%Y-%m-%d %H:%M} UTC",
        "",
        f"Command: `{command}`",
        "",
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; the cores are shared with other users' work.",
        f"Load (/proc/loadavg) before: `{load_before}`; after: `{load_after}`; {load_during}.",
        "",
        "Share of pairs flagged as a regression (A/A: false alarms; slowdowns: detections);",
        "'inc.' is the share judged inconclusive (a warning, not a failure).",
        "",
        *render(results, cases),
        "",
        "Wall time spent: both phases (baseline and candidate) of each gate; the",
        "pytest-benchmark rows share one pair of runs. Steps: "
        + ", ".join(f"{step} {s:.0f} s" for step, s in seconds.items())
        + ".",
    ]
    text = "\n".join(lines) + "\n"
    print()
    print(text)
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        stem = f"harness-{started:%Y%m%d-%H%M}"
        (args.out / f"{stem}.md").write_text(text, encoding="utf-8")
        raw = {"seconds": seconds, "cases": cases, "results": results, "command": command}
        (args.out / f"{stem}.json").write_text(json.dumps(raw, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
