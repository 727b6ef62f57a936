"""The magics in a real IPython InteractiveShell: they record, compare, accept, error cleanly."""

from __future__ import annotations

import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("IPython")
pytest.importorskip("matplotlib")

from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output

from nb_ext.result import ParetoResult
from pytest_pareto.errors import ConfigError
from pytest_pareto.judging.verdict import Outcome
from pytest_pareto.measuring.notebook_records import (
    DISABLE_ENV,
    NOTEBOOK_ENV,
    RECORD_ENV,
    read_records,
)
from pytest_pareto.model.metrics import Direction
from pytest_pareto.model.points import TestBaseline
from pytest_pareto.store.baseline_files import Store
from tests.nb_support import ipython_shell, notebook_project

TEST_ID = "nbs/analysis.ipynb::predict"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project with a baselines/ folder and a notebook two levels down."""
    return notebook_project(tmp_path, monkeypatch)


@pytest.fixture
def shell(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[InteractiveShell]:
    yield from ipython_shell(tmp_path, monkeypatch)


def stored(project: Path, test_id: str = TEST_ID) -> TestBaseline | None:
    return Store(project / "baselines").load(test_id)


def cell(ip: InteractiveShell, line: str, body: str) -> ParetoResult:
    name, _, rest = line.partition(" ")
    result = ip.run_cell_magic("pareto", f"{name} -o -q {rest}", body)
    assert isinstance(result, ParetoResult)
    return result


def test_first_run_records_a_new_result_shows_a_card_and_keeps_the_namespace(
    shell: InteractiveShell, project: Path
) -> None:
    with capture_output() as captured:
        result = shell.run_cell_magic(
            "pareto", "predict --rounds 3 -o -- data = [1, 2, 3]", "total = sum(data)\n0.9"
        )
    assert result.test_id == TEST_ID
    assert result.outcome is Outcome.NEW
    assert shell.user_ns["total"] == 6
    bundle = captured.outputs[0].data
    assert {"text/plain", "text/html", "image/png"} <= set(bundle)
    assert "nbs/analysis.ipynb::predict: new" in bundle["text/plain"]
    assert "%pareto_baseline accept predict" in bundle["text/plain"]

    baseline = stored(project)
    assert baseline is not None
    assert baseline.points == ()  # the frontier changes only by %pareto_baseline accept
    (run,) = baseline.history
    assert (run.event, run.verdict) == ("run", "new")
    assert run.point.value("accuracy") == 0.9
    assert {"wall_time", "cpu_time", "accuracy"} <= run.point.metric_names
    assert baseline.metrics["accuracy"].direction is Direction.HIGHER
    assert (project / "baselines" / "nbs" / "analysis.ipynb.json").is_file()


def test_runs_are_judged_against_the_frontier_which_changes_only_on_accept(
    shell: InteractiveShell, project: Path
) -> None:
    gate = "predict --metrics accuracy"
    cell(shell, gate, "0.9")
    shell.run_line_magic("pareto_baseline", "accept")
    assert [p.value("accuracy") for p in stored(project).points] == [0.9]  # type: ignore[union-attr]

    worse = cell(shell, gate, "0.8")
    assert worse.outcome is Outcome.DOMINATED
    assert "accuracy" in shell.display_formatter.format(worse)[0]["text/plain"]
    same = cell(shell, gate, "0.9")
    assert same.outcome is Outcome.PASS
    better = cell(shell, gate, "0.95")
    assert better.outcome is Outcome.IMPROVED

    baseline = stored(project)
    assert baseline is not None
    assert [p.value("accuracy") for p in baseline.points] == [0.9]
    assert [h.verdict for h in baseline.history if h.event == "run"] == [
        "new",
        "dominated",
        "pass",
        "improved",
    ]

    with capture_output() as captured:
        shell.run_line_magic("pareto_baseline", "accept predict")
    assert "pruned 1" in captured.stdout
    baseline = stored(project)
    assert baseline is not None
    assert [p.value("accuracy") for p in baseline.points] == [0.95]
    assert [h.point.value("accuracy") for h in baseline.history if h.event == "pruned"] == [0.9]


def test_accepting_a_dominated_run_retires_the_better_point(
    shell: InteractiveShell, project: Path
) -> None:
    cell(shell, "predict --metrics accuracy", "0.9")
    shell.run_line_magic("pareto_baseline", "accept predict")
    assert cell(shell, "predict --metrics accuracy", "0.7").outcome is Outcome.DOMINATED
    shell.run_line_magic("pareto_baseline", "accept")
    baseline = stored(project)
    assert baseline is not None
    assert [p.value("accuracy") for p in baseline.points] == [0.7]
    assert [h.point.value("accuracy") for h in baseline.history if h.event == "retired"] == [0.9]


def test_setup_code_on_the_magic_line_runs_once_and_is_not_timed(
    shell: InteractiveShell, project: Path
) -> None:
    result = cell(
        shell,
        "predict --rounds 3 --iterations 2 --warmup 1 --metrics wall_time "
        "-- import time; time.sleep(0.3); calls = []",
        "calls.append(1)",
    )
    assert len(shell.user_ns["calls"]) == 1 + 3 * 2  # warm-up, then rounds x iterations
    assert result.new is not None
    assert result.new.metric_names == {"wall_time"}
    assert result.new.value("wall_time") < 0.1  # the 0.3 s setup is not in it


def test_quality_name_and_direction_and_a_conflicting_direction(
    shell: InteractiveShell, project: Path
) -> None:
    loss = "predict --metrics loss --quality loss --better lower"
    cell(shell, loss, "0.3")
    shell.run_line_magic("pareto_baseline", "accept")
    assert cell(shell, loss, "0.2").outcome is Outcome.IMPROVED
    # Without --better the stored direction is kept.
    assert cell(shell, "predict --metrics loss --quality loss", "0.5").outcome is (
        Outcome.DOMINATED
    )
    runs = len(stored(project).history)  # type: ignore[union-attr]
    with pytest.raises(UsageError, match="better=lower"):
        cell(shell, "predict --quality loss --better higher --metrics loss", "0.1")
    assert len(stored(project).history) == runs  # type: ignore[union-attr]


def test_line_form_measures_one_statement(shell: InteractiveShell, project: Path) -> None:
    result = shell.run_line_magic(
        "pareto", "squares --rounds 2 -o -q -- out = [i * i for i in range(1000)]"
    )
    assert isinstance(result, ParetoResult)
    assert result.test_id == "nbs/analysis.ipynb::squares"
    assert result.new is not None
    assert "wall_time" in result.new.metric_names
    assert "accuracy" not in result.new.metric_names  # an assignment has no value
    assert shell.user_ns["out"][-1] == 999 * 999
    assert result.rounds == 2


@pytest.mark.parametrize(
    ("line", "body", "says"),
    [
        ("", "0.9", "the following arguments are required: name"),
        ("p --rounds zero", "0.9", "invalid int value"),
        ("p --rounds 0", "0.9", "rounds= must be an integer >= 1"),
        ("p --tolerance wall_time", "0.9", "METRIC=TOL"),
        ("p --tolerance wall_time=fast", "0.9", "tolerance for metric 'wall_time'"),
        ("p --better sideways", "0.9", "invalid choice"),
        ("p --metrics no_such_metric", "0.9", "no_such_metric"),
        ("p --unknown", "0.9", "unrecognized arguments"),
        ("bad/name", "0.9", "NAME 'bad/name'"),
        ("p --quality wall_time", "0.9", "conflicts with the registered metric 'wall_time'"),
        ("p --quality q", "x = 1", "must end with an expression"),
        ("p --quality q", "'text'", "not a number"),
        ("p", "   ", "needs code in the cell"),
        ("p 'unbalanced", "0.9", "cannot split"),
    ],
)
def test_bad_arguments_raise_usage_error_with_the_usage_text(
    shell: InteractiveShell, project: Path, line: str, body: str, says: str
) -> None:
    with pytest.raises(UsageError) as raised:
        shell.run_cell_magic("pareto", line, body)
    assert says in str(raised.value)
    assert "usage: %%pareto NAME [options]" in str(raised.value)
    assert list((project / "baselines").iterdir()) == []


def test_line_form_without_a_statement_is_a_usage_error(
    shell: InteractiveShell, project: Path
) -> None:
    with pytest.raises(UsageError, match="needs a statement after --"):
        shell.run_line_magic("pareto", "p --rounds 2")


def test_an_exception_in_the_cell_propagates_with_the_cells_line_and_records_nothing(
    shell: InteractiveShell, project: Path
) -> None:
    with pytest.raises(ZeroDivisionError) as raised:
        shell.run_cell_magic("pareto", "boom --rounds 2", "x = 1\nx / 0\n0.9")
    frames = traceback.extract_tb(raised.value.__traceback__)
    assert frames[-1].line == "x / 0"  # compiled with the shell's compiler: the cell's source
    assert not [f for f in frames if "pytest_pareto" in f.filename]  # no measuring machinery
    assert list((project / "baselines").iterdir()) == []

    # Through run_cell, as a notebook runs it: the error is the cell's, as usual.
    outcome = shell.run_cell("%%pareto boom\nraise KeyError('inside')")
    assert isinstance(outcome.error_in_exec, KeyError)
    assert stored(project, "nbs/analysis.ipynb::boom") is None


def test_non_numeric_last_value_is_noted_not_recorded(
    shell: InteractiveShell, project: Path
) -> None:
    result = cell(shell, "predict --rounds 2", "'a string'")
    assert result.new is not None
    assert "accuracy" not in result.new.metric_names
    assert any("not a number" in note for note in result.notes)


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("accept", "no cell was measured yet"),
        ("accept never_ran", "has no measured run to accept"),
        ("reject predict", "invalid choice"),
    ],
)
def test_baseline_magic_errors(
    shell: InteractiveShell, project: Path, line: str, says: str
) -> None:
    with pytest.raises(UsageError, match=says):
        shell.run_line_magic("pareto_baseline", line)


def test_accept_after_a_kernel_restart_takes_the_last_stored_run(
    shell: InteractiveShell, project: Path
) -> None:
    cell(shell, "predict --metrics accuracy", "0.9")
    cell(shell, "predict --metrics accuracy", "0.85")
    shell.magics_manager.registry["ParetoMagics"].__init__(shell)  # a fresh session's state
    with pytest.raises(UsageError, match="no cell was measured yet"):
        shell.run_line_magic("pareto_baseline", "accept")
    shell.run_line_magic("pareto_baseline", "accept predict")
    assert [p.value("accuracy") for p in stored(project).points] == [0.85]  # type: ignore[union-attr]


def test_history_magic_shows_the_stored_frontier_and_runs(
    shell: InteractiveShell, project: Path
) -> None:
    cell(shell, "predict --metrics accuracy", "0.9")
    shell.run_line_magic("pareto_baseline", "accept")
    cell(shell, "predict --metrics accuracy", "0.8")
    with capture_output() as captured:
        result = shell.run_line_magic("pareto_history", "predict -o")
    assert isinstance(result, ParetoResult)
    assert result.verdict is None
    assert [p.value("accuracy") for p in result.frontier] == [0.9]
    assert [p.value("accuracy") for p in result.runs()] == [0.9, 0.8]
    bundle = captured.outputs[0].data
    assert "1 frontier point(s), 2 run(s) stored" in bundle["text/plain"]
    assert 'class="pareto-badge pareto-history"' in bundle["text/html"]
    with pytest.raises(UsageError, match=r"nothing is stored for nbs/analysis\.ipynb::other"):
        shell.run_line_magic("pareto_history", "other")


def test_outside_a_notebook_the_key_falls_back_and_the_user_is_told(
    shell: InteractiveShell, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("JPY_SESSION_NAME", RECORD_ENV, DISABLE_ENV, NOTEBOOK_ENV):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PYTEST_PARETO_STORE", str(tmp_path / "store"))
    monkeypatch.chdir(tmp_path)
    with capture_output() as captured:
        result = cell(shell, "calc --metrics accuracy", "0.5")
    assert "not in a notebook" in captured.stdout
    assert result.test_id == "ipython::calc"
    assert Store(tmp_path / "store").load("ipython::calc") is not None


def test_under_pytest_the_kernel_records_and_leaves_judging_to_pytest(
    shell: InteractiveShell, project: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    record_file = tmp_path / "records.jsonl"
    monkeypatch.setenv(RECORD_ENV, str(record_file))
    assert (
        shell.run_cell_magic(
            "pareto",
            "predict -q --rounds 2 --metrics wall_time accuracy -t accuracy=abs:0.01",
            "0.9",
        )
        is None
    )
    record = read_records(record_file)["predict"]
    assert record.samples["accuracy"].rounds == (0.9,)
    assert len(record.samples["wall_time"].rounds) == 2
    assert record.options.metrics == ("wall_time", "accuracy")
    assert record.options.tolerance["accuracy"].abs == 0.01
    assert list((project / "baselines").iterdir()) == []


def test_load_ext_pytest_pareto_is_the_same_extension(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    InteractiveShell.clear_instance()
    ip: Any = InteractiveShell.instance()
    try:
        ip.run_line_magic("load_ext", "pytest_pareto")
        magics = ip.magics_manager.magics
        assert "pareto" in magics["cell"]
        assert {"pareto", "pareto_baseline", "pareto_history"} <= set(magics["line"])
    finally:
        InteractiveShell.clear_instance()


def test_when_pytest_disables_measuring_the_cell_runs_once_and_nothing_is_recorded(
    shell: InteractiveShell, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(DISABLE_ENV, "1")
    shell.user_ns["calls"] = []
    result = shell.run_cell_magic("pareto", "predict --rounds 5 -o", "calls.append(1)\n0.9")
    assert result is None
    assert shell.user_ns["calls"] == [1]
    with capture_output() as captured:
        shell.run_line_magic("pareto_baseline", "accept predict")
    assert "accept with pytest --pareto-update" in captured.stdout
    assert list((project / "baselines").iterdir()) == []


def test_locate_walks_up_to_baselines_then_to_a_project_marker(tmp_path: Path) -> None:
    from nb_ext.locate import locate

    root = tmp_path / "repo"
    deep = root / "analysis" / "2026"
    deep.mkdir(parents=True)
    (root / ".git").mkdir()
    notebook = str(deep / "study.ipynb")

    fallback = locate({"JPY_SESSION_NAME": notebook}, {}, cwd=deep)
    assert (fallback.root, fallback.store_root) == (root, root / "baselines")
    assert fallback.test_id("fit") == "analysis/2026/study.ipynb::fit"
    assert "no baselines/ folder found" in fallback.note

    (root / "analysis" / "baselines").mkdir()
    nearest = locate({"JPY_SESSION_NAME": notebook}, {}, cwd=deep)
    assert nearest.store_root == root / "analysis" / "baselines"
    assert nearest.test_id("fit") == "2026/study.ipynb::fit"
    assert nearest.note == ""

    # VS Code names the notebook in the namespace; a relative server path resolves in cwd.
    vscode = locate({}, {"__vsc_ipynb_file__": notebook}, cwd=tmp_path)
    assert vscode.notebook == deep / "study.ipynb"
    relative = locate({"JPY_SESSION_NAME": "study.ipynb"}, {}, cwd=deep)
    assert relative.notebook == deep / "study.ipynb"

    configured = locate(
        {"JPY_SESSION_NAME": notebook, "PYTEST_PARETO_STORE": str(tmp_path / "elsewhere" / "b")},
        {},
        cwd=deep,
    )
    assert configured.store_root == tmp_path / "elsewhere" / "b"
    assert configured.test_id("fit") == "study.ipynb::fit"  # outside that project: file name
    assert "outside the project root" in configured.note


# -- the project's pytest settings -----------------------------------------------------


def test_the_ini_tolerance_applies_to_cells(shell: InteractiveShell, project: Path) -> None:
    (project / "pyproject.toml").write_text('[tool.pytest.ini_options]\npareto_tolerance = "20%"\n')
    cell(shell, "predict --metrics accuracy", "0.9")
    shell.run_line_magic("pareto_baseline", "accept")
    # 0.8 is 11% below 0.9: within the project's 20%, where the 5% default would fail it.
    assert cell(shell, "predict --metrics accuracy", "0.8").outcome is Outcome.PASS
    assert cell(shell, "predict --metrics accuracy", "0.7").outcome is Outcome.DOMINATED


def test_the_ini_store_is_the_store(shell: InteractiveShell, project: Path) -> None:
    (project / "pytest.ini").write_text("[pytest]\npareto_store = perf/frontiers\n")
    cell(shell, "predict --metrics accuracy", "0.9")
    shell.run_line_magic("pareto_baseline", "accept")
    assert Store(project / "perf" / "frontiers").load(TEST_ID) is not None
    assert list((project / "baselines").iterdir()) == []


def test_a_bad_ini_tolerance_is_a_usage_error_naming_the_file(
    shell: InteractiveShell, project: Path
) -> None:
    from IPython.core.error import UsageError

    (project / "tox.ini").write_text("[pytest]\npareto_tolerance = lots\n")
    with pytest.raises(UsageError, match=r"pareto_tolerance in .*tox\.ini"):
        shell.run_cell_magic("pareto", "predict -o -q --metrics accuracy", "0.9")
    (project / "tox.ini").write_text("[pytest\n")
    with pytest.raises(UsageError, match=r"tox\.ini: cannot be read as an ini file"):
        shell.run_cell_magic("pareto", "predict -o -q --metrics accuracy", "0.9")


def test_settings_come_from_the_file_pytest_would_use(tmp_path: Path) -> None:
    from nb_ext.pytest_settings import read_pytest_settings

    outer, inner = tmp_path / "outer", tmp_path / "outer" / "inner"
    inner.mkdir(parents=True)
    (outer / "setup.cfg").write_text("[tool:pytest]\npareto_store = from_setup_cfg\n")
    (inner / "setup.cfg").write_text("[metadata]\nname = x\n")  # no pytest section: skipped
    (inner / "tox.ini").write_text("[tox]\nenvlist = py311\n")  # likewise
    settings = read_pytest_settings(inner)
    assert settings is not None
    assert (settings.path, settings.values) == (
        outer / "setup.cfg",
        {"pareto_store": "from_setup_cfg"},
    )

    (inner / "pyproject.toml").write_text(
        '[tool.pytest.ini_options]\npareto_store = "toml"\naddopts = "-q"\n'
    )
    assert read_pytest_settings(inner).values == {"pareto_store": "toml"}  # type: ignore[union-attr]
    (inner / "pytest.ini").write_text("")  # pytest.ini wins, even empty
    assert read_pytest_settings(inner).values == {}  # type: ignore[union-attr]

    (inner / "pytest.ini").write_text("[pytest\n")
    with pytest.raises(ConfigError, match=r"pytest\.ini: cannot be read"):
        read_pytest_settings(inner)


@pytest.mark.parametrize(
    ("options", "typo", "meant"),
    [("--metrics walltime", "walltime", "wall_time"), ("-t cpu_tme=10%", "cpu_tme", "cpu_time")],
)
def test_a_misspelt_metric_is_a_usage_error_with_the_closest_names(
    shell: InteractiveShell, project: Path, options: str, typo: str, meant: str
) -> None:
    with pytest.raises(UsageError) as raised:
        shell.run_cell_magic("pareto", f"predict -q {options}", "sum(range(10))")
    assert f"unknown metric {typo!r} (did you mean {meant}" in str(raised.value)
    assert stored(project, TEST_ID) is None


class _SteppingClock:
    """A ``perf_counter_ns`` whose every start-stop pair of the wall-time probe lasts
    ``step_ns``: wall time under the test's control at the timing boundary."""

    def __init__(self, step_ns: int) -> None:
        self.step_ns = step_ns
        self.now = 0
        self.calls = 0

    def perf_counter_ns(self) -> int:
        self.calls += 1
        if self.calls % 2 == 0:  # a stop: one round of ``step_ns``
            self.now += self.step_ns
        else:
            self.now += 1_000_000_000  # time between rounds does not count
        return self.now


