"""Batch audits: many ``[[audit]]`` entries of one TOML file, in parallel processes or on a Dask cluster.

A batch file holds ``[defaults]`` and any number of ``[[audit]]`` tables (see ``examples/audits.toml``).
Paths in it are relative to the file. Each entry is audited by the same code as ``xai-audit run``
(:func:`xai_audit.commands.common.audit_and_write`) and writes its report as HTML, JSON and Markdown.
The batch then writes, in its output folder:

- ``summary.json``: per entry its status (or error), report paths, input hashes, cache key and duration;
- ``index.html``: a page linking every report with its verdict;
- ``.xai-audit-cache.json``: the cache keys of the entries that finished, updated after each one, so
  that a re-run (even after an interrupted one) skips entries whose model, data, policy and
  configuration have not changed.

An entry that fails (a missing file, an untrusted model, bad data, an unexpected exception) is recorded
with its message; the others finish. The batch's exit code is the worst over its entries.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import socket
import time
import traceback
import urllib.parse
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from xai_audit._io import write_atomic
from xai_audit._toml import read_toml
from xai_audit._version import __version__
from xai_audit.exceptions import InvalidInputError, XaiAuditError
from xai_audit.gate import SuiteSpec, worst_exit_code, worst_status
from xai_audit.model_card import MODEL_CARD_KEYS

SUMMARY_FILE = "summary.json"
INDEX_FILE = "index.html"
CACHE_FILE = ".xai-audit-cache.json"
CACHE_VERSION = 1
FORMATS = ("html", "json", "md")
ENTRY_KEYS = frozenset({
    "name", "model", "data", "target", "positive_label", "sensitive", "bins", "predictions", "scores",
    "features", "policy", "out", "seed", "trusted_types", "trust_pickle", "formats", "model_card",
})
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
KIND_NAMES = {str: "string", int: "whole number", bool: "boolean (true or false)", dict: "table"}
DASK_CONNECT_TIMEOUT = "10s"


@dataclass(frozen=True)
class BatchEntry:
    """One ``[[audit]]`` of a batch file, with its defaults applied and its paths made absolute."""

    name: str
    data: Path
    out: Path
    model: Path | None = None
    target: str | None = None
    positive_label: object = None
    sensitive: tuple[str, ...] = ()
    bins: dict = field(default_factory=dict)
    predictions: str | None = None
    scores: str | None = None
    features: tuple[str, ...] | None = None
    policy: str = "default"
    seed: int = 0
    trusted_types: tuple[str, ...] = ()
    trust_pickle: bool = False
    formats: tuple[str, ...] = FORMATS
    model_card: dict = field(default_factory=dict)

    def config(self) -> dict:
        """The entry as plain data (part of its cache key)."""
        record = asdict(self)
        for key in ("data", "out", "model"):
            record[key] = None if record[key] is None else str(record[key])
        return record


@dataclass(frozen=True)
class BatchPlan:
    """A parsed batch file: where it came from, where its outputs go, and its entries in file order."""

    source: Path
    out: Path
    entries: tuple[BatchEntry, ...]


@dataclass(frozen=True)
class BatchReport:
    """What a batch run did: one record per entry (as in ``summary.json``) and where it wrote."""

    plan: BatchPlan
    records: tuple[dict, ...]
    backend: dict
    duration_s: float
    created_at: str

    @property
    def status(self) -> str:
        """The worst entry status: ``pass``, ``warn``, ``fail`` or ``error``."""
        return worst_status(r["status"] for r in self.records)

    @property
    def exit_code(self) -> int:
        """2 if any entry errored, else 1 if any failed, else 0."""
        return worst_exit_code(r["status"] for r in self.records)

    def counts(self) -> dict:
        counts = {status: 0 for status in ("pass", "warn", "fail", "error")}
        for record in self.records:
            counts[record["status"]] += 1
        counts["skipped"] = sum(r["skipped"] for r in self.records)
        return counts

    def to_dict(self) -> dict:
        """The ``summary.json`` document."""
        return {
            "summary_version": 1, "tool_version": __version__, "batch_file": str(self.plan.source),
            "out": str(self.plan.out), "created_at": self.created_at, "backend": self.backend,
            "status": self.status, "exit_code": self.exit_code, "counts": self.counts(),
            "duration_s": round(self.duration_s, 3), "entries": list(self.records),
        }


# -- reading the batch file ---------------------------------------------------------------------------


def load_batch(path, *, out=None) -> BatchPlan:
    """Read and check a batch file; every problem in it is reported at once, before anything runs.

    Parameters
    ----------
    path : str or Path
        The TOML batch file.
    out : str or Path, optional
        The output folder (``--out``); default: ``out`` in ``[defaults]`` (relative to the batch file),
        else ``reports/`` next to the batch file.

    Returns
    -------
    BatchPlan

    Examples
    --------
    >>> import tempfile, os
    >>> folder = tempfile.mkdtemp()
    >>> with open(os.path.join(folder, "audits.toml"), "w") as f:
    ...     _ = f.write('[defaults]\\ntarget = "y"\\n[[audit]]\\nmodel = "m.skops"\\ndata = "d.csv"\\n')
    >>> plan = load_batch(os.path.join(folder, "audits.toml"))
    >>> [(e.name, e.target, e.model.name) for e in plan.entries], plan.out.name
    ([('m', 'y', 'm.skops')], 'reports')
    """
    source = Path(path).resolve()
    raw = read_toml(source)
    base = source.parent
    problems = [f"unknown top-level key '{key}' (use [defaults] and [[audit]])" for key in raw
                if key not in ("defaults", "audit")]
    defaults = raw.get("defaults", {})
    audits = raw.get("audit", [])
    if not isinstance(defaults, dict):
        problems.append("[defaults] must be a table")
        defaults = {}
    if not isinstance(audits, list) or not audits:
        problems.append("there is no [[audit]] entry")
        audits = []
    if not isinstance(defaults.get("out", ""), str):
        problems.append(f"[defaults] out must be a folder path (a string); got {defaults['out']!r}")
        defaults = {k: v for k, v in defaults.items() if k != "out"}
    folder = Path(out).resolve() if out is not None else _under(base, defaults.get("out", "reports"))
    entries = []
    for position, table in enumerate(audits, start=1):
        entry, entry_problems = _entry(table, defaults, base=base, out=folder, position=position)
        problems += entry_problems
        if entry is not None:
            entries.append(entry)
    seen = set()
    for entry in entries:
        if entry.name in seen:
            problems.append(f"two entries are named '{entry.name}'; give each a unique name = \"...\"")
        seen.add(entry.name)
    if problems:
        listed = "; ".join(problems)
        raise InvalidInputError(f"The batch file '{source}' has {len(problems)} problem(s): {listed}.")
    return BatchPlan(source=source, out=folder, entries=tuple(entries))


def _entry(table, defaults: dict, *, base: Path, out: Path, position: int):
    where = f"[[audit]] #{position}"
    if not isinstance(table, dict):
        return None, [f"{where} must be a table"]
    merged = {**{k: v for k, v in defaults.items() if k != "out"}, **table}
    cards = [defaults.get("model_card", {}), table.get("model_card", {})]
    if not all(isinstance(card, dict) for card in cards):
        return None, [f"{where}: model_card must be a table ([audit.model_card] or [defaults.model_card])"]
    merged["model_card"] = {**cards[0], **cards[1]}
    problems = [f"{where} has unknown key '{key}' (allowed: {', '.join(sorted(ENTRY_KEYS))})"
                for key in sorted(set(merged) - ENTRY_KEYS)]
    problems += [f"{where} has unknown model_card key '{key}' (allowed: {', '.join(sorted(MODEL_CARD_KEYS))})"
                 for key in sorted(set(merged["model_card"]) - set(MODEL_CARD_KEYS))]
    if "data" not in merged:
        problems.append(f"{where} needs data = \"FILE\"")
    if "model" not in merged and "predictions" not in merged:
        problems.append(f"{where} needs model = \"FILE\", or predictions = \"COLUMN\" for a predictions-only audit")
    checks = {"name": str, "model": str, "data": str, "target": str, "predictions": str, "scores": str,
              "policy": str, "out": str, "seed": int, "trust_pickle": bool, "bins": dict, "model_card": dict}
    for key, kind in checks.items():
        if key in merged and not (isinstance(merged[key], kind) and not (kind is int and isinstance(merged[key], bool))):
            problems.append(f"{where}: {key} must be a {KIND_NAMES[kind]}; got {merged[key]!r}")
    lists = {key: _names(merged.get(key)) for key in ("sensitive", "features", "trusted_types", "formats")}
    problems += [f"{where}: {key} must be a list of strings or a comma-separated string; got {merged[key]!r}"
                 for key, value in lists.items() if value is None]
    unknown_formats = sorted(set(lists["formats"] or ()) - {*FORMATS, "pdf"})
    if unknown_formats:
        problems.append(f"{where}: formats {unknown_formats} are unknown; choose from {[*FORMATS, 'pdf']}")
    bins = merged.get("bins", {})
    if isinstance(bins, dict):
        for column, edges in bins.items():
            if not (isinstance(edges, list) and edges and all(isinstance(e, (int, float)) for e in edges)):
                problems.append(f"{where}: bins.{column} must be a list of numbers; got {edges!r}")
    name = merged.get("name") or Path(str(merged.get("model") or merged.get("data", "audit"))).stem
    if isinstance(name, str) and not NAME_PATTERN.fullmatch(name):
        problems.append(f"{where}: the name {name!r} must be letters, digits, '.', '_' or '-' (it names the report files)")
    if problems:
        return None, problems
    for key in ("target", "positive_label", "predictions", "scores"):
        if merged.get(key) == "":  # TOML has no null: "" clears a default
            merged[key] = None
    policy = merged.get("policy", "default")
    if policy.endswith(".toml") or (base / policy).is_file():
        policy = str(_under(base, policy))
    formats = tuple(dict.fromkeys([*(lists["formats"] or FORMATS), "json"]))
    return BatchEntry(
        name=name, data=_under(base, merged["data"]), out=_under(base, merged["out"]) if "out" in merged else out,
        model=_under(base, merged["model"]) if "model" in merged else None, target=merged.get("target"),
        positive_label=merged.get("positive_label"), sensitive=tuple(lists["sensitive"] or ()),
        bins={column: [float(e) for e in edges] for column, edges in bins.items()},
        predictions=merged.get("predictions"), scores=merged.get("scores"),
        features=tuple(lists["features"]) if lists["features"] else None, policy=policy,
        seed=merged.get("seed", 0), trusted_types=tuple(lists["trusted_types"] or ()),
        trust_pickle=merged.get("trust_pickle", False), formats=formats, model_card=merged["model_card"],
    ), []


def _under(base: Path, path: str) -> Path:
    """``path`` relative to the batch file's folder (absolute paths stay as they are), normalised."""
    return Path(os.path.normpath(base / path))


