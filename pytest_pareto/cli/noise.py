"""``pytest-pareto noise [PYTEST_ARGS…]``: how small a slowdown this runner can see, per test."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_pareto.cli._common import EXIT_OK, Command
from pytest_pareto.errors import ConfigError
from pytest_pareto.judging.power import (
    Detectability,
    can_simulate,
    detectable_slowdown,
    process_spread,
)
from pytest_pareto.judging.sequential import SequentialDesign
from pytest_pareto.judging.verdict import Verdict
from pytest_pareto.reports.run_report import RunReport, load_report
from pytest_pareto.reports.words import render_table

__all__ = ["COMMAND", "MetricNoise", "noise_of"]

POWER = 0.9
TOO_SMALL = 2.0
"""The tolerance is called too small when the detectable slowdown is over this many times it."""
_OURS = ("--pareto-update", "--pareto-against", "--pareto-store", "--pareto-report")


@dataclass(frozen=True)
class MetricNoise:
    """What the runner sees of one noisy metric of one test."""

    test_id: str
    metric: str
    processes: tuple[int, int]
    """Processes measured: the check of identical code, and the stored ones it was judged by."""
    spread: float | None
    tolerance: float | None
    """The tolerance as a share of the stored value (5% is 0.05); ``None`` for a value of 0."""
    tolerance_text: str
    """The tolerance as configured (``5%``, ``abs:1MiB``)."""
    detectable: Detectability | None
    aa_outcome: str
    """The verdict of identical code against its own stored result (``pass`` expected)."""

    @property
    def tolerance_too_small(self) -> bool:
        if self.detectable is None:
            return False
        seen = self.detectable.slowdown
        return seen is None or self.tolerance is None or seen > TOO_SMALL * self.tolerance

    def seen(self) -> str:
        if self.detectable is None:
            return "n/a"
        if self.detectable.slowdown is None:
            return "> 900%"
        return f"≥ {self.detectable.slowdown * 100:.0f}%"

    def to_json(self) -> dict[str, Any]:
        found = self.detectable
        return {
            "test_id": self.test_id,
            "metric": self.metric,
            "processes": {"checked": self.processes[0], "stored": self.processes[1]},
            "spread": self.spread,
            "tolerance": self.tolerance,
            "tolerance_text": self.tolerance_text,
            "detectable_slowdown": found.slowdown if found is not None else None,
            "power": found.power if found is not None else None,
            "simulations": found.simulations if found is not None else None,
            "tolerance_too_small": self.tolerance_too_small,
            "aa_outcome": self.aa_outcome,
        }


def noise_of(verdict: Verdict, simulations: int = 200) -> list[MetricNoise]:
    """Each rank-tested metric of a check of identical code against its own stored result."""
    compared = verdict.decisive or (verdict.against[0] if verdict.against else None)
    if compared is None:
        return []
    design = verdict.design or SequentialDesign()
    # The verdict's own Bonferroni family: noisy metrics times the points compared.
    noisy = sum(c.metric.noisy and c.p_value is not None for c in compared.comparisons)
    family = max(1, noisy * len(verdict.against))
    rows = []
    for c in compared.comparisons:
        if not c.metric.noisy or c.processes is None:
            continue
        new = verdict.candidate.observations[c.metric.name]
        stored = compared.reference.observations[c.metric.name]
        tolerance = c.gating_band / abs(c.reference) if c.reference else None
        detectable = None
        if c.p_value is not None and not design.single_process and can_simulate(new, stored):
            detectable = detectable_slowdown(
                c.metric,
                (new, stored),
                c.tolerance,
                design,
                reference_processes=stored.processes,
                family_size=family,
                power=POWER,
                simulations=simulations,
            )
        spread = process_spread(new, stored)
        rows.append(
            MetricNoise(
                verdict.test_id,
                c.metric.name,
                (new.processes, stored.processes),
                spread,
                tolerance,
                c.tolerance.describe(c.metric.unit),
                detectable,
                verdict.outcome.value,
            )
        )
    return rows


def _pytest(pytest_args: list[str], ours: list[str], what: str) -> RunReport:
    """Run pytest with the user's arguments and ours; its JSON report, or why there is none."""
    with tempfile.TemporaryDirectory(prefix="pareto-noise-report-") as folder:
        report = Path(folder) / "report.json"
        argv = [sys.executable, "-m", "pytest", *pytest_args, *ours]
        argv += ["--pareto-report", str(report), "-p", "no:cacheprovider"]
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
        lines = [line for line in done.stdout.splitlines() if line.strip()]
        print(f"noise: {what}: {lines[-1] if lines else 'no output'}", file=sys.stderr, flush=True)
        if not report.exists() or done.returncode not in (0, 1):
            tail = "\n".join(lines[-15:]) or done.stderr.strip()
            raise ConfigError(f"pytest {' '.join(pytest_args)} exited {done.returncode}:\n{tail}")
        return load_report(report)


