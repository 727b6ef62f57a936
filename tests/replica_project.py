"""A measured project for pytester: a CPU-bound ``work()`` whose cost ``factor`` scales, and a
test that measures it (wall time only, 100% tolerance so load drift cannot fail it)."""

WORK = """\
FACTOR = {factor}


def work():
    total = 0
    for i in range(int(3000 * FACTOR)):
        total += i * i % 7
    return total
"""

MEASURED = """\
import pytest

import work


@pytest.mark.pareto(metrics=["wall_time"], tolerance={"wall_time": "100%"})
def test_work(pareto):
    pareto(work.work)
"""
