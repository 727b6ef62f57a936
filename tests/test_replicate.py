"""Process replication: the sequential batch loop, replica files, and the plugin end to end."""

from __future__ import annotations

import json
import sys
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from pytest_pareto.errors import ConfigError, MeasurementError
from pytest_pareto.judging.sequential import SequentialDesign
from pytest_pareto.judging.verdict import judge
from pytest_pareto.model.machine import current_machine
from pytest_pareto.model.metrics import BUILTIN_METRICS, Metric
from pytest_pareto.model.points import Sample
from pytest_pareto.replication.schedule import (
    ReplicaCommand,
    ReplicaRequest,
    Replication,
    Side,
    TestRun,
    read_runs,
    replica_environment,
    replicate,
    run_replica,
    write_runs,
)
from pytest_pareto.reports.staleness import parse_age, stale_warnings
from tests.conftest import make_point
from tests.replica_project import MEASURED, WORK

WALL = BUILTIN_METRICS["wall_time"]
ACCURACY = Metric("accuracy", "", BUILTIN_METRICS["wall_time"].direction)


def passed(test_id: str, value: float = 1.0) -> TestRun:
    return TestRun(test_id, "passed", {"wall_time": WALL}, {"wall_time": Sample((value,))})


class ScriptedReplicas:
    """Stands in for the pytest replicas: records each batch and answers from a script."""

    def __init__(
        self, fail: Mapping[str, str] | None = None, absent_at_reference: Sequence[str] = ()
    ) -> None:
        self.calls: list[tuple[Side, tuple[str, ...], bool]] = []
        self.fail = dict(fail or {})
        self.absent = set(absent_at_reference)

    def __call__(self, side: Side, ids: Sequence[str], noisy_only: bool) -> dict[str, TestRun]:
        self.calls.append((side, tuple(ids), noisy_only))
        runs = {}
        for test_id in ids:
            if side is Side.REFERENCE and test_id in self.absent:
                continue
            if test_id in self.fail:
                runs[test_id] = TestRun(test_id, "failed", message=self.fail[test_id])
            else:
                runs[test_id] = passed(test_id, float(len(self.calls)))
        return runs


DESIGN = SequentialDesign(max_processes=20)


def test_decided_tests_stop_at_their_first_look() -> None:
    replicas = ScriptedReplicas()
    state = replicate(["a", "b"], {"a": DESIGN, "b": DESIGN}, replicas, lambda t, s: False)
    assert [ids for _, ids, _ in replicas.calls] == [("a", "b")] * 5
    assert state.processes(Side.CANDIDATE, "a") == 5
    assert state.batches == 5


def test_only_undecided_tests_go_on_to_the_next_looks() -> None:
    replicas = ScriptedReplicas()

    def needs_more(test_id: str, state: Replication) -> bool:
        return test_id == "slow"

    state = replicate(
        ["fast", "slow"], dict.fromkeys(("fast", "slow"), DESIGN), replicas, needs_more
    )
    batches = [ids for _, ids, _ in replicas.calls]
    assert batches == [("fast", "slow")] * 5 + [("slow",)] * 15
    assert state.processes(Side.CANDIDATE, "slow") == 20
    assert state.processes(Side.CANDIDATE, "fast") == 5
    assert len(state.observations(Side.CANDIDATE, "slow", noisy=True)["wall_time"].samples) == 20


class RecordingSink:
    def __init__(self) -> None:
        self.updates: list[tuple[int, int, int | None, str]] = []

    def update(
        self, done: int, total: int, *, remaining: int | None = None, message: str = ""
    ) -> None:
        self.updates.append((done, total, remaining, message))

    def finish(self, message: str = "") -> None:
        raise AssertionError("replicate() leaves finishing to its caller")


def test_progress_counts_processes_towards_the_look_and_tests_remaining() -> None:
    sink = RecordingSink()
    replicate(
        ["fast", "slow"],
        dict.fromkeys(("fast", "slow"), DESIGN),
        ScriptedReplicas(),
        lambda test_id, state: test_id == "slow",
        progress=sink,
    )
    assert sink.updates[:2] == [(0, 5, 2, "batch 1"), (1, 5, 2, "batch 2")]
    assert sink.updates[5] == (5, 10, 1, "batch 6")  # "fast" was decided at the first look
    assert sink.updates[-1] == (19, 20, 1, "batch 20")
    assert len(sink.updates) == 20


