"""Statistics of noisy metrics: rank tests over processes, sequential looks, effect intervals.

The unit of replication is the process: each process contributes one summary (the median of
its rounds), and a candidate is compared with a reference through those summaries only.

The decision rule for one metric (values oriented lower-is-better):

* **worse** when a one-sided Mann-Whitney U test rejects "the candidate is at most the
  reference plus the tolerance" — the tolerance is built into the hypothesis by comparing the
  candidate with the reference scaled by ``1 + tolerance``;
* **better** likewise against the reference scaled by ``1 - tolerance``;
* each test runs at the level its look was given by an alpha-spending schedule
  (:class:`~pytest_pareto.judging.sequential.SequentialDesign`), divided by the number of
  comparisons of the verdict (Bonferroni over metrics x frontier points), so the chance of
  a false "worse" over all looks and comparisons stays below ``alpha``;
* otherwise the estimate (ratio of medians) decides between *equal* and *unsure*.

With a single process on either side there is no between-process spread to test against;
then a conservative rule applies: a change counts only beyond a fixed noise margin.

Pure Python: no numpy or scipy.
"""

from __future__ import annotations

import functools
import math
import random
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field

from pytest_pareto.judging.dominance import MetricComparison, Relation, relation_from
from pytest_pareto.judging.sequential import SequentialDesign
from pytest_pareto.model.metrics import Direction, Metric, Tolerance
from pytest_pareto.model.points import Observation

__all__ = [
    "SINGLE_PROCESS_MARGIN",
    "RankComparator",
    "mann_whitney_greater",
    "needs_more_processes",
    "ratio_interval",
]

SINGLE_PROCESS_MARGIN = 3.0
"""With one process on a side, a change counts only beyond this factor on top of the
tolerance: medians of identical code differ by up to ~2x between processes on shared hosts."""

EXACT_LIMIT = 10_000
"""Largest m*n for which the exact null distribution of U is computed."""


# -- the rank test ---------------------------------------------------------------------


@functools.lru_cache(maxsize=256)
def _u_counts(m: int, n: int) -> tuple[int, ...]:
    """How many of the C(m+n, m) orderings give U = 0, 1, ..., m*n (no ties).

    These are the coefficients of the Gaussian binomial coefficient [m+n choose m]_q,
    built as the product over i of (1 - q^(n+i)) / (1 - q^i).
    """
    m, n = min(m, n), max(m, n)
    size = m * n + 1
    poly = [0] * size
    poly[0] = 1
    for i in range(1, m + 1):
        shift = n + i
        for k in range(size - 1, shift - 1, -1):  # multiply by (1 - q^shift)
            poly[k] -= poly[k - shift]
        for k in range(i, size):  # divide by (1 - q^i)
            poly[k] += poly[k - i]
    return tuple(poly)


def _normal_sf(z: float) -> float:
    return 0.5 * math.erfc(z / math.sqrt(2.0))


def mann_whitney_greater(x: Sequence[float], y: Sequence[float]) -> float:
    """One-sided p-value of Mann-Whitney U for "values in ``x`` tend to exceed those in ``y``".

    Exact without ties (and m*n up to :data:`EXACT_LIMIT`), otherwise the normal
    approximation with tie correction and continuity correction.
    """
    m, n = len(x), len(y)
    if m == 0 or n == 0:
        raise ValueError("both samples need at least one value")
    pooled = sorted([(v, 0) for v in x] + [(v, 1) for v in y])
    ranks = [0.0] * len(pooled)
    tie_term = 0.0
    i = 0
    while i < len(pooled):
        j = i
        while j + 1 < len(pooled) and pooled[j + 1][0] == pooled[i][0]:
            j += 1
        for k in range(i, j + 1):
            ranks[k] = (i + j) / 2.0 + 1.0
        t = j - i + 1
        tie_term += t**3 - t
        i = j + 1
    rank_sum = sum(r for r, (_, group) in zip(ranks, pooled, strict=True) if group == 0)
    u = rank_sum - m * (m + 1) / 2.0  # pairs with x > y, ties counting one half
    if tie_term == 0 and m * n <= EXACT_LIMIT:
        counts = _u_counts(m, n)
        threshold = math.ceil(u - 1e-9)
        return sum(counts[threshold:]) / math.comb(m + n, m)
    total = m + n
    variance = m * n / 12.0 * ((total + 1) - tie_term / (total * (total - 1)))
    if variance <= 0:
        return 1.0  # every value equal: no evidence either way
    z = (u - m * n / 2.0 - 0.5) / math.sqrt(variance)
    return min(1.0, _normal_sf(z))


