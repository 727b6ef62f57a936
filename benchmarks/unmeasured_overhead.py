"""What the installed plugin costs a pytest run that measures nothing.

Builds a project of 20 trivial, unmeasured tests and times whole pytest processes with the
plugin and with ``-p no:pareto``, interleaved (with, without, with, ...), quiet (``-q``) and
with the pytest header. Prints, per mode, the median of the paired ratios (with / without)
and the median seconds of each side, with the load average before and after. Other plugins
stay as installed, on both sides alike.

Usage::

    python benchmarks/unmeasured_overhead.py              # 10 pairs per mode
    python benchmarks/unmeasured_overhead.py --pairs 20
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TESTS = 20
MODES = {"pytest -q": ("-q",), "pytest (header)": ()}


def _seconds(project: Path, *args: str) -> float:
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(
            f"pytest {' '.join(args)} exited {done.returncode}:\n{done.stdout[-2000:]}"
        )
    return elapsed


def _load() -> str:
    try:
        return " ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "unknown"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=10, help="interleaved pairs per mode")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="pareto-unmeasured-") as folder:
        project = Path(folder)
        (project / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
        body = "".join(f"def test_{i}():\n    assert {i} == {i}\n\n" for i in range(TESTS))
        (project / "test_trivial.py").write_text(body, encoding="utf-8")
        print(
            f"load before: {_load()}; {args.pairs} pairs per mode; python {sys.version.split()[0]}"
        )
        for mode, extra in MODES.items():
            _seconds(project, *extra)  # warm the file cache once
            with_plugin, without = [], []
            for _ in range(args.pairs):
                with_plugin.append(_seconds(project, *extra))
                without.append(_seconds(project, *extra, "-p", "no:pareto"))
            ratios = [a / b for a, b in zip(with_plugin, without, strict=True)]
            print(
                f"{mode}: {statistics.median(ratios):.3f}x (median of {len(ratios)} paired "
                f"ratios; {statistics.median(with_plugin):.3f} s with the plugin, "
                f"{statistics.median(without):.3f} s with -p no:pareto)"
            )
        print(f"load after: {_load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
