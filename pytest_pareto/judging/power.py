"""What a runner can see: the smallest slowdown the rank test catches with a given power.

The between-process spread of a test's metric, measured on identical code, decides how large
a slowdown the sequential rank test (:class:`~pytest_pareto.judging.stats.RankComparator`)
can tell from noise. :func:`detectable_slowdown` estimates it by simulation: processes are
drawn from the measured ones (a smoothed bootstrap, in log space and variance-preserving, so
that draws are not limited to the handful of values seen), the candidate's medians are made
worse by a factor, and each simulated check runs the real comparator look by look, as a
stored-baseline check does (a fixed reference of the stored processes, the candidate adding
processes until decided). Speed-normalised metrics keep each process's calibration with its
median, as the plugin judges them.
"""

from __future__ import annotations

import math
import random
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from pytest_pareto.judging.dominance import Relation
from pytest_pareto.judging.sequential import SequentialDesign
from pytest_pareto.judging.stats import RankComparator, needs_more_processes
from pytest_pareto.model.metrics import Direction, Metric, Tolerance
from pytest_pareto.model.points import Observation

__all__ = ["SLOWDOWNS", "Detectability", "can_simulate", "detectable_slowdown", "process_spread"]

SLOWDOWNS = (0.01, 0.02, 0.03, 0.05, 0.07, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 4.0, 9.0)
"""The slowdowns tried (0.1: the candidate 10% worse), smallest first."""


@dataclass(frozen=True)
class Detectability:
    """The smallest slowdown of :data:`SLOWDOWNS` caught with at least the asked power."""

    slowdown: float | None
    """``None``: not even the largest (10x) was caught often enough."""
    power: float
    """The share of simulated checks that found that slowdown dominated."""
    simulations: int


@dataclass(frozen=True)
class _Process:
    median: float
    calibration: float | None


def _processes(*observations: Observation) -> list[_Process]:
    pooled = []
    for observation in observations:
        scales = observation.scales or (None,) * observation.processes
        pooled += [_Process(m, s) for m, s in zip(observation.per_process, scales, strict=True)]
    if any(p.calibration is None for p in pooled):
        pooled = [_Process(p.median, None) for p in pooled]
    return pooled


def _tested(process: _Process) -> float:
    return process.median / process.calibration if process.calibration else process.median


def _drawable(pool: list[_Process]) -> bool:
    return len(pool) >= 2 and min(_tested(p) for p in pool) > 0


def can_simulate(*observations: Observation) -> bool:
    """Whether :func:`detectable_slowdown` can draw processes like these: two or more, and
    every tested value above zero (slowdowns are ratios)."""
    return _drawable(_processes(*observations))


def process_spread(*observations: Observation) -> float | None:
    """Between-process coefficient of variation (standard deviation over mean) of the values
    the rank test compares: speed-normalised medians when every process has a calibration.
    ``None`` with fewer than two processes or a mean that is not positive."""
    values = [_tested(p) for p in _processes(*observations)]
    if len(values) < 2 or statistics.fmean(values) <= 0:
        return None
    return statistics.stdev(values) / statistics.fmean(values)


class _Sampler:
    """Draws processes like the measured ones: a variance-preserving smoothed bootstrap."""

    def __init__(self, pool: list[_Process], rng: random.Random) -> None:
        self.pool = pool
        self.rng = rng
        logs = [math.log(_tested(p)) for p in pool]
        self.centre = statistics.fmean(logs)
        self.logs = logs
        sd = statistics.stdev(logs) if len(logs) > 1 else 0.0
        self.bandwidth = 1.06 * sd * len(logs) ** -0.2
        self.shrink = 1.0 / math.sqrt(1.0 + (self.bandwidth / sd) ** 2) if sd > 0 else 1.0

    def draw(self, count: int) -> list[_Process]:
        drawn = []
        for _ in range(count):
            k = self.rng.randrange(len(self.pool))
            jittered = self.logs[k] + self.rng.gauss(0.0, self.bandwidth)
            factor = math.exp(self.centre + (jittered - self.centre) * self.shrink - self.logs[k])
            drawn.append(_Process(self.pool[k].median * factor, self.pool[k].calibration))
        return drawn


def _observation(processes: Sequence[_Process], worse_by: float, metric: Metric) -> Observation:
    factor = 1.0 + worse_by if metric.direction is Direction.LOWER else 1.0 / (1.0 + worse_by)
    scales = tuple(p.calibration for p in processes if p.calibration is not None)
    return Observation.from_summaries(
        tuple(p.median * factor for p in processes),
        (1,) * len(processes),
        (0.0,) * len(processes),
        scales if len(scales) == len(processes) else None,
    )


@dataclass(frozen=True)
class _Check:
    metric: Metric
    tolerance: Tolerance
    design: SequentialDesign
    reference_processes: int
    family_size: int

    def detects(self, sampler: _Sampler, worse_by: float) -> bool:
        """One simulated stored-baseline check: found worse before the design stops?"""
        comparator = RankComparator(self.design, resamples=0)
        reference = _observation(sampler.draw(self.reference_processes), 0.0, self.metric)
        looks = [n for n in self.design.looks if n > 1] or [self.design.max_processes]
        candidate = sampler.draw(looks[-1])
        for look in looks:
            comparison = comparator(
                self.metric,
                _observation(candidate[:look], worse_by, self.metric),
                reference,
                self.tolerance,
                self.family_size,
            )
            if comparison.relation is Relation.WORSE:
                return True
            if not needs_more_processes(comparison, self.design):
                return False
        return False


def detectable_slowdown(
    metric: Metric,
    measured: Sequence[Observation],
    tolerance: Tolerance,
    design: SequentialDesign,
    *,
    reference_processes: int,
    family_size: int = 1,
    power: float = 0.9,
    simulations: int = 200,
    seed: int = 0,
) -> Detectability:
    """The smallest slowdown of :data:`SLOWDOWNS` that a stored-baseline check with
    ``reference_processes`` stored processes and ``design`` finds dominated in at least
    ``power`` of ``simulations`` simulated checks, drawing processes like those of
    ``measured`` (observations of identical code). Seeded: the same data give the same
    answer. Power grows with the slowdown, so the search is a bisection of the list."""
    pool = _processes(*measured)
    if not _drawable(pool):
        raise ValueError("a detectable slowdown needs two or more processes with values > 0")
    check = _Check(metric, tolerance, design, max(2, reference_processes), family_size)
    powers: dict[int, float] = {}

    def power_at(index: int) -> float:
        if index not in powers:
            sampler = _Sampler(pool, random.Random(f"{seed}:{index}"))
            found = sum(check.detects(sampler, SLOWDOWNS[index]) for _ in range(simulations))
            powers[index] = found / simulations
        return powers[index]

    low, high = -1, len(SLOWDOWNS) - 1  # power_at(low) < power (by convention), search (low, high]
    if power_at(high) < power:
        return Detectability(None, powers[high], simulations)
    while high - low > 1:
        middle = (low + high) // 2
        if power_at(middle) >= power:
            high = middle
        else:
            low = middle
    return Detectability(SLOWDOWNS[high], powers[high], simulations)
