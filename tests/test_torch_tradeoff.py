"""A real, seeded torch model on CPU: int8 quantization is a trade-off, a worse variant fails.

Every metric here is deterministic: FLOPs counted by ``FlopCounterMode``, the bytes of the
model's parameters and buffers, and the accuracy of a seeded model on a seeded test set.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

torch = pytest.importorskip("torch")

MODEL = '''
"""A small MLP classifier on seeded synthetic data, and a dynamic int8 version of it."""

import functools

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode


def data():
    g = torch.Generator().manual_seed(0)
    w_true = torch.randn(20, 3, generator=g)
    x = torch.randn(4000, 20, generator=g)
    y = (x @ w_true).argmax(1)
    # One input feature on a 10x larger scale, as outlier features are: per-tensor int8
    # activations then resolve the others coarsely, which costs accuracy.
    x[:, 0] *= 10.0
    return x[:2000], y[:2000], x[2000:], y[2000:]


class DynamicInt8Linear(nn.Module):
    """int8 weights (one scale per tensor); activations quantized per call; int32 sums."""

    def __init__(self, linear):
        super().__init__()
        weight = linear.weight.detach()
        scale = weight.abs().max() / 127
        self.register_buffer("weight_scale", scale.reshape(1))
        self.register_buffer("weight_q", torch.round(weight / scale).to(torch.int8))
        self.register_buffer("bias", linear.bias.detach().clone())

    def forward(self, x):
        x_scale = x.abs().max().clamp_min(1e-12) / 127
        x_q = torch.round(x / x_scale).to(torch.int32)
        total = x_q @ self.weight_q.to(torch.int32).t()
        return total.to(torch.float32) * (x_scale * self.weight_scale) + self.bias


@functools.cache
def trained(hidden, steps):
    torch.manual_seed(0)
    x, y, _, _ = data()
    model = nn.Sequential(nn.Linear(20, hidden), nn.ReLU(), nn.Linear(hidden, 3))
    optimiser = torch.optim.Adam(model.parameters(), lr=0.01)
    for _ in range(steps):
        optimiser.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        optimiser.step()
    return model.eval()


def quantized(model):
    return nn.Sequential(
        *(DynamicInt8Linear(m) if isinstance(m, nn.Linear) else m for m in model)
    )


VARIANTS = {
    "fp32": lambda: trained(64, 150),
    "int8": lambda: quantized(trained(64, 150)),
    # Four times the work, trained for too few steps: costs more and is less accurate.
    "wide": lambda: trained(256, 10),
}


def evaluate(model):
    _, _, x, y = data()
    with torch.no_grad(), FlopCounterMode(display=False) as flops:
        predictions = model(x).argmax(1)
    tensors = [*model.parameters(), *model.buffers()]
    return {
        "flops": flops.get_total_flops(),
        "param_bytes": sum(t.numel() * t.element_size() for t in tensors),
        "accuracy": (predictions == y).float().mean().item(),
    }
'''

TEST = """
import pytest

import model

RUN = {variants}


@pytest.mark.parametrize("variant", RUN)
@pytest.mark.pareto(
    group="mlp",
    metrics=["flops", "param_bytes", "accuracy"],
    tolerance={{"accuracy": "abs:0.002"}},
)
def test_classifier(pareto, variant):
    values = model.evaluate(model.VARIANTS[variant]())
    pareto.record("flops", values["flops"], unit="FLOP")
    pareto.record("param_bytes", values["param_bytes"], unit="B")
    pareto.record("accuracy", values["accuracy"])
"""

RUN = ("-p", "no:benchmark", "-p", "no:cacheprovider")


@pytest.mark.slow
def test_quantization_is_a_trade_off_and_a_worse_variant_fails(
    pytester: pytest.Pytester, request: pytest.FixtureRequest
) -> None:
    # One thread: on a small shared machine torch's thread pool only waits for the cores.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    request.addfinalizer(lambda: torch.set_num_threads(threads))
    # pytester's in-process runs drop the modules imported during a run, and torch imports
    # parts of itself lazily (and cannot import them twice): run the model once out here.
    warm: dict[str, Any] = {}
    exec(compile(MODEL, "model.py", "exec"), warm)
    for variant in warm["VARIANTS"].values():
        warm["evaluate"](variant())

    pytester.makepyfile(model=MODEL)
    pytester.syspathinsert()
    pytester.makepyfile(test_mlp=TEST.format(variants=["fp32"]))
    pytester.runpytest(*RUN, "--pareto-update").assert_outcomes(passed=1)

    pytester.makepyfile(test_mlp=TEST.format(variants=["fp32", "int8", "wide"]))
    result = pytester.runpytest(*RUN)
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        [
            # The dominated variant: more FLOPs and bytes, less accurate, all shown.
            "*_ test_classifier[[]wide[]] _*",
            "pareto: dominated*",
            "*against point * (variant test_mlp.py::test_classifier[[]fp32[]]*",
            "*accuracy*0.852*0.962*-11.4%*0.002*worse*exact*",
            "*flops*23.6 MFLOP*5.89 MFLOP*+300.0%*worse*exact*",
            "*param_bytes*24 KiB*6.01 KiB*+299.4%*worse*exact*",
            "*worse on: accuracy -11.4%, flops +300.0%, param_bytes +299.4%",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            # int8: a quarter of the bytes for ~1 point of accuracy: a trade-off, passing.
            "*test_classifier[[]int8[]]*trade-off*accuracy*0.9515*0.962*-1.1%*",
            "*flops*5.89 MFLOP*5.89 MFLOP*+0.0%*",
            "*param_bytes*1.71 KiB*6.01 KiB*-71.6%*",
        ]
    )
    assert "FAILED test_mlp.py::test_classifier[int8]" not in result.stdout.str()

    result = pytester.runpytest(*RUN, "--pareto-update")
    result.assert_outcomes(passed=3)
    stored = json.loads((pytester.path / "baselines/_groups/mlp.json").read_text())
    frontier = {p["variant"].split("[")[1].rstrip("]") for p in stored["tests"]["mlp"]["points"]}
    assert frontier == {"fp32", "int8"}
