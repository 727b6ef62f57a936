"""The plugin's settings: every option and ini value, parsed once.

Nothing else reads ``config.getoption`` or ``config.getini`` for the plugin's own options. A
value that cannot be parsed stops the run with a usage error saying which value and why.
:class:`Settings` is parsed at configure time; :class:`RunSettings`, what measuring and judging
use, when the run first needs them (:func:`parse_run`: the verbose pytest header, or the first
measured test), so that a run that measures nothing does not import the measuring core.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from pytest_pareto.errors import ConfigError, MeasurementError
from pytest_pareto.plugin.options import (
    BENCHMARK_FIXTURE_INI,
    SERIALIZE_INI,
    TIMEOUT_INI,
    UPDATE_PROCESSES,
)

if TYPE_CHECKING:
    # Imported where used, and only when used: every pytest run parses the settings.
    from pytest_pareto.judging.sequential import SequentialDesign
    from pytest_pareto.measuring.measure import MeasureOptions
    from pytest_pareto.model.machine import Matching
    from pytest_pareto.model.metrics import Tolerance
    from pytest_pareto.probes.energy_estimate import CpuPower
    from pytest_pareto.replication.schedule import ReplicaRequest

__all__ = ["PROCESSES_ENV", "RunSettings", "Settings", "header_line", "parse_run", "store_path"]

PROCESSES_ENV = "PYTEST_PARETO_PROCESSES"
"""Environment variable that replaces the ini option ``pareto_processes`` (e.g. ``1`` for a
test suite whose own pytest runs should measure in one process)."""


@dataclass(frozen=True)
class RunSettings:
    """What a measuring run (no ``--pareto-disable``) measures and judges with."""

    update: bool
    strict: bool
    store: Path
    matching: Matching
    default_tolerance: Tolerance
    measure_options: MeasureOptions
    processes: int | None
    """``--pareto-processes`` (wins over markers), else ``None``."""
    default_processes: int
    alpha: float
    process_max_time: float
    """Seconds of timed rounds per measured call in a replica."""
    replica_forks: int
    """Replicas forked from each warm process; 0: each replica starts afresh."""
    max_age_s: float | None
    """Stored noisy points older than this are warned about; ``None``: never."""
    against: str | None
    """``--pareto-against REF``; never set in a replica."""
    replica: ReplicaRequest | None
    """``--pareto-replica FILE``: this process is a replica measuring these tests."""
    energy_estimate: bool
    cpu_power: CpuPower | None
    serialize_measurements: bool
    """Under xdist, hold the host's measurement lock around noisy measurements."""
    measure_lock_timeout: float
    """Seconds to wait for that lock; ``-1``: no limit."""
    raw_rounds: Path | None = None
    """``--pareto-raw-rounds``: the folder each result's raw rounds are written to."""

    def design(self, processes: int | None) -> SequentialDesign:
        """The sequential design of a test whose marker asks for ``processes``."""
        from pytest_pareto.judging.sequential import SequentialDesign

        most = self.processes or processes or self.default_processes
        if self.update:
            most = min(most, UPDATE_PROCESSES)
        return SequentialDesign(max_processes=most, alpha=self.alpha)

    @classmethod
    def parse(cls, config: pytest.Config) -> RunSettings:
        """Raises :class:`ConfigError` or :class:`MeasurementError` saying what is wrong."""
        from pytest_pareto.measuring.measure import MeasureOptions
        from pytest_pareto.model.machine import Matching
        from pytest_pareto.model.metrics import Tolerance
        from pytest_pareto.reports.staleness import parse_age
        from pytest_pareto.store.raw_rounds import RAW_FOLDER

        replica_file = config.getoption("pareto_replica")
        update = bool(config.getoption("pareto_update"))
        tdp = str(config.getini("pareto_cpu_tdp")).strip()
        return cls(
            update=update,
            strict=_strict(config),
            store=store_path(config),
            matching=Matching.parse(_matching(config)),
            default_tolerance=Tolerance.parse(config.getini("pareto_tolerance")),
            measure_options=MeasureOptions(
                max_time=_seconds(config, "pareto_max_time"),
                normalise_speed=bool(config.getini("pareto_normalise_speed")),
            ),
            processes=_processes_option(config),
            default_processes=_default_processes(config),
            alpha=_alpha(config),
            process_max_time=_positive_float(config, "pareto_process_max_time"),
            replica_forks=_replica_forks(config),
            max_age_s=parse_age(str(config.getini("pareto_baseline_max_age"))),
            against=None if replica_file else _against(config, update),
            replica=_replica_request(replica_file) if replica_file else None,
            energy_estimate=bool(config.getini("pareto_energy_estimate")),
            cpu_power=_cpu_power(tdp) if tdp else None,
            serialize_measurements=bool(config.getini(SERIALIZE_INI)),
            measure_lock_timeout=_lock_timeout(config),
            raw_rounds=config.rootpath / RAW_FOLDER
            if config.getoption("pareto_raw_rounds") and not replica_file
            else None,
        )


