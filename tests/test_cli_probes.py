"""``pytest-pareto probes`` and the pytest header: every probe, available or why not."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_pynvml import FakeGpu, NVMLError_LibraryNotFound, install

from pytest_pareto.cli import build_parser, main
from pytest_pareto.model.machine import current_machine
from pytest_pareto.probes import builtin_probes
from pytest_pareto.probes.torch_cuda import torch_cuda_status

NAMES = [probe.name for probe in builtin_probes()]
HAS_POWERCAP = Path("/sys/class/powercap").exists()


@pytest.fixture
def fresh_fingerprint() -> Iterator[None]:
    """The fingerprint is taken once per process; take it again under a fake NVML."""
    current_machine.cache_clear()
    yield
    current_machine.cache_clear()


def run_probes(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main(["probes", *args]) == 0
    return capsys.readouterr().out


def test_the_command_is_registered() -> None:
    assert "probes" in build_parser().format_help()


def test_every_probe_is_listed_with_how_or_why(capsys: pytest.CaptureFixture[str]) -> None:
    out = run_probes(capsys, "--no-import")
    lines = out.splitlines()
    for probe in builtin_probes():
        availability = probe.availability()
        state = "available" if availability.available else "unavailable"
        at = lines.index(f"  {probe.name}: {state}")
        detail = " ".join(lines[at + 2 : at + 5])
        if availability.available:
            assert lines[at + 2].startswith("      how: ")
        else:
            assert lines[at + 2].startswith("      why: ")
            assert availability.reason.split()[0] in detail
    assert f"  hardware class: {current_machine().hardware_class} " in out
    assert f"  CPU: {current_machine().cpu_model}" in lines


@pytest.mark.skipif(HAS_POWERCAP, reason="this machine has a powercap tree")
@pytest.mark.usefixtures("fresh_fingerprint")
@pytest.mark.parametrize("build", ["installed", "cuda-build"])
def test_here_rapl_nvml_and_cuda_are_unavailable_and_say_why(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, build: str
) -> None:
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("this torch has CUDA")
    if build == "cuda-build":  # what `pip install torch` gives on Linux, on a host without a GPU
        monkeypatch.setattr(torch.version, "cuda", "12.8")
    install(monkeypatch, [], init_error=NVMLError_LibraryNotFound)  # no NVIDIA driver
    out = run_probes(capsys)
    for expected in (
        "  rapl: unavailable",
        "      why: no RAPL energy counters: /sys/class/powercap does not exist",
        "  nvml: unavailable",
        "      why: NVML cannot start: NVML Shared Library Not Found (no NVIDIA GPU or driver on",
        "  cuda_time: unavailable",
        # What the probe says here: a CPU-only build, or a CUDA build without a GPU.
        f"      why: {' '.join(torch_cuda_status()[1].split()[:5])}",
        "  gpu_memory: unavailable",
        "  GPUs: none (NVML cannot start: NVML Shared Library Not Found (no NVIDIA GPU or driver",
        "  GPU driver: -",
    ):
        assert expected in out, expected


@pytest.mark.usefixtures("fresh_fingerprint")
def test_gpus_in_the_list_and_the_fingerprint(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    install(monkeypatch, [FakeGpu("NVIDIA H100 80GB HBM3", "GPU-1", energy_mj=1)])
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    out = run_probes(capsys, "--no-import")
    assert "  nvml: available" in out
    assert "energy counter (nvmlDeviceGetTotalEnergyConsumption) of GPU 0 NVIDIA H100" in out
    assert "  GPUs: NVIDIA H100 80GB HBM3" in out
    assert "  GPU driver: 550.54.15 (CUDA 12.4)" in out


def test_json_output(capsys: pytest.CaptureFixture[str]) -> None:
    data = json.loads(run_probes(capsys, "--json", "--no-import"))
    assert [p["name"] for p in data["probes"]] == NAMES
    for probe in data["probes"]:
        assert probe["available"] == (probe["reason"] == "")
        assert probe["available"] == (probe["method"] != "")
        assert probe["metrics"]
    energy = next(p for p in data["probes"] if p["name"] == "energy_estimate")
    assert energy["metrics"]["energy_estimate"]["estimate"] is True
    assert data["machine"]["class"] == current_machine().hardware_class


def test_the_pytest_header_has_the_same_information(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\naddopts = -p no:hypothesispytest\n")
    pytester.makepyfile(test_x="def test_x():\n    pass\n")
    result = pytester.runpytest("-v")
    lines = result.stdout.lines
    assert f"pareto machine: {current_machine().summary()}" in lines
    at = lines.index("pareto probes:")
    assert lines[at + 1 : at + 1 + len(NAMES)] == [
        f"  {probe.name}: {probe.availability().describe()}" for probe in builtin_probes()
    ]


@pytest.mark.skipif(HAS_POWERCAP, reason="this machine has a powercap tree")
def test_no_energy_number_unless_measured_or_asked_for(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    install(monkeypatch, [], init_error=NVMLError_LibraryNotFound)
    pytester.makeini("[pytest]\naddopts = -p no:hypothesispytest\npareto_max_time = 0.02\n")
    pytester.makepyfile(test_x="def test_x(pareto):\n    pareto(sorted, list(range(500)))\n")
    result = pytester.runpytest("--pareto-update")
    result.assert_outcomes(passed=1)
    data = json.loads((pytester.path / "baselines" / "test_x.py.json").read_text())
    assert sorted(data["tests"]["test_x"]["metrics"]) == [
        "cpu_time",
        "peak_rss",
        "py_alloc_peak",
        "wall_time",
    ]
    assert "energy" not in result.stdout.str().split("= pareto =")[-1]
    assert "torch" not in sys.modules or "flops" not in data["tests"]["test_x"]["metrics"]
