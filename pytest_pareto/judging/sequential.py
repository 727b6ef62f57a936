"""The sequential design of replication: when to look at the data, and how much error each
look may spend.

Kept apart from the rank tests (:mod:`.stats`) so that the pytest plugin can register its
options -- whose defaults are these -- without importing the statistics.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pytest_pareto.errors import ConfigError

__all__ = ["DEFAULT_ALPHA", "DEFAULT_BETA", "DEFAULT_PROCESSES", "SequentialDesign"]

DEFAULT_ALPHA = 0.05
"""Chance of a false "worse" per test, over all looks and comparisons."""

DEFAULT_BETA = 0.10
"""Chance, over all looks, of stopping early as "not worse" (the futility boundary) when the
candidate is in truth slower by exactly the tolerance; further beyond it, much less."""

DEFAULT_PROCESSES = 40
"""Most processes per side; looks at 5, 10, 20 and 40."""


@dataclass(frozen=True)
class SequentialDesign:
    """When to look at the data, and how much of ``alpha`` each look may spend.

    Looks come at ``first_look`` processes, doubling up to ``max_processes`` (5, 10, 20, 40).
    Look ``k`` tests at ``alpha * (t_k**rho - t_(k-1)**rho)`` with ``t_k`` its share of
    ``max_processes`` (a power-family spending function): the levels add up to ``alpha``,
    so over all looks the chance of a false "worse" is at most ``alpha`` (union bound),
    whatever made the sampling stop early.

    The futility boundary spends ``beta`` likewise (with ``beta_rho``): a look stops early as
    "not worse" when the rank test rules out a slowdown beyond the tolerance at
    :meth:`futility_level`. Stopping early only ever removes chances to say "worse", so it
    leaves the false-alarm guarantee as it is (a non-binding boundary); what it costs is
    power, at most ``beta`` for a slowdown of exactly the tolerance. ``beta=0`` switches it
    off.
    """

    max_processes: int = DEFAULT_PROCESSES
    alpha: float = DEFAULT_ALPHA
    first_look: int = 5
    rho: float = 1.0
    beta: float = DEFAULT_BETA
    beta_rho: float = 0.5

    def __post_init__(self) -> None:
        if isinstance(self.max_processes, bool) or not isinstance(self.max_processes, int):
            raise ConfigError(f"processes must be an integer >= 1, got {self.max_processes!r}")
        if self.max_processes < 1 or self.first_look < 1:
            raise ConfigError(f"processes must be an integer >= 1, got {self.max_processes!r}")
        if not 0.0 < self.alpha < 1.0:
            raise ConfigError(f"alpha must be between 0 and 1, got {self.alpha!r}")
        if self.rho <= 0 or self.beta_rho <= 0:
            raise ConfigError(f"rho must be > 0, got {min(self.rho, self.beta_rho)!r}")
        if not 0.0 <= self.beta < 1.0:
            raise ConfigError(f"beta must be at least 0 and below 1, got {self.beta!r}")

    def to_json(self) -> dict[str, float]:
        return {"max_processes": self.max_processes, "alpha": self.alpha, "beta": self.beta}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SequentialDesign:
        return cls(
            max_processes=int(data["max_processes"]),
            alpha=float(data["alpha"]),
            beta=float(data.get("beta", DEFAULT_BETA)),
        )

    @property
    def looks(self) -> tuple[int, ...]:
        """Processes per side at each look, e.g. ``(5, 10, 20)``."""
        looks = []
        n = min(self.first_look, self.max_processes)
        while n < self.max_processes:
            looks.append(n)
            n *= 2
        looks.append(self.max_processes)
        return tuple(looks)

    @property
    def single_process(self) -> bool:
        return self.max_processes == 1

    def look_index(self, processes: int) -> int:
        """The look a comparison with ``processes`` candidate processes belongs to."""
        index = 0
        for i, look in enumerate(self.looks):
            if processes >= look:
                index = i
        return index

    def is_final(self, processes: int) -> bool:
        return self.look_index(processes) == len(self.looks) - 1

    def next_look(self, processes: int) -> int | None:
        """Processes per side for the next look, or ``None`` after the last."""
        for look in self.looks:
            if look > processes:
                return look
        return None

    def level(self, processes: int) -> float:
        """The part of ``alpha`` spent at the look of ``processes`` candidate processes."""
        return self._spent(self.alpha, self.rho, processes)

    def futility_level(self, processes: int) -> float:
        """The part of ``beta`` spent at the look of ``processes`` candidate processes."""
        return self._spent(self.beta, self.beta_rho, processes)

    def _spent(self, total: float, rho: float, processes: int) -> float:
        looks = self.looks
        k = self.look_index(processes)
        top = looks[-1]
        spent = total * (looks[k] / top) ** rho
        before = total * (looks[k - 1] / top) ** rho if k > 0 else 0.0
        return float(spent - before)
