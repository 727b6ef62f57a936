"""``pytest-pareto probes``: which probes can measure here (or why not), and the fingerprint."""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import textwrap

from pytest_pareto.cli._common import EXIT_OK, Command
from pytest_pareto.model.machine import current_machine
from pytest_pareto.probes import builtin_probes
from pytest_pareto.probes.probe_report import gpu_note, report_json, report_lines

__all__ = ["COMMAND"]

OPTIONAL_LIBRARIES = ("torch",)
"""Imported before checking, so the CUDA and FLOPs probes give a definite answer."""


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.add_argument(
        "--no-import",
        action="store_true",
        help="do not import torch to check CUDA (faster; the CUDA probes may then only say "
        "that torch is not imported)",
    )


def _import_optional() -> list[str]:
    notes = []
    for name in OPTIONAL_LIBRARIES:
        if importlib.util.find_spec(name) is None:
            continue
        try:
            importlib.import_module(name)
        except Exception as exc:  # a broken install: report it, check the rest
            notes.append(f"importing {name} failed: {exc}")
    return notes


def _run(args: argparse.Namespace) -> int:
    notes = [] if args.no_import else _import_optional()
    probes = builtin_probes()
    machine = current_machine()
    note = gpu_note()
    if args.json:
        data = report_json(probes, machine, gpus_note=note)
        data["notes"] = notes
        print(json.dumps(data, indent=2, sort_keys=True))
        return EXIT_OK
    for line in report_lines(probes, machine, gpus_note=note):
        print(textwrap.fill(line, width=100, subsequent_indent=" " * 10) if line else line)
    for note_line in notes:
        print(f"note: {note_line}")
    return EXIT_OK


COMMAND = Command(
    name="probes",
    help="list the probes that can measure on this machine, and its fingerprint",
    description=textwrap.dedent(
        """\
        List every built-in probe as available (and how it measures) or unavailable (and why,
        with the fix), when it runs, and this machine's fingerprint: the hardware class that
        decides which stored points a result is compared with.

        Examples:
          pytest-pareto probes
          pytest-pareto probes --json
        """
    ),
    add_arguments=_add_arguments,
    run=_run,
)
