"""Machine fingerprint: which hardware a point was measured on, and which points compare.

A point's machine holds the CPU model, logical CPUs, memory, the visible NVIDIA GPUs and their
driver, the OS, Python and the versions of key numeric packages. Only the hardware part (CPU
model, logical CPUs, memory in GiB, GPU models) makes its ``hardware_class``, a short hash that
stays the same when the OS, the driver or a package is upgraded.
"""

from __future__ import annotations

import enum
import functools
import hashlib
import json
import os
import platform
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from importlib import metadata
from typing import Any

from pytest_pareto.errors import ConfigError

__all__ = ["TRACKED_PACKAGES", "Machine", "Matching", "build_machine", "current_machine"]

TRACKED_PACKAGES = ("jax", "numpy", "scikit-learn", "scipy", "tensorflow", "torch")
"""Packages whose installed version a fingerprint records (those installed)."""


class Matching(enum.Enum):
    """Which stored points a run on this machine is compared with."""

    EXACT = "exact"
    """Same hardware class: CPU model, logical cores, memory size and GPUs."""
    CPU = "cpu"
    """Same CPU model, whatever else differs."""
    ANY = "any"
    """Every stored point, whatever machine took it."""

    @classmethod
    def parse(cls, text: str) -> Matching:
        try:
            return cls(text)
        except ValueError:
            choices = ", ".join(m.value for m in cls)
            raise ConfigError(f"machine matching {text!r} is not one of: {choices}") from None


@dataclass(frozen=True)
class Machine:
    """The hardware and software a point was measured on."""

    cpu_model: str
    cpu_count: int
    memory_gib: int
    gpus: tuple[str, ...] = ()
    os: str = ""
    python: str = ""
    packages: Mapping[str, str] = field(default_factory=dict)
    gpu_driver: str = ""
    """NVIDIA driver version (and the CUDA version it supports), when GPUs are visible."""

    @functools.cached_property
    def hardware_class(self) -> str:
        """A short id of the hardware alone (not OS, driver or package versions).

        The first 10 hex digits of the SHA-1 of the JSON list
        ``[cpu_model, cpu_count, memory_gib, [gpu, ...]]``: stored points depend on it, so the
        formula never changes.
        """
        key = json.dumps([self.cpu_model, self.cpu_count, self.memory_gib, list(self.gpus)])
        return hashlib.sha1(key.encode()).hexdigest()[:10]

    def matches(self, other: Machine | None, matching: Matching) -> bool:
        if matching is Matching.ANY:
            return True
        if other is None:
            return False
        if matching is Matching.CPU:
            return self.cpu_model == other.cpu_model
        return self.hardware_class == other.hardware_class

    def describe(self) -> str:
        gpus = f", {', '.join(self.gpus)}" if self.gpus else ""
        return (
            f"{self.cpu_model} x{self.cpu_count}, {self.memory_gib} GiB{gpus}"
            f" [{self.hardware_class}]"
        )

    def differences(self, other: Machine) -> list[str]:
        """The hardware fields that differ, in words (``memory 16 GiB vs 32 GiB``)."""
        found = []
        for label, mine, theirs in (
            ("CPU", self.cpu_model, other.cpu_model),
            ("logical CPUs", self.cpu_count, other.cpu_count),
            ("memory", f"{self.memory_gib} GiB", f"{other.memory_gib} GiB"),
            ("GPUs", ", ".join(self.gpus) or "none", ", ".join(other.gpus) or "none"),
        ):
            if mine != theirs:
                found.append(f"{label} {mine} vs {theirs}")
        return found

    def summary(self) -> str:
        """The whole fingerprint on one line (hardware, then driver, OS, Python, packages)."""
        software = [
            part for part in (self.os, f"Python {self.python}" if self.python else "") if part
        ]
        if self.gpu_driver:
            software.insert(0, f"driver {self.gpu_driver}")
        software.extend(f"{name} {version}" for name, version in sorted(self.packages.items()))
        return f"{self.describe()}; {', '.join(software)}" if software else self.describe()

    def with_gpus(self, gpus: tuple[str, ...]) -> Machine:
        return replace(self, gpus=gpus)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "class": self.hardware_class,
            "cpu_count": self.cpu_count,
            "cpu_model": self.cpu_model,
            "gpus": list(self.gpus),
            "memory_gib": self.memory_gib,
            "os": self.os,
            "packages": dict(sorted(self.packages.items())),
            "python": self.python,
        }
        if self.gpu_driver:
            data["gpu_driver"] = self.gpu_driver
        return data

    @classmethod
    def from_json(cls, data: object, where: str) -> Machine:
        if not isinstance(data, Mapping):
            raise ConfigError(f"{where}: 'machine' must be an object")
        try:
            packages = data.get("packages", {})
            if not isinstance(packages, Mapping):
                raise TypeError("packages")
            return cls(
                cpu_model=str(data["cpu_model"]),
                cpu_count=int(data["cpu_count"]),
                memory_gib=int(data["memory_gib"]),
                gpus=tuple(str(g) for g in data.get("gpus", [])),
                os=str(data.get("os", "")),
                python=str(data.get("python", "")),
                packages={str(k): str(v) for k, v in packages.items()},
                gpu_driver=str(data.get("gpu_driver", "")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"{where}: 'machine' is missing or has a bad field ({exc})") from None


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as cpuinfo:
            for line in cpuinfo:
                if line.lower().startswith(("model name", "hardware", "cpu model")):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def _memory_gib() -> int:
    try:
        import psutil

        total = int(psutil.virtual_memory().total)
    except Exception:  # psutil missing or unsupported platform: memory is then unknown
        return 0
    return max(1, round(total / 2**30))


def _package_versions() -> dict[str, str]:
    versions = {}
    for name in TRACKED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def _visible_gpus(environ: Mapping[str, str] | None) -> tuple[tuple[str, ...], str]:
    """Models of the GPUs this process may use, and the driver; empty without NVML."""
    from pytest_pareto.model.nvml_devices import NvmlUnavailable, open_nvml

    try:
        _, inventory = open_nvml(environ)
    except NvmlUnavailable:
        return (), ""
    return inventory.names, inventory.driver if inventory.devices else ""


def build_machine(environ: Mapping[str, str] | None = None) -> Machine:
    """Take this machine's fingerprint now (``environ`` decides the visible GPUs)."""
    gpus, driver = _visible_gpus(environ)
    return Machine(
        cpu_model=_cpu_model(),
        cpu_count=os.cpu_count() or 1,
        memory_gib=_memory_gib(),
        gpus=gpus,
        os=f"{platform.system()} {platform.release()}",
        python=platform.python_version(),
        packages=_package_versions(),
        gpu_driver=driver,
    )


@functools.lru_cache(maxsize=1)
def current_machine() -> Machine:
    """This machine's fingerprint, taken once per process."""
    return build_machine()
