"""Instructions executed per call, counted by valgrind's cachegrind in a subprocess.

An instruction count is a deterministic proxy for CPU time: with ``PYTHONHASHSEED`` fixed
it repeats exactly from run to run, whatever the load on the host. Valgrind cannot attach
to a running interpreter, so the measured callable and its arguments are pickled and called
in a fresh interpreter under ``valgrind --tool=cachegrind``: once with ``warmup`` calls and
once with ``warmup + calls``; the difference divided by ``calls`` is the count of one call,
free of interpreter start-up, imports and first-call effects. The callable must therefore be
picklable: a module-level function (or a picklable object) with picklable arguments.
Valgrind slows code ~40x, so this probe is opt-in (``metrics=["instructions"]``).
"""

from __future__ import annotations

import os
import pickle
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pytest_pareto.errors import MeasurementError
from pytest_pareto.model.metrics import BUILTIN_METRICS, Metric
from pytest_pareto.probes._protocol import Availability, Scope

__all__ = ["InstructionsProbe", "count_instructions"]

# Runs in the child: restore the parent's import path, unpickle, call.
_RUNNER = """\
import pickle, sys
with open(sys.argv[1], "rb") as handle:
    sys.path[:] = pickle.load(handle)
    fn, args, kwargs = pickle.load(handle)
for _ in range(int(sys.argv[2])):
    fn(*args, **kwargs)
"""

TIMEOUT_S = 3600.0


def _summary_instructions(out_file: Path) -> int:
    """The total ``Ir`` of a cachegrind output file (its ``summary:`` line)."""
    for line in out_file.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith("summary:"):
            return int(line.split()[1])
    raise MeasurementError(f"instructions: valgrind wrote no summary to {out_file}")


def count_instructions(
    fn: Callable[..., Any],
    args: Sequence[Any] = (),
    kwargs: Mapping[str, Any] | None = None,
    *,
    calls: int = 1,
    warmup: int = 1,
    valgrind: str = "valgrind",
) -> float:
    """Instructions of one call of ``fn(*args, **kwargs)``, counted under cachegrind."""
    try:
        path = [os.path.abspath(entry or os.curdir) for entry in sys.path]
        payload = pickle.dumps(path) + pickle.dumps((fn, tuple(args), dict(kwargs or {})))
    except Exception as exc:  # pickling fails in many ways (PicklingError, TypeError, ...)
        name = getattr(fn, "__qualname__", type(fn).__name__)
        raise MeasurementError(
            f"instructions: cannot send {name} to a valgrind subprocess ({exc}); measure a "
            "module-level function with picklable arguments, e.g. pareto(module.fn, data)"
        ) from None
    env = dict(os.environ, PYTHONHASHSEED="0", PYTHONDONTWRITEBYTECODE="1")
    with tempfile.TemporaryDirectory(prefix="pareto-instructions-") as tmp:
        folder = Path(tmp)
        (folder / "payload.pickle").write_bytes(payload)
        counts = []
        for total_calls in (warmup, warmup + calls):
            out_file = folder / f"cachegrind-{total_calls}.out"
            command = [
                valgrind,
                "--tool=cachegrind",
                "--cache-sim=no",
                f"--cachegrind-out-file={out_file}",
                sys.executable,
                "-c",
                _RUNNER,
                str(folder / "payload.pickle"),
                str(total_calls),
            ]
            completed = subprocess.run(
                command,
                cwd=os.getcwd(),
                env=env,
                capture_output=True,
                text=True,
                timeout=TIMEOUT_S,
                check=False,
            )
            if completed.returncode != 0:
                raise MeasurementError(
                    f"instructions: the call failed under valgrind (exit "
                    f"{completed.returncode}):\n{completed.stderr[-2000:]}"
                )
            counts.append(_summary_instructions(out_file))
    return max(0.0, (counts[1] - counts[0]) / calls)


class InstructionsProbe:
    name: str = "instructions"
    metrics: tuple[Metric, ...] = (BUILTIN_METRICS["instructions"],)
    scope: Scope = Scope.CALL
    per_call: frozenset[str] = frozenset()
    default: bool = False

    def __init__(self, calls: int = 1, valgrind: str | None = None) -> None:
        self.calls = calls
        self._valgrind = valgrind or shutil.which("valgrind")

    def availability(self) -> Availability:
        if self._valgrind is None:
            return Availability.no(
                "valgrind is not installed (e.g. apt install valgrind, brew install valgrind)"
            )
        return Availability.yes(
            "valgrind cachegrind in a subprocess, PYTHONHASHSEED=0 (callable must be picklable)"
        )

    def start(self) -> None:
        """Unused: this probe measures the call itself (:meth:`measure_call`)."""

    def stop(self) -> Mapping[str, float]:
        return {}

    def measure_call(
        self, fn: Callable[..., Any], args: Sequence[Any], kwargs: Mapping[str, Any]
    ) -> Mapping[str, float]:
        if self._valgrind is None:
            raise MeasurementError(f"instructions: {self.availability().reason}")
        count = count_instructions(fn, args, kwargs, calls=self.calls, valgrind=self._valgrind)
        return {"instructions": count}
