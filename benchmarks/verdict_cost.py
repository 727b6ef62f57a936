"""What a verdict costs in CI time: pytest-benchmark against pytest-pareto, on identical code.

Builds a throw-away git project of TESTS CPU-bound tests (a Python loop, about 1-5 ms a call),
each twice: ``test_bench.py`` with pytest-benchmark's ``benchmark`` fixture and
``test_pareto.py`` with the ``pareto`` fixture. Then, in one session and interleaved round by
round (the order rotates), it times each tool's whole pytest processes:

* pytest-benchmark: record (``--benchmark-autosave``), then compare
  (``--benchmark-compare --benchmark-compare-fail=min:5%``);
* pytest-pareto, stored: ``--pareto-update`` into an empty store, then a check;
* pytest-pareto, one run: ``--pareto-against HEAD``;
* with ``--afresh``, both pytest-pareto modes again with ``pareto_replica_forks = 0`` (every
  replica a fresh process, as before warm processes), to show what forking saves.

``--torch`` replaces the loop with one test of a small torch model's inference (a batch of
64 through 256 -> 512 -> 10, about 0.2 ms a call), where every fresh process imports torch.

The code never changes, so every verdict should be "equal"; the script prints the seconds of
each tool (median over rounds, and of each step: record / compare, update / check), the
ratios to pytest-benchmark, how many replica processes each pytest-pareto run took, and
which runs failed.

Usage::

    python benchmarks/verdict_cost.py                 # 10 tests, 1 round
    python benchmarks/verdict_cost.py --tests 1 --rounds 3 --keep /tmp/project
    python benchmarks/verdict_cost.py --torch --afresh

The machine may be shared: the load (``/proc/loadavg``) is printed before and after.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

WORK = """
def work(n):
    total = 0
    for i in range(n):
        total += i * i % 7
    return total
"""

BENCH_TEST = """
from work import work

def test_bench_{i}(benchmark):
    benchmark(work, {n})
"""

PARETO_TEST = """
from work import work

def test_pareto_{i}(pareto):
    pareto(work, {n})
"""

TORCH_WORK = """
import torch

torch.manual_seed(0)
MODEL = torch.nn.Sequential(torch.nn.Linear(256, 512), torch.nn.ReLU(), torch.nn.Linear(512, 10))
BATCH = torch.randn(64, 256)


def work(n):
    with torch.no_grad():
        return MODEL(BATCH)
"""

INI = "[pytest]\naddopts = -p no:cacheprovider -q\n"


def loops(i: int) -> int:
    """Iterations of test ``i``: from about 1 ms up, a spread of call times."""
    return 15_000 + 5_000 * (i % 10)


def build(root: Path, tests: int, *, torch: bool) -> None:
    (root / "work.py").write_text(TORCH_WORK if torch else WORK, encoding="utf-8")
    (root / "pytest.ini").write_text(INI, encoding="utf-8")
    bench = "".join(BENCH_TEST.format(i=i, n=loops(i)) for i in range(tests))
    pareto = "".join(PARETO_TEST.format(i=i, n=loops(i)) for i in range(tests))
    (root / "test_bench.py").write_text(bench.replace("from work import work\n", "", tests - 1))
    (root / "test_pareto.py").write_text(pareto.replace("from work import work\n", "", tests - 1))
    (root / ".gitignore").write_text("baselines/\n.benchmarks/\n__pycache__/\n")
    git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.com"]
    subprocess.run([*git, "init", "-q"], cwd=root, check=True)
    subprocess.run([*git, "add", "."], cwd=root, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "project"], cwd=root, check=True)


def pytest_run(root: Path, *args: str) -> tuple[float, int, str]:
    """Seconds of one whole pytest process, its exit status, and its last line."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", *args], cwd=root, capture_output=True, text=True
    )
    seconds = time.perf_counter() - start
    output = done.stdout + done.stderr
    if "Performance has regressed" in output:
        return seconds, done.returncode, "pytest-benchmark: performance has regressed"
    lines = [line for line in done.stdout.splitlines() if re.search(r" in [\d.]+s", line)]
    last = lines[-1] if lines else output.strip()[-200:]
    # pytest-pareto's summary: how many replica processes the verdict took.
    if replicated := re.search(r"^replicated \d+ tests? in (\d+) replica processes", output, re.M):
        last += f" ({replicated[1]} replica processes)"
    return seconds, done.returncode, last


