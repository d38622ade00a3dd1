"""The one statistics layer: stratified bootstrap, intervals, tests with multiplicity, calibration.

Every interval and test the audit reports comes from here (``bootstrap``, ``intervals``, ``tests``,
``calibration``); their coverage is measured by ``benchmarks/bench_coverage.py``.
"""
