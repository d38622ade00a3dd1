"""Chunked work over local processes (joblib's loky) or a Dask cluster.

This module is the one place that starts local worker processes or connects to a Dask scheduler.

One function, :func:`map_chunks`, applies a picklable function to chunks of work and returns the
results in chunk order. The same chunk function runs unchanged in-process, in loky worker processes
or on Dask workers, so a caller with a ``dask.distributed.Client`` can pass it as ``scheduler``.
:func:`split_rows` cuts a row range into chunks. :func:`chunking` opens one Dask client (or local
cluster) for a whole audit, so its steps share it instead of starting one each;
:func:`predict_chunked` runs a model's predictions over row chunks. :func:`open_pool` runs whole
tasks (a batch's audits) one at a time per worker, as they finish.

Threads would not help the work this is for: shap's Tree SHAP extension holds the GIL.
"""

from __future__ import annotations

import logging
import os
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from xai_audit._optional import require
from xai_audit.exceptions import InvalidInputError

BACKENDS = ("serial", "processes", "dask")
# How long to wait for a Dask scheduler: a wrong address fails in seconds instead of hanging.
CONNECT_TIMEOUT_S = 10


@dataclass(frozen=True)
class Chunking:
    """Where an audit's chunked work runs: ``backend`` (None: each step's own default, in this
    process), ``workers`` (processes) and ``client`` (an open ``dask.distributed.Client`` for
    ``backend="dask"``)."""

    backend: str | None = None
    workers: int | None = None
    client: object = None

    @property
    def parallel(self) -> bool:
        """Whether work is sent to other processes (local or on a cluster)."""
        return self.backend in ("processes", "dask")

    @property
    def n_workers(self) -> int:
        """How many processes the work is spread over (the cluster's workers for Dask)."""
        if self.client is not None:
            return max(1, len(self.client.scheduler_info().get("workers", {})) or (self.workers or 1))
        return self.workers or available_workers()


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


def map_in_threads(function, items, *, threads: int | None = None, ahead: int = 2):
    """``function(item)`` for each item, yielded in the items' order, computed on up to ``threads``
    threads of this process (every core by default).

    For numpy work that releases the GIL, such as a bootstrap's chunks of resamples: the caller makes
    the items in order (a seeded stream stays the same) while the threads work on the ones before.
    At most ``threads * ahead`` items are taken ahead of the results, so memory stays bounded.

    Examples
    --------
    >>> list(map_in_threads(lambda x: x * x, range(5), threads=2))
    [0, 1, 4, 9, 16]
    """
    threads = available_workers() if threads is None else max(1, threads)
    if threads == 1:
        yield from map(function, items)
        return
    from collections import deque
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(threads) as pool:
        pending: deque = deque()
        for item in items:
            pending.append(pool.submit(function, item))
            if len(pending) >= threads * ahead:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


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


@contextmanager
def chunking(backend: str | None = None, *, workers: int | None = None, scheduler=None, timeout_s=None):
    """Open what ``backend`` needs for a whole audit and yield a :class:`Chunking`; close what was opened.

    Parameters
    ----------
    backend : {None, "serial", "processes", "dask"}
        None: ``"dask"`` when a scheduler is given, ``"processes"`` when ``workers`` is, else nothing
        changes (each step runs as it does by default, in this process).
    workers : int, optional
        Local processes (``"processes"``, or the size of the local Dask cluster started without a
        scheduler).
    scheduler : dask.distributed.Client or str, optional
        A client (used, left open) or an address ``"tcp://HOST:PORT"`` (connected, closed at the end).
    timeout_s : float, optional
        How long to wait for the scheduler at ``scheduler``; default :data:`CONNECT_TIMEOUT_S`.

    Examples
    --------
    >>> with chunking(workers=2) as how:
    ...     how.backend, how.workers
    ('processes', 2)
    >>> with chunking() as how:
    ...     how.backend is None
    True
    """
    if workers is not None and (not isinstance(workers, (int, np.integer)) or int(workers) < 1):
        raise InvalidInputError(f"workers must be a positive number of processes; got {workers!r}.")
    if backend is None:
        backend = "dask" if scheduler is not None else ("processes" if workers is not None else None)
    if backend is not None and backend not in BACKENDS:
        raise InvalidInputError(f"backend must be one of {list(BACKENDS)} (or None); got {backend!r}.")
    if scheduler is not None and backend != "dask":
        raise InvalidInputError(f"A scheduler runs the work on Dask; backend={backend!r} does not use it. "
                                "Leave backend unset (or 'dask') with a scheduler.")
    if backend != "dask":
        yield Chunking(backend, None if workers is None else int(workers), None)
        return
    client, close = open_client(scheduler, workers=workers, timeout_s=timeout_s)
    try:
        yield Chunking("dask", None if workers is None else int(workers), client)
    finally:
        close()


