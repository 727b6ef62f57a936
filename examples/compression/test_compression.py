"""fp32, dynamic int8 and 50%-pruned variants of one classifier, gated as one frontier.

A variant fails when another one is at least as good on every objective and better on one
beyond tolerance. Accuracy, output error, model bytes and FLOPs are deterministic and decide;
wall time and peak memory are measured and judged too, but in one process (``pytest.ini``:
``pareto_processes = 1``) a noisy metric counts only beyond 3x its tolerance.
"""

from __future__ import annotations

import compression
import pytest

from pytest_pareto.probes import EnergyEstimateProbe, RaplProbe


def energy() -> list[str]:
    """Energy where this machine can tell: RAPL's counter (measured, gated like any cost),
    else an estimate from CPU time on a CPU of known power (shown, never gated), else none."""
    if RaplProbe().availability().available:
        return ["energy_cpu"]
    if EnergyEstimateProbe().availability().available:
        return ["energy_estimate"]
    return []


OBJECTIVES = ["accuracy", "output_error", "model_bytes", "flops", "wall_time", "peak_rss"]


@pytest.mark.pareto(
    group="digits",
    metrics=OBJECTIVES + energy(),
    tolerance={"accuracy": "abs:0.002", "wall_time": 0.25, "peak_rss": 0.25},
)
def test_variant(pareto, variant):
    model = compression.build(variant)
    logits = pareto(compression.infer, model, compression.held_out().x)  # measured
    pareto.record("accuracy", compression.accuracy(logits))
    pareto.record("output_error", compression.output_error(logits), better="lower")
    pareto.record("model_bytes", compression.model_bytes(model), unit="B")
