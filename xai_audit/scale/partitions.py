"""Summaries of data scored by a model: of a dataset in memory (one site of a federated audit), and of
Parquet data too large for one process, read and scored partition by partition where it is computed
(in this process one partition at a time, or on local worker processes or a Dask cluster, each
reading its own files), returning only summaries and a stratified sample of rows.
"""

from __future__ import annotations

from datetime import datetime, timezone

import numpy as np
import pandas as pd

from xai_audit.adapters import PredictionsAdapter, load_model
from xai_audit.adapters.pairing import align_classes, resolve_features
from xai_audit.audit import predict
from xai_audit.data import AuditDataset
from xai_audit.data.readers import parquet_files
from xai_audit.exceptions import InvalidInputError
from xai_audit.parallel import map_chunks
from xai_audit.summaries import Summary, merge, summarize

# Rows a partition holds at most (consecutive row groups of one file); a worker holds one at a time.
PARTITION_ROWS = 500_000
# The rows kept for the sections that need rows (explanations, proxy scan, reasons, recourse).
SAMPLE_ROWS = 20_000


def summarize_data(model, data: AuditDataset, *, intersections: bool = True, min_cell: int = 0,
                   with_scores: bool = True, site: dict | None = None) -> Summary:
    """The summary of ``data`` scored by ``model`` (an adapter, a fitted model, a file, or None for the
    predictions column): counts per group, score histograms and moments, never a row.

    Examples
    --------
    >>> df = pd.DataFrame({"y": [0, 1, 1, 0], "p": [0, 1, 0, 0], "g": ["a", "a", "b", "b"]})
    >>> data = AuditDataset.from_frame(df, target="y", predictions="p", sensitive=["g"])
    >>> summary = summarize_data(None, data)
    >>> summary.n_rows, summary.tables["g"]["b"].cells.tolist()
    (4, [1, 0, 1, 0])
    """
    if data.target is None:
        raise InvalidInputError("A summary needs the true outcome: name the target column (--target).")
    adapter = PredictionsAdapter(data) if model is None else load_model(model)
    features = resolve_features(adapter, data)
    adapter = align_classes(adapter, data)
    y_pred, proba = predict(adapter, data.model_input(features), data, features)
    if adapter.task == "binary":
        y_true = data.y_true_positive()
        decisions = (np.asarray(y_pred) == adapter.positive_class).astype(int)
        scores = proba[:, adapter.positive_index] if proba is not None and with_scores else None
    elif adapter.task == "regression":
        y_true, decisions, scores = data.y_true().astype(float), np.asarray(y_pred, dtype=float), None
    else:
        raise InvalidInputError(f"Summaries cover binary and regression models; this one does {adapter.task}. "
                                "Audit the rows instead.")
    meta = {"target": data.target, "positive_label": None if data.positive_label is None else str(data.positive_label),
            "model": adapter.describe(), "features": list(features or []), "predictions": data.predictions,
            "scores": data.scores}
    site = {"name": None, "data_sha256": data.sha256,
            "created_at": datetime.now(timezone.utc).replace(microsecond=0).isoformat(), **(site or {})}
    return summarize(y_true, decisions, data.groups, scores=scores, task=adapter.task, intersections=intersections,
                     min_cell=min_cell, site=site, meta=meta)


def parquet_partitions(path, *, partition_rows: int = PARTITION_ROWS) -> list[tuple[str, tuple[int, ...], int]]:
    """``(file, row groups, rows)`` of every partition of the Parquet data at ``path`` (a file, a folder
    or a glob): consecutive row groups of one file, up to ``partition_rows`` rows (at least one group)."""
    import pyarrow.parquet as pq

    partitions = []
    for file in parquet_files(path):
        metadata = pq.ParquetFile(file).metadata
        groups, rows = [], 0
        for index in range(metadata.num_row_groups):
            size = metadata.row_group(index).num_rows
            if groups and rows + size > partition_rows:
                partitions.append((str(file), tuple(groups), rows))
                groups, rows = [], 0
            groups.append(index)
            rows += size
        if groups:
            partitions.append((str(file), tuple(groups), rows))
    return partitions


