"""pytest-pareto: efficiency regression testing on a Pareto frontier.

Importing this package loads only the core (no pytest, IPython, torch, matplotlib or scipy),
and only the part a name needs, when it is first used: the pytest plugin imports modules of
this package on every pytest run, and a run that measures nothing should not pay for the rest.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from pytest_pareto._version import __version__
from pytest_pareto.errors import BaselineFileError, ConfigError, MeasurementError, ParetoError

if TYPE_CHECKING:
    from pytest_pareto.frontier.maintenance import FrontierChange, comparable_points
    from pytest_pareto.frontier.pipeline import JudgeContext, accept, judge_test
    from pytest_pareto.judging.dominance import Dominance, MetricComparison, Relation, pareto_front
    from pytest_pareto.judging.verdict import JudgePolicy, Outcome, Verdict, judge
    from pytest_pareto.measuring.measure import Measurement, MeasureOptions, measure
    from pytest_pareto.measuring.recorder import Recorder
    from pytest_pareto.model.machine import Machine, Matching, current_machine
    from pytest_pareto.model.metrics import Direction, Metric, Tolerance, Variability
    from pytest_pareto.model.points import Observation, Point, Sample, TestBaseline
    from pytest_pareto.probes import Availability, Probe, Scope
    from pytest_pareto.store.baseline_files import Store

_DEFINED_IN = {
    "Availability": "pytest_pareto.probes",
    "Direction": "pytest_pareto.model.metrics",
    "Dominance": "pytest_pareto.judging.dominance",
    "FrontierChange": "pytest_pareto.frontier.maintenance",
    "JudgeContext": "pytest_pareto.frontier.pipeline",
    "JudgePolicy": "pytest_pareto.judging.verdict",
    "Machine": "pytest_pareto.model.machine",
    "Matching": "pytest_pareto.model.machine",
    "MeasureOptions": "pytest_pareto.measuring.measure",
    "Measurement": "pytest_pareto.measuring.measure",
    "Metric": "pytest_pareto.model.metrics",
    "MetricComparison": "pytest_pareto.judging.dominance",
    "Observation": "pytest_pareto.model.points",
    "Outcome": "pytest_pareto.judging.verdict",
    "Point": "pytest_pareto.model.points",
    "Probe": "pytest_pareto.probes",
    "Recorder": "pytest_pareto.measuring.recorder",
    "Relation": "pytest_pareto.judging.dominance",
    "Sample": "pytest_pareto.model.points",
    "Scope": "pytest_pareto.probes",
    "Store": "pytest_pareto.store.baseline_files",
    "TestBaseline": "pytest_pareto.model.points",
    "Tolerance": "pytest_pareto.model.metrics",
    "Variability": "pytest_pareto.model.metrics",
    "Verdict": "pytest_pareto.judging.verdict",
    "accept": "pytest_pareto.frontier.pipeline",
    "comparable_points": "pytest_pareto.frontier.maintenance",
    "current_machine": "pytest_pareto.model.machine",
    "judge": "pytest_pareto.judging.verdict",
    "judge_test": "pytest_pareto.frontier.pipeline",
    "measure": "pytest_pareto.measuring.measure",
    "pareto_front": "pytest_pareto.judging.dominance",
}
"""Public name -> the module that defines it (imported on first access, PEP 562)."""

__all__ = [
    "Availability",
    "BaselineFileError",
    "ConfigError",
    "Direction",
    "Dominance",
    "FrontierChange",
    "JudgeContext",
    "JudgePolicy",
    "Machine",
    "Matching",
    "MeasureOptions",
    "Measurement",
    "MeasurementError",
    "Metric",
    "MetricComparison",
    "Observation",
    "Outcome",
    "ParetoError",
    "Point",
    "Probe",
    "Recorder",
    "Relation",
    "Sample",
    "Scope",
    "Store",
    "TestBaseline",
    "Tolerance",
    "Variability",
    "Verdict",
    "__version__",
    "accept",
    "comparable_points",
    "current_machine",
    "judge",
    "judge_test",
    "load_ipython_extension",
    "measure",
    "pareto_front",
]


def __getattr__(name: str) -> Any:
    module = _DEFINED_IN.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext pytest_pareto``: the same as ``%load_ext nb_ext``."""
    importlib.import_module("nb_ext").load_ipython_extension(ipython)
