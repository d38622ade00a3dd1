"""Where a disparity comes from: per-feature shares of a gap in mean model output, and features that
stand in for a sensitive attribute (proxies).

For additive attributions (SHAP values: ``output = base_value + values.sum(axis=1)``), the gap in
mean output between a group and the reference group splits exactly into per-feature parts,
``mean(values[group]) - mean(values[reference])``, because a mean of sums is the sum of means.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from xai_audit.exceptions import InvalidInputError
from xai_audit.fairness.groups import (
    GroupCoding,
    as_finite,
    as_group_frame,
    check_reference_groups,
    encode_groups,
    reference_index,
)
from xai_audit.fairness.jsonable import as_number

N_FOLDS = 5
# Slack for a proxy AUC computed as exactly the threshold in theory but a hair below in floating point.
THRESHOLD_TOLERANCE = 1e-12


def disparity_attribution(values, output, groups, *, reference_groups=None, feature_names=None,
                          intersections: bool = False, population=None) -> dict:
    """Split each group's gap in mean model output, against the reference group, into per-feature parts.

    Parameters
    ----------
    values : array-like of shape (n, f) or DataFrame
        Additive per-row, per-feature attributions (e.g. SHAP values) of ``output``.
    output : array-like of shape (n,)
        The model output the attributions explain (``base_values + values.sum(axis=1)``).
    groups : DataFrame
        One column per sensitive attribute, a group label per row (missing values → ``"unknown"``).
    reference_groups : dict, optional
        ``{attribute: group label}``; default the largest group that is not 'unknown'.
    feature_names : sequence of str, optional
        Names of the columns of ``values``; default the DataFrame's columns, else ``x0, x1, ...``.
    intersections : bool, default False
        Also report every pair of attributes (``"a*b"``).
    population : tuple (output, groups), optional
        The same model output on every row of the data and those rows' groups, when ``values`` cover
        only some of them: adds each group's full-data mean output and gap, so a reader never takes
        the explained rows' gap for the population's.

    Returns
    -------
    dict
        ``{attribute: {"reference_group", "convention", "rows_explained", "share_convention",
        "groups": {label: {"n", "mean_output", "output_difference", "contributions": {feature: value},
        "shares": {feature: share}, "explained_difference", "unexplained_difference"}}}}``.
        ``output_difference`` is the gap in mean output on the explained rows;
        ``explained_difference`` is the sum of the contributions; ``unexplained_difference`` is what
        the attributions do not account for (a base value that differs between rows, or attributions
        that are not exactly additive) and is 0 up to rounding for SHAP values. ``shares`` are signed
        shares of that gap, ``contribution / output_difference`` (None when the gap is 0): a share of
        0.47 accounts for 47% of the gap, a negative share works against it. With ``population`` each
        group also has ``full_data_n``, ``full_data_mean_output`` and ``full_data_output_difference``,
        and the table ``rows_total``.

    Examples
    --------
    >>> values = np.array([[1.0, 0.5], [0.0, 0.5], [2.0, -0.5], [1.0, -0.5]])
    >>> output = values.sum(axis=1) + 0.25
    >>> groups = pd.DataFrame({"sex": ["f", "f", "m", "m"]})
    >>> table = disparity_attribution(values, output, groups, reference_groups={"sex": "m"},
    ...                               feature_names=["income", "debt"])["sex"]
    >>> table["groups"]["f"]["contributions"], table["groups"]["f"]["output_difference"]
    ({'income': -1.0, 'debt': 1.0}, 0.0)
    """
    matrix, names = _attribution_matrix(values, feature_names)
    output = as_finite(output, "output")
    if len(output) != len(matrix):
        raise InvalidInputError(f"output has {len(output)} rows but values has {len(matrix)}; they must match.")
    codings = encode_groups(groups, len(matrix), intersections=intersections)
    references = check_reference_groups(reference_groups, codings)
    tables = {coding.name: _attribution_table(coding, matrix, output, names, references.get(coding.name))
              for coding in codings}
    if population is not None:
        _add_population(tables, population, intersections)
    return tables


def _add_population(tables: dict, population, intersections: bool) -> None:
    """Add every group's full-data mean output and gap against the same reference group."""
    full_output, full_groups = population
    full_output = as_finite(full_output, "population output")
    for coding in encode_groups(full_groups, len(full_output), intersections=intersections):
        table = tables.get(coding.name)
        if table is None:
            continue
        means = np.bincount(coding.codes, weights=full_output, minlength=coding.n_groups) / np.maximum(coding.sizes, 1)
        by_label = dict(zip(coding.labels, range(coding.n_groups)))
        reference = by_label.get(table["reference_group"])
        table["rows_total"] = int(len(full_output))
        for label, entry in table["groups"].items():
            i = by_label.get(label)
            entry["full_data_n"] = None if i is None else int(coding.sizes[i])
            entry["full_data_mean_output"] = None if i is None else as_number(means[i])
            entry["full_data_output_difference"] = (None if i is None or reference is None
                                                    else as_number(means[i] - means[reference]))


