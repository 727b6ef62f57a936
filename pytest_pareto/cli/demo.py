"""``pytest-pareto demo``: record a baseline, catch a dominated change, pass a trade-off."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

from pytest_pareto.cli._common import EXIT_OK, EXIT_REGRESSION, Command

__all__ = ["COMMAND", "MODEL", "TEST_MODULE", "write_project"]

MODEL = '''\
"""A small k-nearest-neighbour classifier on seeded synthetic data (pure Python)."""

import random

K = {k}
TRAIN_FRACTION = {train_fraction}
REPEAT_DISTANCES = {repeat}


def make_data(n, seed):
    rng = random.Random(seed)
    centres = [(0.0, 0.0), (2.5, 0.0), (0.0, 2.5)]
    data = []
    for _ in range(n):
        label = rng.randrange(len(centres))
        cx, cy = centres[label]
        data.append(((rng.gauss(cx, 1.1), rng.gauss(cy, 1.1)), label))
    return data


TRAIN = make_data(400, seed=1)
TEST = make_data(150, seed=2)
TEST_X = [x for x, _ in TEST]


def predict(x, train):
    for _ in range(REPEAT_DISTANCES - 1):  # wasted work a careless change could add
        sorted((x[0] - p[0]) ** 2 + (x[1] - p[1]) ** 2 for p, _ in train)
    nearest = sorted(((x[0] - p[0]) ** 2 + (x[1] - p[1]) ** 2, y) for p, y in train)[:K]
    votes = [0] * 3
    for _, y in nearest:
        votes[y] += 1
    return max(range(3), key=votes.__getitem__)


def predict_all(xs):
    train = TRAIN[: int(len(TRAIN) * TRAIN_FRACTION)]
    return [predict(x, train) for x in xs]


def accuracy(predictions):
    return sum(p == y for p, (_, y) in zip(predictions, TEST)) / len(TEST)
'''

TEST_MODULE = """\
import pytest

import model


@pytest.mark.pareto(metrics=["wall_time", "accuracy"], tolerance={"accuracy": "abs:0.005"})
def test_classifier(pareto):
    predictions = pareto(model.predict_all, model.TEST_X)
    pareto.record("accuracy", model.accuracy(predictions), better="higher")
"""


@dataclass(frozen=True)
class Variant:
    title: str
    k: int
    train_fraction: float
    repeat: int
    expect_exit: int


BASELINE = Variant("baseline: k=15 over the whole training set", 15, 1.0, 1, 0)
STEPS = (
    Variant("a change that is slower (wasted work) and less accurate (k=1)", 1, 1.0, 10, 1),
    Variant("a trade-off: 10x less training data, faster but less accurate", 15, 0.1, 1, 0),
)


def write_project(folder: Path, variant: Variant = BASELINE) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    # Five replica processes per side are plenty for the demo's large changes (default 20).
    (folder / "pytest.ini").write_text(
        "[pytest]\naddopts = -p no:cacheprovider\npareto_processes = 5\n"
    )
    (folder / "test_model.py").write_text(TEST_MODULE)
    (folder / "model.py").write_text(
        MODEL.format(k=variant.k, train_fraction=variant.train_fraction, repeat=variant.repeat)
    )


def _pytest(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    env.pop("PYTEST_ADDOPTS", None)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def _show(result: subprocess.CompletedProcess[str], quiet: bool) -> None:
    if not quiet:
        print(textwrap.indent(result.stdout.rstrip() + "\n", "    | "))


def run_demo(folder: Path, quiet: bool = False) -> int:
    started = time.perf_counter()
    write_project(folder)
    print(f"demo project: {folder}")
    steps: list[tuple[str, Variant, tuple[str, ...]]] = [
        ("record a baseline: pytest --pareto-update", BASELINE, ("--pareto-update",))
    ]
    steps += [(f"{variant.title}: pytest", variant, ()) for variant in STEPS]
    problems = []
    for number, (title, variant, args) in enumerate(steps, start=1):
        print(f"\n[{number}/{len(steps)}] {title}")
        write_project(folder, variant)
        result = _pytest(folder, *args)
        _show(result, quiet)
        verdict = "passed" if result.returncode == 0 else f"failed (exit {result.returncode})"
        expected = "pass" if variant.expect_exit == 0 else "fail"
        ok = result.returncode == variant.expect_exit
        print(
            f"    -> pytest {verdict}; expected to {expected}: {'ok' if ok else 'NOT AS EXPECTED'}"
        )
        if not ok:
            problems.append(title)
            if quiet:
                print(result.stdout + result.stderr)
    elapsed = time.perf_counter() - started
    if problems:
        print(f"\ndemo finished in {elapsed:.1f}s with unexpected results: {'; '.join(problems)}")
        return EXIT_REGRESSION
    print(
        f"\ndemo finished in {elapsed:.1f}s: the dominated change failed, the trade-off passed.\n"
        f"the frontier is in {folder / 'baselines' / 'test_model.py.json'}"
    )
    return EXIT_OK


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--keep",
        metavar="DIR",
        type=Path,
        help="write the demo project into DIR and keep it (default: a temporary folder)",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="do not show pytest's output")


def _run(args: argparse.Namespace) -> int:
    if args.keep is not None:
        return run_demo(args.keep.resolve(), args.quiet)
    with tempfile.TemporaryDirectory(prefix="pareto-demo-") as tmp:
        return run_demo(Path(tmp), args.quiet)


COMMAND = Command(
    name="demo",
    help="run a small example project end to end",
    description=textwrap.dedent(
        """\
        Create a small example project (a k-nearest-neighbour classifier with a pareto
        test), record its baseline, then show that a change which is slower and less
        accurate fails while a faster but less accurate trade-off passes.

        example:
          pytest-pareto demo
          pytest-pareto demo --keep ./pareto-demo   # keep the project to explore
        """
    ),
    add_arguments=_add_arguments,
    run=_run,
)
