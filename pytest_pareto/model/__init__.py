"""Metrics, points, the machine and units: the data every layer shares."""