def benchmark_steps(root: Path) -> list[tuple[float, int, str]]:
    shutil.rmtree(root / ".benchmarks", ignore_errors=True)
    no_pareto = ("test_bench.py", "-p", "no:pareto")
    record = pytest_run(root, *no_pareto, "--benchmark-autosave")
    compare = pytest_run(root, *no_pareto, "--benchmark-compare", "--benchmark-compare-fail=min:5%")
    return [record, compare]


def stored_steps(root: Path, *extra: str) -> list[tuple[float, int, str]]:
    shutil.rmtree(root / "baselines", ignore_errors=True)
    no_benchmark = ("test_pareto.py", "-p", "no:benchmark", *extra)
    return [
        pytest_run(root, *no_benchmark, "--pareto-update"),
        pytest_run(root, *no_benchmark),
    ]


def against_steps(root: Path, *extra: str) -> list[tuple[float, int, str]]:
    shutil.rmtree(root / "baselines", ignore_errors=True)
    return [
        pytest_run(root, "test_pareto.py", "-p", "no:benchmark", *extra, "--pareto-against", "HEAD")
    ]


AFRESH = ("-o", "pareto_replica_forks=0")

TOOLS: dict[str, Callable[[Path], list[tuple[float, int, str]]]] = {
    "pytest-benchmark (record + compare)": benchmark_steps,
    "pytest-pareto stored (update + check)": stored_steps,
    "pytest-pareto --pareto-against HEAD": against_steps,
}
AFRESH_TOOLS: dict[str, Callable[[Path], list[tuple[float, int, str]]]] = {
    "stored, replicas started afresh": lambda root: stored_steps(root, *AFRESH),
    "--pareto-against, started afresh": lambda root: against_steps(root, *AFRESH),
}


def commit() -> str:
    """The commit of pytest-pareto that is measured (this script's repository)."""

    def git(*args: str) -> str:
        here = Path(__file__).parent
        return subprocess.run(["git", *args], cwd=here, capture_output=True, text=True).stdout

    changed = git("status", "--porcelain", "--untracked-files=no").strip()
    return git("rev-parse", "--short", "HEAD").strip() + ("+changes" if changed else "")


def load() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tests", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--keep", type=Path, help="build the project here and keep it")
    parser.add_argument("--torch", action="store_true", help="one torch inference test")
    parser.add_argument(
        "--afresh", action="store_true", help="also run pytest-pareto with every replica fresh"
    )
    args = parser.parse_args()
    if args.torch:
        args.tests = 1
    root = args.keep or Path(tempfile.mkdtemp(prefix="verdict-cost-"))
    root.mkdir(parents=True, exist_ok=True)
    build(root, args.tests, torch=args.torch)
    tools = {**TOOLS, **(AFRESH_TOOLS if args.afresh else {})}
    what = "torch inference" if args.torch else "CPU-bound"
    print(
        f"{args.tests} {what} measured test(s), {args.rounds} round(s), "
        f"commit {commit()}, load before: {load()}"
    )
    seconds: dict[str, list[float]] = {name: [] for name in tools}
    step_seconds: dict[str, list[list[float]]] = {name: [] for name in tools}
    names = list(tools)
    for round_ in range(args.rounds):
        for name in names[round_ % len(names) :] + names[: round_ % len(names)]:
            steps = tools[name](root)
            seconds[name].append(sum(s for s, _, _ in steps))
            step_seconds[name].append([s for s, _, _ in steps])
            failed = [last for _, code, last in steps if code != 0]
            summary = "; ".join(re.sub(r"\s+", " ", last)[-90:] for _, _, last in steps)
            print(
                f"round {round_ + 1}: {name}: "
                + " + ".join(f"{s:.1f}s" for s, _, _ in steps)
                + f" [{summary}]"
                + (f" FAILED: {failed}" if failed else ""),
                flush=True,
            )
    base = statistics.median(seconds[names[0]])
    print(f"load after: {load()}")
    for name in names:
        median = statistics.median(seconds[name])
        by_step = [statistics.median(step) for step in zip(*step_seconds[name], strict=True)]
        steps = f"  (each step: {' + '.join(f'{s:.1f} s' for s in by_step)})"
        print(
            f"{name:40s} {median:7.1f} s  {median / base:5.2f}x{steps if len(by_step) > 1 else ''}"
        )
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    os.environ.pop("PYTEST_PARETO_PROCESSES", None)
    main()
