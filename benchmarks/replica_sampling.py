"""Do replicas forked from a pre-warmed zygote sample what fresh processes sample?

pytest-pareto measures each test in several fresh processes, because the same code's speed
differs between processes (host-speed states, memory layout and ASLR, the hash seed). Starting
replicas by forking them from a "zygote" (a fresh process that did the imports, never ran the
measured call) is cheaper, but a forked child shares its zygote's memory layout and hash seed:
children of one zygote may be correlated, and then C children of one zygote are worth fewer
than C fresh processes. This script measures that, per workload:

* spawn: N fresh processes (``sys.executable`` running this script as a worker), each sets the
  workload up, warms up, and reports the median of R timed rounds of the call
  (``time.perf_counter_ns``) and its start-up time (process start to ready);
* fork: Z zygotes (fresh processes) each set the workload up (for torch: ``import torch`` and
  build the model, no op run) and then fork C children one after another; each child
  measures like a spawned process and sends its median through a pipe. Before forking, the
  zygote checks that it is single-threaded (entries of ``/proc/self/task``) and refuses to fork
  otherwise; it reports its thread count before forking and after running one call itself.

The two modes are interleaved over time (blocks of one zygote's batch and C spawned processes
per workload, the order alternating) so that drift in host speed hits both alike. Workloads
(each call about ``--call-ms`` milliseconds, calibrated once in a separate process): a
pure-Python integer loop; building and looking up a dict of a few thousand strings; allocating
lists of small objects; a small torch MLP (batch 64, 256 -> 512 -> 10, relu) under
``torch.no_grad()``, several forward passes per call, with torch's default threads
(``torch_mlp``) and with one thread (``torch_mlp_1t``: ``torch.set_num_threads(1)`` at set-up);
both do the number of forwards that takes ``--call-ms`` with one thread.
Every torch worker, in both modes, runs with ``OPENBLAS_NUM_THREADS=1``: ``import torch``
imports numpy, whose OpenBLAS starts a pool thread, and the zygote would not be
single-threaded (a probe process reports the thread counts with and without it).

Per workload it prints: the spawned processes' spread (CV, MAD/median); a one-way ANOVA of the
children's medians by zygote (between- and within-zygote variance, the intraclass correlation
ICC with a permutation p-value) and the same for the spawned processes grouped by time (C
consecutive processes: the time-clustering baseline); the ratio of the fork variance to the
spawn variance; A/A false alarms of a two-sided Mann-Whitney U test (normal approximation,
ties handled, alpha 0.05) between the children of two zygotes, between two time-consecutive
groups of spawned processes, between random groups of spawned processes, and between children
regrouped at random (the test's own rate at this size); the relative difference of medians
between groups against the gate's 5% tolerance; start-up costs.

Usage::

    python benchmarks/replica_sampling.py                      # 8-12 minutes on 2 cores
    python benchmarks/replica_sampling.py --zygotes 4 --children 3 --torch-zygotes 2 --no-save
    python benchmarks/replica_sampling.py --workloads int_loop,torch_mlp --zygotes 24

Writes ``<out>/replica_sampling-<YYYYMMDD-HHMM>.txt`` (the report: command, commit, load
before/after, versions) and ``.json`` (every process's values). The machine may be shared:
the load (``/proc/loadavg``) is printed before and after and sampled at every block. Not part
of the test suite; imports neither pytest nor pytest_pareto.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import math
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

WORKLOADS = ("int_loop", "str_dict", "alloc", "torch_mlp", "torch_mlp_1t")
STR_KEYS = 3000
"""Strings in the str_dict workload's dict."""
ALPHA = 0.05
TOLERANCE = 0.05
"""The gate's default relative tolerance, against which differences of medians are read."""
TORCH_ENV = {"OPENBLAS_NUM_THREADS": "1"}
"""Environment of every torch worker (both modes): numpy's OpenBLAS, imported by torch, starts
a pool thread at import unless told to use one thread; torch's own matmuls use MKL/oneDNN."""

Call = Callable[[], object]


# --- workloads (set up in the worker; the call is what is timed) ---------------------------


def setup_int_loop(size: int) -> Call:
    def call() -> object:
        total = 0
        for i in range(size):
            total += i * i % 7
        return total

    return call


