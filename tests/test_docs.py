"""The documentation's examples are what the code does: the baseline file example is exactly
what pytest-pareto writes, and the quickstart's test runs as shown."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pytest_pareto.store.baseline_files import BaselineFile, format_json

DOCS = Path(__file__).resolve().parent.parent / "docs"


def code_blocks(page: str, language: str) -> list[str]:
    text = (DOCS / page).read_text(encoding="utf-8")
    return re.findall(rf"```{language}\n(.*?)```", text, re.S)


def test_the_baseline_file_example_is_written_byte_for_byte() -> None:
    (example,) = code_blocks("reference/baseline-files.md", "json")
    parsed = BaselineFile.parse(Path("test_model.py.json"), example, "tests/test_model.py")
    assert format_json(parsed.to_json()) == example
    point = parsed.tests["test_predict"].points[0]
    # "The value is the median of the per-process medians."
    assert point.value("wall_time") == pytest.approx((0.0179 + 0.029) / 2)
    assert point.observations["wall_time"].normalised_per_process is not None
    # Per process: the median of its rounds, their count and spread; not the rounds.
    assert point.observations["wall_time"].per_process == (0.0179, 0.029)
    assert point.observations["wall_time"].counts == (3, 3)
    # A history entry keeps a summary of its point; both name one entry of `machines`.
    (entry,) = parsed.tests["test_predict"].history
    assert entry.point.values() == {"accuracy": 0.8, "wall_time": 0.0262}
    assert entry.point.machine is point.machine is not None


MYPKG = """
import random

X = [[random.Random(i).random() for _ in range(8)] for i in range(200)]
y = [int(sum(row) > 4) for row in X]


class Model:
    def predict(self, rows):
        return [int(sum(row) > 4) for row in rows]


def build_model():
    return Model()


def accuracy(preds, truth):
    return sum(p == t for p, t in zip(preds, truth)) / len(truth)
"""


def test_the_quickstart_test_records_and_then_passes(pytester: pytest.Pytester) -> None:
    example = next(b for b in code_blocks("quickstart.md", "python") if "test_predict" in b)
    assert example.startswith("# tests/test_model.py\n")
    pytester.makepyfile(mypkg=MYPKG)
    (pytester.path / "tests").mkdir()
    (pytester.path / "tests" / "test_model.py").write_text(example)
    pytester.syspathinsert()

    result = pytester.runpytest("--pareto-update")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        ["*tests/test_model.py::test_predict: added *, 1 point on the frontier"]
    )
    assert (pytester.path / "baselines" / "tests" / "test_model.py.json").is_file()

    result = pytester.runpytest()
    result.assert_outcomes(passed=1)