def open_client(scheduler=None, *, workers: int | None = None, timeout_s=None):
    """A Dask client and a function that closes what this call opened.

    ``scheduler``: a ``Client`` (returned as is; closing it is left to its owner), an address string
    (connected within ``timeout_s``, default :data:`CONNECT_TIMEOUT_S`; a clear :class:`InvalidInputError`
    when nothing answers there), or
    None (a LocalCluster of ``workers`` single-threaded processes on 127.0.0.1).
    """
    distributed = require("dask.distributed", extra="dist", purpose="Running chunks on a Dask cluster")
    if scheduler is not None and not isinstance(scheduler, str):
        return scheduler, lambda: None
    if scheduler is None:
        cluster = distributed.LocalCluster(n_workers=workers or available_workers(), threads_per_worker=1,
                                           processes=True, host="127.0.0.1", dashboard_address=None,
                                           silence_logs=logging.ERROR)
        client = distributed.Client(cluster)

        def close():
            client.close()
            cluster.close()

        return client, close
    timeout_s = CONNECT_TIMEOUT_S if timeout_s is None else timeout_s
    if "://" not in scheduler:
        raise InvalidInputError(f"The scheduler address {scheduler!r} has no protocol; write it as tcp://HOST:PORT.")
    try:
        client = distributed.Client(scheduler, timeout=f"{timeout_s}s")
    except (OSError, TimeoutError, ValueError) as error:
        raise InvalidInputError(
            f"Could not connect to the Dask scheduler at {scheduler!r} within {timeout_s:g} s ({error}). Check the "
            "address (tcp://HOST:PORT) and that the scheduler is running, or leave --scheduler out to run here."
        ) from error
    return client, client.close


def predict_chunked(adapter, X, how: Chunking, *, source=None, columns=None, dtypes=None):
    """The model's predictions and probabilities (None without ``predict_proba``), computed in row chunks
    on ``how``'s workers; the same arrays as ``adapter.predict(X)`` / ``adapter.predict_proba(X)``.

    With ``source`` (a :class:`xai_audit.data.ParquetSource` holding exactly ``X``'s rows in order),
    each worker reads its own row groups of ``columns`` (cast to ``dtypes``) from the file, so the
    rows are not sent from here; otherwise the chunks of ``X`` are sent. The model goes to each
    worker once (Dask) or with each chunk (local processes).
    """
    n_chunks = max(1, 2 * how.n_workers)
    if source is not None:
        chunks = [("parquet", source, groups, list(columns), dtypes) for groups in source.chunks(n_chunks)]
    else:
        chunks = [("rows", X.iloc[piece] if hasattr(X, "iloc") else X[piece], None, None, None)
                  for piece in split_rows(len(X), n_chunks=n_chunks)]
    mapped = map_chunks(_predict_chunk, chunks, backend=how.backend, scheduler=how.client, workers=how.workers,
                        args=(adapter,))
    y_pred = np.concatenate([labels for labels, _ in mapped])
    proba = None if mapped[0][1] is None else np.concatenate([p for _, p in mapped])
    return y_pred, proba


def _predict_chunk(chunk, adapter):
    """One chunk's ``(predictions, probabilities or None)``, on a worker."""
    kind, source, groups, columns, dtypes = chunk
    X = source.read(groups, columns=columns, dtypes=dtypes) if kind == "parquet" else source
    return adapter.predict(X), (adapter.predict_proba(X) if adapter.has_proba else None)


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
    client, close = open_client(scheduler, workers=workers)
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
        close()


# -- pools of whole tasks (a batch's audits) ------------------------------------------------------------


class WorkerLost(Exception):
    """A task's worker stopped before returning (killed, out of memory, a lost Dask task)."""

    def __init__(self, reason: str, error: BaseException):
        super().__init__(f"{reason}: {type(error).__name__}: {error}")
        self.reason, self.error = reason, error


