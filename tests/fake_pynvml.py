"""A fake ``pynvml`` module: the NVML boundary, with GPUs the tests control.

It mirrors the parts of nvidia-ml-py that pytest-pareto calls, with the same units
(millijoules, milliwatts), error classes (``NVMLError`` with ``.value``, subclasses per code)
and string returns. Install it with ``install(monkeypatch, ...)``.
"""

from __future__ import annotations

import sys
import threading
import types
from collections.abc import Sequence
from dataclasses import dataclass

import pytest

NVML_ERROR_NOT_SUPPORTED = 3
NVML_ERROR_NO_PERMISSION = 4
NVML_ERROR_DRIVER_NOT_LOADED = 9
NVML_ERROR_LIBRARY_NOT_FOUND = 12

_MESSAGES = {
    NVML_ERROR_NOT_SUPPORTED: "Not Supported",
    NVML_ERROR_NO_PERMISSION: "Insufficient Permissions",
    NVML_ERROR_DRIVER_NOT_LOADED: "Driver Not Loaded",
    NVML_ERROR_LIBRARY_NOT_FOUND: "NVML Shared Library Not Found",
}


class NVMLError(Exception):
    def __init__(self, value: int) -> None:
        super().__init__(value)
        self.value = value

    def __str__(self) -> str:
        return _MESSAGES.get(self.value, f"NVML Error with code {self.value}")


class NVMLError_NotSupported(NVMLError):
    def __init__(self) -> None:
        super().__init__(NVML_ERROR_NOT_SUPPORTED)


class NVMLError_LibraryNotFound(NVMLError):
    def __init__(self) -> None:
        super().__init__(NVML_ERROR_LIBRARY_NOT_FOUND)


class NVMLError_DriverNotLoaded(NVMLError):
    def __init__(self) -> None:
        super().__init__(NVML_ERROR_DRIVER_NOT_LOADED)


class NVMLError_NoPermission(NVMLError):
    def __init__(self) -> None:
        super().__init__(NVML_ERROR_NO_PERMISSION)


@dataclass
class FakeGpu:
    name: str = "NVIDIA A100-SXM4-40GB"
    uuid: str = "GPU-aaaaaaaa-0000-0000-0000-000000000000"
    energy_mj: int | None = 0
    """Total energy counter; ``None``: not supported on this GPU (pre-Volta)."""
    power_mw: int | None = 100_000
    """Power reading; ``None``: not supported."""


class FakePynvml(types.ModuleType):
    """The module object placed in ``sys.modules['pynvml']``."""

    NVMLError = NVMLError
    NVMLError_NotSupported = NVMLError_NotSupported
    NVMLError_LibraryNotFound = NVMLError_LibraryNotFound
    NVMLError_DriverNotLoaded = NVMLError_DriverNotLoaded
    NVMLError_NoPermission = NVMLError_NoPermission
    NVML_ERROR_NOT_SUPPORTED = NVML_ERROR_NOT_SUPPORTED

    def __init__(
        self,
        gpus: Sequence[FakeGpu],
        *,
        init_error: type[NVMLError] | None = None,
        driver: str = "550.54.15",
        cuda_driver: int = 12040,
    ) -> None:
        super().__init__("pynvml")
        self.gpus = list(gpus)
        self.init_error = init_error
        self.driver = driver
        self.cuda_driver = cuda_driver
        self.power_reads = 0
        self.lock = threading.Lock()
        self.fail_energy_reads = False

    def nvmlInit(self) -> None:
        if self.init_error is not None:
            raise self.init_error()

    def nvmlSystemGetDriverVersion(self) -> str:
        return self.driver

    def nvmlSystemGetCudaDriverVersion(self) -> int:
        return self.cuda_driver

    def nvmlDeviceGetCount(self) -> int:
        return len(self.gpus)

    def nvmlDeviceGetHandleByIndex(self, index: int) -> FakeGpu:
        return self.gpus[index]

    def nvmlDeviceGetName(self, handle: FakeGpu) -> str:
        return handle.name

    def nvmlDeviceGetUUID(self, handle: FakeGpu) -> str:
        return handle.uuid

    def nvmlDeviceGetTotalEnergyConsumption(self, handle: FakeGpu) -> int:
        if handle.energy_mj is None:
            raise NVMLError_NotSupported()
        if self.fail_energy_reads:
            raise NVMLError_NoPermission()
        return handle.energy_mj

    def nvmlDeviceGetPowerUsage(self, handle: FakeGpu) -> int:
        if handle.power_mw is None:
            raise NVMLError_NotSupported()
        with self.lock:
            self.power_reads += 1
        return handle.power_mw


def install(
    monkeypatch: pytest.MonkeyPatch, gpus: Sequence[FakeGpu] = (), **options: object
) -> FakePynvml:
    """Put a fake ``pynvml`` with these GPUs in ``sys.modules`` for one test."""
    fake = FakePynvml(gpus, **options)  # type: ignore[arg-type]
    monkeypatch.setitem(sys.modules, "pynvml", fake)
    return fake
