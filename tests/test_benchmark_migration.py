"""From pytest-benchmark: the same calls, the `benchmark` alias, and importing its saved runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_pareto.cli import main
from pytest_pareto.cli._benchmark_import import read_benchmark_file
from pytest_pareto.errors import BaselineFileError, ConfigError
from pytest_pareto.measuring.measure import MeasureOptions
from pytest_pareto.measuring.recorder import Recorder
from pytest_pareto.probes import WallTimeProbe

pytest.importorskip("pytest_benchmark")

RUN = ("-p", "no:cacheprovider")
NO_BENCHMARK = ("-p", "no:benchmark", *RUN)


@pytest.fixture(autouse=True)
def _lean_inner_sessions(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """Like the suite-wide fixture, but these inner sessions may need pytest-benchmark."""
    monkeypatch.setenv("PYTEST_ADDOPTS", "-p no:hypothesispytest")


# One test body, run by pytest-benchmark's `benchmark` and by pytest-pareto's `pareto`, that
# counts how pedantic() calls setup, target and teardown.
COUNTING = """
    import json
    import pytest

    COUNTS = {{}}

    def count(name):
        COUNTS[name] = COUNTS.get(name, 0) + 1

    def setup():
        count("setup")
        return (5,), {{}}

    def target(n):
        count("target")
        return n * 2

    def teardown(n):
        count("teardown")

    @pytest.mark.pareto(metrics=["wall_time"])
    def test_with_setup({fixture}):
        assert {fixture}.pedantic(target, setup=setup, teardown=teardown, rounds=4,
                                  warmup_rounds=2) == 10
        {fixture}.extra_info["counts"] = dict(COUNTS)
        print("COUNTS", json.dumps(COUNTS, sort_keys=True))

    @pytest.mark.pareto(metrics=["wall_time"])
    def test_with_iterations({fixture}):
        COUNTS.clear()
        assert {fixture}.pedantic(target, args=(3,), teardown=teardown, rounds=4,
                                  iterations=3, warmup_rounds=1) == 6
        print("COUNTS", json.dumps(COUNTS, sort_keys=True))
"""


def _counts(output: list[str]) -> list[dict[str, int]]:
    return [json.loads(line.split("COUNTS", 1)[1]) for line in output if "COUNTS {" in line]


def test_pedantic_calls_setup_target_and_teardown_as_pytest_benchmark_does(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_counting=COUNTING.format(fixture="benchmark"))
    theirs = pytester.runpytest(*RUN, "-s", "-p", "no:pareto", "--benchmark-disable-gc")
    theirs.assert_outcomes(passed=2)
    pytester.makepyfile(test_counting=COUNTING.format(fixture="pareto"))
    ours = pytester.runpytest(*NO_BENCHMARK, "-s")
    ours.assert_outcomes(passed=2)
    (their_setup, their_iterations) = _counts(theirs.outlines)
    (our_setup, our_iterations) = _counts(ours.outlines)
    # With setup: 2 warm-up rounds + 4 rounds, each setup -> target -> teardown.
    assert our_setup == their_setup == {"setup": 6, "target": 6, "teardown": 6}
    # With iterations=3: pytest-benchmark makes one more call (and teardown) after the rounds
    # to get a result; pytest-pareto keeps the last call's result instead.
    assert their_iterations == {"target": 3 + 12 + 1, "teardown": 1 + 4 + 1}
    assert our_iterations == {"target": 3 + 12, "teardown": 1 + 4}


def test_pedantic_rejects_what_pytest_benchmark_rejects() -> None:
    recorder = Recorder("t.py::test", probes=[WallTimeProbe()], options=MeasureOptions())
    with pytest.raises(ConfigError, match="setup= needs iterations=1"):
        recorder.pedantic(len, setup=lambda: None, iterations=2)
    with pytest.raises(ConfigError, match="rounds must be an integer >= 1"):
        recorder.pedantic(len, rounds=0)
    with pytest.raises(ConfigError, match="warmup_rounds must be an integer >= 0"):
        recorder.pedantic(len, warmup_rounds=-1)
    with pytest.raises(ConfigError, match="setup returned arguments, but args= or kwargs="):
        recorder.pedantic(len, args=([1],), setup=lambda: (([2],), {}))
    # ConfigError is a ValueError, as pytest-benchmark's errors are.
    assert issubclass(ConfigError, ValueError)


ALIASED = """
    import pytest

    @pytest.mark.pareto(group="sorting")
    def test_sorted(benchmark):
        benchmark.extra_info["n"] = 200
        assert benchmark(sorted, list(range(200, 0, -1)))[0] == 1
        assert benchmark.group == "sorting"
