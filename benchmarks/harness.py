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
import xml.etree.ElementTree as ET
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


def run_pytest(folder: Path, args: Sequence[str], log: Path) -> tuple[float, str, int]:
    """Run pytest; its wall time, output and exit status (any status: a crash is data)."""
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    env.pop("PYTEST_ADDOPTS", None)
    started = time.perf_counter()
    junit = log.with_suffix(".xml")
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", *args, f"--junitxml={junit}"],
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
        print(f"  pytest {' '.join(args)} exited {completed.returncode}; see {log}", flush=True)
    return elapsed, output, completed.returncode


def test_outcomes(log: Path, test: str) -> dict[str, str]:
    """Case -> pytest's outcome of ``test[case]`` (passed, failed, error, skipped) from the
    run's JUnit XML; cases that never ran are absent."""
    junit = log.with_suffix(".xml")
    if not junit.exists():
        return {}
    outcomes: dict[str, str] = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        match = re.fullmatch(rf"{test}\[(.+)\]", case.get("name", ""))
        if match is None:
            continue
        kinds = [child.tag for child in case if child.tag in ("failure", "error", "skipped")]
        outcomes[match.group(1)] = {"failure": "failed", "error": "error"}.get(
            kinds[0] if kinds else "", kinds[0] if kinds else "passed"
        )
    return outcomes


def read_verdicts(path: Path) -> dict[str, str]:
    verdicts: dict[str, str] = {}
    if not path.exists():
        return verdicts
    for line in path.read_text(encoding="utf-8").splitlines():
        entry = json.loads(line)
        match = re.search(r"\[(.+)\]$", entry["test"])
        assert match is not None
        verdicts[match.group(1)] = entry["outcome"]
    return verdicts


NO_VERDICT = "no verdict"
"""A case the gate gave no verdict on: it errored, crashed, was not compared or never ran.
Counted apart, never as a pass, and any makes the harness fail."""


def rates(flags: dict[str, str], cases: dict[str, float]) -> dict[str, dict[str, float]]:
    """Per category: the share of cases flagged as a regression, inconclusive, or without a
    verdict (a case missing from ``flags`` has none)."""
    table: dict[str, dict[str, float]] = {}
    for name in sorted({category(c) for c in cases}, key=lambda c: (c != "aa", c)):
        members = [c for c in cases if category(c) == name]
        table[name] = {
            "n": len(members),
            "flagged": sum(flags.get(c) == "regression" for c in members) / len(members),
            "inconclusive": sum(flags.get(c) == "inconclusive" for c in members) / len(members),
            "no_verdict": sum(flags.get(c, NO_VERDICT) == NO_VERDICT for c in members)
            / len(members),
        }
    return table


PARETO_FLAGS = {
    "dominated": "regression",
    "inconclusive": "inconclusive",
    "pass": "pass",
    "improved": "pass",
    "trade-off": "pass",
}
"""pytest-pareto outcomes that are verdicts; ``new`` and ``skipped`` (not compared) are not."""


def pareto_flags(verdicts: dict[str, str], outcomes: dict[str, str]) -> dict[str, str]:
    """A verdict for each case whose test ran to its end; the rest have none."""
    flags = {}
    for case, outcome in verdicts.items():
        ran = outcomes.get(case) in ("passed", "failed")  # failed: dominated fails the test
        flags[case] = PARETO_FLAGS.get(outcome, NO_VERDICT) if ran else NO_VERDICT
    return flags


def bench_flags(
    output: str, field: str, cases: dict[str, float], outcomes: dict[str, str]
) -> dict[str, str]:
    failed = {m["case"] for m in REGRESSION.finditer(output) if m["field"] == field}
    flags = {}
    for case in cases:
        if case in failed:
            flags[case] = "regression"
        elif outcomes.get(case) == "passed":
            flags[case] = "pass"
        else:
            flags[case] = NO_VERDICT
    return flags


