"""Benchmarks: plain scripts that print figures and ratios and assert nothing
about time. ``python -m benchmarks`` runs them all (``tox -e bench``)."""
