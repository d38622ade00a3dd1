"""The cost of a recourse: a scale-free distance between a declined case and its suggested change.

A numeric change costs ``|new - old| / scale``, where the scale is the feature's median absolute
deviation (MAD) in the data: moving a feature by one typical spread costs 1, whatever its unit
(months, euros, a percentage). Where the MAD is 0 (most rows share one value) the mean absolute
deviation from the median is used instead, and 1 where that is 0 too; the record names the basis of
every scale. A change of category costs ``category_cost`` (1 by default: as much as moving a numeric
feature by one MAD). The cost of a suggestion is the sum over the features it changes (an L1
distance, as Wachter, Mittelstadt & Russell (2018) propose for counterfactual explanations).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

DISTANCE_NAME = "MAD-scaled L1"


@dataclass(frozen=True)
class CostModel:
    """Per-feature scales and the cost of a category change.

    Attributes
    ----------
    scales : dict
        ``feature -> scale`` for numeric features.
    bases : dict
        ``feature -> "median absolute deviation" | "mean absolute deviation" | "unit"``.
    category_cost : float
    """

    scales: dict
    bases: dict
    category_cost: float = 1.0

    def change_cost(self, feature: str, old, new) -> float:
        """The cost of changing ``feature`` from ``old`` to ``new``.

        Examples
        --------
        >>> model = CostModel({"months": 6.0}, {"months": "median absolute deviation"})
        >>> model.change_cost("months", 42, 30), model.change_cost("purpose", "car", "car"), model.change_cost("purpose", "car", "tv")
        (2.0, 0.0, 1.0)
        """
        if feature in self.scales:
            return float(abs(float(new) - float(old)) / self.scales[feature])
        return 0.0 if _same(old, new) else float(self.category_cost)

    def to_dict(self) -> dict:
        """The distance as the record states it."""
        return {
            "name": DISTANCE_NAME,
            "description": ("sum over the changed features of |change| / scale for numeric features (scale: the "
                            "feature's median absolute deviation in the audit data) plus "
                            f"{self.category_cost:g} for each changed category"),
            "category_cost": float(self.category_cost),
            "scales": {f: {"scale": float(s), "basis": self.bases[f]} for f, s in self.scales.items()},
        }


def fit_costs(frame: pd.DataFrame, numeric_features, *, category_cost: float = 1.0) -> CostModel:
    """Scales of ``numeric_features`` from ``frame``.

    Examples
    --------
    >>> frame = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0, 100.0], "b": [5.0, 5.0, 5.0, 5.0, 7.0]})
    >>> model = fit_costs(frame, ["a", "b"])
    >>> model.scales, model.bases["b"]
    ({'a': 1.0, 'b': 0.4}, 'mean absolute deviation')
    """
    scales, bases = {}, {}
    for feature in numeric_features:
        numbers = pd.to_numeric(frame[feature], errors="coerce").to_numpy(dtype=float)
        numbers = numbers[np.isfinite(numbers)]
        median = float(np.median(numbers)) if len(numbers) else 0.0
        deviations = np.abs(numbers - median)
        mad = float(np.median(deviations)) if len(numbers) else 0.0
        mean_dev = float(deviations.mean()) if len(numbers) else 0.0
        if mad > 0:
            scales[feature], bases[feature] = mad, "median absolute deviation"
        elif mean_dev > 0:
            scales[feature], bases[feature] = mean_dev, "mean absolute deviation"
        else:
            scales[feature], bases[feature] = 1.0, "unit"
    return CostModel(scales=scales, bases=bases, category_cost=float(category_cost))


def _same(a, b) -> bool:
    if a is None or b is None:
        return a is b
    try:
        if pd.isna(a) and pd.isna(b):
            return True
    except (TypeError, ValueError):
        pass
    return a == b
