"""Interpretable models explained as themselves: the ``glass_box`` section of the record.

When the audited model is a linear or logistic regression, a decision tree or an Explainable
Boosting Machine, its own parameters are the explanation: coefficients and odds ratios with Wald
intervals (:mod:`.linear`), rules with the cases each covers (:mod:`.tree`), or shape functions and
term importances (:mod:`.ebm`). For any other model the section is empty.
"""

from __future__ import annotations

import numpy as np

from xai_audit.explainers.glass_box.ebm import ebm_reading, is_ebm
from xai_audit.explainers.glass_box.linear import is_linear, linear_reading
from xai_audit.explainers.glass_box.terms import model_terms
from xai_audit.explainers.glass_box.tree import is_tree, tree_reading

__all__ = ["glass_box_section"]


def glass_box_section(adapter, data, features, *, train=None, confidence: float = 0.95) -> dict:
    """The ``glass_box`` section: the model read as itself, or ``{}`` when it is not interpretable.

    Parameters
    ----------
    adapter : ModelAdapter
    data : AuditDataset
        The audit data: rule counts and fidelity are measured on it.
    features : list of str
    train : AuditDataset, optional
        The training data: a linear model's intervals are computed on it when given, else on ``data``.
    confidence : float

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn.linear_model import LogisticRegression
    >>> from xai_audit import AuditDataset, load_model
    >>> df = pd.DataFrame({"x": [0.0, 1, 2, 3, 4, 5, 6, 7], "y": [0, 0, 1, 0, 1, 0, 1, 1]})
    >>> adapter = load_model(LogisticRegression().fit(df[["x"]], df["y"]))
    >>> section = glass_box_section(adapter, AuditDataset.from_frame(df, target="y"), ["x"])
    >>> section["kind"], section["model_class"], section["fidelity"]["value"]
    ('logistic', 'LogisticRegression', 1.0)
    """
    if getattr(adapter, "input_kind", "tabular") != "tabular" or not features:
        return {}
    if not (is_linear(adapter) or is_tree(adapter) or is_ebm(adapter)):
        return {}
    try:
        reading, terms = _read(adapter, data, features, train, confidence)
    except Exception as error:  # an unusual pipeline must not cost the audit: the reading says why it is absent
        return {"error": f"The {type(adapter.final_estimator).__name__} could not be read as itself: "
                         f"{type(error).__name__}: {error}"}
    return {**reading, "model_class": type(adapter.final_estimator).__name__,
            "positive_class": _plain(adapter.positive_class),
            "terms": {"transformed": terms.transformed, "preprocessing": terms.preprocessing,
                      "n_terms": len(terms.names)},
            "n_rows": int(data.n_rows)}


def _read(adapter, data, features, train, confidence):
    """The reading of an interpretable model and the terms it was computed on."""
    if is_linear(adapter):
        basis = train if train is not None else data
        terms = model_terms(adapter, basis.frame, features)
        where = "training data" if train is not None else "audit data"
        y = None if basis.target is None or adapter.task != "regression" else basis.y_true()
        reading = linear_reading(adapter, terms, y=y, confidence=confidence,
                                 rows_basis=f"the {len(terms.matrix)} rows of the {where}")
        reading["intervals"]["source"] = "training" if train is not None else "audit"
        if train is not None:  # fidelity is measured on the audit rows, like every other reading
            reading["fidelity"] = linear_reading(adapter, model_terms(adapter, data.frame, features),
                                                 rows_basis="", confidence=confidence)["fidelity"]
    elif is_tree(adapter):
        terms = model_terms(adapter, data.frame, features)
        reading = tree_reading(adapter, terms)
    else:
        terms = model_terms(adapter, data.frame, features)
        reading = ebm_reading(adapter, terms)
    return reading, terms


def _plain(value):
    return value.item() if isinstance(value, np.generic) else value
