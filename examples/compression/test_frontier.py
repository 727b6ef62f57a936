"""The gate at work: the deliberately bad variant fails, and fp32, int8 and pruned keep a
frontier of at least two points, both as stored and as this run would leave it."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
NO_CACHE = ("-p", "no:cacheprovider")
GOOD = {f"test_compression.py::test_variant[{name}]" for name in ("fp32", "int8", "pruned")}


def frontier_rows(output: str) -> list[str]:
    """The variants of the frontier table in the 'pareto groups' summary."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("group 'digits':"))
    rows = []
    for line in lines[start + 2 :]:  # below the table's header
        if not line.startswith("    test_"):
            break
        rows.append(line.split()[0])
    return rows


def test_the_bad_variant_fails_and_the_others_stay_on_the_frontier() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "test_compression.py", "--bad-variant", *NO_CACHE],
        cwd=HERE,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    # Whether or not this machine's stored points are comparable, the variants of the run
    # are judged against each other, and the wide one is dominated on deterministic metrics.
    dominated = re.search(r"test_variant\[wide\] is dominated by \S+: worse on (.*)", output)
    assert dominated is not None, output
    for metric in ("accuracy", "output_error", "model_bytes", "flops"):
        assert metric in dominated.group(1), output
    rows = frontier_rows(output)
    assert set(rows) == GOOD, output


def test_the_stored_frontier_has_at_least_two_of_the_good_variants() -> None:
    stored = json.loads((HERE / "baselines" / "_groups" / "digits.json").read_text())
    variants = [point["variant"] for point in stored["tests"]["digits"]["points"]]
    assert len(variants) >= 2
    assert set(variants) <= GOOD
