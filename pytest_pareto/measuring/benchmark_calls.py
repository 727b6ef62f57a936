"""What pytest-benchmark's ``benchmark`` fixture offers, on the ``pareto`` fixture:
``pedantic()``, ``extra_info`` and ``group``, so a benchmark test moves over unchanged."""

from __future__ import annotations

import abc
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from pytest_pareto.errors import ConfigError
from pytest_pareto.measuring.measure import MeasureOptions
from pytest_pareto.measuring.measured_call import MeasuredCall, Setup, Teardown
from pytest_pareto.measuring.repetitions import check_repetitions

__all__ = ["BenchmarkCalls"]

_PEDANTIC_LABELS = ("pedantic(): rounds", "pedantic(): iterations", "pedantic(): warmup_rounds")


def _without_arguments(setup: Setup) -> Setup:
    """``setup`` that must not return arguments (``args=``/``kwargs=`` give them)."""

    def setup_without_arguments() -> tuple[Sequence[Any], Mapping[str, Any]] | None:
        if setup() is not None:
            raise ConfigError(
                "pedantic(): setup returned arguments, but args= or kwargs= were given too"
            )
        return None

    return setup_without_arguments


class BenchmarkCalls(abc.ABC):
    """pytest-benchmark's calls; the recorder measures."""

    options: MeasureOptions

    def __init__(self, group: str | None) -> None:
        self.extra_info: dict[str, Any] = {}
        self._group = group

    @property
    def group(self) -> str | None:
        """The group (shared variant frontier) of this test, from the marker's ``group=``."""
        return self._group

    @abc.abstractmethod
    def _measure(self, call: MeasuredCall, options: MeasureOptions) -> Any:
        """Measure ``call`` with ``options``; its result."""

    def pedantic(
        self,
        target: Callable[..., Any],
        args: Sequence[Any] = (),
        kwargs: Mapping[str, Any] | None = None,
        setup: Setup | None = None,
        teardown: Teardown | None = None,
        rounds: int = 1,
        warmup_rounds: int = 0,
        iterations: int = 1,
    ) -> Any:
        """Measure ``target`` with exact control, as pytest-benchmark's ``benchmark.pedantic``
        (same arguments, in the same order).

        ``setup``, when given, runs untimed before every round and may return fresh
        ``(args, kwargs)`` (then ``args``/``kwargs`` must be empty); it needs
        ``iterations=1``. ``teardown`` runs untimed after every round with the round's
        arguments. Each of the ``warmup_rounds`` is a round like the timed ones, untimed.
        """
        if setup is not None and iterations != 1:
            raise ConfigError("pedantic(): setup= needs iterations=1 (setup runs once per round)")
        check_repetitions(rounds, iterations, warmup_rounds, labels=_PEDANTIC_LABELS, automatic=())
        if setup is not None and (args or kwargs):
            setup = _without_arguments(setup)
        options = replace(
            self.options,
            rounds=rounds,
            iterations=iterations,
            warmup=warmup_rounds,
            warmup_iterations=iterations,
        )
        return self._measure(
            MeasuredCall(target, tuple(args), dict(kwargs or {}), setup, teardown), options
        )
