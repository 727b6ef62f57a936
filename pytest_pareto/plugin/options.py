"""Every command-line option and ini value of the plugin, registered in one place.

They are read once, at configure time, into :class:`~pytest_pareto.plugin.settings.Settings`.
"""

from __future__ import annotations

import argparse

import pytest

from pytest_pareto.judging.sequential import DEFAULT_ALPHA, DEFAULT_PROCESSES
from pytest_pareto.model.machine import Matching
from pytest_pareto.store.locks import LOCK_TIMEOUT_S

__all__ = [
    "BENCHMARK_FIXTURE_INI",
    "SERIALIZE_INI",
    "TIMEOUT_INI",
    "UPDATE_PROCESSES",
    "register",
]

UPDATE_PROCESSES = 20
"""Processes of a point stored by ``--pareto-update`` (fewer if the test asks for fewer)."""
DEFAULT_REPLICA_FORKS = 3
"""Replicas forked from one warm process (see ``docs/statistics.md``, cheap replicas)."""
SERIALIZE_INI = "pareto_serialize_measurements"
TIMEOUT_INI = "pareto_measure_lock_timeout"
BENCHMARK_FIXTURE_INI = "pareto_benchmark_fixture"


def register(parser: pytest.Parser) -> None:
    group = parser.getgroup(
        "pareto", "pytest-pareto: efficiency regression testing on a Pareto frontier"
    )
    _judging(group, parser)
    _replication(group, parser)
    _hardware(parser)
    _reports(group)
    _notebooks(group, parser)
    _xdist(parser)
    parser.addini(
        BENCHMARK_FIXTURE_INI,
        "provide a `benchmark` fixture that is the `pareto` fixture, so tests written for "
        "pytest-benchmark run unchanged (needs pytest-benchmark disabled: -p no:benchmark)",
        type="bool",
        default=False,
    )


def _judging(group: pytest.OptionGroup, parser: pytest.Parser) -> None:
    group.addoption(
        "--pareto-update",
        action="store_true",
        help="accept this run's results into the stored frontiers: dominated results do not "
        "fail, stored points they are worse than retire to history, points they dominate are "
        "pruned. Example: pytest --pareto-update tests/test_model.py",
    )
    group.addoption(
        "--pareto-strict",
        action="store_true",
        default=None,
        help="fail tests that have no stored baseline or an inconclusive verdict (for CI)",
    )
    group.addoption(
        "--pareto-disable",
        action="store_true",
        help="run measured tests once without measuring or judging",
    )
    group.addoption(
        "--pareto-raw-rounds",
        action="store_true",
        help="also write every round of every process of each measured result to "
        ".pareto-raw/ in the rootdir (git-ignored), for forensics; baseline files keep "
        "per-process summaries only",
    )
    group.addoption(
        "--pareto-store",
        metavar="DIR",
        default=None,
        help="folder of the baseline files (default: ini pareto_store, else <rootdir>/baselines)",
    )
    group.addoption(
        "--pareto-machine",
        choices=[m.value for m in Matching],
        default=None,
        help="which stored points to compare with: those of the same hardware (exact, default), "
        "of the same CPU model (cpu), or all (any)",
    )
    parser.addini(
        "pareto_store", "folder of the baseline files, relative to rootdir", default="baselines"
    )
    parser.addini(
        "pareto_tolerance",
        "default tolerance of every metric: a fraction (0.05) or a percentage (5%)",
        default="5%",
    )
    parser.addini("pareto_strict", "like --pareto-strict", type="bool", default=False)
    parser.addini("pareto_machine", "like --pareto-machine (exact, cpu, any)", default="exact")
    parser.addini(
        "pareto_max_time",
        "seconds of timed rounds per measured call in one process",
        default="0.5",
    )
    parser.addini(
        "pareto_normalise_speed",
        "judge wall and CPU times relative to a calibration loop timed in the same process "
        "(cancels whole-process speed differences of shared hosts)",
        type="bool",
        default=True,
    )