def per_case(cases: dict[str, float], gates: dict[str, dict[str, str]]) -> dict[str, object]:
    """The raw outcome of every pair under every gate."""
    return {
        case: {
            "factor": factor,
            **{gate: flags.get(case, NO_VERDICT) for gate, flags in gates.items()},
        }
        for case, factor in cases.items()
    }


def code_under_test() -> dict[str, object]:
    """The pytest-pareto commit the gates ran with, and whether its tree had changes."""
    import pytest_pareto

    root = Path(pytest_pareto.__file__).resolve().parent.parent

    def git_out(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True)
        return done.stdout.strip() if done.returncode == 0 else ""

    status = git_out("status", "--porcelain", "--untracked-files=no")
    return {"path": str(root), "commit": git_out("rev-parse", "HEAD"), "dirty": bool(status)}


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
            cell = f"{100 * table[name]['flagged']:.0f}%"
            if table[name]["inconclusive"]:
                cell += f" (+{100 * table[name]['inconclusive']:.0f}% inc.)"
            if table[name]["no_verdict"]:
                cell += f" ({100 * table[name]['no_verdict']:.0f}% NO VERDICT)"
            cells.append(cell)
        yield "| " + " | ".join(cells) + " |"


def make_project(folder: Path, cases: dict[str, float]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "logs").mkdir(exist_ok=True)
    (folder / "pytest.ini").write_text("[pytest]\naddopts = -p no:cacheprovider\n")
    (folder / "work.py").write_text(WORK.format(base_n=BASE_N))
    (folder / "test_cases.py").write_text(TESTS)
    (folder / "conftest.py").write_text(CONFTEST)
    (folder / ".gitignore").write_text("logs/\nbaselines/\n.benchmarks/\n*.jsonl\n")
    write_cases(folder, dict.fromkeys(cases, 1.0))
    git(folder, "init", "-q")
    git(folder, "add", ".")
    git(folder, "commit", "-q", "-m", "baseline: every factor 1")


def run_gates(
    folder: Path, cases: dict[str, float], args: argparse.Namespace
) -> tuple[dict[str, float], dict[str, dict[str, str]], dict[str, int]]:
    """Both phases of every gate: seconds per step, flags per gate, exit status per step."""
    logs = folder / "logs"
    ours = ["-k", "test_pareto", "-p", "no:benchmark"]
    if args.processes:
        ours += ["--pareto-processes", str(args.processes)]
    bench = ["-k", "test_bench", "--benchmark-only", "--benchmark-storage", str(folder / ".b")]
    seconds: dict[str, float] = {}
    status: dict[str, int] = {}
    flags: dict[str, dict[str, str]] = {}

    def step(name: str, pytest_args: list[str], log: str) -> str:
        seconds[name], output, status[name] = run_pytest(folder, pytest_args, logs / log)
        print(f"  {name}: {seconds[name]:.0f} s (exit {status[name]})", flush=True)
        return output

    if not args.skip_stored:
        step("pareto update", [*ours, "--pareto-update"], "1.txt")
    step("bench save", [*bench, "--benchmark-save=base"], "2.txt")
    write_cases(folder, cases)  # the candidate: the working tree does more work
    if not args.skip_stored:
        os.environ["HARNESS_VERDICTS"] = str(folder / "stored.jsonl")
        step("pareto check", ours, "3.txt")
        flags["pytest-pareto, stored baseline"] = pareto_flags(
            read_verdicts(folder / "stored.jsonl"), test_outcomes(logs / "3.txt", "test_pareto")
        )
    # One flag with both checks: the option takes several values, and a repeated flag
    # would replace the first.
    compare = ["--benchmark-compare=0001", "--benchmark-compare-fail", "min:5%", "mean:5%"]
    bench_output = step("bench compare", [*bench, *compare], "4.txt")
    bench_outcomes = test_outcomes(logs / "4.txt", "test_bench")
    if not args.skip_against:
        os.environ["HARNESS_VERDICTS"] = str(folder / "against.jsonl")
        step("pareto against", [*ours, "--pareto-against", "HEAD"], "5.txt")
        flags["pytest-pareto --pareto-against HEAD"] = pareto_flags(
            read_verdicts(folder / "against.jsonl"), test_outcomes(logs / "5.txt", "test_pareto")
        )
    for field in ("min", "mean"):
        flags[f"pytest-benchmark --benchmark-compare-fail={field}:5%"] = bench_flags(
            bench_output, field, cases, bench_outcomes
        )
    return seconds, flags, status


