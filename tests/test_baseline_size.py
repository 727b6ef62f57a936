"""The size of a real baseline file: one test with the default probes, updated with 20 replica
processes (``--pareto-update --pareto-processes 20``, as a new user runs it), once and then
four more times on unchanged code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import inner_environment

TEST_MODULE = """
def work():
    total = 0
    for i in range(20000):
        total += i * i
    return total


def test_sum(pareto):
    assert pareto(work) > 0
"""

ONE_UPDATE_LIMIT = 12 * 1024
FIVE_UPDATES_LIMIT = 20 * 1024


def _update(project: Path) -> None:
    env = inner_environment()
    command = ["-p", "no:cacheprovider", "test_one.py", "--pareto-update", "--pareto-processes"]
    result = subprocess.run(
        [sys.executable, "-m", "pytest", *command, "20"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "replicated 1 test in 20 replica processes" in result.stdout


@pytest.mark.slow
def test_a_baseline_file_stays_small_over_updates(tmp_path: Path) -> None:
    (tmp_path / "test_one.py").write_text(TEST_MODULE)
    path = tmp_path / "baselines" / "test_one.py.json"
    sizes = []
    for _ in range(5):
        _update(tmp_path)
        sizes.append(path.stat().st_size)
    print(f"baseline file bytes after each update: {sizes}")  # shown with -s or -rP
    assert sizes[0] <= ONE_UPDATE_LIMIT, sizes
    assert sizes[-1] <= FIVE_UPDATES_LIMIT, sizes
