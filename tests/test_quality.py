"""Quality metrics: definitions used by ``record``, helpers, derived objectives, and gating."""

from __future__ import annotations

import math
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_pareto.errors import ConfigError
from pytest_pareto.measuring.derived import DerivedObjective, derive, parse_derived
from pytest_pareto.measuring.measure import MeasureOptions, measure
from pytest_pareto.measuring.quality import (
    QUALITY_METRICS,
    accuracy,
    f1,
    latency_p50,
    latency_p95,
    latency_percentiles,
    percentile,
    perplexity,
    tokens_per_s,
)
from pytest_pareto.measuring.recorder import Recorder
from pytest_pareto.model.metrics import Direction, Metric, MetricRegistry, Variability
from pytest_pareto.model.points import Observation, Sample
from pytest_pareto.probes import WallTimeProbe

RUN = ("-p", "no:benchmark", "-p", "no:cacheprovider")

# -- helpers -----------------------------------------------------------------------------


def test_accuracy_and_f1_on_hand_computed_cases() -> None:
    assert accuracy([1, 0, 1, 1], [1, 1, 1, 0]) == 0.5
    # tp=2 (positions 0 and 4), fp=1 (1), fn=1 (3): precision = recall = 2/3.
    assert f1([1, 1, 0, 0, 1], [1, 0, 0, 1, 1]) == pytest.approx(2 / 3)
    # Macro over classes a, b: F1(a) = 2/3 (tp 1, fp 0, fn 1), F1(b) = 2/3 (tp 1, fp 1, fn 0).
    assert f1(["a", "b", "b"], ["a", "a", "b"], average="macro") == pytest.approx(2 / 3)
    assert f1([0, 0], [1, 1]) == 0.0


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 1), st.integers(0, 1)), min_size=1, max_size=40).filter(
        lambda pairs: any(p == 1 and t == 1 for p, t in pairs)
    )
)
def test_f1_is_the_harmonic_mean_of_precision_and_recall(pairs: list[tuple[int, int]]) -> None:
    preds, labels = [p for p, _ in pairs], [t for _, t in pairs]
    tp = sum(p and t for p, t in pairs)
    precision = tp / sum(preds)
    recall = tp / sum(labels)
    assert f1(preds, labels) == pytest.approx(2 * precision * recall / (precision + recall))


def test_helpers_accept_objects_with_tolist() -> None:
    class Array:
        def __init__(self, values: list[int]) -> None:
            self.values = values

        def tolist(self) -> list[int]:
            return self.values

    assert accuracy(Array([1, 2, 3]), Array([1, 2, 0])) == pytest.approx(2 / 3)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: accuracy([1, 2], [1]), "2 predictions but 1 labels"),
        (lambda: accuracy([], []), "no predictions"),
        (lambda: f1([1], [1], average="micro"), "use 'binary' or 'macro'"),
        (lambda: perplexity(-1.0), "must be a finite number >= 0"),
        (lambda: tokens_per_s(10, 0), "seconds must be > 0"),
        (lambda: percentile([], 50), "no samples"),
        (lambda: percentile([1.0], 101), "within 0..100"),
    ],
)
def test_helpers_reject_bad_input(call: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        call()  # type: ignore[operator]


def test_perplexity_and_throughput() -> None:
    assert perplexity(math.log(4.0)) == pytest.approx(4.0)
    assert tokens_per_s(300, 1.5) == pytest.approx(200.0)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.floats(0, 1e3, allow_nan=False), min_size=1, max_size=30),
    st.floats(0, 100, allow_nan=False),
)
def test_percentile_matches_numpy_linear(samples: list[float], q: float) -> None:
    numpy = pytest.importorskip("numpy")
    expected = float(numpy.percentile(samples, q, method="linear"))
    assert percentile(samples, q) == pytest.approx(expected, rel=1e-9, abs=1e-9)


