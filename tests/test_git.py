"""The one git helper, under each caller's policy: patience, and what a failure says."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from pytest_pareto.errors import ConfigError
from pytest_pareto.replication.git import Git
from pytest_pareto.replication.provenance import git_commit

pytestmark = pytest.mark.skipif(os.name == "nt", reason="fake git is a shell script")


@pytest.fixture
def no_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A PATH without git."""
    empty = tmp_path / "empty-path"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    return tmp_path


@pytest.fixture
def slow_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A PATH whose git never answers in time."""
    folder = tmp_path / "slow-path"
    folder.mkdir()
    script = folder / "git"
    sleep = shutil.which("sleep")
    if sleep is None:
        pytest.skip("no sleep command")
    script.write_text(f"#!/bin/sh\nexec {sleep} 30\n")
    script.chmod(0o755)
    monkeypatch.setenv("PATH", str(folder))
    return tmp_path


def test_a_missing_git_says_the_callers_advice(no_git: Path) -> None:
    with pytest.raises(ConfigError, match=r"^compare store folders$"):
        Git(timeout_s=10, not_installed="compare store folders").text(no_git, "status")
    with pytest.raises(FileNotFoundError):
        Git(timeout_s=10).binary(no_git, "status")


def test_a_slow_git_gives_up_or_lets_the_timeout_through(slow_git: Path) -> None:
    with pytest.raises(ConfigError, match=r"git rev-parse HEAD took over 0\.2 s; giving up"):
        Git(timeout_s=0.2, slow_is_error=True).text(slow_git, "rev-parse", "HEAD")
    with pytest.raises(subprocess.TimeoutExpired):
        Git(timeout_s=0.2).text(slow_git, "rev-parse", "HEAD")


def test_provenance_has_no_commit_without_git(no_git: Path) -> None:
    assert git_commit(no_git) is None


def test_text_and_bytes(tmp_path: Path) -> None:
    assert Git(timeout_s=60).text(tmp_path, "--version").stdout.startswith("git version")
    assert Git(timeout_s=60).binary(tmp_path, "--version").stdout.startswith(b"git version")
