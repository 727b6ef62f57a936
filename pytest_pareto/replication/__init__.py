"""Replication over processes: the schedule, replica requests and results, git worktrees."""
