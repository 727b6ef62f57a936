"""The NVIDIA GPUs this process may use, through NVML (``pynvml`` from nvidia-ml-py).

``pynvml`` is imported inside :func:`open_nvml`, never at module level. The GPUs are those
``CUDA_VISIBLE_DEVICES`` selects, read the way CUDA reads it: unset means every device; a
comma-separated list of indices or ``GPU-`` UUIDs (a unique prefix is enough); an empty value
means none; the list ends at the first entry that names no device. Indices follow NVML's
PCI bus order, which is CUDA's order under ``CUDA_DEVICE_ORDER=PCI_BUS_ID`` (and in practice
on machines whose GPUs are all the same model).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["GpuDevice", "GpuInventory", "NvmlUnavailable", "open_nvml", "select_visible"]

INSTALL_HINT = "pip install 'pytest-pareto[nvidia]'"


class NvmlUnavailable(Exception):
    """NVML cannot be used here; the message says why."""


@dataclass(frozen=True)
class GpuDevice:
    """One visible GPU."""

    index: int
    """NVML index (PCI bus order)."""
    name: str
    uuid: str
    handle: Any = None


@dataclass(frozen=True)
class GpuInventory:
    """The visible GPUs and the driver, or why there are none."""

    devices: tuple[GpuDevice, ...] = ()
    driver: str = ""
    """Driver version, with the newest CUDA version it supports, e.g. ``550.54.15 (CUDA 12.4)``."""
    reason: str = ""
    """Why ``devices`` is empty."""

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(device.name for device in self.devices)


def _text(value: object) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def select_visible(uuids: list[str], cuda_visible_devices: str | None) -> tuple[list[int], str]:
    """NVML indices that ``CUDA_VISIBLE_DEVICES`` selects from devices with these ``uuids``.

    Returns the indices and, when an entry ended the list early, a note saying which.
    """
    if cuda_visible_devices is None:
        return list(range(len(uuids))), ""
    selected: list[int] = []
    for raw in cuda_visible_devices.split(","):
        entry = raw.strip()
        index: int | None = None
        if entry.isdigit():
            index = int(entry) if int(entry) < len(uuids) else None
        elif entry.startswith("GPU-"):
            matches = [i for i, uuid in enumerate(uuids) if uuid.startswith(entry)]
            index = matches[0] if len(matches) == 1 else None
        if index is None or index in selected:
            if entry:
                return selected, f"CUDA_VISIBLE_DEVICES entry {entry!r} names no GPU; ends the list"
            return selected, ""
        selected.append(index)
    return selected, ""


def open_nvml(environ: Mapping[str, str] | None = None) -> tuple[Any, GpuInventory]:
    """Start NVML and list the visible GPUs: ``(pynvml module, inventory)``.

    Raises :class:`NvmlUnavailable` when the library or the driver is missing.
    """
    environ = os.environ if environ is None else environ
    try:
        with warnings.catch_warnings():
            # The deprecated ``pynvml`` PyPI shim warns on import; it wraps nvidia-ml-py.
            warnings.simplefilter("ignore")
            import pynvml
    except ImportError:
        raise NvmlUnavailable(f"nvidia-ml-py is not installed ({INSTALL_HINT})") from None
    try:
        pynvml.nvmlInit()
    except pynvml.NVMLError as exc:
        raise NvmlUnavailable(
            f"NVML cannot start: {exc} (no NVIDIA GPU or driver on this machine)"
        ) from None
    try:
        driver = _text(pynvml.nvmlSystemGetDriverVersion())
        try:
            cuda = int(pynvml.nvmlSystemGetCudaDriverVersion())
            driver += f" (CUDA {cuda // 1000}.{cuda % 1000 // 10})"
        except pynvml.NVMLError:
            pass
        handles = [pynvml.nvmlDeviceGetHandleByIndex(i) for i in range(pynvml.nvmlDeviceGetCount())]
        uuids = [_text(pynvml.nvmlDeviceGetUUID(h)) for h in handles]
        names = [_text(pynvml.nvmlDeviceGetName(h)) for h in handles]
    except pynvml.NVMLError as exc:
        raise NvmlUnavailable(f"NVML cannot list the GPUs: {exc}") from None
    visible = environ.get("CUDA_VISIBLE_DEVICES")
    indices, note = select_visible(uuids, visible)
    devices = tuple(GpuDevice(i, names[i], uuids[i], handles[i]) for i in indices)
    reason = ""
    if not handles:
        reason = "NVML sees no GPU"
    elif not devices:
        reason = f"no GPU is visible: CUDA_VISIBLE_DEVICES={visible!r}"
        if note:
            reason += f" ({note})"
    return pynvml, GpuInventory(devices, driver, reason)
