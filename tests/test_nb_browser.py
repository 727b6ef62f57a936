"""A real browser: JupyterLab on 127.0.0.1, a notebook run in headless Chromium (Playwright).

The widget's plots and verdict badge must render in the page; screenshots are saved under
``test-artifacts/``.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"

pytestmark = [pytest.mark.browser, pytest.mark.slow]

if not Path(CHROMIUM).exists():
    pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)", allow_module_level=True)
pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
pytest.importorskip("jupyterlab", reason="jupyterlab is not installed")
nbformat = pytest.importorskip("nbformat")

NOTEBOOK_CELLS = [
    "%load_ext nb_ext",
    "%%pareto demo --metrics wall_time accuracy --rounds 3 -q\nsum(range(10_000))\n0.9",
    "%pareto_baseline accept demo",
    # 10x the work and a lower accuracy: dominated whatever the timing noise.
    "%%pareto demo --metrics wall_time accuracy --rounds 3\nsum(range(100_000))\n0.8",
]


@dataclass(frozen=True)
class Lab:
    url: str
    token: str
    root: Path


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"JupyterLab exited with {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.3)
    pytest.fail(f"JupyterLab did not answer within 90 s:\n{log.read_text()}")


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """One JupyterLab server for the module, serving a project with a notebook."""
    base = tmp_path_factory.mktemp("lab")
    root = base / "project"
    (root / "baselines").mkdir(parents=True)
    (root / "notebooks").mkdir()
    (root / "pyproject.toml").write_text("")
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in NOTEBOOK_CELLS]
    nbformat.write(notebook, root / "notebooks" / "demo.ipynb")

    # User settings: no news fetching (the network is closed), no kernel-choice dialog.
    settings = base / "lab-settings"
    for plugin, values in {
        "apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
        "notebook-extension/tracker": {"autoStartDefaultKernel": True},
    }.items():
        path = settings / "@jupyterlab" / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(base / "config"),
        "JUPYTER_RUNTIME_DIR": str(base / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(settings),
        "JUPYTERLAB_WORKSPACES_DIR": str(base / "workspaces"),
    }
    for name in ("PYTEST_PARETO_STORE", "JPY_SESSION_NAME"):
        env.pop(name, None)
    port, token = _free_port(), secrets.token_hex(16)
    log = base / "jupyterlab.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "jupyterlab",
                "--allow-root",
                "--no-browser",
                "--ServerApp.ip=127.0.0.1",
                f"--ServerApp.port={port}",
                "--ServerApp.port_retries=0",
                f"--ServerApp.root_dir={root}",
                f"--IdentityProvider.token={token}",
            ],
            cwd=root,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(f"{url}/api/status?token={token}", process, log)
        yield Lab(url, token, root)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def run_all_cells(page: Any) -> None:
    """Run -> Run All Cells, once the kernel is idle; again if the click came too early."""
    page.locator(".jp-StatusBar-TextItem", has_text="Idle").first.wait_for(timeout=90_000)
    first_prompt = page.locator(".jp-Cell .jp-InputPrompt").first
    for _attempt in range(3):
        page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if first_prompt.inner_text().strip() not in ("[ ]:", ""):
                return
            time.sleep(0.25)
    pytest.fail("Run All Cells did not start the notebook")


def test_widget_plot_and_verdict_render_in_jupyterlab(lab: Lab) -> None:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1100})
            page.goto(
                f"{lab.url}/lab/tree/notebooks/demo.ipynb?token={lab.token}&reset",
                timeout=90_000,
            )
            page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=90_000)
            run_all_cells(page)

            widget = page.locator(".pareto-widget")
            try:
                widget.wait_for(state="visible", timeout=30_000)
            except Exception:
                page.screenshot(path=str(ARTIFACTS / "nb_browser_failure.png"), full_page=True)
                raise
            badge = widget.locator(".pareto-badge")
            assert "dominated" in badge.inner_text()
            assert "notebooks/demo.ipynb::demo" in widget.locator(".pareto-verdict").inner_text()
            assert "accuracy" in widget.locator("table.pareto-metrics").inner_text()

            frontier = widget.locator("img.pareto-frontier-plot")
            frontier.wait_for(state="visible")
            width = frontier.evaluate("img => img.complete ? img.naturalWidth : 0")
            assert width >= 300, "the frontier plot did not load"
            assert widget.locator("select").count() == 2  # the axis dropdowns
            widget.scroll_into_view_if_needed()
            page.screenshot(path=str(ARTIFACTS / "nb_browser.png"), full_page=True)
            widget.screenshot(path=str(ARTIFACTS / "nb_browser_widget.png"))

            widget.locator(".lm-TabBar-tab", has_text="history").click()
            history = widget.locator("img.pareto-history-plot")
            history.wait_for(state="visible")
            width = history.evaluate("img => img.complete ? img.naturalWidth : 0")
            assert width >= 300, "the history plot did not load"
            widget.screenshot(path=str(ARTIFACTS / "nb_browser_history.png"))
        finally:
            browser.close()

    # The kernel found its notebook through the server (JPY_SESSION_NAME) and the project's
    # baselines/ by walking up from it.
    baseline = json.loads((lab.root / "baselines" / "notebooks" / "demo.ipynb.json").read_text())
    demo = baseline["tests"]["demo"]
    assert len(demo["points"]) == 1
    assert [h["verdict"] for h in demo["history"] if h["event"] == "run"] == ["new", "dominated"]
