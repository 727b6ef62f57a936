"""Notebooks as tests: real notebooks (nbformat) run through nbclient in a real ipykernel."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

from pytest_pareto.measuring.notebook_records import (  # noqa: E402
    DISABLE_ENV,
    NOTEBOOK_ENV,
    RECORD_ENV,
)
from pytest_pareto.store.baseline_files import Store  # noqa: E402


def write_notebook(folder: Path, *sources: str, name: str = "model.ipynb") -> Path:
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in sources]
    path = folder / name
    nbformat.write(notebook, path)
    return path


def model_notebook(folder: Path, slowdown: int) -> Path:
    """Two measured cells; ``slowdown`` makes the first 10x slower and less accurate, and
    breaks a third cell."""
    return write_notebook(
        folder,
        "%load_ext nb_ext",
        f"import time\nSLOWDOWN = {slowdown}",
        "%%pareto predict --rounds 3 --iterations 1 --metrics wall_time accuracy\n"
        "time.sleep(0.02 * SLOWDOWN)\n"
        "0.9 if SLOWDOWN == 1 else 0.6",
        "%%pareto steady --metrics accuracy\n0.75",
        "%%pareto fragile --metrics accuracy\n"
        "if SLOWDOWN > 1:\n"
        "    raise RuntimeError('injected failure')\n"
        "0.5",
        "%pareto after --metrics accuracy -- 0.25",
    )


@pytest.mark.slow
def test_first_run_records_then_a_10x_slower_cell_fails(pytester: pytest.Pytester) -> None:
    pytester.makepyprojecttoml("")
    model_notebook(pytester.path, slowdown=1)

    first = pytester.runpytest("--pareto-notebooks", "--pareto-update", "-p", "no:cacheprovider")
    first.assert_outcomes(passed=4)
    first.stdout.fnmatch_lines(["*model.ipynb::predict: added*", "*model.ipynb::after: added*"])
    store = Store(pytester.path / "baselines")
    predict = store.load("model.ipynb::predict")
    assert predict is not None
    (point,) = predict.points
    assert point.metric_names == {"wall_time", "accuracy"}
    assert point.value("accuracy") == 0.9
    assert point.observations["wall_time"].samples[0].count == 3  # --rounds 3
    assert [p.value("accuracy") for p in store.load("model.ipynb::after").points] == [0.25]  # type: ignore[union-attr]

    model_notebook(pytester.path, slowdown=10)
    second = pytester.runpytest("--pareto-notebooks", "-p", "no:cacheprovider")
    second.assert_outcomes(passed=1, failed=3)
    text = second.stdout.str()
    second.stdout.fnmatch_lines(
        [
            "*_ model.ipynb::predict (cell 2) _*",
            "pareto: dominated*",
            "*accuracy*0.6*0.9*-33.3%*worse*",
            "*worse on: accuracy -33.3%*",
            "*model.ipynb, cell 4 (fragile):*",
            "*RuntimeError: injected failure*",
            "*model.ipynb, cell 5 (after):*",
            "not run: cell 4 failed before it (RuntimeError: injected failure)",
        ]
    )
    assert "wall_time" in text
    # Judging does not change the frontier.
    assert store.load("model.ipynb::predict").points == (point,)  # type: ignore[union-attr]


@pytest.mark.slow
def test_with_pareto_disable_the_notebook_runs_unmeasured(pytester: pytest.Pytester) -> None:
    write_notebook(
        pytester.path,
        "%load_ext nb_ext",
        "%%pareto once --rounds 50\nopen('ran.txt', 'a').write('x')\n0.9",
    )
    result = pytester.runpytest("--pareto-notebooks", "--pareto-disable", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    assert (pytester.path / "ran.txt").read_text() == "x"  # once: not warmed up nor timed
    assert not (pytester.path / "baselines").exists()


def test_notebooks_are_collected_only_with_the_option(pytester: pytest.Pytester) -> None:
    write_notebook(pytester.path, "%load_ext nb_ext", "%%pareto one\n1.0", "%pareto two -- 2.0")
    collected = pytester.runpytest("--pareto-notebooks", "--collect-only", "-q")
    collected.stdout.fnmatch_lines(["model.ipynb::one", "model.ipynb::two"])
    without = pytester.runpytest("--collect-only", "-q", "-p", "no:cacheprovider")
    assert "model.ipynb" not in without.stdout.str()


def test_duplicate_names_and_a_missing_name_are_collection_errors(
    pytester: pytest.Pytester,
) -> None:
    write_notebook(pytester.path, "%%pareto same\n1.0", "%%pareto same\n2.0", name="dup.ipynb")
    write_notebook(pytester.path, "%%pareto --rounds 3\n1.0", name="noname.ipynb")
    result = pytester.runpytest("--pareto-notebooks", "--collect-only")
    result.stdout.fnmatch_lines(
        [
            "*dup.ipynb, cell 1: NAME 'same' is already used by cell 0*",
            "*noname.ipynb, cell 0: %%pareto needs NAME first*",
        ]
    )
    assert result.ret != 0


def test_cell_records_round_trip(tmp_path: Path) -> None:
    from pytest_pareto.measuring.notebook_records import CellRecord, append_record, read_records
    from pytest_pareto.measuring.options import TestOptions
    from pytest_pareto.model.metrics import Tolerance
    from pytest_pareto.model.points import Sample
    from tests.conftest import ACCURACY, WALL_TIME

    record = CellRecord(
        "predict",
        {"wall_time": Sample((0.1, 0.2)), "accuracy": Sample((0.9,))},
        {"wall_time": WALL_TIME, "accuracy": ACCURACY},
        TestOptions(metrics=("accuracy",), tolerance={"accuracy": Tolerance(abs=0.01)}),
        ("a note",),
    )
    path = tmp_path / "records.jsonl"
    append_record(path, record)
    append_record(path, record)
    assert read_records(path) == {"predict": record}
    assert len(path.read_text().splitlines()) == 2
    assert json.loads(path.read_text().splitlines()[0])["gating"] == ["accuracy"]


@pytest.mark.slow
def test_a_saved_notebook_shows_the_result_card_in_nbconvert(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In a real kernel the magic shows the widget and ``-o``'s value is the card, so a
    notebook rendered without a widget manager still shows the verdict and its plots."""
    nbclient = pytest.importorskip("nbclient")
    nbconvert = pytest.importorskip("nbconvert")
    (tmp_path / "baselines").mkdir()
    (tmp_path / "pyproject.toml").write_text("")
    path = write_notebook(
        tmp_path, "%load_ext nb_ext", "%%pareto predict --metrics accuracy -o\n0.9"
    )
    for name in ("PYTEST_PARETO_STORE", RECORD_ENV, DISABLE_ENV, NOTEBOOK_ENV):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("JPY_SESSION_NAME", str(path))
    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        notebook, timeout=120, resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()
    nbformat.write(notebook, path)

    shown, value = notebook.cells[1].outputs
    card = {"text/plain", "text/html", "image/png", "application/vnd.pytest-pareto.result+json"}
    assert shown.output_type == "display_data"
    assert card | {"application/vnd.jupyter.widget-view+json"} <= set(shown.data)
    assert value.output_type == "execute_result"
    assert set(value.data) == card
    page, _ = nbconvert.HTMLExporter().from_notebook_node(nbformat.read(path, as_version=4))
    assert 'class="pareto-badge pareto-new"' in page
    assert "data:image/png;base64," in page
