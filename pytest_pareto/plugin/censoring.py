"""pytest layer of censored results: a call stopped at ``timeout=`` ends the test body quietly.

The recorder has already kept the censored time; the plugin judges it after the body.
"""

from __future__ import annotations

from collections.abc import Generator

import pytest

from pytest_pareto.measuring.deadlines import CallCensored
from pytest_pareto.plugin import recorder_key

__all__ = ["pytest_runtest_call"]


@pytest.hookimpl(wrapper=True, trylast=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    """Innermost around the test: a censored measured call is a result, not an error."""
    try:
        return (yield)
    except CallCensored as stop:
        recorder = item.stash.get(recorder_key, None)
        if recorder is None or recorder.censored is not stop:
            raise  # not the pareto fixture's measurement
        item.add_report_section(
            "call", "pareto", f"censored: {stop}; the rest of the test did not run"
        )
        return None
