"""A small digit classifier and its compressed variants, on scikit-learn's bundled digits.

Everything is seeded (the split, the initial weights, full-batch training), so accuracy,
output error, model bytes and FLOPs come out the same on every run on one machine.
"""

from __future__ import annotations

import copy
import functools
import io
import math
import warnings
from collections.abc import Callable
from typing import Any, NamedTuple

import torch
from sklearn.datasets import load_digits
from torch import nn
from torch.nn.utils import prune
from torch.utils.flop_counter import flop_registry, register_flop_formula

HIDDEN = 64
"""Hidden units of the fp32 model."""
STEPS = 300
"""Full-batch Adam steps of training."""
SEED = 1


class Split(NamedTuple):
    x: torch.Tensor
    y: torch.Tensor


@functools.cache
def splits() -> tuple[Split, Split]:
    """1,197 training and 600 held-out images (8x8 pixels, 10 classes), shuffled seeded."""
    digits = load_digits()  # ships inside scikit-learn: no download
    x = torch.tensor(digits.data, dtype=torch.float32) / 16.0
    y = torch.tensor(digits.target)
    order = torch.randperm(len(x), generator=torch.Generator().manual_seed(0))
    x, y = x[order], y[order]
    return Split(x[:1197], y[:1197]), Split(x[1197:], y[1197:])


def held_out() -> Split:
    return splits()[1]


def mlp(hidden: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(64, hidden), nn.ReLU(), nn.Linear(hidden, 10))


def fit(model: nn.Module, steps: int, lr: float) -> nn.Module:
    train = splits()[0]
    model.train()
    optimiser = torch.optim.Adam(model.parameters(), lr=lr)
    for _ in range(steps):
        optimiser.zero_grad()
        nn.functional.cross_entropy(model(train.x), train.y).backward()
        optimiser.step()
    return model.eval()


@functools.cache
def fp32() -> nn.Module:
    """The trained float model every compressed variant starts from."""
    torch.manual_seed(SEED)
    return fit(mlp(HIDDEN), STEPS, lr=0.01)


def int8() -> nn.Module:
    """Dynamic int8 quantization: int8 weights, activations quantized on every call."""
    with warnings.catch_warnings():
        # torch.ao.quantization is deprecated in favour of torchao; torch 2.13 still has it.
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", UserWarning)
        return torch.ao.quantization.quantize_dynamic(
            copy.deepcopy(fp32()), {nn.Linear}, dtype=torch.qint8
        )


def pruned() -> nn.Module:
    """50% magnitude pruning: the half of the hidden units with the smallest L1 weight norm
    is removed (structured, so the matrices shrink), then 40 steps of fine-tuning."""
    first = copy.deepcopy(fp32()[0])
    last = fp32()[2]
    prune.ln_structured(first, "weight", amount=0.5, n=1, dim=0)
    keep = first.weight_mask[:, 0].nonzero().squeeze(1)
    small = mlp(len(keep))
    with torch.no_grad():
        small[0].weight.copy_(first.weight[keep])
        small[0].bias.copy_(first.bias[keep])
        small[2].weight.copy_(last.weight[:, keep])
        small[2].bias.copy_(last.bias)
    return fit(small, 40, lr=0.003)


def wide() -> nn.Module:
    """The deliberately bad variant: four times the hidden units, trained for a twentieth of
    the steps. It costs more on every count and, undertrained, is less accurate."""
    torch.manual_seed(SEED)
    return fit(mlp(4 * HIDDEN), STEPS // 20, lr=0.01)


VARIANTS: dict[str, Callable[[], nn.Module]] = {"fp32": fp32, "int8": int8, "pruned": pruned}
BAD_VARIANTS: dict[str, Callable[[], nn.Module]] = {"wide": wide}


def build(name: str) -> nn.Module:
    return {**VARIANTS, **BAD_VARIANTS}[name]()


def infer(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """One batch of inference: the logits."""
    with torch.no_grad():
        return model(x)


def accuracy(logits: torch.Tensor) -> float:
    """The share of held-out images classified right."""
    return (logits.argmax(1) == held_out().y).float().mean().item()


@functools.cache
def _reference_logits() -> torch.Tensor:
    return infer(fp32(), held_out().x)


def output_error(logits: torch.Tensor) -> float:
    """Mean squared difference from the fp32 model's logits on the held-out images: how far
    compression moved the outputs (0 for fp32 itself)."""
    return (logits - _reference_logits()).pow(2).mean().item()


def model_bytes(model: nn.Module) -> int:
    """The size of the model's saved ``state_dict`` (what ``torch.save`` writes)."""
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    return len(buffer.getvalue())


def _int8_linear_flops(x_shape: Any, *args: Any, out_shape: Any = None, **kwargs: Any) -> int:
    """Counted as torch counts a float matrix product, 2·M·K·N: the same multiply-adds, done
    in int8. torch's FLOP counter has no formula of its own for the quantized kernel."""
    return 2 * math.prod(x_shape[:-1]) * x_shape[-1] * out_shape[-1]


if torch.ops.quantized.linear_dynamic not in flop_registry:  # once, even if imported twice
    register_flop_formula(torch.ops.quantized.linear_dynamic)(_int8_linear_flops)
