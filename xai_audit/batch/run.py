"""Running a batch: skip unchanged entries, audit the rest (through :mod:`xai_audit.parallel`), write outputs.

Each entry is an :class:`~xai_audit.spec.AuditSpec`, audited by the same code as ``xai-audit run``. An entry
that fails (a missing file, an untrusted model, bad data, an unexpected exception) is recorded with its
message; the others finish. The batch's exit code is the worst over its entries.
"""

from __future__ import annotations

import json
import os
import socket
import time
import traceback
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

from xai_audit._io import write_atomic
from xai_audit.batch.cache import read_cache, reusable, write_cache
from xai_audit.batch.config import BatchPlan
from xai_audit.batch.outputs import INDEX_FILE, SUMMARY_FILE, BatchReport, first_line, render_index
from xai_audit.exceptions import InvalidInputError, XaiAuditError


def run_entry(spec) -> dict:
    """Audit one entry and write its reports; never raises: an error is returned in the record.

    Returns
    -------
    dict
        ``name``, ``status`` (``pass``/``warn``/``fail``/``error``), ``error``, ``error_type``,
        ``traceback`` (for unexpected exceptions only), ``paths`` (absolute, by format), ``findings``
        (count by status), ``duration_s``, ``started_at``, ``finished_at``, ``worker``.

    Examples
    --------
    >>> from xai_audit.spec import AuditSpec
    >>> record = run_entry(AuditSpec(name="a", data=Path("/nowhere/d.csv"), out=Path("/tmp"), predictions="p"))
    >>> record["status"], record["error_type"], record["error"]
    ('error', 'InvalidInputError', "The data file '/nowhere/d.csv' does not exist; check the path.")
    """
    start = time.perf_counter()
    record = {"name": spec.name, "status": "error", "error": None, "error_type": None, "traceback": None,
              "paths": {}, "findings": {}, "started_at": now(), "worker": f"{socket.gethostname()}:{os.getpid()}"}
    try:
        result = spec.validate().run()
        paths = spec.write(result)
        record["status"] = result.status
        record["paths"] = {fmt: str(path) for fmt, path in paths.items()}
        record["findings"] = {s: sum(f.status == s for f in result.findings) for s in ("fail", "warn", "pass", "info")}
    except XaiAuditError as error:
        record["error"], record["error_type"] = str(error), type(error).__name__
    except Exception as error:  # an unexpected failure stays this entry's; the batch goes on
        record["error"] = f"unexpected error ({type(error).__name__}): {error}"
        record["error_type"] = type(error).__name__
        record["traceback"] = traceback.format_exc()
    record["duration_s"] = round(time.perf_counter() - start, 3)
    record["finished_at"] = now()
    return record


