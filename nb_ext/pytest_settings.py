"""The project's pytest settings (``pareto_store``, ``pareto_tolerance``), read without pytest.

A notebook should judge against the frontiers, and with the tolerance, that ``pytest`` would
use. pytest takes the first configuration file found walking up from where it starts:
``pytest.ini`` or ``.pytest.ini`` (whatever they hold), ``pyproject.toml`` with a
``[tool.pytest.ini_options]`` table, ``tox.ini`` with a ``[pytest]`` section, or
``setup.cfg`` with a ``[tool:pytest]`` section. Its folder is the project root.
"""

from __future__ import annotations

import configparser
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_pareto.errors import ConfigError

__all__ = ["PytestSettings", "read_pytest_settings"]

_INI_SECTIONS = (
    ("pytest.ini", "pytest"),
    (".pytest.ini", "pytest"),
    ("pyproject.toml", None),
    ("tox.ini", "pytest"),
    ("setup.cfg", "tool:pytest"),
)


@dataclass(frozen=True)
class PytestSettings:
    """The ``pareto_*`` values of one pytest configuration file."""

    path: Path
    values: Mapping[str, str]

    @property
    def root(self) -> Path:
        return self.path.parent


def read_pytest_settings(start: Path) -> PytestSettings | None:
    """The settings of the configuration file pytest would use from ``start``, if any."""
    for folder in (start, *start.parents):
        for name, section in _INI_SECTIONS:
            path = folder / name
            if not path.is_file():
                continue
            values = _read_pyproject(path) if section is None else _read_ini(path, section, name)
            if values is not None:
                return PytestSettings(path, values)
    return None


def _pareto_values(items: Mapping[str, Any]) -> dict[str, str]:
    return {k: str(v) for k, v in items.items() if k.startswith("pareto_")}


def _read_ini(path: Path, section: str, name: str) -> dict[str, str] | None:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path, encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read as an ini file ({exc})") from None
    if parser.has_section(section):
        return _pareto_values(parser[section])
    # pytest.ini counts even without a [pytest] section; the others only with one.
    return {} if name in ("pytest.ini", ".pytest.ini") else None


def _read_pyproject(path: Path) -> dict[str, str] | None:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pytest itself depends on tomli before 3.11
        import tomli as tomllib

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read as TOML ({exc})") from None
    options = data.get("tool", {}).get("pytest", {}).get("ini_options")
    return _pareto_values(options) if isinstance(options, dict) else None
