"""How many OpenMP threads a model's prediction on a batch of rows may use."""

from __future__ import annotations

import contextlib

# Below this many rows a prediction runs on one OpenMP thread: scikit-learn's histogram gradient
# boosting starts a team of threads for every tree, which for a small batch costs more than it saves
# (on a busy two-core machine the German-credit demo spent three times its CPU time waiting in them).
THREADED_ROWS = 20_000


def prediction_threads(n_rows: int):
    """A context in which a prediction on ``n_rows`` rows uses one OpenMP thread if the batch is small.

    Examples
    --------
    >>> with prediction_threads(10):
    ...     pass
    """
    if n_rows >= THREADED_ROWS:
        return contextlib.nullcontext()
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="openmp")
