"""Judging one point against another: dominance, statistics, censoring, budgets, the verdict."""