def test_a_test_that_measured_nothing_noisy_needs_one_process() -> None:
    def recorded_only(side: Side, ids: Sequence[str], noisy_only: bool) -> dict[str, TestRun]:
        metrics = {"accuracy": ACCURACY}
        return {t: TestRun(t, "passed", metrics, {"accuracy": Sample((0.9,))}) for t in ids}

    state = replicate(["t"], {"t": DESIGN}, recorded_only, lambda t, s: True)
    assert state.batches == 1


def test_against_alternates_reference_and_candidate_and_runs_every_probe_first() -> None:
    replicas = ScriptedReplicas()
    design = SequentialDesign(max_processes=3)
    replicate(
        ["a"],
        {"a": design},
        replicas,
        lambda t, s: False,
        against=True,
        reference_only=["det"],
    )
    sides = [side for side, _, _ in replicas.calls]
    R, C = Side.REFERENCE, Side.CANDIDATE
    assert sides == [R, C, C, R, R, C]  # drift hits both sides alike
    assert replicas.calls[0] == (R, ("a", "det"), False)  # deterministic metrics too
    assert all(noisy for side, _, noisy in replicas.calls[1:])


def test_each_look_is_announced_with_its_tests_and_replicas_before_it_runs() -> None:
    replicas = ScriptedReplicas()
    events: list[tuple[str, Side, tuple[str, ...], int]] = []

    def prepare(side: Side, ids: Sequence[str], batches: int) -> None:
        events.append(("look", side, tuple(ids), batches))

    def run_batch(side: Side, ids: Sequence[str], noisy_only: bool) -> dict[str, TestRun]:
        events.append(("batch", side, tuple(ids), 0))
        return replicas(side, ids, noisy_only)

    replicate(
        ["fast", "slow"],
        dict.fromkeys(("fast", "slow"), DESIGN),
        run_batch,
        lambda test_id, state: test_id == "slow",
        prepare=prepare,
    )
    looks = [(i, event[1:]) for i, event in enumerate(events) if event[0] == "look"]
    C = Side.CANDIDATE
    assert looks == [
        (0, (C, ("fast", "slow"), 5)),
        (6, (C, ("slow",), 5)),
        (12, (C, ("slow",), 10)),
    ]
    assert len(events) == 3 + 20


def test_a_look_against_a_reference_is_announced_for_both_sides() -> None:
    calls: list[tuple[Side, tuple[str, ...], int]] = []
    replicate(
        ["a"],
        {"a": SequentialDesign(max_processes=3)},
        ScriptedReplicas(),
        lambda t, s: False,
        against=True,
        reference_only=["det"],
        prepare=lambda side, ids, batches: calls.append((side, tuple(ids), batches)),
    )
    # The reference's first replica also measures the reference-only test.
    assert calls == [(Side.CANDIDATE, ("a",), 3), (Side.REFERENCE, ("a", "det"), 3)]


def test_reference_only_tests_get_one_reference_run_without_noisy_tests() -> None:
    replicas = ScriptedReplicas()
    replicate([], {}, replicas, lambda t, s: False, against=True, reference_only=["det"])
    assert replicas.calls == [(Side.REFERENCE, ("det",), False)]


def test_failures_leave_the_loop_with_the_reason() -> None:
    replicas = ScriptedReplicas(fail={"bad": "AssertionError: only in a fresh process"})
    state = replicate(["ok", "bad"], {"ok": DESIGN, "bad": DESIGN}, replicas, lambda t, s: False)
    assert "failed in a candidate replica" in state.problems["bad"]
    assert "only in a fresh process" in state.problems["bad"]
    assert [ids for _, ids, _ in replicas.calls][1:] == [("ok",)] * 4


def test_a_test_missing_at_the_reference_is_absent_not_a_failure() -> None:
    replicas = ScriptedReplicas(absent_at_reference=["new"])
    state = replicate(
        ["new"],
        {"new": SequentialDesign(max_processes=2)},
        replicas,
        lambda t, s: False,
        against=True,
    )
    assert "new" in state.reference_absent
    assert "new" not in state.problems
    assert state.processes(Side.CANDIDATE, "new") == 2
    assert [side for side, ids, _ in replicas.calls if ids] == [
        Side.REFERENCE,
        Side.CANDIDATE,
        Side.CANDIDATE,
    ]


