"""energy_estimate: CPU time x TDP per thread, labelled an estimate, never gating."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import make_point

from pytest_pareto.errors import ConfigError
from pytest_pareto.judging.verdict import JudgePolicy, Outcome, judge
from pytest_pareto.measuring.measure import MeasureOptions, measure
from pytest_pareto.measuring.options import TestOptions
from pytest_pareto.model.metrics import BUILTIN_METRICS, Metric
from pytest_pareto.probes import CpuTimeProbe, EnergyEstimateProbe, Probe, RaplProbe
from pytest_pareto.probes.energy_estimate import CpuPower, lookup_tdp, parse_tdp
from pytest_pareto.reports.words import verdict_message

ESTIMATE = BUILTIN_METRICS["energy_estimate"]
CPU_TIME = BUILTIN_METRICS["cpu_time"]


@pytest.mark.parametrize(
    ("model", "watts", "threads"),
    [
        ("AMD EPYC 7763 64-Core Processor", 280, 128),
        ("Intel(R) Xeon(R) Gold 6248 CPU @ 2.50GHz", 150, 40),
        ("Intel(R) Xeon(R) Gold 6248R CPU @ 3.00GHz", 205, 48),
        ("Intel(R) Xeon(R) Platinum 8480+", 350, 112),
        ("13th Gen Intel(R) Core(TM) i9-13900K", 125, 32),
    ],
)
def test_tdp_table(model: str, watts: float, threads: int) -> None:
    power = lookup_tdp(model)
    assert power is not None
    assert (power.tdp_watts, power.threads) == (watts, threads)


@pytest.mark.parametrize("model", ["AMD EPYC", "AMD EPYC 77630", "Intel(R) Xeon(R) CPU @ 2.20GHz"])
def test_unknown_cpus_have_no_figure(model: str) -> None:
    assert lookup_tdp(model) is None


def test_parse_tdp() -> None:
    assert parse_tdp("280/128") == CpuPower(280.0, 128, "ini pareto_cpu_tdp")
    assert parse_tdp(" 95.5 W / 16 ").watts_per_thread == pytest.approx(95.5 / 16)
    assert parse_tdp("65").threads >= 1  # threads per package from /proc/cpuinfo
    for bad in ("", "fast", "0", "280/0", "-5", "280/x"):
        with pytest.raises(ConfigError, match="pareto_cpu_tdp"):
            parse_tdp(bad)


def test_unavailable_without_a_figure_and_says_how_to_give_one() -> None:
    probe = EnergyEstimateProbe(cpu_model="AMD EPYC", enabled=True)
    assert isinstance(probe, Probe)
    availability = probe.availability()
    assert not availability.available
    assert "no TDP figure for CPU 'AMD EPYC'" in availability.reason
    assert "pareto_cpu_tdp" in availability.reason
    assert probe.default is False


def test_the_estimate_is_cpu_time_times_watts_per_thread() -> None:
    power = CpuPower(200.0, 8, "test")  # 25 W per busy thread
    probe = EnergyEstimateProbe(power)
    assert probe.availability().method == (
        "estimate: CPU time x 25 W per busy thread (200 W TDP / 8 threads, test)"
    )
    assert probe.metrics[0].estimate
    assert probe.metrics[0].label() == "energy_estimate (estimate)"

    def busy() -> int:
        return sum(i * i for i in range(20_000))

    result = measure(
        busy, probes=[CpuTimeProbe(), probe], options=MeasureOptions(rounds=5, iterations=3)
    )
    for cpu, energy in zip(
        result.samples["cpu_time"].rounds, result.samples["energy_estimate"].rounds, strict=True
    ):
        assert energy == pytest.approx(cpu * 25.0, rel=0.05)


def test_runs_by_default_only_when_enabled_and_no_counter_works(tmp_path: Path) -> None:
    power = CpuPower(100.0, 4, "test")
    no_rapl = RaplProbe(tmp_path / "empty")
    assert EnergyEstimateProbe(power, fallback_for=no_rapl).default is False  # not enabled
    assert EnergyEstimateProbe(power, enabled=True, fallback_for=no_rapl).default is True

    powercap = tmp_path / "rapl" / "class" / "powercap" / "intel-rapl:0"
    powercap.mkdir(parents=True)
    (powercap / "name").write_text("package-0\n")
    (powercap / "energy_uj").write_text("1\n")
    rapl = RaplProbe(tmp_path / "rapl")
    assert rapl.availability().available
    assert EnergyEstimateProbe(power, enabled=True, fallback_for=rapl).default is False


# -- never gating ----------------------------------------------------------------------------


def metrics_with(estimate: Metric) -> dict[str, Metric]:
    return {"cpu_time": CPU_TIME, estimate.name: estimate}


@pytest.mark.parametrize("gating", [None, frozenset({"cpu_time", "energy_estimate"})])
def test_judging_never_gates_on_an_estimate(gating: frozenset[str] | None) -> None:
    stored = make_point({"cpu_time": 1.0, "energy_estimate": 1.0})
    new = make_point({"cpu_time": 1.0, "energy_estimate": 10.0})  # 10x worse estimate
    verdict = judge("t", new, [stored], metrics_with(ESTIMATE), JudgePolicy(gating=gating))
    assert verdict.outcome is Outcome.PASS
    assert verdict.decisive is not None
    assert [c.metric.name for c in verdict.decisive.comparisons] == ["cpu_time"]

    # The same numbers under a measured (non-estimate) metric do fail: the rule is what passes.
    measured = Metric("energy_estimate", "J", ESTIMATE.direction, ESTIMATE.variability)
    control = judge("t", new, [stored], metrics_with(measured), JudgePolicy(gating=gating))
    assert control.outcome is Outcome.DOMINATED


def test_the_report_shows_the_estimate_labelled_and_not_gating() -> None:
    stored = make_point({"cpu_time": 1.0, "energy_estimate": 1.0})
    new = make_point({"cpu_time": 1.0, "energy_estimate": 0.004})
    message = verdict_message(judge("t", new, [stored], metrics_with(ESTIMATE)))
    assert "  energy_estimate (estimate): 4 mJ (not gating)" in message.splitlines()


def test_a_marker_naming_only_estimates_is_a_usage_error() -> None:
    with pytest.raises(ConfigError, match=r"names only estimates .* never gate.*cpu_time"):
        TestOptions.from_kwargs({"metrics": ["energy_estimate"]})
    assert TestOptions.from_kwargs({"metrics": ["cpu_time", "energy_estimate"]}).metrics == (
        "cpu_time",
        "energy_estimate",
    )


# -- in pytest --------------------------------------------------------------------------------

INI = "[pytest]\naddopts = -p no:hypothesispytest\npareto_max_time = 0.02\npareto_cpu_tdp = 100/4\n"

ESTIMATED_TEST = """
import pytest


