"""torch probes: FLOPs on a real CPU model, CUDA probes on CPU-only torch and on a fake GPU."""

from __future__ import annotations

import json
import sys
from typing import Any

import pytest

from pytest_pareto.errors import MeasurementError
from pytest_pareto.measuring.measure import MeasureOptions, measure
from pytest_pareto.model.metrics import Variability
from pytest_pareto.probes import (
    Availability,
    CudaMemoryProbe,
    CudaTimeProbe,
    FlopsProbe,
    Probe,
    Scope,
)
from pytest_pareto.probes.torch_cuda import torch_cuda_status

torch = pytest.importorskip("torch")

BATCH, IN, HIDDEN, OUT = 64, 512, 1024, 10


def linear_flops(batch: int, fan_in: int, fan_out: int) -> int:
    """A matrix product of (batch x fan_in) by (fan_in x fan_out): one multiply-add each."""
    return 2 * batch * fan_in * fan_out


def mlp(hidden: int = HIDDEN) -> Any:
    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.Linear(IN, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, OUT)
    )


def test_flops_of_a_real_model_are_exact() -> None:
    probe = FlopsProbe()
    assert isinstance(probe, Probe)
    assert probe.scope is Scope.SEPARATE
    assert probe.metrics[0].variability is Variability.DETERMINISTIC
    model, x = mlp(), torch.randn(BATCH, IN)
    expected = linear_flops(BATCH, IN, HIDDEN) + linear_flops(BATCH, HIDDEN, OUT)
    assert expected == 68_419_584
    probe.start()
    model(x)
    assert probe.stop() == {"flops": expected}


def test_flops_through_the_measuring_loop_in_a_separate_pass() -> None:
    model, x = mlp(), torch.randn(BATCH, IN)
    with torch.no_grad():
        result = measure(
            model, (x,), probes=[FlopsProbe()], options=MeasureOptions(rounds=2, iterations=2)
        )
    assert result.samples["flops"].rounds == (68_419_584,)  # one call, never per round
    assert tuple(result.result.shape) == (BATCH, OUT)


def test_a_call_without_torch_operators_records_no_flops() -> None:
    probe = FlopsProbe()
    probe.start()
    sum(range(1000))
    assert probe.stop() == {}


