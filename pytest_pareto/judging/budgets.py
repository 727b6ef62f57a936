"""Budgets: hard limits on a test's metrics, checked independently of the frontier.

A budget is written ``"<op> <amount>[unit]"`` with ``op`` one of ``<=``, ``<``, ``>=``, ``>``
(or ``≤``, ``≥``). The unit converts the amount to the metric's base unit (``2s``, ``512MiB``,
``3Wh``; none means the base unit). A ``%`` makes the budget relative to the best value of that
metric among the comparable stored frontier points: ``"accuracy": ">= 99.5%"`` asks for at
least 99.5% of the best stored accuracy.
"""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pytest_pareto.errors import ConfigError
from pytest_pareto.model.metrics import Direction, Metric
from pytest_pareto.model.points import Point
from pytest_pareto.model.units import to_base_unit

__all__ = [
    "Budget",
    "BudgetResult",
    "BudgetStatus",
    "check_budgets",
    "parse_budgets",
    "refuse_non_gating",
]

_SPEC = re.compile(
    r"^\s*(?P<op><=|>=|<|>|≤|≥)\s*"
    r"(?P<amount>[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)\s*"
    r"(?P<unit>[^\s\d.+\-]\S*)?\s*$"
)
_OPERATORS = {"<=": "<=", "<": "<", ">=": ">=", ">": ">", "≤": "<=", "≥": ">="}
_EXAMPLES = "e.g. '>= 0.90', '<= 512MiB', '<= 2s' or '>= 99.5%' (relative to the best stored point)"


def _holds(value: float, operator: str, limit: float) -> bool:
    if operator == "<=":
        return value <= limit
    if operator == "<":
        return value < limit
    if operator == ">=":
        return value >= limit
    return value > limit


@dataclass(frozen=True)
class Budget:
    """One limit on one metric, as the user wrote it."""

    metric: str
    operator: str
    """``<=``, ``<``, ``>=`` or ``>``."""
    amount: float
    unit: str = ""
    """The unit as written; ``%`` makes the budget relative to the best stored point."""

    @property
    def relative(self) -> bool:
        return self.unit == "%"

    @property
    def upper(self) -> bool:
        """Whether the budget caps the value from above (``<=`` or ``<``)."""
        return self.operator.startswith("<")

    def describe(self) -> str:
        return f"{self.operator} {self.amount:g}{self.unit}"

    @classmethod
    def parse(cls, metric: str, spec: object) -> Budget:
        if not isinstance(spec, str):
            raise ConfigError(
                f"budget for {metric!r} must be a string such as {_EXAMPLES}, got {spec!r}"
            )
        match = _SPEC.match(spec)
        if match is None:
            raise ConfigError(f"budget {spec!r} for {metric!r} is not understood; {_EXAMPLES}")
        amount = float(match["amount"])
        if not math.isfinite(amount):
            raise ConfigError(f"budget {spec!r} for {metric!r}: the amount is not finite")
        unit = match["unit"] or ""
        if unit == "%" and amount < 0:
            raise ConfigError(f"budget {spec!r} for {metric!r}: a percentage must be >= 0")
        return cls(metric, _OPERATORS[match["op"]], amount, unit)

    def check_unit(self, metric: Metric) -> None:
        """Raise :class:`ConfigError` when the unit does not fit ``metric``."""
        if not self.relative:
            to_base_unit(self.amount, self.unit, metric.unit, metric=metric.name)

    def limit(self, metric: Metric, best: float | None) -> float | None:
        """The limit in the metric's base unit; ``None`` for a relative budget without a best."""
        if self.relative:
            return None if best is None else best * self.amount / 100.0
        return to_base_unit(self.amount, self.unit, metric.unit, metric=metric.name)


def parse_budgets(spec: object, known: Mapping[str, Metric] | None = None) -> tuple[Budget, ...]:
    """Parse the marker's ``budget=`` mapping (metric -> one budget or a list of budgets).

    Units are checked now for the metrics in ``known``; other metrics' units are checked when
    the test has measured them.
    """
    if not isinstance(spec, Mapping):
        raise ConfigError(f"budget= must map metric names to budgets ({_EXAMPLES}), got {spec!r}")
    budgets = []
    for name, entry in spec.items():
        if not isinstance(name, str) or not name:
            raise ConfigError(f"budget= keys must be metric names, got {name!r}")
        entries = [entry] if isinstance(entry, str) else entry
        if not isinstance(entries, list | tuple) or not entries:
            raise ConfigError(
                f"budget for {name!r} must be a string or a list of strings, got {entry!r}"
            )
        if known is not None and name in known:
            refuse_non_gating(known[name])
        for text in entries:
            budget = Budget.parse(name, text)
            if known is not None and name in known:
                budget.check_unit(known[name])
            budgets.append(budget)
    return tuple(budgets)


