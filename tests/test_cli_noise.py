"""``pytest-pareto noise``: the detectable slowdown, from simulated processes of known shape
and end to end on tests whose noise is controlled (not left to timing luck)."""

from __future__ import annotations

import json
import random

import pytest

from pytest_pareto.cli import main
from pytest_pareto.cli.noise import MetricNoise, _advice, _table
from pytest_pareto.judging.power import (
    SLOWDOWNS,
    Detectability,
    detectable_slowdown,
    process_spread,
)
from pytest_pareto.judging.sequential import SequentialDesign
from pytest_pareto.model.metrics import BUILTIN_METRICS, Direction, Metric, Tolerance, Variability
from pytest_pareto.model.points import Observation

LATENCY = Metric("latency", "s", Direction.LOWER, Variability.NOISY)
FIVE_PERCENT = Tolerance(rel=0.05)
DESIGN = SequentialDesign(max_processes=20)


def _processes(sd: float, count: int, seed: int) -> Observation:
    """``count`` process medians around 1 s, lognormal with log-sd ``sd``."""
    rng = random.Random(seed)
    medians = tuple(rng.lognormvariate(0.0, sd) for _ in range(count))
    return Observation.from_summaries(medians, (10,) * count, (0.0,) * count)


def _seen(sd: float, simulations: int = 100) -> Detectability:
    measured = (_processes(sd, 20, 1), _processes(sd, 10, 2))
    return detectable_slowdown(
        LATENCY, measured, FIVE_PERCENT, DESIGN, reference_processes=20, simulations=simulations
    )


def test_noisier_processes_need_a_larger_slowdown_to_be_seen() -> None:
    steady, noisy = _seen(0.01), _seen(0.15)
    assert steady.slowdown is not None
    assert noisy.slowdown is not None
    # Beyond the 5% tolerance (a change within it is never "worse"), not far beyond it.
    assert 0.05 < steady.slowdown <= 0.1
    assert noisy.slowdown >= 3 * steady.slowdown
    assert steady.power >= 0.9
    assert noisy.power >= 0.9


def test_the_answer_is_the_smallest_slowdown_with_the_power() -> None:
    found = _seen(0.05)
    assert found.slowdown is not None
    index = SLOWDOWNS.index(found.slowdown)
    measured = (_processes(0.05, 20, 1), _processes(0.05, 10, 2))
    smaller = detectable_slowdown(
        LATENCY,
        measured,
        Tolerance(rel=0.05),
        DESIGN,
        reference_processes=20,
        simulations=100,
        power=found.power + 0.001,  # asks for more than the chosen one reached...
    )
    # ...so the answer moves up: the chosen slowdown was the first to reach the power.
    assert smaller.slowdown is None or SLOWDOWNS.index(smaller.slowdown) > index
    assert _seen(0.05) == found  # seeded: the same data, the same answer


def test_higher_is_better_metrics_are_made_worse_downwards() -> None:
    throughput = Metric("throughput", "1/s", Direction.HIGHER, Variability.NOISY)
    measured = (_processes(0.01, 20, 1), _processes(0.01, 10, 2))
    found = detectable_slowdown(
        throughput, measured, FIVE_PERCENT, DESIGN, reference_processes=20, simulations=100
    )
    assert found.slowdown is not None
    assert found.slowdown <= 0.1


def test_speed_normalised_processes_cancel_a_process_wide_slowdown() -> None:
    """Processes whose calls and calibration loops vary together (host speed): the ratio is
    steady, so a small slowdown is seen although the raw medians spread widely."""
    rng = random.Random(3)
    speeds = [rng.lognormvariate(0.0, 0.2) for _ in range(30)]
    calibrated = Observation.from_summaries(
        tuple(0.01 * s for s in speeds), (10,) * 30, (0.0,) * 30, tuple(0.001 * s for s in speeds)
    )
    raw = Observation.from_summaries(tuple(0.01 * s for s in speeds), (10,) * 30, (0.0,) * 30)
    wall = BUILTIN_METRICS["wall_time"]
    spread_normalised, spread_raw = process_spread(calibrated), process_spread(raw)
    assert spread_normalised is not None
    assert spread_raw is not None
    assert spread_normalised < 1e-9 < 0.1 < spread_raw
    seen = detectable_slowdown(
        wall, (calibrated,), FIVE_PERCENT, DESIGN, reference_processes=20, simulations=50
    )
    assert seen.slowdown is not None
    assert seen.slowdown <= 0.1


