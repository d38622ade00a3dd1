"""The explainer interface and the one ``Explanation`` container.

Every explainer (SHAP, LIME, Captum's attributions, permutation importance) is a subclass of
:class:`Explainer` with one abstract method, ``explain``, and capability flags; it is listed by name
in :mod:`xai_audit.explainers.registry`. Whatever it computes comes back as an :class:`Explanation`
whose shape does not depend on the explainer.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field

import numpy as np
import pandas as pd


@dataclass(frozen=True, eq=False)
class Explanation:
    """Attributions for some rows of a dataset, in the user's original features.

    Attributes
    ----------
    values : ndarray
        (n_rows, n_features) for tabular models (one column per original feature, one-hot columns
        summed back); (n_rows, C, H, W) for image models.
    base_values : ndarray
        (n_rows,): for additive methods ``values.sum(axis=1) + base_values == output``.
    output : ndarray
        (n_rows,): the model output explained (probability of the positive class, the regression
        value, or the probability of the target class).
    data : DataFrame or ndarray
        The explained rows, as given (original features, or the images).
    feature_names : tuple of str
    row_index : ndarray
        Positions of the explained rows in the dataset.
    method : str
        Registry name of the explainer (``"shap"``, ``"lime"``, ``"integrated_gradients"``...).
    meta : dict
        What was done: the underlying algorithm, output space, background size, samples, steps,
        convergence delta, whether encoded columns were summed to original features, timings.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn.linear_model import LinearRegression
    >>> import xai_audit as xa
    >>> df = pd.DataFrame({"a": [0.0, 1, 2, 3, 4, 5], "b": [1.0, 0, 1, 0, 1, 0]})
    >>> df["y"] = 2 * df["a"] - 3 * df["b"] + 0.5
    >>> model = LinearRegression().fit(df[["a", "b"]], df["y"])
    >>> e = xa.explain(model, xa.AuditDataset.from_frame(df, target="y", task="regression"), method="shap",
    ...                random_state=0)
    >>> e.values.shape, e.feature_names
    ((6, 2), ('a', 'b'))
    >>> bool(np.allclose(e.values.sum(axis=1) + e.base_values, e.output))
    True
    """

    values: np.ndarray
    base_values: np.ndarray
    output: np.ndarray
    data: object
    feature_names: tuple[str, ...]
    row_index: np.ndarray
    method: str
    meta: dict = field(default_factory=dict)

    @property
    def n_rows(self) -> int:
        return int(self.values.shape[0])

    def global_importance(self) -> dict:
        """Mean absolute attribution per feature (tabular), largest first."""
        flat = np.abs(self.values.reshape(self.n_rows, -1)).mean(axis=0)
        order = np.argsort(-flat, kind="stable")
        names = self.feature_names if len(self.feature_names) == flat.size else [str(i) for i in range(flat.size)]
        return {names[i]: float(flat[i]) for i in order}

    def additivity_error(self) -> float:
        """Largest |sum of attributions + base value − output| over the rows."""
        total = self.values.reshape(self.n_rows, -1).sum(axis=1) + np.asarray(self.base_values, dtype=float)
        return float(np.max(np.abs(total - self.output))) if self.n_rows else 0.0

    def to_dict(self) -> dict:
        """A JSON-ready dict (arrays as lists); :meth:`from_dict` restores it exactly."""
        data = self.data.to_dict(orient="split") if isinstance(self.data, pd.DataFrame) else np.asarray(self.data).tolist()
        return {
            "method": self.method,
            "values": np.asarray(self.values, dtype=float).tolist(),
            "base_values": np.asarray(self.base_values, dtype=float).tolist(),
            "output": np.asarray(self.output, dtype=float).tolist(),
            "data": data,
            "data_kind": "frame" if isinstance(self.data, pd.DataFrame) else "array",
            "feature_names": list(self.feature_names),
            "row_index": np.asarray(self.row_index).astype(int).tolist(),
            "meta": self.meta,
        }

    @classmethod
    def from_dict(cls, record: dict) -> "Explanation":
        if record["data_kind"] == "frame":
            split = record["data"]
            data = pd.DataFrame(split["data"], index=split["index"], columns=split["columns"])
        else:
            data = np.asarray(record["data"])
        return cls(values=np.asarray(record["values"], dtype=float), base_values=np.asarray(record["base_values"], dtype=float),
                   output=np.asarray(record["output"], dtype=float), data=data,
                   feature_names=tuple(record["feature_names"]), row_index=np.asarray(record["row_index"], dtype=int),
                   method=record["method"], meta=record["meta"])


class Explainer(abc.ABC):
    """One explanation method.

    Class attributes
    ----------------
    name : str
        The registry name.
    additive : bool
        Attributions plus base value add up to the output (SHAP; IG up to its convergence delta).
    local : bool
        Gives per-row attributions (permutation importance does not).
    """

    name: str = ""
    additive: bool = False
    local: bool = True

    @classmethod
    @abc.abstractmethod
    def supports(cls, adapter) -> bool:
        """Whether this explainer can explain ``adapter`` (capability check, no computation)."""

    @abc.abstractmethod
    def explain(self, adapter, data, features, rows, *, random_state=None) -> Explanation:
        """Explain ``rows`` (positions into ``data``) of ``adapter`` on ``data``'s ``features``."""

    def row_limit(self, adapter) -> int | None:
        """The most rows this explainer takes for ``adapter`` (model-agnostic methods sample); None: all."""
        return None