@dataclass(frozen=True)
class Settings:
    """Every option and ini value of the plugin, parsed once (see :meth:`parse`)."""

    reports: tuple[str, ...]
    """``--pareto-report`` paths, relative to the invocation folder."""
    notebooks: bool
    notebook_timeout: int
    notebook_kernel: str
    benchmark_fixture: bool
    disabled: bool
    """``--pareto-disable``: nothing is measured or judged."""
    replica: bool
    """``--pareto-replica``: this process is a replica (it measures from the start)."""
    store: Path

    @classmethod
    def parse(cls, config: pytest.Config) -> Settings:
        """Parse every value; one that cannot be parsed is a :class:`pytest.UsageError`."""
        reports = tuple(str(path) for path in config.getoption("pareto_report"))
        if reports:
            _check_report_names(reports)
        try:
            timeout = int(float(config.getini("pareto_notebook_timeout")))
        except ValueError:
            raise pytest.UsageError("ini pareto_notebook_timeout must be a number") from None
        return cls(
            reports=reports,
            notebooks=bool(config.getoption("pareto_notebooks")),
            notebook_timeout=timeout,
            notebook_kernel=str(config.getini("pareto_notebook_kernel")),
            benchmark_fixture=bool(config.getini(BENCHMARK_FIXTURE_INI)),
            disabled=bool(config.getoption("pareto_disable")),
            replica=bool(config.getoption("pareto_replica")),
            store=store_path(config),
        )


def parse_run(config: pytest.Config) -> RunSettings:
    """What a measuring run measures and judges with; a value that cannot be parsed is a
    :class:`pytest.UsageError`."""
    try:
        return RunSettings.parse(config)
    except (ConfigError, MeasurementError) as exc:
        raise pytest.UsageError(f"pytest-pareto: {exc}") from None


def store_path(config: pytest.Config) -> Path:
    """The baseline store: ``--pareto-store`` or the ini ``pareto_store``, from the rootdir."""
    return Path(config.rootpath, config.getoption("pareto_store") or config.getini("pareto_store"))


def _seconds(config: pytest.Config, name: str) -> float:
    try:
        return float(config.getini(name))
    except ValueError:
        raise ConfigError(f"ini {name} must be a number of seconds") from None


def _positive_float(config: pytest.Config, name: str) -> float:
    text = str(config.getini(name))
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise ConfigError(f"ini {name} = {text!r} must be a number > 0")
    return value


def _processes_option(config: pytest.Config) -> int | None:
    processes: int | None = config.getoption("pareto_processes")
    if processes is not None and processes < 1:
        raise ConfigError(f"--pareto-processes {processes}: must be at least 1")
    return processes


def _default_processes(config: pytest.Config) -> int:
    from_env = os.environ.get(PROCESSES_ENV, "").strip()
    source = PROCESSES_ENV if from_env else "ini pareto_processes"
    try:
        processes = int(from_env or str(config.getini("pareto_processes")))
    except ValueError:
        processes = 0
    if processes < 1:
        raise ConfigError(f"{source} must be an integer >= 1")
    return processes


def _replica_forks(config: pytest.Config) -> int:
    text = str(config.getini("pareto_replica_forks")).strip()
    try:
        forks = int(text)
    except ValueError:
        forks = -1
    if forks < 0:
        raise ConfigError(
            f"ini pareto_replica_forks = {text!r} must be an integer >= 0 "
            "(0 starts every replica as a fresh process)"
        )
    return forks


def _alpha(config: pytest.Config) -> float:
    alpha = _positive_float(config, "pareto_alpha")
    if alpha >= 1:
        raise ConfigError("ini pareto_alpha must be between 0 and 1")
    return alpha


def _against(config: pytest.Config, update: bool) -> str | None:
    against: str | None = config.getoption("pareto_against")
    if against and update:
        raise ConfigError(
            "--pareto-against judges against a git ref, --pareto-update stores results: "
            "use one at a time"
        )
    if against:
        from pytest_pareto.replication.worktree import resolve_commit

        resolve_commit(config.rootpath, against)  # a bad ref stops the run right away
    return against


def _lock_timeout(config: pytest.Config) -> float:
    text = config.getini(TIMEOUT_INI)
    try:
        timeout = float(text)
    except ValueError:
        raise ConfigError(f"ini {TIMEOUT_INI} must be a number of seconds, got {text!r}") from None
    return timeout if timeout > 0 else -1


def _check_report_names(reports: tuple[str, ...]) -> None:
    from pytest_pareto.reports.run_report import REPORT_SUFFIXES

    for path in reports:
        if Path(path).suffix.lower() not in REPORT_SUFFIXES:
            raise pytest.UsageError(
                f"--pareto-report {path}: name the file with one of "
                f"{', '.join(REPORT_SUFFIXES)} to choose the format"
            )


def _replica_request(path: str) -> ReplicaRequest:
    from pytest_pareto.replication.schedule import ReplicaRequest

    return ReplicaRequest.load(path)


def _cpu_power(tdp: str) -> CpuPower:
    from pytest_pareto.probes.energy_estimate import parse_tdp

    return parse_tdp(tdp)


def header_line(config: pytest.Config, store: Path) -> str:
    """The header's line of settings, read as given: a run that measures nothing shows it
    without building the measuring run (a bad value is reported when one is measured)."""
    update = bool(config.getoption("pareto_update"))
    return (
        f"pareto: store {store}, mode {'update' if update else 'judge'}, "
        f"strict {'on' if _strict(config) else 'off'}, machine matching {_matching(config)}"
    )


def _strict(config: pytest.Config) -> bool:
    """``--pareto-strict``, else the ini value."""
    given = config.getoption("pareto_strict")
    return bool(given) if given is not None else bool(config.getini("pareto_strict"))


def _matching(config: pytest.Config) -> str:
    """``--pareto-machine``, else the ini value, as written."""
    return str(config.getoption("pareto_machine") or config.getini("pareto_machine"))
