"""The project's own lint, type and docs checks, run as tests so one command runs them all."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

MAX_FUNCTION_LINES = 80
"""The longest a product function (or method) may be, from its `def` line to its end."""


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)


def _require(module: str) -> None:
    pytest.importorskip(module, reason=f"{module} is not installed (pip install -e '.[dev]')")


def test_ruff_check() -> None:
    _require("ruff")
    result = _run(sys.executable, "-m", "ruff", "check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format() -> None:
    _require("ruff")
    result = _run(sys.executable, "-m", "ruff", "format", "--check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_mypy() -> None:
    _require("mypy")
    result = _run(sys.executable, "-m", "mypy")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_docs_build_strict(tmp_path: Path) -> None:
    _require("mkdocs")
    if shutil.which("mkdocs") is None and not (Path(sys.executable).parent / "mkdocs").exists():
        pytest.skip("mkdocs is not on PATH")
    result = _run(sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr


def _long_functions(folder: Path) -> list[str]:
    found = []
    for path in sorted(folder.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                assert node.end_lineno is not None
                lines = node.end_lineno - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    where = path.relative_to(ROOT).as_posix()
                    found.append(f"{where}:{node.lineno} {node.name}() is {lines} lines")
    return found


def test_no_function_is_longer_than_the_limit() -> None:
    """Long functions hide their steps: split them into named ones."""
    found = [
        line for folder in ("pytest_pareto", "nb_ext") for line in _long_functions(ROOT / folder)
    ]
    assert not found, f"longer than {MAX_FUNCTION_LINES} lines:\n" + "\n".join(found)