def test_a_crashing_replica_is_reported_for_its_tests() -> None:
    def crash(side: Side, ids: Sequence[str], noisy_only: bool) -> dict[str, TestRun]:
        raise MeasurementError("the replica wrote no results")

    state = replicate(["a"], {"a": DESIGN}, crash, lambda t, s: False)
    assert "the candidate replica failed: the replica wrote no results" in state.problems["a"]


def test_a_crashing_reference_replica_is_a_problem_not_an_absent_test() -> None:
    def crash_reference(side: Side, ids: Sequence[str], noisy_only: bool) -> dict[str, TestRun]:
        if side is Side.REFERENCE:
            raise MeasurementError("no module named model")
        return {t: passed(t) for t in ids}

    state = replicate(
        ["a"],
        {"a": SequentialDesign(max_processes=2)},
        crash_reference,
        lambda t, s: False,
        against=True,
    )
    assert "reference replica failed: no module named model" in state.reference_problems["a"]
    assert "a" not in state.reference_absent
    assert state.processes(Side.CANDIDATE, "a") == 2


def test_deterministic_metrics_come_from_the_first_process() -> None:
    state = Replication()
    metrics = {"wall_time": WALL, "accuracy": ACCURACY}
    for value in (1.0, 2.0):
        samples = {"wall_time": Sample((value,)), "accuracy": Sample((value,))}
        state.add(Side.CANDIDATE, TestRun("t", "passed", metrics, samples))
    assert state.observations(Side.CANDIDATE, "t", noisy=False)["accuracy"].value == 1.0
    assert state.observations(Side.CANDIDATE, "t", noisy=True)["wall_time"].processes == 2


# -- replica files and processes -------------------------------------------------------


def test_runs_round_trip_through_the_replica_file(tmp_path: Path) -> None:
    path = tmp_path / "runs.json"
    runs = [passed("t::a", 0.5), TestRun("t::b", "failed", message="boom")]
    write_runs(path, runs)
    back = read_runs(path)
    assert back["t::a"].samples["wall_time"].rounds == (0.5,)
    assert back["t::a"].metrics["wall_time"] == WALL
    assert back["t::b"].outcome == "failed"
    assert not back["t::b"].ok


def test_missing_or_bad_replica_file_is_a_measurement_error(tmp_path: Path) -> None:
    with pytest.raises(MeasurementError, match="wrote no results"):
        read_runs(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("{}")
    with pytest.raises(MeasurementError, match="unreadable"):
        read_runs(tmp_path / "bad.json")


def test_replica_environment_drops_xdist_variables() -> None:
    env = replica_environment(
        {"PATH": "/bin", "PYTEST_XDIST_WORKER": "gw0", "PYTHONPATH": "/old"},
        python_path=[Path("/tree"), Path("/tree/src")],
    )
    assert "PYTEST_XDIST_WORKER" not in env
    assert env["PYTHONPATH"].split(":") == ["/tree", "/tree/src", "/old"]


def test_run_replica_reads_what_a_real_process_wrote(tmp_path: Path) -> None:
    script = textwrap.dedent(
        """
        import json, sys
        from pytest_pareto.replication.schedule import TestRun, ReplicaRequest, write_runs
        from pytest_pareto.model.points import Sample
        request = ReplicaRequest.load(sys.argv[1])
        runs = [TestRun(t, "passed", {}, {"x": Sample((1.0,))}) for t in request.tests]
        write_runs(request.out, runs)
        """
    )
    request = ReplicaRequest(("t::a",), str(tmp_path / "out.json"))
    runs = run_replica(
        ReplicaCommand(
            [sys.executable, "-c", script], tmp_path, replica_environment({"PATH": "/usr/bin:/bin"})
        ),
        request=request,
        request_path=tmp_path / "request.json",
        log_path=tmp_path / "log.txt",
    )
    assert runs["t::a"].samples["x"].rounds == (1.0,)


def test_run_replica_shows_the_output_of_a_crash(tmp_path: Path) -> None:
    with pytest.raises(MeasurementError, match=r"(?s)exited with status 3.*import went wrong"):
        run_replica(
            ReplicaCommand(
                [sys.executable, "-c", "import sys; print('import went wrong'); sys.exit(3)"],
                tmp_path,
                replica_environment({"PATH": "/usr/bin:/bin"}),
            ),
            request=ReplicaRequest(("t::a",), str(tmp_path / "out.json")),
            request_path=tmp_path / "request.json",
            log_path=tmp_path / "log.txt",
        )


# -- stale baselines -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("7d", 7 * 86400), ("12h", 43200), ("30m", 1800), ("2", 172800), ("0", None)],
)
def test_parse_age(text: str, seconds: float | None) -> None:
    assert parse_age(text) == seconds