def summarize_parquet(model, path, data_options: dict, *, columns=None, intersections: bool = True,
                      sample_rows: int = SAMPLE_ROWS, random_state=None, backend: str | None = None,
                      workers: int | None = None, scheduler=None,
                      partition_rows: int = PARTITION_ROWS) -> tuple[Summary, pd.DataFrame, dict]:
    """Summaries of Parquet data scored by ``model``, computed where the partitions are read.

    Parameters
    ----------
    model : adapter, fitted model, file or None
        None: the predictions column of ``data_options``.
    path : str or Path
        A Parquet file, a folder of them, or a glob.
    data_options : dict
        The options of :meth:`AuditDataset.from_frame` (target, sensitive, ...), applied to each partition.
    columns : list of str, optional
        The columns to read (default: all).
    sample_rows : int
        About this many rows are kept, stratified: each partition keeps its share of every group
        (all sensitive attributes together) of its rows, at least one row of each group it holds.
    backend, workers, scheduler
        None or ``"serial"``: this process, one partition after another. ``"processes"``: local worker
        processes; ``"dask"``: a Dask cluster (``scheduler``), whose workers must see ``path``.

    Returns
    -------
    (Summary, DataFrame, dict)
        The merged summary, the sample (in partition order), and how it was computed.
    """
    partitions = parquet_partitions(path, partition_rows=partition_rows)
    total = sum(rows for _, _, rows in partitions)
    if total == 0:
        raise InvalidInputError(f"The Parquet data '{path}' has no rows.")
    options = _fixed_options(partitions[0], data_options)
    adapter = None if model is None else load_model(model)
    settings = {"columns": columns, "options": options, "intersections": intersections,
                "fraction": min(1.0, sample_rows / total), "random_state": random_state}
    indexed = list(enumerate(partitions))
    if backend in (None, "serial"):
        chunks = [indexed]
        results = [_summarize_chunk(indexed, adapter, settings)]
    else:
        n_chunks = min(len(indexed), 2 * max(1, workers or 2))
        chunks = [indexed[i::n_chunks] for i in range(n_chunks)]
        results = map_chunks(_summarize_chunk, chunks, backend=backend, scheduler=scheduler, workers=workers,
                             args=(adapter, settings))
    summary = merge(*(summary for summary, _ in results))
    samples = sorted((piece for _, pieces in results for piece in pieces), key=lambda piece: piece[0])
    sample = pd.concat([frame for _, frame in samples], ignore_index=True)
    how = {"partitions": len(partitions), "partition_rows": partition_rows, "rows": total,
           "chunks": len(chunks), "backend": backend or "serial", "sample_rows": int(len(sample)),
           "sample": (f"{len(sample):,} rows: each of the {len(partitions)} partitions keeps {settings['fraction']:.4%} "
                      "of every group of its rows (all sensitive attributes together), at least one row of each, "
                      "seeded by the audit's random state and the partition's position")}
    return summary, sample, how


def _fixed_options(first, data_options: dict) -> dict:
    """``data_options`` with the task and favourable label fixed from the target column of the first row
    group (only that column is read), so every partition reads the target the same way."""
    import pyarrow.parquet as pq

    file, groups, _ = first
    target = data_options.get("target")
    reader = pq.ParquetFile(file)
    if target is None or target not in reader.schema_arrow.names:  # refused with its fix when a partition is read
        return dict(data_options)
    frame = reader.read_row_group(groups[0], columns=[target]).to_pandas()
    probe = AuditDataset.from_frame(frame, **{key: data_options.get(key) for key in ("target", "positive_label", "task")
                                              if data_options.get(key) is not None})
    return {**data_options, "task": probe.task, "positive_label": probe.positive_label}


def _summarize_chunk(indexed, adapter, settings: dict):
    """One worker's share: read, score and summarise each partition in turn; keep its sample rows."""
    import pyarrow.parquet as pq

    summary, samples = None, []
    for position, (file, groups, _) in indexed:
        frame = pq.ParquetFile(file).read_row_groups(list(groups), columns=settings["columns"]).to_pandas()
        data = AuditDataset.from_frame(frame, **settings["options"])
        part = summarize_data(adapter, data, intersections=settings["intersections"],
                              site={"name": f"{file} row groups {groups[0]}-{groups[-1]}"})
        summary = part if summary is None else merge(summary, part)
        rng = np.random.default_rng([position, 0 if settings["random_state"] is None else int(settings["random_state"])])
        samples.append((position, frame.iloc[stratified_positions(data.groups, settings["fraction"], rng)]))
        del frame, data
    return summary, samples


def stratified_positions(groups: pd.DataFrame, fraction: float, rng: np.random.Generator) -> np.ndarray:
    """Sorted row positions: ``fraction`` of every group (all columns of ``groups`` together), rounded
    up, so a group present in the rows keeps at least one.

    Examples
    --------
    >>> groups = pd.DataFrame({"g": ["a"] * 98 + ["b"] * 2})
    >>> positions = stratified_positions(groups, 0.1, np.random.default_rng(0))
    >>> len(positions), int((positions >= 98).sum())
    (11, 1)
    """
    codes = np.zeros(len(groups), dtype=np.int64)
    for column in groups.columns:
        column_codes, uniques = pd.factorize(groups[column])
        codes = codes * (len(uniques) + 1) + column_codes + 1
    chosen = []
    for code in np.unique(codes):
        members = np.flatnonzero(codes == code)
        take = min(len(members), int(np.ceil(fraction * len(members))))
        chosen.append(rng.choice(members, take, replace=False))
    return np.sort(np.concatenate(chosen)) if chosen else np.zeros(0, dtype=np.int64)
