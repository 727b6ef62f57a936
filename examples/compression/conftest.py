"""Variants to run, and one torch thread: on a small shared runner more threads only wait."""

from __future__ import annotations

import compression
import pytest
import torch

torch.set_num_threads(1)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--bad-variant",
        action="store_true",
        help="also run the deliberately bad variant, which another variant dominates (fails)",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "variant" in metafunc.fixturenames:
        names = list(compression.VARIANTS)
        if metafunc.config.getoption("bad_variant"):
            names += list(compression.BAD_VARIANTS)
        metafunc.parametrize("variant", names)