def _names(value):
    """A list of names from a list of strings or a comma-separated string; [] for None; None if neither."""
    if value is None:
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    return None


# -- cache keys ---------------------------------------------------------------------------------------


def input_hashes(entry: BatchEntry) -> dict:
    """SHA-256 of the entry's model file(s), data file and policy; ``None`` for a file that is missing.

    The policy's hash is taken over the policy as loaded (its ``extends`` chain resolved), so a change
    to a bundled policy between versions also re-runs the entry.

    Examples
    --------
    >>> import tempfile, os
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "d.csv").write_text("x,y\\n1,0\\n")
    >>> hashes = input_hashes(BatchEntry(name="d", data=folder / "d.csv", out=folder))
    >>> len(hashes["data"]["sha256"]), hashes["model"], hashes["policy"]["name"]
    (64, None, 'default')
    """
    from xai_audit.policy import load_policy

    hashes = {"model": None, "data": {"path": str(entry.data), "sha256": _file_hash(entry.data)}}
    if entry.model is not None:
        hashes["model"] = {"path": str(entry.model), "sha256": _file_hash(*_model_files(entry.model))}
    is_file = entry.policy.endswith(".toml") or Path(entry.policy).is_file()
    policy = {"path": entry.policy} if is_file else {"name": entry.policy}
    try:
        text = json.dumps(load_policy(entry.policy).to_dict(), sort_keys=True, default=str)
        policy["sha256"] = hashlib.sha256(text.encode()).hexdigest()
    except XaiAuditError:
        policy["sha256"] = _file_hash(Path(entry.policy)) if is_file else None
    hashes["policy"] = policy
    return hashes


