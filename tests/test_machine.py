"""The machine fingerprint, its hardware class, and comparisons across machines."""

from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import replace

import pytest
from conftest import make_point
from fake_pynvml import FakeGpu, NVMLError_LibraryNotFound, install

from pytest_pareto.frontier.maintenance import comparable_points
from pytest_pareto.model.machine import Machine, Matching, build_machine
from pytest_pareto.model.points import TestBaseline

SERVER = Machine(
    cpu_model="AMD EPYC 7763 64-Core Processor",
    cpu_count=128,
    memory_gib=512,
    gpus=("NVIDIA A100-SXM4-40GB", "NVIDIA A100-SXM4-40GB"),
    os="Linux 6.8.0",
    python="3.11.7",
    packages={"numpy": "2.1.0", "torch": "2.5.1"},
    gpu_driver="550.54.15 (CUDA 12.4)",
)


def test_hardware_class_is_stable() -> None:
    # Stored points carry this id: a change of formula would orphan every stored frontier.
    # The documented formula: SHA-1 of [cpu_model, cpu_count, memory_gib, gpus] as JSON.
    key = json.dumps([SERVER.cpu_model, 128, 512, list(SERVER.gpus)])
    assert SERVER.hardware_class == hashlib.sha1(key.encode()).hexdigest()[:10]
    # The class of a 2-CPU "AMD EPYC" VM before GPUs and drivers joined the fingerprint.
    assert Machine("AMD EPYC", 2, 24).hardware_class == "2efa1bd766"


def test_hardware_class_ignores_software() -> None:
    upgraded = replace(
        SERVER,
        os="Linux 6.11.0",
        python="3.12.1",
        packages={"numpy": "2.2.0", "torch": "2.6.0"},
        gpu_driver="570.86.10 (CUDA 12.8)",
    )
    assert upgraded.hardware_class == SERVER.hardware_class
    for hardware_change in (
        replace(SERVER, cpu_model="AMD EPYC 9654 96-Core Processor"),
        replace(SERVER, cpu_count=64),
        replace(SERVER, memory_gib=256),
        replace(SERVER, gpus=("NVIDIA A100-SXM4-40GB",)),
        replace(SERVER, gpus=("NVIDIA H100 80GB HBM3", "NVIDIA H100 80GB HBM3")),
    ):
        assert hardware_change.hardware_class != SERVER.hardware_class


def test_json_round_trip_with_the_gpu_driver() -> None:
    data = SERVER.to_json()
    assert data["gpu_driver"] == "550.54.15 (CUDA 12.4)"
    assert data["class"] == SERVER.hardware_class
    assert Machine.from_json(json.loads(json.dumps(data)), "test") == SERVER


def test_older_fingerprints_without_a_driver_still_load() -> None:
    data = Machine("AMD EPYC", 2, 24, os="Linux", python="3.11.7").to_json()
    assert "gpu_driver" not in data
    assert Machine.from_json(data, "test").gpu_driver == ""


def test_differences_and_summary() -> None:
    other = replace(SERVER, memory_gib=256, gpus=())
    assert SERVER.differences(other) == [
        "memory 512 GiB vs 256 GiB",
        "GPUs NVIDIA A100-SXM4-40GB, NVIDIA A100-SXM4-40GB vs none",
    ]
    assert SERVER.differences(replace(SERVER, os="other")) == []
    assert SERVER.summary() == (
        "AMD EPYC 7763 64-Core Processor x128, 512 GiB, NVIDIA A100-SXM4-40GB, "
        f"NVIDIA A100-SXM4-40GB [{SERVER.hardware_class}]; driver 550.54.15 (CUDA 12.4), "
        "Linux 6.8.0, Python 3.11.7, numpy 2.1.0, torch 2.5.1"
    )


def test_fingerprint_of_this_machine_lists_gpus_from_nvml(monkeypatch: pytest.MonkeyPatch) -> None:
    install(
        monkeypatch,
        [FakeGpu("NVIDIA L4", "GPU-1111"), FakeGpu("NVIDIA H100 80GB HBM3", "GPU-2222")],
        driver="550.54.15",
        cuda_driver=12040,
    )
    everything = build_machine(environ={})
    assert everything.gpus == ("NVIDIA L4", "NVIDIA H100 80GB HBM3")
    assert everything.gpu_driver == "550.54.15 (CUDA 12.4)"
    assert everything.cpu_count >= 1
    assert everything.memory_gib >= 1
    assert everything.python
    assert everything.os
    one = build_machine(environ={"CUDA_VISIBLE_DEVICES": "GPU-2222"})
    assert one.gpus == ("NVIDIA H100 80GB HBM3",)
    assert one.hardware_class != everything.hardware_class
    none = build_machine(environ={"CUDA_VISIBLE_DEVICES": ""})
    assert (none.gpus, none.gpu_driver) == ((), "")


