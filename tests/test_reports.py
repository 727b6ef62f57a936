"""``--pareto-report`` files (JSON, markdown, HTML) and JUnit XML properties of a pytest run."""

from __future__ import annotations

import base64
import importlib.util
import io
import json
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from cli_support import measured_module

from pytest_pareto.reports.run_report import REPORT_FORMAT, load_report

try:  # imported before any pytester run, which would unload it afterwards
    from PIL import Image
except ImportError:  # Pillow comes with matplotlib (the jupyter extra)
    Image = None  # type: ignore[assignment]

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"

BASE = {
    "test_slow": {"loss": 1.0, "accuracy": 0.9},
    "test_fast": {"loss": 1.0, "accuracy": 0.9},
}
CHANGED = {
    "test_slow": {"loss": 1.5, "accuracy": 0.9},  # dominated: loss +50%
    "test_fast": {"loss": 0.5, "accuracy": 0.9},  # improved
    "test_new": {"loss": 1.0},  # no baseline
}


def _two_runs(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    """Record BASE, then run CHANGED with ``args``."""
    pytester.makepyfile(test_m=measured_module(BASE))
    pytester.runpytest("-p", "no:cacheprovider", "--pareto-update").assert_outcomes(passed=2)
    pytester.makepyfile(test_m=measured_module(CHANGED))
    return pytester.runpytest("-p", "no:cacheprovider", *args)


def test_json_report_schema(pytester: pytest.Pytester) -> None:
    result = _two_runs(pytester, "--pareto-report", "out/run.json")
    result.assert_outcomes(passed=2, failed=1)
    path = pytester.path / "out" / "run.json"
    result.stdout.fnmatch_lines([f"pareto report: {path}"])
    data = json.loads(path.read_text())
    assert set(data) == {
        "format",
        "schema_version",
        "pytest_pareto_version",
        "created_at",
        "mode",
        "strict",
        "commit",
        "machine",
        "summary",
        "tests",
        "changes",
        "errors",
    }
    assert data["format"] == REPORT_FORMAT
    assert data["schema_version"] == 1
    assert data["mode"] == "judge"
    assert data["strict"] is False
    assert data["changes"] == []
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", data["created_at"])
    assert data["machine"]["class"]
    assert data["summary"] == {
        "tests": 3,
        "outcomes": {"dominated": 1, "improved": 1, "new": 1},
        "failed": ["test_m.py::test_slow"],
    }
    tests = data["tests"]
    assert [t["test_id"] for t in tests] == [
        "test_m.py::test_slow",
        "test_m.py::test_fast",
        "test_m.py::test_new",
    ]
    slow = tests[0]
    assert slow["outcome"] == "dominated"
    assert slow["fails"] is True
    assert slow["candidate"]["metrics"]["loss"]["value"] == 1.5
    decisive = slow["against"][slow["decisive"]]
    assert decisive["metrics"]["loss"]["relation"] == "worse"
    assert decisive["metrics"]["loss"]["change"] == pytest.approx(0.5)
    assert decisive["reference"]["metrics"]["loss"]["value"] == 1.0
    assert tests[2]["against"] == []
    assert tests[2]["reason"] == "no baseline"

    report = load_report(path)  # reads back into verdicts
    assert [v.outcome.value for v in report.verdicts] == ["dominated", "improved", "new"]
    assert [v.test_id for v in report.failed] == ["test_m.py::test_slow"]


def test_update_report_lists_frontier_changes(pytester: pytest.Pytester) -> None:
    result = _two_runs(pytester, "--pareto-update", "--pareto-report", "update.json")
    result.assert_outcomes(passed=3)
    data = json.loads((pytester.path / "update.json").read_text())
    assert data["mode"] == "update"
    assert data["summary"]["failed"] == []
    changes = {c["test_id"]: c for c in data["changes"]}
    assert set(changes) == {f"test_m.py::{name}" for name in CHANGED}
    slow = changes["test_m.py::test_slow"]
    assert slow["added"]["metrics"]["loss"]["value"] == 1.5
    assert [p["metrics"]["loss"]["value"] for p in slow["retired"]] == [1.0]
    assert [p["metrics"]["loss"]["value"] for p in changes["test_m.py::test_fast"]["pruned"]] == [
        1.0
    ]
    assert slow["description"].startswith(
        f"added {slow['added']['id']}, retired {slow['retired'][0]['id']} (an accepted regression"
    )
    assert slow["regressions"] == {slow["retired"][0]["id"]: "loss +50.0%"}


def test_markdown_report_and_github_step_summary(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = pytester.path / "step_summary.md"
    summary.write_text("# earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    _two_runs(pytester, "--pareto-report", "pareto.md").assert_outcomes(passed=2, failed=1)
    text = (pytester.path / "pareto.md").read_text()
    lines = text.splitlines()
    assert lines[0] == "## pytest-pareto: ❌ regressions found"
    assert "**1 dominated, 1 improved, 1 new**" in lines
    row = lines.index("| ❌ | `test_m.py::test_slow` | dominated | accuracy | 0.9 | 0.9 | +0.0% |")
    assert lines[row + 1] == "|  |  |  | loss | 1.5 | 1 | +50.0% |"
    assert "| ⬆️ | `test_m.py::test_fast` | improved | accuracy | 0.9 | 0.9 | +0.0% |" in lines
    assert "| 🆕 | `test_m.py::test_new` | new | loss | 1 |  |  |" in lines
    assert "<details open><summary>❌ test_m.py::test_slow: dominated</summary>" in lines
    assert "  worse on: loss +50.0%" in lines
    assert summary.read_text() == "# earlier step\n" + text


def test_no_step_summary_without_the_variable(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    pytester.makepyfile(test_m=measured_module({"test_a": {"loss": 1.0}}))
    result = pytester.runpytest("-p", "no:cacheprovider", "--pareto-report", "r.md")
    result.assert_outcomes(passed=1)
    assert sorted(p.name for p in pytester.path.iterdir() if p.suffix == ".md") == ["r.md"]
    assert "pareto report: " in result.stdout.str()


def test_junit_xml_properties(pytester: pytest.Pytester) -> None:
    _two_runs(pytester, "--junitxml=junit.xml").assert_outcomes(passed=2, failed=1)
    root = ET.parse(pytester.path / "junit.xml").getroot()
    properties = {
        case.attrib["name"]: {p.attrib["name"]: p.attrib["value"] for p in case.iter("property")}
        for case in root.iter("testcase")
    }
    slow = properties["test_slow"]
    assert slow["pareto_outcome"] == "dominated"
    assert float(slow["pareto_loss"]) == 1.5
    assert float(slow["pareto_accuracy"]) == 0.9
    assert float(slow["pareto_loss_change"]) == pytest.approx(0.5)
    assert float(slow["pareto_accuracy_change"]) == 0.0
    assert re.fullmatch(r"[0-9a-f]{8}", slow["pareto_against"])
    assert properties["test_new"] == {"pareto_outcome": "new", "pareto_loss": "1.0"}


def test_report_options_are_checked(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_m=measured_module({"test_a": {"loss": 1.0}}))
    bad = pytester.runpytest("--pareto-report", "report.txt")
    assert bad.ret == pytest.ExitCode.USAGE_ERROR
    bad.stderr.fnmatch_lines(["*--pareto-report report.txt: name the file with one of .json*"])
    disabled = pytester.runpytest("--pareto-disable", "--pareto-report", "off.json")
    disabled.assert_outcomes(passed=1)
    data = json.loads((pytester.path / "off.json").read_text())
    assert data["mode"] == "disabled"
    assert data["tests"] == []
    (pytester.path / "blocked").write_text("a file where a folder should be")
    unwritable = pytester.runpytest("--pareto-report", "blocked/r.json")
    assert unwritable.ret == pytest.ExitCode.TESTS_FAILED
    unwritable.stdout.fnmatch_lines(["pareto report error: --pareto-report: cannot write*"])


@pytest.mark.slow
def test_xdist_controller_writes_one_report_with_every_verdict(pytester: pytest.Pytester) -> None:
    pytest.importorskip("xdist")
    result = _two_runs(pytester, "-n", "2", "--pareto-report", "run.json")
    result.assert_outcomes(passed=2, failed=1)
    data = json.loads((pytester.path / "run.json").read_text())
    assert data["summary"]["outcomes"] == {"dominated": 1, "improved": 1, "new": 1}


def _require_matplotlib() -> None:
    if importlib.util.find_spec("matplotlib") is None:
        pytest.skip("plots need matplotlib: pip install -e .[dev]")


def _html_report(pytester: pytest.Pytester) -> Path:
    """An HTML (and JSON) report of the two runs, drawn in subprocesses: matplotlib and numpy
    never load into this process, where pytester's in-process runs could unload numpy, which
    cannot be imported twice."""
    _require_matplotlib()
    pytester.makepyfile(test_m=measured_module(BASE))
    pytester.runpytest_subprocess("-p", "no:cacheprovider", "--pareto-update")
    pytester.makepyfile(test_m=measured_module(CHANGED))
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--pareto-report", "report.html", "--pareto-report", "r.json"
    )
    result.assert_outcomes(passed=2, failed=1)
    return pytester.path / "report.html"


def test_html_report_is_self_contained(pytester: pytest.Pytester) -> None:
    if Image is None:
        pytest.skip("Pillow comes with matplotlib: pip install -e .[dev]")
    text = _html_report(pytester).read_text()
    assert not re.search(r"(src|href)=['\"]?(https?:)?//", text)  # nothing fetched
    assert "<table id='verdicts'>" in text
    images = re.findall(r"src='data:image/png;base64,([A-Za-z0-9+/=]+)'", text)
    assert len(images) == 3  # one plot per compared or new test
    with Image.open(io.BytesIO(base64.b64decode(images[0]))) as image:
        assert image.format == "PNG"
        assert image.width > 300
    # plots are capped, most severe test first
    code = (
        "import sys\n"
        "from pytest_pareto.reports.html import render_html\n"
        "from pytest_pareto.reports.run_report import load_report\n"
        "sys.stdout.write(render_html(load_report('r.json'), max_plots=1))\n"
    )
    capped = subprocess.run(
        [sys.executable, "-c", code], cwd=pytester.path, capture_output=True, text=True, check=True
    ).stdout
    assert capped.count("data:image/png") == 1
    assert capped.index("data:image/png") < capped.index("test_m.py::test_fast: improved")
    assert "No plot: only the first 1 tests are drawn." in capped


def _browser() -> str:
    pytest.importorskip("playwright.sync_api", reason="pip install playwright (the dev extra)")
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).exists():
        pytest.skip("Chromium is not installed (apt-get install chromium fonts-liberation)")
    return chromium


@pytest.mark.browser
@pytest.mark.slow
def test_html_report_in_headless_chromium(pytester: pytest.Pytester) -> None:
    chromium = _browser()
    from playwright.sync_api import sync_playwright

    page_file = _html_report(pytester)
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "pareto-report-html.png"
    shot.unlink(missing_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 1000})
            page.goto(page_file.as_uri())
            table = page.locator("#verdicts")
            plot = page.locator("img.plot").first
            assert table.is_visible()
            assert plot.is_visible()
            rows = page.locator("#verdicts tbody tr")
            assert rows.count() == 5  # 2 + 2 metric rows + 1 for the new test
            assert "dominated" in rows.first.inner_text()
            natural = plot.evaluate("img => [img.complete, img.naturalWidth, img.naturalHeight]")
            assert natural[0] is True
            assert natural[1] > 300
            assert natural[2] > 200
            # both the table and the first plot are inside the screenshot
            for box in (table.bounding_box(), plot.bounding_box()):
                assert box is not None
                assert box["y"] + box["height"] <= 1000
            page.screenshot(path=str(shot))
        finally:
            browser.close()
    if Image is not None:
        with Image.open(shot) as image:
            assert image.size == (1100, 1000)


def test_report_and_command_modules_import_no_plotting_library() -> None:
    """matplotlib (and numpy) load only when a figure is drawn."""
    modules = [
        "pytest_pareto.cli",
        "pytest_pareto.reports.run_report",
        "pytest_pareto.reports.markdown",
        "pytest_pareto.reports.html",
        "pytest_pareto.reports.plots",
        "pytest_pareto.cli._snapshots",
        "pytest_pareto.cli._frontier_compare",
        "pytest_pareto.cli._pruning",
        "pytest_pareto.reports.export",
    ]
    code = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    heavy = ("matplotlib", "numpy", "PIL", "pytest", "_pytest", "playwright")
    assert [m for m in json.loads(out) if m.split(".")[0] in heavy] == []
