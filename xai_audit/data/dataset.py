"""``AuditDataset``: the data an audit runs on, validated once at the boundary.

It holds the frame, names its target, favourable label, model features, sensitive attributes (with
bins for continuous ones such as age), and optional predictions and scores columns. Every problem is
reported with what was found and how to fix it, before any model is called.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from xai_audit.data.groups import MAX_GROUPS, check_bins, group_labels
from xai_audit.data.hashing import hash_frame
from xai_audit.data.labels import FeatureLabels
from xai_audit.data.readers import (
    PARQUET_SUFFIXES,
    CsvDialect,
    ParquetSource,
    parquet_files,
    parquet_source,
    read_table_with_dialect,
    table_columns,
)
from xai_audit.data.targets import check_scores, positive_label_of, task_of
from xai_audit.exceptions import InvalidInputError

FEATURE_KINDS = ("numeric", "categorical")


@dataclass(frozen=True, eq=False)
class AuditDataset:
    """A validated table (or image set) with its audit roles.

    Build it with :meth:`from_frame`, :meth:`from_csv`, :meth:`from_parquet` or :meth:`from_arrays`.

    Attributes
    ----------
    frame : pandas.DataFrame
        All columns, as given (images live in ``images``).
    target, positive_label, predictions, scores : str or None
        Column names (``positive_label`` is a value of the target: the favourable outcome).
    features : tuple of str or None
        The model's input columns; None means "as the model declares" (resolved by the audit).
    sensitive : tuple of str
        Sensitive attribute names; their group label per row is in ``groups``.
    groups : pandas.DataFrame
        One string column per sensitive attribute; missing values are the group ``"unknown"``.
    bins : dict
        Bin edges used for continuous sensitive attributes.
    task : str
        ``"binary"``, ``"multiclass"`` or ``"regression"`` (from the target), or None without target.
    classes : tuple or None
        Sorted target labels for classification.
    feature_kinds : dict
        ``"numeric"`` or ``"categorical"`` per column that may be a feature.
    images : numpy.ndarray or None
        N×C×H×W images for image models.
    sha256 : str
        Content hash of the data (values, column names and dtypes).
    parquet : ParquetSource or None
        For data read by :meth:`from_parquet`: the file and its row groups, so that workers of a
        distributed audit read their own rows instead of receiving them from the client.
    labels : FeatureLabels
        Plain names for columns and category codes (empty when none were given).
    csv_dialect : CsvDialect or None
        For data read from a CSV file: the delimiter, decimal mark and encoding used.

    Examples
    --------
    >>> df = pd.DataFrame({"income": [1.0, 2, 3, 4], "sex": ["f", "m", None, "m"],
    ...                    "approved": ["no", "yes", "yes", "no"]})
    >>> data = AuditDataset.from_frame(df, target="approved", positive_label="yes", sensitive=["sex"],
    ...                                labels={"income": "Monthly income"})
    >>> data.task, data.groups["sex"].tolist()
    ('binary', ['f', 'm', 'unknown', 'm'])
    >>> data.labels.name("income"), data.labels.name("sex")
    ('Monthly income', 'sex')
    """

    frame: pd.DataFrame
    target: str | None
    positive_label: object
    features: tuple[str, ...] | None
    sensitive: tuple[str, ...]
    groups: pd.DataFrame
    bins: dict
    predictions: str | None
    scores: str | None
    task: str | None
    classes: tuple | None
    feature_kinds: dict = field(default_factory=dict)
    images: np.ndarray | None = None
    source: str | None = None
    sha256: str = ""
    parquet: "ParquetSource | None" = None
    labels: FeatureLabels = field(default_factory=FeatureLabels)
    csv_dialect: CsvDialect | None = None

    # -- constructors ---------------------------------------------------------------------------

    @classmethod
    def from_frame(cls, frame, *, target=None, positive_label=None, features=None, sensitive=(),
                   bins=None, predictions=None, scores=None, feature_kinds=None, task=None,
                   max_groups=MAX_GROUPS, images=None, source=None, labels=None) -> "AuditDataset":
        """Validate a DataFrame and name the roles of its columns.

        Parameters
        ----------
        frame : pandas.DataFrame
        target : str, optional
            The true outcome. Optional only for predictions-only audits without ground truth.
        positive_label : optional
            The favourable target value (e.g. ``"good"``). Inferred only for 0/1 and True/False.
        features : list of str, optional
            The model's input columns in order; default: as the model declares.
        sensitive : list of str
            Sensitive attributes; missing values form their own ``"unknown"`` group.
        bins : dict, optional
            Bin edges for continuous sensitive attributes, e.g. ``{"age_years": [25]}`` makes the
            groups ``"< 25"`` and ``">= 25"``.
        predictions, scores : str, optional
            Columns holding a model's decisions and scores (for predictions-only audits).
        feature_kinds : dict, optional
            Override the inferred kind (``"numeric"`` / ``"categorical"``) of some columns.
        task : str, optional
            Override the task inferred from the target.
        max_groups : int
            More distinct values than this in a sensitive attribute is an error (bin it instead).
            A numeric sensitive attribute with more than 10 distinct values needs bins.
        labels : dict, str, Path or FeatureLabels, optional
            Plain names for columns and category codes: ``{column: "plain name"}`` or
            ``{column: {"name": ..., "values": {code: "plain words"}}}``, or a path to a
            ``labels.toml`` of the same shape. Every named column must be in the data.

        Examples
        --------
        >>> df = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "sex": ["f", "m", None, "m"],
        ...                    "y": ["bad", "good", "good", "bad"]})
        >>> data = AuditDataset.from_frame(df, target="y", positive_label="good", sensitive=["sex"])
        >>> data.task, data.groups["sex"].tolist()
        ('binary', ['f', 'm', 'unknown', 'm'])
        """
        if not isinstance(frame, pd.DataFrame):
            raise InvalidInputError(
                f"The data must be a pandas DataFrame; got {type(frame).__name__}. "
                "Use AuditDataset.from_csv / from_parquet for files, from_arrays for images."
            )
        _check_frame(frame, has_images=images is not None)
        sensitive = _as_names(sensitive, "sensitive")
        named = {"target": target, "predictions": predictions, "scores": scores}
        for role, column in named.items():
            if column is not None:
                _require_columns(frame, [column], role)
        _require_columns(frame, sensitive, "sensitive attribute")
        _check_sensitive_roles(frame, sensitive, named)
        bins = check_bins(bins, sensitive)
        labels = FeatureLabels.coerce(labels)
        labels.check_columns(frame.columns)
        if features is not None:
            features = _as_names(features, "features")
            _require_columns(frame, features, "feature")
            clash = sorted({target, predictions, scores} & set(features) - {None})
            if clash:
                raise InvalidInputError(f"The columns {clash} are the target or predictions and cannot also be model features.")
        task, classes = task_of(frame, target, task)
        positive_label = positive_label_of(frame, target, task, classes, positive_label)
        if predictions is not None and target is None and task is None:
            task, classes = task_of(frame, predictions, None)
            positive_label = positive_label_of(frame, predictions, task, classes, positive_label)
        if scores is not None:
            check_scores(frame, scores)
        groups = pd.DataFrame(
            {name: group_labels(frame[name], name, bins.get(name), max_groups) for name in sensitive},
            index=frame.index,
        )
        kinds = {name: _kind_of(frame[name]) for name in frame.columns}
        for name, kind in (feature_kinds or {}).items():
            _require_columns(frame, [name], "feature kind override")
            if kind not in FEATURE_KINDS:
                raise InvalidInputError(f"The kind of '{name}' must be one of {list(FEATURE_KINDS)}; got {kind!r}.")
            kinds[name] = kind
        return cls(
            frame=frame, target=target, positive_label=positive_label,
            features=None if features is None else tuple(features), sensitive=tuple(sensitive),
            groups=groups, bins={k: [float(e) for e in v] for k, v in bins.items()},
            predictions=predictions, scores=scores, task=task, classes=classes,
            feature_kinds=kinds, images=images, source=source, sha256=hash_frame(frame, images), labels=labels,
        )

    @classmethod
    def from_csv(cls, path, **options) -> "AuditDataset":
        """Read a CSV file and validate it as :meth:`from_frame` does (same keyword options).

        Examples
        --------
        >>> import tempfile, os
        >>> path = os.path.join(tempfile.mkdtemp(), "d.csv")
        >>> _ = pd.DataFrame({"x": [1, 2], "y": [0, 1]}).to_csv(path, index=False)
        >>> AuditDataset.from_csv(path, target="y").n_rows
        2
        """
        return cls.from_file(path, **options)

    @classmethod
    def from_file(cls, path, *, columns=None, labels=None, **options) -> "AuditDataset":
        """Read a CSV file, a Parquet file, a folder of Parquet files or a glob of them
        (:func:`~xai_audit.data.readers.read_table`) and validate it as :meth:`from_frame` does.

        A single Parquet file is read by :meth:`from_parquet` (so a distributed audit can read its
        row groups); a CSV file's dialect is kept in ``csv_dialect`` and stated in the record.

        Examples
        --------
        >>> import tempfile, os
        >>> path = os.path.join(tempfile.mkdtemp(), "d.csv")
        >>> _ = open(path, "w", encoding="utf-8").write("x;y\\n1,5;0\\n2,5;1\\n")
        >>> data = AuditDataset.from_file(path, target="y")
        >>> data.frame["x"].tolist(), data.csv_dialect.describe()
        ([1.5, 2.5], 'semicolon-delimited, decimal comma, UTF-8')
        """
        if Path(path).is_file() and Path(path).suffix.lower() in PARQUET_SUFFIXES:
            return cls.from_parquet(path, columns=columns, labels=labels, **options)
        return cls._from_table(path, columns=columns, labels=labels, **options)

    @classmethod
    def _from_table(cls, path, *, columns, labels, **options) -> "AuditDataset":
        """Read with :func:`read_table`, check the labels against the file's columns, validate."""
        frame, dialect = read_table_with_dialect(path, columns=columns)
        labels = FeatureLabels.coerce(labels)
        if columns is not None:  # labels may name columns of the file that were not read
            labels.check_columns(table_columns(path), where=f"'{path}'")
            labels = labels.only(frame.columns)
        data = cls.from_frame(frame, source=str(path), labels=labels, **options)
        return data if dialect is None else dataclasses.replace(data, csv_dialect=dialect)

    @classmethod
    def from_parquet(cls, path, *, columns=None, labels=None, **options) -> "AuditDataset":
        """Read a Parquet file (or a folder or glob of them) and validate it as :meth:`from_frame` does.

        Parameters
        ----------
        path : str or Path
            A ``.parquet`` file, a folder of them, or a glob such as ``"parts/*.parquet"``.
        columns : list of str, optional
            Read only these columns (pyarrow column pruning): the features, target, sensitive
            attributes, predictions and scores the audit uses. Default: every column. The data
            hash covers the columns read.

        For a single file the dataset remembers the file and its row groups (``parquet``), so a
        distributed audit's workers read their own rows of it.

        Examples
        --------
        >>> import tempfile, os
        >>> path = os.path.join(tempfile.mkdtemp(), "d.parquet")
        >>> pd.DataFrame({"x": [1, 2], "y": [0, 1], "unused": ["a", "b"]}).to_parquet(path)
        >>> AuditDataset.from_parquet(path, target="y").n_rows
        2
        >>> list(AuditDataset.from_parquet(path, target="y", columns=["x", "y"]).frame.columns)
        ['x', 'y']
        """
        if not Path(path).is_file():
            parquet_files(path)  # refuses a folder without Parquet files, a glob matching none, a CSV
            return cls._from_table(path, columns=columns, labels=labels, **options)
        source = parquet_source(path)
        if columns is not None:
            columns = list(dict.fromkeys(_as_names(columns, "columns")))
            missing = [c for c in columns if c not in source.columns]
            if missing:
                shown = list(source.columns[:30]) + (["..."] if len(source.columns) > 30 else [])
                raise InvalidInputError(f"The columns {missing} are not in the Parquet file '{path}'; its columns are {shown}.")
        frame, _ = read_table_with_dialect(path, columns=columns)
        labels = FeatureLabels.coerce(labels)
        labels.check_columns(source.columns, where=f"the Parquet file '{path}'")
        data = cls.from_frame(frame, source=str(path), labels=labels.only(frame.columns), **options)
        if sum(source.row_group_rows) != len(frame):  # a stored index or filter changed the rows: no pieces
            return data
        return dataclasses.replace(data, parquet=source)

    @classmethod
    def from_arrays(cls, images, labels=None, *, sensitive=None, predictions=None,
                    positive_label=None, task=None, source=None) -> "AuditDataset":
        """Images (N×C×H×W, or N×H×W for one channel) with labels and optional per-image attributes.

        Parameters
        ----------
        images : array-like
        labels : array-like, optional
            True classes, one per image.
        sensitive : dict, optional
            ``{attribute: values}``, one value per image.
        predictions : array-like, optional
            A model's predicted classes, for predictions-only audits.

        Examples
        --------
        >>> data = AuditDataset.from_arrays(np.zeros((4, 8, 8)), [0, 1, 2, 1])
        >>> data.images.shape, data.task
        ((4, 1, 8, 8), 'multiclass')
        """
        images = np.asarray(images, dtype=np.float32)
        if images.ndim == 3:
            images = images[:, None]
        if images.ndim != 4 or len(images) == 0:
            raise InvalidInputError(
                f"Images must be an array of shape (n, channels, height, width) with n > 0; got shape {images.shape}."
            )
        if not np.isfinite(images).all():
            raise InvalidInputError("The images contain NaN or infinite values; clean or drop those images first.")
        columns = {}
        if labels is not None:
            columns["label"] = np.asarray(labels)
        if predictions is not None:
            columns["prediction"] = np.asarray(predictions)
        for name, values in (sensitive or {}).items():
            columns[name] = np.asarray(values)
        for name, values in columns.items():
            if len(values) != len(images):
                raise InvalidInputError(f"'{name}' has {len(values)} values for {len(images)} images; give one per image.")
        frame = pd.DataFrame(columns, index=pd.RangeIndex(len(images)))
        return cls.from_frame(
            frame, target="label" if labels is not None else None, positive_label=positive_label,
            features=(), sensitive=list(sensitive or {}),
            predictions="prediction" if predictions is not None else None, task=task,
            images=images, source=source,
        )

    # -- accessors ------------------------------------------------------------------------------

    @property
    def n_rows(self) -> int:
        return len(self.frame)

    def y_true(self) -> np.ndarray:
        """The target values (labels or numbers)."""
        return self.frame[self.target].to_numpy()

    def y_true_positive(self) -> np.ndarray:
        """1 where the target is the favourable label, else 0 (binary tasks)."""
        return (self.frame[self.target] == self.positive_label).to_numpy().astype(int)

    def scores_array(self) -> np.ndarray | None:
        return None if self.scores is None else self.frame[self.scores].to_numpy(dtype=float)

    def model_input(self, features):
        """What the model is fed: the images, or the frame restricted to ``features``."""
        if self.images is not None:
            return self.images
        return self.frame.loc[:, list(features)]

    def candidate_features(self) -> list[str]:
        """Every column that is not the target, predictions or scores (the default feature set)."""
        roles = {self.target, self.predictions, self.scores}
        return [c for c in self.frame.columns if c not in roles]

    def describe(self, features) -> dict:
        """The data section of the audit record."""
        frame = self.frame
        features = list(features or [])
        section = {
            "n_rows": int(len(frame)),
            "sha256": self.sha256,
            "source": self.source,
            "target": self.target,
            "positive_label": _plain(self.positive_label),
            "task": self.task,
            "classes": None if self.classes is None else [_plain(c) for c in self.classes],
            "features": features,
            "feature_kinds": {f: self.feature_kinds.get(f, "numeric") for f in features},
            "sensitive": list(self.sensitive),
            "bins": self.bins,
            "labels": self.labels.to_dict(),
            "predictions": self.predictions,
            "scores": self.scores,
            "missing_values": {c: int(n) for c, n in frame.isna().sum().items() if n},
            "group_sizes": {
                name: {str(k): int(v) for k, v in self.groups[name].value_counts(sort=False).sort_index().items()}
                for name in self.sensitive
            },
        }
        if self.target is not None and self.task != "regression":
            section["class_counts"] = {str(k): int(v) for k, v in frame[self.target].value_counts().sort_index().items()}
        if self.images is not None:
            section["image_shape"] = list(self.images.shape[1:])
        if self.csv_dialect is not None:
            section["csv_dialect"] = self.csv_dialect.to_dict()
        return section


