"""The run spec's scaled paths: the pooled audit of summary files, and Parquet data audited out of core."""

from __future__ import annotations

from pathlib import Path

from xai_audit._spec_inputs import audit_columns, need_writable_folder
from xai_audit.exceptions import InvalidInputError

# Parquet data with more rows than this (read from its metadata) is audited out of core by default.
OUT_OF_CORE_ROWS = 2_000_000


def check_summaries_spec(spec):
    """Check a spec of a pooled audit from summary files; return it unchanged."""
    missing = [str(path) for path in spec.summaries if not Path(path).is_file()]
    if missing:
        raise InvalidInputError(f"The summary files {missing} do not exist; make each with `xai-audit summarize`.")
    if spec.data is not None:
        raise InvalidInputError("Give either --data (an audit of rows) or --summaries (a pooled audit of summary "
                                "files), not both.")
    need_writable_folder(Path(spec.out))
    return spec


def is_out_of_core(spec) -> bool:
    """Whether ``spec`` audits its data out of core: asked for, or None and Parquet beyond ``OUT_OF_CORE_ROWS``."""
    if spec.out_of_core is not None:
        if spec.out_of_core and not _is_parquet(spec.data):
            raise InvalidInputError(f"Out-of-core audits read Parquet (a file, a folder or a glob); '{spec.data}' is "
                                    "not. Convert it to Parquet, or leave out --out-of-core.")
        return bool(spec.out_of_core)
    if not _is_parquet(spec.data):
        return False
    import pyarrow.parquet as pq

    from xai_audit.data.readers import parquet_files

    rows = sum(pq.ParquetFile(file).metadata.num_rows for file in parquet_files(spec.data))
    return rows > OUT_OF_CORE_ROWS


def _is_parquet(data) -> bool:
    if not isinstance(data, (str, Path)):
        return False
    text = str(data)
    return Path(text).suffix.lower() in (".parquet", ".pq") or Path(text).is_dir() or any(c in text for c in "*?[")


def run_scaled(spec):
    """The :class:`~xai_audit.result.AuditResult` of a summaries or out-of-core spec."""
    from xai_audit.scale import audit_parquet, audit_summaries

    if spec.summaries:
        return audit_summaries(spec.summaries, policy=spec.policy, random_state=spec.random_state,
                               n_resamples=spec.n_resamples, model_card=spec.model_card_dict())
    from xai_audit.adapters import load_model

    adapter = None if spec.model is None else load_model(spec.model, trusted=spec.trusted)
    options = spec.data_options()
    backend = spec.backend or ("dask" if spec.scheduler else "processes" if spec.workers else None)
    extra = {} if spec.sample_rows is None else {"sample_rows": spec.sample_rows}
    return audit_parquet(adapter, spec.data, options, columns=audit_columns(adapter, options), policy=spec.policy,
                         random_state=spec.random_state, n_resamples=spec.n_resamples, explainers=spec.explainers,
                         explain_rows=spec.explain_rows, model_card=spec.model_card_dict(), backend=backend,
                         workers=spec.workers, scheduler=spec.scheduler, **extra)
