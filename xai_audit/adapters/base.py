"""The one interface every model goes through: :class:`ModelAdapter`.

An adapter wraps a fitted model (scikit-learn, XGBoost, LightGBM, PyTorch) or a column of
predictions, and answers the questions an audit asks of it: its task and classes, its input
features, its predictions and probabilities, and what it can do (probabilities, gradients). The
explainers and the audit speak only to this interface, never to the framework underneath.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass

import numpy as np
import pandas as pd

from xai_audit.exceptions import ModelError, XaiAuditError

TASKS = ("binary", "multiclass", "regression")


@dataclass(frozen=True)
class ColumnGroup:
    """The model-input columns that one original feature became (one-hot encoding makes many)."""

    feature: str
    columns: tuple[int, ...]


class ModelAdapter(abc.ABC):
    """A fitted model as the audit sees it.

    Attributes
    ----------
    name : str
        A readable name (the file name, or the estimator's class).
    framework : str
        ``"sklearn"``, ``"xgboost"``, ``"lightgbm"``, ``"torch"`` or ``"predictions"``.
    task : str
        ``"binary"``, ``"multiclass"`` or ``"regression"``.
    classes : tuple or None
        Class labels in the order of ``predict_proba``'s columns; None for regression.
    positive_class : object or None
        The class whose probability is explained and counted as the favourable outcome.
    feature_names : tuple of str or None
        The input columns, in the order the model takes them; None where the model does not say.
    input_kind : str
        ``"tabular"`` (a DataFrame of named columns) or ``"image"`` (an N×C×H×W array).
    sha256 : str or None
        SHA-256 of the artifact the model was loaded from; None for in-memory objects.
    has_proba, has_gradients : bool
        Capability flags: the model gives class probabilities; gradients flow to its input.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn.linear_model import LogisticRegression
    >>> import xai_audit as xa
    >>> X = pd.DataFrame({"income": [1.0, 2, 3, 4, 5, 6]})
    >>> adapter = xa.load_model(LogisticRegression().fit(X, [0, 0, 0, 1, 1, 1]))
    >>> adapter.task, adapter.classes, adapter.has_proba, adapter.sha256 is None
    ('binary', (0, 1), True, True)
    >>> adapter.predict_proba(X).shape
    (6, 2)
    """

    name: str
    framework: str
    task: str
    classes: tuple | None = None
    positive_class: object | None = None
    feature_names: tuple[str, ...] | None = None
    input_kind: str = "tabular"
    sha256: str | None = None
    has_proba: bool = False
    has_gradients: bool = False

    @abc.abstractmethod
    def _predict(self, X) -> np.ndarray:
        """Labels (classification) or values (regression) for ``X``, straight from the model."""

    def _predict_proba(self, X) -> np.ndarray:
        """Class probabilities, one column per entry of ``classes``. Only when ``has_proba``."""
        raise ModelError(f"The model '{self.name}' gives no class probabilities.")

    # -- public calls: validated, shape-checked -------------------------------------------------

    def predict(self, X) -> np.ndarray:
        """Predicted labels or values for ``X``, one per row (1-D), checked for shape."""
        X = self.select_features(X)
        result = self._guarded("predict", self._predict, X)
        result = np.asarray(result)
        if result.ndim == 2 and result.shape[1] == 1:
            result = result[:, 0]
        self._check_rows("predict", result, X, ndim=1)
        return result

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities for ``X`` as an (n_rows, n_classes) array, checked for shape."""
        X = self.select_features(X)
        result = np.asarray(self._guarded("predict_proba", self._predict_proba, X), dtype=float)
        self._check_rows("predict_proba", result, X, ndim=2)
        if result.shape[1] != len(self.classes):
            raise ModelError(
                f"The model '{self.name}' returned {result.shape[1]} probability columns for "
                f"{len(self.classes)} classes {list(self.classes)}; each class needs one column."
            )
        return result

    def output(self, X) -> np.ndarray:
        """The number the explainers explain, one per row.

        Binary: the probability of ``positive_class``. Regression: the prediction. Multiclass: the
        probability of each row's predicted class.
        """
        if self.task == "regression":
            return self.predict(X).astype(float)
        proba = self.predict_proba(X)
        if self.task == "binary":
            return proba[:, self.positive_index]
        return proba[np.arange(len(proba)), proba.argmax(axis=1)]

    @property
    def positive_index(self) -> int:
        """Column of ``positive_class`` in ``predict_proba``'s output."""
        return list(self.classes).index(self.positive_class)

    # -- preprocessing, for explainers that work in the model's own input space -----------------

    @property
    def preprocessor(self):
        """The fitted scikit-learn transformer in front of the model, or None."""
        return None

    def column_groups(self) -> list[ColumnGroup] | None:
        """Which model-input columns belong to which original feature; None if there is no
        preprocessor or its output columns cannot be traced back to the input features."""
        return None

    def select_features(self, X):
        """``X`` restricted to the model's input columns, in the model's order."""
        if self.input_kind != "tabular" or not isinstance(X, pd.DataFrame):
            return X
        if self.feature_names is None:
            return X
        return X.loc[:, list(self.feature_names)]

    # -- helpers ----------------------------------------------------------------------------------

    def _guarded(self, what, call, X):
        try:
            return call(X)
        except XaiAuditError:
            raise
        except Exception as error:  # the model's own failure, whatever its type
            raise ModelError(
                f"The model '{self.name}' raised {type(error).__name__} in {what}: {error}. "
                "Check that the data has the columns, types and categories the model was trained on."
            ) from error

    def _check_rows(self, what, result, X, *, ndim):
        n_rows = len(X)
        if result.ndim != ndim or result.shape[0] != n_rows:
            raise ModelError(
                f"The model '{self.name}' returned an array of shape {result.shape} from {what} for "
                f"{n_rows} rows; expected {'(n_rows,)' if ndim == 1 else '(n_rows, n_classes)'}."
            )

    def describe(self) -> dict:
        """The model section of the audit record."""
        return {
            "name": self.name,
            "framework": self.framework,
            "task": self.task,
            "classes": None if self.classes is None else [_plain(c) for c in self.classes],
            "positive_class": _plain(self.positive_class),
            "features": None if self.feature_names is None else list(self.feature_names),
            "input_kind": self.input_kind,
            "sha256": self.sha256,
            "capabilities": {"proba": self.has_proba, "gradients": self.has_gradients},
        }


def _plain(value):
    """A numpy scalar as the matching Python scalar, so it can go into JSON."""
    return value.item() if isinstance(value, np.generic) else value