def test_parse_age_rejects_nonsense() -> None:
    with pytest.raises(ConfigError, match="must be an age such as 7d"):
        parse_age("a week")


def test_old_or_foreign_noisy_baselines_are_flagged() -> None:
    here = current_machine()
    old = make_point({"wall_time": [1.0, 1.1]}, recorded_at="2020-01-01T00:00:00Z")
    old = type(old)(old.observations, old.recorded_at, machine=here)
    verdict = judge("t::old", make_point({"wall_time": [1.0, 1.05]}), [old], {"wall_time": WALL})
    warnings = stale_warnings([verdict], here, 7 * 86400)
    assert len(warnings) == 1
    assert "t::old: stored point" in warnings[0]
    assert "days old" in warnings[0]
    assert "--pareto-against" in warnings[0]
    assert stale_warnings([verdict], here, None) == []

    foreign = type(old)(old.observations, "2999-01-01T00:00:00Z", machine=None)
    verdict = judge("t::foreign", make_point({"wall_time": [1.0]}), [foreign], {"wall_time": WALL})
    assert "another machine" in stale_warnings([verdict], here, 7 * 86400)[0]


def test_deterministic_baselines_do_not_go_stale() -> None:
    acc = Metric("accuracy")
    old = make_point({"accuracy": 0.9}, recorded_at="2020-01-01T00:00:00Z")
    verdict = judge("t", make_point({"accuracy": 0.9}), [old], {"accuracy": acc})
    assert stale_warnings([verdict], current_machine(), 86400) == []


# -- the plugin, end to end ------------------------------------------------------------


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    """Run pytest in-process, without the hypothesis plugin: pytester drops the modules a
    run imports, so every run (and every replica) would import hypothesis again."""
    return pytester.runpytest("-p", "no:hypothesispytest", *args)


def project(pytester: pytest.Pytester, factor: float = 1.0) -> None:
    pytester.makeini("[pytest]\naddopts = -p no:cacheprovider\n")
    pytester.makepyfile(work=WORK.format(factor=factor), test_measured=MEASURED)


@pytest.mark.slow
def test_ten_times_slower_fails_with_ratio_interval_and_processes(
    pytester: pytest.Pytester,
) -> None:
    """The acceptance scenario: record, inject a 10x slowdown, then run identical code again.

    The tolerance is 100% so that load drifting on a shared host between the runs cannot
    fail the identical run; a 10x slowdown is far beyond it.
    """
    project(pytester)
    result = run(pytester, "--pareto-update", "--pareto-processes", "4", "-v")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "pareto: measuring 1 test in replica processes",
            "pareto replication: 0/4 processes measured, 1 test remaining (batch 1)",
            "pareto replication: 3/4 processes measured, 1 test remaining (batch 4)",
            "replicated 1 test in 4 replica processes*",
        ]
    )
    stored = json.loads((pytester.path / "baselines" / "test_measured.py.json").read_text())
    point = stored["tests"]["test_work"]["points"][0]
    assert len(point["metrics"]["wall_time"]["medians"]) == 4

    project(pytester, factor=10.0)
    result = run(pytester, "--pareto-processes", "4")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*pareto: dominated*",
            "*wall_time*worse*ratio *(95% CI *–*), p=0.014 (Mann-Whitney U on speed-normalised "
            "process medians, level 0.05), 4 vs 4 processes*",
        ]
    )
    ratio = float(result.stdout.str().split("ratio ")[1].split()[0])
    assert ratio > 3  # 10x the work; load on a shared host can stretch either side

    project(pytester)
    result = run(pytester, "--pareto-processes", "4", "-q")
    result.assert_outcomes(passed=1)
    assert "pareto: measuring" not in result.stdout.str()  # -q: no progress lines
    assert "pareto replication" not in result.stdout.str()


