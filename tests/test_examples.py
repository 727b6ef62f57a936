"""The examples run as their README says, and the tutorial's picture is of their baselines.

Each example is a project of its own (its pytest.ini, rootdir, baselines/ and test ids), so it
runs in a subprocess, in a copy, as a user who copied it would run it: not in this session,
whose configuration and store are the repository's.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import inner_environment

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
IMAGES = ROOT / "docs" / "img"
NO_CACHE = ("-p", "no:cacheprovider")


def copy_example(name: str, into: Path) -> Path:
    return Path(
        shutil.copytree(
            EXAMPLES / name,
            into / name,
            ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache", ".ipynb_checkpoints"),
        )
    )


def run_pytest(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", *NO_CACHE, *args],
        cwd=folder,
        env=inner_environment(),
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


def needs_the_model() -> None:
    pytest.importorskip("torch")
    pytest.importorskip("sklearn", reason="scikit-learn is not installed: pip install -e '.[test]'")


@pytest.mark.slow
def test_the_compression_example_passes_and_its_bad_variant_fails(tmp_path: Path) -> None:
    """Its own tests include the bad variant, run with --bad-variant and expected to fail."""
    needs_the_model()
    example = copy_example("compression", tmp_path)
    stored = (example / "baselines" / "_groups" / "digits.json").read_bytes()
    result = run_pytest(example)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "5 passed" in output, output
    assert "test_compression.py::test_variant[pruned]" in output
    # A judging run does not touch the frontier.
    assert (example / "baselines" / "_groups" / "digits.json").read_bytes() == stored


@pytest.mark.slow
def test_the_notebook_example_runs_as_tests(tmp_path: Path) -> None:
    needs_the_model()
    for module in ("nbformat", "nbclient", "ipykernel"):
        pytest.importorskip(module)
    copy_example("compression", tmp_path)  # the notebook imports its model code
    notebook = copy_example("notebook", tmp_path)
    stored = {p: p.read_bytes() for p in (notebook / "baselines").rglob("*.json")}
    result = run_pytest(notebook, "--pareto-notebooks")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "3 passed" in output, output
    for name in ("fp32", "int8", "pruned"):
        assert f"compression.ipynb::{name}" in output
    assert stored
    assert {p: p.read_bytes() for p in stored} == stored


def code_blocks(page: Path, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", page.read_text(encoding="utf-8"), re.S)


def test_the_tutorial_quotes_the_examples_as_they_are() -> None:
    tutorial = ROOT / "docs" / "tutorial.md"
    test = (EXAMPLES / "compression" / "test_compression.py").read_text(encoding="utf-8")
    notebook = json.loads((EXAMPLES / "notebook" / "compression.ipynb").read_text())
    cells = ["".join(cell["source"]) for cell in notebook["cells"]]
    quoted = code_blocks(tutorial, "python")
    assert any("def test_variant" in block for block in quoted)
    for block in quoted:
        lines = block.strip()
        assert lines in test or any(lines in cell for cell in cells), block


def test_the_tutorial_figure_is_current(tmp_path: Path) -> None:
    """Drawn again from the committed baselines, the picture is the one in the docs: the same
    baselines (by hash), command and size; and, with the same matplotlib, the same pixels up
    to the rendering of text."""
    pytest.importorskip("matplotlib")
    from matplotlib.image import imread

    script = ROOT / "scripts" / "tutorial_figure.py"
    result = subprocess.run(
        [sys.executable, str(script), "--output-dir", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    committed = json.loads((IMAGES / "tutorial-frontier.json").read_text())
    fresh = json.loads((tmp_path / "tutorial-frontier.json").read_text())
    redraw = "the picture is out of date: run python scripts/tutorial_figure.py"
    assert committed["baselines_sha256"] == fresh["baselines_sha256"], redraw
    assert committed["command"] == fresh["command"], redraw
    assert committed["size"] == fresh["size"], redraw
    assert committed["command"] in (ROOT / "docs" / "tutorial.md").read_text(encoding="utf-8")
    old = imread(IMAGES / "tutorial-frontier.png")
    assert list(old.shape[1::-1]) == committed["size"], "the PNG is not the one recorded"
    if committed["matplotlib"] == fresh["matplotlib"]:
        new = imread(tmp_path / "tutorial-frontier.png")
        assert abs(old - new).mean() < 0.01, redraw
