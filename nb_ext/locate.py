"""Where a notebook is, which project it belongs to, and where that project's baselines are."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nb_ext.pytest_settings import PytestSettings, read_pytest_settings
from pytest_pareto.measuring.notebook_records import NOTEBOOK_ENV

__all__ = ["OUTSIDE_NOTEBOOK_KEY", "STORE_ENV", "Location", "locate", "notebook_path"]

STORE_ENV = "PYTEST_PARETO_STORE"
"""Folder of the baseline files, overriding the search for ``baselines/``."""
OUTSIDE_NOTEBOOK_KEY = "ipython"
"""Key prefix of results measured outside a notebook (plain IPython)."""

_PROJECT_MARKERS = ("pyproject.toml", "setup.cfg", "setup.py", "pytest.ini", "tox.ini", ".git")


@dataclass(frozen=True)
class Location:
    """The notebook a cell runs in, and the baselines its results are judged against."""

    notebook: Path | None
    """The notebook file, or ``None`` outside a notebook."""
    root: Path
    """The project root: test ids are relative to it, as pytest's node ids are."""
    store_root: Path
    """The ``baselines/`` folder."""
    prefix: str
    """The first part of each cell's test id: the notebook path relative to ``root``."""
    note: str = ""
    """How the location was chosen, when the user should know (a fallback)."""
    settings: PytestSettings | None = None
    """The project's pytest configuration, when there is one."""

    def test_id(self, name: str) -> str:
        return f"{self.prefix}::{name}"


def notebook_path(environ: Mapping[str, str], user_ns: Mapping[str, Any], cwd: Path) -> Path | None:
    """The running notebook's file: set by pytest, by Jupyter's server, or by VS Code."""
    candidates = [
        environ.get(NOTEBOOK_ENV),
        environ.get("JPY_SESSION_NAME"),
        user_ns.get("__vsc_ipynb_file__"),
    ]
    for candidate in candidates:
        if not isinstance(candidate, str) or not candidate.endswith(".ipynb"):
            continue
        path = Path(candidate)
        if not path.is_absolute():
            # The kernel runs in the notebook's folder; the server may name a relative path.
            path = cwd / path if (cwd / path).exists() else cwd / path.name
        return path.resolve()
    return None


def _walk_up(start: Path) -> list[Path]:
    return [start, *start.parents]


def locate(
    environ: Mapping[str, str] | None = None,
    user_ns: Mapping[str, Any] | None = None,
    cwd: Path | None = None,
) -> Location:
    """Find the notebook, the project root and the baselines folder.

    The store is ``$PYTEST_PARETO_STORE`` if set, else the ``pareto_store`` of the pytest
    configuration pytest would find from the notebook's folder (relative to that file's
    folder), else the nearest ``baselines/`` folder walking up from the notebook's folder,
    else ``baselines/`` in the nearest folder that looks like a project root
    (``pyproject.toml``, ``.git``, ...), else next to the notebook.
    """
    environ = os.environ if environ is None else environ
    cwd = (cwd or Path.cwd()).resolve()
    notebook = notebook_path(environ, user_ns or {}, cwd)
    start = notebook.parent if notebook is not None else cwd
    notes = []
    if notebook is None:
        notes.append(
            f"not in a notebook (JPY_SESSION_NAME is not set): results are keyed "
            f"'{OUTSIDE_NOTEBOOK_KEY}::NAME'"
        )

    settings = read_pytest_settings(start)
    configured = environ.get(STORE_ENV)
    if configured:
        store_root = (cwd / configured).resolve()
        root = store_root.parent
    elif settings is not None and settings.values.get("pareto_store"):
        root = settings.root
        store_root = (root / settings.values["pareto_store"]).resolve()
    else:
        found = next((d for d in _walk_up(start) if (d / "baselines").is_dir()), None)
        if found is None:
            found = next(
                (d for d in _walk_up(start) if any((d / m).exists() for m in _PROJECT_MARKERS)),
                start,
            )
            notes.append(f"no baselines/ folder found: it will be created in {found}")
        root = found
        store_root = root / "baselines"

    if notebook is None:
        prefix = OUTSIDE_NOTEBOOK_KEY
    elif notebook.is_relative_to(root):
        prefix = notebook.relative_to(root).as_posix()
    else:
        prefix = notebook.name
        notes.append(f"{notebook} is outside the project root {root}: keyed by its file name")
    return Location(notebook, root, store_root, prefix, "; ".join(notes), settings)
