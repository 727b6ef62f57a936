"""CPU energy from RAPL counters in sysfs: every package (socket) and its DRAM.

Sources, in order of preference:

* the powercap interface, ``/sys/class/powercap/intel-rapl:N`` (package) and
  ``intel-rapl:N:M`` (its core, uncore and dram subdomains). Intel CPUs, and AMD CPUs since
  Linux 5.11 (packages and cores only), appear here;
* ``intel-rapl-mmio:N``, the same package domains read through MMIO, used only for a package
  the MSR interface does not expose (counting both would count the package twice);
* the ``amd_energy`` hwmon driver of older AMD kernels (``energyN_input`` labelled
  ``EsocketN``).

``energy_cpu`` is the sum of package and dram domains (core and uncore lie inside the
package; ``psys`` covers the whole platform and is left out). Counters are socket-wide, so the
work of other processes counts too, and they update about every millisecond: the probe brackets
the whole timed pass and the metric is noisy. A counter that passed ``max_energy_range_uj``
during the pass wraps to zero, which the probe adds back; counters that never move (dead ones
that some hypervisors expose) record nothing rather than a zero.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from pytest_pareto.errors import MeasurementError
from pytest_pareto.model.metrics import BUILTIN_METRICS, Metric
from pytest_pareto.probes._protocol import Availability, Scope

__all__ = ["EnergyCounter", "RaplProbe", "find_counters"]

_POWERCAP_ZONE = re.compile(r"^(intel-rapl|intel-rapl-mmio):(\d+)(?::(\d+))?$")
_DIE = re.compile(r"^(package-\d+)-die-\d+$")
STUCK_AFTER_S = 0.05
"""A pass this long moves any live counter (they update about every millisecond)."""
_MIRROR_CHECKS = 3
"""Readings compared to tell a die zone that mirrors another's counter."""


@dataclass(frozen=True)
class EnergyCounter:
    """One energy counter file, in microjoules."""

    label: str
    """The domain, e.g. ``package-0`` or ``dram (package-1)``."""
    path: Path
    max_range_uj: int = 0
    """Where the counter wraps to zero; 0 when it does not wrap or the range is unknown."""

    def read_uj(self) -> int:
        with self.path.open("rb") as handle:
            return int(handle.read().strip())


def _read_text(path: Path) -> str:
    with path.open("rb") as handle:
        return handle.read().decode(errors="replace").strip()


def _permission_reason(path: Path, root: Path) -> str:
    return (
        f"cannot read {path}: permission denied. Since Linux 5.10 energy counters are "
        f"readable by root only (CVE-2020-8694). Grant read access until reboot with "
        f"`sudo chmod a+r {root}/*/energy_uj`, or for good with a udev rule: "
        f'`echo \'SUBSYSTEM=="powercap", ACTION=="add", RUN+="/bin/chmod a+r '
        f"/sys%p/energy_uj\"' | sudo tee /etc/udev/rules.d/60-powercap.rules && sudo udevadm "
        f"trigger --subsystem-match=powercap --action=add` (use chgrp and g+r instead to limit "
        f"it to one group)"
    )


@dataclass(frozen=True)
class _Zone:
    interface: str
    package: int
    sub: int | None
    name: str
    directory: Path


def _powercap_zones(powercap: Path) -> list[_Zone]:
    zones = []
    for entry in powercap.iterdir():
        match = _POWERCAP_ZONE.match(entry.name)
        if match is None:
            continue
        try:
            name = _read_text(entry / "name")
        except OSError:
            continue
        sub = int(match.group(3)) if match.group(3) is not None else None
        zones.append(_Zone(match.group(1), int(match.group(2)), sub, name, entry))
    # The MSR interface first, so an MMIO zone counts only where MSR lacks that domain.
    zones.sort(key=lambda z: (z.interface != "intel-rapl", z.package, z.sub or -1))
    return zones


def _max_range(directory: Path) -> int:
    try:
        return int(_read_text(directory / "max_energy_range_uj"))
    except (OSError, ValueError):
        return 0


def _powercap_counters(powercap: Path) -> list[EnergyCounter]:
    zones = _powercap_zones(powercap)
    package_names = {
        (z.interface, z.package): z.name for z in zones if z.sub is None
    }  # a subdomain's parent
    chosen: dict[str, EnergyCounter] = {}
    for zone in zones:
        if zone.name.startswith("package"):
            key = zone.name
        elif zone.name == "dram":
            parent = package_names.get((zone.interface, zone.package), f"package-{zone.package}")
            key = f"dram ({parent})" if zone.sub is not None else f"dram-{zone.package}"
        else:
            continue  # core and uncore lie inside the package; psys covers the whole platform
        if key not in chosen:
            chosen[key] = EnergyCounter(
                key, zone.directory / "energy_uj", _max_range(zone.directory)
            )
    return list(chosen.values())


def _hwmon_counters(hwmon: Path) -> list[EnergyCounter]:
    counters = []
    for device in sorted(hwmon.iterdir()):
        try:
            if _read_text(device / "name") != "amd_energy":
                continue
        except OSError:
            continue
        for label_file in sorted(device.glob("energy*_label")):
            try:
                label = _read_text(label_file)
            except OSError:
                continue
            if label.startswith("Esocket"):
                channel = label_file.name.removesuffix("_label")
                socket = label.removeprefix("Esocket")
                # The driver accumulates into 64 bits: no wrap to handle.
                counters.append(EnergyCounter(f"socket-{socket}", device / f"{channel}_input"))
    return counters


