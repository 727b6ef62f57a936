"""``pytest-pareto prune``: stored points of tests (asked of pytest) and machines that are gone."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_support import MACHINE_A, MACHINE_B, measured_module, point, put, run_cli

from pytest_pareto.store.baseline_files import Store


def _stored_ids(root: Path) -> set[str]:
    return {b.test_id for b in Store(root).iter_baselines()}


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*.json"))}


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    """Three measured tests in two modules (one parametrized), recorded by pytest."""
    pytester.makepyfile(
        test_keep=measured_module({"test_a": {"loss": 1.0}, "test_b": {"loss": 2.0}})
        + "\n\n@pytest.mark.pareto\n@pytest.mark.parametrize('n', [1, 2])\n"
        "def test_p(pareto, n):\n    pareto.record('loss', float(n))\n",
        test_other=measured_module({"test_c": {"loss": 3.0}}),
    )
    pytester.runpytest("--pareto-update", "-p", "no:cacheprovider").assert_outcomes(passed=5)
    return pytester


@pytest.mark.slow
def test_prune_removes_tests_pytest_no_longer_collects(project: pytest.Pytester) -> None:
    root = project.path
    store = root / "baselines"
    assert _stored_ids(store) == {
        "test_keep.py::test_a",
        "test_keep.py::test_b",
        "test_keep.py::test_p[1]",
        "test_keep.py::test_p[2]",
        "test_other.py::test_c",
    }
    # test_b is deleted, the parameter 2 no longer generated, test_other.py removed
    (root / "test_keep.py").write_text(
        measured_module({"test_a": {"loss": 1.0}})
        + "\n\n@pytest.mark.pareto\n@pytest.mark.parametrize('n', [1])\n"
        "def test_p(pareto, n):\n    pareto.record('loss', float(n))\n"
    )
    (root / "test_other.py").unlink()
    before = _snapshot(store)

    dry = run_cli("prune", "--dry-run", "--", "-p", "no:cacheprovider", cwd=root)
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert "2 tests collected" in dry.stdout
    assert "test_keep.py::test_b: remove the test: not collected from test_keep.py" in dry.stdout
    assert "test_keep.py::test_p[2]: remove the test" in dry.stdout
    assert "test_other.py::test_c: remove the test: module test_other.py does not exist" in (
        dry.stdout
    )
    assert "dry run: nothing was changed" in dry.stdout
    assert _snapshot(store) == before

    real = run_cli("prune", "--", "-p", "no:cacheprovider", cwd=root)
    assert real.returncode == 0, real.stdout + real.stderr
    assert _stored_ids(store) == {"test_keep.py::test_a", "test_keep.py::test_p[1]"}
    assert not (store / "test_other.py.json").exists()
    again = run_cli("prune", "--", "-p", "no:cacheprovider", cwd=root)
    assert again.returncode == 0
    assert "nothing to prune" in again.stdout


def test_deselection_and_narrow_paths_keep_tests(project: pytest.Pytester) -> None:
    store = project.path / "baselines"
    before = _snapshot(store)
    narrow = run_cli("prune", "--", "test_other.py", "-k", "nothing_matches", cwd=project.path)
    assert narrow.returncode == 0, narrow.stdout + narrow.stderr
    assert "nothing to prune" in narrow.stdout
    assert _snapshot(store) == before


def test_collection_errors_prune_nothing(project: pytest.Pytester) -> None:
    store = project.path / "baselines"
    before = _snapshot(store)
    (project.path / "test_other.py").write_text("import no_such_module_anywhere\n")
    result = run_cli("prune", cwd=project.path)
    assert result.returncode == 2
    assert "(collection errors)" in result.stderr
    assert "nothing pruned" in result.stderr
    assert _snapshot(store) == before


def test_prune_machines(tmp_path: Path) -> None:
    store = Store(tmp_path / "baselines")
    mixed = [point({"memory": 1.0}), point({"memory": 0.5}, machine=MACHINE_B)]
    put(store, "t.py::test_mixed", mixed)
    put(store, "t.py::test_only_b", [point({"memory": 0.5}, machine=MACHINE_B)])
    put(store, "t.py::test_unknown", [point({"memory": 0.5}, machine=None)])
    b_class = MACHINE_B.hardware_class

    dry = run_cli("prune", "--no-collect", "--machine", b_class, "--dry-run", cwd=tmp_path)
    assert dry.returncode == 0
    assert f"t.py::test_mixed: remove 1 frontier point(s), 0 history entries [{mixed[1].id}]" in (
        dry.stdout
    )
    assert "t.py::test_only_b: remove the test" in dry.stdout
    assert "test_unknown" not in dry.stdout

    assert run_cli("prune", "--no-collect", "--machine", b_class, cwd=tmp_path).returncode == 0
    assert _stored_ids(store.root) == {"t.py::test_mixed", "t.py::test_unknown"}
    remaining = store.load("t.py::test_mixed")
    assert remaining is not None
    assert remaining.points == (mixed[0],)

    keep = run_cli(
        "prune", "--no-collect", "--keep-machine", MACHINE_A.hardware_class, cwd=tmp_path
    )
    assert keep.returncode == 0
    assert _stored_ids(store.root) == {"t.py::test_mixed"}  # 'unknown' machine went too


def test_prune_usage_errors(tmp_path: Path) -> None:
    assert run_cli("prune", "--no-collect", cwd=tmp_path).returncode == 2  # no baselines/
    assert run_cli("prune", "--bogus", cwd=tmp_path).returncode == 2
    put(Store(tmp_path / "baselines"), "t.py::test_x", [point({"memory": 1.0})])
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    nothing = run_cli("prune", cwd=tmp_path)
    assert nothing.returncode == 2
    assert "collected no tests; nothing pruned" in nothing.stderr
    assert _stored_ids(tmp_path / "baselines") == {"t.py::test_x"}
