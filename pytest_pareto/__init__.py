"""pytest-pareto: efficiency regression testing on a Pareto frontier.

Importing this package loads only the core (no pytest, IPython, torch, matplotlib or scipy).
"""

from __future__ import annotations

from typing import Any

from pytest_pareto._version import __version__
from pytest_pareto.dominance import Dominance, MetricComparison, Relation, pareto_front
from pytest_pareto.errors import BaselineFileError, ConfigError, MeasurementError, ParetoError
from pytest_pareto.frontier import FrontierChange, accept, comparable_points
from pytest_pareto.judging import JudgePolicy, Outcome, Verdict, judge
from pytest_pareto.machine import Machine, Matching, current_machine
from pytest_pareto.measure import Measurement, MeasureOptions, measure
from pytest_pareto.metrics import Direction, Metric, Tolerance, Variability
from pytest_pareto.model import Observation, Point, Sample, TestBaseline
from pytest_pareto.probes import Availability, Probe, Scope
from pytest_pareto.recorder import Recorder
from pytest_pareto.storage import Store

__all__ = [
    "Availability",
    "BaselineFileError",
    "ConfigError",
    "Direction",
    "Dominance",
    "FrontierChange",
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
    "load_ipython_extension",
    "measure",
    "pareto_front",
]


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext pytest_pareto``: the same as ``%load_ext nb_ext``."""
    import importlib

    importlib.import_module("nb_ext").load_ipython_extension(ipython)
