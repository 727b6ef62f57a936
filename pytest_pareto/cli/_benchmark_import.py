"""pytest-benchmark saved runs (``.benchmarks/**/NNNN_*.json``, ``--benchmark-json``) as points.

Each benchmark of a file becomes one point of the test with the same node id: its
``wall_time`` is the run's median time per call (one process; pytest-benchmark measures one),
with pytest-benchmark's statistics, group, params and ``extra_info`` kept in the point's
``extra_info``. :func:`import_runs` accepts the points into a store file by file, oldest first,
as ``pytest --pareto-update`` would.
"""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_pareto.errors import BaselineFileError
from pytest_pareto.frontier.maintenance import (
    FrontierChange,
    accept_point,
    comparable_points,
    departures,
)
from pytest_pareto.judging.verdict import JudgePolicy, judge
from pytest_pareto.model.machine import Machine, Matching, current_machine
from pytest_pareto.model.metrics import BUILTIN_METRICS, Metric
from pytest_pareto.model.points import Observation, Point, Sample, TestBaseline
from pytest_pareto.store.baseline_files import MAX_FILE_BYTES, Store

__all__ = ["BenchmarkRun", "ImportedBenchmark", "import_runs", "read_benchmark_file", "run_files"]

WALL_TIME = BUILTIN_METRICS["wall_time"]
_STATS_KEPT = ("min", "max", "mean", "stddev", "median", "iqr", "q1", "q3", "rounds", "iterations")
_FIX = (
    "pass a file written by pytest-benchmark "
    "(--benchmark-autosave, --benchmark-save or --benchmark-json)"
)


@dataclass(frozen=True)
class ImportedBenchmark:
    """One benchmark of a saved run, as a point of its test."""

    test_id: str
    point: Point
    rounds: int


@dataclass(frozen=True)
class BenchmarkRun:
    """One pytest-benchmark file."""

    path: Path
    recorded_at: str
    benchmarks: tuple[ImportedBenchmark, ...]


def run_files(paths: Iterable[Path | str]) -> list[Path]:
    """The JSON files named, with folders searched recursively (``.benchmarks``)."""
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*.json") if p.is_file()))
        else:
            files.append(path)
    return files


def _iso(text: object) -> str:
    """pytest-benchmark's ISO datetime as ours (UTC, second resolution)."""
    if not isinstance(text, str):
        return ""
    try:
        moment = _dt.datetime.fromisoformat(text)
    except ValueError:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_dt.timezone.utc)
    moment = moment.astimezone(_dt.timezone.utc).replace(microsecond=0)
    return moment.isoformat().replace("+00:00", "Z")


def _machine(info: object, how: str) -> Machine | None:
    """The machine of a run: ``current`` (this one), ``file`` (from its machine_info, memory
    unknown) or ``auto`` (this one when the CPU model and count match, else ``file``)."""
    here = current_machine()
    if how == "current":
        return here
    if not isinstance(info, Mapping):
        return None
    cpu = info.get("cpu") if isinstance(info.get("cpu"), Mapping) else {}
    assert isinstance(cpu, Mapping)
    model = str(cpu.get("brand_raw") or info.get("processor") or info.get("machine") or "")
    count = cpu.get("count")
    count = count if isinstance(count, int) and not isinstance(count, bool) else 0
    if how == "auto" and model == here.cpu_model and count == here.cpu_count:
        return here
    return Machine(
        cpu_model=model or "unknown CPU",
        cpu_count=count,
        memory_gib=0,
        os=f"{info.get('system', '')} {info.get('release', '')}".strip(),
        python=str(info.get("python_version", "")),
    )


