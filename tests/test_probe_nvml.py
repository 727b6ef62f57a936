"""The NVML probe against a fake ``pynvml`` module: the real selection, units and integration."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_pynvml import FakeGpu, NVMLError_DriverNotLoaded, NVMLError_LibraryNotFound, install

from pytest_pareto.errors import MeasurementError
from pytest_pareto.model.nvml_devices import select_visible
from pytest_pareto.probes import NvmlProbe, Probe, Scope
from pytest_pareto.probes.nvml import integrate_power

A100 = FakeGpu("NVIDIA A100-SXM4-40GB", "GPU-aaaaaaaa-1111", energy_mj=5_000_000)
H100 = FakeGpu("NVIDIA H100 80GB HBM3", "GPU-bbbbbbbb-2222", energy_mj=9_000_000)


def fake_clock(*times: float) -> Iterator[float]:
    return iter(times)


@pytest.fixture
def no_torch(monkeypatch: pytest.MonkeyPatch) -> None:
    """As in a process that never imported torch (the probe then always measures)."""
    monkeypatch.delitem(sys.modules, "torch", raising=False)


def test_is_a_probe_around_the_whole_pass() -> None:
    probe = NvmlProbe(environ={})
    assert isinstance(probe, Probe)
    assert probe.scope is Scope.PASS
    assert probe.per_call == {"energy_gpu"}  # gpu_power is a mean, not per call
    assert all(m.noisy for m in probe.metrics)


@pytest.mark.usefixtures("no_torch")
def test_energy_counter_path(monkeypatch: pytest.MonkeyPatch) -> None:
    a100, h100 = FakeGpu(**vars(A100)), FakeGpu(**vars(H100))
    install(monkeypatch, [a100, h100])
    clock = fake_clock(100.0, 102.5)
    probe = NvmlProbe(environ={}, clock=lambda: next(clock))
    availability = probe.availability()
    assert availability.available, availability.reason
    assert "nvmlDeviceGetTotalEnergyConsumption" in availability.method
    assert "20-100 ms" in availability.method  # the counter's update period
    assert "0 NVIDIA A100-SXM4-40GB, 1 NVIDIA H100 80GB HBM3" in availability.method
    probe.start()
    a100.energy_mj += 1_500  # millijoules
    h100.energy_mj += 3_500
    readings = probe.stop()
    assert readings == {"energy_gpu": pytest.approx(5.0), "gpu_power": pytest.approx(5.0 / 2.5)}


@pytest.mark.usefixtures("no_torch")
def test_power_sampling_path_integrates_on_a_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    old_gpu = FakeGpu("Tesla P100-PCIE-16GB", "GPU-cccc", energy_mj=None, power_mw=150_000)
    fake = install(monkeypatch, [old_gpu])
    probe = NvmlProbe(environ={}, sample_period=0.001)
    availability = probe.availability()
    assert availability.available, availability.reason
    assert "nvmlDeviceGetPowerUsage" in availability.method
    assert "sampled every 1 ms and integrated" in availability.method
    reads_before = fake.power_reads
    started = time.perf_counter()
    probe.start()
    while fake.power_reads < reads_before + 5:  # the background thread samples
        time.sleep(0.001)
    readings = probe.stop()
    elapsed = time.perf_counter() - started
    # Constant 150 W: the integral is 150 W times the sampled span, so the mean is exact.
    assert readings["gpu_power"] == pytest.approx(150.0)
    assert 0 < readings["energy_gpu"] <= 150.0 * elapsed
    assert fake.power_reads >= reads_before + 6  # first, sampled, and last readings


@pytest.mark.usefixtures("no_torch")
def test_counter_and_sampled_gpus_together(monkeypatch: pytest.MonkeyPatch) -> None:
    counted = FakeGpu(**vars(A100))
    sampled = FakeGpu("Tesla P100", "GPU-dddd", energy_mj=None, power_mw=50_000)
    install(monkeypatch, [counted, sampled])
    clock = fake_clock(0.0, 4.0)  # start and end (the first and last samples' times)
    probe = NvmlProbe(environ={}, sample_period=3600, clock=lambda: next(clock))
    probe.start()
    counted.energy_mj += 2_000
    readings = probe.stop()
    # 2 J from the counter + 50 W x 4 s integrated = 202 J over 4 s.
    assert readings == {"energy_gpu": pytest.approx(202.0), "gpu_power": pytest.approx(50.5)}


def test_integrate_power_by_trapezoids() -> None:
    assert integrate_power([]) == 0.0
    assert integrate_power([(0.0, 100.0)]) == 0.0
    step = [(0.0, 100.0), (0.5, 100.0), (1.0, 300.0), (1.0, 300.0), (2.0, 300.0)]
    assert integrate_power(step) == pytest.approx(50.0 + 100.0 + 0.0 + 300.0)
    ramp = [(float(t), 10.0 * t) for t in range(11)]
    assert integrate_power(ramp) == pytest.approx(500.0)  # exact for a linear power


def test_no_device(monkeypatch: pytest.MonkeyPatch) -> None:
    install(monkeypatch, [])
    availability = NvmlProbe(environ={}).availability()
    assert not availability.available
    assert availability.reason == "NVML sees no GPU"
    with pytest.raises(MeasurementError, match="NVML is unavailable"):
        NvmlProbe(environ={}).start()


def test_no_visible_device(monkeypatch: pytest.MonkeyPatch) -> None:
    install(monkeypatch, [A100])
    availability = NvmlProbe(environ={"CUDA_VISIBLE_DEVICES": ""}).availability()
    assert not availability.available
    assert "no GPU is visible: CUDA_VISIBLE_DEVICES=''" in availability.reason


def test_nvml_library_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    install(monkeypatch, [], init_error=NVMLError_LibraryNotFound)
    reason = NvmlProbe(environ={}).availability().reason
    assert reason.startswith("NVML cannot start: NVML Shared Library Not Found")


def test_driver_not_loaded(monkeypatch: pytest.MonkeyPatch) -> None:
    install(monkeypatch, [], init_error=NVMLError_DriverNotLoaded)
    assert "Driver Not Loaded" in NvmlProbe(environ={}).availability().reason


def test_nvidia_ml_py_not_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pynvml", None)  # import pynvml raises ImportError
    reason = NvmlProbe(environ={}).availability().reason
    assert "nvidia-ml-py is not installed" in reason
    assert "pytest-pareto[nvidia]" in reason


def test_a_gpu_with_neither_energy_nor_power(monkeypatch: pytest.MonkeyPatch) -> None:
    install(monkeypatch, [FakeGpu("GeForce GT 710", "GPU-eeee", energy_mj=None, power_mw=None)])
    reason = NvmlProbe(environ={}).availability().reason
    assert "neither energy nor power of GPU 0 GeForce GT 710: Not Supported" in reason


@pytest.mark.usefixtures("no_torch")
@pytest.mark.parametrize(
    ("visible", "measured"),
    [("1", [1]), ("GPU-bbbb", [1]), ("0,1", [0, 1]), ("1,0", [1, 0]), ("0,7,1", [0])],
)
def test_cuda_visible_devices_selects_the_measured_gpus(
    monkeypatch: pytest.MonkeyPatch, visible: str, measured: list[int]
) -> None:
    gpus = [FakeGpu(**vars(A100)), FakeGpu(**vars(H100))]
    install(monkeypatch, gpus)
    clock = fake_clock(0.0, 1.0)
    probe = NvmlProbe(environ={"CUDA_VISIBLE_DEVICES": visible}, clock=lambda: next(clock))
    probe.start()
    gpus[0].energy_mj += 1_000
    gpus[1].energy_mj += 10_000
    expected = sum(1.0 if i == 0 else 10.0 for i in measured)
    assert probe.stop()["energy_gpu"] == pytest.approx(expected)


def test_select_visible_reads_cuda_visible_devices_like_cuda() -> None:
    uuids = ["GPU-aaaa-1", "GPU-aabb-2", "GPU-cccc-3"]
    assert select_visible(uuids, None) == ([0, 1, 2], "")
    assert select_visible(uuids, "") == ([], "")
    assert select_visible(uuids, " 2 , 0 ") == ([2, 0], "")
    assert select_visible(uuids, "GPU-cc") == ([2], "")
    indices, note = select_visible(uuids, "GPU-aa")  # ambiguous prefix: names no GPU
    assert indices == []
    assert "'GPU-aa' names no GPU" in note
    assert select_visible(uuids, "1,-1,0")[0] == [1]
    assert select_visible(uuids, "0,0")[0] == [0]


def test_nothing_recorded_when_torch_never_initialised_cuda(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    torch = pytest.importorskip("torch")
    if torch.cuda.is_initialized():
        pytest.skip("this process initialised CUDA")
    gpu = FakeGpu(**vars(A100))
    install(monkeypatch, [gpu])
    probe = NvmlProbe(environ={})
    probe.start()
    gpu.energy_mj += 1_000
    assert probe.stop() == {}


def test_runs_by_default_only_in_processes_that_import_torch(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    install(monkeypatch, [A100])
    monkeypatch.delitem(sys.modules, "torch", raising=False)
    assert NvmlProbe(environ={}).default is False
    monkeypatch.setitem(sys.modules, "torch", object())
    assert NvmlProbe(environ={}).default is True
    install(monkeypatch, [])
    assert NvmlProbe(environ={}).default is False  # unavailable


@pytest.mark.usefixtures("no_torch")
def test_an_nvml_failure_during_the_measurement_is_an_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = install(monkeypatch, [FakeGpu(**vars(A100))])
    probe = NvmlProbe(environ={})
    probe.start()
    fake.fail_energy_reads = True
    with pytest.raises(MeasurementError, match="Insufficient Permissions"):
        probe.stop()


def test_a_warning_on_importing_pynvml_does_not_break_the_probe(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # The deprecated ``pynvml`` PyPI package warns on import (and tests turn warnings into
    # errors); it wraps nvidia-ml-py, so the probe must still work.
    (tmp_path / "pynvml.py").write_text(
        "import warnings\n"
        "warnings.warn('The pynvml package is deprecated.', FutureWarning)\n"
        "from fake_pynvml import *  # noqa: F403\n"
        "from fake_pynvml import FakePynvml, FakeGpu\n"
        "_fake = FakePynvml([FakeGpu()])\n"
        "def __getattr__(name):\n"
        "    return getattr(_fake, name)\n"
    )
    monkeypatch.delitem(sys.modules, "pynvml", raising=False)
    monkeypatch.syspath_prepend(str(tmp_path))
    availability = NvmlProbe(environ={}).availability()
    assert availability.available, availability.reason


@pytest.mark.usefixtures("no_torch")
def test_paused_segments_are_left_out_of_energy_and_power(monkeypatch: pytest.MonkeyPatch) -> None:
    gpu = FakeGpu(**vars(A100))
    install(monkeypatch, [gpu])
    clock = fake_clock(0.0, 1.0, 3.0, 4.0)  # start, pause, resume, stop
    probe = NvmlProbe(environ={}, clock=lambda: next(clock))
    probe.start()
    gpu.energy_mj += 100  # timed: 0.1 J in 1 s
    probe.pause()
    gpu.energy_mj += 5_000  # untimed setup: 5 J in 2 s
    probe.resume()
    gpu.energy_mj += 100  # timed: 0.1 J in 1 s
    assert probe.stop() == {"energy_gpu": pytest.approx(0.2), "gpu_power": pytest.approx(0.1)}


@pytest.mark.usefixtures("no_torch")
def test_paused_segments_of_sampled_power_are_left_out(monkeypatch: pytest.MonkeyPatch) -> None:
    old_gpu = FakeGpu("Tesla P100-PCIE-16GB", "GPU-cccc", energy_mj=None, power_mw=100_000)
    install(monkeypatch, [old_gpu])
    clock = fake_clock(0.0, 1.0, 3.0, 4.0)
    probe = NvmlProbe(environ={}, clock=lambda: next(clock), sample_period=3600)
    probe.start()  # 100 W from 0 to 1 s
    probe.pause()
    old_gpu.power_mw = 300_000  # the untimed segment draws 300 W
    probe.resume()
    old_gpu.power_mw = 100_000
    readings = probe.stop()  # one trapezoid 3-4 s at (300 + 100) / 2 W
    assert readings == {"energy_gpu": pytest.approx(100 + 200), "gpu_power": pytest.approx(150)}
