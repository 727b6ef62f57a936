"""The statistics of noisy metrics, on simulated samples of known shape with fixed seeds.

The noise model: each process draws its own level (lognormal, process-level CV ~15%), and
each round within it varies by another ~10%; a process's summary is the median of its rounds.
"""

from __future__ import annotations

import itertools
import math
import random
import statistics
from collections.abc import Callable

import pytest

from pytest_pareto.errors import ConfigError
from pytest_pareto.judging.dominance import Relation
from pytest_pareto.judging.sequential import SequentialDesign
from pytest_pareto.judging.stats import (
    RankComparator,
    mann_whitney_greater,
    needs_more_processes,
    ratio_interval,
)
from pytest_pareto.judging.verdict import JudgePolicy, compare_points, judge
from pytest_pareto.model.metrics import BUILTIN_METRICS, Direction, Metric, Tolerance, Variability
from pytest_pareto.model.points import Observation, Point, Sample
from pytest_pareto.reports.words import verdict_message

WALL = BUILTIN_METRICS["wall_time"]
THROUGHPUT = Metric("throughput", "items/s", Direction.HIGHER, Variability.NOISY)
ALPHA = 0.05


def process(rng: random.Random, scale: float, *, between: float = 0.15) -> Sample:
    """One process: a lognormal level of its own, ten rounds around it."""
    level = math.log(scale * 1e-3) + rng.gauss(0.0, between)
    return Sample(tuple(math.exp(level + rng.gauss(0.0, 0.10)) for _ in range(10)))


def observation(values: list[float]) -> Observation:
    return Observation(tuple(Sample((v,)) for v in values))


def sequential_trial(
    rng: random.Random,
    factor: float,
    *,
    tolerance: float,
    interleaved: bool,
    design: SequentialDesign,
    make: Callable[[random.Random, float], Sample] = process,
) -> tuple[Relation, int]:
    """Run the looks of ``design`` on one simulated pair; the final relation and processes.

    Stored: the reference has 20 processes recorded earlier. Interleaved: both sides grow.
    """
    comparator = RankComparator(design, resamples=0)
    reference = [] if interleaved else [make(rng, 1.0) for _ in range(20)]
    candidate: list[Sample] = []
    look: int | None = design.looks[0]
    while look is not None:
        while len(candidate) < look:
            if interleaved:
                reference.append(make(rng, 1.0))
            candidate.append(make(rng, factor))
        comparison = comparator(
            WALL,
            Observation(tuple(candidate)),
            Observation(tuple(reference)),
            Tolerance(rel=tolerance),
            1,
        )
        if not needs_more_processes(comparison, design):
            return comparison.relation, len(candidate)
        look = design.next_look(len(candidate))
    raise AssertionError("needs_more_processes asked for more after the last look")


def rate(
    relation: Relation,
    factor: float,
    *,
    tolerance: float,
    interleaved: bool,
    trials: int,
    make: Callable[[random.Random, float], Sample] = process,
) -> float:
    rng = random.Random(20240601)
    design = SequentialDesign(alpha=ALPHA)
    results = [
        sequential_trial(
            rng, factor, tolerance=tolerance, interleaved=interleaved, design=design, make=make
        )
        for _ in range(trials)
    ]
    return sum(r is relation for r, _ in results) / trials


# -- the rank test ---------------------------------------------------------------------


def enumerated_p(x: list[float], y: list[float]) -> float:
    """P(U >= u_observed) by enumerating every assignment of the pooled values to groups."""
    pooled = x + y
    observed = sum(a > b for a in x for b in y)
    hits = total = 0
    for chosen in itertools.combinations(range(len(pooled)), len(x)):
        xs = [pooled[i] for i in chosen]
        ys = [pooled[i] for i in range(len(pooled)) if i not in chosen]
        hits += sum(a > b for a in xs for b in ys) >= observed
        total += 1
    return hits / total


@pytest.mark.parametrize("sizes", [(1, 1), (2, 3), (4, 4), (5, 3), (6, 5)])
def test_exact_p_value_matches_enumeration(sizes: tuple[int, int]) -> None:
    rng = random.Random(sum(sizes))
    for _ in range(5):
        x = [rng.random() for _ in range(sizes[0])]
        y = [rng.random() + 0.2 for _ in range(sizes[1])]
        assert mann_whitney_greater(x, y) == pytest.approx(enumerated_p(x, y))