def _benchmark(entry: object, where: str, base: dict[str, Any]) -> ImportedBenchmark:
    if not isinstance(entry, Mapping):
        raise BaselineFileError(where, "a benchmark must be an object", _FIX)
    test_id = entry.get("fullname")
    stats = entry.get("stats")
    if not isinstance(test_id, str) or not test_id or not isinstance(stats, Mapping):
        raise BaselineFileError(where, "a benchmark needs 'fullname' and 'stats'", _FIX)
    median = stats.get("median")
    if isinstance(median, bool) or not isinstance(median, int | float) or not median >= 0:
        raise BaselineFileError(where, f"{test_id}: 'stats.median' must be a number >= 0", _FIX)
    rounds = stats.get("rounds")
    kept = {key: stats[key] for key in _STATS_KEPT if key in stats}
    info: dict[str, Any] = {
        "imported_from": "pytest-benchmark",
        "pytest_benchmark": {
            "file": base["file"],
            "stats": kept,
            "group": entry.get("group"),
            "params": entry.get("params"),
            "options": entry.get("options"),
        },
    }
    extra = entry.get("extra_info")
    if isinstance(extra, Mapping):
        info.update({str(k): v for k, v in extra.items()})
    point = Point(
        observations={WALL_TIME.name: Observation((Sample((float(median),)),))},
        recorded_at=base["recorded_at"],
        commit=base["commit"],
        machine=base["machine"],
        extra_info=info,
    )
    return ImportedBenchmark(test_id, point, rounds if isinstance(rounds, int) else 0)


def read_benchmark_file(path: Path | str, *, machine: str = "auto") -> BenchmarkRun:
    """Parse one pytest-benchmark JSON file; a file that is not one raises
    :class:`BaselineFileError` naming it."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise BaselineFileError(path, f"is over the {MAX_FILE_BYTES}-byte limit", _FIX)
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BaselineFileError(path, "does not exist", _FIX) from None
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise BaselineFileError(path, f"cannot be read as JSON ({exc})", _FIX) from None
    if not isinstance(data, Mapping) or not isinstance(data.get("benchmarks"), list):
        raise BaselineFileError(path, "not a pytest-benchmark file (no 'benchmarks' list)", _FIX)
    commit_info = data.get("commit_info")
    commit = commit_info.get("id") if isinstance(commit_info, Mapping) else None
    recorded_at = _iso(data.get("datetime"))
    base = {
        "file": path.name,
        "recorded_at": recorded_at,
        "commit": commit if isinstance(commit, str) and commit != "unversioned" else None,
        "machine": _machine(data.get("machine_info"), machine),
    }
    benchmarks = tuple(
        _benchmark(entry, f"{path}: benchmark {i}", base)
        for i, entry in enumerate(data["benchmarks"])
    )
    return BenchmarkRun(path, recorded_at, benchmarks)


def import_runs(
    store: Store,
    runs: Sequence[BenchmarkRun],
    *,
    policy: JudgePolicy | None = None,
    matching: Matching = Matching.EXACT,
    dry_run: bool = False,
) -> list[FrontierChange]:
    """Accept every benchmark of ``runs`` (oldest run first) into ``store``, each judged
    against its test's stored frontier as ``--pareto-update`` would."""
    policy = policy or JudgePolicy()
    metrics: dict[str, Metric] = {WALL_TIME.name: WALL_TIME}
    changes: list[FrontierChange] = []
    pending: dict[str, TestBaseline | None] = {}
    for run in sorted(runs, key=lambda r: (r.recorded_at, str(r.path))):
        for bench in run.benchmarks:

            def change(
                baseline: TestBaseline | None, bench: ImportedBenchmark = bench
            ) -> TestBaseline:
                references, reason = comparable_points(baseline, bench.point.machine, matching)
                verdict = judge(
                    bench.test_id, bench.point, references, metrics, policy, skipped_reason=reason
                )
                updated, what = accept_point(
                    baseline, bench.test_id, bench.point, metrics, departures(verdict)
                )
                changes.append(what)
                return updated

            if dry_run:  # the same changes, on copies kept in memory
                test_id = bench.test_id
                current = pending[test_id] if test_id in pending else store.load(test_id)
                pending[test_id] = change(current)
            else:
                store.update(bench.test_id, change)
    return changes