@pytest.mark.slow
def test_a_test_failing_only_in_a_replica_fails_with_the_reason(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_env="""
        import sys

        def test_env(pareto):
            assert "--pareto-replica" not in sys.argv, "depends on its process"
            pareto(sum, range(100))
        """
    )
    result = run(pytester, "--pareto-update", "--pareto-processes", "2")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*could not be measured in replica processes: it failed in a candidate replica*",
            "*depends on its process*",
        ]
    )


@pytest.mark.slow
def test_xdist_workers_replicate_one_test_at_a_time(pytester: pytest.Pytester) -> None:
    project(pytester)
    run(pytester, "--pareto-update", "--pareto-processes", "2").assert_outcomes(passed=1)
    result = run(pytester, "-n", "2", "-v", "--pareto-processes", "2")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*wall_time*2 vs 2 processes*"])


GROUPED = """
import pytest

import work


@pytest.mark.parametrize("name", ["a", "b"])
@pytest.mark.pareto(group="variants", metrics=["wall_time"], tolerance={"wall_time": "100%"})
def test_variant(pareto, name):
    pareto(work.work)
"""


@pytest.mark.slow
def test_grouped_tests_are_replicated_against_their_groups_frontier(
    pytester: pytest.Pytester,
) -> None:
    """A variant's stored points are in its group's entry: judging (not only updating) a
    grouped test with a noisy metric replicates it, as it does any test."""
    pytester.makeini("[pytest]\naddopts = -p no:cacheprovider\n")
    pytester.makepyfile(work=WORK.format(factor=1.0), test_grouped=GROUPED)
    run(pytester, "--pareto-update", "--pareto-processes", "2").assert_outcomes(passed=2)
    result = run(pytester, "--pareto-processes", "2", "-v")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        [
            "pareto: measuring 2 tests in replica processes",
            "*wall_time*2 vs 2 processes*",
            "replicated 2 tests in 2 replica processes*",
            "  test * replica processes * its own time",
            "  test_grouped.py::test_variant[[]*] * 2 *s",
            "  test_grouped.py::test_variant[[]*] * 2 *s",
            "  starting the replica processes and collecting: *s",
        ]
    )


def test_only_tests_with_something_noisy_to_judge_are_replicated(
    pytester: pytest.Pytester,
) -> None:
    """New tests judged without --pareto-update, and tests whose stored points hold only
    deterministic metrics, run in this process alone: their side effects happen once."""
    pytester.makepyfile(
        test_once="""
        from pathlib import Path

        def test_recorded(pareto):
            with Path("runs.txt").open("a") as handle:
                handle.write("ran\\n")
            pareto.record("loss", 1.0)

        def test_timed(pareto):
            pareto(sum, range(1000))
        """
    )
    result = run(pytester, "--pareto-processes", "2")
    result.assert_outcomes(passed=2)
    assert "replica processes" not in result.stdout.str()  # new: nothing to compare with
    run(pytester, "--pareto-update", "--pareto-processes", "2").assert_outcomes(passed=2)
    result = run(pytester, "--pareto-processes", "2")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["pareto: measuring 1 test in replica processes"])
    # test_recorded ran once per run, plus once in the first batch of the update
    assert (pytester.path / "runs.txt").read_text().count("ran") == 4


def test_replica_mode_measures_listed_tests_and_never_judges(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_two="""
        def test_listed(pareto):
            pareto(sum, range(1000))
            pareto.record("accuracy", 0.5, better="higher")

        def test_not_listed(pareto):
            pareto(sum, range(1000))

        def test_fails(pareto):
            pareto(sum, range(10))
            assert False, "nope"
        """
    )
    out = pytester.path / "runs.json"
    request = ReplicaRequest(
        ("test_two.py::test_listed", "test_two.py::test_fails"), str(out), noisy_only=True
    )
    (pytester.path / "request.json").write_text(json.dumps(request.to_json()))
    result = run(pytester, "--pareto-replica", "request.json")
    result.assert_outcomes(passed=1, failed=1, deselected=1)
    runs = read_runs(out)
    assert set(runs) == {"test_two.py::test_listed", "test_two.py::test_fails"}
    listed = runs["test_two.py::test_listed"]
    assert set(listed.samples) == {"wall_time", "cpu_time", "peak_rss", "accuracy"}
    assert listed.metrics["accuracy"].direction.value == "higher"
    assert runs["test_two.py::test_fails"].outcome == "failed"
    assert "nope" in runs["test_two.py::test_fails"].message
    assert not (pytester.path / "baselines").exists()
    assert "pareto: dominated" not in result.stdout.str()