# -- effect size -----------------------------------------------------------------------


def ratio_interval(
    candidate: Sequence[float],
    reference: Sequence[float],
    *,
    confidence: float = 0.95,
    resamples: int = 1000,
    seed: int = 20240229,
) -> tuple[float, float] | None:
    """Percentile bootstrap interval of median(candidate) / median(reference).

    Processes are resampled within each side; the generator is seeded, so the same data
    give the same interval. ``None`` with fewer than two processes on a side, or when the
    reference's medians are not positive.
    """
    if len(candidate) < 2 or len(reference) < 2:
        return None
    rng = random.Random(seed)
    median = statistics.median
    ratios = []
    for _ in range(resamples):
        ref = median(rng.choices(reference, k=len(reference)))
        if ref > 0:
            ratios.append(median(rng.choices(candidate, k=len(candidate))) / ref)
    if len(ratios) < resamples // 2:
        return None
    ratios.sort()
    tail = (1.0 - confidence) / 2.0
    low = ratios[math.floor(tail * (len(ratios) - 1))]
    high = ratios[math.ceil((1.0 - tail) * (len(ratios) - 1))]
    return float(low), float(high)


# -- the comparator --------------------------------------------------------------------


@dataclass(frozen=True)
class _TestValues:
    """The per-process values a comparison tests, and whether they are speed-normalised."""

    candidate: tuple[float, ...]
    reference: tuple[float, ...]
    normalised: bool

    def difference(self, direction: Direction, cand: float, ref: float) -> float:
        """Oriented candidate minus reference, in the metric's units.

        Speed-normalised values give the change as a ratio of normalised medians, expressed
        around the reference value so that it compares with the tolerance band.
        """
        if not self.normalised:
            return direction.orient(cand) - direction.orient(ref)
        return direction.orient(self.median_ratio * abs(ref)) - direction.orient(abs(ref))

    @property
    def median_ratio(self) -> float:
        return statistics.median(self.candidate) / statistics.median(self.reference)

    @property
    def normalised_ratio(self) -> float | None:
        return self.median_ratio if self.normalised else None


def _test_values(candidate: Observation, reference: Observation) -> _TestValues:
    """The per-process values to test: speed-normalised when both sides can be.

    When every process on both sides timed the calibration loop, each process's value is
    taken relative to its own calibration: this cancels the process-wide speed differences
    of shared hosts (see :data:`pytest_pareto.model.metrics.SPEED_NORMALISED`).
    """
    cand_norm = candidate.normalised_per_process
    ref_norm = reference.normalised_per_process
    # A zero median (a clock too coarse for the call) has no ratio: compare raw values.
    if cand_norm is not None and ref_norm is not None and statistics.median(ref_norm) > 0:
        return _TestValues(cand_norm, ref_norm, normalised=True)
    return _TestValues(candidate.per_process, reference.per_process, normalised=False)


_ON_NORMALISED = " on speed-normalised process medians"


def _oriented(values: Sequence[float], direction: Direction) -> list[float]:
    return [direction.orient(v) for v in values]