def test_a_cell_worse_beyond_tolerance_in_one_process_is_inconclusive(
    shell: InteractiveShell, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import types

    from pytest_pareto.measuring import measure as measure_module
    from pytest_pareto.probes import wall_time

    monkeypatch.setattr(measure_module, "calibration_run", lambda: 1e-3)  # a steady process
    gate = "predict --metrics wall_time --rounds 5 --iterations 1"
    monkeypatch.setattr(
        wall_time,
        "time",
        types.SimpleNamespace(perf_counter_ns=_SteppingClock(1_000_000).perf_counter_ns),
    )
    assert cell(shell, gate, "sum(range(10))").outcome is Outcome.NEW
    shell.run_line_magic("pareto_baseline", "accept")
    monkeypatch.setattr(
        wall_time,
        "time",
        types.SimpleNamespace(perf_counter_ns=_SteppingClock(2_000_000).perf_counter_ns),
    )
    slower = cell(shell, gate, "sum(range(10))")
    # 2x in one process: beyond the 5 % tolerance, within the 3x a single process needs.
    assert slower.outcome is Outcome.INCONCLUSIVE
    assert "inconclusive" in shell.display_formatter.format(slower)[0]["text/plain"]
    baseline = stored(project)
    assert baseline is not None
    assert [h.verdict for h in baseline.history if h.event == "run"][-1] == "inconclusive"