def _drop_mirrored_dies(counters: list[EnergyCounter]) -> list[EnergyCounter]:
    """Drop die zones that mirror their package's counter (some multi-die AMD CPUs)."""
    kept: list[EnergyCounter] = []
    first_die: dict[str, EnergyCounter] = {}
    for counter in counters:
        match = _DIE.match(counter.label)
        if match is None:
            kept.append(counter)
            continue
        first = first_die.setdefault(match.group(1), counter)
        if first is not counter and _same_counter(first, counter):
            continue
        kept.append(counter)
    return kept


def _same_counter(a: EnergyCounter, b: EnergyCounter) -> bool:
    try:
        return any(a.read_uj() == b.read_uj() for _ in range(_MIRROR_CHECKS))
    except (OSError, ValueError):
        return False


def find_counters(sysfs: Path | str = "/sys") -> tuple[tuple[EnergyCounter, ...], str]:
    """The energy counters to sum under ``sysfs``, or none and the reason (with the fix)."""
    root = Path(sysfs)
    powercap = root / "class" / "powercap"
    hwmon = root / "class" / "hwmon"
    counters: list[EnergyCounter] = []
    searched = []
    if powercap.is_dir():
        counters = _powercap_counters(powercap)
        searched.append(f"no package or dram zone under {powercap}")
    else:
        searched.append(f"{powercap} does not exist")
    if not counters and hwmon.is_dir():
        counters = _hwmon_counters(hwmon)
    if not counters:
        return (), (
            f"no RAPL energy counters: {'; '.join(searched)} and no amd_energy hwmon device "
            "(a virtual machine without RAPL, a CPU without it, or the driver is not loaded: "
            "`sudo modprobe intel_rapl_msr`)"
        )
    for counter in counters:
        try:
            counter.read_uj()
        except PermissionError:
            fix_root = powercap if counter.path.is_relative_to(powercap) else counter.path.parent
            return (), _permission_reason(counter.path, fix_root)
        except (OSError, ValueError) as exc:
            return (), f"cannot read the RAPL counter {counter.path}: {exc}"
    return tuple(_drop_mirrored_dies(counters)), ""


class RaplProbe:
    """``energy_cpu``: joules per call of every CPU package and its DRAM (RAPL)."""

    name: str = "rapl"
    metrics: tuple[Metric, ...] = (BUILTIN_METRICS["energy_cpu"],)
    scope: Scope = Scope.PASS
    per_call: frozenset[str] = frozenset({"energy_cpu"})
    default: bool = True
    default_rule: str = "by default where available"

    def __init__(
        self, sysfs: Path | str = "/sys", *, clock: Callable[[], float] = time.perf_counter
    ) -> None:
        self._sysfs = Path(sysfs)
        self._clock = clock
        self._found: tuple[tuple[EnergyCounter, ...], str] | None = None
        self._start: list[int] = []
        self._started_at = 0.0
        self._paused: list[int] | None = None
        self._excluded_uj = 0
        self._excluded_s = 0.0
        self._paused_at = 0.0

    @property
    def counters(self) -> tuple[EnergyCounter, ...]:
        if self._found is None:
            self._found = find_counters(self._sysfs)
        return self._found[0]

    def availability(self) -> Availability:
        counters = self.counters
        assert self._found is not None
        if not counters:
            return Availability.no(self._found[1])
        domains = ", ".join(f"{c.label} ({c.path.parent.name})" for c in counters)
        return Availability.yes(
            f"RAPL counters {domains}, around the timed pass; socket-wide, updated about every 1 ms"
        )

    def _read_all(self) -> list[int]:
        try:
            return [counter.read_uj() for counter in self.counters]
        except (OSError, ValueError) as exc:
            raise MeasurementError(f"a RAPL energy counter could not be read: {exc}") from None

    def start(self) -> None:
        if not self.counters:
            raise MeasurementError(f"RAPL is unavailable: {self.availability().reason}")
        self._excluded_uj, self._excluded_s, self._paused = 0, 0.0, None
        self._started_at = self._clock()
        self._start = self._read_all()

    def pause(self) -> None:
        self._paused = self._read_all()
        self._paused_at = self._clock()

    def resume(self) -> None:
        if self._paused is None:
            return
        used = self._used_uj(self._paused, self._read_all())
        self._excluded_s += self._clock() - self._paused_at
        self._excluded_uj += used if used is not None else 0
        self._paused = None

    def _used_uj(self, before: list[int], after: list[int]) -> int | None:
        """Microjoules between two readings of every counter; ``None`` after a wrap of
        unknown range."""
        total = 0
        for counter, start, end in zip(self.counters, before, after, strict=True):
            delta = end - start
            if delta < 0:
                if counter.max_range_uj <= 0:
                    return None
                delta += counter.max_range_uj
            total += delta
        return total

    def stop(self) -> Mapping[str, float]:
        used = self._used_uj(self._start, self._read_all())
        elapsed = self._clock() - self._started_at - self._excluded_s
        if used is None:
            return {}  # wrapped with an unknown range: no honest value
        total_uj = max(0, used - self._excluded_uj)
        if total_uj == 0 and elapsed > STUCK_AFTER_S:
            return {}  # counters that do not move (some hypervisors expose them): not a zero
        return {"energy_cpu": total_uj / 1e6}
