"""Timing shared by the benchmarks: the best of a few calls, in wall-clock and in this process's CPU time."""

from __future__ import annotations

import time


def best_of(function, repeats: int = 1):
    """(result of the last call, best wall seconds, best CPU seconds) over ``repeats`` calls.

    CPU time (this process) is the steadier measure on a machine shared with other work."""
    wall, cpu, result = float("inf"), float("inf"), None
    for _ in range(repeats):
        started, started_cpu = time.perf_counter(), time.process_time()
        result = function()
        wall = min(wall, time.perf_counter() - started)
        cpu = min(cpu, time.process_time() - started_cpu)
    return result, wall, cpu
