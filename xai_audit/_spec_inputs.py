"""The inputs of an :class:`~xai_audit.spec.AuditSpec`: reading a data file, checking paths, hashing
model, data and policy for the spec's key. Heavy libraries are imported inside the functions."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from xai_audit.exceptions import InvalidInputError, XaiAuditError


def read_dataset(path: Path, **options):
    """An AuditDataset from a CSV, Parquet or NPZ (images + labels) file."""
    import numpy as np

    from xai_audit.data import AuditDataset

    suffix = path.suffix.lower()
    if suffix == ".npz":
        if not path.is_file():
            raise InvalidInputError(f"The data file '{path}' does not exist; check the path.")
        with np.load(path, allow_pickle=False) as arrays:
            if "images" not in arrays:
                raise InvalidInputError(f"The file '{path}' has no 'images' array; it holds {sorted(arrays.files)}.")
            labels = arrays["labels"] if "labels" in arrays else None
            return AuditDataset.from_arrays(arrays["images"], labels, source=str(path))
    return AuditDataset.from_file(path, **options)  # CSV (dialect sniffed), Parquet file, folder or glob


def labels_option(path):
    """The ``labels`` argument for ``AuditDataset.from_frame``: the labels file's path."""
    return Path(path)


def need_data_source(path) -> None:
    """A data file, a folder of Parquet files or a glob of them; refused with the fix otherwise."""
    from xai_audit.data.readers import parquet_files

    text = str(path)
    if Path(text).is_dir() or (not Path(text).exists() and any(ch in text for ch in "*?[")):
        parquet_files(text)  # names the fix: a folder without Parquet files, a pattern matching nothing
        return
    need_file(path, "data file")


def need_file(path, what: str) -> None:
    path = Path(path)
    if path.is_dir():
        raise InvalidInputError(f"The {what} '{path}' is a folder; give the path of a file inside it.")
    if not path.is_file():
        raise InvalidInputError(f"The {what} '{path}' does not exist; check the path.")


