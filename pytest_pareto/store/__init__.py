"""Baseline files on disk: versioned JSON, migrations, temporary files and locks."""