def _attribution_matrix(values, feature_names) -> tuple[np.ndarray, list[str]]:
    if isinstance(values, pd.DataFrame):
        feature_names = list(values.columns) if feature_names is None else feature_names
        values = values.to_numpy(dtype=float)
    matrix = np.asarray(values, dtype=float)
    if matrix.ndim != 2:
        raise InvalidInputError(f"values must be a 2-D (rows, features) array; got shape {matrix.shape}.")
    if not np.isfinite(matrix).all():
        raise InvalidInputError("values holds missing or infinite attributions; give finite numbers only.")
    names = [f"x{j}" for j in range(matrix.shape[1])] if feature_names is None else [str(n) for n in feature_names]
    if len(names) != matrix.shape[1]:
        raise InvalidInputError(
            f"feature_names has {len(names)} names but values has {matrix.shape[1]} columns; give one name per column."
        )
    return matrix, names


def _group_means(coding: GroupCoding, columns: np.ndarray) -> np.ndarray:
    """Mean of every column per group, shape (n_groups, n_columns)."""
    sums = np.column_stack([np.bincount(coding.codes, weights=column, minlength=coding.n_groups)
                            for column in columns.T])
    return sums / coding.sizes[:, None]


def _attribution_table(coding: GroupCoding, matrix, output, names, chosen_reference) -> dict:
    unknown = coding.is_unknown()
    reference = reference_index(coding, ~unknown if (~unknown).any() else ~np.zeros_like(unknown), chosen_reference)
    means = _group_means(coding, np.column_stack([matrix, output]))
    contributions = means[:, :-1] - means[reference, :-1]
    output_difference = means[:, -1] - means[reference, -1]
    explained = contributions.sum(axis=1)
    groups = {}
    for i, label in enumerate(coding.labels):
        groups[label] = {
            "n": int(coding.sizes[i]),
            "mean_output": as_number(means[i, -1]),
            "output_difference": as_number(output_difference[i]),
            "contributions": {name: as_number(contributions[i, j]) for j, name in enumerate(names)},
            "shares": {name: signed_share(contributions[i, j], output_difference[i]) for j, name in enumerate(names)},
            "explained_difference": as_number(explained[i]),
            "unexplained_difference": as_number(output_difference[i] - explained[i]),
        }
    reference_label = coding.labels[reference]
    return {
        "reference_group": reference_label,
        "convention": (f"group mean minus reference group ({reference_label!r}) mean, of the model output and "
                       "of each feature's attribution, over the explained rows; the contributions add up to the "
                       "output difference"),
        "share_convention": ("a feature's share is its contribution divided by the group's gap in mean output on "
                             "the explained rows, with its sign: 0.47 accounts for 47% of the gap, a negative share "
                             "works against it"),
        "rows_explained": int(len(coding.codes)),
        "groups": groups,
    }


def signed_share(contribution, gap, *, tolerance: float = 1e-12):
    """``contribution / gap`` with its sign; None when the gap is 0 (no gap to share) or not a number.

    Examples
    --------
    >>> round(signed_share(-0.041, -0.087), 3), round(signed_share(0.01, -0.087), 3), signed_share(0.1, 0.0)
    (0.471, -0.115, None)
    """
    contribution, gap = as_number(contribution), as_number(gap)
    if contribution is None or gap is None or abs(gap) <= tolerance:
        return None
    return contribution / gap