def open_pool(function, *, workers: int = 1, scheduler: str | None = None, dask: bool = False):
    """A pool that runs ``function(item)`` for submitted items: in this process (``workers=1``), in
    ``workers`` fresh local processes, or on Dask (``scheduler`` address, or a local cluster with ``dask``).

    Every pool has ``capacity`` (tasks it runs at once), ``submit(item)`` (a future),
    ``wait_any(futures)`` (those done, at least one), ``result(future)`` (the value; :class:`WorkerLost`
    when the worker died), ``describe()`` / ``describe_dict()`` and ``close(wait=True)``.

    Examples
    --------
    >>> pool = open_pool(abs, workers=1)
    >>> future = pool.submit(-3)
    >>> pool.result(pool.wait_any([future])[0]), pool.describe()
    (3, 'this process')
    >>> pool.close()
    """
    if workers < 1:
        raise InvalidInputError(f"workers must be at least 1; got {workers}.")
    if scheduler is not None or dask:
        return _DaskPool(function, scheduler=scheduler, workers=workers)
    return _InlinePool(function) if workers == 1 else _ProcessPool(function, workers)


class _InlinePool:
    """Tasks one after the other in this process."""

    capacity = 1

    def __init__(self, function):
        self.function = function

    def submit(self, item):
        return _Finished(self.function(item))

    def wait_any(self, futures):
        return list(futures)

    def result(self, future):
        return future.value

    def describe(self) -> str:
        return "this process"

    def describe_dict(self) -> dict:
        return {"kind": "inline", "workers": 1}

    def close(self, wait: bool = True):
        pass


class _Finished:
    """The 'future' of a task run inline: already done."""

    def __init__(self, value):
        self.value = value


class _ProcessPool:
    """Fresh (spawned) interpreters, each limited to its share of the cores; restarted if one dies."""

    def __init__(self, function, workers: int):
        self.function = function
        self.capacity = workers
        self.executor = self._executor()

    def _executor(self):
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        threads = max(1, (os.cpu_count() or 1) // self.capacity)
        return ProcessPoolExecutor(self.capacity, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_limit_threads, initargs=(threads,))

    def submit(self, item):
        return self.executor.submit(self.function, item)

    def wait_any(self, futures):
        from concurrent.futures import FIRST_COMPLETED, wait

        return list(wait(futures, return_when=FIRST_COMPLETED).done)

    def result(self, future):
        try:
            return future.result()
        except Exception as error:  # the worker process died (killed, out of memory): a broken pool
            self._restart_if_broken()
            raise WorkerLost("the worker process running it stopped abruptly (killed, or out of memory?)",
                             error) from error

    def _restart_if_broken(self):
        from concurrent.futures.process import BrokenProcessPool

        try:
            self.executor.submit(int).result()
        except BrokenProcessPool:
            self.executor.shutdown(wait=False, cancel_futures=True)
            self.executor = self._executor()

    def describe(self) -> str:
        return f"{self.capacity} worker process{'es' if self.capacity > 1 else ''}"

    def describe_dict(self) -> dict:
        return {"kind": "processes", "workers": self.capacity}

    def close(self, wait: bool = True):
        self.executor.shutdown(wait=wait, cancel_futures=True)


class _DaskPool:
    """Tasks on a Dask cluster: an existing one by address, or a LocalCluster (through :func:`open_client`)."""

    def __init__(self, function, *, scheduler: str | None, workers: int):
        self.function = function
        self.distributed = require("dask.distributed", extra="dist", purpose="Running a batch on a Dask cluster")
        self.scheduler = scheduler
        self.client, self._close = open_client(scheduler, workers=workers)
        self.local_cluster = scheduler is None
        self.capacity = max(1, sum(self.client.nthreads().values()))

    def submit(self, item):
        name = getattr(item, "name", None) or "task"
        return self.client.submit(self.function, item, pure=False, key=f"xai-audit-{name}-{os.urandom(4).hex()}")

    def wait_any(self, futures):
        return list(self.distributed.wait(futures, return_when="FIRST_COMPLETED").done)

    def result(self, future):
        try:
            return future.result()
        except Exception as error:  # a worker died repeatedly (KilledWorker), or the task was lost
            raise WorkerLost("the Dask task did not finish", error) from error

    def describe(self) -> str:
        where = self.scheduler or "a local Dask cluster"
        return f"{where} ({self.capacity} worker thread{'s' if self.capacity > 1 else ''})"

    def describe_dict(self) -> dict:
        return {"kind": "dask", "scheduler": self.scheduler or self.client.scheduler.address,
                "local_cluster": self.local_cluster, "worker_threads": self.capacity}

    def close(self, wait: bool = True):
        self._close()  # releases the futures: the scheduler forgets their tasks


def _limit_threads(threads: int) -> None:
    """Keep N worker processes from each starting a thread per core (BLAS, OpenMP)."""
    global _THREAD_LIMITS
    from threadpoolctl import threadpool_limits

    _THREAD_LIMITS = threadpool_limits(limits=threads)


_THREAD_LIMITS = None
