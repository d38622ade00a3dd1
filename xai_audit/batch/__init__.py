"""Batch audits: many ``[[audit]]`` entries of one TOML file, in parallel processes or on a Dask cluster.

A batch file holds ``[defaults]`` and any number of ``[[audit]]`` tables (see ``examples/audits.toml``);
paths in it are relative to the file. Each entry becomes an :class:`~xai_audit.spec.AuditSpec` and is
audited by the same code as ``xai-audit run``. The batch writes, in its output folder:

- ``summary.json``: per entry its status (or error), report paths, input hashes, cache key and duration;
- ``index.html``: a page linking every report with its verdict;
- ``.xai-audit-cache.json``: the keys of the entries that finished, updated after each one, so that a
  re-run skips entries whose model, data, policy and configuration have not changed.

Modules: ``config`` (the file → specs), ``cache``, ``run`` (the entries, through
:mod:`xai_audit.parallel`), ``outputs`` (summary, index, JUnit, Markdown).
"""

from xai_audit.batch.cache import CACHE_FILE
from xai_audit.batch.config import BatchPlan, load_batch
from xai_audit.batch.outputs import INDEX_FILE, SUMMARY_FILE, BatchReport, batch_markdown, junit_suites, render_index
from xai_audit.batch.run import run_batch, run_entry

__all__ = ["CACHE_FILE", "INDEX_FILE", "SUMMARY_FILE", "BatchPlan", "BatchReport", "batch_markdown",
           "junit_suites", "load_batch", "render_index", "run_batch", "run_entry"]
