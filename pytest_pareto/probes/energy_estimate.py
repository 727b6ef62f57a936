"""An estimate of CPU energy where no counter measures it: CPU time x watts per thread.

The model, as tools such as CodeCarbon use when RAPL is missing: a busy hardware thread draws
its share of the CPU's thermal design power, ``TDP / threads``. So

    energy_estimate = cpu_time x TDP / threads

The figure comes from ``ini pareto_cpu_tdp`` (``WATTS`` or ``WATTS/THREADS``) or from a small
table of common CPUs; with neither the probe is unavailable (no number is invented). The value
is a fixed multiple of CPU time, so it is never an objective of its own: its metric is marked
``estimate``, every report labels it *(estimate)*, and judging never gates on it (CPU time
does). It runs only on request: named in ``metrics=``, or everywhere with
``ini pareto_energy_estimate = true`` where no energy counter (RAPL) works.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pytest_pareto.errors import ConfigError
from pytest_pareto.model.metrics import BUILTIN_METRICS, Metric
from pytest_pareto.probes._protocol import Availability, Probe, Scope

__all__ = ["TDP_TABLE", "CpuPower", "EnergyEstimateProbe", "lookup_tdp", "parse_tdp"]

TDP_TABLE: tuple[tuple[str, float, int], ...] = (
    # (model as it appears in /proc/cpuinfo, TDP in W, hardware threads per package)
    ("EPYC 7543", 225, 64),
    ("EPYC 7742", 225, 128),
    ("EPYC 7763", 280, 128),
    ("EPYC 9654", 360, 192),
    ("Ryzen 7 5800X", 105, 16),
    ("Ryzen 9 5950X", 105, 32),
    ("Ryzen 9 7950X", 170, 32),
    ("Xeon(R) Gold 6248", 150, 40),
    ("Xeon(R) Gold 6248R", 205, 48),
    ("Xeon(R) Gold 6338", 205, 64),
    ("Xeon(R) Platinum 8380", 270, 80),
    ("Xeon(R) Platinum 8480+", 350, 112),
    ("Core(TM) i7-8550U", 15, 8),
    ("Core(TM) i7-12700K", 125, 20),
    ("Core(TM) i9-12900K", 125, 24),
    ("Core(TM) i9-13900K", 125, 32),
)
"""Manufacturers' published TDP (base power for Intel Core) and thread counts."""


@dataclass(frozen=True)
class CpuPower:
    """A CPU's power figure for the estimate."""

    tdp_watts: float
    threads: int
    source: str
    """Where the figure comes from, for reports."""

    @property
    def watts_per_thread(self) -> float:
        return self.tdp_watts / self.threads

    def describe(self) -> str:
        return (
            f"{self.watts_per_thread:.3g} W per busy thread ({self.tdp_watts:g} W TDP / "
            f"{self.threads} threads, {self.source})"
        )


def lookup_tdp(cpu_model: str) -> CpuPower | None:
    """The table's figure for ``cpu_model`` (as in /proc/cpuinfo), or ``None``."""
    for model, watts, threads in TDP_TABLE:
        if re.search(re.escape(model) + r"(?![\w+])", cpu_model, re.IGNORECASE):
            return CpuPower(watts, threads, f"table: {model}")
    return None


def _threads_per_package(cpuinfo: Path = Path("/proc/cpuinfo")) -> int:
    try:
        with cpuinfo.open(encoding="utf-8", errors="replace") as lines:
            for line in lines:
                if line.startswith("siblings"):
                    return max(1, int(line.split(":", 1)[1]))
    except (OSError, ValueError):
        pass
    return os.cpu_count() or 1


def parse_tdp(text: str, *, where: str = "ini pareto_cpu_tdp") -> CpuPower:
    """``"280"`` (threads from /proc/cpuinfo) or ``"280/128"``: TDP watts [/ threads]."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d*)?)\s*(?:W)?\s*(?:/\s*(\d+)\s*)?", text, re.IGNORECASE)
    if match is None or float(match.group(1)) <= 0 or match.group(2) == "0":
        raise ConfigError(
            f"{where} = {text!r} must be the CPU's TDP in watts, optionally with its hardware "
            "threads per package: e.g. 280 or 280/128"
        )
    threads = int(match.group(2)) if match.group(2) else _threads_per_package()
    return CpuPower(float(match.group(1)), threads, where)


class EnergyEstimateProbe:
    """``energy_estimate``: CPU time per call x watts per busy thread, labelled an estimate."""

    name: str = "energy_estimate"
    metrics: tuple[Metric, ...] = (BUILTIN_METRICS["energy_estimate"],)
    scope: Scope = Scope.TIMER
    per_call: frozenset[str] = frozenset({"energy_estimate"})
    default_rule: str = (
        "on request: named in metrics=, or ini pareto_energy_estimate = true where no energy "
        "counter works"
    )

    def __init__(
        self,
        power: CpuPower | None = None,
        *,
        enabled: bool = False,
        fallback_for: Probe | None = None,
        cpu_model: str | None = None,
    ) -> None:
        """``enabled``: run by default; ``fallback_for``: only while that probe is unavailable."""
        self._power = power
        self._cpu_model = cpu_model
        self._looked_up = power is not None
        self.enabled = enabled
        self.fallback_for = fallback_for
        self._default: bool | None = None
        self._start = 0

    @property
    def power(self) -> CpuPower | None:
        if not self._looked_up:
            self._looked_up = True
            if self._cpu_model is None:
                from pytest_pareto.model.machine import current_machine

                self._cpu_model = current_machine().cpu_model
            self._power = lookup_tdp(self._cpu_model)
        return self._power

    @property
    def default(self) -> bool:
        """Enabled, available, and the probe it falls back for (RAPL) is not."""
        if self._default is not None:
            return self._default
        if not self.enabled or not self.availability().available:
            return False
        return self.fallback_for is None or not self.fallback_for.availability().available

    @default.setter
    def default(self, value: bool) -> None:
        self._default = value

    def availability(self) -> Availability:
        power = self.power
        if power is None:
            return Availability.no(
                f"no TDP figure for CPU {self._cpu_model!r}: set ini pareto_cpu_tdp = "
                "WATTS/THREADS (e.g. 280/128) to enable the estimate"
            )
        return Availability.yes(f"estimate: CPU time x {power.describe()}")

    def start(self) -> None:
        self._start = time.process_time_ns()

    def stop(self) -> Mapping[str, float]:
        power = self.power
        if power is None:
            return {}
        cpu_seconds = (time.process_time_ns() - self._start) / 1e9
        return {"energy_estimate": cpu_seconds * power.watts_per_thread}
