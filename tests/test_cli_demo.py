"""The console script and its demo, run as a user would: in a subprocess."""

from __future__ import annotations

import subprocess
import sys

import pytest


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest_pareto.cli", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_help_lists_commands_with_examples() -> None:
    result = run_cli("--help")
    assert result.returncode == 0
    assert "demo" in result.stdout
    demo_help = run_cli("demo", "--help")
    assert "example:" in demo_help.stdout
    assert "--keep" in demo_help.stdout


def test_unknown_command_is_a_usage_error() -> None:
    result = run_cli("frobnicate")
    assert result.returncode == 2
    assert "invalid choice" in result.stderr


@pytest.mark.slow
def test_demo_catches_the_dominated_change_and_passes_the_trade_off(tmp_path) -> None:
    result = run_cli("demo", "--keep", str(tmp_path / "demo"))
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert out.count("NOT AS EXPECTED") == 0
    assert "[1/3] record a baseline" in out
    assert "pareto: dominated" in out
    assert "accuracy" in out
    assert "worse" in out
    assert "trade-off" in out
    assert (tmp_path / "demo" / "baselines" / "test_model.py.json").exists()
