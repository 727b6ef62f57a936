"""The call under measurement: a callable, its arguments, and the untimed steps around a round.

A round is *prepare* (``setup`` may give fresh arguments), the calls, then *finish*
(``teardown`` with the round's arguments). :func:`~pytest_pareto.measuring.measure.measure`
and the recorder (``pareto.pedantic()``, and an unmeasured call) use the same steps.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["MeasuredCall", "Setup", "Teardown"]

Setup = Callable[[], tuple[Sequence[Any], Mapping[str, Any]] | None]
"""Called untimed before a round; may return fresh ``(args, kwargs)`` for it."""

Teardown = Callable[..., Any]
"""Called untimed after a round with that round's arguments."""


@dataclass(slots=True)
class MeasuredCall:
    """``fn(*args, **kwargs)``, with ``setup`` before and ``teardown`` after each round."""

    fn: Callable[..., Any]
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    setup: Setup | None = None
    teardown: Teardown | None = None
    result: Any = None
    """The last kept result. Held here alone so that a new result replaces (and frees) the
    previous one, as a single variable would: memory probes see one result alive, not two."""

    def prepare(self) -> None:
        """Before a round: fresh arguments from ``setup``, when it gives any."""
        if self.setup is not None:
            fresh = self.setup()
            if fresh is not None:
                self.args, self.kwargs = tuple(fresh[0]), dict(fresh[1])

    def __call__(self) -> Any:
        return self.fn(*self.args, **self.kwargs)

    def finish(self) -> None:
        """After a round: ``teardown`` with the round's arguments."""
        if self.teardown is not None:
            self.teardown(*self.args, **self.kwargs)

    def once(self) -> Any:
        """One unmeasured round of one call; its result."""
        self.prepare()
        self.result = self()
        self.finish()
        return self.result