def test_fingerprint_without_nvml(monkeypatch: pytest.MonkeyPatch) -> None:
    install(monkeypatch, [], init_error=NVMLError_LibraryNotFound)
    machine = build_machine(environ={})
    assert (machine.gpus, machine.gpu_driver) == ((), "")
    monkeypatch.setitem(sys.modules, "pynvml", None)
    assert build_machine(environ={}).gpus == ()


def test_tracked_package_versions_are_recorded() -> None:
    from importlib import metadata

    packages = build_machine(environ={"CUDA_VISIBLE_DEVICES": ""}).packages
    assert packages.get("torch") == metadata.version("torch")
    assert "pytest" not in packages  # only the numeric stack is tracked


def test_no_matching_point_gives_the_reason_and_what_differs() -> None:
    stored = replace(make_point({"loss": 1.0}), machine=SERVER)
    here = replace(SERVER, memory_gib=256)
    points, reason = comparable_points(TestBaseline("t", points=(stored,)), here, Matching.EXACT)
    assert points == ()
    assert "no stored point was measured on a machine matching this one" in reason
    assert "differs in memory 256 GiB vs 512 GiB" in reason
    assert "matching cpu or any" in reason
    # Same CPU model: comparable under matching=cpu.
    points, reason = comparable_points(TestBaseline("t", points=(stored,)), here, Matching.CPU)
    assert (points, reason) == ((stored,), "")


# -- in pytest: a baseline from another machine ---------------------------------------------

LOSS_TEST = """
import pathlib


def test_loss(pareto):
    pareto.record("loss", float(pathlib.Path(__file__).with_name("loss.txt").read_text()))
"""


def move_baseline_to_another_machine(pytester: pytest.Pytester, **changes: object) -> None:
    path = pytester.path / "baselines" / "test_loss.py.json"
    data = json.loads(path.read_text())
    for machine in data["tests"]["test_loss"]["machines"].values():
        machine.update(changes)
        machine["class"] = Machine.from_json(machine, "test").hardware_class
    path.write_text(json.dumps(data))


def test_a_baseline_from_another_machine_is_not_compared(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\naddopts = -p no:hypothesispytest\n")
    pytester.makepyfile(test_loss=LOSS_TEST)
    loss = pytester.path / "loss.txt"
    loss.write_text("1.0")
    pytester.runpytest("--pareto-update").assert_outcomes(passed=1)
    move_baseline_to_another_machine(pytester, cpu_model="Other CPU 9000", cpu_count=3)

    loss.write_text("5.0")  # 5x worse: fails wherever it is compared
    for flags in ([], ["--pareto-strict"], ["--pareto-machine", "cpu"]):
        result = pytester.runpytest(*flags)
        result.assert_outcomes(passed=1)
        result.stdout.fnmatch_lines(
            [
                "*test_loss.py::test_loss*skipped*loss*5*",
                "*not compared: test_loss.py::test_loss: no stored point was measured on a "
                "machine matching this one*Other CPU 9000 x3*differs in CPU*logical CPUs*",
            ]
        )

    across = pytester.runpytest("--pareto-machine", "any")
    across.assert_outcomes(failed=1)
    across.stdout.fnmatch_lines(["*pareto: dominated*", "*loss*5*1*+400.0%*worse*"])

    # Accepting here starts this machine's frontier next to the other machine's point.
    pytester.runpytest("--pareto-update").assert_outcomes(passed=1)
    data = json.loads((pytester.path / "baselines" / "test_loss.py.json").read_text())
    test = data["tests"]["test_loss"]
    machines = sorted(test["machines"][p["machine"]]["cpu_model"] for p in test["points"])
    assert len(machines) == 2
    assert "Other CPU 9000" in machines
    pytester.runpytest().stdout.fnmatch_lines(["*test_loss.py::test_loss*pass*loss*5*5*"])