def proxy_scan(features, groups, *, attributions=None, random_state=None, threshold: float = 0.7,
               min_group_size: int = 30) -> dict:
    """How well each feature alone tells members of each sensitive group from everyone else.

    For a numeric feature the score is the ROC AUC of its raw value for membership, taken as
    ``max(auc, 1 - auc)`` (either direction separates). For a categorical feature it is the AUC of
    the category's membership rate (target encoding), each row encoded from the other folds of a
    seeded 5-fold split, so a category seen once cannot predict its own row (on small data this
    makes the categorical score slightly conservative). A feature is a proxy when its best AUC over
    the attribute's groups is at least ``threshold``. As everywhere else in the audit, a group of fewer
    than ``min_group_size`` rows is reported (its AUC in ``by_group``) but never judged: it cannot make a
    feature a proxy (one row is separated by almost any feature).

    Parameters
    ----------
    features : DataFrame
        The model's input features, one column each; missing numeric values rank below all others,
        missing categories form their own category.
    groups : DataFrame
        One column per sensitive attribute, a group label per row (missing values → ``"unknown"``).
    attributions : array-like of shape (m, f) or DataFrame, optional
        Per-row attributions for the features (same columns, same order or names), on any rows (an
        explained sample, say): adds each feature's mean absolute attribution, so a proxy the model
        leans on stands out.
    random_state : int or numpy Generator, optional
        Seed for the fold split of categorical features.
    threshold : float, default 0.7
        AUC at or above which a feature is flagged as a proxy.
    min_group_size : int, default 30
        Groups with fewer rows are listed in ``small_groups`` and left out of ``auc``, ``group`` and ``proxy``.

    Returns
    -------
    dict
        ``{attribute: {"convention", "threshold", "features": {feature: {"kind", "auc", "group",
        "by_group": {label: auc}, "proxy", "mean_abs_attribution"}}, "proxies": [feature, ...],
        "min_group_size", "small_groups": [label, ...]}}``
        with ``proxies`` sorted by AUC, highest first. An AUC is ``None`` for a group that holds all
        rows or none.

    Examples
    --------
    >>> frame = pd.DataFrame({"height": [150, 160, 165, 175, 180, 185], "city": list("aabbab")})
    >>> groups = pd.DataFrame({"sex": ["f", "f", "f", "m", "m", "m"]})
    >>> scan = proxy_scan(frame, groups, random_state=0)["sex"]
    >>> scan = proxy_scan(frame, groups, random_state=0, min_group_size=3)["sex"]
    >>> scan["features"]["height"]["auc"], scan["proxies"]
    (1.0, ['height'])
    >>> proxy_scan(frame, groups, random_state=0)["sex"]["proxies"]  # groups of 3 rows are too small to judge
    []
    """
    if not isinstance(features, pd.DataFrame):
        raise InvalidInputError(f"features must be a pandas DataFrame; got {type(features).__name__}.")
    if not 0.5 <= threshold <= 1:
        raise InvalidInputError(f"threshold must be an AUC between 0.5 and 1; got {threshold!r}.")
    if isinstance(min_group_size, bool) or not isinstance(min_group_size, (int, np.integer)) or min_group_size < 1:
        raise InvalidInputError(f"min_group_size must be a positive whole number of rows; got {min_group_size!r}.")
    features = features.reset_index(drop=True)
    codings = encode_groups(as_group_frame(groups, len(features)), len(features), intersections=False)
    importance = _mean_abs_attribution(attributions, features)
    rng = np.random.default_rng(random_state)
    folds = rng.permutation(len(features)) % N_FOLDS
    return {coding.name: _proxy_table(coding, features, folds, importance, threshold, int(min_group_size))
            for coding in codings}


def _mean_abs_attribution(attributions, features: pd.DataFrame) -> dict | None:
    if attributions is None:
        return None
    names = [str(column) for column in features.columns]
    if isinstance(attributions, pd.DataFrame):
        missing = [name for name in names if name not in attributions.columns.astype(str)]
        if missing:
            raise InvalidInputError(f"attributions has no columns for the features {missing}; give one per feature.")
        attributions = attributions.set_axis(attributions.columns.astype(str), axis=1)[names]
    matrix = np.asarray(attributions, dtype=float)
    if matrix.ndim != 2 or matrix.shape[1] != features.shape[1]:
        raise InvalidInputError(
            f"attributions has shape {matrix.shape} but features has {features.shape[1]} columns; "
            "give one column per feature."
        )
    return dict(zip(names, np.abs(matrix).mean(axis=0)))