def test_complete_separation_of_five_and_five() -> None:
    assert mann_whitney_greater([6, 7, 8, 9, 10], [1, 2, 3, 4, 5]) == pytest.approx(1 / 252)
    assert mann_whitney_greater([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]) == pytest.approx(1.0)


def test_normal_approximation_is_close_to_the_exact_distribution(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rng = random.Random(7)
    pairs = [
        ([rng.gauss(0.4, 1) for _ in range(30)], [rng.gauss(0, 1) for _ in range(30)])
        for _ in range(5)
    ]
    exact = [mann_whitney_greater(x, y) for x, y in pairs]
    monkeypatch.setattr("pytest_pareto.judging.stats.EXACT_LIMIT", 0)
    approximate = [mann_whitney_greater(x, y) for x, y in pairs]
    for e, a in zip(exact, approximate, strict=True):
        assert abs(e - a) < 0.01


def test_ties_use_the_tie_corrected_approximation() -> None:
    assert mann_whitney_greater([1.0, 1.0, 1.0], [1.0, 1.0]) == 1.0  # no evidence at all
    p = mann_whitney_greater([2.0, 2.0, 2.0, 2.0, 2.0, 2.0], [1.0, 1.0, 1.0, 1.0, 1.0, 1.0])
    assert p < 0.01


def test_empty_sample_is_an_error() -> None:
    with pytest.raises(ValueError, match="at least one value"):
        mann_whitney_greater([], [1.0])


# -- sequential design -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("processes", "looks"),
    [
        (20, (5, 10, 20)),
        (10, (5, 10)),
        (8, (5, 8)),
        (5, (5,)),
        (3, (3,)),
        (1, (1,)),
        (40, (5, 10, 20, 40)),
    ],
)
def test_looks_double_from_five(processes: int, looks: tuple[int, ...]) -> None:
    design = SequentialDesign(max_processes=processes)
    assert design.looks == looks
    assert sum(design.level(n) for n in looks) == pytest.approx(design.alpha)
    assert design.is_final(looks[-1])
    assert design.next_look(looks[-1]) is None