def test_flops_run_by_default_only_where_torch_is_imported(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert FlopsProbe().default is True  # this test module imported torch
    monkeypatch.delitem(sys.modules, "torch")
    probe = FlopsProbe()
    assert probe.default is False
    assert probe.availability().available  # installed: a test may still ask for flops
    assert "torch" not in sys.modules  # and checking did not import it
    probe.default = True
    assert probe.default is True


def test_flops_unavailable_without_torch(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    monkeypatch.delitem(sys.modules, "torch")
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None)
    availability = FlopsProbe().availability()
    assert availability.reason == "torch is not installed (pip install torch)"


# -- CUDA on CPU-only torch -----------------------------------------------------------------

cpu_only = pytest.mark.skipif(torch.cuda.is_available(), reason="this torch has CUDA")


@cpu_only
@pytest.mark.parametrize("probe_class", [CudaTimeProbe, CudaMemoryProbe])
def test_cuda_probes_on_cpu_torch_say_no_cuda(probe_class: type[CudaTimeProbe]) -> None:
    probe = probe_class()
    availability = probe.availability()
    assert not availability.available
    assert availability.reason.startswith("no CUDA: ")
    assert probe.default is False
    with pytest.raises(MeasurementError, match="no CUDA"):
        probe.start()


@cpu_only
def test_a_cpu_only_build_is_known_without_importing_torch(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delitem(sys.modules, "torch")
    cuda, reason, final = torch_cuda_status()
    assert "torch" not in sys.modules
    assert cuda is None
    if torch.version.cuda is None:  # read from the installed torch/version.py
        assert final
        assert reason == f"no CUDA: torch {torch.__version__} is a CPU-only build"
    else:
        assert not final
        assert "not imported in this process" in reason


# -- CUDA probes on a fake GPU (no GPU here: the torch.cuda boundary is faked) ---------------


class FakeCuda:
    """The parts of ``torch.cuda`` the probes call; GPU time advances when a kernel "runs"."""

    def __init__(self, *, initialized: bool = True) -> None:
        self.initialized = initialized
        self.gpu_ms = 0.0
        self.log: list[str] = []
        self.allocated = 4096
        self.peak = 4096

    class _Event:
        def __init__(self, cuda: FakeCuda, enable_timing: bool) -> None:
            assert enable_timing
            self.cuda = cuda
            self.at: float | None = None

        def record(self) -> None:
            self.cuda.log.append("record")
            self.at = self.cuda.gpu_ms

        def synchronize(self) -> None:
            self.cuda.log.append("event-synchronize")

        def elapsed_time(self, end: FakeCuda._Event) -> float:
            self.cuda.log.append("elapsed")
            assert self.at is not None
            assert end.at is not None
            return end.at - self.at

    def Event(self, enable_timing: bool = False) -> FakeCuda._Event:
        return FakeCuda._Event(self, enable_timing)

    def is_initialized(self) -> bool:
        return self.initialized

    def synchronize(self) -> None:
        self.log.append("synchronize")

    def get_device_name(self) -> str:
        return "NVIDIA H100 80GB HBM3"

    def memory_allocated(self) -> int:
        return self.allocated

    def max_memory_allocated(self) -> int:
        return self.peak

    def reset_peak_memory_stats(self) -> None:
        self.log.append("reset-peak")
        self.peak = self.allocated

    def run_kernel(self, ms: float, temporary_bytes: int = 0) -> None:
        self.gpu_ms += ms
        self.peak = max(self.peak, self.allocated + temporary_bytes)


def test_cuda_time_from_synchronised_events() -> None:
    cuda = FakeCuda()
    probe = CudaTimeProbe(cuda)
    assert probe.scope is Scope.ROUND  # its synchronisation stays outside the host clocks
    assert probe.availability().method.startswith("CUDA events on the current stream of NVIDIA")
    probe.start()
    cuda.run_kernel(12.5)
    cuda.run_kernel(7.5)
    assert probe.stop() == {"cuda_time": pytest.approx(0.020)}  # ms -> s
    assert cuda.log == ["synchronize", "record", "record", "event-synchronize", "elapsed"]


def test_cuda_synchronisation_stays_outside_the_host_clocks() -> None:
    cuda = FakeCuda()

    class HostClock:  # stands for wall_time and cpu_time
        name = "host_clock"
        metrics = ()
        scope = Scope.TIMER
        per_call: frozenset[str] = frozenset()
        default = True

        def availability(self) -> Availability:
            return Availability.yes("a host clock")

        def start(self) -> None:
            cuda.log.append("clock-start")

        def stop(self) -> dict[str, float]:
            cuda.log.append("clock-stop")
            return {}

    result = measure(
        lambda: cuda.run_kernel(3.0),
        probes=[HostClock(), CudaTimeProbe(cuda)],
        options=MeasureOptions(rounds=1, iterations=2, warmup=0),
    )
    assert cuda.log[:7] == [
        "synchronize",
        "record",
        "clock-start",
        "clock-stop",
        "record",
        "event-synchronize",
        "elapsed",
    ]
    assert result.samples["cuda_time"].rounds == (pytest.approx(0.003),)  # per call


def test_gpu_peak_memory_above_the_memory_before() -> None:
    cuda = FakeCuda()
    cuda.peak = 10**9  # an earlier peak must not count
    probe = CudaMemoryProbe(cuda)
    probe.start()
    assert cuda.log == ["reset-peak"]
    cuda.run_kernel(1.0, temporary_bytes=3 * 2**20)
    assert probe.stop() == {"gpu_peak_memory": 3 * 2**20}


@pytest.mark.parametrize("probe_class", [CudaTimeProbe, CudaMemoryProbe])
def test_cuda_probes_record_nothing_where_cuda_was_never_initialised(
    probe_class: type[CudaTimeProbe],
) -> None:
    cuda = FakeCuda(initialized=False)
    probe = probe_class(cuda)
    probe.start()
    cuda.run_kernel(5.0)
    assert probe.stop() == {}
    assert cuda.log == []  # and it did not touch CUDA (no context created)


# -- the plugin gates on FLOPs exactly -------------------------------------------------------

FLOPS_TEST = """
import pathlib

import pytest
import torch


@pytest.mark.pareto(metrics=["flops"], tolerance={"flops": 0})
def test_model(pareto):
    hidden = int(pathlib.Path(__file__).with_name("width.txt").read_text())
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Linear(512, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 10)
    )
    x = torch.randn(64, 512)
    with torch.no_grad():
        out = pareto(model, x)
    assert out.shape == (64, 10)
"""


@pytest.fixture
def torch_loaded_outside() -> None:
    """Load torch's lazily imported parts in this process before in-process pytester runs.

    pytester unloads the modules first imported during a run; some torch modules register
    native operator libraries on import, which cannot happen twice in one process.
    """
    from torch.utils.flop_counter import FlopCounterMode

    torch.manual_seed(0)
    with FlopCounterMode(display=False), torch.no_grad():
        mlp()(torch.randn(1, IN))


def stored_flops(pytester: pytest.Pytester) -> float:
    data = json.loads((pytester.path / "baselines" / "test_model.py.json").read_text())
    (point,) = data["tests"]["test_model"]["points"]
    return float(point["metrics"]["flops"]["value"])


@pytest.mark.usefixtures("torch_loaded_outside")
def test_the_plugin_gates_on_flops_exactly_and_fails_when_the_model_grows(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeini("[pytest]\naddopts = -p no:hypothesispytest\npareto_max_time = 0.02\n")
    pytester.makepyfile(test_model=FLOPS_TEST)
    width = pytester.path / "width.txt"
    width.write_text("1024")

    pytester.runpytest("--pareto-update").assert_outcomes(passed=1)
    assert stored_flops(pytester) == 68_419_584

    same = pytester.runpytest()
    same.assert_outcomes(passed=1)
    same.stdout.fnmatch_lines(["*test_model.py::test_model*pass*flops*68.4 MFLOP*+0.0%*"])

    width.write_text("1025")  # one more hidden unit: +0.1% FLOPs
    grown = pytester.runpytest()
    grown.assert_outcomes(failed=1)
    grown.stdout.fnmatch_lines(
        [
            "*pareto: dominated*",
            "*flops*68.5 MFLOP*68.4 MFLOP*+0.1%*exact*worse*",
            "*worse on: flops +0.1%*",
        ]
    )

    width.write_text("1000")  # smaller: an improvement passes
    pytester.runpytest().assert_outcomes(passed=1)
    assert stored_flops(pytester) == 68_419_584  # judging never writes the baseline