@pytest.mark.pareto(metrics=["cpu_time", "energy_estimate"])
def test_work():
    sum(i * i for i in range(2000))
"""


def stored_point(pytester: pytest.Pytester) -> tuple[dict[str, object], Path]:
    path = pytester.path / "baselines" / "test_work.py.json"
    data = json.loads(path.read_text())
    return data, path


def test_requested_estimate_is_labelled_everywhere_and_never_gates(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeini(INI)
    pytester.makepyfile(test_work=ESTIMATED_TEST)
    first = pytester.runpytest("--pareto-update", "-v")  # -v: the header lists the probes
    first.assert_outcomes(passed=1)
    first.stdout.fnmatch_lines(
        [
            "*energy_estimate: estimate: CPU time x 25 W per busy thread*ini pareto_cpu_tdp*",
            "*test_work.py::test_work*new*",
            "*energy_estimate (estimate)*J*",
        ]
    )
    data, path = stored_point(pytester)
    test = data["tests"]["test_work"]  # type: ignore[index]
    assert test["metrics"]["energy_estimate"]["estimate"] is True
    # Stored: 100x more CPU time (the new run is far better) but a 100x smaller estimate (the
    # new run looks far worse on it). If the estimate gated, this would be a trade-off.
    point = test["points"][0]
    for name, factor in (("cpu_time", 100.0), ("energy_estimate", 0.01)):
        observation = point["metrics"][name]
        observation["value"] *= factor
        observation["medians"] = [v * factor for v in observation["medians"]]
    path.write_text(json.dumps(data))

    second = pytester.runpytest("-rA")
    second.assert_outcomes(passed=1)
    second.stdout.fnmatch_lines(
        [
            "*energy_estimate (estimate): * (not gating)",
            "*test_work.py::test_work*improved*cpu_time*",
        ]
    )


def test_nothing_estimated_unless_asked(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI)
    pytester.makepyfile(test_work="def test_work(pareto):\n    pareto(sum, range(100))\n")
    pytester.runpytest("--pareto-update").assert_outcomes(passed=1)
    data, _ = stored_point(pytester)
    assert "energy_estimate" not in data["tests"]["test_work"]["metrics"]  # type: ignore[index]


def test_ini_enables_the_estimate_for_every_measured_test(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI + "pareto_energy_estimate = true\n")
    pytester.makepyfile(test_work="def test_work(pareto):\n    pareto(sum, range(100))\n")
    pytester.runpytest("--pareto-update").assert_outcomes(passed=1)
    data, _ = stored_point(pytester)
    metrics = data["tests"]["test_work"]["metrics"]  # type: ignore[index]
    if RaplProbe().availability().available:
        assert "energy_estimate" not in metrics  # measured energy: no estimate
        assert "energy_cpu" in metrics
    else:
        assert metrics["energy_estimate"] == {
            "better": "lower",
            "estimate": True,
            "unit": "J",
            "variability": "noisy",
        }


def test_a_bad_tdp_setting_is_a_usage_error(pytester: pytest.Pytester) -> None:
    """Reported once something is measured (or the verbose header shows the probes); a run
    that measures nothing does not parse the measuring settings."""
    pytester.makeini("[pytest]\naddopts = -p no:hypothesispytest\npareto_cpu_tdp = lots\n")
    pytester.makepyfile(test_work="def test_work(pareto):\n    pareto.record('loss', 1.0)\n")
    for args in ((), ("-v",)):
        result = pytester.runpytest(*args)
        assert result.ret == pytest.ExitCode.USAGE_ERROR
        result.stderr.fnmatch_lines(
            ["*pytest-pareto: ini pareto_cpu_tdp = 'lots' must be*280/128*"]
        )