def cache_key(entry: BatchEntry, hashes: dict) -> str:
    """SHA-256 over the tool version, the entry's configuration and its input hashes.

    Examples
    --------
    >>> first = BatchEntry(name="a", data=Path("d.csv"), out=Path("out"))
    >>> second = BatchEntry(name="a", data=Path("d.csv"), out=Path("out"), seed=1)
    >>> cache_key(first, {"data": None}) == cache_key(second, {"data": None})
    False
    """
    text = json.dumps({"tool_version": __version__, "config": entry.config(), "inputs": hashes},
                      sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _model_files(path: Path) -> list[Path]:
    """The model file, and for a ``.toml`` manifest the files it names."""
    files = [path]
    if path.suffix.lower() == ".toml" and path.is_file():
        try:
            section = read_toml(path).get("model", {})
        except XaiAuditError:
            return files
        files += [path.parent / section[key] for key in ("file", "preprocessor")
                  if isinstance(section, dict) and isinstance(section.get(key), str)]
    return files


def _file_hash(*paths: Path) -> str | None:
    from xai_audit.adapters.loading import sha256_of

    try:
        return sha256_of(*paths)
    except OSError:
        return None


# -- one entry (runs in a worker process or on a Dask worker) -----------------------------------------


def run_entry(entry: BatchEntry) -> dict:
    """Audit one entry and write its reports; never raises: an error is returned in the record.

    Returns
    -------
    dict
        ``name``, ``status`` (``pass``/``warn``/``fail``/``error``), ``error``, ``error_type``,
        ``traceback`` (for unexpected exceptions only), ``paths`` (absolute, by format), ``findings``
        (count by status), ``duration_s``, ``started_at``, ``finished_at``, ``worker``.

    Examples
    --------
    >>> record = run_entry(BatchEntry(name="a", data=Path("/nowhere/d.csv"), out=Path("/tmp"), predictions="p"))
    >>> record["status"], record["error_type"], record["error"]
    ('error', 'InvalidInputError', "The data file '/nowhere/d.csv' does not exist; check the path.")
    """
    started_at = _now()
    start = time.perf_counter()
    record = {"name": entry.name, "status": "error", "error": None, "error_type": None, "traceback": None,
              "paths": {}, "findings": {}, "started_at": started_at, "worker": f"{socket.gethostname()}:{os.getpid()}"}
    try:
        result, paths = _audit_entry(entry)
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
    record["finished_at"] = _now()
    return record


def _audit_entry(entry: BatchEntry):
    """Audit one entry through :func:`~xai_audit.commands.common.audit_and_write`; return (result, paths)."""
    from xai_audit.commands.common import audit_and_write

    trusted = True if entry.trust_pickle else (list(entry.trusted_types) or None)
    return audit_and_write(
        model=entry.model, data_path=entry.data, target=entry.target, positive_label=entry.positive_label,
        sensitive=list(entry.sensitive), bins=entry.bins or None,
        features=list(entry.features) if entry.features else None, predictions=entry.predictions,
        scores=entry.scores, policy=entry.policy, out=entry.out, name=entry.name, formats=list(entry.formats),
        seed=entry.seed, trusted=trusted, model_card=entry.model_card or None,
    )


# -- the batch --------------------------------------------------------------------------------------


def run_batch(plan: BatchPlan, *, workers: int | None = None, scheduler: str | None = None, dask: bool = False,
              force: bool = False, echo: Callable[[str], None] = print) -> BatchReport:
    """Run a batch: skip unchanged entries, audit the rest in parallel, write summary, index and cache.

    Parameters
    ----------
    plan : BatchPlan
        From :func:`load_batch`.
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
    >>> folder = tempfile.mkdtemp()
    >>> with open(os.path.join(folder, "audits.toml"), "w") as f:
    ...     _ = f.write('[[audit]]\\nname = "nothing"\\npredictions = "p"\\ndata = "missing.csv"\\n')
    >>> report = run_batch(load_batch(os.path.join(folder, "audits.toml")), echo=lambda line: None)
    >>> report.exit_code, report.records[0]["status"], report.records[0]["error"].startswith("The data file")
    (2, 'error', True)
    """
    if workers is not None and workers < 1:
        raise InvalidInputError(f"--workers must be at least 1; got {workers}.")
    started = time.perf_counter()
    entries = plan.entries
    total = len(entries)
    cache = _read_cache(plan.out)
    keys, hashes, records = {}, {}, {}
    for entry in entries:
        hashes[entry.name] = input_hashes(entry)
        keys[entry.name] = cache_key(entry, hashes[entry.name])
    pending = []
    for position, entry in enumerate(entries, start=1):
        previous = cache.get(entry.name)
        if not force and _reusable(previous, keys[entry.name], plan.out):
            records[entry.name] = {**previous, "skipped": True}
            echo(f"[{position}/{total}] skip   {entry.name}  {previous['status']}  "
                 f"(unchanged since {previous['finished_at']}; --force re-runs it)")
        else:
            pending.append((position, entry))
    workers = workers or min(2, max(len(pending), 1))
    pool = _make_pool(workers=workers, scheduler=scheduler, dask=dask) if pending else _InlinePool()
    echo(f"batch: {total} entries, {total - len(pending)} unchanged; running {len(pending)} on {pool.describe()}")
    backend = pool.describe_dict()
    try:
        for position, entry, outcome in _dispatch(pool, pending, echo=echo, total=total):
            record = _summary_record(outcome, entry, plan.out, keys[entry.name], hashes[entry.name])
            records[entry.name] = record
            cache[entry.name] = record
            _write_cache(plan.out, cache)
            timing = f"{record['duration_s']:.1f} s"
            if record["status"] == "error":
                echo(f"[{position}/{total}] error  {entry.name}  {timing}  {_first_line(record['error'])}")
            else:
                echo(f"[{position}/{total}] done   {entry.name}  {record['status']}  {timing}")
    except BaseException:  # interrupted: entries that finished are in the cache; do not wait for the rest
        pool.close(wait=False)
        raise
    pool.close()
    report = BatchReport(plan=plan, records=tuple(records[e.name] for e in entries), backend=backend,
                         duration_s=time.perf_counter() - started, created_at=_now())
    write_atomic(plan.out / SUMMARY_FILE, json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n")
    write_atomic(plan.out / INDEX_FILE, render_index(report))
    counts = report.counts()
    echo(f"batch: {counts['pass']} pass, {counts['warn']} warn, {counts['fail']} fail, {counts['error']} error "
         f"({counts['skipped']} skipped as unchanged) in {report.duration_s:.1f} s; "
         f"index: {plan.out / INDEX_FILE}")
    return report


def _dispatch(pool, pending, *, echo, total):
    """Yield (position, entry, outcome) as entries finish, keeping at most ``pool.capacity`` in flight,
    so that an entry reported as started is running, not queued."""
    queue = list(pending)
    in_flight = {}
    while queue or in_flight:
        while queue and len(in_flight) < pool.capacity:
            position, entry = queue.pop(0)
            echo(f"[{position}/{total}] start  {entry.name}")
            in_flight[pool.submit(entry)] = (position, entry)
        for future in pool.wait_any(list(in_flight)):
            position, entry = in_flight.pop(future)
            yield position, entry, pool.outcome(future, entry)


def _summary_record(outcome: dict, entry: BatchEntry, out: Path, key: str, hashes: dict) -> dict:
    record = dict(outcome)
    record["paths"] = {fmt: os.path.relpath(path, out) for fmt, path in outcome["paths"].items()}
    record.update(skipped=False, cache_key=key, inputs=hashes)
    return record


def _reusable(previous: dict | None, key: str, out: Path) -> bool:
    if not previous or previous.get("cache_key") != key or previous.get("status") == "error":
        return False
    return all((out / path).is_file() for path in previous.get("paths", {}).values())


def _read_cache(out: Path) -> dict:
    try:
        cache = json.loads((out / CACHE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(cache, dict) or cache.get("version") != CACHE_VERSION:
        return {}
    entries = cache.get("entries")
    return entries if isinstance(entries, dict) else {}


def _write_cache(out: Path, cache: dict) -> None:
    write_atomic(out / CACHE_FILE, json.dumps({"version": CACHE_VERSION, "entries": cache}, indent=1) + "\n")


def _now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def _first_line(text: str) -> str:
    return (text or "").strip().splitlines()[0] if (text or "").strip() else ""


# -- where entries run ---------------------------------------------------------------------------------


class _InlinePool:
    """Entries one after the other in this process (``--workers 1``)."""

    capacity = 1

    def submit(self, entry):
        return _Finished(run_entry(entry))

    def wait_any(self, futures):
        return futures

    def outcome(self, future, entry):
        return future.record

    def describe(self) -> str:
        return "this process"

    def describe_dict(self) -> dict:
        return {"kind": "inline", "workers": 1}

    def close(self, wait: bool = True):
        pass


class _Finished:
    """The 'future' of an entry audited inline: already done."""

    def __init__(self, record: dict):
        self.record = record


class _ProcessPool:
    """A ``ProcessPoolExecutor`` of fresh (spawned) interpreters, each limited to its share of the cores."""

    def __init__(self, workers: int):
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        self.capacity = workers
        threads = max(1, (os.cpu_count() or 1) // workers)
        self.executor = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                                            initializer=_limit_threads, initargs=(threads,))

    def submit(self, entry):
        return self.executor.submit(run_entry, entry)

    def wait_any(self, futures):
        from concurrent.futures import FIRST_COMPLETED, wait

        return wait(futures, return_when=FIRST_COMPLETED).done

    def outcome(self, future, entry):
        try:
            return future.result()
        except Exception as error:  # the worker process died (killed, out of memory): a broken pool
            self._restart_if_broken()
            return _lost(entry, error, "the worker process running it stopped abruptly (killed, or out of memory?)")

    def _restart_if_broken(self):
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor
        from concurrent.futures.process import BrokenProcessPool

        try:
            self.executor.submit(int).result()
        except BrokenProcessPool:
            self.executor.shutdown(wait=False, cancel_futures=True)
            threads = max(1, (os.cpu_count() or 1) // self.capacity)
            self.executor = ProcessPoolExecutor(self.capacity, mp_context=multiprocessing.get_context("spawn"),
                                                initializer=_limit_threads, initargs=(threads,))

    def describe(self) -> str:
        return f"{self.capacity} worker process{'es' if self.capacity > 1 else ''}"

    def describe_dict(self) -> dict:
        return {"kind": "processes", "workers": self.capacity}

    def close(self, wait: bool = True):
        self.executor.shutdown(wait=wait, cancel_futures=True)


class _DaskPool:
    """Entries as tasks on a Dask cluster: an existing one by address, or a LocalCluster for this batch."""

    def __init__(self, *, scheduler: str | None, workers: int):
        from xai_audit._optional import require

        distributed = require("dask.distributed", extra="dist", purpose="Running a batch on a Dask cluster")
        self.distributed = distributed
        self.scheduler = scheduler
        self.cluster = None
        if scheduler is None:
            self.cluster = distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                                    dashboard_address=None, silence_logs=logging.ERROR)
        try:
            self.client = distributed.Client(scheduler or self.cluster, timeout=DASK_CONNECT_TIMEOUT)
        except (OSError, TimeoutError) as error:
            raise InvalidInputError(
                f"Could not connect to the Dask scheduler at {scheduler!r}: {error}. Check the address "
                "(tcp://HOST:PORT) and that the scheduler is running."
            ) from error
        self.capacity = max(1, sum(self.client.nthreads().values()))

    def submit(self, entry):
        return self.client.submit(run_entry, entry, pure=False, key=f"xai-audit-{entry.name}-{os.urandom(4).hex()}")

    def wait_any(self, futures):
        return self.distributed.wait(futures, return_when="FIRST_COMPLETED").done

    def outcome(self, future, entry):
        try:
            return future.result()
        except Exception as error:  # a worker died repeatedly (KilledWorker), or the task was lost
            return _lost(entry, error, "the Dask task did not finish")

    def describe(self) -> str:
        where = self.scheduler or "a local Dask cluster"
        return f"{where} ({self.capacity} worker thread{'s' if self.capacity > 1 else ''})"

    def describe_dict(self) -> dict:
        return {"kind": "dask", "scheduler": self.scheduler or self.client.scheduler.address,
                "local_cluster": self.cluster is not None, "worker_threads": self.capacity}

    def close(self, wait: bool = True):
        self.client.close()  # releases this batch's futures: the scheduler forgets their tasks
        if self.cluster is not None:
            self.cluster.close()


def _make_pool(*, workers: int, scheduler: str | None, dask: bool):
    if scheduler is not None or dask:
        return _DaskPool(scheduler=scheduler, workers=workers)
    return _InlinePool() if workers == 1 else _ProcessPool(workers)


def _limit_threads(threads: int) -> None:
    """Keep N worker processes from each starting a thread per core (BLAS, OpenMP)."""
    global _THREAD_LIMITS
    from threadpoolctl import threadpool_limits

    _THREAD_LIMITS = threadpool_limits(limits=threads)


_THREAD_LIMITS = None


def _lost(entry: BatchEntry, error: BaseException, what: str) -> dict:
    now = _now()
    return {"name": entry.name, "status": "error", "error": f"{what}: {type(error).__name__}: {error}",
            "error_type": type(error).__name__, "traceback": None, "paths": {}, "findings": {},
            "started_at": None, "finished_at": now, "worker": None, "duration_s": 0.0}


# -- outputs of the batch -------------------------------------------------------------------------------


def render_index(report: BatchReport) -> str:
    """``index.html``: every entry with its verdict and links to its reports (jinja2, autoescape).

    The template is ``batch_index.html.j2`` in ``reports/templates`` (the package ``xai_audit.templates``),
    loaded by the report's own jinja2 environment (:func:`xai_audit.render.html.environment`).

    Examples
    --------
    >>> record = {"name": "<b>x</b>", "status": "error", "error": "no file", "skipped": False,
    ...           "duration_s": 0.1, "findings": {}, "paths": {}, "finished_at": "2026-01-01"}
    >>> page = render_index(BatchReport(BatchPlan(Path("a.toml"), Path("out"), ()), (record,), {}, 0.1, "2026-01-01"))
    >>> "&lt;b&gt;x&lt;/b&gt;" in page and "Not audited: no file" in page
    True
    """
    from xai_audit.render.html import environment

    rows = [{**record, "links": {fmt: urllib.parse.quote(path) for fmt, path in record["paths"].items()},
             "error_line": _first_line(record["error"])} for record in report.records]
    return environment().get_template("batch_index.html.j2").render(
        title=f"xai-audit batch: {report.plan.source.name}", batch_file=str(report.plan.source),
        created_at=report.created_at, status=report.status, counts=report.counts(), entries=rows,
        duration_s=report.duration_s, tool_version=__version__,
    )


def batch_markdown(report: BatchReport) -> str:
    """A pull-request comment for a batch: the overall verdict and a table of entries.

    Examples
    --------
    >>> plan = BatchPlan(Path("audits.toml"), Path("out"), ())
    >>> record = {"name": "credit", "status": "fail", "error": None, "skipped": False, "duration_s": 2.0,
    ...           "findings": {"fail": 1, "warn": 0}, "paths": {"html": "credit.html"}}
    >>> print(batch_markdown(BatchReport(plan, (record,), {}, 2.0, "2026-01-01")).splitlines()[4])
    | `credit` | ✗ fail | 1 | 0 | 2.0 s | credit.html |
    """
    symbols = {"pass": "✓ pass", "warn": "! warn", "fail": "✗ fail", "error": "⚠ error"}
    counts = report.counts()
    lines = [f"### xai-audit batch `{report.plan.source.name}`: **{report.status}** (exit code {report.exit_code})",
             "", "| Entry | Verdict | Failed | Warnings | Time | Report or error |", "|---|---|---:|---:|---:|---|"]
    for record in report.records:
        findings = record.get("findings") or {}
        detail = (_md_cell(_first_line(record["error"])) if record["status"] == "error"
                  else _md_cell(record["paths"].get("html") or record["paths"].get("json", "")))
        lines.append(f"| `{record['name']}` | {symbols[record['status']]}{' (unchanged)' if record['skipped'] else ''} "
                     f"| {findings.get('fail', '')} | {findings.get('warn', '')} | {record['duration_s']:.1f} s | {detail} |")
    lines += ["", f"{counts['pass']} pass, {counts['warn']} warn, {counts['fail']} fail, {counts['error']} error; "
                  f"{counts['skipped']} unchanged entries were not re-run."]
    return "\n".join(lines) + "\n"


def junit_suites(report: BatchReport) -> list[SuiteSpec]:
    """One JUnit suite per entry: its findings (read from its JSON record), or its error.

    Examples
    --------
    >>> record = {"name": "a", "status": "error", "error": "no file", "error_type": "InvalidInputError",
    ...           "duration_s": 0.1}
    >>> suite = junit_suites(BatchReport(BatchPlan(Path("a.toml"), Path("out"), ()), (record,), {}, 0.1, ""))[0]
    >>> suite.name, suite.error
    ('a', 'no file')
    """
    from xai_audit.result import AuditResult

    suites = []
    for record in report.records:
        if record["status"] == "error":
            suites.append(SuiteSpec(record["name"], error=record["error"], error_type=record["error_type"],
                                    time=record["duration_s"]))
            continue
        result = AuditResult.load_json(report.plan.out / record["paths"]["json"])
        suites.append(SuiteSpec(record["name"], findings=tuple(result.findings), time=record["duration_s"]))
    return suites


def _md_cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")
