"""Plain names on the pages: a column's name and a category's words from the audit's labels file.

Every page shows columns and group values through these, so a labels file given on Setup is honoured
everywhere; without one the data's own names show.
"""

from __future__ import annotations

import pandas as pd

INTERSECTION = "*"


def _labels(entry):
    return getattr(getattr(entry, "data", None), "labels", None)


def column(entry, name) -> str:
    """The plain name of column ``name`` (an intersection ``"a*b"`` as ``"A × B"``)."""
    labels = _labels(entry)
    if labels is None:
        return str(name)
    return " × ".join(str(labels.name(part)) for part in str(name).split(INTERSECTION))


def value(entry, attribute, code) -> str:
    """The plain words for ``code`` of ``attribute`` (an intersection's group ``"x*y"`` part by part)."""
    labels = _labels(entry)
    if labels is None:
        return str(code)
    attributes = str(attribute).split(INTERSECTION)
    parts = str(code).split(INTERSECTION)
    if len(parts) != len(attributes):
        return str(labels.value(attribute, code))
    return " × ".join(str(labels.value(a, p)) for a, p in zip(attributes, parts))


def group_column(entry, frame: pd.DataFrame, attribute, column_name: str = "group") -> pd.DataFrame:
    """``frame`` with its group labels in plain words (a "(reference)" suffix kept)."""
    if frame.empty or column_name not in frame.columns:
        return frame

    def plain(label):
        text = str(label)
        suffix = " (reference)" if text.endswith(" (reference)") else ""
        return value(entry, attribute, text[:len(text) - len(suffix)]) + suffix

    return frame.assign(**{column_name: frame[column_name].map(plain)})


def feature_index(entry, frame: pd.DataFrame, column_name: str = "feature") -> pd.DataFrame:
    """``frame`` with its feature column in plain names."""
    if frame.empty or column_name not in frame.columns:
        return frame
    return frame.assign(**{column_name: frame[column_name].map(lambda name: column(entry, name))})
