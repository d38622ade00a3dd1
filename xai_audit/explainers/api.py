"""``explain``: one explainer on one model, the public entry point (re-exported as ``xa.explain``)."""

from __future__ import annotations

import inspect

import numpy as np
import pandas as pd

from xai_audit.exceptions import InvalidInputError, UnsupportedModelError
from xai_audit.explainers._tabular import select_rows
from xai_audit.explainers.base import Explanation
from xai_audit.explainers.registry import REGISTRY, explainer_class

METHODS = ("auto", "shap", "lime", "integrated_gradients", "saliency", "deeplift", "gradient_shap", "occlusion",
           "permutation")


def explain(model, data, *, method="auto", rows=None, random_state=None, **options) -> Explanation:
    """Explain a model's outputs on some rows of a dataset, per original feature.

    Parameters
    ----------
    model : ModelAdapter or anything :func:`xai_audit.load_model` takes
        A fitted estimator or Pipeline, a ``torch.nn.Module``, a model file, or an adapter.
    data : AuditDataset, DataFrame or ndarray
        The rows. A DataFrame holds the model's input columns (by name); an ndarray holds them in
        the model's order (or is an N×C×H×W image batch).
    method : str
        ``"auto"`` (SHAP for tabular models, Integrated Gradients for image models), ``"shap"``,
        ``"lime"``, ``"permutation"``, or a Captum method: ``"integrated_gradients"``, ``"saliency"``,
        ``"deeplift"``, ``"gradient_shap"``, ``"occlusion"``.
    rows : None, int or sequence of int
        None: every row (model-agnostic methods take a seeded sample, stated in ``meta``); an int: a
        seeded sample of that many rows; a sequence: those positions.
    random_state : int, optional
        Seeds every sampled step; the same seed gives the same explanation.
    **options
        Passed to the explainer (e.g. ``background_rows=100`` for SHAP, ``num_samples=5000`` for LIME).

    Returns
    -------
    Explanation
        ``values`` (n_rows, n_features) per original feature; ``meta`` says what was computed,
        in which output space, and how many rows (``rows_explained``, ``rows_total``, ``sampled``).

    Examples
    --------
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> X = pd.DataFrame({"a": np.arange(20.0), "b": np.tile([0.0, 1.0], 10)})
    >>> model = RandomForestClassifier(n_estimators=5, random_state=0).fit(X, (X["a"] > 9).astype(int))
    >>> e = explain(model, X, method="shap", rows=5, random_state=0)
    >>> e.values.shape, e.meta["algorithm_key"], e.meta["sampled"]
    ((5, 2), 'tree', True)
    """
    from xai_audit.adapters import load_model
    from xai_audit.adapters.pairing import align_classes, resolve_features

    if method not in METHODS and method not in REGISTRY:
        raise InvalidInputError(f"method must be one of {list(METHODS)}; got {method!r}.")
    adapter = load_model(model)
    dataset = as_dataset(data, adapter)
    features = resolve_features(adapter, dataset)
    adapter = align_classes(adapter, dataset)
    method = choose_method(adapter) if method == "auto" else method
    explainer = make_explainer(method, options)
    if not explainer.supports(adapter):
        raise UnsupportedModelError(
            f"The explainer '{method}' cannot explain the model '{adapter.name}' ({adapter.framework}, "
            f"{adapter.task}, {adapter.input_kind} input"
            + ("" if adapter.task == "regression" or adapter.has_proba else ", no class probabilities") + ")."
        )
    positions, sampled = select_rows(dataset.n_rows, rows, random_state=random_state, limit=explainer.row_limit(adapter))
    explanation = explainer.explain(adapter, dataset, features, positions, random_state=random_state)
    rows_explained = len(np.asarray(explanation.row_index))
    explanation.meta.update({"rows_explained": rows_explained, "rows_total": int(dataset.n_rows),
                             "sampled": bool(sampled or rows_explained < dataset.n_rows), "random_state": random_state})
    return explanation


def choose_method(adapter) -> str:
    """``"shap"`` for tabular models, ``"integrated_gradients"`` for image models."""
    if adapter.input_kind == "image":
        return "integrated_gradients"
    return "shap"


def make_explainer(method: str, options: dict):
    """An instance of the registered explainer ``method`` configured with ``options``."""
    chosen = explainer_class(method)
    try:
        inspect.signature(chosen).bind(**options)
    except TypeError:
        accepted = [p for p in inspect.signature(chosen).parameters if p != "self"]
        raise InvalidInputError(
            f"The explainer '{method}' takes the options {accepted}; got {sorted(options)}."
        ) from None
    return chosen(**options)


def as_dataset(data, adapter):
    """An :class:`~xai_audit.data.AuditDataset` from a dataset, a DataFrame or an array."""
    from xai_audit.data import AuditDataset

    if isinstance(data, AuditDataset):
        return data
    if isinstance(data, pd.DataFrame):
        return AuditDataset.from_frame(data.reset_index(drop=True))
    if isinstance(data, (np.ndarray, list)):
        array = np.asarray(data)
        if array.ndim in (3, 4) and adapter.input_kind == "image":
            return AuditDataset.from_arrays(array)
        if array.ndim != 2:
            raise InvalidInputError(f"An array of rows must be 2-D (n_rows, n_features); got shape {array.shape}.")
        names = adapter.feature_names
        if names is None or len(names) != array.shape[1]:
            names = [f"x{i}" for i in range(array.shape[1])]
        return AuditDataset.from_frame(pd.DataFrame(array, columns=list(names)))
    raise InvalidInputError(
        f"data must be an AuditDataset, a DataFrame or an array; got {type(data).__name__}."
    )
