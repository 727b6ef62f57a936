"""The errors pytest-pareto raises on purpose, each saying what to do."""

from __future__ import annotations

from pathlib import Path

__all__ = ["BaselineFileError", "ConfigError", "MeasurementError", "ParetoError"]


class ParetoError(Exception):
    """Base class of every error pytest-pareto raises on purpose."""


class ConfigError(ParetoError, ValueError):
    """A marker argument, option, tolerance or metric name is not valid."""


class MeasurementError(ParetoError):
    """A measurement could not be taken as asked."""


class BaselineFileError(ParetoError):
    """A baseline file cannot be read or written; the file is left as it is."""

    def __init__(self, path: Path | str, problem: str, fix: str = "") -> None:
        self.path = Path(path)
        self.problem = problem
        self.fix = fix or (
            "fix or remove the file (it is under version control: `git checkout -- FILE` "
            "restores the committed one), then run again"
        )
        super().__init__(f"{self.path}: {problem}; {self.fix}")