def test_latency_percentiles_from_a_real_measurement() -> None:
    measurement = measure(
        time.sleep,
        (0.0005,),
        probes=[WallTimeProbe()],
        options=MeasureOptions(rounds=21, iterations=1, warmup=0),
    )
    rounds = sorted(measurement.samples["wall_time"].rounds)
    assert len(rounds) == 21
    assert latency_p50(measurement) == rounds[10]  # 21 samples: the 11th is the median
    assert latency_p95(measurement) == pytest.approx(rounds[19] + 0.0 * (rounds[20] - rounds[19]))
    assert latency_percentiles(measurement) == {
        "latency_p50": latency_p50(measurement),
        "latency_p95": latency_p95(measurement),
    }
    batched = measure(
        time.sleep,
        (0.0,),
        probes=[WallTimeProbe()],
        options=MeasureOptions(rounds=3, iterations=4, warmup=0),
    )
    with pytest.raises(ConfigError, match="need one call per round"):
        latency_p95(batched)
    assert latency_p50(Sample((3.0, 1.0, 2.0))) == 2.0


# -- what record() knows -----------------------------------------------------------------


def test_record_takes_direction_unit_and_variability_from_the_definitions() -> None:
    recorder = Recorder("t.py::test")
    recorder.record("accuracy", 0.91)
    recorder.record("loss", 0.3)
    recorder.record("tokens_per_s", 1200)
    recorder.record("my_cost", 5)
    metrics = recorder.metrics
    assert metrics["accuracy"].direction is Direction.HIGHER
    assert metrics["accuracy"].variability is Variability.DETERMINISTIC
    assert metrics["loss"].direction is Direction.LOWER
    assert metrics["tokens_per_s"].direction is Direction.HIGHER
    assert metrics["tokens_per_s"].unit == "tokens/s"
    assert metrics["tokens_per_s"].variability is Variability.NOISY
    assert metrics["my_cost"].direction is Direction.LOWER  # unknown names: lower is better
    for name in ("accuracy", "f1"):
        assert QUALITY_METRICS[name].direction is Direction.HIGHER


def test_an_explicit_direction_that_contradicts_the_definition_is_an_error() -> None:
    recorder = Recorder("t.py::test")
    with pytest.raises(
        ConfigError, match=r"better=lower conflicts .* 'accuracy' \(better=higher\)"
    ):
        recorder.record("accuracy", 0.9, better="lower")
    recorder.record("accuracy", 0.9, better="higher")  # agreeing is fine
    recorder.record("f1", 0.8, noisy=True)  # variability may be overridden
    assert recorder.metrics["f1"].variability is Variability.NOISY


def test_a_plugin_definition_overrides_the_builtin_quality_one() -> None:
    registry = MetricRegistry([Metric("accuracy", "%", Direction.HIGHER)])
    recorder = Recorder("t.py::test", registry=registry)
    recorder.record("accuracy", 91.0)
    assert recorder.metrics["accuracy"].unit == "%"


def test_seeded_accuracy_is_gated_exactly_within_tolerance(pytester: pytest.Pytester) -> None:
    source = """
        import random
        import pytest

        DROP = {drop}

        def model_accuracy():
            rng = random.Random(0)  # seeded: the same every run
            labels = [rng.randrange(2) for _ in range(2000)]
            preds = [y if rng.random() < 0.9 else 1 - y for y in labels]
            return sum(p == y for p, y in zip(preds, labels)) / len(labels) - DROP

        @pytest.mark.pareto(tolerance={{"accuracy": "abs:0.001"}})
        def test_model(pareto):
            pareto.record("accuracy", model_accuracy())
    """
    pytester.makepyfile(test_model=source.format(drop=0.0))
    pytester.runpytest(*RUN, "--pareto-update").assert_outcomes(passed=1)
    pytester.runpytest(*RUN).assert_outcomes(passed=1)  # the same seeded value: pass

    pytester.makepyfile(test_model=source.format(drop=0.0008))  # within abs 0.001
    pytester.runpytest(*RUN).assert_outcomes(passed=1)

    pytester.makepyfile(test_model=source.format(drop=0.003))  # 3 points in 1000 lost
    result = pytester.runpytest(*RUN)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*pareto: dominated*", "*accuracy*worse*exact*"])


# -- derived objectives ------------------------------------------------------------------


def test_parse_derived_specs() -> None:
    assert [o.name for o in parse_derived(["cost_per_correct", "accuracy_per_joule"])] == [
        "wall_time_per_correct",
        "accuracy_per_joule",
    ]
    assert DerivedObjective.parse("cost_per_correct:flops").name == "flops_per_correct"
    with pytest.raises(ConfigError, match="is not one of"):
        parse_derived(["cost_per_banana"])
    with pytest.raises(ConfigError, match="more than once"):
        parse_derived(["accuracy_per_watt", "accuracy_per_watt:gpu_power"])
    with pytest.raises(ConfigError, match="name a metric after"):
        parse_derived(["cost_per_correct:"])


