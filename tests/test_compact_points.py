"""Compact points: baseline files keep per process what the verdicts use (the median of its
rounds, the calibration), the round count and a spread, not the rounds; judging from them gives
the verdicts judging gave from every round.

``tests/data/baselines-v1-measured/`` holds schema-1 files of a real measured run (three tests,
20 replica processes, every round of every process) of a reference and of a candidate
(unchanged, 1.5x slower and 0.6x faster code), and ``verdicts.json``, the verdicts schema-1
pytest-pareto gave on them (``record_verdicts.py``): outcome, dominance, ε, and per metric the
relation, p-value of the rank test, bootstrap interval and processes.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from pytest_pareto.judging.dominance import compare_values
from pytest_pareto.judging.stats import RankComparator, SequentialDesign
from pytest_pareto.judging.verdict import JudgePolicy, Verdict, judge
from pytest_pareto.model.metrics import Metric, Variability
from pytest_pareto.model.points import Observation, Point, Sample, TestBaseline
from pytest_pareto.store import raw_rounds
from pytest_pareto.store.baseline_files import Store

MEASURED = Path(__file__).parent / "data" / "baselines-v1-measured"
CASES = json.loads((MEASURED / "verdicts.json").read_text())
POLICY = JudgePolicy(
    comparators={
        Variability.NOISY: RankComparator(SequentialDesign(max_processes=20)),
        Variability.DETERMINISTIC: compare_values,
    }
)


def _raw(side: str) -> dict[str, Any]:
    tests: dict[str, Any] = json.loads((MEASURED / side / "test_work.py.json").read_text())["tests"]
    return tests


def _full_point(data: dict[str, Any], calibrated: bool) -> Point:
    """A point as measuring builds it: every round of every process, in memory."""
    observations = {}
    for name, obs in data["metrics"].items():
        scales = obs.get("calibration") if calibrated else None
        if "processes" not in obs:
            observations[name] = Observation.single(obs["value"])
            continue
        samples = tuple(
            Sample(tuple(rounds), scales[i] if scales else None)
            for i, rounds in enumerate(obs["processes"])
        )
        observations[name] = Observation(samples, bool(obs.get("censored", False)))
    return Point(observations, recorded_at=data["recorded_at"], commit=data.get("commit"))


def _uncalibrated(point: Point) -> Point:
    return point.with_observations(
        {
            name: Observation.from_summaries(obs.per_process, obs.counts, obs.spreads)
            for name, obs in point.observations.items()
        }
    )


def _stored(tmp_path: Path, side: str, *, rewritten: bool) -> dict[str, TestBaseline]:
    """The side's tests read from its schema-1 file, or from that file written again (schema 2)."""
    root = tmp_path / side
    shutil.copytree(MEASURED / side, root)
    store = Store(root)
    tests = {name: store.load(f"test_work.py::{name}") for name in _raw(side)}
    if rewritten:
        for test_id in [f"test_work.py::{name}" for name in tests]:
            store.update(test_id, lambda baseline: baseline)
        assert '"medians"' in (root / "test_work.py.json").read_text()
        assert '"processes"' not in (root / "test_work.py.json").read_text()
        tests = {name: Store(root).load(f"test_work.py::{name}") for name in tests}
    loaded = {name: baseline for name, baseline in tests.items() if baseline is not None}
    assert len(loaded) == 3
    return loaded


def _essence(verdict: Verdict) -> dict[str, Any]:
    data = verdict.to_json()
    essence = {
        "outcome": data["outcome"],
        "against": [
            {key: pc[key] for key in ("dominance", "epsilon", "metrics")} for pc in data["against"]
        ],
    }
    return json.loads(json.dumps(essence))  # tuples as lists, as recorded


def _judge(candidate: Point, reference: Point, metrics: dict[str, Metric], name: str) -> Verdict:
    return judge(f"test_work.py::{name}", candidate, [reference], metrics, POLICY)


@pytest.mark.parametrize("rewritten", [False, True], ids=["schema-1 file", "schema-2 file"])
def test_verdicts_from_compact_points_equal_the_recorded_verdicts_of_full_points(
    tmp_path: Path, rewritten: bool
) -> None:
    references = _stored(tmp_path, "reference", rewritten=rewritten)
    candidates = _stored(tmp_path, "candidates", rewritten=rewritten)
    raw_references, raw_candidates = _raw("reference"), _raw("candidates")
    outcomes, tested = set(), set()
    for case in CASES:
        calibrated = case["calibrated"]
        cand, ref = case["candidate"], case["reference"]
        metrics = dict(references[ref].metrics)
        compact_ref, compact_cand = references[ref].points[0], candidates[cand].points[0]
        if not calibrated:
            compact_ref, compact_cand = _uncalibrated(compact_ref), _uncalibrated(compact_cand)
        assert all(not s.rounds for o in compact_cand.observations.values() for s in o.samples)
        compact = _essence(_judge(compact_cand, compact_ref, metrics, cand))
        full = _essence(
            _judge(
                _full_point(raw_candidates[cand]["points"][0], calibrated),
                _full_point(raw_references[ref]["points"][0], calibrated),
                metrics,
                cand,
            )
        )
        assert compact == case["verdict"], (cand, ref, calibrated)
        assert full == case["verdict"], (cand, ref, calibrated)
        outcomes.add(compact["outcome"])
        wall = compact["against"][0]["metrics"]["wall_time"]
        tested.add((wall["method"].split(",")[0], wall["interval"] is not None))
    # The recorded cases reach every kind of judgement the statistics make.
    assert outcomes == {"pass", "dominated", "improved", "inconclusive"}
    assert tested == {
        ("Mann-Whitney U on speed-normalised process medians", True),
        ("Mann-Whitney U", True),
    }


