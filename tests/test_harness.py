"""The evaluation harness counts what it cannot judge as such, never as a pass."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent


def _harness() -> ModuleType:
    spec = importlib.util.spec_from_file_location("harness", ROOT / "benchmarks" / "harness.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("harness", module)
    spec.loader.exec_module(module)
    return module


CASES = {"aa-000": 1.0, "aa-001": 1.0, "aa-002": 1.0, "aa-003": 1.0, "x2-000": 2.0}


def test_cases_without_a_verdict_are_counted_apart() -> None:
    harness = _harness()
    verdicts = {"aa-000": "pass", "aa-001": "new", "aa-002": "inconclusive", "x2-000": "dominated"}
    outcomes = {"aa-000": "passed", "aa-001": "passed", "aa-002": "error", "x2-000": "failed"}
    flags = harness.pareto_flags(verdicts, outcomes)
    # new: not compared; error: the test broke after judging; aa-003: never judged at all.
    assert flags == {
        "aa-000": "pass",
        "aa-001": harness.NO_VERDICT,
        "aa-002": harness.NO_VERDICT,
        "x2-000": "regression",
    }
    table = harness.rates(flags, CASES)
    assert table["aa"] == {"n": 4, "flagged": 0.0, "inconclusive": 0.0, "no_verdict": 0.75}
    assert table["x2"]["flagged"] == 1.0


def test_pytest_benchmark_cases_that_errored_have_no_verdict() -> None:
    harness = _harness()
    output = "test_bench[x2-000] ... Field 'min' has failed\n"
    outcomes = {"aa-000": "passed", "aa-001": "error", "x2-000": "failed"}
    flags = harness.bench_flags(output, "min", CASES, outcomes)
    assert flags["aa-000"] == "pass"
    assert flags["aa-001"] == harness.NO_VERDICT
    assert flags["aa-002"] == harness.NO_VERDICT  # never ran
    assert flags["x2-000"] == "regression"


def test_raw_outcomes_are_kept_per_case() -> None:
    harness = _harness()
    raw = harness.per_case(CASES, {"stored": {"aa-000": "pass", "x2-000": "regression"}})
    assert raw["aa-000"] == {"factor": 1.0, "stored": "pass"}
    assert raw["aa-001"] == {"factor": 1.0, "stored": harness.NO_VERDICT}
    assert raw["x2-000"] == {"factor": 2.0, "stored": "regression"}
