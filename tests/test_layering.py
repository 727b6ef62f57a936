"""The package's layers: light core imports, one-way layers by folder, and no import cycles.

The layer order is the design (``docs/architecture.md``): a module may import modules of its
own layer or of lower layers, never of a higher one -- not even inside a function. The scan
reads every import statement (and ``importlib.import_module("...")`` with a literal name) of
every module with :mod:`ast`, so lazy imports count too.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

FORBIDDEN = ("pytest", "_pytest", "IPython", "ipywidgets", "torch", "matplotlib", "scipy", "numpy")

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = ("pytest_pareto", "nb_ext")

# From the bottom. A module's layer is the first entry that is a prefix of its dotted name.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("pytest_pareto._version", "pytest_pareto.errors"),
    ("pytest_pareto.model",),
    ("pytest_pareto.store",),
    ("pytest_pareto.probes",),
    ("pytest_pareto.judging",),
    ("pytest_pareto.frontier",),
    ("pytest_pareto.measuring",),
    ("pytest_pareto.replication",),
    ("pytest_pareto.reports",),
    ("pytest_pareto.hookspecs",),
    # The three front ends: each may use the core, none another front end.
    ("pytest_pareto.plugin",),
    ("pytest_pareto.cli",),
    ("nb_ext",),
)
FRONT_ENDS = {"pytest_pareto.plugin", "pytest_pareto.cli", "nb_ext"}
FACADE = "pytest_pareto"  # the package's __init__: the public API, imported by no module

SUBPACKAGES = (
    "model",
    "store",
    "probes",
    "judging",
    "frontier",
    "measuring",
    "replication",
    "reports",
    "plugin",
    "cli",
)


def _modules() -> dict[str, Path]:
    found = {}
    for top in PRODUCT:
        for path in sorted((ROOT / top).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


def _imported_names(path: Path, module: str) -> Iterator[tuple[int, str]]:
    """Every dotted name an import statement in ``path`` asks for, with its line.

    ``from package import name`` yields ``package.name`` when that is a module of the
    product (importing a submodule), else ``package`` (importing from the package itself).
    """
    modules = _modules()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                yield node.lineno, submodule if submodule in modules else base
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            yield node.lineno, node.args[0].value


def _edges() -> dict[str, dict[str, int]]:
    """module -> {imported product module: first line that imports it}."""
    modules = _modules()
    edges: dict[str, dict[str, int]] = {name: {} for name in modules}
    for name, path in modules.items():
        for line, target in _imported_names(path, name):
            if target in modules and target != name:
                edges[name].setdefault(target, line)
    return edges


def _layer(module: str) -> int:
    for index, prefixes in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return index
    raise AssertionError(f"{module} belongs to no layer: add it to LAYERS in this test")


def _front_end(module: str) -> str | None:
    return next((f for f in FRONT_ENDS if module == f or module.startswith(f + ".")), None)


@pytest.mark.parametrize("module", ["pytest_pareto", "pytest_pareto.cli"])
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


def test_only_the_plugin_layer_and_nb_ext_import_pytest_or_ipython() -> None:
    """Lazily or not, pytest and IPython are imported only by the front ends that need them."""
    offenders = []
    for name, path in _modules().items():
        if name.startswith(("pytest_pareto.plugin", "nb_ext")) or name == "pytest_pareto.hookspecs":
            continue
        for line, target in _imported_names(path, name):
            if target.split(".")[0] in ("pytest", "_pytest", "IPython", "ipywidgets"):
                offenders.append(f"{path.relative_to(ROOT)}:{line}: import {target}")
    assert offenders == []


def test_the_package_shows_its_layers_as_folders() -> None:
    package = ROOT / "pytest_pareto"
    top_files = sorted(p.name for p in package.glob("*.py"))
    assert len(top_files) <= 8, top_files
    assert not list(package.rglob("_pytest_*.py"))
    for sub in SUBPACKAGES:
        assert (package / sub / "__init__.py").is_file(), sub


def test_every_module_belongs_to_a_layer() -> None:
    for name in _modules():
        if name != FACADE:
            _layer(name)


def test_no_module_imports_a_higher_layer_or_another_front_end() -> None:
    offenders = []
    for name, targets in _edges().items():
        if name == FACADE:
            continue
        for target, line in targets.items():
            where = f"{_modules()[name].relative_to(ROOT)}:{line}: {name} imports {target}"
            if target == FACADE:
                offenders.append(f"{where} (the facade: import the defining module)")
            elif _layer(target) > _layer(name):
                offenders.append(f"{where} (a higher layer)")
            elif _front_end(target) and _front_end(target) != _front_end(name):
                offenders.append(f"{where} (another front end)")
    assert offenders == []


def _cycle_from(start: str, edges: dict[str, dict[str, int]]) -> list[str] | None:
    path: list[str] = []
    on_path: set[str] = set()
    done: set[str] = set()

    def visit(node: str) -> list[str] | None:
        path.append(node)
        on_path.add(node)
        for target in sorted(edges[node]):
            if target in on_path:
                return [*path[path.index(target) :], target]
            if target not in done:
                found = visit(target)
                if found:
                    return found
        on_path.discard(path.pop())
        done.add(node)
        return None

    return visit(start)


def test_no_import_cycles_lazy_imports_included() -> None:
    edges = _edges()
    cycles = {" -> ".join(c) for name in edges if (c := _cycle_from(name, edges))}
    assert cycles == set()


def test_the_scan_sees_lazy_imports_and_cycles(tmp_path: Path) -> None:
    """The checks above can fail: a lazy import inside a function is found, and a cycle too."""
    module = tmp_path / "mod.py"
    module.write_text("def f():\n    from pytest_pareto.plugin import x\n    return x\n")
    assert (2, "pytest_pareto.plugin") in set(_imported_names(module, "pytest_pareto.model.m"))
    assert _cycle_from("a", {"a": {"b": 1}, "b": {"c": 1}, "c": {"a": 1}}) == ["a", "b", "c", "a"]
    assert _cycle_from("a", {"a": {"b": 1}, "b": {}, "c": {"a": 1}}) is None