def test_levels_grow_with_the_share_of_processes() -> None:
    design = SequentialDesign(max_processes=20, alpha=0.05)
    assert [round(design.level(n), 6) for n in (5, 10, 20)] == [0.0125, 0.0125, 0.025]
    assert design.look_index(7) == 0  # between looks: the earlier look's level
    assert design.next_look(0) == 5
    assert design.next_look(5) == 10


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_processes": 0}, "processes must be an integer >= 1"),
        ({"max_processes": True}, "processes must be an integer >= 1"),
        ({"alpha": 0.0}, "alpha must be between 0 and 1"),
        ({"alpha": 1.5}, "alpha must be between 0 and 1"),
        ({"rho": 0.0}, "rho must be > 0"),
        ({"beta_rho": -1.0}, "rho must be > 0"),
        ({"beta": -0.1}, "beta must be at least 0 and below 1"),
        ({"beta": 1.0}, "beta must be at least 0 and below 1"),
    ],
)
def test_bad_design_is_a_config_error(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        SequentialDesign(**kwargs)  # type: ignore[arg-type]


# -- false alarms and power ------------------------------------------------------------


@pytest.mark.parametrize("interleaved", [False, True], ids=["stored", "interleaved"])
def test_identical_code_false_alarm_rate_is_below_alpha(interleaved: bool) -> None:
    """A/A with the default 5% tolerance, over every look: far below alpha."""
    false_alarms = rate(Relation.WORSE, 1.0, tolerance=0.05, interleaved=interleaved, trials=300)
    assert false_alarms <= ALPHA
    assert false_alarms <= 0.02


def not_above_alpha(observed: float, trials: int) -> bool:
    """Whether ``observed`` is within two binomial standard errors above ``ALPHA``.

    On the null's boundary the true rate is close to alpha by design (about 0.04 here), so
    a finite simulation is compared with alpha plus its sampling error.
    """
    return observed <= ALPHA + 2 * math.sqrt(ALPHA * (1 - ALPHA) / trials)


def test_false_alarm_rate_without_tolerance_is_not_above_alpha() -> None:
    """The strictest A/A: zero tolerance, so identical code sits on the null's boundary;
    alpha spending over three looks keeps false alarms at alpha."""
    trials = 400
    assert not_above_alpha(
        rate(Relation.WORSE, 1.0, tolerance=0.0, interleaved=False, trials=trials), trials
    )


def test_false_alarm_rate_at_the_tolerance_boundary_is_not_above_alpha() -> None:
    """A candidate exactly 5% slower with a 5% tolerance is not "worse beyond tolerance"."""
    trials = 400
    assert not_above_alpha(
        rate(Relation.WORSE, 1.05, tolerance=0.05, interleaved=True, trials=trials), trials
    )


@pytest.mark.parametrize(
    ("factor", "interleaved", "least"),
    [
        (2.0, False, 1.0),
        (2.0, True, 1.0),
        (1.5, False, 0.97),
        (1.5, True, 0.97),
        (1.2, False, 0.5),
    ],
)
def test_slowdowns_are_detected(factor: float, interleaved: bool, least: float) -> None:
    detected = rate(Relation.WORSE, factor, tolerance=0.05, interleaved=interleaved, trials=150)
    assert detected >= least


def test_big_changes_are_decided_at_the_first_look() -> None:
    rng = random.Random(3)
    design = SequentialDesign()
    for _ in range(20):
        relation, processes = sequential_trial(
            rng, 2.0, tolerance=0.05, interleaved=False, design=design
        )
        assert (relation, processes) == (Relation.WORSE, 5)


# -- the futility boundary: deciding "not worse" early ---------------------------------


def test_futility_levels_spend_beta_front_loaded() -> None:
    design = SequentialDesign(max_processes=40, beta=0.1)
    levels = [design.futility_level(n) for n in design.looks]
    assert sum(levels) == pytest.approx(0.1)
    assert levels[0] > 0.1 * 5 / 40  # more than its share of processes: early looks decide
    assert SequentialDesign(beta=0.0).futility_level(5) == 0.0


def per_trial(
    design: SequentialDesign, factor: float, *, interleaved: bool, trials: int
) -> list[tuple[Relation, int]]:
    """Trials with a generator of their own each, so that two designs see the same samples
    (as far as both sample)."""
    return [
        sequential_trial(
            random.Random(1000 + i), factor, tolerance=0.05, interleaved=interleaved, design=design
        )
        for i in range(trials)
    ]


WITHOUT_FUTILITY = SequentialDesign(alpha=ALPHA, beta=0.0)
WITH_FUTILITY = SequentialDesign(alpha=ALPHA)


@pytest.mark.parametrize("interleaved", [False, True], ids=["stored", "interleaved"])
def test_identical_code_stops_earlier_and_never_alarms_more(interleaved: bool) -> None:
    trials = 200
    before = per_trial(WITHOUT_FUTILITY, 1.0, interleaved=interleaved, trials=trials)
    after = per_trial(WITH_FUTILITY, 1.0, interleaved=interleaved, trials=trials)
    assert sum(r is Relation.WORSE for r, _ in after) <= sum(r is Relation.WORSE for r, _ in before)
    assert sum(r is Relation.WORSE for r, _ in after) / trials <= ALPHA
    assert statistics.mean(n for _, n in after) < statistics.mean(n for _, n in before)
    # Trial by trial: the boundary only ever stops sooner.
    assert all(a[1] <= b[1] for a, b in zip(after, before, strict=True))


def test_improvements_stop_early() -> None:
    trials = 100
    before = per_trial(WITHOUT_FUTILITY, 0.8, interleaved=False, trials=trials)
    after = per_trial(WITH_FUTILITY, 0.8, interleaved=False, trials=trials)
    assert statistics.mean(n for _, n in after) < 0.75 * statistics.mean(n for _, n in before)
    assert not any(r is Relation.WORSE for r, _ in after)


@pytest.mark.parametrize(("factor", "interleaved"), [(1.2, False), (1.2, True), (1.1, True)])
def test_slowdowns_are_caught_as_often_as_without_the_boundary(
    factor: float, interleaved: bool
) -> None:
    """At the same most processes (40), the futility boundary costs no detections here."""
    trials = 150
    before = per_trial(WITHOUT_FUTILITY, factor, interleaved=interleaved, trials=trials)
    after = per_trial(WITH_FUTILITY, factor, interleaved=interleaved, trials=trials)
    caught_before = sum(r is Relation.WORSE for r, _ in before)
    caught_after = sum(r is Relation.WORSE for r, _ in after)
    assert caught_after >= caught_before - 0.01 * trials


def test_futility_stops_a_slowdown_of_exactly_the_tolerance_at_most_beta() -> None:
    """The boundary's own error: a candidate exactly 5% slower (the tolerance) stopped early
    as "not worse" by the boundary (an unsure relation before the last look)."""
    trials = 300
    design = WITH_FUTILITY
    results = per_trial(design, 1.05, interleaved=True, trials=trials)
    stopped = sum(
        r in (Relation.UNSURE_WORSE, Relation.UNSURE_BETTER) and not design.is_final(n)
        for r, n in results
    )
    beta = design.beta
    assert stopped / trials <= beta + 2 * math.sqrt(beta * (1 - beta) / trials)


def test_ruling_out_a_slowdown_is_not_adjusted_for_the_family() -> None:
    """Stopping early needs every comparison of the verdict to rule out its slowdown, so
    each one's futility test runs at the look's full share of beta (unlike "worse", whose
    level is divided among the comparisons: any one of them can raise a false alarm)."""
    reference = observation([1.0, 1.02, 0.98, 1.01, 0.99, 1.03, 0.97, 1.0, 1.01, 0.99])
    candidate = observation([0.93, 0.97, 0.95, 0.99, 0.94])
    compare = RankComparator(WITH_FUTILITY)
    alone = compare(WALL, candidate, reference, Tolerance(rel=0.05), 1)
    in_family = compare(WALL, candidate, reference, Tolerance(rel=0.05), 3)
    assert in_family.p_not_worse == alone.p_not_worse
    assert in_family.p_value is not None
    assert alone.p_value is not None
    assert in_family.p_value < alone.p_value * 3  # "worse" / "better" keep their Bonferroni
    assert in_family.method.endswith(f"level {WITH_FUTILITY.level(5) / 3:.2g}")


def family_trial(rng: random.Random, slowed: float, design: SequentialDesign) -> tuple[bool, int]:
    """Three noisy metrics judged together (as wall time, CPU time and peak memory are), the
    first ``slowed`` times slower: whether it ended unsure before the last look, and where."""
    comparator = RankComparator(design, resamples=0)
    factors = (slowed, 1.0, 1.0)
    reference = [[process(rng, 1.0) for _ in range(20)] for _ in factors]
    candidate: list[list[Sample]] = [[] for _ in factors]
    look: int | None = design.looks[0]
    while look is not None:
        for samples, factor in zip(candidate, factors, strict=True):
            samples += [process(rng, factor) for _ in range(look - len(samples))]
        comparisons = [
            comparator(WALL, Observation(tuple(c)), Observation(tuple(r)), Tolerance(rel=0.05), 3)
            for c, r in zip(candidate, reference, strict=True)
        ]
        if not any(needs_more_processes(c, design) for c in comparisons):
            unsure = comparisons[0].relation in (Relation.UNSURE_WORSE, Relation.UNSURE_BETTER)
            return unsure and not design.is_final(look), look
        look = design.next_look(look)
    raise AssertionError("needs_more_processes asked for more after the last look")


def test_a_family_stops_a_slowdown_of_exactly_the_tolerance_at_most_beta() -> None:
    trials = 300
    rng = random.Random(424242)
    stopped = sum(family_trial(rng, 1.05, WITH_FUTILITY)[0] for _ in range(trials))
    beta = WITH_FUTILITY.beta
    assert stopped / trials <= beta + 2 * math.sqrt(beta * (1 - beta) / trials)


def test_a_ruled_out_slowdown_needs_no_more_processes() -> None:
    """Better beyond the tolerance by the estimate but not significantly so: more processes
    could only tell "better" from "equal", and a slowdown is already ruled out."""
    reference = observation([1.0, 1.02, 0.98, 1.01, 0.99, 1.03, 0.97, 1.0, 1.01, 0.99])
    candidate = observation([0.9, 0.95, 0.93, 0.97, 0.91])
    c = RankComparator(WITH_FUTILITY)(WALL, candidate, reference, Tolerance(rel=0.05), 1)
    assert c.relation is Relation.UNSURE_BETTER
    assert c.p_not_worse is not None
    assert c.p_not_worse <= WITH_FUTILITY.futility_level(5)
    assert not needs_more_processes(c, WITH_FUTILITY)
    assert needs_more_processes(c, WITHOUT_FUTILITY)


# -- speed normalisation ---------------------------------------------------------------


def shared_host_process(rng: random.Random, scale: float, *, calibrated: bool = True) -> Sample:
    """One process on a host that runs a whole process at one of two speeds, 1.6x apart.

    The calibration loop slows down with the process (its own 2% noise aside), so the
    ratio of the two cancels the speed; without it the rank test sees the 1.6x spread.
    """
    speed = rng.choice((1.0, 1.6)) * math.exp(rng.gauss(0.0, 0.03))
    rounds = tuple(scale * 1e-3 * speed * math.exp(rng.gauss(0.0, 0.05)) for _ in range(10))
    calibration = 2e-4 * speed * math.exp(rng.gauss(0.0, 0.02))
    return Sample(rounds, calibration if calibrated else None)


def raw_shared_host_process(rng: random.Random, scale: float) -> Sample:
    return shared_host_process(rng, scale, calibrated=False)


def test_normalised_identical_code_false_alarm_rate_is_below_alpha() -> None:
    false_alarms = rate(
        Relation.WORSE, 1.0, tolerance=0.05, interleaved=True, trials=200, make=shared_host_process
    )
    assert false_alarms <= ALPHA


def test_normalisation_detects_what_process_speed_hides() -> None:
    """A 1.2x slowdown on a two-speed host: found nearly always once each process's time is
    taken relative to its calibration; the raw times miss it in many trials."""
    normalised = rate(
        Relation.WORSE, 1.2, tolerance=0.05, interleaved=True, trials=150, make=shared_host_process
    )
    raw = rate(
        Relation.WORSE,
        1.2,
        tolerance=0.05,
        interleaved=True,
        trials=150,
        make=raw_shared_host_process,
    )
    assert normalised >= 0.95
    assert raw <= normalised - 0.2


def test_a_whole_process_slowdown_is_not_a_regression() -> None:
    """Every candidate process ran 1.6x slower and so did its calibration loop: equal."""
    reference = Observation(tuple(Sample((1.0, 1.01), 1.0) for _ in range(8)))
    candidate = Observation(tuple(Sample((1.6, 1.61), 1.6) for _ in range(8)))
    c = RankComparator(resamples=0)(WALL, candidate, reference, Tolerance(rel=0.05), 1)
    assert c.relation is Relation.EQUAL
    assert "speed-normalised" in c.method
    assert c.change == pytest.approx(0.6, abs=0.01)  # the raw times, as a user would see them
    assert c.tested_ratio == pytest.approx(1.0, abs=0.01)


def test_the_reported_ratio_is_the_one_its_interval_brackets() -> None:
    """Raw times 2x apart, half of it a slower process: the message pairs the normalised
    ratio (about 1.25) with its interval, not the raw 2x."""
    reference = Observation(tuple(Sample((1.0, 1.01), 1.0) for _ in range(8)))
    candidate = Observation(tuple(Sample((2.0 + i / 100,), 1.6) for i in range(8)))
    c = RankComparator(resamples=200)(WALL, candidate, reference, Tolerance(rel=0.05), 1)
    assert c.relation is Relation.WORSE
    assert c.interval is not None
    assert c.interval[0] <= c.tested_ratio <= c.interval[1] < 1.5
    line = verdict_message(
        judge(
            "t",
            Point({"wall_time": candidate}),
            [Point({"wall_time": reference})],
            {"wall_time": WALL},
            JudgePolicy(comparators={Variability.NOISY: RankComparator(resamples=200)}),
        )
    )
    assert f"ratio {c.tested_ratio:.3g} (95% CI" in line


def test_a_slower_call_at_the_same_process_speed_is_worse() -> None:
    reference = Observation(tuple(Sample((1.0, 1.01), 1.0) for _ in range(8)))
    candidate = Observation(tuple(Sample((1.6, 1.61), 1.0) for _ in range(8)))
    c = RankComparator(resamples=0)(WALL, candidate, reference, Tolerance(rel=0.05), 1)
    assert c.relation is Relation.WORSE
    assert c.p_value is not None
    assert c.p_value < 0.001


@pytest.mark.parametrize("processes", [1, 8])
def test_times_too_short_for_the_clock_are_compared_raw(processes: int) -> None:
    """A CPU clock that did not advance reads zero: no ratio, no division by it."""
    cpu = BUILTIN_METRICS["cpu_time"]
    reference = Observation(tuple(Sample((0.0, 0.0), 1e-3) for _ in range(processes)))
    candidate = Observation(tuple(Sample((0.0, 0.0), 1e-3) for _ in range(processes)))
    c = RankComparator(resamples=0)(cpu, candidate, reference, Tolerance(rel=0.05), 1)
    assert c.relation is Relation.EQUAL
    assert "speed-normalised" not in c.method


def test_an_uncalibrated_side_compares_raw_times() -> None:
    """Baselines written before calibration existed: raw times, as they were judged then."""
    reference = Observation(tuple(Sample((1.0, 1.01)) for _ in range(8)))
    candidate = Observation(tuple(Sample((1.6, 1.61), 1.6) for _ in range(8)))
    c = RankComparator(resamples=0)(WALL, candidate, reference, Tolerance(rel=0.05), 1)
    assert c.relation is Relation.WORSE
    assert "speed-normalised" not in c.method


def test_single_process_margin_uses_normalised_values() -> None:
    reference = Observation((Sample((1.0,), 1.0),))
    candidate = Observation((Sample((4.0,), 4.0),))
    c = RankComparator()(WALL, candidate, reference, Tolerance(rel=0.05), 1)
    assert c.relation is Relation.EQUAL
    assert c.method.startswith("no test (single process, speed-normalised)")


@pytest.mark.parametrize(
    ("raw", "calibration", "relation"),
    [
        (1.0, 0.25, Relation.UNSURE_WORSE),  # the candidate's loop ran 4x faster, the call not
        (4.5, 1.0, Relation.WORSE),  # both raw and normalised beyond the margin
        (1.0, 4.0, Relation.UNSURE_BETTER),  # a quicker normalised value, the same raw time
    ],
)
def test_single_process_needs_the_raw_times_to_agree(
    raw: float, calibration: float, relation: Relation
) -> None:
    """One calibration loop a side cannot show its own noise: a normalised change alone, with
    raw times that did not move, is unsure, never worse (a false alarm) or better."""
    reference = Observation((Sample((1.0,), 1.0),))
    candidate = Observation((Sample((raw,), calibration),))
    assert RankComparator()(WALL, candidate, reference, Tolerance(rel=0.05), 1).relation is relation


# -- the comparator --------------------------------------------------------------------


def test_comparison_reports_ratio_interval_p_value_and_processes() -> None:
    rng = random.Random(11)
    reference = Observation(tuple(process(rng, 1.0) for _ in range(20)))
    candidate = Observation(tuple(process(rng, 3.0) for _ in range(5)))
    c = RankComparator()(WALL, candidate, reference, Tolerance(rel=0.05), 2)
    assert c.relation is Relation.WORSE
    assert c.processes == (5, 20)
    assert c.p_value is not None
    assert c.p_value < SequentialDesign().level(5) / 2
    assert c.method == f"Mann-Whitney U, level {SequentialDesign().level(5) / 2:.2g}"
    assert c.interval is not None
    assert c.ratio is not None
    low, high = c.interval
    assert low < c.ratio < high
    assert low > 2.0
    assert high < 4.5
    assert c.confidence == 0.95


def test_within_tolerance_is_equal_and_needs_no_more_processes() -> None:
    rng = random.Random(5)
    reference = Observation(tuple(process(rng, 1.0, between=0.01) for _ in range(20)))
    candidate = Observation(tuple(process(rng, 1.0, between=0.01) for _ in range(5)))
    design = SequentialDesign()
    c = RankComparator(design)(WALL, candidate, reference, Tolerance(rel=0.05), 1)
    assert c.relation is Relation.EQUAL
    assert not needs_more_processes(c, design)


def test_unsure_estimate_asks_for_more_processes_until_the_last_look() -> None:
    reference = observation([1.0, 1.3, 0.9, 1.2, 1.1, 0.95, 1.05, 1.25, 0.85, 1.15])
    candidate = observation([1.4, 0.9, 1.3, 1.0, 1.35])
    design = SequentialDesign()
    c = RankComparator(design)(WALL, candidate, reference, Tolerance(rel=0.05), 1)
    assert c.relation is Relation.UNSURE_WORSE
    assert needs_more_processes(c, design)
    assert not needs_more_processes(c, SequentialDesign(max_processes=5))


def test_higher_is_better_metric_is_oriented() -> None:
    reference = observation([100.0, 104.0, 98.0, 101.0, 99.0, 103.0])
    halved = observation([50.0, 52.0, 49.0, 51.0, 48.0, 50.5])
    doubled = observation([200.0, 210.0, 195.0, 205.0, 199.0, 202.0])
    comparator = RankComparator(SequentialDesign(max_processes=6))
    tolerance = Tolerance(rel=0.05)
    assert comparator(THROUGHPUT, halved, reference, tolerance, 1).relation is Relation.WORSE
    assert comparator(THROUGHPUT, doubled, reference, tolerance, 1).relation is Relation.BETTER


def test_censored_candidate_is_never_better() -> None:
    """Judged as the verdict judges it: with the rank test as the policy's noisy comparator."""
    reference = observation([1.0, 1.1, 0.9, 1.05, 0.95, 1.02])
    faster = Observation(tuple(Sample((v,)) for v in (0.2, 0.21, 0.19, 0.2, 0.22, 0.2)), True)
    comparator = RankComparator(SequentialDesign(max_processes=6))
    policy = JudgePolicy(
        default_tolerance=Tolerance(rel=0.05), comparators={Variability.NOISY: comparator}
    )
    judged = compare_points(
        Point({"wall_time": faster}), Point({"wall_time": reference}), {"wall_time": WALL}, policy
    )
    assert judged is not None
    c = judged.comparisons[0]
    assert c.relation is not Relation.BETTER


@pytest.mark.parametrize(
    ("factor", "relation"),
    [
        (10.0, Relation.WORSE),
        (2.0, Relation.UNSURE_WORSE),
        (1.02, Relation.EQUAL),
        (0.6, Relation.UNSURE_BETTER),
        (0.1, Relation.BETTER),
    ],
)
def test_single_process_counts_a_change_only_beyond_the_noise_margin(
    factor: float, relation: Relation
) -> None:
    """One process a side: the between-process spread (up to ~2x) is unknown, so a change
    counts only beyond 3x on top of the tolerance; below that it stays unsure."""
    reference = Observation((Sample((1.0, 1.1, 0.9)),))
    candidate = Observation((Sample((factor, factor * 1.1, factor * 0.9)),))
    c = RankComparator()(WALL, candidate, reference, Tolerance(rel=0.05), 1)
    assert c.relation is relation
    assert c.p_value is None
    assert c.processes == (1, 1)
    assert "single process" in c.method
    assert not needs_more_processes(c, SequentialDesign())


def test_single_process_margin_is_oriented_for_higher_is_better() -> None:
    reference = Observation((Sample((100.0,)),))
    tenth = Observation((Sample((10.0,)),))
    c = RankComparator()(THROUGHPUT, tenth, reference, Tolerance(rel=0.05), 1)
    assert c.relation is Relation.WORSE


# -- the interval ----------------------------------------------------------------------


def test_ratio_interval_is_deterministic_and_covers_the_true_ratio() -> None:
    rng = random.Random(99)
    covered = 0
    trials = 120
    for _ in range(trials):
        reference = [process(rng, 1.0).summary for _ in range(10)]
        candidate = [process(rng, 1.3).summary for _ in range(10)]
        interval = ratio_interval(candidate, reference, resamples=400)
        assert interval == ratio_interval(candidate, reference, resamples=400)
        assert interval is not None
        covered += interval[0] <= 1.3 <= interval[1]
    assert covered / trials >= 0.85


def test_ratio_interval_needs_two_processes_a_side() -> None:
    assert ratio_interval([1.0], [1.0, 2.0]) is None
    assert ratio_interval([1.0, 2.0], [0.0, 0.0, 0.0]) is None


def test_medians_of_medians_are_the_point_values() -> None:
    obs = observation([3.0, 1.0, 2.0])
    c = RankComparator(SequentialDesign(max_processes=3))(
        WALL, obs, observation([2.0, 2.0, 2.0]), Tolerance(), 1
    )
    assert c.candidate == statistics.median([3.0, 1.0, 2.0])
