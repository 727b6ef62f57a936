"""Instruction counts under valgrind: deterministic, and unavailable with a reason."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pytest_pareto.errors import MeasurementError
from pytest_pareto.probes import InstructionsProbe, builtin_probes
from pytest_pareto.probes.instructions import count_instructions

needs_valgrind = pytest.mark.skipif(
    shutil.which("valgrind") is None, reason="valgrind is not installed"
)

WORK = """\
def work(n):
    total = 0
    for i in range(n):
        total += i * i % 7
    return total
"""


def test_unavailable_without_valgrind_says_how_to_get_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # a PATH with no valgrind on it
    probe = InstructionsProbe()
    availability = probe.availability()
    assert not availability.available
    assert "valgrind is not installed" in availability.reason
    with pytest.raises(MeasurementError, match="valgrind is not installed"):
        probe.measure_call(len, ((),), {})


def test_it_is_opt_in() -> None:
    probe = next(p for p in builtin_probes() if p.name == "instructions")
    assert not probe.default
    assert probe.metrics[0].variability.value == "deterministic"


def test_a_callable_that_cannot_be_pickled_is_refused_with_a_reason() -> None:
    with pytest.raises(MeasurementError, match=r"cannot send .*<lambda>.*module-level function"):
        count_instructions(lambda: 1, valgrind="valgrind")


@needs_valgrind
@pytest.mark.slow
def test_counts_repeat_exactly_and_follow_the_work(pytester: pytest.Pytester) -> None:
    """Record, re-run identical code (equal to the instruction), then double the work."""
    pytester.makepyfile(
        work=WORK,
        test_counted="""
        import pytest
        import work

        N = 20000

        @pytest.mark.pareto(metrics=["instructions"], tolerance={"instructions": "1%"})
        def test_counted(pareto):
            pareto(work.work, N)
        """,
    )
    args = ("-p", "no:hypothesispytest", "-p", "no:cacheprovider")
    pytester.runpytest(*args, "--pareto-update").assert_outcomes(passed=1)
    same = pytester.runpytest(*args, "-v")
    same.assert_outcomes(passed=1)
    same.stdout.fnmatch_lines(["*instructions*+0.0%*1%*equal*exact*"])

    test_file = pytester.path / "test_counted.py"
    test_file.write_text(test_file.read_text().replace("N = 20000", "N = 40000"))
    doubled = pytester.runpytest(*args)
    doubled.assert_outcomes(failed=1)
    doubled.stdout.fnmatch_lines(["*pareto: dominated*", "*instructions*+10?.?%*worse*exact*"])
