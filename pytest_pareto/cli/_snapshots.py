"""Frontiers of every test at one moment, from a store folder, a JSON report or a git ref.

``pytest-pareto compare A B`` reads each side with :func:`load_snapshot`:

* a folder: a baseline store (``baselines/``), its current frontiers;
* a file: a JSON report of one run (``pytest --pareto-report run.json``), each test's
  measured result as a one-point frontier;
* anything else: a git ref (branch, tag, commit, ``HEAD~1``) whose committed store folder is
  read with ``git``, without touching the work tree. ``git:REF`` forces this reading.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from pytest_pareto.errors import BaselineFileError, ConfigError
from pytest_pareto.model.points import TestBaseline
from pytest_pareto.replication.git import Git
from pytest_pareto.reports.run_report import load_report
from pytest_pareto.store.baseline_files import FORMAT_NAME, BaselineFile, Store

__all__ = [
    "Snapshot",
    "load_snapshot",
    "snapshot_from_git",
    "snapshot_from_report",
    "snapshot_from_store",
]

GIT_PREFIX = "git:"


@dataclass(frozen=True)
class Snapshot:
    """Every test's stored points, keyed by test id, and where they were read from."""

    source: str
    tests: Mapping[str, TestBaseline]


def snapshot_from_store(root: Path) -> Snapshot:
    tests = {baseline.test_id: baseline for baseline in Store(root).iter_baselines()}
    return Snapshot(f"store {root}", tests)


def snapshot_from_report(path: Path) -> Snapshot:
    try:
        report = load_report(path)
    except ConfigError:
        if _is_baseline_file(path):
            raise ConfigError(
                f"{path} is a baseline file, not a report; compare its store folder "
                "(e.g. baselines/) instead"
            ) from None
        raise
    tests = {
        v.test_id: TestBaseline(v.test_id, dict(v.metrics), (v.candidate,)) for v in report.verdicts
    }
    return Snapshot(f"report {path}", tests)


def _is_baseline_file(path: Path) -> bool:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and data.get("format") == FORMAT_NAME


_GIT = Git(
    timeout_s=60,
    not_installed="git is not installed; compare store folders or report files",
    slow_is_error=True,
)
"""Bytes: file names and contents as stored, whatever their encoding."""


def _is_git_ref(ref: str, cwd: Path) -> bool:
    if not ref or ref.startswith("-"):
        return False
    try:
        result = _GIT.binary(cwd, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    except ConfigError:
        return False
    return result.returncode == 0


def snapshot_from_git(ref: str, store: str, cwd: Path) -> Snapshot:
    """The store folder ``store`` (relative to ``cwd``) as committed at ``ref``."""
    if not _is_git_ref(ref, cwd):
        raise ConfigError(f"{ref!r} is not a commit, branch or tag of the git repository at {cwd}")
    store_path = Path(store)
    if store_path.is_absolute():
        try:
            store_path = store_path.relative_to(cwd.resolve())
        except ValueError:
            raise ConfigError(f"--store {store} is outside the repository at {cwd}") from None
    folder = PurePosixPath(store_path.as_posix())
    listing = _GIT.binary(cwd, "ls-tree", "-r", "-z", "--name-only", ref, "--", f"{folder}/")
    if listing.returncode != 0:
        raise ConfigError(
            f"git ls-tree {ref} {folder}/ failed: {listing.stderr.decode(errors='replace')}"
        )
    tests: dict[str, TestBaseline] = {}
    for raw in listing.stdout.split(b"\0"):
        name = raw.decode("utf-8", errors="surrogateescape")
        if not name.endswith(".json") or PurePosixPath(name).name.startswith(".pareto-tmp-"):
            continue
        blob = _GIT.binary(cwd, "cat-file", "blob", f"{ref}:./{name}")
        where = f"{ref}:{name}"
        if blob.returncode != 0:
            raise ConfigError(f"cannot read {where}: {blob.stderr.decode(errors='replace')}")
        try:
            text = blob.stdout.decode("utf-8")
        except UnicodeDecodeError:
            raise BaselineFileError(where, "is not UTF-8 text") from None
        module = PurePosixPath(name).relative_to(folder).as_posix().removesuffix(".json")
        for baseline in BaselineFile.parse(Path(where), text, module).tests.values():
            tests[baseline.test_id] = baseline
    return Snapshot(f"git {ref}:{folder}/", tests)


def load_snapshot(spec: str, *, store: str = "baselines", cwd: Path | None = None) -> Snapshot:
    """Read one side of a comparison: a store folder, a JSON report or a git ref (see module
    docs). ``store`` is the store folder inside a git ref's tree."""
    cwd = cwd or Path.cwd()
    if spec.startswith(GIT_PREFIX):
        return snapshot_from_git(spec[len(GIT_PREFIX) :], store, cwd)
    path = cwd / spec
    if path.is_dir():
        return snapshot_from_store(path)
    if path.is_file():
        return snapshot_from_report(path)
    if _is_git_ref(spec, cwd):
        return snapshot_from_git(spec, store, cwd)
    raise ConfigError(
        f"{spec!r} is neither a baseline folder, a JSON report file nor a git ref "
        f"(looked in {cwd}); pass a store folder (baselines/), a report written by "
        "pytest --pareto-report FILE.json, or a branch/tag/commit (git:REF to insist)"
    )