def _table(rows: list[MetricNoise]) -> list[str]:
    headers = ("test", "metric", "processes", "spread", "tolerance", "sees (90% power)", "A/A")
    body = [
        [
            r.test_id,
            r.metric,
            f"{r.processes[0]} vs {r.processes[1]}",
            f"{r.spread * 100:.1f}%" if r.spread is not None else "n/a",
            r.tolerance_text,
            r.seen(),
            r.aa_outcome,
        ]
        for r in rows
    ]
    return render_table(headers, body)


def _advice(rows: list[MetricNoise]) -> list[str]:
    lines = []
    for r in rows:
        if r.tolerance_too_small:
            lines.append(
                f"{r.test_id} {r.metric}: {r.tolerance_text} tolerance, this runner sees "
                f"{r.seen()}: raise the tolerance, measure longer, or use --pareto-against"
            )
    judged = {r.test_id: r.aa_outcome for r in rows}
    for test_id, outcome in judged.items():
        if outcome not in ("pass", "improved", "trade-off"):
            lines.append(f"{test_id}: identical code was judged {outcome}")
    return lines


def _print_text(
    rows: list[MetricNoise], unjudged: list[str], load: dict[str, list[float] | None]
) -> None:
    shown = [r for r in rows if r.spread is not None]
    print("\n".join(_table(shown)) if shown else "no measured test with a noisy metric")
    for r in rows:
        if r.spread is None:
            print(f"{r.test_id} {r.metric}: no spread to measure (one process, or values of 0)")
    for test_id in unjudged:
        print(f"{test_id}: no noisy metric compared (deterministic metrics see any change)")
    advice = _advice(rows)
    if advice:
        print("\n" + "\n".join(advice))
    print(f"\nload average before {load['before']}, after {load['after']}")


def _load() -> list[float] | None:
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except OSError:
        return None


def _run(args: argparse.Namespace) -> int:
    pytest_args = [a for a in args.pytest_args if a != "--"]
    clash = [a for a in pytest_args if a.split("=")[0] in _OURS]
    if clash:
        raise ConfigError(f"{clash[0]}: noise sets this itself; leave it out")
    load_before = _load()
    with tempfile.TemporaryDirectory(prefix="pareto-noise-store-") as store:
        where = ["--pareto-store", store]
        print("noise: 1/3 measuring the selected tests (replica processes)…", file=sys.stderr)
        _pytest(pytest_args, ["--pareto-update", *where], "measured")
        print("noise: 2/3 checking identical code against it…", file=sys.stderr)
        checked = _pytest(pytest_args, where, "checked")
    print("noise: 3/3 simulating checks to find the detectable slowdowns…", file=sys.stderr)
    rows = [row for v in checked.verdicts for row in noise_of(v, args.simulations)]
    unjudged = sorted({v.test_id for v in checked.verdicts} - {r.test_id for r in rows})
    load = {"before": load_before, "after": _load()}
    if args.json:
        document = {
            "format": "pytest-pareto noise",
            "schema_version": 1,
            "power": POWER,
            "load": load,
            "tests": [r.to_json() for r in rows],
            "without_noisy_metrics": unjudged,
        }
        print(json.dumps(document, indent=2))
        return EXIT_OK
    _print_text(rows, unjudged, load)
    return EXIT_OK


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: give a whole number of 1 or more")
    return value


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON document instead")
    parser.add_argument(
        "--simulations",
        type=_positive,
        default=200,
        metavar="N",
        help="simulated checks per slowdown tried (default 200)",
    )
    parser.add_argument(
        "pytest_args",
        metavar="PYTEST_ARGS",
        nargs=argparse.REMAINDER,
        help="select the tests and settings, as for pytest (e.g. tests/ -k fit)",
    )


COMMAND = Command(
    name="noise",
    help="how small a slowdown this machine can see, per measured test",
    description=textwrap.dedent(
        """\
        Measure the selected tests against themselves and say, per noisy metric, how small
        a slowdown this machine can tell from noise. It runs pytest PYTEST_ARGS twice on
        the same code: --pareto-update into a temporary store (the replica processes a
        stored baseline holds), then a check against it (the real sequential rank test).
        From the processes measured it reports the between-process spread (coefficient of
        variation of speed-normalised process medians) and the smallest slowdown that
        simulated checks of this design (processes, tolerance, alpha) catch with 90%
        power, and says where the tolerance is below it. Your baselines/ is not touched.

        exit status: 0 measured (whatever it found), 2 usage error or pytest failure.

        examples:
          pytest-pareto noise tests/perf
          pytest-pareto noise tests/test_model.py -k infer --pareto-processes 10
          pytest-pareto noise --json tests/perf > noise.json
        """
    ),
    add_arguments=_add_arguments,
    run=_run,
)
