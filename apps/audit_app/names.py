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
    return column_name(_labels(entry), name)


def column_name(labels, name) -> str:
    """:func:`column` from a labels object (None: the data's own names)."""
    parts = str(name).split(INTERSECTION)
    return " × ".join(part if labels is None else str(labels.name(part)) for part in parts)


def value(entry, attribute, code) -> str:
    """The plain words for ``code`` of ``attribute`` (an intersection's group ``"x*y"`` part by part)."""
    return value_words(_labels(entry), attribute, code)


def value_words(labels, attribute, code) -> str:
    """:func:`value` from a labels object (None: the data's own codes)."""
    attributes = str(attribute).split(INTERSECTION)
    parts = str(code).split(INTERSECTION)
    if len(parts) != len(attributes):
        return str(code) if labels is None else str(labels.value(attribute, code))
    return " × ".join(p if labels is None else str(labels.value(a, p)) for a, p in zip(attributes, parts))


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


# Plain words for the metric names of the record's fairness and performance tables.
METRICS = {
    "selection_rate": "Selection rate", "base_rate": "Base rate", "tpr": "True positive rate (TPR)",
    "fpr": "False positive rate (FPR)", "fnr": "False negative rate (FNR)", "tnr": "True negative rate (TNR)",
    "ppv": "Precision (PPV)", "npv": "Negative predictive value (NPV)", "accuracy": "Accuracy",
    "balanced_accuracy": "Balanced accuracy", "auc": "ROC AUC", "roc_auc": "ROC AUC", "log_loss": "Log loss",
    "brier": "Brier score", "ece": "Calibration error (ECE)", "mean_score": "Mean score",
    "mean_prediction": "Mean prediction", "mae": "MAE", "rmse": "RMSE", "r2": "R²", "mean_residual": "Mean residual",
}


def metric(name) -> str:
    """The plain words for a metric of the record (``tpr`` → ``True positive rate (TPR)``); an unknown
    name with its underscores as spaces.

    Examples
    --------
    >>> metric("tpr"), metric("selection_rate"), metric("custom_score")
    ('True positive rate (TPR)', 'Selection rate', 'Custom score')
    """
    return METRICS.get(str(name), str(name).replace("_", " ").capitalize())


def finding_subject(entry, subject: str, tables) -> str:
    """A finding's subject (what its id adds to its rule's id) in plain words.

    The subject names an attribute (``sex``) or an attribute and a group (``sex*age_group.female*25 and
    over``); group labels may hold dots, so the subject is matched against the audit's own fairness
    tables (attribute and group names) rather than split; any other subject is shown as it is.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> tables = {"sex*age": SimpleNamespace(groups=("f*old", "m*young"))}
    >>> finding_subject(None, "sex*age.f*old", tables), finding_subject(None, "sex*age", tables)
    ('sex × age: f × old', 'sex × age')
    >>> finding_subject(None, "income.v2", tables), finding_subject(None, "sex*age.income", tables)
    ('income.v2', 'sex × age: income')
    """
    for name, table in tables.items():
        if subject == name:
            return column(entry, name)
        for group in table.groups:
            if subject == f"{name}.{group}":
                return f"{column(entry, name)}: {value(entry, name, group)}"
    for name in tables:   # an attribute and a feature (``sex.personal_status_sex``: a possible proxy)
        if subject.startswith(name + "."):
            return f"{column(entry, name)}: {column(entry, subject[len(name) + 1:])}"
    return subject
