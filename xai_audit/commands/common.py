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
                    progress=None):
    """Load, audit and write the requested formats; return (the AuditResult, {format: path})."""
    options = dict(target=target, positive_label=positive_label, sensitive=list(sensitive), bins=bins,
                   features=features, predictions=predictions, scores=scores)
    if data_path.suffix.lower() == ".npz":
        data = read_dataset(data_path)
    else:
        data = read_dataset(data_path, **options)
    adapter = None if model is None else load_model(model, trusted=trusted)
    result = Audit(policy=policy, random_state=seed, model_card=model_card or {}, progress=progress).run(adapter, data)
    writers = {"html": result.save_html, "json": result.save_json, "md": result.save_markdown, "pdf": result.save_pdf}
    paths = {fmt: writers[fmt](out / f"{name}.{fmt}") for fmt in formats}
    return result, paths


def exit_code(result) -> int:
    """The gate's exit code for one audit: 0 pass or warn, 1 fail."""
    return EXIT_BY_STATUS[result.status]