def _proxy_table(coding: GroupCoding, features: pd.DataFrame, folds, importance, threshold: float,
                 min_group_size: int) -> dict:
    table = {}
    small = np.asarray(coding.sizes) < min_group_size
    for column in features.columns:
        values = features[column]
        if pd.api.types.is_numeric_dtype(values):
            kind, aucs = "numeric", _numeric_aucs(values.to_numpy(dtype=float, na_value=np.nan), coding)
        else:
            kind, aucs = "categorical", _categorical_aucs(values, coding, folds)
        judged = np.where(small, np.nan, aucs)
        best = int(np.nanargmax(judged)) if not np.isnan(judged).all() else None
        auc = None if best is None else as_number(judged[best])
        table[str(column)] = {
            "kind": kind,
            "auc": auc,
            "group": None if best is None else coding.labels[best],
            "by_group": {label: as_number(aucs[i]) for i, label in enumerate(coding.labels)},
            "proxy": auc is not None and auc >= threshold - THRESHOLD_TOLERANCE,
            "mean_abs_attribution": None if importance is None else as_number(importance[str(column)]),
        }
    proxies = sorted((name for name, entry in table.items() if entry["proxy"]), key=lambda n: -table[n]["auc"])
    return {
        "convention": ("ROC AUC of one feature for membership of each group against all other rows: numeric "
                       "features by their raw value, as max(auc, 1 - auc); categorical features by their "
                       f"cross-fitted ({N_FOLDS}-fold) membership rate; 'auc' is the best group's"),
        "threshold": float(threshold),
        "features": table,
        "proxies": proxies,
        "min_group_size": min_group_size,
        "small_groups": [label for label, is_small in zip(coding.labels, small) if is_small],
    }


def membership_aucs(ranks: np.ndarray, coding: GroupCoding) -> np.ndarray:
    """ROC AUC of ``ranks`` for membership of each group (Mann-Whitney); NaN for a group with all rows
    or none. ``ranks`` is (n,) — one ranking for every group — or (n, n_groups), one per group.

    Examples
    --------
    >>> from xai_audit.fairness.groups import encode_attribute
    >>> coding = encode_attribute("g", ["a", "a", "b", "b"])
    >>> membership_aucs(np.array([1.0, 2.0, 3.0, 4.0]), coding).tolist()
    [0.0, 1.0]
    """
    rows = np.arange(len(coding.codes))
    member_ranks = ranks if ranks.ndim == 1 else ranks[rows, coding.codes]
    rank_sums = np.bincount(coding.codes, weights=member_ranks, minlength=coding.n_groups)
    members = coding.sizes.astype(float)
    others = len(rows) - members
    with np.errstate(divide="ignore", invalid="ignore"):
        auc = (rank_sums - members * (members + 1) / 2) / (members * others)
    return np.where(others > 0, auc, np.nan)


def _numeric_aucs(values: np.ndarray, coding: GroupCoding) -> np.ndarray:
    missing = np.isnan(values)
    if missing.any():
        values = np.where(missing, (np.nanmin(values) - 1) if (~missing).any() else 0.0, values)
    auc = membership_aucs(rankdata(values), coding)
    return np.maximum(auc, 1 - auc)


def _categorical_aucs(values: pd.Series, coding: GroupCoding, folds: np.ndarray) -> np.ndarray:
    categories, uniques = pd.factorize(values, use_na_sentinel=False)
    n_categories, n_groups = len(uniques), coding.n_groups
    encoded = np.empty((len(values), n_groups))
    # A category unseen in the other folds gets the whole data's group share: one constant for every
    # fold, because a per-fold share would fall as the held-out fold's share rises and bias the AUC.
    prior = coding.sizes / len(values)
    for fold in range(N_FOLDS):
        held_out = folds == fold
        if not held_out.any():
            continue
        train = ~held_out
        pairs = np.bincount(categories[train] * n_groups + coding.codes[train],
                            minlength=n_categories * n_groups).reshape(n_categories, n_groups)
        seen = pairs.sum(axis=1, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            rates = np.where(seen > 0, pairs / seen, prior)
        encoded[held_out] = rates[categories[held_out]]
    return membership_aucs(rankdata(encoded, axis=0), coding)
