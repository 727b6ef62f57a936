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
from pytest_pareto.store.baseline_files import Store
from tests.nb_support import ipython_shell, notebook_project


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return notebook_project(tmp_path, monkeypatch)


@pytest.fixture
def shell(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[InteractiveShell]:
    yield from ipython_shell(tmp_path, monkeypatch)


def run(ip: InteractiveShell, slots: int) -> ParetoResult:
    body = f"data = [0] * {slots}\n"
    result = ip.run_cell_magic("pareto", "build -o -q --metrics py_alloc_peak --rounds 2", body)
    assert isinstance(result, ParetoResult)
    return result


def test_a_dominated_cell_shows_where_its_memory_went(
    project: Path, shell: InteractiveShell
) -> None:
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
    baseline = Store(project / "baselines").load(slower.test_id)
    assert baseline is not None
    assert ALLOCATIONS_INFO in baseline.points[0].extra_info
