"""pytest layer of process replication and ``--pareto-against``.

Every measured test with a noisy metric is measured again in fresh replica processes: pytest
re-invoked on the test files with the hidden ``--pareto-replica`` option. The parent's
:class:`~.controller.ReplicationController` decides what to replicate, runs the batches and
hands the results to the judging; in a replica, :class:`~.replica.Replica` measures the
listed tests and writes their runs, and nothing is judged. Each is registered as a plugin
only in its own mode (see :mod:`pytest_pareto.plugin.session`).
"""
