"""``pytest-pareto plot``: PNG and SVG figures of a frontier and its history that open."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from cli_support import MACHINE_B, accept_run, point, put, run_cli

from pytest_pareto.store.baseline_files import Store

PIL = pytest.importorskip("PIL.Image", reason="Pillow comes with matplotlib: pip install -e .[dev]")
if importlib.util.find_spec("matplotlib") is None:  # not imported here: the CLI draws
    pytest.skip("plots need matplotlib: pip install -e .[dev]", allow_module_level=True)

TEST = "tests/test_model.py::test_predict"
FRONTIER_BLUE = (0x1F, 0x77, 0xB4)
OTHER_MACHINE_PURPLE = (0x94, 0x67, 0xBD)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = Store(tmp_path / "baselines")
    for day, (latency, accuracy) in enumerate([(0.010, 0.90), (0.008, 0.92), (0.005, 0.85)]):
        at = f"2026-01-0{day + 1}T00:00:00Z"
        accept_run(store, TEST, point({"latency": latency, "accuracy": accuracy}, at=at), at)
    put(store, "tests/test_model.py::test_memory", [point({"memory": 2.0**20})])
    return store


def _colours(path: Path) -> set[tuple[int, int, int]]:
    with PIL.open(path) as image:
        counts = image.convert("RGB").getcolors(maxcolors=2**24)
    assert counts is not None
    return {colour for _, colour in counts}


def test_png_of_frontier_and_history(store: Store, tmp_path: Path) -> None:
    out = tmp_path / "figs" / "predict.png"
    result = run_cli("plot", TEST, "-o", out, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"wrote {out}" in result.stdout
    with PIL.open(out) as image:
        assert image.format == "PNG"
        assert image.width > image.height > 300  # two panels side by side
    assert FRONTIER_BLUE in _colours(out)  # frontier points are drawn


def test_svg_with_chosen_axes(store: Store, tmp_path: Path) -> None:
    out = tmp_path / "predict.svg"
    result = run_cli("plot", TEST, "--x", "accuracy", "--y", "latency", "-o", out, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    root = ET.parse(out).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert float(root.attrib["width"].removesuffix("pt")) > 100


def test_points_of_another_machine_get_their_own_colour(tmp_path: Path) -> None:
    store = Store(tmp_path / "baselines")
    put(
        store,
        TEST,
        [
            point({"latency": 0.01, "accuracy": 0.9}),
            point({"latency": 0.002, "accuracy": 0.9}, machine=MACHINE_B),
        ],
    )
    out = tmp_path / "two.png"
    assert run_cli("plot", TEST, "-o", out, cwd=tmp_path).returncode == 0
    colours = _colours(out)
    assert FRONTIER_BLUE in colours
    assert OTHER_MACHINE_PURPLE in colours


def test_all_writes_one_figure_per_test(store: Store, tmp_path: Path) -> None:
    result = run_cli("plot", "--all", tmp_path / "figs", "--format", "svg", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    files = sorted(p.name for p in (tmp_path / "figs").iterdir())
    assert files == [
        "tests_test_model.py__test_memory.svg",
        "tests_test_model.py__test_predict.svg",
    ]
    for name in files:
        ET.parse(tmp_path / "figs" / name)  # well-formed
    assert "2 figure(s)" in result.stdout


def test_a_single_metric_is_plotted_as_a_timeline(store: Store, tmp_path: Path) -> None:
    out = tmp_path / "memory.png"
    assert (
        run_cli("plot", "tests/test_model.py::test_memory", "-o", out, cwd=tmp_path).returncode == 0
    )
    with PIL.open(out) as image:
        assert image.width < 1000  # one panel


def test_plot_errors_exit_2(store: Store, tmp_path: Path) -> None:
    unknown_metric = run_cli("plot", TEST, "--x", "energy", "-o", tmp_path / "x.png", cwd=tmp_path)
    assert unknown_metric.returncode == 2
    assert "no metric 'energy' is stored; its metrics are: accuracy, latency" in (
        unknown_metric.stderr
    )
    bad_suffix = run_cli("plot", TEST, "-o", tmp_path / "x.jpg", cwd=tmp_path)
    assert bad_suffix.returncode == 2
    assert ".png or .svg" in bad_suffix.stderr
    no_output = run_cli("plot", TEST, cwd=tmp_path)
    assert no_output.returncode == 2
    assert "-o FILE" in no_output.stderr
    unknown_test = run_cli("plot", "tests/nope.py::test", "-o", tmp_path / "x.png", cwd=tmp_path)
    assert unknown_test.returncode == 2
    assert "no stored test" in unknown_test.stderr
    assert not (tmp_path / "x.png").exists()


def test_without_matplotlib_says_what_to_install(store: Store, tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "sys.modules['matplotlib'] = None  # as if it were not installed\n"
        "from pytest_pareto.cli import main\n"
        f"sys.exit(main(['plot', {TEST!r}, '-o', 'x.png']))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert result.returncode == 2
    assert "plots need matplotlib: pip install 'pytest-pareto[jupyter]'" in result.stderr
    assert not (tmp_path / "x.png").exists()
