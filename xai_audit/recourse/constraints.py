"""What a recourse suggestion may change: immutable features, one-way features, observed ranges.

A suggestion changes only original columns of the data (never an encoded column), and only within
what the data shows is possible: numeric values within the observed range, categories among the
observed categories. Sensitive attributes that are model inputs never change; nor does any feature
that the policy's ``[recourse]`` table or a ``recourse.toml`` file declares immutable. One-way
features may only rise (``increase_only``: age, years employed, number of past defaults) or only
fall (``decrease_only``).

A ``recourse.toml`` file has the keys of the policy's ``[recourse]`` table, at the top level or
under a ``[recourse]`` table::

    immutable = ["foreign_worker"]
    increase_only = ["age_years"]
    decrease_only = []
    max_features = 3        # at most this many features change
    budget = 2.0            # a recourse within this cost counts as within budget
    category_cost = 1.0     # the cost of changing a category (numeric changes cost |change| / scale)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from xai_audit._toml import read_toml
from xai_audit.exceptions import InvalidInputError

LIST_KEYS = ("immutable", "increase_only", "decrease_only")
NUMBER_KEYS = ("max_features", "budget", "category_cost", "sample")
# Keys of the policy's [recourse] table that a recourse.toml file cannot set.
POLICY_ONLY_KEYS = ("enabled", "constraints", "n_resamples")
DEFAULTS = {"max_features": 3, "budget": 2.0, "category_cost": 1.0, "sample": 1000}
# Quantile levels of a numeric feature's grid of candidate values (observed values only).
GRID_LEVELS = np.linspace(0.0, 1.0, 21)


@dataclass(frozen=True)
class Constraints:
    """The features a search may change and how, for one model on one dataset.

    Attributes
    ----------
    features : tuple of str
        The model's input columns, in order.
    kinds : dict
        ``feature -> "numeric" | "categorical"``.
    mutable : tuple of str
        The features a suggestion may change.
    immutable : dict
        ``feature -> why it may not change`` (a sensitive attribute, declared immutable, a single
        observed value).
    direction : dict
        ``feature -> "increase" | "decrease"`` for one-way features.
    low, high : dict
        Observed range of each numeric feature.
    integer : dict
        ``feature -> True`` where every observed value is a whole number (suggestions stay whole).
    categories : dict
        Observed categories of each categorical feature.
    max_features, budget, category_cost : number
        At most this many features change; the cost line of "within budget"; the cost of a category change.
    skipped : tuple of str
        Names the policy declared that are not features of this model (a generic policy may name columns
        of other datasets); recorded, not an error.
    """

    features: tuple
    kinds: dict
    mutable: tuple
    immutable: dict
    direction: dict
    low: dict
    high: dict
    integer: dict
    categories: dict
    max_features: int = 3
    budget: float = 2.0
    category_cost: float = 1.0
    skipped: tuple = field(default_factory=tuple)

    def to_dict(self) -> dict:
        """The constraints as the record states them."""
        return {
            "mutable": list(self.mutable),
            "immutable": dict(self.immutable),
            "increase_only": sorted(f for f, d in self.direction.items() if d == "increase"),
            "decrease_only": sorted(f for f, d in self.direction.items() if d == "decrease"),
            "ranges": "numeric values stay within the observed range and categories among the observed ones",
            "max_features": int(self.max_features),
            "budget": float(self.budget),
            "declared_but_not_features": list(self.skipped),
        }


def read_recourse_toml(path) -> dict:
    """Read and validate a ``recourse.toml`` file; the keys are those of the policy's ``[recourse]`` table.

    Examples
    --------
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "recourse.toml")
    >>> _ = open(path, "w").write('immutable = ["foreign_worker"]\\nmax_features = 2\\n')
    >>> read_recourse_toml(path)
    {'immutable': ['foreign_worker'], 'max_features': 2}
    """
    raw = read_toml(path)
    if set(raw) == {"recourse"} and isinstance(raw["recourse"], dict):
        raw = raw["recourse"]
    return check_settings(raw, source=f"the recourse file '{path}'", allow_policy_keys=False)


def check_settings(raw: dict, *, source: str, allow_policy_keys: bool = True) -> dict:
    """Check the types of recourse settings; raise :class:`InvalidInputError` naming the key and the fix."""
    if not isinstance(raw, dict):
        raise InvalidInputError(f"In {source}, the recourse settings must be a table; got {type(raw).__name__}.")
    allowed = set(LIST_KEYS) | set(NUMBER_KEYS) | (set(POLICY_ONLY_KEYS) if allow_policy_keys else set())
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise InvalidInputError(f"In {source}, the recourse settings have unknown keys {unknown}; allowed: {sorted(allowed)}.")
    for key in LIST_KEYS:
        value = raw.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise InvalidInputError(f"In {source}, '{key}' must be a list of column names, e.g. {key} = [\"age_years\"]; got {value!r}.")
    for key in NUMBER_KEYS:
        value = raw.get(key)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise InvalidInputError(f"In {source}, '{key}' must be a positive number; got {value!r}.")
        if key in ("max_features", "sample") and int(value) != value:
            raise InvalidInputError(f"In {source}, '{key}' must be a whole number; got {value!r}.")
    both = sorted(set(raw.get("increase_only", [])) & set(raw.get("decrease_only", [])))
    if both:
        raise InvalidInputError(
            f"In {source}, {both} are both increase_only and decrease_only; a feature that may neither rise "
            "nor fall belongs in 'immutable'.")
    return dict(raw)


def build_constraints(data, features, *, policy_settings=None, file_settings=None) -> Constraints:
    """The constraints for ``features`` of ``data``: the policy's ``[recourse]`` table, overridden by a file.

    Parameters
    ----------
    data : AuditDataset
    features : sequence of str
        The model's input columns.
    policy_settings : dict, optional
        The policy's ``[recourse]`` table. Names that are not features are skipped (and recorded).
    file_settings : dict, optional
        A validated ``recourse.toml`` (:func:`read_recourse_toml`). Names that are not features are an error.

    Examples
    --------
    >>> from xai_audit import AuditDataset
    >>> df = pd.DataFrame({"age": [20, 30, 40], "sex": ["f", "m", "f"], "y": [0, 1, 1]})
    >>> data = AuditDataset.from_frame(df, target="y", sensitive=["sex"])
    >>> c = build_constraints(data, ["age", "sex"], policy_settings={"increase_only": ["age"]})
    >>> c.mutable, c.immutable, c.direction
    (('age',), {'sex': 'a sensitive attribute'}, {'age': 'increase'})
    """
    features = tuple(str(f) for f in features)
    policy_settings = check_settings(policy_settings or {}, source="the policy's [recourse] table")
    file_settings = dict(file_settings or {})
    for key in LIST_KEYS:
        unknown = [f for f in file_settings.get(key, []) if f not in features]
        if unknown:
            raise InvalidInputError(
                f"The recourse file names {unknown} under '{key}', which are not inputs of the model; its inputs are "
                f"{list(features)}. Correct the names (they must match the data's columns).")
    merged = {**DEFAULTS, **{k: v for k, v in policy_settings.items() if k in NUMBER_KEYS},
              **{k: v for k, v in file_settings.items() if k in NUMBER_KEYS}}
    declared = {key: list(policy_settings.get(key, [])) + list(file_settings.get(key, [])) for key in LIST_KEYS}
    skipped = sorted({f for key in LIST_KEYS for f in declared[key] if f not in features})
    frame = data.frame
    kinds = {f: data.feature_kinds.get(f, "numeric") for f in features}
    immutable, direction, low, high, integer, categories = {}, {}, {}, {}, {}, {}
    for feature in features:
        values = frame[feature]
        if kinds[feature] == "numeric":
            numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
            numbers = numbers[np.isfinite(numbers)]
            if len(numbers) == 0:
                immutable[feature] = "no observed numeric value"
                continue
            low[feature], high[feature] = float(numbers.min()), float(numbers.max())
            integer[feature] = bool(np.all(numbers == np.round(numbers)))
            if low[feature] == high[feature]:
                immutable[feature] = "a single observed value"
        else:
            observed = pd.unique(values.dropna())
            categories[feature] = tuple(_plain(v) for v in observed)
            if len(observed) < 2:
                immutable[feature] = "a single observed category"
    for feature in data.sensitive:
        if feature in features:
            immutable[feature] = "a sensitive attribute"
    for feature in declared["immutable"]:
        if feature in features:
            immutable.setdefault(feature, "declared immutable")
    for key, way in (("increase_only", "increase"), ("decrease_only", "decrease")):
        for feature in declared[key]:
            if feature in features and feature not in immutable:
                if kinds[feature] != "numeric":
                    raise InvalidInputError(
                        f"'{feature}' is declared {key} but is categorical; one-way constraints apply to numeric "
                        "features (declare it immutable, or give it as a number).")
                if direction.get(feature, way) != way:
                    raise InvalidInputError(f"'{feature}' is declared both increase_only and decrease_only; "
                                            "declare it immutable instead.")
                direction[feature] = way
    mutable = tuple(f for f in features if f not in immutable)
    return Constraints(
        features=features, kinds=kinds, mutable=mutable, immutable=immutable, direction=direction,
        low=low, high=high, integer=integer, categories=categories,
        max_features=int(merged["max_features"]), budget=float(merged["budget"]),
        category_cost=float(merged["category_cost"]), skipped=tuple(skipped))


def allowed_interval(constraints: Constraints, feature: str, value: float) -> tuple[float, float]:
    """The interval a numeric feature with current ``value`` may move within: the observed range,
    cut at ``value`` on the forbidden side of a one-way feature.

    Examples
    --------
    >>> c = Constraints(("a",), {"a": "numeric"}, ("a",), {}, {"a": "increase"}, {"a": 0.0}, {"a": 10.0},
    ...                 {"a": True}, {})
    >>> allowed_interval(c, "a", 4.0)
    (4.0, 10.0)
    """
    low, high = min(constraints.low[feature], value), max(constraints.high[feature], value)
    way = constraints.direction.get(feature)
    if way == "increase":
        low = value
    elif way == "decrease":
        high = value
    return low, high


def numeric_grid(values: pd.Series) -> np.ndarray:
    """Candidate values of a numeric feature: its observed values at 21 evenly spaced quantile levels
    (minimum and maximum included), without repeats.

    Examples
    --------
    >>> numeric_grid(pd.Series([1, 1, 2, 3, 50])).tolist()
    [1.0, 2.0, 3.0, 50.0]
    """
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    numbers = numbers[np.isfinite(numbers)]
    return np.unique(np.quantile(numbers, GRID_LEVELS, method="inverted_cdf"))


def _plain(value):
    return value.item() if isinstance(value, np.generic) else value
