"""``%%pareto``: a dominated cell shows where its memory went, behind a disclosure."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("IPython")
pytest.importorskip("matplotlib")

from IPython.core.interactiveshell import InteractiveShell

from nb_ext.display import ResultCard
from nb_ext.result import ParetoResult
from pytest_pareto.judging.verdict import Outcome
from pytest_pareto.measuring.allocations import ALLOCATIONS_INFO
from pytest_pareto.measuring.notebook_records import DISABLE_ENV, NOTEBOOK_ENV, RECORD_ENV
from pytest_pareto.store.baseline_files import Store


@pytest.fixture
def shell(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[InteractiveShell]:
    from traitlets.config import Config

    root = tmp_path / "proj"
    (root / "baselines").mkdir(parents=True)
    (root / "pyproject.toml").write_text("")
    for name in ("PYTEST_PARETO_STORE", RECORD_ENV, DISABLE_ENV, NOTEBOOK_ENV):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("JPY_SESSION_NAME", str(root / "analysis.ipynb"))
    monkeypatch.chdir(root)
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    InteractiveShell.clear_instance()
    ip = InteractiveShell.instance(config=config)
    ip.run_line_magic("load_ext", "nb_ext")
    yield ip
    InteractiveShell.clear_instance()


def run(ip: InteractiveShell, slots: int) -> ParetoResult:
    body = f"data = [0] * {slots}\n"
    result = ip.run_cell_magic("pareto", "build -o -q --metrics py_alloc_peak --rounds 2", body)
    assert isinstance(result, ParetoResult)
    return result


def test_a_dominated_cell_shows_where_its_memory_went(shell: InteractiveShell) -> None:
    first = run(shell, 1000)
    assert "pareto-where" not in ResultCard(first).html()  # nothing to explain: no extra pass
    shell.run_line_magic("pareto_baseline", "accept build")
    slower = run(shell, 1 << 20)
    assert slower.outcome is Outcome.DOMINATED
    card = ResultCard(slower).html()
    assert '<details class="pareto-where"><summary>where the memory went</summary>' in card
    assert "8 MiB" in card
    assert "where the memory went" in ResultCard(slower).text()
    shell.run_line_magic("pareto_baseline", "accept")  # the accepted point keeps its summary
    baseline = Store(Path.cwd() / "baselines").load(slower.test_id)
    assert baseline is not None
    assert ALLOCATIONS_INFO in baseline.points[0].extra_info
