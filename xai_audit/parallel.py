"""Chunked work over local processes (joblib's loky) or a Dask cluster.

One function, :func:`map_chunks`, applies a picklable function to chunks of work and returns the
results in chunk order. The same chunk function runs unchanged in-process, in loky worker processes
or on Dask workers, so a caller with a ``dask.distributed.Client`` can pass it as ``scheduler``.
:func:`split_rows` cuts a row range into chunks.

Threads would not help the work this is for: shap's Tree SHAP extension holds the GIL.
"""

from __future__ import annotations

import os

import numpy as np

from xai_audit._optional import require
from xai_audit.exceptions import InvalidInputError

BACKENDS = ("serial", "processes", "dask")


def available_workers() -> int:
    """The number of CPU cores this process may use (affinity-aware).

    Examples
    --------
    >>> available_workers() >= 1
    True
    """
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def split_rows(n_rows: int, *, n_chunks: int | None = None, chunk_size: int | None = None) -> list[slice]:
    """Cut ``range(n_rows)`` into contiguous slices of nearly equal size.

    Parameters
    ----------
    n_rows : int
    n_chunks : int, optional
        How many chunks (at most ``n_rows``).
    chunk_size : int, optional
        Rows per chunk instead (the last one may be smaller).

    Examples
    --------
    >>> split_rows(10, n_chunks=3)
    [slice(0, 3, None), slice(3, 7, None), slice(7, 10, None)]
    >>> split_rows(5, chunk_size=2)
    [slice(0, 2, None), slice(2, 4, None), slice(4, 5, None)]
    """
    if n_rows <= 0:
        return []
    if chunk_size is not None:
        size = max(1, int(chunk_size))
        return [slice(start, min(start + size, n_rows)) for start in range(0, n_rows, size)]
    n_chunks = max(1, min(int(n_chunks or 1), n_rows))
    edges = np.linspace(0, n_rows, n_chunks + 1).round().astype(int)
    return [slice(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:]) if b > a]


def map_chunks(function, chunks, *, backend: str = "processes", scheduler=None, workers: int | None = None,
               args: tuple = (), progress=None) -> list:
    """``[function(chunk, *args) for chunk in chunks]``, computed in parallel, in chunk order.

    Parameters
    ----------
    function : callable
        A module-level (picklable) function ``function(chunk, *args)``.
    chunks : sequence
        The pieces of work (arrays of rows, say); each is sent to one worker.
    backend : {"processes", "dask", "serial"}
        ``"processes"``: joblib's loky worker processes on this machine (the pool is reused between
        calls, so only the first call pays for starting the workers). ``"dask"``: a Dask cluster.
        ``"serial"``: in this process, one chunk after another.
    scheduler : dask.distributed.Client or str, optional
        For ``backend="dask"``: a client, or a scheduler address such as ``"tcp://host:8786"``.
        None starts a local cluster of ``workers`` single-threaded processes for this call.
    workers : int, optional
        Processes to use; default: every available core (see :func:`available_workers`).
    args : tuple
        Further arguments, the same for every chunk (a model, say). Dask sends them to each worker
        once; joblib sends them with each chunk, so keep the number of chunks small.
    progress : callable, optional
        Called as ``progress(done, total)`` after each chunk finishes.

    Returns
    -------
    list
        One result per chunk, in the order of ``chunks``.

    Examples
    --------
    >>> map_chunks(sum, [[1, 2], [3, 4, 5]], backend="serial")
    [3, 12]
    """
    chunks = list(chunks)
    if backend not in BACKENDS:
        raise InvalidInputError(f"backend must be one of {list(BACKENDS)}; got {backend!r}.")
    if workers is not None and int(workers) < 1:
        raise InvalidInputError(f"workers must be a positive number of processes; got {workers!r}.")
    total = len(chunks)
    if backend == "serial" or total == 0:
        results = []
        for chunk in chunks:
            results.append(function(chunk, *args))
            _tick(progress, len(results), total)
        return results
    if backend == "dask":
        return _map_dask(function, chunks, scheduler=scheduler, workers=workers, args=args, progress=progress)
    return _map_processes(function, chunks, workers=workers, args=args, progress=progress)


def _tick(progress, done, total):
    if progress is not None:
        progress(done, total)


def _map_processes(function, chunks, *, workers, args, progress):
    from joblib import Parallel, delayed

    n_jobs = min(workers or available_workers(), len(chunks))
    if n_jobs == 1:
        return map_chunks(function, chunks, backend="serial", args=args, progress=progress)
    results = []
    # return_as="generator" yields results in submission order as they complete, so progress moves.
    runner = Parallel(n_jobs=n_jobs, backend="loky", return_as="generator")
    for result in runner(delayed(function)(chunk, *args) for chunk in chunks):
        results.append(result)
        _tick(progress, len(results), len(chunks))
    return results


def _map_dask(function, chunks, *, scheduler, workers, args, progress):
    distributed = require("dask.distributed", extra="dist", purpose="Running chunks on a Dask cluster")
    own_client = None
    client = scheduler
    if scheduler is None:
        cluster = distributed.LocalCluster(n_workers=workers or available_workers(), threads_per_worker=1,
                                           processes=True, dashboard_address=None)
        client = own_client = distributed.Client(cluster)
    elif isinstance(scheduler, str):
        client = own_client = distributed.Client(scheduler)
    try:
        shared = [client.scatter(value, broadcast=True) for value in args]
        futures = [client.submit(function, chunk, *shared, pure=False) for chunk in chunks]
        order = {future.key: index for index, future in enumerate(futures)}
        results = [None] * len(futures)
        for done, future in enumerate(distributed.as_completed(futures), start=1):
            results[order[future.key]] = future.result()
            _tick(progress, done, len(futures))
        return results
    finally:
        if own_client is not None:
            cluster = getattr(own_client, "cluster", None)
            own_client.close()
            if scheduler is None and cluster is not None:
                cluster.close()
