"""Two ways to an audit without holding every row: Parquet data audited out of core (summaries from
its partitions plus an audit of a stratified sample), and a federated audit of summary files."""

from __future__ import annotations

from xai_audit.adapters import load_model
from xai_audit.audit import Audit
from xai_audit.data import AuditDataset
from xai_audit.exceptions import InvalidInputError
from xai_audit.result import AuditResult
from xai_audit.scale.partitions import PARTITION_ROWS, SAMPLE_ROWS, summarize_parquet
from xai_audit.scale.record import audit_from_summary
from xai_audit.summaries import load_summary, merge


def audit_parquet(model, path, data_options: dict, *, columns=None, policy="default", random_state=None,
                  n_resamples: int | None = None, explainers=None, explain_rows: int | None = None,
                  model_card: dict | None = None, sample_rows: int = SAMPLE_ROWS, backend: str | None = None,
                  workers: int | None = None, scheduler=None, partition_rows: int = PARTITION_ROWS) -> AuditResult:
    """Audit ``model`` on Parquet data of any size (a file, a folder or a glob), out of core.

    Each partition is read, scored and summarised where it is computed (this process one partition at a
    time with ``backend`` None; local processes or a Dask cluster otherwise); this process receives only
    the summaries and a stratified sample of about ``sample_rows`` rows. Performance and fairness come from
    the merged summaries (count-based numbers equal to an audit of all rows); explanations, reasons,
    recourse, the challenger and the proxy scan come from an audit of the sample, which the record names.

    Examples
    --------
    >>> import os, tempfile
    >>> import pandas as pd
    >>> folder = tempfile.mkdtemp()
    >>> for i in range(3):
    ...     pd.DataFrame({"y": [0, 1] * 50, "p": [0, 1, 1, 1] * 25, "g": ["a"] * 60 + ["b"] * 40}).to_parquet(
    ...         os.path.join(folder, f"part{i}.parquet"))
    >>> result = audit_parquet(None, folder, {"target": "y", "predictions": "p", "sensitive": ["g"]},
    ...                        n_resamples=50, random_state=0)
    >>> result.data["n_rows"], result.data["sample"]["n_rows"] == 300, result.performance["overall"]["accuracy"]
    (300, True, 0.75)
    """
    model = None if model is None else load_model(model)  # read once, for the partitions and the sample
    summary, sample, how = summarize_parquet(
        model, path, data_options, columns=columns,
        intersections=_intersections(policy), sample_rows=sample_rows, random_state=random_state, backend=backend,
        workers=workers, scheduler=scheduler, partition_rows=partition_rows)
    options = {**data_options, "task": summary.task if summary.task != "binary" else None,
               "positive_label": summary.meta.get("positive_label") if data_options.get("positive_label") is None
               else data_options["positive_label"]}
    if options["task"] is None:
        options.pop("task")
    sample_data = AuditDataset.from_frame(sample, **_restore_label(options, sample))
    overrides = {name: value for name, value in (("explainers", explainers), ("explain_rows", explain_rows),
                                                 ("n_resamples", n_resamples)) if value is not None}
    sample_result = Audit(policy=policy, random_state=random_state, model_card=model_card or {},
                          **overrides).run(model, sample_data)
    return audit_from_summary(summary, policy=policy, random_state=random_state, n_resamples=n_resamples,
                              model_card=model_card, sample_result=sample_result, how=how)


def audit_summaries(paths, *, policy="default", random_state=None, n_resamples: int | None = None,
                    model_card: dict | None = None) -> AuditResult:
    """The pooled audit of the summary files at ``paths`` (one per site, from ``xai-audit summarize``).

    Performance and fairness are computed from the merged counts, equal to an audit of the pooled rows for
    every count-based number; the sections that need rows are stated as not available from summaries.
    """
    paths = list(paths)
    if not paths:
        raise InvalidInputError("Give at least one summary file (made with `xai-audit summarize`).")
    merged = merge(*(load_summary(path) for path in paths))
    return audit_from_summary(merged, policy=policy, random_state=random_state, n_resamples=n_resamples,
                              model_card=model_card)


def _intersections(policy) -> bool:
    from xai_audit.policy import load_policy

    return bool(load_policy(policy).setting("fairness", "intersections", True))


def _restore_label(options: dict, sample) -> dict:
    """The favourable label in the sample's own type (the summary keeps it as text)."""
    label = options.get("positive_label")
    target = options.get("target")
    if label is None or target is None or target not in sample:
        return options
    matches = [value for value in sample[target].dropna().unique() if str(value) == str(label)]
    return {**options, "positive_label": matches[0] if matches else label}