def need_writable_folder(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise InvalidInputError(f"The output folder '{out}' is a file; give a folder path (--out DIR).")
    existing = out
    while not existing.exists():  # the nearest folder that exists is where the new ones are made
        if existing.parent == existing:
            break
        existing = existing.parent
    if existing.exists() and not (existing.is_dir() and os.access(existing, os.W_OK | os.X_OK)):
        raise InvalidInputError(f"The output folder '{out}' cannot be written ('{existing}' is not a writable "
                                "folder); choose another with --out DIR.")
    # os.access says yes to root and knows nothing of read-only or virtual file systems: try it.
    import tempfile

    try:
        handle, probe = tempfile.mkstemp(prefix=".xai-audit-probe.", suffix=".part", dir=existing)
        os.close(handle)
        os.unlink(probe)
    except OSError as error:
        raise InvalidInputError(f"The output folder '{out}' cannot be written (writing in '{existing}' failed: "
                                f"{error.strerror or error}); choose another with --out DIR.") from None


def model_files(path: Path) -> list[Path]:
    """The model file, and for a ``.toml`` manifest the files it names."""
    files = [path]
    if path.suffix.lower() == ".toml" and path.is_file():
        from xai_audit._toml import read_toml

        try:
            section = read_toml(path).get("model", {})
        except XaiAuditError:
            return files
        files += [path.parent / section[key] for key in ("file", "preprocessor")
                  if isinstance(section, dict) and isinstance(section.get(key), str)]
    return files


def file_hash(*paths: Path) -> str | None:
    digest = hashlib.sha256()
    try:
        for path in paths:
            with open(path, "rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(block)
    except OSError:
        return None
    return digest.hexdigest()


def object_hash(obj) -> str:
    """A content hash of an in-memory model or table: its own ``sha256`` when it has one (adapters
    loaded from files, datasets), else joblib's hash (stable across processes)."""
    own = getattr(obj, "sha256", None)
    if isinstance(own, str) and own:
        return own
    import joblib

    return joblib.hash(obj, hash_name="sha1")


def policy_hash(policy: str, path: Path | None) -> dict:
    """The policy's hash, taken over the policy as loaded (its ``extends`` chain resolved), so a change to
    a bundled policy between versions also changes the key."""
    from xai_audit.policy import load_policy

    if not isinstance(policy, (str, Path)):
        record = {"object": type(policy).__name__}
    else:
        record = {"path": str(policy)} if path is not None else {"name": str(policy)}
    try:
        text = json.dumps(load_policy(policy).to_dict(), sort_keys=True, default=str)
        record["sha256"] = hashlib.sha256(text.encode()).hexdigest()
    except XaiAuditError:
        record["sha256"] = file_hash(path) if path is not None else None
    return record


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


def read_train(path, adapter, data):
    """The training data (``--train``) for the glass-box challengers and a linear model's intervals: the
    file read with the audit data's target, favourable label and the model's input columns.

    Raises
    ------
    InvalidInputError
        When the file lacks any of those columns (named, with the fix), or is an image file.
    """
    from xai_audit.adapters.pairing import resolve_features
    from xai_audit.data import AuditDataset

    if path is None or isinstance(path, AuditDataset):
        return path
    path = Path(path)
    if path.suffix.lower() == ".npz":
        raise InvalidInputError(f"The training file '{path}' holds images; --train takes a table (CSV or Parquet) "
                                "with the audit data's columns, for the tabular challengers.")
    features = list(resolve_features(adapter, data)) if adapter is not None else list(data.features or [])
    frame = AuditDataset.from_file(path).frame
    wanted = features + ([data.target] if data.target is not None else [])
    missing = [c for c in wanted if c not in frame.columns]
    if missing:
        raise InvalidInputError(
            f"The training file '{path}' lacks the columns {missing} that the audit uses (the model's input columns "
            f"and the target {data.target!r}); its columns are {list(frame.columns)[:20]}. Give a training file with "
            "the audit data's columns.")
    return AuditDataset.from_frame(frame, target=data.target, positive_label=data.positive_label, features=features,
                                   feature_kinds={f: data.feature_kinds.get(f, "numeric") for f in features},
                                   source=str(path))


def input_hashes(spec) -> dict:
    """SHA-256 of a spec's model file(s), data and policy (as loaded); of its labels, training data and
    model card too when given. A file that is missing has the hash None."""
    hashes = {"model": None, "data": None, "policy": None}
    if isinstance(spec.model, (str, Path)):
        hashes["model"] = {"path": str(spec.model), "sha256": file_hash(*model_files(Path(spec.model)))}
    elif spec.model is not None:
        hashes["model"] = {"object": type(spec.model).__name__, "sha256": object_hash(spec.model)}
    if isinstance(spec.data, (str, Path)):
        hashes["data"] = {"path": str(spec.data), "sha256": file_hash(Path(spec.data))}
    else:
        hashes["data"] = {"object": type(spec.data).__name__, "sha256": object_hash(spec.data)}
        # a dataset's plain names change every output but not its content hash: key them too
        labels = getattr(spec.data, "labels", None)
        if labels is not None and labels.to_dict():
            text = json.dumps(labels.to_dict(), sort_keys=True, default=str)
            hashes["data"]["labels_sha256"] = hashlib.sha256(text.encode()).hexdigest()
    if spec.labels is not None:
        hashes["labels"] = {"path": str(spec.labels), "sha256": file_hash(Path(spec.labels))}
    if isinstance(spec.train, (str, Path)):
        hashes["train"] = {"path": str(spec.train), "sha256": file_hash(Path(spec.train))}
    elif spec.train is not None:
        hashes["train"] = {"object": type(spec.train).__name__, "sha256": object_hash(spec.train)}
    if isinstance(spec.model_card, (str, Path)):
        hashes["model_card"] = {"path": str(spec.model_card), "sha256": file_hash(Path(spec.model_card))}
    hashes["policy"] = policy_hash(spec.policy, spec.policy_path)
    return hashes
