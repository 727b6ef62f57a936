"""Measuring a call: the loop, the recorder, quality metrics, derived objectives, options."""
