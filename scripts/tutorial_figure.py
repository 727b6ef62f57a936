"""Draw the tutorial's frontier picture from the compression example's committed baselines.

    python scripts/tutorial_figure.py                   # rewrite docs/img/tutorial-frontier.*
    python scripts/tutorial_figure.py --output-dir DIR  # draw elsewhere (the CI check does)

The picture is drawn by ``pytest-pareto plot``, as a user would draw it. Beside it goes a
small JSON file saying what it was drawn from: the plot command, the SHA-256 of the baseline
file, the matplotlib version and the image size. tests/test_examples.py draws it again and
compares, so a picture of baselines that have since changed fails CI.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STORE = "examples/compression/baselines"
BASELINE_FILE = f"{STORE}/_groups/digits.json"
NAME = "tutorial-frontier"
IMAGES = ROOT / "docs" / "img"
PICTURE = f"docs/img/{NAME}.png"
"""Where the tutorial shows it, as the plot command names it from the repository root."""
PLOT = ("plot", "_groups/digits::digits", "--x", "model_bytes", "--y", "accuracy")


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from the PNG's IHDR chunk."""
    header = path.read_bytes()[:24]
    if header[:8] != b"\x89PNG\r\n\x1a\n" or header[12:16] != b"IHDR":
        raise ValueError(f"{path} is not a PNG file")
    width, height = struct.unpack(">II", header[16:24])
    return width, height


def draw(output_dir: Path) -> dict[str, object]:
    """Draw the picture into ``output_dir`` and write its record beside it; return the record."""
    import matplotlib

    output_dir.mkdir(parents=True, exist_ok=True)
    picture = output_dir / f"{NAME}.png"
    with tempfile.TemporaryDirectory() as config:
        # No user matplotlibrc: the picture depends on the baselines and matplotlib alone.
        env = {**os.environ, "MPLBACKEND": "Agg", "MPLCONFIGDIR": config}
        command = [sys.executable, "-m", "pytest_pareto.cli", *PLOT, "--store", STORE]
        subprocess.run([*command, "-o", str(picture)], cwd=ROOT, env=env, check=True)
    record: dict[str, object] = {
        "command": " ".join(["pytest-pareto", *PLOT, "--store", STORE, "-o", PICTURE]),
        "baselines": BASELINE_FILE,
        "baselines_sha256": hashlib.sha256((ROOT / BASELINE_FILE).read_bytes()).hexdigest(),
        "matplotlib": matplotlib.__version__,
        "size": list(png_size(picture)),
    }
    (output_dir / f"{NAME}.json").write_text(json.dumps(record, indent=2) + "\n")
    return record


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output-dir", type=Path, default=IMAGES)
    args = parser.parse_args()
    record = draw(args.output_dir)
    print(f"drew {args.output_dir / (NAME + '.png')} from {record['baselines']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