def _replication(group: pytest.OptionGroup, parser: pytest.Parser) -> None:
    group.addoption(
        "--pareto-processes",
        type=int,
        default=None,
        metavar="N",
        help="most replica processes per side for noisy metrics (default: ini "
        f"pareto_processes, {DEFAULT_PROCESSES}); looks at 5, 10, 20, 40 stop early once "
        f"decided; --pareto-update stores {UPDATE_PROCESSES}. "
        "1 measures in this process only, with a conservative rule.",
    )
    group.addoption(
        "--pareto-against",
        metavar="REF",
        default=None,
        help="measure the baseline from git REF (a temporary worktree) in the same run, "
        "interleaved with the working tree, and judge against it instead of the stored "
        "frontier. Example: pytest --pareto-against origin/main",
    )
    group.addoption("--pareto-replica", default=None, help=argparse.SUPPRESS)
    parser.addini(
        "pareto_processes",
        f"most replica processes per side for noisy metrics (default {DEFAULT_PROCESSES})",
        default=str(DEFAULT_PROCESSES),
    )
    parser.addini(
        "pareto_alpha",
        "chance of a false 'worse' per test, over all looks and comparisons (default 0.05)",
        default=str(DEFAULT_ALPHA),
    )
    parser.addini(
        "pareto_process_max_time",
        "seconds of timed rounds per measured call in each replica process (default 0.05)",
        default="0.05",
    )
    parser.addini(
        "pareto_replica_forks",
        "replica processes forked from each warm process, which imports and collects the "
        f"tests once (default {DEFAULT_REPLICA_FORKS}); 0 starts every replica afresh",
        default=str(DEFAULT_REPLICA_FORKS),
    )
    parser.addini(
        "pareto_baseline_max_age",
        "warn when a stored noisy baseline is older than this (e.g. 7d, 12h; 0 = never)",
        default="7d",
    )


def _hardware(parser: pytest.Parser) -> None:
    parser.addini(
        "pareto_energy_estimate",
        "add energy_estimate (CPU time x TDP per thread, labelled an estimate, never gating) "
        "to every measured test where no energy counter works",
        type="bool",
        default=False,
    )
    parser.addini(
        "pareto_cpu_tdp",
        "the CPU's TDP for energy_estimate: WATTS or WATTS/THREADS per package (e.g. 280/128); "
        "default: a table of common CPUs",
        default="",
    )


def _reports(group: pytest.OptionGroup) -> None:
    group.addoption(
        "--pareto-report",
        metavar="PATH",
        action="append",
        default=[],
        help="write the run's verdicts to PATH: .json (machine-readable), .md (markdown "
        "summary, also appended to $GITHUB_STEP_SUMMARY when set) or .html (self-contained, "
        "with plots); repeatable. Example: pytest --pareto-report pareto.md",
    )


def _notebooks(group: pytest.OptionGroup, parser: pytest.Parser) -> None:
    group.addoption(
        "--pareto-notebooks",
        action="store_true",
        help="collect Jupyter notebooks (*.ipynb): each %%pareto cell is a test, judged "
        "against its frontier. Example: pytest --pareto-notebooks notebooks/",
    )
    parser.addini(
        "pareto_notebook_timeout", "seconds one notebook cell may run (default 600)", default="600"
    )
    parser.addini(
        "pareto_notebook_kernel",
        "kernel to run notebooks with (default: the notebook's own, else python3)",
        default="",
    )


def _xdist(parser: pytest.Parser) -> None:
    parser.addini(
        SERIALIZE_INI,
        "under pytest-xdist, measure noisy metrics in one worker at a time (default true; "
        "false lets workers measure at once and disturb each other's timings)",
        type="bool",
        default=True,
    )
    parser.addini(
        TIMEOUT_INI,
        "seconds an xdist worker waits for the measurement lock before its test errors "
        "(0: no limit)",
        default=f"{LOCK_TIMEOUT_S:g}",
    )
