"""Sensitive-attribute groups: one label per row, bins for numeric attributes, and ``UNKNOWN_GROUP``.

``UNKNOWN_GROUP`` is the one definition of the group that rows with a missing sensitive value form;
every other module imports it from here.
"""

from __future__ import annotations

import math
import numbers

import numpy as np
import pandas as pd

from xai_audit.exceptions import InvalidInputError

UNKNOWN_GROUP = "unknown"
MAX_GROUPS = 50
MAX_UNBINNED_NUMERIC = 10


def group_labels(values: pd.Series, name: str, edges, max_groups: int = MAX_GROUPS) -> pd.Series:
    """The group label of every row of one sensitive attribute, as text.

    Missing values become :data:`UNKNOWN_GROUP`. With ``edges`` the (numeric) values are binned by
    :func:`bin_labels`. Without edges, a numeric attribute with more than ``MAX_UNBINNED_NUMERIC``
    distinct values, or any attribute with more than ``max_groups``, is refused with the fix.

    Examples
    --------
    >>> group_labels(pd.Series(["f", None, "m"]), "sex", None).tolist()
    ['f', 'unknown', 'm']
    >>> group_labels(pd.Series([22, 40, None]), "age", [25]).tolist()
    ['< 25', '>= 25', 'unknown']
    """
    if edges is not None:
        if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
            raise InvalidInputError(
                f"Bins were given for '{name}', which is not numeric ({values.dtype}); "
                f"drop its bins or convert the column to numbers."
            )
        return bin_labels(values, check_edges(edges, name), name)
    is_numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    n_values = int(values.nunique(dropna=True))
    if is_numeric and n_values > MAX_UNBINNED_NUMERIC:
        low, high = np.nanquantile(values.to_numpy(dtype=float), [1 / 3, 2 / 3])
        example = ",".join(f"{edge:g}" for edge in sorted({float(np.round(low)), float(np.round(high))}))
        raise InvalidInputError(
            f"'{name}' is numeric with {n_values} distinct values; each value would become its own group. "
            f"Give bins, e.g. bins={{'{name}': [{example.replace(',', ', ')}]}} or --bins {name}={example}; "
            "if the numbers are category codes, convert the column to text first."
        )
    labels = values.astype(object).where(values.notna(), None)
    labels = labels.map(lambda v: UNKNOWN_GROUP if v is None else str(v))
    n_groups = labels.nunique()
    if n_groups > max_groups:
        raise InvalidInputError(
            f"The sensitive attribute '{name}' has {n_groups} distinct values (the limit is {max_groups}); "
            "group metrics over that many groups are not meaningful. Group rare values together first."
        )
    return labels


def check_edges(edges, name: str) -> list[float]:
    """Bin edges as floats: finite numbers, strictly increasing, at least one.

    Examples
    --------
    >>> check_edges([25, 60], "age")
    [25.0, 60.0]
    >>> check_edges([60, 25], "age")
    Traceback (most recent call last):
    ...
    xai_audit.exceptions.InvalidInputError: The bin edges for 'age' must be strictly increasing; got [60, 25]. Sort them and drop repeats, e.g. [25, 60].
    """
    if isinstance(edges, (str, bytes)) or not hasattr(edges, "__iter__"):
        raise InvalidInputError(f"The bin edges for '{name}' must be a list of numbers, e.g. [25, 60]; got {edges!r}.")
    edges = list(edges)
    if not edges:
        raise InvalidInputError(f"The bin edges for '{name}' are empty; give at least one edge, e.g. [25].")
    bad = [e for e in edges if isinstance(e, bool) or not isinstance(e, numbers.Real)]
    if bad:
        raise InvalidInputError(f"The bin edges for '{name}' must be numbers; got {bad}. Give numbers, e.g. [25, 60].")
    if not all(math.isfinite(float(e)) for e in edges):
        raise InvalidInputError(
            f"The bin edges for '{name}' must be finite numbers; got {[_plain_edge(e) for e in edges]}. "
            "Drop NaN and infinity: the lowest and highest bins are already open-ended."
        )
    floats = [float(e) for e in edges]
    if any(b <= a for a, b in zip(floats, floats[1:])):
        shown = [_plain_edge(e) for e in edges]
        fixed = [_plain_edge(e) for e in sorted(set(floats))]
        raise InvalidInputError(
            f"The bin edges for '{name}' must be strictly increasing; got {shown}. "
            f"Sort them and drop repeats, e.g. {[int(e) if float(e).is_integer() else e for e in fixed]}."
        )
    return floats


