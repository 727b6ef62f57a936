"""pytest layer of censored results: a call stopped at ``timeout=`` ends the test body quietly.

The recorder has already kept the censored time; the test is judged with it after the body.
"""

from __future__ import annotations

import pytest

from pytest_pareto.measuring.deadlines import CallCensored
from pytest_pareto.plugin.keys import recorder_key

__all__ = ["censored_result"]


def censored_result(item: pytest.Item, stop: CallCensored) -> bool:
    """Whether ``stop`` is the censoring of ``item``'s measured call: then it is a result,
    not an error, and the report says the rest of the test did not run."""
    recorder = item.stash.get(recorder_key, None)
    if recorder is None or recorder.censored is not stop:
        return False  # not the pareto fixture's measurement
    item.add_report_section("call", "pareto", f"censored: {stop}; the rest of the test did not run")
    return True
