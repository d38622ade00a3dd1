"""The target, predictions and scores columns of a dataset: the task they imply, the favourable label,
and the checks each must pass before any model is called."""

from __future__ import annotations

import numpy as np
import pandas as pd

from xai_audit.exceptions import InvalidInputError


def task_of(frame, column, task):
    if column is None:
        return task, None
    values = frame[column]
    n_missing = int(values.isna().sum())
    if n_missing:
        raise InvalidInputError(
            f"The column '{column}' has {n_missing} missing value(s); every row needs a value there. "
            "Drop those rows or fill them before the audit."
        )
    is_numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    n_unique = values.nunique()
    if task is None:
        is_whole = is_numeric and np.all(np.mod(values.to_numpy(dtype=float), 1) == 0)
        task = "regression" if is_numeric and (n_unique > 20 or not is_whole) else (
            "binary" if n_unique == 2 else "multiclass")
    if task == "regression":
        if not is_numeric:
            raise InvalidInputError(f"A regression target must be numeric; '{column}' holds {values.dtype} values.")
        if not np.isfinite(values.to_numpy(dtype=float)).all():
            raise InvalidInputError(f"The target '{column}' contains infinite values; remove those rows.")
        return task, None
    if n_unique < 2:
        raise InvalidInputError(
            f"The column '{column}' has a single class {values.unique().tolist()}; performance and "
            "fairness need both outcomes. Audit a sample that contains every class."
        )
    if task == "binary" and n_unique != 2:
        raise InvalidInputError(f"task='binary' needs exactly two classes in '{column}'; found {n_unique}.")
    return task, tuple(sorted(values.unique().tolist(), key=str))


def positive_label_of(frame, column, task, classes, positive_label):
    if task != "binary":
        return positive_label
    if positive_label is None:
        if set(classes) <= {0, 1} or set(classes) <= {False, True}:
            return classes[-1]
        raise InvalidInputError(
            f"The target '{column}' has the labels {list(classes)}; say which one is the favourable "
            "outcome with positive_label=... (--positive-label on the command line)."
        )
    matches = [c for c in classes if c == positive_label or str(c) == str(positive_label)]
    if not matches:
        raise InvalidInputError(f"positive_label {positive_label!r} is not a value of '{column}'; its values are {list(classes)}.")
    return matches[0]


def check_scores(frame, column):
    values = frame[column]
    if not pd.api.types.is_numeric_dtype(values):
        raise InvalidInputError(f"The scores column '{column}' must be numeric; it holds {values.dtype} values.")
    if not np.isfinite(values.to_numpy(dtype=float)).all():
        raise InvalidInputError(f"The scores column '{column}' has missing or infinite values; fill or drop those rows.")
