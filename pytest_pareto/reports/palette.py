"""The one colour per verdict outcome, shared by the reports' plots and the notebook display."""

from __future__ import annotations

from collections.abc import Mapping

from pytest_pareto.judging.verdict import Outcome

__all__ = ["NO_OUTCOME_COLOUR", "OUTCOME_COLOURS", "outcome_colour"]

OUTCOME_COLOURS: Mapping[Outcome, str] = {
    Outcome.DOMINATED: "#d62728",
    Outcome.INCONCLUSIVE: "#ff7f0e",
    Outcome.IMPROVED: "#2ca02c",
    Outcome.PASS: "#2ca02c",
    Outcome.TRADE_OFF: "#1f77b4",
    Outcome.NEW: "#1f77b4",
    Outcome.SKIPPED: "#7f7f7f",
}
NO_OUTCOME_COLOUR = "#455a64"
"""What nothing judged is drawn in: a stored history shown without a new run."""


def outcome_colour(outcome: Outcome | None) -> str:
    return OUTCOME_COLOURS[outcome] if outcome is not None else NO_OUTCOME_COLOUR
