"""Quality metrics: their definitions (unit, direction, variability) and helpers to compute them.

``pareto.record("accuracy", value)`` takes the direction from :data:`QUALITY_METRICS`, so
accuracy is higher-is-better without ``better=``; an explicit ``better=`` that contradicts the
definition is an error. The helpers take plain sequences (lists, tuples) or anything with a
``tolist()`` method (numpy arrays, torch tensors) and never import those libraries.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import Any

from pytest_pareto.errors import ConfigError
from pytest_pareto.measuring.measure import Measurement
from pytest_pareto.model.metrics import Direction, Metric, Variability
from pytest_pareto.model.points import Sample

__all__ = [
    "QUALITY_METRICS",
    "accuracy",
    "f1",
    "latency_p50",
    "latency_p95",
    "latency_percentiles",
    "percentile",
    "perplexity",
    "tokens_per_s",
]


def _quality(*metrics: Metric) -> dict[str, Metric]:
    return {metric.name: metric for metric in metrics}


QUALITY_METRICS: Mapping[str, Metric] = _quality(
    Metric(
        "accuracy",
        "",
        Direction.HIGHER,
        Variability.DETERMINISTIC,
        "fraction of correct predictions (0 to 1)",
    ),
    Metric("loss", "", Direction.LOWER, Variability.DETERMINISTIC, "a loss on held-out data"),
    Metric("f1", "", Direction.HIGHER, Variability.DETERMINISTIC, "F1 score (0 to 1)"),
    Metric(
        "perplexity",
        "",
        Direction.LOWER,
        Variability.DETERMINISTIC,
        "exp of the mean negative log-likelihood per token",
    ),
    Metric(
        "tokens_per_s", "tokens/s", Direction.HIGHER, Variability.NOISY, "generation throughput"
    ),
    Metric("latency_p50", "s", Direction.LOWER, Variability.NOISY, "median latency of a call"),
    Metric("latency_p95", "s", Direction.LOWER, Variability.NOISY, "95th percentile latency"),
)
"""Definitions ``pareto.record`` uses for these names when no plugin defines them."""


def _as_list(values: Any, what: str) -> list[Any]:
    if hasattr(values, "tolist"):
        values = values.tolist()
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise ConfigError(f"{what} must be a sequence, got {type(values).__name__}")
    return list(values)


def _pairs(predictions: Any, labels: Any) -> tuple[list[Hashable], list[Hashable]]:
    preds = _as_list(predictions, "predictions")
    truth = _as_list(labels, "labels")
    if len(preds) != len(truth):
        raise ConfigError(f"{len(preds)} predictions but {len(truth)} labels")
    if not preds:
        raise ConfigError("no predictions to score")
    return preds, truth


def accuracy(predictions: Any, labels: Any) -> float:
    """The fraction of predictions equal to their label."""
    preds, truth = _pairs(predictions, labels)
    return sum(p == t for p, t in zip(preds, truth, strict=True)) / len(preds)


def _f1_of(preds: Sequence[Hashable], truth: Sequence[Hashable], positive: Hashable) -> float:
    tp = sum(p == positive and t == positive for p, t in zip(preds, truth, strict=True))
    fp = sum(p == positive and t != positive for p, t in zip(preds, truth, strict=True))
    fn = sum(p != positive and t == positive for p, t in zip(preds, truth, strict=True))
    if tp == 0:
        return 0.0  # no true positive: precision or recall is 0 (or undefined), F1 is 0
    return 2 * tp / (2 * tp + fp + fn)


def f1(predictions: Any, labels: Any, *, average: str = "binary", positive: Hashable = 1) -> float:
    """F1 score: ``average="binary"`` for the class ``positive``, or ``"macro"``: the mean of
    the per-class F1 over every class that occurs in the labels or the predictions."""
    preds, truth = _pairs(predictions, labels)
    if average == "binary":
        return _f1_of(preds, truth, positive)
    if average == "macro":
        classes = sorted(set(truth) | set(preds), key=repr)
        return sum(_f1_of(preds, truth, c) for c in classes) / len(classes)
    raise ConfigError(f"f1(average={average!r}): use 'binary' or 'macro'")


def perplexity(mean_nll: float) -> float:
    """Perplexity from the mean negative log-likelihood per token, in nats: ``exp(mean_nll)``."""
    value = float(mean_nll)
    if not math.isfinite(value) or value < 0:
        raise ConfigError(f"perplexity(): mean_nll must be a finite number >= 0, got {mean_nll!r}")
    try:
        return math.exp(value)
    except OverflowError:
        raise ConfigError(f"perplexity(): exp({value}) overflows") from None


def tokens_per_s(tokens: float, seconds: float) -> float:
    """Throughput: ``tokens`` produced in ``seconds``."""
    if not seconds > 0:
        raise ConfigError(f"tokens_per_s(): seconds must be > 0, got {seconds!r}")
    if tokens < 0:
        raise ConfigError(f"tokens_per_s(): tokens must be >= 0, got {tokens!r}")
    return float(tokens) / float(seconds)


def percentile(samples: Iterable[float], q: float) -> float:
    """The ``q``-th percentile (0..100) with linear interpolation between closest ranks
    (numpy's default ``linear`` method)."""
    values = sorted(float(v) for v in samples)
    if not values:
        raise ConfigError("percentile(): no samples")
    if not 0 <= q <= 100:
        raise ConfigError(f"percentile(): q must be within 0..100, got {q!r}")
    position = (len(values) - 1) * q / 100.0
    low = math.floor(position)
    high = min(low + 1, len(values) - 1)
    return values[low] + (values[high] - values[low]) * (position - low)


def _latency_samples(source: Measurement | Sample | Iterable[float]) -> list[float]:
    if isinstance(source, Measurement):
        if source.iterations != 1:
            raise ConfigError(
                f"latency percentiles need one call per round, but this measurement made "
                f"{source.iterations} calls per round (a round's value is their mean); "
                "measure with pareto.pedantic(fn, rounds=N, iterations=1)"
            )
        sample = source.samples.get("wall_time")
        if sample is None:
            raise ConfigError("latency percentiles need the wall_time probe's samples")
        return list(sample.rounds)
    if isinstance(source, Sample):
        return list(source.rounds)
    return [float(v) for v in source]


def latency_p50(source: Measurement | Sample | Iterable[float]) -> float:
    """Median latency from per-call samples (seconds), a Sample, or a Measurement."""
    return percentile(_latency_samples(source), 50)


def latency_p95(source: Measurement | Sample | Iterable[float]) -> float:
    """95th percentile latency from per-call samples (seconds), a Sample, or a Measurement."""
    return percentile(_latency_samples(source), 95)


def latency_percentiles(source: Measurement | Sample | Iterable[float]) -> dict[str, float]:
    """``{"latency_p50": ..., "latency_p95": ...}``, ready for ``pareto.record``."""
    samples = _latency_samples(source)
    return {"latency_p50": percentile(samples, 50), "latency_p95": percentile(samples, 95)}