def test_one_process_has_no_spread_and_no_simulation() -> None:
    one = Observation.single(1.0)
    assert process_spread(one) is None
    with pytest.raises(ValueError, match="two or more processes"):
        detectable_slowdown(LATENCY, (one,), FIVE_PERCENT, DESIGN, reference_processes=1)


def _row(test_id: str, slowdown: float | None, outcome: str = "pass") -> MetricNoise:
    return MetricNoise(
        test_id,
        "wall_time",
        (5, 20),
        0.03,
        0.05,
        "5%",
        Detectability(slowdown, 0.93, 200),
        outcome,
    )


def test_the_table_and_the_advice_say_where_the_tolerance_is_below_what_is_seen() -> None:
    rows = [_row("t.py::test_fine", 0.07), _row("t.py::test_noisy", 0.2, "dominated")]
    table = "\n".join(_table(rows))
    assert "sees (90% power)" in table
    assert "≥ 7%" in table
    assert "≥ 20%" in table
    advice = _advice(rows)
    assert advice == [
        "t.py::test_noisy wall_time: 5% tolerance, this runner sees ≥ 20%: raise the "
        "tolerance, measure longer, or use --pareto-against",
        "t.py::test_noisy: identical code was judged dominated",
    ]
    assert not rows[0].tolerance_too_small
    assert rows[1].tolerance_too_small
    assert _row("t.py::x", None).seen() == "> 900%"
    assert _row("t.py::x", None).tolerance_too_small


# Each process records the next value of its test's list: per-process medians as a timer would
# give them, steady for one test and spread +-30% for the other.
CONTROLLED = """
import os
from pathlib import Path


def _next(name):
    counter = Path(os.environ["COUNTER"] + name)
    values = [float(v) for v in os.environ[name].split(",")]
    n = len(counter.read_text()) if counter.exists() else 0
    with counter.open("a") as handle:
        handle.write("x")
    return values[n % len(values)]


def test_steady(pareto):
    pareto.record("latency", _next("STEADY"), unit="s", noisy=True)


def test_noisy(pareto):
    pareto.record("latency", _next("NOISY"), unit="s", noisy=True)
"""


@pytest.mark.slow
def test_noise_reports_a_larger_detectable_slowdown_for_a_noisy_call(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pytester.makepyfile(test_m=CONTROLLED)
    pytester.makeini("[pytest]\n")  # the rootdir: test ids as a user's would read
    monkeypatch.setenv("COUNTER", str(pytester.path / "count-"))
    monkeypatch.setenv("STEADY", "1.0,1.01,0.99,1.005,0.995,1.002,0.998")
    monkeypatch.setenv("NOISY", "1.0,1.3,0.75,1.2,0.85,1.4,0.7")
    code = main(["noise", "--json", "--simulations", "100", "test_m.py", "--pareto-processes", "5"])
    assert code == 0
    out = capsys.readouterr()
    document = json.loads(out.out)
    rows = {row["test_id"]: row for row in document["tests"]}
    steady, noisy = rows["test_m.py::test_steady"], rows["test_m.py::test_noisy"]
    assert steady["processes"]["stored"] == 5
    assert steady["aa_outcome"] == "pass"
    assert noisy["spread"] > 10 * steady["spread"]
    assert 0.05 < steady["detectable_slowdown"] < noisy["detectable_slowdown"]
    assert noisy["tolerance_too_small"]
    assert not steady["tolerance_too_small"]
    assert document["load"]["before"] is not None
    assert "noise: 2/3 checking identical code" in out.err
    assert not list(pytester.path.glob("baselines/**/*.json"))  # the user's store untouched


def test_options_noise_sets_itself_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["noise", "tests", "--pareto-update"]) == 2
    assert "--pareto-update: noise sets this itself; leave it out" in capsys.readouterr().err
    assert main(["noise", "-k", "fit", "--pareto-against", "HEAD"]) == 2  # pytest's option first
    assert "--pareto-against: noise sets this itself" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["noise", "--simulations", "0", "tests"])
    assert "give a whole number of 1 or more" in capsys.readouterr().err


def test_a_pytest_run_that_cannot_start_is_an_error_with_its_output(
    pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    pytester.makepyfile(test_broken="import no_such_module_here\n")
    assert main(["noise", "test_broken.py"]) == 2
    err = capsys.readouterr().err
    assert "exited 2" in err
    assert "no_such_module_here" in err
