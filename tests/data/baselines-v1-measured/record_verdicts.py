"""Record the verdicts schema-1 pytest-pareto gives on the measured files next to this script.

Run once with the code that wrote schema 1 (commit 13c038b), from this folder:

    PYTHONPATH=<checkout of 13c038b> python record_verdicts.py > verdicts.json

Each case judges a candidate point against a reference point with the plugin's comparators
(the rank test with 20 processes per side and its bootstrap interval; exact comparison for
deterministic metrics), with the calibration as measured and with it left out (raw times).
"""

import json
from pathlib import Path

from pytest_pareto.judging.dominance import compare_values
from pytest_pareto.judging.stats import RankComparator, SequentialDesign
from pytest_pareto.judging.verdict import JudgePolicy, judge
from pytest_pareto.model.metrics import Metric, Variability
from pytest_pareto.model.points import Point

HERE = Path(__file__).parent
TESTS = ("test_equal", "test_slower", "test_faster")


def load(side: str) -> dict:
    return json.loads((HERE / side / "test_work.py.json").read_text())["tests"]


def uncalibrated(point: dict) -> dict:
    point = json.loads(json.dumps(point))
    for observation in point["metrics"].values():
        observation.pop("calibration", None)
    return point


def essence(verdict) -> dict:
    data = verdict.to_json()
    return {
        "outcome": data["outcome"],
        "against": [
            {key: pc[key] for key in ("dominance", "epsilon", "metrics")} for pc in data["against"]
        ],
    }


def main() -> None:
    reference, candidates = load("reference"), load("candidates")
    policy = JudgePolicy(
        comparators={
            Variability.NOISY: RankComparator(SequentialDesign(max_processes=20)),
            Variability.DETERMINISTIC: compare_values,
        }
    )
    cases = []
    for calibrated in (True, False):
        for cand_test in TESTS:
            for ref_test in TESTS:
                ref_json = reference[ref_test]["points"][0]
                cand_json = candidates[cand_test]["points"][0]
                if not calibrated:
                    ref_json, cand_json = uncalibrated(ref_json), uncalibrated(cand_json)
                metrics = {
                    name: Metric.from_json(name, spec)
                    for name, spec in reference[ref_test]["metrics"].items()
                }
                verdict = judge(
                    "test_work.py::" + cand_test,
                    Point.from_json(cand_json, "candidate"),
                    [Point.from_json(ref_json, "reference")],
                    metrics,
                    policy,
                )
                cases.append(
                    {
                        "candidate": cand_test,
                        "reference": ref_test,
                        "calibrated": calibrated,
                        "verdict": essence(verdict),
                    }
                )
    print(json.dumps(cases, indent=1, sort_keys=True))


main()