def check_bins(bins, sensitive) -> dict:
    """Validate a ``{column: edges}`` mapping against the sensitive attributes; return it as given.

    Examples
    --------
    >>> check_bins({"age": [25]}, ["age", "sex"])
    {'age': [25]}
    """
    if bins is None:
        return {}
    if not isinstance(bins, dict):
        raise InvalidInputError(f"bins must be a dict {{column: [edges]}}, e.g. {{'age_years': [25]}}; got {type(bins).__name__}.")
    unknown = sorted(set(bins) - set(sensitive))
    if unknown:
        raise InvalidInputError(
            f"Bins were given for {unknown}, which are not sensitive attributes {list(sensitive)}; "
            "add them to the sensitive attributes or drop their bins."
        )
    for name, edges in bins.items():
        check_edges(edges, name)
    return {name: [_plain_edge(e) for e in edges] for name, edges in bins.items()}


def parse_bins(text) -> dict:
    """Bins from their command-line form: ``"age=25,40;income=1000"`` (or a list of such strings).

    Examples
    --------
    >>> parse_bins("age=25,40;income=1000")
    {'age': [25.0, 40.0], 'income': [1000.0]}
    >>> parse_bins(["age=25", "income=1e3"])
    {'age': [25.0], 'income': [1000.0]}
    >>> parse_bins("age=nan")
    Traceback (most recent call last):
    ...
    xai_audit.exceptions.InvalidInputError: --bins 'age=nan': 'nan' is not a finite number; give finite edges, e.g. age=25,40.
    """
    parts = [text] if isinstance(text, str) else list(text or [])
    specs = [spec.strip() for part in parts for spec in str(part).split(";") if spec.strip()]
    bins = {}
    for spec in specs:
        column, equals, edges = (piece.strip() for piece in spec.partition("="))
        if not column or not equals or not edges:
            raise InvalidInputError(f"--bins {spec!r} must look like COLUMN=EDGE1,EDGE2 (numbers), e.g. age=25,40.")
        if column in bins:
            raise InvalidInputError(f"--bins names '{column}' twice; give all its edges once, e.g. {column}=25,40.")
        values = []
        for edge in (e.strip() for e in edges.split(",")):
            try:
                value = float(edge)
            except ValueError:
                raise InvalidInputError(
                    f"--bins {spec!r}: {edge!r} is not a number; give numbers, e.g. {column}=25,40."
                ) from None
            if not math.isfinite(value):
                raise InvalidInputError(
                    f"--bins {spec!r}: {edge!r} is not a finite number; give finite edges, e.g. {column}=25,40."
                )
            values.append(value)
        bins[column] = check_edges(values, column)
    return bins


def bin_labels(values: pd.Series, edges: list, name: str) -> pd.Series:
    """Label each value with its bin (``"< a"``, ``"a to < b"``, ``">= b"``); a missing value is unknown.

    A value equal to an edge goes to the bin above it.

    Examples
    --------
    >>> bin_labels(pd.Series([24.9, 25.0, 70.0]), [25.0, 60.0], "age").tolist()
    ['< 25', '25 to < 60', '>= 60']
    """
    edges = check_edges(edges, name)
    names = [f"< {edges[0]:g}"] + [f"{a:g} to < {b:g}" for a, b in zip(edges, edges[1:])] + [f">= {edges[-1]:g}"]
    numbers_ = values.to_numpy(dtype=float, na_value=np.nan)
    codes = np.searchsorted(np.asarray(edges), numbers_, side="right")
    labels = np.asarray(names, dtype=object)[codes]
    labels[np.isnan(numbers_)] = UNKNOWN_GROUP
    return pd.Series(labels, index=values.index, dtype=object)


def _plain_edge(edge):
    return edge.item() if isinstance(edge, np.generic) else edge
