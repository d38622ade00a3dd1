"""Adapter for scikit-learn estimators and Pipelines, and XGBoost / LightGBM through their sklearn API."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import is_classifier
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from xai_audit.adapters.base import ColumnGroup, ModelAdapter
from xai_audit.adapters.threads import prediction_threads
from xai_audit.exceptions import ModelError, UnsupportedModelError


class SklearnAdapter(ModelAdapter):
    """A fitted scikit-learn-compatible estimator (a Pipeline included).

    Parameters
    ----------
    estimator : object
        A fitted estimator with ``predict`` (and ``predict_proba`` for classifiers).
    name : str, optional
        A readable name; default the estimator's class name.
    sha256 : str, optional
        SHA-256 of the file it was loaded from.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> model = SklearnAdapter(LogisticRegression().fit([[0.0], [1.0]], [0, 1]))
    >>> model.task, model.classes
    ('binary', (0, 1))
    """

    def __init__(self, estimator, *, name: str | None = None, sha256: str | None = None):
        if not hasattr(estimator, "predict"):
            raise UnsupportedModelError(
                f"The model of type {type(estimator).__name__} has no 'predict' method; "
                "xai-audit audits fitted scikit-learn-compatible estimators, PyTorch modules, "
                "or a predictions column (model=None)."
            )
        try:
            check_is_fitted(estimator)
        except NotFittedError as error:
            raise UnsupportedModelError(
                f"The model {type(estimator).__name__} is not fitted. Fit it on training data "
                "(model.fit(X, y)) before auditing it."
            ) from error
        except (TypeError, AttributeError):
            pass  # not an sklearn estimator in the strict sense (no tags); predict will tell
        self.estimator = estimator
        self.name = name or type(estimator).__name__
        self.sha256 = sha256
        self.framework = _framework_of(estimator)
        final = estimator[-1] if isinstance(estimator, Pipeline) else estimator
        self.final_estimator = final
        names = getattr(estimator, "feature_names_in_", None)
        self.feature_names = None if names is None else tuple(str(n) for n in names)
        if _is_classifier(estimator) or hasattr(final, "classes_"):
            raw = getattr(estimator, "classes_", getattr(final, "classes_", ()))
            classes = tuple(c.item() if isinstance(c, np.generic) else c for c in raw)
            if len(classes) < 2:
                raise UnsupportedModelError(
                    f"The classifier {self.name} knows {len(classes)} class(es) {list(classes)}; "
                    "it must have been fitted on at least two classes."
                )
            self.classes = classes
            self.task = "binary" if len(classes) == 2 else "multiclass"
            self.positive_class = classes[-1] if self.task == "binary" else None
            self.has_proba = hasattr(estimator, "predict_proba")
        else:
            self.task = "regression"
            self.classes = None
            self.positive_class = None
            self.has_proba = False
        self.has_gradients = False

    def _model_input(self, X):
        if isinstance(X, pd.DataFrame) and self.feature_names is None:
            return X.to_numpy()
        return X

    def _predict(self, X) -> np.ndarray:
        with prediction_threads(len(X)):
            labels = self.estimator.predict(self._model_input(X))
        if self.classes is not None and len(np.asarray(labels)) == len(X):  # a wrong shape is reported first
            check_labels(np.asarray(labels), self.classes, self.name)
        return labels

    def _predict_proba(self, X) -> np.ndarray:
        if not self.has_proba:
            return super()._predict_proba(X)
        with prediction_threads(len(X)):
            proba = self.estimator.predict_proba(self._model_input(X))
        check_probabilities(proba, self.name)
        return proba

    @property
    def preprocessor(self):
        """All Pipeline steps but the last (fitted), or None for a bare estimator."""
        if isinstance(self.estimator, Pipeline) and len(self.estimator.steps) > 1:
            return self.estimator[:-1]
        return None

    def column_groups(self) -> list[ColumnGroup] | None:
        """Trace the preprocessor's output columns back to the input features by their names."""
        if self.preprocessor is None or self.feature_names is None:
            return None
        try:
            out_names = [str(n) for n in self.preprocessor.get_feature_names_out()]
        except Exception:  # a transformer without get_feature_names_out: cannot trace
            return None
        return group_columns_by_feature(out_names, self.feature_names)