def setup_str_dict(size: int) -> Call:
    keys = [f"key-{i:05d}-{i * 7919 % 10007}" for i in range(STR_KEYS)]
    absent = [f"absent-{i}" for i in range(STR_KEYS // 4)]

    def call() -> object:
        found = 0
        for _ in range(size):
            table: dict[str, int] = {}
            for i, key in enumerate(keys):
                table[key] = i
            for key in keys:
                found += table[key]
            for key in absent:
                if key in table:
                    found += 1
            for i in range(0, STR_KEYS, 3):  # fresh strings: hashed in this call
                found += table.get(f"key-{i:05d}-{i * 7919 % 10007}", 0)
        return found

    return call


class _Node:
    def __init__(self, value: int, tag: str) -> None:
        self.value = value
        self.tag = tag


def setup_alloc(size: int) -> Call:
    tags = ("a", "b", "c")

    def call() -> object:
        nodes = [_Node(i, tags[i % 3]) for i in range(size)]
        pairs = [(node.value, [node.tag]) for node in nodes]
        return len(pairs) + len(nodes)

    return call


def setup_torch_mlp(size: int, threads: int | None = None) -> Call:
    import torch

    if threads is not None:
        torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Linear(256, 512), torch.nn.ReLU(), torch.nn.Linear(512, 10)
    ).eval()
    batch = torch.randn(64, 256)

    def call() -> object:
        with torch.no_grad():
            out = batch
            for _ in range(size):
                out = model(batch)
        return out

    return call


SETUPS: dict[str, Callable[[int], Call]] = {
    "int_loop": setup_int_loop,
    "str_dict": setup_str_dict,
    "alloc": setup_alloc,
    "torch_mlp": setup_torch_mlp,
    "torch_mlp_1t": lambda size: setup_torch_mlp(size, threads=1),
}


# --- worker side ---------------------------------------------------------------------------


def thread_count() -> int:
    return len(os.listdir("/proc/self/task"))


def thread_names() -> list[str]:
    names = []
    for task in sorted(os.listdir("/proc/self/task")):
        try:
            names.append(Path(f"/proc/self/task/{task}/comm").read_text().strip())
        except OSError:
            continue
    return names


def torch_threads(workload: str) -> int | None:
    if not workload.startswith("torch"):
        return None
    import torch

    return int(torch.get_num_threads())


def identity() -> dict[str, Any]:
    """What a forked child shares with its zygote and a spawned process does not."""
    return {"pid": os.getpid(), "str_hash": hash("replica-sampling"), "heap_addr": id(SETUPS)}


def measure(call: Call, rounds: int, warmup: int) -> dict[str, Any]:
    start = time.perf_counter_ns()
    call()
    first = time.perf_counter_ns() - start
    for _ in range(max(0, warmup - 1)):
        call()
    times = []
    for _ in range(rounds):
        start = time.perf_counter_ns()
        call()
        times.append(time.perf_counter_ns() - start)
    return {"median_ns": statistics.median(times), "min_ns": min(times), "first_ns": first}


def worker_spawn(args: argparse.Namespace) -> dict[str, Any]:
    call = SETUPS[args.workload](args.size)
    ready = time.perf_counter_ns()
    threads = thread_count()
    return {
        "ready_at_ns": ready,
        "threads_at_ready": threads,
        **identity(),
        **measure(call, args.rounds, args.warmup),
        "torch_threads": torch_threads(args.workload),
    }


def _child(call: Call, args: argparse.Namespace, forked_at: int, pipe: int) -> None:
    """In a forked child: measure, write the result to ``pipe``, and leave without cleanup."""
    code = 0
    try:
        ready = time.perf_counter_ns()
        result = {
            "fork_to_ready_ns": ready - forked_at,
            "threads_at_ready": thread_count(),
            **identity(),
            **measure(call, args.rounds, args.warmup),
            "torch_threads": torch_threads(args.workload),
        }
        data = json.dumps(result).encode()
    except BaseException as error:  # reported to the zygote, which reports it on
        data = json.dumps({"error": repr(error)}).encode()
        code = 1
    while data:
        data = data[os.write(pipe, data) :]
    os._exit(code)


def worker_zygote(args: argparse.Namespace) -> dict[str, Any]:
    call = SETUPS[args.workload](args.size)
    ready = time.perf_counter_ns()
    threads = thread_count()
    report: dict[str, Any] = {
        "ready_at_ns": ready,
        "threads_before_fork": threads,
        "thread_names_before_fork": thread_names(),
        **identity(),
    }
    if threads != 1 and not args.fork_unsafe:
        return {**report, "refused": f"{threads} threads before forking", "children": []}
    sys.stdout.flush()
    sys.stderr.flush()
    raw: list[tuple[bytes, int, int, int]] = []  # parsed after the last fork: same heap for all
    for _ in range(args.children):
        read_end, write_end = os.pipe()
        forked_at = time.perf_counter_ns()
        pid = os.fork()
        if pid == 0:
            os.close(read_end)
            _child(call, args, forked_at, write_end)
        fork_returned = time.perf_counter_ns() - forked_at
        os.close(write_end)
        chunks = []
        while chunk := os.read(read_end, 65536):
            chunks.append(chunk)
        os.close(read_end)
        _, status = os.waitpid(pid, 0)
        raw.append((b"".join(chunks), fork_returned, time.perf_counter_ns() - forked_at, status))
    report["threads_after_children"] = thread_count()
    call()  # the zygote's first op: what it would have done to the thread count before forking
    report["threads_after_one_call"] = thread_count()
    report["thread_names_after_one_call"] = thread_names()
    children = []
    for data, fork_returned, lifetime, status in raw:
        child = json.loads(data) if data else {"error": "no output"}
        child.update(fork_return_ns=fork_returned, lifetime_ns=lifetime, status=status)
        children.append(child)
    report["children"] = children
    return report


def worker_probe(args: argparse.Namespace) -> dict[str, Any]:
    """Thread counts of a torch process: start, import, model built, one op."""
    stages = {"start": (thread_count(), thread_names())}
    import torch

    stages["import torch"] = (thread_count(), thread_names())
    call = setup_torch_mlp(1)
    stages["model built"] = (thread_count(), thread_names())
    call()
    stages["one forward"] = (thread_count(), thread_names())
    return {
        "stages": stages,
        "torch_num_threads": torch.get_num_threads(),
        "torch_interop_threads": torch.get_num_interop_threads(),
        "openblas_env": os.environ.get("OPENBLAS_NUM_THREADS"),
    }


def worker_calibrate(args: argparse.Namespace) -> dict[str, Any]:
    """The size whose call takes about ``args.call_ms`` here."""
    size = 1
    while True:
        call = SETUPS[args.workload](size)
        call()
        took = min(_timed(call) for _ in range(5))  # the least: a call nobody interrupted
        if took > 2e-3 or size >= 1 << 30:
            break
        size *= 2
    scale = args.call_ms / 1000 / took
    return {"size": max(1, round(size * scale)), "took_s": took, "at_size": size}


def _timed(call: Call) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


WORKERS: dict[str, Callable[[argparse.Namespace], dict[str, Any]]] = {
    "spawn": worker_spawn,
    "zygote": worker_zygote,
    "probe": worker_probe,
    "calibrate": worker_calibrate,
}


# --- statistics ----------------------------------------------------------------------------


def mann_whitney_p(a: Sequence[float], b: Sequence[float]) -> float:
    """Two-sided Mann-Whitney U p-value: normal approximation, tie-corrected, continuity 0.5."""
    n1, n2 = len(a), len(b)
    pooled = sorted([(v, 0) for v in a] + [(v, 1) for v in b])
    n = n1 + n2
    rank_sum_a = 0.0
    ties = 0.0
    i = 0
    while i < n:
        j = i
        while j + 1 < n and pooled[j + 1][0] == pooled[i][0]:
            j += 1
        rank = (i + j) / 2 + 1
        rank_sum_a += rank * sum(1 for k in range(i, j + 1) if pooled[k][1] == 0)
        t = j - i + 1
        ties += t**3 - t
        i = j + 1
    u = rank_sum_a - n1 * (n1 + 1) / 2
    variance = n1 * n2 / 12 * ((n + 1) - ties / (n * (n - 1)))
    if variance <= 0:
        return 1.0
    z = max(0.0, abs(u - n1 * n2 / 2) - 0.5) / math.sqrt(variance)
    return min(1.0, math.erfc(z / math.sqrt(2)))


def anova(groups: Sequence[Sequence[float]]) -> dict[str, float]:
    """One-way random-effects ANOVA (unbalanced allowed): variance components, ICC, F."""
    groups = [g for g in groups if g]
    k = len(groups)
    values = [v for g in groups for v in g]
    n = len(values)
    grand = statistics.fmean(values)
    means = [statistics.fmean(g) for g in groups]
    ss_between = sum(len(g) * (m - grand) ** 2 for g, m in zip(groups, means, strict=True))
    ss_within = sum((v - m) ** 2 for g, m in zip(groups, means, strict=True) for v in g)
    ms_between = ss_between / (k - 1)
    ms_within = ss_within / (n - k)
    n0 = (n - sum(len(g) ** 2 for g in groups) / n) / (k - 1)
    between = max(0.0, (ms_between - ms_within) / n0)
    within = ms_within
    total = between + within
    return {
        "mean": grand,
        "var_between": between,
        "var_within": within,
        "var_total": total,
        "icc": between / total if total > 0 else 0.0,
        "f": ms_between / ms_within if ms_within > 0 else math.inf,
        "n0": n0,
    }


def regroup(values: Sequence[float], sizes: Sequence[int], rng: random.Random) -> list[list[float]]:
    shuffled = list(values)
    rng.shuffle(shuffled)
    groups, start = [], 0
    for size in sizes:
        groups.append(shuffled[start : start + size])
        start += size
    return groups


def permutation_p(groups: Sequence[Sequence[float]], rng: random.Random, draws: int) -> float:
    """P-value of the ANOVA F against random regroupings of the same values."""
    observed = anova(groups)["f"]
    values = [v for g in groups for v in g]
    sizes = [len(g) for g in groups]
    above = sum(anova(regroup(values, sizes, rng))["f"] >= observed for _ in range(draws))
    return (1 + above) / (1 + draws)


def pair_stats(groups: Sequence[Sequence[float]]) -> dict[str, float]:
    """Over all pairs of groups: share flagged by Mann-Whitney, differences of medians."""
    pairs = list(itertools.combinations([g for g in groups if len(g) >= 2], 2))
    if not pairs:
        return {"pairs": 0, "flagged": math.nan, "diff_median": math.nan, "diff_p90": math.nan}
    flagged = sum(mann_whitney_p(a, b) < ALPHA for a, b in pairs)
    diffs = sorted(
        max(statistics.median(a), statistics.median(b))
        / min(statistics.median(a), statistics.median(b))
        - 1
        for a, b in pairs
    )
    return {
        "pairs": len(pairs),
        "flagged": flagged / len(pairs),
        "diff_median": statistics.median(diffs),
        "diff_p90": diffs[min(len(diffs) - 1, int(0.9 * len(diffs)))],
        "diff_over_tol": sum(d > TOLERANCE for d in diffs) / len(diffs),
    }


def random_pair_stats(
    values: Sequence[float], size: int, rng: random.Random, draws: int
) -> dict[str, float]:
    """Pair statistics of ``draws`` pairs of disjoint random groups of ``size`` values."""
    flagged, diffs = 0, []
    for _ in range(draws):
        picked = rng.sample(list(values), 2 * size)
        a, b = picked[:size], picked[size:]
        flagged += mann_whitney_p(a, b) < ALPHA
        ma, mb = statistics.median(a), statistics.median(b)
        diffs.append(max(ma, mb) / min(ma, mb) - 1)
    diffs.sort()
    return {
        "pairs": draws,
        "flagged": flagged / draws,
        "diff_median": statistics.median(diffs),
        "diff_p90": diffs[int(0.9 * len(diffs))],
        "diff_over_tol": sum(d > TOLERANCE for d in diffs) / len(diffs),
    }


def regrouped_pair_stats(
    groups: Sequence[Sequence[float]], rng: random.Random, draws: int
) -> dict[str, float]:
    """Pair statistics after regrouping the same values at random, averaged over draws."""
    values = [v for g in groups for v in g]
    sizes = [len(g) for g in groups]
    runs = [pair_stats(regroup(values, sizes, rng)) for _ in range(draws)]
    return {key: statistics.fmean(run[key] for run in runs) for key in runs[0]}


def chunks(values: Sequence[float], size: int) -> list[list[float]]:
    """Consecutive groups of ``size`` (a shorter remainder is dropped)."""
    return [list(values[i : i + size]) for i in range(0, len(values) - size + 1, size)]


def analyse(
    spawn: Sequence[dict[str, Any]],
    zygotes: Sequence[dict[str, Any]],
    children: int,
    rng: random.Random,
    draws: int,
) -> dict[str, Any]:
    spawn_values = [float(p["median_ns"]) for p in spawn if "median_ns" in p]
    groups = [[float(c["median_ns"]) for c in z["children"] if "median_ns" in c] for z in zygotes]
    groups = [g for g in groups if len(g) >= 2]
    fork_values = [v for g in groups for v in g]
    out: dict[str, Any] = {"spawn_n": len(spawn_values), "fork_n": len(fork_values)}
    if len(spawn_values) < 3 or len(groups) < 2:
        return out
    median = statistics.median(spawn_values)
    mad = statistics.median(abs(v - median) for v in spawn_values)
    spawn_var = statistics.variance(spawn_values)
    out.update(
        spawn_median_ms=median / 1e6,
        spawn_cv=statistics.stdev(spawn_values) / statistics.fmean(spawn_values),
        spawn_mad_rel=1.4826 * mad / median,
        spawn_range_rel=(max(spawn_values) - min(spawn_values)) / median,
        fork_median_ms=statistics.median(fork_values) / 1e6,
        fork_cv=statistics.stdev(fork_values) / statistics.fmean(fork_values),
    )
    fork = anova(groups)
    fork["perm_p"] = permutation_p(groups, rng, draws)
    out["fork_anova"] = fork
    out["fork_total_over_spawn"] = fork["var_total"] / spawn_var
    out["fork_within_over_spawn"] = fork["var_within"] / spawn_var
    # A sample of Z zygotes x C children estimates the mean as well as n_eff spawned processes.
    z, c = len(groups), statistics.fmean(len(g) for g in groups)
    var_of_mean = fork["var_between"] / z + fork["var_within"] / (z * c)
    out["fork_design"] = f"{z}x{c:g}"
    out["fork_n_eff"] = spawn_var / var_of_mean if var_of_mean > 0 else math.inf
    time_groups = chunks(spawn_values, children)
    # The same with every value clipped to the spawn median +- 3 MADs: load spikes (a process
    # or child that ran 2-50x slow) dominate variances but not ranks.
    low, high = median - 3 * 1.4826 * mad, median + 3 * 1.4826 * mad
    clip = [[min(high, max(low, v)) for v in g] for g in groups]
    clipped = anova(clip)
    clipped["spawn_time_icc"] = anova(
        chunks([min(high, max(low, v)) for v in spawn_values], children)
    )["icc"]
    clipped["perm_p"] = permutation_p(clip, rng, draws)
    clipped["total_over_spawn"] = clipped["var_total"] / statistics.variance(
        [min(high, max(low, v)) for v in spawn_values]
    )
    clipped["within_over_spawn"] = clipped["var_within"] / statistics.variance(
        [min(high, max(low, v)) for v in spawn_values]
    )
    out["fork_anova_clipped"] = clipped
    if len(time_groups) >= 2:
        spawn_time = anova(time_groups)
        spawn_time["perm_p"] = permutation_p(time_groups, rng, draws)
        out["spawn_time_anova"] = spawn_time
    out["aa"] = {
        "zygote pairs": pair_stats(groups),
        "spawn time-consecutive groups": pair_stats(time_groups),
        "spawn random groups": random_pair_stats(spawn_values, children, rng, 20 * draws),
        "children regrouped at random": regrouped_pair_stats(groups, rng, max(1, draws // 10)),
    }
    return out


# --- driver --------------------------------------------------------------------------------


def load() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def worker_env(workload: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONHASHSEED"}
    if workload.startswith("torch"):
        env.update(TORCH_ENV)
    return env


def run_worker(
    mode: str, workload: str, options: Sequence[str], env: dict[str, str] | None = None
) -> dict[str, Any]:
    """One worker process; its JSON line, with ``startup_ns`` (process start to ready)."""
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", mode]
    started = time.perf_counter_ns()
    done = subprocess.run(
        [*command, "--workload", workload, *options],
        capture_output=True,
        text=True,
        env=env if env is not None else worker_env(workload),
        check=False,
    )
    ended = time.perf_counter_ns()
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        return {"error": f"exit {done.returncode}: {done.stderr.strip()[-500:]}"}
    result: dict[str, Any] = json.loads(lines[-1])
    if "ready_at_ns" in result:
        result["startup_ns"] = result.pop("ready_at_ns") - started
    result["process_ns"] = ended - started
    return result


def schedule(counts: dict[str, tuple[int, int]], blocks: int) -> list[list[tuple[str, str]]]:
    """Per block, the (mode, workload) runs: workloads rotate, spawn and fork alternate."""
    plan: list[list[list[tuple[str, str]]]] = [[] for _ in range(blocks)]
    for index, (workload, (zygotes, spawned)) in enumerate(counts.items()):
        per_block: list[list[tuple[str, str]]] = [[] for _ in range(blocks)]
        for j in range(zygotes):
            per_block[j * blocks // zygotes].append(("zygote", workload))
        for j in range(spawned):
            per_block[j * blocks // spawned].append(("spawn", workload))
        for b, runs in enumerate(per_block):
            first = "spawn" if (b + index) % 2 else "zygote"
            runs.sort(key=lambda run: run[0] != first)
            plan[b].append(runs)
    out: list[list[tuple[str, str]]] = []
    for b, per_workload in enumerate(plan):
        turn = b % len(per_workload)
        out.append([run for runs in per_workload[turn:] + per_workload[:turn] for run in runs])
    return out


def pct(x: float) -> str:
    return "   n/a" if math.isnan(x) else f"{100 * x:5.1f}%"


def ms(values: Sequence[float]) -> str:
    return f"{statistics.median(values) / 1e6:8.1f} ms" if values else "      n/a"


def summary_lines(results: dict[str, dict[str, Any]]) -> list[str]:
    lines = [
        "Spread of per-process medians (SD as % of the mean; ICC = between/(between+within);",
        "fork/spawn = fork total variance over spawn variance; within/spawn = variance between",
        "children of one zygote over spawn variance; n_eff = spawned processes worth as much as",
        "the Z x C children for estimating the mean)",
        f"{'workload':12s} {'call':>7s} {'spawn CV':>8s} {'MAD/med':>7s} "
        f"{'fork btw':>8s} {'within':>6s} {'ICC':>5s} {'perm p':>6s} "
        f"{'fork/spawn':>10s} {'within/spawn':>12s} {'n_eff':>11s} {'time ICC':>8s}",
    ]
    for name, r in results.items():
        a = r["analysis"]
        if "fork_anova" not in a:
            lines.append(f"{name:12s} not enough data: {a}")
            continue
        f, mean = a["fork_anova"], a["fork_anova"]["mean"]
        t = a.get("spawn_time_anova", {"icc": math.nan, "perm_p": math.nan})
        lines.append(
            f"{name:12s} {a['spawn_median_ms']:5.2f}ms {pct(a['spawn_cv']):>8s} "
            f"{pct(a['spawn_mad_rel']):>7s} {pct(math.sqrt(f['var_between']) / mean):>8s} "
            f"{pct(math.sqrt(f['var_within']) / mean):>6s} {f['icc']:5.2f} {f['perm_p']:6.3f} "
            f"{a['fork_total_over_spawn']:10.2f} {a['fork_within_over_spawn']:12.2f} "
            f"{a['fork_n_eff']:5.1f}/{a['fork_n']:<3d}{'':2s} "
            f"{t['icc']:4.2f} p{t['perm_p']:.2f}"
        )
    lines += [
        "",
        "The same, every value clipped to the spawn median +- 3 MADs (load spikes removed)",
        f"{'workload':12s} {'fork btw':>8s} {'within':>6s} {'ICC':>5s} {'perm p':>6s} "
        f"{'fork/spawn':>10s} {'within/spawn':>12s} {'time ICC':>8s}",
    ]
    for name, r in results.items():
        c = r["analysis"].get("fork_anova_clipped")
        if c is None:
            continue
        lines.append(
            f"{name:12s} {pct(math.sqrt(c['var_between']) / c['mean']):>8s} "
            f"{pct(math.sqrt(c['var_within']) / c['mean']):>6s} {c['icc']:5.2f} "
            f"{c['perm_p']:6.3f} {c['total_over_spawn']:10.2f} {c['within_over_spawn']:12.2f} "
            f"{c['spawn_time_icc']:8.2f}"
        )
    lines += [
        "",
        f"A/A: share of pairs of groups (C each) a two-sided Mann-Whitney U flags at {ALPHA};",
        f"|diff|: relative difference of the two groups' medians (median, p90, share > "
        f"{TOLERANCE:.0%})",
        f"{'workload':12s} {'comparison':32s} {'pairs':>5s} {'flagged':>7s} "
        f"{'|diff| med':>10s} {'p90':>6s} {'>5%':>6s}",
    ]
    for name, r in results.items():
        for label, s in r["analysis"].get("aa", {}).items():
            lines.append(
                f"{name:12s} {label:32s} {s['pairs']:5.0f} {pct(s['flagged']):>7s} "
                f"{pct(s['diff_median']):>10s} {pct(s['diff_p90']):>6s} "
                f"{pct(s['diff_over_tol']):>6s}"
            )
    lines += [
        "",
        "Start-up (medians): spawn = process start to workload ready; fork = os.fork() in the",
        "zygote to the child running; first call / median call (cold start of the measurement)",
        f"{'workload':12s} {'spawn':>11s} {'zygote':>11s} {'fork':>11s} "
        f"{'spawn 1st/med':>13s} {'fork 1st/med':>12s}",
    ]
    for name, r in results.items():
        spawn, zygotes = r["spawn"], r["zygotes"]
        kids = [c for z in zygotes for c in z["children"] if "median_ns" in c]
        spawned = [p for p in spawn if "median_ns" in p]
        lines.append(
            f"{name:12s} {ms([p['startup_ns'] for p in spawned]):>11s} "
            f"{ms([z['startup_ns'] for z in zygotes if 'startup_ns' in z]):>11s} "
            f"{ms([c['fork_to_ready_ns'] for c in kids]):>11s} "
            f"{_ratio(spawned):>13s} {_ratio(kids):>12s}"
        )
    return lines


def _ratio(processes: Sequence[dict[str, Any]]) -> str:
    if not processes:
        return "n/a"
    return f"{statistics.median(p['first_ns'] / p['median_ns'] for p in processes):.2f}x"


def thread_lines(
    probes: dict[str, dict[str, Any]], results: dict[str, dict[str, Any]]
) -> list[str]:
    lines = ["Threads (entries of /proc/self/task):"]
    for label, probe in probes.items():
        if "stages" not in probe:
            lines.append(f"  probe, {label}: {probe}")
            continue
        stages = ", ".join(f"{stage} {count}" for stage, (count, _) in probe["stages"].items())
        names = probe["stages"]["one forward"][1]
        lines.append(
            f"  probe, {label}: {stages} (names after one forward: {names}); "
            f"torch.get_num_threads() {probe['torch_num_threads']}, "
            f"interop {probe['torch_interop_threads']}"
        )
    for name, r in results.items():
        zygotes = r["zygotes"]
        before = sorted({z.get("threads_before_fork") for z in zygotes}, key=str)
        after = sorted({z.get("threads_after_one_call") for z in zygotes}, key=str)
        refused = sum("refused" in z for z in zygotes)
        kids = [c for z in zygotes for c in z["children"]]
        torch_n = sorted({c.get("torch_threads") for c in kids}, key=str)
        shared = all(
            len({c.get("str_hash") for c in z["children"]} | {z.get("str_hash")}) == 1
            for z in zygotes
            if z["children"]
        )
        lines.append(
            f"  {name}: zygote before fork {before}, after its first call {after}; "
            f"refused {refused}/{len(zygotes)}; children's torch threads {torch_n}; "
            f"children share the zygote's str hash: {shared}; distinct hashes among spawned: "
            f"{len({p.get('str_hash') for p in r['spawn']})}/{len(r['spawn'])}"
        )
    return lines


def commit() -> str:
    here = Path(__file__).resolve().parent
    try:
        rev = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=here, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", str(Path(__file__).resolve())],
            cwd=here,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except OSError:
        return "unknown"
    return rev + (" (this script uncommitted or modified)" if dirty else "")


def torch_version() -> str:
    done = subprocess.run(
        [sys.executable, "-c", "import torch; print(torch.__version__)"],
        capture_output=True,
        text=True,
        env=worker_env("torch_mlp"),
        check=False,
    )
    return done.stdout.strip() or "not importable"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--zygotes", type=int, default=24, help="Z: zygotes per workload")
    parser.add_argument("--children", type=int, default=6, help="C: children per zygote")
    parser.add_argument("--spawn", type=int, default=None, help="N: spawned (default Z*C)")
    parser.add_argument("--torch-zygotes", type=int, default=8, help="Z for the torch workloads")
    parser.add_argument("--torch-spawn", type=int, default=None, help="N for the torch workloads")
    parser.add_argument("--rounds", type=int, default=30, help="R: timed rounds per process")
    parser.add_argument("--warmup", type=int, default=5, help="untimed calls before the rounds")
    parser.add_argument("--call-ms", type=float, default=2.0, help="target milliseconds a call")
    parser.add_argument("--workloads", default=",".join(WORKLOADS), help="comma-separated")
    parser.add_argument("--draws", type=int, default=1000, help="permutations for p-values")
    parser.add_argument("--seed", type=int, default=0, help="seed of the analysis' shuffles")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results")
    parser.add_argument("--no-save", action="store_true", help="print only")
    parser.add_argument("--fork-unsafe", action="store_true", help="fork even if multithreaded")
    parser.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    parser.add_argument("--workload", choices=WORKLOADS, help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--reanalyse", type=Path, help="analyse and print a saved .json again")
    args = parser.parse_args(argv)
    if args.reanalyse:
        saved = json.loads(args.reanalyse.read_text(encoding="utf-8"))
        rng = random.Random(args.seed)
        children = int(saved["settings"]["children"])
        for r in saved["results"].values():
            r["analysis"] = analyse(r["spawn"], r["zygotes"], children, rng, args.draws)
        print(f"# {saved['command']} (commit {saved['commit']}), analysed again")
        print("\n".join([*summary_lines(saved["results"]), ""]))
        print("\n".join(thread_lines(saved["probes"], saved["results"])))
        return 0
    if args.worker:
        print(json.dumps(WORKERS[args.worker](args)), flush=True)
        return 0

    started = dt.datetime.now()
    command = "python benchmarks/replica_sampling.py " + " ".join(
        argv if argv is not None else sys.argv[1:]
    )
    workloads = [w.strip() for w in args.workloads.split(",") if w.strip()]
    load_before = load()
    print(f"load before: {load_before}; calibrating {len(workloads)} workload(s)", flush=True)
    common = ["--rounds", str(args.rounds), "--warmup", str(args.warmup)]
    sizes: dict[str, int] = {}
    for workload in workloads:
        # Both torch workloads do the same forwards: sized with one thread, whose time is
        # steady (two threads on a loaded machine can take 10-50x longer for a while).
        probe = "torch_mlp_1t" if workload.startswith("torch") else workload
        calibrated = run_worker("calibrate", probe, ["--call-ms", str(args.call_ms)])
        if "size" not in calibrated:
            raise SystemExit(f"{workload}: calibration failed: {calibrated}")
        sizes[workload] = int(calibrated["size"])
    counts: dict[str, tuple[int, int]] = {}
    for workload in workloads:
        torch_ = workload.startswith("torch")
        z = args.torch_zygotes if torch_ else args.zygotes
        n = (args.torch_spawn if torch_ else args.spawn) or z * args.children
        counts[workload] = (z, n)
    probes: dict[str, dict[str, Any]] = {}
    if "torch_mlp" in workloads:
        plain = {k: v for k, v in os.environ.items() if k not in TORCH_ENV}
        probes["default env"] = run_worker("probe", "torch_mlp", [], env=plain)
        probes[" ".join(f"{k}={v}" for k, v in TORCH_ENV.items())] = run_worker(
            "probe", "torch_mlp", []
        )
    results: dict[str, dict[str, Any]] = {
        w: {"size": sizes[w], "spawn": [], "zygotes": []} for w in workloads
    }
    blocks = max(z for z, _ in counts.values())
    plan = schedule(counts, blocks)
    load_samples: list[str] = []
    clock = time.perf_counter()
    sequence = 0
    for b, runs in enumerate(plan):
        load_samples.append(load())
        print(
            f"block {b + 1}/{blocks}: {len(runs)} runs, {time.perf_counter() - clock:.0f} s, "
            f"load {load_samples[-1]}",
            flush=True,
        )
        for mode, workload in runs:
            options = [*common, "--size", str(sizes[workload])]
            if mode == "zygote":
                options += ["--children", str(args.children)]
                if args.fork_unsafe:
                    options.append("--fork-unsafe")
            result = run_worker(mode, workload, options)
            result.update(block=b, sequence=sequence, at_s=time.perf_counter() - clock)
            sequence += 1
            if "error" in result:
                print(f"  {mode} {workload}: {result['error']}", flush=True)
            if mode == "zygote":
                result.setdefault("children", [])
                results[workload]["zygotes"].append(result)
            else:
                results[workload]["spawn"].append(result)
    elapsed = time.perf_counter() - clock
    load_after = load()
    rng = random.Random(args.seed)
    for r in results.values():
        r["analysis"] = analyse(r["spawn"], r["zygotes"], args.children, rng, args.draws)

    one_minute = [float(s.split()[0]) for s in load_samples if s != "unknown"]
    header = [
        f"# {command}",
        f"started {started:%Y-%m-%d %H:%M} (local), {elapsed:.0f} s of measuring; "
        f"commit {commit()}",
        f"python {platform.python_version()}, torch {torch_version()}, "
        f"{os.cpu_count()} CPUs ({platform.machine()}), shared with other work",
        f"load (/proc/loadavg 1/5/15 min) before: {load_before}; after: {load_after}; "
        f"1-min load at block starts: mean {statistics.fmean(one_minute or [math.nan]):.2f}, "
        f"max {max(one_minute or [math.nan]):.2f}",
        f"per workload: Z zygotes x C={args.children} children, N spawned, R={args.rounds} "
        f"rounds after {args.warmup} warm-up calls; "
        + "; ".join(f"{w}: Z={z} N={n} size={sizes[w]}" for w, (z, n) in counts.items()),
        f"torch workers (both modes) run with {TORCH_ENV}; PYTHONHASHSEED unset in all workers",
        "",
    ]
    text = "\n".join([*header, *summary_lines(results), "", *thread_lines(probes, results)])
    print()
    print(text, flush=True)
    if not args.no_save:
        args.out.mkdir(parents=True, exist_ok=True)
        stem = args.out / f"replica_sampling-{started:%Y%m%d-%H%M}"
        stem.with_suffix(".txt").write_text(text + "\n", encoding="utf-8")
        raw = {
            "command": command,
            "commit": commit(),
            "load": {"before": load_before, "after": load_after, "blocks": load_samples},
            "settings": vars(args) | {"out": str(args.out), "counts": counts, "sizes": sizes},
            "probes": probes,
            "results": results,
        }
        stem.with_suffix(".json").write_text(json.dumps(raw, indent=1) + "\n", encoding="utf-8")
        print(f"\nwrote {stem}.txt and {stem}.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