def test_single_process_mode_needs_no_replicas(pytester: pytest.Pytester) -> None:
    """With --pareto-processes 1, a 10x slowdown still fails and identical code passes."""
    pytester.makeini("[pytest]\naddopts = -p no:cacheprovider\n")
    pytester.makepyfile(
        work=WORK.format(factor=1.0),
        test_measured=MEASURED.replace(', tolerance={"wall_time": "100%"}', ""),
    )
    run(pytester, "--pareto-update", "--pareto-processes", "1").assert_outcomes(passed=1)
    result = run(pytester, "--pareto-processes", "1", "-v")
    result.assert_outcomes(passed=1)
    assert "replicated" not in result.stdout.str()
    result.stdout.fnmatch_lines(
        ["*no test (single process, speed-normalised): a change counts beyond 3x*"]
    )
    pytester.makepyfile(work=WORK.format(factor=10.0))
    result = run(pytester, "--pareto-processes", "1")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*wall_time*worse*no test (single process*)*1 vs 1 process*"])


def test_stale_baseline_is_warned_about(pytester: pytest.Pytester) -> None:
    project(pytester)
    run(pytester, "--pareto-update", "--pareto-processes", "1").assert_outcomes(passed=1)
    path = pytester.path / "baselines" / "test_measured.py.json"
    data = json.loads(path.read_text())
    point = data["tests"]["test_work"]["points"][0]
    point["recorded_at"] = "2020-01-01T00:00:00Z"
    data["tests"]["test_work"]["machines"][point["machine"]]["cpu_model"] = "Some Other CPU"
    path.write_text(json.dumps(data))
    result = run(pytester, "--pareto-processes", "1", "--pareto-machine", "any")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "*pareto processes*",
            "warning: test_measured.py::test_work: stored point * is * days old and was "
            "measured on another machine (Some Other CPU*",
        ]
    )
    quiet = run(
        pytester,
        "--pareto-processes",
        "1",
        "--pareto-machine",
        "any",
        "-o",
        "pareto_baseline_max_age=0",
    )
    assert "days old" not in quiet.stdout.str()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--pareto-processes", "0"], "--pareto-processes 0: must be at least 1"),
        (["-o", "pareto_processes=many"], "ini pareto_processes must be an integer >= 1"),
        (["-o", "pareto_alpha=2"], "ini pareto_alpha must be between 0 and 1"),
        (["-o", "pareto_process_max_time=0"], "ini pareto_process_max_time = '0'"),
        (["--pareto-against", "HEAD", "--pareto-update"], "use one at a time"),
    ],
)
def test_bad_settings_are_usage_errors(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, args: list[str], message: str
) -> None:
    monkeypatch.delenv("PYTEST_PARETO_PROCESSES")  # it would replace the ini value
    project(pytester)
    result = run(pytester, *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert message in result.stderr.str()


def test_environment_variable_sets_the_default_processes(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    project(pytester)
    monkeypatch.setenv("PYTEST_PARETO_PROCESSES", "1")
    result = run(pytester, "--pareto-update")
    result.assert_outcomes(passed=1)
    assert "replica processes" not in result.stdout.str()
    monkeypatch.setenv("PYTEST_PARETO_PROCESSES", "some")
    result = run(pytester)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "PYTEST_PARETO_PROCESSES must be an integer >= 1" in result.stderr.str()


@pytest.mark.parametrize("value", ["0", "True", "2.5", "'5'"])
def test_marker_processes_must_be_a_positive_integer(pytester: pytest.Pytester, value: str) -> None:
    pytester.makepyfile(
        f"""
        import pytest

        @pytest.mark.pareto(processes={value})
        def test_x():
            pass
        """
    )
    result = run(
        pytester,
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "processes= must be an integer >= 1" in result.stderr.str()
