"""Exact recourse for models whose log-odds are affine in the numeric features (logistic regression).

When the log-odds are ``d(x) = b + sum_j w_j x_j`` over the mutable numeric features (whatever the
scaling in front of the model, and whatever the categorical features contribute), turning a decline
(``d(x) <= 0``) into an approval needs a rise of ``G = -d(x)`` (plus a margin of 1e-9, so that the
approval is strict). Moving feature ``j`` by ``delta`` raises the log-odds by ``w_j * delta`` and costs
``|delta| / scale_j``: a rise of ``|w_j| * scale_j`` per unit of cost, its efficiency. With every
feature limited to its allowed interval, the cheapest change over a set of features is to move the
most efficient feature first, up to its bound, then the next (a fractional knapsack, which the greedy
order solves exactly); over at most ``k`` features, the cheapest of these over every set of at most
``k`` features. This is the distance to the decision hyperplane in the weighted L1 norm, with bounds.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd

from xai_audit.recourse.search import Suggestion

MARGIN = 1e-9
# Largest disagreement between two finite-difference slopes that still counts as affine.
AFFINE_TOLERANCE = 1e-8


@dataclass(frozen=True)
class LinearForm:
    """The model's log-odds of approval as an affine function of the mutable numeric features.

    Attributes
    ----------
    weights : dict
        ``feature -> w_j``, the rise in log-odds per unit of the feature.
    sign : int
        +1 when the approval class is the model's ``classes_[1]`` (``decision_function`` > 0), else -1.
    """

    weights: dict
    sign: int
    estimator: object
    features: tuple

    def log_odds(self, frame: pd.DataFrame) -> np.ndarray:
        """The log-odds of approval for each row of ``frame``."""
        return self.sign * np.asarray(self.estimator.decision_function(frame.loc[:, list(self.features)]), dtype=float)


def linear_form(adapter, constraints, frame: pd.DataFrame) -> LinearForm | None:
    """The affine form of a binary logistic model's log-odds in its mutable numeric features, or None
    when the model has no ``decision_function`` matching its probabilities, or is not affine in them.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from xai_audit import AuditDataset, load_model
    >>> from xai_audit.recourse.constraints import build_constraints
    >>> df = pd.DataFrame({"a": [0.0, 1, 2, 3, 4, 5], "y": [0, 0, 0, 1, 1, 1]})
    >>> adapter = load_model(LogisticRegression(C=1.0).fit(df[["a"]], df["y"]))
    >>> form = linear_form(adapter, build_constraints(AuditDataset.from_frame(df, target="y"), ["a"]), df)
    >>> round(form.weights["a"], 6) == round(float(adapter.estimator.coef_[0, 0]), 6)
    True
    """
    estimator = getattr(adapter, "estimator", None)
    final = getattr(adapter, "final_estimator", estimator)
    if adapter.task != "binary" or estimator is None or not hasattr(estimator, "decision_function") \
            or getattr(final, "coef_", None) is None:
        return None  # only a linear final step can be affine (boosted trees have a decision_function too)
    features = tuple(constraints.features)
    rows = frame.loc[:, list(features)].iloc[:16].reset_index(drop=True)
    try:
        decision = np.asarray(estimator.decision_function(rows), dtype=float)
        proba = adapter.predict_proba(rows)[:, adapter.positive_index]
    except Exception:  # the model cannot say: no closed form
        return None
    classes = list(estimator.classes_)
    sign = 1 if adapter.positive_class == classes[-1] else -1
    p = np.clip(proba, 1e-12, 1 - 1e-12)
    if decision.ndim != 1 or not np.allclose(sign * decision, np.log(p) - np.log1p(-p), atol=1e-6):
        return None
    form = LinearForm(weights={}, sign=sign, estimator=estimator, features=features)
    base = form.log_odds(rows)
    weights = {}
    for feature in constraints.mutable:
        if constraints.kinds[feature] != "numeric":
            continue
        values = pd.to_numeric(rows[feature], errors="coerce").to_numpy(dtype=float)
        slopes = []
        for step in (1.0, 10.0):
            moved = rows.copy()
            moved[feature] = values + step
            slopes.append((form.log_odds(moved) - base) / step)
        slopes = np.concatenate(slopes)
        slopes = slopes[np.isfinite(slopes)]
        if len(slopes) == 0 or np.ptp(slopes) > AFFINE_TOLERANCE * max(1.0, float(np.abs(slopes).max())):
            return None
        weights[feature] = float(np.mean(slopes))
    return LinearForm(weights=weights, sign=sign, estimator=estimator, features=features)


def closed_form_recourse(form: LinearForm, constraints, costs, cases: pd.DataFrame, *,
                         whole_numbers: bool = True) -> list:
    """The exact cheapest change of at most ``max_features`` mutable numeric features for each case.

    Parameters
    ----------
    form : LinearForm
    constraints : Constraints
    costs : CostModel
    cases : pandas.DataFrame
    whole_numbers : bool
        Round whole-numbered features away from the case's value afterwards (the result is then
        exact only up to that rounding; the cost is recomputed).

    Returns
    -------
    list of Suggestion or None
        None for a case already approved, or one no change of the numeric features can approve.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from xai_audit import AuditDataset, load_model
    >>> from xai_audit.recourse.constraints import build_constraints
    >>> from xai_audit.recourse.cost import fit_costs
    >>> df = pd.DataFrame({"a": [0.0, 1, 2, 3, 4, 5, 6, 7], "y": [0, 0, 0, 1, 0, 1, 1, 1]})
    >>> adapter = load_model(LogisticRegression().fit(df[["a"]], df["y"]))
    >>> constraints = build_constraints(AuditDataset.from_frame(df, target="y"), ["a"])
    >>> form, costs = linear_form(adapter, constraints, df), fit_costs(df, ["a"])
    >>> [s] = closed_form_recourse(form, constraints, costs, df.loc[[0], ["a"]], whole_numbers=False)
    >>> bool(abs(form.log_odds(pd.DataFrame({"a": [s.changes[0][2]]}))[0]) < 1e-6)  # on the boundary
    True
    """
    cases = cases.loc[:, list(constraints.features)].reset_index(drop=True)
    n = len(cases)
    names = [f for f, w in form.weights.items() if w != 0]
    if n == 0:
        return []
    needed = -form.log_odds(cases) + MARGIN
    x = {f: pd.to_numeric(cases[f], errors="coerce").to_numpy(dtype=float) for f in names}
    capacity, efficiency, direction = {}, {}, {}
    for f in names:
        w = form.weights[f]
        low, high = np.minimum(constraints.low[f], x[f]), np.maximum(constraints.high[f], x[f])
        way = constraints.direction.get(f)
        room = high - x[f] if w > 0 else x[f] - low
        if (way == "increase" and w < 0) or (way == "decrease" and w > 0):
            room = np.zeros(n)
        capacity[f] = np.nan_to_num(np.abs(w) * room, nan=0.0)
        efficiency[f] = abs(w) * costs.scales[f]
        direction[f] = 1.0 if w > 0 else -1.0
    best_cost = np.full(n, np.inf)
    best_moves = [None] * n
    for size in range(1, min(constraints.max_features, len(names)) + 1):
        for subset in combinations(names, size):
            ordered = sorted(subset, key=lambda f: -efficiency[f])
            remaining = needed.copy()
            cost = np.zeros(n)
            moves = {}
            for f in ordered:
                take = np.clip(np.minimum(capacity[f], remaining), 0.0, None)
                moves[f] = direction[f] * take / abs(form.weights[f])
                cost += take / efficiency[f]
                remaining = remaining - take
            reached = (remaining <= 0) & (needed > 0)
            better = reached & (cost < best_cost)
            for i in np.flatnonzero(better):
                best_cost[i] = cost[i]
                best_moves[i] = {f: float(moves[f][i]) for f in ordered if moves[f][i] != 0}
    results = []
    for i in range(n):
        if best_moves[i] is None:
            results.append(None)
            continue
        changes = []
        for f, move in best_moves[i].items():
            new = x[f][i] + move
            if whole_numbers and constraints.integer.get(f):
                new = float(np.ceil(new - 1e-9) if move > 0 else np.floor(new + 1e-9))
            changes.append((f, _plain(cases.at[i, f]), new))
        cost = float(sum(costs.change_cost(f, old, new) for f, old, new in changes))
        results.append(Suggestion(changes=tuple(changes), cost=cost, score=float("nan")))
    return results


def _plain(value):
    return value.item() if isinstance(value, np.generic) else value