def refuse_non_gating(metric: Metric) -> None:
    """A budget gates, and estimates and rates never gate: a :class:`ConfigError` saying why."""
    if metric.estimate:
        raise ConfigError(
            f"budget on {metric.name!r}: it is an estimate (computed from CPU time and a "
            "power figure, not measured), and an estimate never gates a test; budget a "
            "measured metric instead (energy where RAPL or NVML counters exist, or cpu_time)"
        )
    if metric.rate:
        raise ConfigError(
            f"budget on {metric.name!r}: it is a rate, not a cost (a slower call can draw "
            "less power and use more energy), so it never gates; budget the energy instead "
            "(energy_gpu, energy_cpu)"
        )


class BudgetStatus(enum.Enum):
    OK = "ok"
    VIOLATED = "violated"
    UNCHECKED = "not checked"


@dataclass(frozen=True)
class BudgetResult:
    """One budget checked against a test's new point."""

    budget: Budget
    status: BudgetStatus
    unit: str = ""
    value: float | None = None
    limit: float | None = None
    censored: bool = False
    """The value is a lower bound (the call was stopped at its timeout)."""
    note: str = ""
    """Why it was not checked, or where a relative limit came from."""

    @property
    def violated(self) -> bool:
        return self.status is BudgetStatus.VIOLATED


def _best(metric: Metric, references: Sequence[Point]) -> tuple[float, Point] | None:
    values = [(p.value(metric.name), p) for p in references if metric.name in p.observations]
    if not values:
        return None
    pick = max if metric.direction is Direction.HIGHER else min
    return pick(values, key=lambda item: item[0])


def _check_one(
    budget: Budget, point: Point, metric: Metric, references: Sequence[Point]
) -> BudgetResult:
    budget.check_unit(metric)
    observation = point.observations[budget.metric]
    value, censored = observation.value, observation.censored

    def result(status: BudgetStatus, note: str, limit: float | None = None) -> BudgetResult:
        return BudgetResult(budget, status, metric.unit, value, limit, censored, note)

    best = _best(metric, references) if budget.relative else None
    note = ""
    if budget.relative:
        if best is None:
            return result(BudgetStatus.UNCHECKED, "no stored frontier point to be relative to yet")
        if best[0] <= 0:
            return result(
                BudgetStatus.UNCHECKED, f"the best stored value ({best[0]:g}) is not positive"
            )
        note = f"{budget.amount:g}% of the best stored {best[0]:.6g} ({best[1].describe()})"
    limit = budget.limit(metric, best[0] if best else None)
    assert limit is not None
    holds = _holds(value, budget.operator, limit)
    if censored and holds == budget.upper:
        # A censored value is a lower bound: an upper limit it still meets may be broken by
        # the true value, and a lower limit it misses may be met.
        unknown = "the call was stopped at its timeout: its true value is unknown"
        return result(BudgetStatus.UNCHECKED, unknown, limit)
    return result(BudgetStatus.OK if holds else BudgetStatus.VIOLATED, note, limit)


def check_budgets(
    budgets: Sequence[Budget],
    point: Point,
    metrics: Mapping[str, Metric],
    references: Sequence[Point] = (),
) -> tuple[BudgetResult, ...]:
    """Check each budget against ``point``; ``references`` are the comparable stored points
    (relative budgets take the best of them)."""
    results = []
    for budget in budgets:
        metric = metrics.get(budget.metric)
        if metric is None or budget.metric not in point.observations:
            if any(obs.censored for obs in point.observations.values()):
                results.append(
                    BudgetResult(
                        budget,
                        BudgetStatus.UNCHECKED,
                        note="the call was stopped at its timeout before this metric was taken",
                    )
                )
                continue
            known = ", ".join(sorted(point.observations)) or "none"
            raise ConfigError(
                f"budget names metric {budget.metric!r}, which this test neither measured nor "
                f"recorded; it has: {known}"
            )
        refuse_non_gating(metric)
        results.append(_check_one(budget, point, metric, references))
    return tuple(results)