def check_labels(labels: np.ndarray, classes, name: str) -> None:
    """Refuse predicted labels that are not among the model's ``classes`` (else every one counts as wrong).

    Examples
    --------
    >>> check_labels(np.array(["a", "c"]), ("a", "b"), "m")
    Traceback (most recent call last):
    ...
    xai_audit.exceptions.ModelError: The model 'm' predicted labels ['c'] that are not among its classes ['a', 'b'] (1 of 2 rows); its predict and classes_ disagree. Fix the model's classes_ (or wrap predict so it returns one of them) before auditing.
    """
    known = {str(c) for c in classes}
    flat = pd.Series(labels.ravel())
    plain = lambda v: str(v.item() if isinstance(v, np.generic) else v)  # noqa: E731
    strangers = [value for value in pd.unique(flat) if plain(value) not in known]
    if strangers:
        shown = sorted(plain(v) for v in strangers)[:5]
        raise ModelError(
            f"The model '{name}' predicted labels {shown} that are not among its classes {[str(c) for c in classes]} "
            f"({int(flat.isin(strangers).sum())} of {len(flat)} rows); its predict and classes_ disagree. Fix the model's classes_ (or "
            "wrap predict so it returns one of them) before auditing.")


def check_probabilities(proba, name: str, tolerance: float = 1e-6) -> None:
    """Refuse class probabilities that are not finite numbers in [0, 1] summing to 1 per row.

    Examples
    --------
    >>> check_probabilities(np.array([[0.2, 1.3]]), "m")
    Traceback (most recent call last):
    ...
    xai_audit.exceptions.ModelError: The model 'm' returned probabilities outside [0, 1] (from 0.2 to 1.3); predict_proba must return class probabilities (apply a softmax or calibrate the scores) before auditing.
    """
    values = np.asarray(proba, dtype=float)
    if not np.all(np.isfinite(values)):
        raise ModelError(f"The model '{name}' returned {int(np.sum(~np.isfinite(values)))} non-finite probabilities "
                         "(nan or inf); check the model's inputs and predict_proba before auditing.")
    if values.size and (values.min() < -tolerance or values.max() > 1 + tolerance):
        raise ModelError(
            f"The model '{name}' returned probabilities outside [0, 1] (from {values.min():.3g} to {values.max():.3g}); "
            "predict_proba must return class probabilities (apply a softmax or calibrate the scores) before auditing.")
    if values.ndim == 2 and values.shape[1] > 1 and values.size:
        worst = float(np.max(np.abs(values.sum(axis=1) - 1.0)))
        if worst > 1e-3:
            raise ModelError(
                f"The model '{name}' returned class probabilities whose rows do not sum to 1 (off by up to {worst:.3g}); "
                "predict_proba must return one probability per class, summing to 1, before auditing.")


def group_columns_by_feature(out_names, feature_names) -> list[ColumnGroup] | None:
    """Match encoded column names such as ``cat__purpose_car`` to the input feature ``purpose``.

    A name matches a feature when, after the transformer's ``name__`` prefix, it equals the feature or
    starts with the feature followed by ``_``; the longest match wins. Returns None when any column
    cannot be matched, because a wrong mapping would silently misattribute.
    """
    ordered = sorted(feature_names, key=len, reverse=True)
    members: dict[str, list[int]] = {name: [] for name in feature_names}
    for index, raw in enumerate(out_names):
        candidates = [raw, raw.split("__", 1)[1]] if "__" in raw else [raw]
        owner = next(
            (f for c in candidates for f in ordered if c == f or c.startswith(f + "_")), None
        )
        if owner is None:
            return None
        members[owner].append(index)
    return [ColumnGroup(name, tuple(cols)) for name, cols in members.items() if cols]


def _framework_of(estimator) -> str:
    final = estimator[-1] if isinstance(estimator, Pipeline) else estimator
    module = type(final).__module__.split(".")[0]
    return module if module in ("xgboost", "lightgbm") else "sklearn"


def _is_classifier(estimator) -> bool:
    """scikit-learn's ``is_classifier``, False for a duck-typed model without scikit-learn's tags."""
    try:
        return bool(is_classifier(estimator))
    except (AttributeError, TypeError):
        return False