@dataclass(frozen=True)
class RankComparator:
    """A :class:`~pytest_pareto.judging.dominance.Comparator` for noisy metrics (see module doc).

    Censored values (bounds) are not for this comparator: the verdict sends them to
    :func:`~pytest_pareto.judging.censoring.compare_censored`.
    """

    design: SequentialDesign = field(default_factory=SequentialDesign)
    confidence: float = 0.95
    margin: float = SINGLE_PROCESS_MARGIN
    resamples: int = 1000
    """Bootstrap resamples for the interval; 0 leaves the interval out."""

    def __call__(
        self,
        metric: Metric,
        candidate: Observation,
        reference: Observation,
        tolerance: Tolerance,
        family_size: int = 1,
    ) -> MetricComparison:
        cand, ref = candidate.value, reference.value
        band = max(tolerance.band(ref), metric.floor)
        tested = _test_values(candidate, reference)
        cand_values, ref_values = tested.candidate, tested.reference
        if len(cand_values) < 2 or len(ref_values) < 2:
            return self._margin_rule(metric, candidate, reference, tolerance, band, tested)

        direction = metric.direction
        x = _oriented(cand_values, direction)
        y = _oriented(ref_values, direction)
        if ref != 0 and all(v > 0 for v in (*cand_values, *ref_values)):
            share = band / abs(ref)  # relative tolerance: scale each reference process
            worse_bound = [v + share * abs(v) for v in y]
            better_bound = [v - share * abs(v) for v in y] if share < 1 else None
        else:
            worse_bound = [v + band for v in y]
            better_bound = [v - band for v in y]
        p_worse = mann_whitney_greater(x, worse_bound)
        p_better = 1.0
        if better_bound is not None:
            p_better = mann_whitney_greater([-v for v in x], [-v for v in better_bound])

        # "Worse beyond the tolerance" as the null: rejected, a slowdown is ruled out. Not
        # adjusted for the family: a test stops early only when every comparison has ruled
        # out its slowdown, so a truly slower metric stops it wrongly at most at its own level.
        p_not_worse = mann_whitney_greater(worse_bound, x)
        level = self.design.level(len(cand_values)) / max(1, family_size)
        diff = tested.difference(direction, cand, ref)
        relation = relation_from(p_worse <= level, p_better <= level, diff, band)
        return MetricComparison(
            metric=metric,
            candidate=cand,
            reference=ref,
            relation=relation,
            tolerance=tolerance,
            method=f"Mann-Whitney U{_ON_NORMALISED if tested.normalised else ''}, "
            f"level {level:.2g}",
            p_value=p_worse if diff >= 0 else p_better,
            confidence=self.confidence,
            interval_source=functools.partial(
                ratio_interval,
                cand_values,
                ref_values,
                confidence=self.confidence,
                resamples=self.resamples,
            )
            if self.resamples
            else None,
            processes=(len(cand_values), len(ref_values)),
            normalised_ratio=tested.normalised_ratio,
            p_not_worse=p_not_worse,
        )

    def _margin_rule(
        self,
        metric: Metric,
        candidate: Observation,
        reference: Observation,
        tolerance: Tolerance,
        band: float,
        tested: _TestValues,
    ) -> MetricComparison:
        """One process on a side: a change counts only beyond the noise margin."""
        cand, ref = candidate.value, reference.value
        diff = tested.difference(metric.direction, cand, ref)
        if cand > 0 and ref > 0:
            share = band / ref
            low, high = (1 - share) / self.margin, (1 + share) * self.margin
            ratio = tested.median_ratio
            worse_ratio = ratio if metric.direction is Direction.LOWER else 1 / ratio
            surely_worse, surely_better = worse_ratio > high, worse_ratio < low
            if tested.normalised:
                # One calibration a side: its own noise is unseen, so the raw times must agree
                # that the call changed beyond tolerance (a quiet loop is no slower call).
                raw = cand / ref if metric.direction is Direction.LOWER else ref / cand
                surely_worse = surely_worse and raw > 1 + share
                surely_better = surely_better and raw < 1 - share
        else:
            surely_worse, surely_better = diff > band * self.margin, diff < -band * self.margin
        relation = relation_from(surely_worse, surely_better, diff, band)
        return MetricComparison(
            metric=metric,
            candidate=cand,
            reference=ref,
            relation=relation,
            tolerance=tolerance,
            method=f"no test (single process{', speed-normalised' if tested.normalised else ''}): "
            f"a change counts beyond {self.margin:g}x",
            processes=(candidate.processes, reference.processes),
            normalised_ratio=tested.normalised_ratio,
        )


def needs_more_processes(comparison: MetricComparison, design: SequentialDesign) -> bool:
    """Whether another look could change this metric's relation.

    Sampling goes on while a rank-tested relation is unsure (the estimate is beyond the
    tolerance but not significantly so), until the last look -- unless the futility boundary
    is crossed: a slowdown beyond the tolerance is already ruled out at the look's share of
    the design's ``beta``, so more processes could only tell "equal" from "better".
    """
    if comparison.processes is None or comparison.p_value is None:
        return False
    processes = comparison.processes[0]
    if design.is_final(processes):
        return False
    if comparison.relation not in (Relation.UNSURE_WORSE, Relation.UNSURE_BETTER):
        return False
    p_not_worse = comparison.p_not_worse
    return p_not_worse is None or p_not_worse > design.futility_level(processes)
