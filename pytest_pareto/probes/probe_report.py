"""Which probes can measure on this machine (or why not), and its fingerprint, in words.

Used by ``pytest-pareto probes`` and by the pytest header.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pytest_pareto.model.machine import Machine
from pytest_pareto.model.metrics import Metric
from pytest_pareto.model.nvml_devices import NvmlUnavailable, open_nvml
from pytest_pareto.probes import Availability, Probe

__all__ = ["ProbeStatus", "header_lines", "probe_statuses", "report_json", "report_lines"]


@dataclass(frozen=True)
class ProbeStatus:
    """One probe: what it measures, whether it can here, and when it runs."""

    name: str
    metrics: tuple[Metric, ...]
    availability: Availability
    runs: str

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "available": self.availability.available,
            "method": self.availability.method,
            "reason": self.availability.reason,
            "runs": self.runs,
            "metrics": {
                m.name: {**m.to_json(), "description": m.description} for m in self.metrics
            },
        }


def _runs(probe: Probe) -> str:
    rule = getattr(probe, "default_rule", None)
    if isinstance(rule, str) and rule:
        return rule
    return "by default" if probe.default else "on request (name its metric in metrics=)"


def probe_statuses(probes: Sequence[Probe]) -> list[ProbeStatus]:
    return [
        ProbeStatus(probe.name, tuple(probe.metrics), probe.availability(), _runs(probe))
        for probe in probes
    ]


def _metric_words(metric: Metric) -> str:
    if metric.rate:  # no direction: a rate is neither better lower nor higher here
        return f"{metric.name} [{metric.unit or 'no unit'}, rate, never gates]"
    kinds = [
        metric.unit or "no unit",
        f"{metric.direction.value} is better",
        metric.variability.value,
    ]
    if metric.estimate:
        kinds.append("estimate, never gates")
    return f"{metric.name} [{', '.join(kinds)}]"


def header_lines(probes: Sequence[Probe]) -> list[str]:
    """The probes part of the pytest header: one line per probe."""
    lines = ["pareto probes:"]
    for status in probe_statuses(probes):
        lines.append(f"  {status.name}: {status.availability.describe()}")
    return lines


def gpu_note(environ: Mapping[str, str] | None = None) -> str:
    """Why the fingerprint lists no GPU ("" when NVML sees visible GPUs)."""
    try:
        _, inventory = open_nvml(environ)
    except NvmlUnavailable as exc:
        return str(exc)
    return inventory.reason


def report_lines(probes: Sequence[Probe], machine: Machine, *, gpus_note: str = "") -> list[str]:
    """``pytest-pareto probes``: every probe, then the machine fingerprint."""
    statuses = probe_statuses(probes)
    available = sum(s.availability.available for s in statuses)
    lines = [f"probes ({available} of {len(statuses)} available here):"]
    for status in statuses:
        state = "available" if status.availability.available else "unavailable"
        lines.append(f"  {status.name}: {state}")
        lines.append(f"      metrics: {'; '.join(_metric_words(m) for m in status.metrics)}")
        if status.availability.available:
            lines.append(f"      how: {status.availability.method}")
        else:
            lines.append(f"      why: {status.availability.reason}")
        lines.append(f"      runs: {status.runs}")
    gpus = ", ".join(machine.gpus) if machine.gpus else "none"
    if not machine.gpus and gpus_note:
        gpus += f" ({gpus_note})"
    packages = ", ".join(f"{n} {v}" for n, v in sorted(machine.packages.items())) or "none"
    lines += [
        "",
        "machine fingerprint:",
        f"  hardware class: {machine.hardware_class} (from CPU model, logical CPUs, memory, GPUs)",
        f"  CPU: {machine.cpu_model}",
        f"  logical CPUs: {machine.cpu_count}",
        f"  memory: {machine.memory_gib} GiB",
        f"  GPUs: {gpus}",
        f"  GPU driver: {machine.gpu_driver or '-'}",
        f"  OS: {machine.os}",
        f"  Python: {machine.python}",
        f"  packages: {packages}",
    ]
    return lines


def report_json(
    probes: Sequence[Probe], machine: Machine, *, gpus_note: str = ""
) -> dict[str, Any]:
    return {
        "probes": [status.to_json() for status in probe_statuses(probes)],
        "machine": {**machine.to_json(), "gpus_note": gpus_note},
    }
