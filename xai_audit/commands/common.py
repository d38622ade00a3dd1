"""One audit from file paths to written outputs: shared by ``run``, ``demo`` and ``batch``."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from xai_audit.adapters import load_model
from xai_audit.audit import Audit
from xai_audit.data import AuditDataset
from xai_audit.exceptions import InvalidInputError

EXIT_BY_STATUS = {"pass": 0, "warn": 0, "fail": 1}


def read_dataset(path: Path, **options) -> AuditDataset:
    """An AuditDataset from a CSV, Parquet or NPZ (images + labels) file."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return AuditDataset.from_csv(path, **options)
    if suffix in (".parquet", ".pq"):
        return AuditDataset.from_parquet(path, **options)
    if suffix == ".npz":
        if not path.is_file():
            raise InvalidInputError(f"The data file '{path}' does not exist; check the path.")
        with np.load(path, allow_pickle=False) as arrays:
            if "images" not in arrays:
                raise InvalidInputError(f"The file '{path}' has no 'images' array; it holds {sorted(arrays.files)}.")
            labels = arrays["labels"] if "labels" in arrays else None
            return AuditDataset.from_arrays(arrays["images"], labels, source=str(path))
    raise InvalidInputError(f"The data file '{path}' has the suffix '{suffix}'; use .csv, .parquet or .npz.")


def audit_and_write(*, model, data_path: Path, target=None, positive_label=None, sensitive=(), bins=None,
                    features=None, predictions=None, scores=None, policy="default", out: Path,
                    name: str, formats=("html", "json"), seed=0, trusted=None, model_card=None,
                    progress=None, workers=None, scheduler=None):
    """Load, audit and write the requested formats; return (the AuditResult, {format: path}).

    ``workers`` (local processes) and ``scheduler`` (a Dask address ``tcp://HOST:PORT``) spread the
    audit's chunked work (see :class:`~xai_audit.audit.Audit`); the record is the same either way.
    A Parquet file is read with only the columns the audit uses when they are known (the features
    given or declared by the model, target, sensitive attributes, predictions, scores).
    """
    options = dict(target=target, positive_label=positive_label, sensitive=list(sensitive), bins=bins,
                   features=features, predictions=predictions, scores=scores)
    adapter = None if model is None else load_model(model, trusted=trusted)
    if data_path.suffix.lower() == ".npz":
        data = read_dataset(data_path)
    else:
        if data_path.suffix.lower() in (".parquet", ".pq"):
            options["columns"] = audit_columns(adapter, options)
        data = read_dataset(data_path, **options)
    result = Audit(policy=policy, random_state=seed, model_card=model_card or {}, progress=progress,
                   workers=workers, scheduler=scheduler).run(adapter, data)
    writers = {"html": result.save_html, "json": result.save_json, "md": result.save_markdown, "pdf": result.save_pdf}
    paths = {fmt: writers[fmt](out / f"{name}.{fmt}") for fmt in formats}
    return result, paths


def audit_columns(adapter, options: dict) -> list[str] | None:
    """The columns an audit of ``adapter`` reads: features (given, or as the model declares), target,
    sensitive attributes, predictions and scores; None (every column) when the features are unknown.

    Examples
    --------
    >>> audit_columns(None, {"target": "y", "sensitive": ["sex"], "predictions": "p", "features": None})
    ['y', 'sex', 'p']
    """
    features = options.get("features")
    if features is None and adapter is not None:
        features = adapter.feature_names
        if features is None:
            return None
    named = [options.get("target"), *options.get("sensitive", []), options.get("predictions"), options.get("scores")]
    return list(dict.fromkeys([*(features or []), *(c for c in named if c is not None)]))


def exit_code(result) -> int:
    """The gate's exit code for one audit: 0 pass or warn, 1 fail."""
    return EXIT_BY_STATUS[result.status]