# -- validation helpers ---------------------------------------------------------------------------


def _check_sensitive_roles(frame, sensitive, named):
    """Refuse a sensitive attribute that is the target, predictions or scores column, or a copy of one."""
    for name in sensitive:
        for role, column in named.items():
            if column is None:
                continue
            if name == column:
                raise InvalidInputError(
                    f"The sensitive attribute '{name}' is also the {role} column; comparing groups of the "
                    f"{role} by the {role} is meaningless. Name the attribute the groups are defined by "
                    "(e.g. sex, age_group) as sensitive."
                )
            if frame[name].equals(frame[column]):
                raise InvalidInputError(
                    f"The sensitive attribute '{name}' holds exactly the values of the {role} column '{column}'; "
                    f"it is a copy of the {role}, not an attribute of the people. Name the attribute the "
                    "groups are defined by as sensitive."
                )


def _check_frame(frame: pd.DataFrame, *, has_images: bool):
    if len(frame) == 0:
        raise InvalidInputError("The data has no rows; an audit needs at least one labelled row per group.")
    if frame.shape[1] == 0 and not has_images:
        raise InvalidInputError("The data has no columns.")
    duplicated = sorted({str(c) for c in frame.columns[frame.columns.duplicated()]})
    if duplicated:
        raise InvalidInputError(f"The data has duplicate column names {duplicated}; rename them so each column is unique.")
    if not frame.index.is_unique:
        raise InvalidInputError("The data's index has duplicate labels; reset it with frame.reset_index(drop=True).")


def _as_names(names, role) -> list[str]:
    if isinstance(names, str):
        return [names]
    names = list(names or [])
    if len(set(names)) != len(names):
        raise InvalidInputError(f"The {role} list names a column twice: {names}.")
    return names


def _require_columns(frame, names, role):
    missing = [n for n in names if n not in frame.columns]
    if missing:
        shown = list(frame.columns[:30]) + (["..."] if frame.shape[1] > 30 else [])
        label = f"The {role} column" + ("s " if len(missing) > 1 else " ")
        raise InvalidInputError(
            f"{label}{missing if len(missing) > 1 else repr(missing[0])} "
            f"{'are' if len(missing) > 1 else 'is'} not in the data; columns are {shown}."
        )


def _kind_of(values: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
        return "categorical"
    return "numeric"


def _plain(value):
    return value.item() if isinstance(value, np.generic) else value
