"""Machine fingerprint: which hardware a point was measured on, and which points compare."""

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

__all__ = ["Machine", "Matching", "current_machine"]

_TRACKED_PACKAGES = ("numpy", "torch")


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

    @functools.cached_property
    def hardware_class(self) -> str:
        """A short id of the hardware alone (not OS or package versions)."""
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

    def with_gpus(self, gpus: tuple[str, ...]) -> Machine:
        return replace(self, gpus=gpus)

    def to_json(self) -> dict[str, Any]:
        return {
            "class": self.hardware_class,
            "cpu_count": self.cpu_count,
            "cpu_model": self.cpu_model,
            "gpus": list(self.gpus),
            "memory_gib": self.memory_gib,
            "os": self.os,
            "packages": dict(sorted(self.packages.items())),
            "python": self.python,
        }

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
    for name in _TRACKED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


@functools.lru_cache(maxsize=1)
def current_machine() -> Machine:
    """This machine's fingerprint (GPUs are added by the GPU probes when available)."""
    return Machine(
        cpu_model=_cpu_model(),
        cpu_count=os.cpu_count() or 1,
        memory_gib=_memory_gib(),
        os=f"{platform.system()} {platform.release()}",
        python=platform.python_version(),
        packages=_package_versions(),
    )
