"""Running ``git``: one helper, each caller with its own patience and its own advice."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_pareto.errors import ConfigError

__all__ = ["Git"]


@dataclass(frozen=True)
class Git:
    """How one caller runs git: how long it waits, and what it says when git fails it.

    A non-zero exit is never an error here: callers read ``returncode`` and ``stderr``.
    """

    timeout_s: float
    not_installed: str | None = None
    """The :class:`ConfigError` text when git is not installed; ``None``: the ``OSError``
    propagates."""
    slow_is_error: bool = False
    """Whether running past ``timeout_s`` is a :class:`ConfigError` saying so; otherwise
    :class:`subprocess.TimeoutExpired` propagates."""

    def text(self, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
        """``git ARGS`` in ``cwd``, its output as text."""
        return self._run(cwd, args, text=True)

    def binary(self, cwd: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
        """``git ARGS`` in ``cwd``, its output as bytes (file names and contents as stored)."""
        return self._run(cwd, args, text=False)

    def _run(
        self, cwd: Path, args: tuple[str, ...], *, text: bool
    ) -> subprocess.CompletedProcess[Any]:
        try:
            return subprocess.run(
                ["git", *args],
                cwd=cwd,
                capture_output=True,
                text=text,
                timeout=self.timeout_s,
                check=False,
            )
        except FileNotFoundError:
            if self.not_installed is None:
                raise
            raise ConfigError(self.not_installed) from None
        except subprocess.TimeoutExpired:
            if not self.slow_is_error:
                raise
            raise ConfigError(
                f"git {' '.join(args)} took over {self.timeout_s:g} s; giving up"
            ) from None
