"""Adapter for audits without a model: a column of predictions (and optionally scores) in the data."""

from __future__ import annotations

import numpy as np

from xai_audit.adapters.base import ModelAdapter
from xai_audit.exceptions import InvalidInputError


class PredictionsAdapter(ModelAdapter):
    """Predictions read from the dataset's own columns, for a vendor model out of reach.

    No explainer can run on it (there is no model to query); performance and fairness can.

    Parameters
    ----------
    dataset : AuditDataset
        Must name a ``predictions`` column; a ``scores`` column is used as the probability of the
        positive label when its values lie in [0, 1], and as a ranking score otherwise.
    """

    framework = "predictions"

    def __init__(self, dataset):
        if dataset.predictions is None:
            raise InvalidInputError(
                "No model was given and the data names no predictions column. Pass a model, or "
                "name the column holding the model's decisions (predictions='...' / --predictions)."
            )
        self.dataset = dataset
        self.name = f"predictions column '{dataset.predictions}'"
        self.task = dataset.task
        self.feature_names = None
        self.classes = dataset.classes
        self.positive_class = dataset.positive_label
        scores = dataset.scores_array()
        self.scores_are_probabilities = scores is not None and bool(
            np.all((scores >= 0) & (scores <= 1))
        )
        self.has_proba = self.task == "binary" and self.scores_are_probabilities

    def _rows(self, X) -> np.ndarray:
        return self.dataset.frame.index.get_indexer(X.index)

    def _predict(self, X) -> np.ndarray:
        return self.dataset.frame[self.dataset.predictions].to_numpy()[self._rows(X)]

    def _predict_proba(self, X) -> np.ndarray:
        if not self.has_proba:
            return super()._predict_proba(X)
        positive = self.dataset.scores_array()[self._rows(X)]
        proba = np.zeros((len(positive), 2))
        proba[:, self.positive_index] = positive
        proba[:, 1 - self.positive_index] = 1 - positive
        return proba
