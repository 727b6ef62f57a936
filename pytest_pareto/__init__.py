"""pytest-pareto: efficiency regression testing on a Pareto frontier.

Importing this package loads only the core (no pytest, IPython, torch, matplotlib or scipy).
"""

from __future__ import annotations

from typing import Any

from pytest_pareto._version import __version__
from pytest_pareto.errors import BaselineFileError, ConfigError, MeasurementError, ParetoError
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


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext pytest_pareto``: the same as ``%load_ext nb_ext``."""
    import importlib

    importlib.import_module("nb_ext").load_ipython_extension(ipython)
