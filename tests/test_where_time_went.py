"""Where the time went: a test dominated on a time metric shows its profile diff."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from pytest_pareto.judging.verdict import Outcome, judge
from pytest_pareto.measuring import diagnostics
from pytest_pareto.measuring.measured_call import MeasuredCall
from pytest_pareto.measuring.profiling import (
    PROFILE_INFO,
    FunctionCost,
    ProfileSummary,
    profile_call,
)
from pytest_pareto.model.metrics import Direction, Metric, Variability
from pytest_pareto.reports.allocation_diff import RSS_NOTE
from pytest_pareto.reports.html import render_html
from pytest_pareto.reports.profile_diff import profile_changes
from pytest_pareto.reports.run_report import load_report
from pytest_pareto.reports.words import verdict_message
from tests.conftest import make_point

pytest_plugins = ["pytester"]

WORK = """\
def slow_helper(n):
    total = 0
    for i in range(n):
        total += i * i % 7
    return total


def other():
    return sum(range(2000))


def work(factor):
    other()
    return slow_helper(20000 * factor)
"""

MEASURED = """\
import json
import pathlib

import pytest

import work


@pytest.mark.pareto(metrics=["wall_time"], tolerance={"wall_time": "50%"})
def test_work(pareto):
    factor = json.loads(pathlib.Path(__file__).with_name("factor.json").read_text())
    pareto(work.work, factor)
"""

TEST_ID = "test_measured.py::test_work"


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeini("[pytest]\naddopts = -p no:cacheprovider -p no:hypothesispytest\n")
    pytester.makepyfile(work=WORK, test_measured=MEASURED)
    return pytester


def run(pytester: pytest.Pytester, factor: int, *args: str) -> pytest.RunResult:
    (pytester.path / "factor.json").write_text(json.dumps(factor))
    return pytester.runpytest("--pareto-processes", "1", "--pareto-report", "r.json", *args)


def test_profile_of_one_call_finds_its_functions() -> None:
    def helper() -> int:
        return sum(i * i for i in range(20000))

    summary = profile_call(MeasuredCall(helper))
    assert any(f.function == "<genexpr>" for f in summary.functions)
    assert ProfileSummary.from_json(summary.to_json()) == summary
    assert ProfileSummary.from_json({"functions": [["f", "x.py:1", "not a number", 1]]}) is None
    before = ProfileSummary((FunctionCost("f", "a.py:3", 0.001, 1),))
    after = ProfileSummary(
        (FunctionCost("f", "a.py:9", 0.004, 2), FunctionCost("g", "a.py:20", 0.0005, 1))
    )
    changes = profile_changes(before, after)  # f moved from line 3 to 9: still matched
    assert [(c.function, c.own_before, c.calls_before) for c in changes] == [
        ("f", 0.001, 1),
        ("g", 0.0, 0),
    ]


@pytest.mark.slow
def test_a_dominated_test_shows_the_helper_that_slowed_first(project: pytest.Pytester) -> None:
    run(project, 1, "--pareto-update").assert_outcomes(passed=1)
    stored = next((project.path / "baselines").rglob("*.json"))
    assert PROFILE_INFO in stored.read_text()
    assert stored.stat().st_size <= 12 * 1024  # the compact store's target per test

    result = run(project, 30)
    result.assert_outcomes(failed=1)
    text = result.stdout.str()
    assert "where the time went (one profiled pass each)" in text
    first_row = text.split("calls before → after", 1)[1].splitlines()[1].split()
    assert first_row[:2] == ["slow_helper", "work.py:1"]
    report = load_report(project.path / "r.json")
    (verdict,) = report.verdicts
    assert verdict.outcome is Outcome.DOMINATED
    assert PROFILE_INFO in verdict.candidate.extra_info
    entry = json.loads((project.path / "r.json").read_text())["tests"][0]
    assert entry["where_time_went"]["rows"][0][:2] == ["slow_helper", "work.py:1"]
    # Rendered here: matplotlib imported inside an in-process pytest run breaks later ones.
    html = render_html(report, max_plots=0)
    assert "<table class='profile'>" in html
    assert html.index("slow_helper", html.index("<table class='profile'>")) > 0


@pytest.mark.slow
def test_without_a_stored_profile_the_new_top_functions_are_shown(
    project: pytest.Pytester,
) -> None:
    run(project, 1, "--pareto-update").assert_outcomes(passed=1)
    stored = next((project.path / "baselines").rglob("*.json"))
    data = json.loads(stored.read_text())
    stored.write_text(json.dumps(data).replace(f'"{PROFILE_INFO}"', '"dropped"'))
    result = run(project, 30)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*where the time went: no profile of the reference point to diff against*"]
    )


def test_a_passing_test_is_not_profiled(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    run(project, 1, "--pareto-update").assert_outcomes(passed=1)
    calls: list[object] = []
    real = diagnostics.profile_call
    monkeypatch.setattr(diagnostics, "profile_call", lambda c: calls.append(c) or real(c))
    run(project, 1).assert_outcomes(passed=1)
    assert calls == []
    (verdict,) = load_report(Path(project.path / "r.json")).verdicts
    assert PROFILE_INFO not in verdict.candidate.extra_info


ALLOCATING = """\
import json
import pathlib

