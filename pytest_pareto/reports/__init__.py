"""Verdicts in words, tables, run reports (JSON, markdown, HTML) and plots."""
