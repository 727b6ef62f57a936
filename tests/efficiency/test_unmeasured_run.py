"""What the plugin costs a pytest run that measures nothing, gated by pytest-pareto.

The plugin is loaded by every pytest run once installed, so a run whose tests are not measured
(a TDD loop) should pay for registering the options and little else: the measuring core (the
machine fingerprint, git, the probes, the store) is imported and built only once a measured
test is collected. The cost is counted, deterministically, as the modules of the package a
run of twenty unmeasured tests imports; the count is recorded as a metric and judged against
``baselines/tests/efficiency`` like any user's metric (re-record with ``--pareto-update``).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

TRIVIAL_TESTS = "".join(f"def test_{i}():\n    assert {i} == {i}\n\n" for i in range(20))

# A subprocess: this process has imported the whole package already.
LIST_MODULES = """
import json, sys
import pytest
code = pytest.main(sys.argv[2:])
names = sorted(m for m in sys.modules if m.split(".")[0] == "pytest_pareto")
with open(sys.argv[1], "w") as out:
    json.dump({"code": int(code), "modules": names}, out)
"""

CORE = (
    "pytest_pareto.measuring.measure",
    "pytest_pareto.measuring.recorder",
    "pytest_pareto.model.points",
    "pytest_pareto.judging.stats",
    "pytest_pareto.probes",
    "pytest_pareto.store.baseline_files",
    "pytest_pareto.frontier.pipeline",
    "pytest_pareto.replication.schedule",
    "pytest_pareto.reports.words",
    "pytest_pareto.plugin.run",
)
"""Modules a run that measures nothing (and shows no header) must not import."""


def _imported(project: Path, *args: str) -> list[str]:
    """The package's modules a pytest run of ``project`` with ``args`` imported."""
    found = project / "modules.json"
    subprocess.run(
        [sys.executable, "-c", LIST_MODULES, str(found), "-p", "no:cacheprovider", *args],
        cwd=project,
        check=True,
        capture_output=True,
    )
    result = json.loads(found.read_text(encoding="utf-8"))
    assert result["code"] == 0
    names: list[str] = result["modules"]
    return names


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    (tmp_path / "test_trivial.py").write_text(TRIVIAL_TESTS, encoding="utf-8")
    return tmp_path


def test_a_run_that_measures_nothing_imports_no_measuring_core(project: Path) -> None:
    imported = _imported(project, "-q")
    assert [name for name in CORE if name in imported] == []


def test_a_measured_test_still_builds_the_run(project: Path) -> None:
    (project / "test_measured.py").write_text(
        "def test_loss(pareto):\n    pareto.record('loss', 1.0)\n", encoding="utf-8"
    )
    assert "pytest_pareto.plugin.run" in _imported(project, "-q")


@pytest.mark.pareto(metrics=["modules_quiet", "modules_with_header"])
def test_modules_a_run_of_unmeasured_tests_imports(pareto, project: Path) -> None:  # type: ignore[no-untyped-def]
    """Quiet (``-q``), and with the pytest header (its settings line; -v adds the machine)."""
    pareto.record("modules_quiet", len(_imported(project, "-q")), better="lower")
    pareto.record("modules_with_header", len(_imported(project)), better="lower")
