"""Removing stored points of tests and machines that no longer exist.

Which tests exist is decided by pytest itself: :func:`collect_test_ids` runs
``pytest --collect-only`` in a subprocess (with the user's own arguments) and records every
collected node id *before* ``-k``/``-m``/``--deselect`` deselection. A stored test is gone when

* its module file no longer exists under pytest's rootdir, or
* its module was collected and the test id was not among the collected ids
  (a renamed or deleted test, a parameter that is no longer generated).

Stored tests in modules that exist but were not collected (a narrower path was given) are
kept. If collection fails or collects nothing, nothing is pruned.

Machines are named by hardware class (see ``pytest-pareto show``): points measured on a class
to remove, or on any class but the ones to keep, leave the frontier and the history.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from pytest_pareto.errors import ConfigError
from pytest_pareto.model.points import Point, TestBaseline
from pytest_pareto.store.baseline_files import Store, split_test_id

__all__ = [
    "UNKNOWN_MACHINE",
    "CollectedTests",
    "MachineRule",
    "PruneAction",
    "apply_prune",
    "collect_test_ids",
    "plan_prune",
    "prune_baseline",
]

UNKNOWN_MACHINE = "unknown"
"""The class name of points stored without a machine fingerprint."""

_COLLECT_SCRIPT = """\
import json, sys
import pytest

class _Collector:
    ids = []
    rootdir = None

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_modifyitems(self, items):
        self.ids = [item.nodeid for item in items]  # before -k/-m deselection

    def pytest_collection_finish(self, session):
        self.rootdir = str(session.config.rootpath)

collector = _Collector()
code = pytest.main(
    ["--collect-only", "-q", "-p", "no:cacheprovider", *sys.argv[2:]], plugins=[collector]
)
with open(sys.argv[1], "w", encoding="utf-8") as out:
    json.dump({"exit": int(code), "rootdir": collector.rootdir, "ids": collector.ids}, out)
"""


@dataclass(frozen=True)
class CollectedTests:
    """What ``pytest --collect-only`` found: the rootdir and every test id."""

    rootdir: Path
    test_ids: frozenset[str]

    @property
    def modules(self) -> frozenset[str]:
        return frozenset(split_test_id(test_id)[0] for test_id in self.test_ids)

    def gone(self, test_id: str) -> str | None:
        """Why a stored test no longer exists, or ``None`` if it may."""
        module, _ = split_test_id(test_id)
        if not (self.rootdir / module).exists():
            return f"module {module} does not exist"
        if module in self.modules and test_id not in self.test_ids:
            return f"not collected from {module}"
        return None


def collect_test_ids(
    pytest_args: Sequence[str], cwd: Path, python: str = sys.executable
) -> CollectedTests:
    """Run ``pytest --collect-only`` with ``pytest_args`` in ``cwd`` and read what it found."""
    with tempfile.TemporaryDirectory(prefix="pareto-collect-") as tmp:
        out = Path(tmp, "collected.json")
        env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
        try:
            result = subprocess.run(
                [python, "-c", _COLLECT_SCRIPT, str(out), *pytest_args],
                cwd=cwd,
                env=env,
                capture_output=True,
                text=True,
                timeout=600,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise ConfigError("pytest --collect-only ran over 10 minutes; nothing pruned") from None
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-15:])
        if not out.exists():
            raise ConfigError(f"pytest --collect-only did not finish; nothing pruned:\n{tail}")
        data = json.loads(out.read_text(encoding="utf-8"))
    # Exit 5 with ids: -k/-m deselected everything, which the ids were recorded before.
    if data["exit"] not in (0, 5) or data["rootdir"] is None:
        raise ConfigError(
            f"pytest --collect-only exited with {data['exit']} (collection errors); nothing "
            f"pruned. Fix collection, or pass pytest arguments after --:\n{tail}"
        )
    if not data["ids"]:
        raise ConfigError(
            "pytest --collect-only collected no tests; nothing pruned (pass the test paths "
            "after --, e.g. pytest-pareto prune -- tests/)"
        )
    return CollectedTests(Path(data["rootdir"]), frozenset(data["ids"]))


@dataclass(frozen=True)
class MachineRule:
    """Which machines' points go: classes named in ``remove``, and, when ``keep`` is given,
    every class not in it."""

    remove: frozenset[str] = frozenset()
    keep: frozenset[str] | None = None

    def drops(self, point: Point) -> bool:
        name = point.machine.hardware_class if point.machine is not None else UNKNOWN_MACHINE
        return name in self.remove or (self.keep is not None and name not in self.keep)

    @property
    def active(self) -> bool:
        return bool(self.remove) or self.keep is not None


@dataclass(frozen=True)
class PruneAction:
    """What pruning does to one stored test."""

    test_id: str
    reason: str
    remove_test: bool = False
    points: tuple[Point, ...] = ()
    """Frontier points removed (all of them when the test goes)."""
    history: int = 0
    """History entries removed."""
    keep_points: int = 0
    """Frontier points that stay."""

    def describe(self) -> str:
        removed = f"{len(self.points)} frontier point(s), {self.history} history entries"
        if self.remove_test:
            return f"remove the test: {self.reason} ({removed})"
        ids = ", ".join(p.id for p in self.points)
        ids = f" [{ids}]" if ids else ""
        return f"remove {removed}{ids}: {self.reason}; {self.keep_points} point(s) stay"


def prune_baseline(
    baseline: TestBaseline, collected: CollectedTests | None, machines: MachineRule
) -> tuple[TestBaseline | None, PruneAction | None]:
    """The baseline after pruning (``None``: the test goes) and what changed (``None``: no
    change)."""
    if collected is not None:
        why = collected.gone(baseline.test_id)
        if why is not None:
            action = PruneAction(
                baseline.test_id, why, True, baseline.points, len(baseline.history)
            )
            return None, action
    if not machines.active:
        return baseline, None
    kept = tuple(p for p in baseline.points if not machines.drops(p))
    history = tuple(h for h in baseline.history if not machines.drops(h.point))
    removed = tuple(p for p in baseline.points if machines.drops(p))
    dropped_history = len(baseline.history) - len(history)
    if not removed and not dropped_history:
        return baseline, None
    reason = "measured on removed machines"
    if not kept and not history:
        action = PruneAction(baseline.test_id, reason, True, removed, dropped_history)
        return None, action
    action = PruneAction(
        baseline.test_id, reason, False, removed, dropped_history, keep_points=len(kept)
    )
    return replace(baseline, points=kept, history=history), action


def plan_prune(
    baselines: Iterable[TestBaseline],
    collected: CollectedTests | None = None,
    machines: MachineRule | None = None,
) -> list[PruneAction]:
    """What pruning would do, test by test (nothing is written)."""
    machines = machines or MachineRule()
    actions = []
    for baseline in baselines:
        _, action = prune_baseline(baseline, collected, machines)
        if action is not None:
            actions.append(action)
    return actions


def apply_prune(
    store: Store,
    actions: Iterable[PruneAction],
    collected: CollectedTests | None = None,
    machines: MachineRule | None = None,
) -> None:
    """Carry out planned actions, each test re-read under its file's lock."""
    rule = machines or MachineRule()
    for action in actions:

        def change(current: TestBaseline | None) -> TestBaseline | None:
            if current is None:
                return None
            updated, _ = prune_baseline(current, collected, rule)
            return updated

        store.update(action.test_id, change)
