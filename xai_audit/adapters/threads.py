"""How many threads a computation may use: OpenMP for a model's prediction, BLAS for small linear algebra."""

from __future__ import annotations

import contextlib
import sys

# Below this many rows a prediction runs on one OpenMP thread: scikit-learn's histogram gradient
# boosting starts a team of threads for every tree, which for a small batch costs more than it saves
# (on a busy two-core machine the German-credit demo spent three times its CPU time waiting in them).
THREADED_ROWS = 20_000

_CONTROLLER = {"modules": -1, "controller": None}


def prediction_threads(n_rows: int):
    """A context in which a prediction on ``n_rows`` rows uses one OpenMP thread if the batch is small.

    Examples
    --------
    >>> with prediction_threads(10):
    ...     pass
    """
    if n_rows >= THREADED_ROWS:
        return contextlib.nullcontext()
    return one_thread("openmp")


def one_thread(user_api: str):
    """A context in which the ``user_api`` thread pools (``"openmp"`` or ``"blas"``) use one thread.

    The libraries are looked up once and again only after new modules were imported (a model's
    library loads its runtime on import): looking them up costs about 6 ms, more than a small
    prediction.

    Examples
    --------
    >>> with one_thread("blas"):
    ...     pass
    """
    if _CONTROLLER["modules"] != len(sys.modules):
        from threadpoolctl import ThreadpoolController

        _CONTROLLER["controller"] = ThreadpoolController()
        _CONTROLLER["modules"] = len(sys.modules)
    return _CONTROLLER["controller"].limit(limits=1, user_api=user_api)