"""


def test_the_benchmark_alias_runs_pytest_benchmark_tests_unchanged(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeini("[pytest]\npareto_benchmark_fixture = true\n")
    pytester.makepyfile(test_sorting=ALIASED)
    result = pytester.runpytest(*NO_BENCHMARK, "--pareto-update")
    result.assert_outcomes(passed=1)
    stored = json.loads((pytester.path / "baselines/_groups/sorting.json").read_text())
    (point,) = stored["tests"]["sorting"]["points"]
    # The user's extra_info, beside the profile and allocation summaries an update stores.
    assert point["extra_info"]["n"] == 200
    assert set(point["extra_info"]) <= {"n", "pareto_profile", "pareto_allocations"}
    assert "wall_time" in point["metrics"]

    # With pytest-benchmark active, the alias refuses to take its fixture.
    result = pytester.runpytest(*RUN)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*pareto_benchmark_fixture = true*-p no:benchmark*"])


BENCHMARKS = """
    import pytest

    @pytest.mark.parametrize("n", [100, 1000])
    def test_sort(benchmark, n):
        benchmark.extra_info["n"] = n
        benchmark(sorted, list(range(n, 0, -1)))

    @pytest.mark.benchmark(group="sums")
    def test_sum(benchmark):
        benchmark.pedantic(sum, args=(range(1000),), rounds=5, iterations=10)
"""


def test_saved_pytest_benchmark_runs_become_baselines(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_bench=BENCHMARKS)
    # A subprocess: pytest-benchmark never closes its --benchmark-json file handle.
    result = pytester.runpytest_subprocess(
        *RUN,
        "-p",
        "no:pareto",
        "--benchmark-autosave",
        "--benchmark-json=bench.json",
        "--benchmark-max-time=0.05",
        "--benchmark-min-rounds=3",
    )
    result.assert_outcomes(passed=3)
    (saved,) = (pytester.path / ".benchmarks").rglob("0001_*.json")
    written = json.loads(saved.read_text())
    medians = {b["fullname"]: b["stats"]["median"] for b in written["benchmarks"]}
    assert set(medians) == {
        "test_bench.py::test_sort[100]",
        "test_bench.py::test_sort[1000]",
        "test_bench.py::test_sum",
    }

    assert main(["import-benchmark", ".benchmarks", "--store", "baselines"]) == 0
    stored = json.loads((pytester.path / "baselines/test_bench.py.json").read_text())
    for name, test in stored["tests"].items():
        (point,) = test["points"]
        assert point["metrics"]["wall_time"]["value"] == medians[f"test_bench.py::{name}"]
        info = point["extra_info"]
        assert info["imported_from"] == "pytest-benchmark"
        assert info["pytest_benchmark"]["file"] == saved.name
        assert info["pytest_benchmark"]["stats"]["rounds"] >= 3
        machine = test["machines"][point["machine"]]
        assert machine["cpu_model"] == written["machine_info"]["cpu"]["brand_raw"]
    assert stored["tests"]["test_sort[1000]"]["points"][0]["extra_info"]["n"] == 1000
    assert stored["tests"]["test_sum"]["points"][0]["extra_info"]["pytest_benchmark"]["group"] == (
        "sums"
    )

    # The --benchmark-json file of the same run is the same run: equal points supersede.
    run = read_benchmark_file(pytester.path / "bench.json")
    assert {b.test_id for b in run.benchmarks} == set(medians)
    assert main(["import-benchmark", "bench.json", "--store", "baselines"]) == 0

    # The same tests, now through the alias, are judged against the imported points.
    pytester.makeini("[pytest]\npareto_benchmark_fixture = true\npareto_tolerance = 900%\n")
    result = pytester.runpytest(*NO_BENCHMARK, "-k", "test_sort", "--pareto-machine", "any")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*test_sort[[]100[]]*pass*wall_time*"])


def test_a_file_that_is_not_a_pytest_benchmark_run_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "0001_bad.json"
    bad.write_text('{"format": "something else"}')
    with pytest.raises(BaselineFileError, match="not a pytest-benchmark file"):
        read_benchmark_file(bad)
    code = main(["import-benchmark", str(bad), "--store", str(tmp_path / "baselines")])
    assert code == 2
    assert "0001_bad.json: not a pytest-benchmark file" in capsys.readouterr().err
    assert not (tmp_path / "baselines").exists()