def gate_seconds(gate: str, seconds: dict[str, float]) -> float:
    if "stored" in gate:
        return seconds["pareto update"] + seconds["pareto check"]
    if "against" in gate:
        return seconds["pareto against"]
    return seconds["bench save"] + seconds["bench compare"]


def report_lines(
    command: str,
    started: dt.datetime,
    code: dict[str, object],
    load: dict[str, str],
    results: dict[str, dict[str, object]],
    cases: dict[str, float],
    seconds: dict[str, float],
) -> list[str]:
    dirty = " (with uncommitted changes: the table is not of one commit)" if code["dirty"] else ""
    return [
        f"# Harness run {started:%Y-%m-%d %H:%M} UTC",
        "",
        f"Command: `{command}`",
        "",
        f"Code: pytest-pareto at commit `{code['commit']}`{dirty}.",
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; the cores are shared with other users' work.",
        f"Load (/proc/loadavg) before: `{load['before']}`; after: `{load['after']}`; "
        f"{load['during']}.",
        "",
        "Share of pairs flagged as a regression (A/A: false alarms; slowdowns: detections);",
        "'inc.' is the share judged inconclusive (a warning, not a failure); NO VERDICT is the",
        "share of pairs a gate gave no verdict on (an error, a crash, not compared).",
        "",
        *render(results, cases),
        "",
        "Wall time spent: both phases (baseline and candidate) of each gate; the",
        "pytest-benchmark rows share one pair of runs. Steps: "
        + ", ".join(f"{step} {s:.0f} s" for step, s in seconds.items())
        + ".",
    ]


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
    make_project(folder, cases)
    code = code_under_test()
    load = {"before": Path("/proc/loadavg").read_text().strip()}
    started = dt.datetime.now(dt.timezone.utc)
    print(f"project: {folder}; {len(cases)} cases; code {code}; load {load['before']}", flush=True)
    with LoadSampler() as sampler:
        seconds, flags, status = run_gates(folder, cases, args)
    load["after"] = Path("/proc/loadavg").read_text().strip()
    load["during"] = "not sampled"
    if sampler.samples:
        mean, peak = sum(sampler.samples) / len(sampler.samples), max(sampler.samples)
        load["during"] = f"1-minute load sampled every 30 s: mean {mean:.2f}, max {peak:.2f}"
    results = {
        gate: {"seconds": gate_seconds(gate, seconds), "rates": rates(gate_flags, cases)}
        for gate, gate_flags in flags.items()
    }
    command = "python benchmarks/harness.py " + " ".join(argv if argv is not None else sys.argv[1:])
    text = "\n".join(report_lines(command, started, code, load, results, cases, seconds)) + "\n"
    print()
    print(text)
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        stem = f"harness-{started:%Y%m%d-%H%M}"
        (args.out / f"{stem}.md").write_text(text, encoding="utf-8")
        raw = {
            "command": command,
            "code": code,
            "load": load,
            "seconds": seconds,
            "exit_status": status,
            "results": results,
            "cases": per_case(cases, flags),
        }
        (args.out / f"{stem}.json").write_text(json.dumps(raw, indent=2) + "\n")
    missing = sum(f == NO_VERDICT for gate in flags.values() for f in gate.values())
    missing += sum(len(cases) - len(gate) for gate in flags.values())
    if missing:
        print(f"harness: {missing} case(s) without a verdict: the run is not a result", flush=True)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
