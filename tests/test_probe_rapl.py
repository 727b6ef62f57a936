"""The RAPL probe reads a fake sysfs tree with its real reading code."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pytest_pareto.errors import MeasurementError
from pytest_pareto.measuring.measure import MeasureOptions, measure
from pytest_pareto.probes import Probe, RaplProbe, Scope
from pytest_pareto.probes.rapl import find_counters

MAX_RANGE = 262_143_328_850  # a typical max_energy_range_uj


def zone(
    sysfs: Path, directory: str, name: str, energy_uj: int, max_range: int | None = MAX_RANGE
) -> Path:
    """A powercap zone under ``sysfs/class/powercap``; returns its energy_uj file."""
    path = sysfs / "class" / "powercap" / directory
    path.mkdir(parents=True)
    (path / "name").write_text(name + "\n")
    (path / "energy_uj").write_text(f"{energy_uj}\n")
    if max_range is not None:
        (path / "max_energy_range_uj").write_text(f"{max_range}\n")
    return path / "energy_uj"


def set_uj(path: Path, value: int) -> None:
    path.write_text(f"{value}\n")


def two_socket_server(sysfs: Path) -> dict[str, Path]:
    """Two packages with core and dram subdomains, and a psys zone."""
    (sysfs / "class" / "powercap" / "intel-rapl").mkdir(parents=True)  # the control type
    return {
        "package-0": zone(sysfs, "intel-rapl:0", "package-0", 1_000_000),
        "core-0": zone(sysfs, "intel-rapl:0:0", "core", 500_000),
        "dram-0": zone(sysfs, "intel-rapl:0:1", "dram", 2_000_000),
        "package-1": zone(sysfs, "intel-rapl:1", "package-1", 7_000_000),
        "core-1": zone(sysfs, "intel-rapl:1:0", "core", 800_000),
        "dram-1": zone(sysfs, "intel-rapl:1:1", "dram", 3_000_000),
        "psys": zone(sysfs, "intel-rapl:2", "psys", 9_000_000),
    }


def test_is_a_probe_around_the_whole_pass() -> None:
    probe = RaplProbe()
    assert isinstance(probe, Probe)
    assert probe.scope is Scope.PASS
    assert probe.per_call == {"energy_cpu"}
    assert probe.metrics[0].noisy
    assert probe.metrics[0].unit == "J"


def test_no_powercap_tree_is_unavailable_with_the_reason(tmp_path: Path) -> None:
    availability = RaplProbe(tmp_path).availability()
    assert not availability.available
    assert f"{tmp_path / 'class' / 'powercap'} does not exist" in availability.reason
    assert "modprobe intel_rapl_msr" in availability.reason
    with pytest.raises(MeasurementError, match="RAPL is unavailable"):
        RaplProbe(tmp_path).start()


def test_two_packages_and_their_dram_are_summed(tmp_path: Path) -> None:
    files = two_socket_server(tmp_path)
    probe = RaplProbe(tmp_path)
    availability = probe.availability()
    assert availability.available, availability.reason
    assert [c.label for c in probe.counters] == [
        "package-0",
        "dram (package-0)",
        "package-1",
        "dram (package-1)",
    ]
    probe.start()
    set_uj(files["package-0"], 1_000_000 + 250_000)
    set_uj(files["dram-0"], 2_000_000 + 40_000)
    set_uj(files["package-1"], 7_000_000 + 300_000)
    set_uj(files["dram-1"], 3_000_000 + 10_000)
    # Inside the package, or the whole platform: must not be added again.
    set_uj(files["core-0"], 500_000 + 200_000)
    set_uj(files["psys"], 9_000_000 + 900_000)
    assert probe.stop() == {"energy_cpu": pytest.approx(0.6)}


def test_a_counter_that_wraps_during_the_measurement(tmp_path: Path) -> None:
    package0 = zone(tmp_path, "intel-rapl:0", "package-0", MAX_RANGE - 300)
    package1 = zone(tmp_path, "intel-rapl:1", "package-1", 5_000)
    probe = RaplProbe(tmp_path)
    probe.start()
    set_uj(package0, 200)  # passed max_energy_range_uj and restarted from zero
    set_uj(package1, 6_000)
    assert probe.stop() == {"energy_cpu": pytest.approx((500 + 1_000) / 1e6)}


def test_a_wrap_with_an_unknown_range_records_nothing(tmp_path: Path) -> None:
    package0 = zone(tmp_path, "intel-rapl:0", "package-0", 90_000, max_range=0)
    probe = RaplProbe(tmp_path)
    probe.start()
    set_uj(package0, 10)
    assert probe.stop() == {}


def test_counters_that_never_move_record_nothing(tmp_path: Path) -> None:
    zone(tmp_path, "intel-rapl:0", "package-0", 42)
    clock = iter([10.0, 11.0])  # a one-second pass: live counters would have moved
    probe = RaplProbe(tmp_path, clock=lambda: next(clock))
    probe.start()
    assert probe.stop() == {}
    clock = iter([10.0, 10.001])  # too short to tell: a true zero
    probe = RaplProbe(tmp_path, clock=lambda: next(clock))
    probe.start()
    assert probe.stop() == {"energy_cpu": 0.0}


def test_energy_per_call_through_the_measuring_loop(tmp_path: Path) -> None:
    package0 = zone(tmp_path, "intel-rapl:0", "package-0", 0)
    calls = []

    def work() -> None:  # each call "uses" 1000 µJ
        calls.append(None)
        set_uj(package0, 1000 * len(calls))

    result = measure(
        work, probes=[RaplProbe(tmp_path)], options=MeasureOptions(rounds=3, iterations=5)
    )
    assert result.samples["energy_cpu"].rounds == (pytest.approx(1e-3),)
    assert len(calls) == 1 + 15  # the warm-up call is outside the pass


def _deny_reading(monkeypatch: pytest.MonkeyPatch, denied: Path) -> None:
    """Make ``denied`` unreadable as the kernel does for non-root users (tests may run as root)."""
    real_open = Path.open

    def guarded_open(self: Path, *args: object, **kwargs: object) -> object:
        if self == denied:
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(Path, "open", guarded_open)


def test_an_unreadable_counter_gives_the_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = two_socket_server(tmp_path)
    _deny_reading(monkeypatch, files["package-1"])
    availability = RaplProbe(tmp_path).availability()
    assert not availability.available
    assert f"cannot read {files['package-1']}: permission denied" in availability.reason
    assert "Linux 5.10" in availability.reason
    assert "sudo chmod a+r" in availability.reason
    assert "SUBSYSTEM==" in availability.reason
    assert "udevadm trigger" in availability.reason


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_a_root_only_counter_file_is_unavailable(tmp_path: Path) -> None:
    energy = zone(tmp_path, "intel-rapl:0", "package-0", 1)
    energy.chmod(0o000)
    availability = RaplProbe(tmp_path).availability()
    assert not availability.available
    assert "permission denied" in availability.reason


def test_a_counter_lost_during_the_measurement_is_an_error(tmp_path: Path) -> None:
    package0 = zone(tmp_path, "intel-rapl:0", "package-0", 1)
    probe = RaplProbe(tmp_path)
    probe.start()
    package0.unlink()
    with pytest.raises(MeasurementError, match="could not be read"):
        probe.stop()


def test_mmio_counts_only_packages_the_msr_interface_lacks(tmp_path: Path) -> None:
    zone(tmp_path, "intel-rapl:0", "package-0", 1)
    zone(tmp_path, "intel-rapl-mmio:0", "package-0", 2)
    counters, _ = find_counters(tmp_path)
    assert [(c.label, c.path.parent.name) for c in counters] == [("package-0", "intel-rapl:0")]

    mmio_only = tmp_path / "mmio"
    zone(mmio_only, "intel-rapl-mmio:0", "package-0", 2)
    counters, _ = find_counters(mmio_only)
    assert [c.path.parent.name for c in counters] == ["intel-rapl-mmio:0"]


def test_die_zones_that_mirror_one_counter_count_once(tmp_path: Path) -> None:
    zone(tmp_path, "intel-rapl:0", "package-0-die-0", 123_456)
    zone(tmp_path, "intel-rapl:1", "package-0-die-1", 123_456)  # the same socket counter
    counters, _ = find_counters(tmp_path)
    assert [c.label for c in counters] == ["package-0-die-0"]

    distinct = tmp_path / "distinct"
    zone(distinct, "intel-rapl:0", "package-0-die-0", 123_456)
    zone(distinct, "intel-rapl:1", "package-0-die-1", 654_321)
    counters, _ = find_counters(distinct)
    assert [c.label for c in counters] == ["package-0-die-0", "package-0-die-1"]


def test_amd_energy_hwmon_sockets(tmp_path: Path) -> None:
    device = tmp_path / "class" / "hwmon" / "hwmon3"
    device.mkdir(parents=True)
    (device / "name").write_text("amd_energy\n")
    for channel, label, value in (
        (1, "Ecore000", 10),
        (17, "Esocket0", 1_000),
        (18, "Esocket1", 2_000),
    ):
        (device / f"energy{channel}_label").write_text(label + "\n")
        (device / f"energy{channel}_input").write_text(f"{value}\n")
    probe = RaplProbe(tmp_path)
    assert [c.label for c in probe.counters] == ["socket-0", "socket-1"]
    probe.start()
    set_uj(device / "energy17_input", 1_500)
    set_uj(device / "energy18_input", 2_700)
    set_uj(device / "energy1_input", 99_999)  # a core: inside the socket
    assert probe.stop() == {"energy_cpu": pytest.approx(1.2e-3)}


def test_energy_counts_only_the_timed_calls_not_setup_or_calibration(tmp_path: Path) -> None:
    """The counter moves 1000 µJ per call and 1 J per (untimed) setup: 1 mJ per call."""
    package0 = zone(tmp_path, "intel-rapl:0", "package-0", 0)
    used = [0]

    def spend(microjoules: int) -> None:
        used[0] += microjoules
        set_uj(package0, used[0])

    def setup() -> tuple[tuple[()], dict[str, object]]:
        spend(1_000_000)
        return (), {}

    result = measure(
        lambda: spend(1000),
        probes=[RaplProbe(tmp_path)],
        options=MeasureOptions(rounds=5, normalise_speed=True),
        setup=setup,
    )
    assert result.samples["energy_cpu"].rounds == (pytest.approx(1e-3),)


def test_a_wrap_inside_a_paused_segment_is_left_out_too(tmp_path: Path) -> None:
    package0 = zone(tmp_path, "intel-rapl:0", "package-0", MAX_RANGE - 500)
    probe = RaplProbe(tmp_path)
    probe.start()
    set_uj(package0, MAX_RANGE - 100)  # 400 µJ timed
    probe.pause()
    set_uj(package0, 700)  # 800 µJ untimed, across the wrap
    probe.resume()
    set_uj(package0, 1300)  # 600 µJ timed
    assert probe.stop() == {"energy_cpu": pytest.approx(1000 / 1e6)}