def run_batch(plan: BatchPlan, *, workers: int | None = None, scheduler: str | None = None, dask: bool = False,
              force: bool = False, echo: Callable[[str], None] = print) -> BatchReport:
    """Run a batch: skip unchanged entries, audit the rest in parallel, write summary, index and cache.

    Parameters
    ----------
    plan : BatchPlan
        From :func:`~xai_audit.batch.load_batch`.
    workers : int, optional
        Parallel processes (or LocalCluster workers with ``dask=True``); default ``min(2, entries)``.
        ``1`` audits in this process, one entry after the other.
    scheduler : str, optional
        Address of an existing Dask scheduler (``tcp://host:8786``); entries run on its workers, which
        must see the same paths and have xai-audit installed.
    dask : bool
        Without ``scheduler``: start a LocalCluster of ``workers`` processes for the batch.
    force : bool
        Re-run every entry, even those whose inputs and configuration have not changed.
    echo : callable
        Receives one progress line per event (an entry starting, finishing, skipped).

    Returns
    -------
    BatchReport

    Examples
    --------
    >>> import tempfile, os
    >>> from xai_audit.batch import load_batch
    >>> folder = tempfile.mkdtemp()
    >>> with open(os.path.join(folder, "audits.toml"), "w") as f:
    ...     _ = f.write('[[audit]]\\nname = "nothing"\\npredictions = "p"\\ndata = "missing.csv"\\n')
    >>> report = run_batch(load_batch(os.path.join(folder, "audits.toml")), echo=lambda line: None)
    >>> report.exit_code, report.records[0]["status"], report.records[0]["error"].startswith("The data file")
    (2, 'error', True)
    """
    from xai_audit.parallel import open_pool

    if workers is not None and workers < 1:
        raise InvalidInputError(f"--workers must be at least 1; got {workers}.")
    started = time.perf_counter()
    entries = plan.entries
    total = len(entries)
    cache = read_cache(plan.out)
    hashes = {spec.name: spec.input_hashes() for spec in entries}
    keys = {spec.name: spec.key(hashes[spec.name]) for spec in entries}
    records, pending = {}, []
    for position, spec in enumerate(entries, start=1):
        previous = cache.get(spec.name)
        if not force and reusable(previous, keys[spec.name], plan.out):
            records[spec.name] = {**previous, "skipped": True}
            echo(f"[{position}/{total}] skip   {spec.name}  {previous['status']}  "
                 f"(unchanged since {previous['finished_at']}; --force re-runs it)")
        else:
            pending.append((position, spec))
    workers = workers or min(2, max(len(pending), 1))
    pool = open_pool(run_entry, workers=workers, scheduler=scheduler, dask=dask) if pending else open_pool(run_entry)
    echo(f"batch: {total} entries, {total - len(pending)} unchanged; running {len(pending)} on {pool.describe()}")
    backend = pool.describe_dict()
    try:
        for position, spec, outcome in _dispatch(pool, pending, echo=echo, total=total):
            record = _summary_record(outcome, plan.out, keys[spec.name], hashes[spec.name])
            records[spec.name] = cache[spec.name] = record
            write_cache(plan.out, cache)
            timing = f"{record['duration_s']:.1f} s"
            if record["status"] == "error":
                echo(f"[{position}/{total}] error  {spec.name}  {timing}  {first_line(record['error'])}")
            else:
                echo(f"[{position}/{total}] done   {spec.name}  {record['status']}  {timing}")
    except BaseException:  # interrupted: entries that finished are in the cache; do not wait for the rest
        pool.close(wait=False)
        raise
    pool.close()
    report = BatchReport(plan=plan, records=tuple(records[e.name] for e in entries), backend=backend,
                         duration_s=time.perf_counter() - started, created_at=now())
    write_atomic(plan.out / SUMMARY_FILE, json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n")
    write_atomic(plan.out / INDEX_FILE, render_index(report))
    counts = report.counts()
    echo(f"batch: {counts['pass']} pass, {counts['warn']} warn, {counts['fail']} fail, {counts['error']} error "
         f"({counts['skipped']} skipped as unchanged) in {report.duration_s:.1f} s; "
         f"index: {plan.out / INDEX_FILE}")
    return report


def _dispatch(pool, pending, *, echo, total):
    """Yield (position, spec, outcome) as entries finish, keeping at most ``pool.capacity`` in flight,
    so that an entry reported as started is running, not queued."""
    from xai_audit.parallel import WorkerLost

    queue = list(pending)
    in_flight = {}
    while queue or in_flight:
        while queue and len(in_flight) < pool.capacity:
            position, spec = queue.pop(0)
            echo(f"[{position}/{total}] start  {spec.name}")
            in_flight[pool.submit(spec)] = (position, spec)
        for future in pool.wait_any(list(in_flight)):
            position, spec = in_flight.pop(future)
            try:
                outcome = pool.result(future)
            except WorkerLost as lost:
                outcome = _lost(spec, lost)
            yield position, spec, outcome


def _summary_record(outcome: dict, out: Path, key: str, hashes: dict) -> dict:
    record = dict(outcome)
    record["paths"] = {fmt: os.path.relpath(path, out) for fmt, path in outcome["paths"].items()}
    record.update(skipped=False, cache_key=key, inputs=hashes)
    return record


def _lost(spec, lost) -> dict:
    return {"name": spec.name, "status": "error", "error": str(lost), "error_type": type(lost.error).__name__,
            "traceback": None, "paths": {}, "findings": {}, "started_at": None, "finished_at": now(),
            "worker": None, "duration_s": 0.0}


def now() -> str:
    """The current UTC time, to the second, in ISO 8601."""
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()
