"""The core stays light: importing it must not pull in pytest, IPython or heavy libraries."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

FORBIDDEN = ("pytest", "_pytest", "IPython", "ipywidgets", "torch", "matplotlib", "scipy", "numpy")

CORE_MODULES = [
    "pytest_pareto",
    "pytest_pareto.cli",
]


@pytest.mark.parametrize("module", CORE_MODULES)
def test_core_import_stays_light(module: str) -> None:
    code = (
        "import importlib, json, sys\n"
        f"importlib.import_module({module!r})\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    loaded = set(json.loads(out))
    leaked = sorted(name for name in loaded if name.split(".")[0] in FORBIDDEN)
    assert leaked == [], f"import {module} loaded {leaked}"


def test_only_the_plugin_layer_imports_pytest() -> None:
    """No core module imports pytest or IPython at module level, by reading their source."""
    import ast
    from pathlib import Path

    import pytest_pareto

    root = Path(pytest_pareto.__file__).parent
    offenders = []
    for path in sorted(root.rglob("*.py")):
        if path.name in ("plugin.py", "hookspecs.py") or path.name.startswith("_pytest_"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                if name.split(".")[0] in ("pytest", "_pytest", "IPython", "ipywidgets"):
                    offenders.append(f"{path.relative_to(root)}: import {name}")
    assert offenders == []