import pytest


def build(extra):
    data = [0] * 1000
    if extra:
        big = [0] * (1 << 20)  # 8 MiB of list slots
        return len(big) + len(data)
    return len(data)


@pytest.mark.pareto(metrics=["py_alloc_peak"])
def test_build(pareto):
    extra = json.loads(pathlib.Path(__file__).with_name("factor.json").read_text())
    pareto(build, extra)
"""


def test_an_added_8_mib_list_shows_its_line_first(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\naddopts = -p no:cacheprovider -p no:hypothesispytest\n")
    pytester.makepyfile(test_alloc=ALLOCATING)
    run(pytester, 0, "--pareto-update").assert_outcomes(passed=1)
    stored = next((pytester.path / "baselines").rglob("*.json"))
    assert '"pareto_allocations"' in stored.read_text()
    result = run(pytester, 1)
    result.assert_outcomes(failed=1)
    text = result.stdout.str()
    assert "where the memory went (allocations alive near the peak" in text
    first_row = text.split("size before → after", 1)[1].splitlines()[1].split()
    assert first_row[0] == "test_alloc.py:10"
    assert first_row[1:4] == ["0", "B", "→"]
    assert first_row[4:6] == ["8", "MiB"]
    assert "where the time went" not in text  # not dominated on time: no profiled pass


OVER_BUDGET = """\
import pytest


def build():
    big = [0] * (1 << 20)  # 8 MiB of list slots
    return len(big)


@pytest.mark.pareto(metrics=["py_alloc_peak"], budget={"py_alloc_peak": "<= 1MiB"})
def test_build(pareto):
    pareto(build)
"""


def test_a_test_over_its_budget_shows_where_the_memory_went(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\naddopts = -p no:cacheprovider -p no:hypothesispytest\n")
    pytester.makepyfile(test_pareto_over_budget=OVER_BUDGET)
    result = pytester.runpytest("--pareto-report", "r.json")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*where the memory went: no allocation summary of the reference point*",
            "*file:line*size*blocks*",
            "*test_pareto_over_budget.py:5*8 MiB*",
        ]
    )
    # The reports carry the table too, although the verdict itself (new) fails nothing.
    entry = json.loads((pytester.path / "r.json").read_text())["tests"][0]
    assert entry["outcome"] == "new"
    assert entry["where_memory_went"]["rows"][0][0] == "test_pareto_over_budget.py:5"
    html = render_html(load_report(pytester.path / "r.json"), max_plots=0)
    assert "test_pareto_over_budget.py:5" in html.split("<table class='profile'>", 1)[1]


def test_peak_rss_is_said_to_be_unattributable() -> None:
    rss = Metric("peak_rss", "B", Direction.LOWER, Variability.DETERMINISTIC)
    old, new = make_point({"peak_rss": 100e6}), make_point({"peak_rss": 300e6})
    verdict = judge("t.py::t", new, [old], {"peak_rss": rss})
    assert verdict.outcome is Outcome.DOMINATED
    assert RSS_NOTE in verdict_message(verdict)
    assert RSS_NOTE not in verdict_message(judge("t.py::t", old, [old], {"peak_rss": rss}))


def _committed(pytester: pytest.Pytester, factor: int) -> None:
    """A real git repository whose commit holds ``factor``; the tests' own files stay."""
    (pytester.path / "factor.json").write_text(json.dumps(factor))
    for args in (["init", "-q"], ["add", "."], ["commit", "-q", "-m", "baseline"]):
        subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@localhost", *args],
            cwd=pytester.path,
            check=True,
            capture_output=True,
        )


@pytest.mark.slow
def test_against_a_ref_the_reference_side_is_profiled_in_the_same_run(
    project: pytest.Pytester,
) -> None:
    _committed(project, 1)
    result = run(project, 30, "--pareto-against", "HEAD")
    result.assert_outcomes(failed=1)
    text = result.stdout.str()
    assert "where the time went (one profiled pass each)" in text
    first_row = text.split("calls before → after", 1)[1].splitlines()[1].split()
    assert first_row[:2] == ["slow_helper", "work.py:1"]
    entry = json.loads((project.path / "r.json").read_text())["tests"][0]
    assert entry["where_time_went"]["rows"][0][:2] == ["slow_helper", "work.py:1"]
    (verdict,) = load_report(project.path / "r.json").verdicts
    assert verdict.decisive is not None
    assert PROFILE_INFO in verdict.decisive.reference.extra_info


def test_against_a_ref_an_added_list_is_diffed_against_the_reference_side(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeini("[pytest]\naddopts = -p no:cacheprovider -p no:hypothesispytest\n")
    pytester.makepyfile(test_alloc=ALLOCATING)
    _committed(pytester, 0)
    result = run(pytester, 1, "--pareto-against", "HEAD")
    result.assert_outcomes(failed=1)
    text = result.stdout.str()
    assert "no allocation summary of the reference point" not in text
    first_row = text.split("size before → after", 1)[1].splitlines()[1].split()
    assert first_row[0] == "test_alloc.py:10"
    assert first_row[1:6] == ["0", "B", "→", "8", "MiB"]
