"""How many timed rounds a replica process needs: power and false alarms by rounds per process.

A replica reports the median of its rounds, and the rank test compares those medians across
processes. More rounds make each median more precise, but the spread *between* processes is
what limits the test, so past some number of rounds the precision buys nothing while every
round costs time in every replica. This simulation measures that, with the noise models of
``tests/test_stats.py`` (whose functions it uses) and the plugin's real comparator, look by
look, against a stored point of 20 processes (what ``--pareto-update`` records):

* ``process``: each process a lognormal level with 15 % spread, rounds 10 % around it;
* ``shared_host``: a two-speed host (1.6x apart) that speed normalisation cancels, 3 % left
  between processes, rounds 5 % around the level.

For each model and number of rounds it prints how often identical code (1.0x) and slowdowns
of 1.1x and 1.2x are called worse (5 % tolerance), and the mean processes a check took.

Usage::

    python benchmarks/rounds_per_process.py            # 300 seeded trials a row
    python benchmarks/rounds_per_process.py --trials 1000
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pytest_pareto.judging.dominance import Relation
from pytest_pareto.judging.sequential import SequentialDesign
from pytest_pareto.model.points import Sample
from tests.test_stats import sequential_trial

Make = Callable[[random.Random, float], Sample]


def process_model(rounds: int) -> Make:
    def make(rng: random.Random, scale: float) -> Sample:
        level = math.log(scale * 1e-3) + rng.gauss(0.0, 0.15)
        return Sample(tuple(math.exp(level + rng.gauss(0.0, 0.10)) for _ in range(rounds)))

    return make


def shared_host_model(rounds: int) -> Make:
    def make(rng: random.Random, scale: float) -> Sample:
        speed = rng.choice((1.0, 1.6)) * math.exp(rng.gauss(0.0, 0.03))
        times = tuple(scale * 1e-3 * speed * math.exp(rng.gauss(0.0, 0.05)) for _ in range(rounds))
        return Sample(times, 2e-4 * speed * math.exp(rng.gauss(0.0, 0.02)))

    return make


MODELS = {"process": process_model, "shared_host": shared_host_model}


def row(make: Make, factor: float, trials: int) -> tuple[float, float]:
    """Share of trials called worse, and mean candidate processes."""
    rng = random.Random(20261129)
    design = SequentialDesign(alpha=0.05)
    results = [
        sequential_trial(rng, factor, tolerance=0.05, interleaved=False, design=design, make=make)
        for _ in range(trials)
    ]
    worse = sum(relation is Relation.WORSE for relation, _ in results) / trials
    return worse, statistics.mean(processes for _, processes in results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=300)
    parser.add_argument("--rounds", type=int, nargs="+", default=[5, 10, 15, 30])
    args = parser.parse_args()
    print(f"{args.trials} trials a row; stored reference of 20 processes; tolerance 5 %")
    print("model        rounds  A/A worse  1.1x worse  1.2x worse  processes (A/A, 1.2x)")
    for name, model in MODELS.items():
        for rounds in args.rounds:
            make = model(rounds)
            aa, aa_n = row(make, 1.0, args.trials)
            x11, _ = row(make, 1.1, args.trials)
            x12, x12_n = row(make, 1.2, args.trials)
            print(
                f"{name:12s} {rounds:6d} {aa:9.1%} {x11:11.1%} {x12:11.1%}"
                f"  {aa_n:5.1f}, {x12_n:5.1f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