def test_derive_divides_each_round_and_says_why_not() -> None:
    energy = Metric("energy_cpu", "J", Direction.LOWER, Variability.NOISY)
    power = Metric("gpu_power", "W", Direction.LOWER, Variability.NOISY)
    wall = Metric("wall_time", "s", Direction.LOWER, Variability.NOISY)
    metrics = {m.name: m for m in (QUALITY_METRICS["accuracy"], energy, power, wall)}
    observations = {
        "accuracy": Observation.single(0.8),
        "energy_cpu": Observation((Sample((2.0, 4.0)),)),
        "wall_time": Observation((Sample((0.1, 0.2, 0.3)),)),
    }
    objectives = parse_derived(["cost_per_correct", "accuracy_per_joule", "accuracy_per_watt"])
    derivation = derive(objectives, observations, metrics)
    per_correct = derivation.observations["wall_time_per_correct"]
    assert per_correct.samples[0].rounds == pytest.approx((0.125, 0.25, 0.375))
    assert derivation.metrics["wall_time_per_correct"].direction is Direction.LOWER
    assert derivation.metrics["wall_time_per_correct"].variability is Variability.NOISY
    per_joule = derivation.observations["accuracy_per_joule"]
    assert per_joule.samples[0].rounds == pytest.approx((0.4, 0.2))
    assert derivation.metrics["accuracy_per_joule"].direction is Direction.HIGHER
    assert derivation.metrics["accuracy_per_joule"].unit == "1/J"
    # No power metric was measured: said, not invented.
    assert "accuracy_per_watt" not in derivation.observations
    assert derivation.notes == ("accuracy_per_watt not computed: no metric in W was measured here",)


def test_a_derived_objective_gates_small_losses_that_add_up(pytester: pytest.Pytester) -> None:
    """FLOPs +4% and accuracy -4% are each within 5%; FLOPs per correct result is +8.3%."""
    source = """
        import pytest

        @pytest.mark.pareto(derived={derived})
        def test_model(pareto):
            pareto.record("flops", {flops}, unit="FLOP")
            pareto.record("accuracy", {accuracy})
    """
    plain = source.format(derived=[], flops=1000, accuracy=0.90)
    pytester.makepyfile(test_model=plain)
    pytester.runpytest(*RUN, "--pareto-update").assert_outcomes(passed=1)
    pytester.makepyfile(test_model=source.format(derived=[], flops=1040, accuracy=0.864))
    pytester.runpytest(*RUN).assert_outcomes(passed=1)

    with_derived = source.format(derived=["cost_per_correct:flops"], flops=1000, accuracy=0.90)
    pytester.makepyfile(test_model=with_derived)
    pytester.runpytest(*RUN, "--pareto-update").assert_outcomes(passed=1)
    changed = source.format(derived=["cost_per_correct:flops"], flops=1040, accuracy=0.864)
    pytester.makepyfile(test_model=changed)
    result = pytester.runpytest(*RUN)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*flops_per_correct*1.2 kFLOP*1.11 kFLOP*+8.3%*worse*"])


def test_a_derived_objective_without_its_input_is_reported(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_model="""
        import pytest

        @pytest.mark.pareto(derived=["accuracy_per_joule"])
        def test_model(pareto):
            pareto.record("accuracy", 0.9)
        """
    )
    result = pytester.runpytest(*RUN)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        ["*test_model.py::test_model: accuracy_per_joule not computed: no metric in J*"]
    )


def test_latency_percentiles_recorded_from_a_pedantic_measurement(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        test_latency="""
        import time
        import pytest
        from pytest_pareto.measuring.quality import latency_percentiles

        @pytest.mark.pareto(metrics=["wall_time", "latency_p95"])
        def test_latency(pareto):
            pareto.pedantic(time.sleep, args=(0.001,), rounds=20, iterations=1)
            for name, value in latency_percentiles(pareto.measurement).items():
                pareto.record(name, value)
            assert pareto.measurement.rounds == 20
        """
    )
    result = pytester.runpytest(*RUN, "-v")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*latency_p50*ms*", "*latency_p95*ms*", "*wall_time*ms*"])
