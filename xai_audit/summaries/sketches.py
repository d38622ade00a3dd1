"""Per-feature sketches for drift from summaries: counts on fixed bins, mergeable by summing.

A numeric feature is counted on fixed interior bin edges ``e_1 < … < e_k``: ``k + 1`` bins
``(-inf, e_1), [e_1, e_2), …, [e_k, inf)`` plus a count of missing values. The edges are either the
deciles of the data being summarised (``edges_from: "data quantiles"``) or copied from a reference
summary (``edges_from: "reference summary"``); sketches merge only on identical edges, so sites and
partitions that are to be pooled take their edges from one reference file. A categorical feature is
counted per category (its text; missing values as ``"missing"``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from xai_audit.drift.features import category_counts
from xai_audit.exceptions import InvalidInputError

NUMERIC_BINS = 10
FROM_DATA = "data quantiles"
FROM_REFERENCE = "reference summary"
# the one category that holds the categories withheld by small-cell suppression, the same at every site
POOLED = "(small categories, pooled)"


def feature_sketches(frame: pd.DataFrame, kinds: dict, *, edges: dict | None = None) -> dict:
    """The sketch of every column of ``frame``: ``{name: sketch}``.

    Parameters
    ----------
    frame : DataFrame
        The feature columns.
    kinds : dict
        ``"numeric"`` or ``"categorical"`` per column (default numeric).
    edges : dict, optional
        Interior bin edges per numeric column, from a reference summary; without them each numeric
        column's edges are its own deciles.

    Examples
    --------
    >>> s = feature_sketches(pd.DataFrame({"x": [0.0, 1.0, 2.0, None], "c": ["a", "b", "a", "a"]}),
    ...                      {"c": "categorical"}, edges={"x": [1.0]})
    >>> s["x"]["counts"], s["x"]["missing"], s["c"]["counts"]
    ([1, 2], 1, {'a': 3, 'b': 1})
    """
    sketches = {}
    for name in frame.columns:
        if kinds.get(name, "numeric") == "numeric":
            given = None if edges is None else edges.get(name)
            if edges is not None and given is None:
                raise InvalidInputError(f"The reference summary has no bin edges for the numeric feature '{name}'; "
                                        "summarise with the same features as the reference.")
            sketches[str(name)] = numeric_sketch(frame[name].to_numpy(dtype=np.float64), given)
        else:
            sketches[str(name)] = {"kind": "categorical", "counts": category_counts(frame[name])}
    return sketches


def numeric_sketch(values: np.ndarray, edges=None) -> dict:
    """Counts of ``values`` on ``edges`` (default: their own deciles, repeated values merged).

    Examples
    --------
    >>> numeric_sketch(np.array([0.0, 1.0, 1.0, 5.0]), [1.0, 2.0])["counts"]
    [1, 2, 1]
    """
    present = values[~np.isnan(values)]
    source = FROM_REFERENCE if edges is not None else FROM_DATA
    if edges is None:
        quantiles = np.linspace(0, 1, NUMERIC_BINS + 1)[1:-1]
        edges = np.unique(np.quantile(present, quantiles)) if present.size else np.array([])
    edges = np.asarray(edges, dtype=np.float64)
    counts = np.bincount(np.searchsorted(edges, present, side="right"), minlength=edges.size + 1)
    return {"kind": "numeric", "edges": edges.tolist(), "edges_from": source, "counts": counts.tolist(),
            "missing": int(values.size - present.size)}


def pool_small_categories(sketches: dict, min_cell: int) -> tuple[dict, dict]:
    """Small-cell suppression for the sketches: each categorical feature's categories counted fewer than
    ``min_cell`` times (but at least once) are added into one :data:`POOLED` category, so no rare value's
    count leaves the site. Numeric bins are ranges, not values, and are kept.

    Returns the sketches and, per feature, how many categories were pooled.

    Examples
    --------
    >>> sketches = {"c": {"kind": "categorical", "counts": {"a": 30, "b": 2, "d": 1}}}
    >>> pooled, how_many = pool_small_categories(sketches, 10)
    >>> pooled["c"]["counts"], how_many
    ({'a': 30, '(small categories, pooled)': 3}, {'c': 2})
    """
    out, pooled_per_feature = {}, {}
    for name, sketch in sketches.items():
        if sketch["kind"] != "categorical" or min_cell <= 1:
            out[name] = sketch
            continue
        small = {c: n for c, n in sketch["counts"].items() if 0 < n < min_cell and c != POOLED}
        counts = {c: n for c, n in sketch["counts"].items() if c not in small}
        if small:
            counts[POOLED] = counts.get(POOLED, 0) + sum(small.values())
            pooled_per_feature[name] = len(small)
        out[name] = {**sketch, "counts": counts}
    return out, pooled_per_feature


def sketch_edges(sketches: dict) -> dict:
    """The numeric features' bin edges, to summarise other data on the same bins (``--bins-from``)."""
    return {name: sketch["edges"] for name, sketch in sketches.items() if sketch["kind"] == "numeric"}


def merge_sketches(first: dict | None, second: dict | None) -> dict | None:
    """The sketches of the union of two sets of rows: counts summed; same features, kinds and edges required.

    Examples
    --------
    >>> a = {"c": {"kind": "categorical", "counts": {"a": 1}}}
    >>> merge_sketches(a, {"c": {"kind": "categorical", "counts": {"a": 2, "b": 1}}})["c"]["counts"]
    {'a': 3, 'b': 1}
    """
    if first is None and second is None:
        return None
    if first is None or second is None:
        raise InvalidInputError("One summary has feature sketches and the other has none; summarise every part "
                                "with the same version of xai-audit so all carry sketches.")
    if sorted(first) != sorted(second):
        raise InvalidInputError(f"The summaries sketch different features ({sorted(first)} vs {sorted(second)}); "
                                "summarise every part with the same features.")
    merged = {}
    for name, one in first.items():
        two = second[name]
        if one["kind"] != two["kind"]:
            raise InvalidInputError(f"Feature '{name}' is {one['kind']} in one summary and {two['kind']} in another.")
        if one["kind"] == "numeric":
            if one["edges"] != two["edges"]:
                raise InvalidInputError(
                    f"Feature '{name}' is binned on different edges in two summaries, so their counts cannot be "
                    "added. Summarise every part on one reference's edges: `xai-audit summarize --bins-from "
                    "reference.json`.")
            merged[name] = {**one, "counts": [a + b for a, b in zip(one["counts"], two["counts"])],
                            "missing": one["missing"] + two["missing"]}
        else:
            counts = dict(one["counts"])
            for category, count in two["counts"].items():
                counts[category] = counts.get(category, 0) + count
            merged[name] = {"kind": "categorical", "counts": {c: counts[c] for c in sorted(counts)}}
    return merged
