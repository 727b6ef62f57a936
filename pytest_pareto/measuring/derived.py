"""Derived objectives (opt-in): a cost per correct result, accuracy per joule, accuracy per watt.

Asked for with the marker's ``derived=`` list. Each is computed from the point's own values
after the test body, and becomes one more objective (gated like any other). A spec is a kind,
optionally followed by ``:`` and the metric it divides:

============================  =================================  ====================
spec                          value                              better
============================  =================================  ====================
``cost_per_correct``          ``wall_time / accuracy``           lower
``cost_per_correct:METRIC``   ``METRIC / accuracy``              lower
``accuracy_per_joule[:M]``    ``accuracy / M`` (M in J)          higher
``accuracy_per_watt[:M]``     ``accuracy / M`` (M in W)          higher
============================  =================================  ====================

Without ``:M``, the energy (power) metric is the one metric in joules (watts) the test has.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pytest_pareto.errors import ConfigError
from pytest_pareto.model.metrics import Direction, Metric
from pytest_pareto.model.points import Observation, Sample

__all__ = ["DERIVED_KINDS", "Derivation", "DerivedObjective", "derive", "parse_derived"]

QUALITY = "accuracy"

DERIVED_KINDS: Mapping[str, tuple[str, str | None]] = {
    "cost_per_correct": ("cost", "wall_time"),
    "accuracy_per_joule": ("J", None),
    "accuracy_per_watt": ("W", None),
}
"""Kind -> (what it divides: a cost, or the unit of the metric; the default metric)."""


@dataclass(frozen=True)
class DerivedObjective:
    """One derived objective asked for by a test."""

    kind: str
    source: str | None = None
    """The metric it combines with accuracy; ``None``: found by unit (or ``wall_time``)."""

    @property
    def name(self) -> str:
        if self.kind == "cost_per_correct":
            return f"{self.source or DERIVED_KINDS[self.kind][1]}_per_correct"
        return self.kind

    @property
    def spec(self) -> str:
        return f"{self.kind}:{self.source}" if self.source else self.kind

    @classmethod
    def parse(cls, spec: object) -> DerivedObjective:
        if not isinstance(spec, str):
            raise ConfigError(f"derived= entries must be strings, got {spec!r}")
        kind, _, source = spec.strip().partition(":")
        if kind not in DERIVED_KINDS:
            raise ConfigError(
                f"derived objective {spec!r} is not one of: {', '.join(DERIVED_KINDS)} "
                "(optionally followed by ':METRIC', e.g. 'cost_per_correct:energy_cpu')"
            )
        if _ and not source:
            raise ConfigError(f"derived objective {spec!r}: name a metric after ':'")
        return cls(kind, source or None)


def parse_derived(spec: object) -> tuple[DerivedObjective, ...]:
    """Parse the marker's ``derived=`` list."""
    if isinstance(spec, str):
        spec = [spec]
    if not isinstance(spec, list | tuple):
        raise ConfigError(f"derived= must be a list such as ['cost_per_correct'], got {spec!r}")
    objectives = tuple(DerivedObjective.parse(entry) for entry in spec)
    names = [o.name for o in objectives]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ConfigError(f"derived= asks for {', '.join(duplicates)} more than once")
    return objectives


@dataclass(frozen=True)
class Derivation:
    """What :func:`derive` computed, and why anything asked for was not."""

    observations: Mapping[str, Observation]
    metrics: Mapping[str, Metric]
    notes: tuple[str, ...] = ()


def _source(
    objective: DerivedObjective,
    observations: Mapping[str, Observation],
    metrics: Mapping[str, Metric],
) -> tuple[str | None, str]:
    """The metric the objective divides, or ``None`` and why not."""
    wanted, default = DERIVED_KINDS[objective.kind]
    if objective.source is not None:
        if objective.source not in observations:
            return None, f"it needs {objective.source}, which this test did not measure or record"
        unit = metrics[objective.source].unit
        if wanted != "cost" and unit != wanted:
            return None, f"{objective.source} is in {unit or 'no unit'}, not {wanted}"
        return objective.source, ""
    if default is not None:
        if default not in observations:
            return None, f"it needs {default}, which this test did not measure"
        return default, ""
    found = sorted(name for name in observations if metrics[name].unit == wanted)
    if not found:
        return None, f"no metric in {wanted} was measured here"
    if len(found) > 1:
        return None, (
            f"several metrics are in {wanted} ({', '.join(found)}); "
            f"name one, e.g. '{objective.kind}:{found[0]}'"
        )
    return found[0], ""


def _scaled(observation: Observation, factor: float, *, invert: bool) -> Observation | None:
    """Each round's value times ``factor`` (or ``factor`` divided by it)."""
    samples = []
    for sample in observation.samples:
        if invert and any(v <= 0 for v in sample.rounds):
            return None
        rounds = tuple(factor / v if invert else v * factor for v in sample.rounds)
        samples.append(Sample(rounds))
    return Observation(tuple(samples))


def derive(
    objectives: Sequence[DerivedObjective],
    observations: Mapping[str, Observation],
    metrics: Mapping[str, Metric],
) -> Derivation:
    """Compute ``objectives`` from a point's observations; say why any cannot be computed."""
    out: dict[str, Observation] = {}
    defs: dict[str, Metric] = {}
    notes = []
    for objective in objectives:
        label = objective.name
        if QUALITY not in observations:
            notes.append(f"{label} not computed: it needs {QUALITY}, which was not recorded")
            continue
        accuracy = observations[QUALITY].value
        source, why = _source(objective, observations, metrics)
        if source is None:
            notes.append(f"{label} not computed: {why}")
            continue
        if observations[source].censored:
            notes.append(f"{label} not computed: {source} is censored (stopped at its timeout)")
            continue
        base = metrics[source]
        if objective.kind == "cost_per_correct":
            if accuracy <= 0:
                notes.append(f"{label} not computed: accuracy is {accuracy:g}")
                continue
            value = _scaled(observations[source], 1.0 / accuracy, invert=False)
            metric = Metric(label, base.unit, Direction.LOWER, base.variability)
        else:
            value = _scaled(observations[source], accuracy, invert=True)
            if value is None:
                notes.append(f"{label} not computed: {source} is not positive")
                continue
            metric = Metric(label, f"1/{base.unit}", Direction.HIGHER, base.variability)
        assert value is not None
        out[label] = value
        defs[label] = Metric(
            metric.name,
            metric.unit,
            metric.direction,
            metric.variability,
            description=f"derived: {objective.spec} from {source} and {QUALITY}",
            estimate=base.estimate,
        )
    return Derivation(out, defs, tuple(notes))
