"""What the in-process magics tests share: a project with a notebook in it, and a fresh
IPython shell with the extension loaded. Import it after ``pytest.importorskip("IPython")``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from IPython.core.interactiveshell import InteractiveShell

from pytest_pareto.measuring.notebook_records import DISABLE_ENV, NOTEBOOK_ENV, RECORD_ENV


def notebook_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project with a baselines/ folder and a notebook two levels down (the working
    folder); none of the environment's own notebook settings."""
    root = tmp_path / "proj"
    (root / "baselines").mkdir(parents=True)
    (root / "nbs").mkdir()
    (root / "pyproject.toml").write_text("")
    for name in ("PYTEST_PARETO_STORE", RECORD_ENV, DISABLE_ENV, NOTEBOOK_ENV):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("JPY_SESSION_NAME", str(root / "nbs" / "analysis.ipynb"))
    monkeypatch.chdir(root / "nbs")
    return root


def ipython_shell(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[InteractiveShell]:
    """A fresh shell (history in memory) with ``nb_ext`` loaded, cleared afterwards."""
    from traitlets.config import Config

    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    InteractiveShell.clear_instance()
    ip = InteractiveShell.instance(config=config)
    ip.run_line_magic("load_ext", "nb_ext")
    yield ip
    InteractiveShell.clear_instance()