def test_a_compact_point_keeps_what_judging_reads() -> None:
    measured = Observation(
        (Sample((0.010, 0.011, 0.030), 2e-4), Sample((0.020, 0.021), 4e-4)), censored=True
    )
    stored = Observation.from_json(measured.to_json(), "f.json")
    assert stored == measured  # the same columns: judging cannot tell them apart
    assert stored.per_process == (0.011, (0.020 + 0.021) / 2)
    assert stored.normalised_per_process == measured.normalised_per_process
    assert (stored.value, stored.processes, stored.censored) == (measured.value, 2, True)
    assert stored.counts == (3, 2)
    assert stored.spreads == (0.001, 0.0005)  # median absolute deviation, 2 digits
    assert [s.rounds for s in measured.samples] == [(0.010, 0.011, 0.030), (0.020, 0.021)]
    assert [s.rounds for s in stored.samples] == [(), ()]  # the rounds are not stored
    assert [s.summary for s in stored.samples] == list(stored.per_process)
    assert measured.to_json() == {
        "value": measured.value,
        "medians": [0.011, (0.020 + 0.021) / 2],
        "rounds": [3, 2],
        "spread": [0.001, 0.0005],
        "calibration": [2e-4, 4e-4],
        "censored": True,
    }
    assert Observation.single(3.0).to_json() == {"value": 3.0}  # deterministic: one value
    pooled = stored.merged(Observation((Sample((0.5,)),)))
    assert pooled.per_process == (*stored.per_process, 0.5)


def test_a_sample_is_rounds_or_their_summary() -> None:
    assert Sample((3.0, 1.0, 2.0)).summary == 2.0
    summary = Sample(median=2.0, count=3, spread=1.0)
    assert (summary.rounds, summary.summary, summary.count) == ((), 2.0, 3)
    assert Sample.from_json(summary.to_json(), "w") == summary
    with pytest.raises(ValueError, match="at least one value"):
        Sample()
    with pytest.raises(ValueError, match="rounds or their summary, not both"):
        Sample((1.0,), median=1.0)


def test_raw_rounds_are_written_to_an_ignored_side_folder(tmp_path: Path) -> None:
    point = Point(
        {
            "wall_time": Observation((Sample((0.1, 0.3, 0.2), 1e-3), Sample((0.4,), 2e-3))),
            "accuracy": Observation((Sample((0.9,)),)),
        },
        recorded_at="2026-03-01T10:00:00Z",
        commit="abc",
    )
    folder = tmp_path / raw_rounds.RAW_FOLDER
    path = raw_rounds.write(folder, "tests/test_m.py::test_a[x/1]", point)
    assert path == raw_rounds.path_for(folder, "tests/test_m.py::test_a[x/1]", point)
    assert path is not None
    assert path.parent == folder / "tests" / "test_m.py" / "test_a[x_1]"
    assert path.name == f"2026-03-01T100000Z-{point.id}.json"
    data = json.loads(path.read_text())
    assert data["format"] == raw_rounds.FORMAT_NAME
    assert (data["test_id"], data["point"], data["commit"]) == (
        "tests/test_m.py::test_a[x/1]",
        point.id,
        "abc",
    )
    assert data["metrics"]["wall_time"] == {
        "processes": [[0.1, 0.3, 0.2], [0.4]],
        "calibration": [1e-3, 2e-3],
    }
    assert data["metrics"]["accuracy"] == {"processes": [[0.9]]}
    assert (folder / ".gitignore").read_text().splitlines()[-1] == "*"
    # A point read back from a baseline file has no rounds left to write.
    stored = Point.from_json(point.to_json(), "f.json")
    assert raw_rounds.write(folder, "tests/test_m.py::test_b", stored) is None


def test_raw_rounds_stay_out_of_git_and_out_of_the_store(tmp_path: Path) -> None:
    import subprocess

    if shutil.which("git") is None:
        pytest.skip("needs git")
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    point = Point({"wall_time": Observation((Sample((0.1, 0.2)),))})
    path = raw_rounds.write(tmp_path / raw_rounds.RAW_FOLDER, "t.py::t", point)
    assert path is not None
    status = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert status.stdout == ""
    assert list(Store(tmp_path / "baselines").iter_files()) == []


RAW_MODULE = """
def work():
    return sum(range(3000))


def test_r(pareto):
    pareto(work)
"""


def test_the_raw_rounds_option_writes_each_replicas_rounds_beside_the_store(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeini("[pytest]\n")
    pytester.makepyfile(test_r=RAW_MODULE)
    plain = pytester.runpytest("--pareto-update", "--pareto-processes", "2")
    plain.assert_outcomes(passed=1)
    assert not (pytester.path / raw_rounds.RAW_FOLDER).exists()  # only when asked
    asked = pytester.runpytest("--pareto-raw-rounds", "--pareto-processes", "2")
    asked.assert_outcomes(passed=1)
    (path,) = (pytester.path / raw_rounds.RAW_FOLDER / "test_r.py" / "test_r").iterdir()
    metrics = json.loads(path.read_text())["metrics"]
    wall = metrics["wall_time"]
    assert len(wall["processes"]) == 2  # one list of rounds per replica process
    assert all(len(rounds) > 1 for rounds in wall["processes"])
    assert len(wall["calibration"]) == 2
    stored = json.loads((pytester.path / "baselines" / "test_r.py.json").read_text())
    (point,) = stored["tests"]["test_r"]["points"]
    kept = point["metrics"]["wall_time"]  # per process: a median, a round count, a spread
    assert set(kept) == {"value", "medians", "rounds", "spread", "calibration"}
    assert all(isinstance(count, int) for count in kept["rounds"])
