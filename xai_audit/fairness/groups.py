"""Sensitive groups as integer codes, and the checks on the arrays the fairness layer receives.

Every attribute is turned once into integer codes (``pd.factorize``) so that all later work is
``np.bincount`` over codes; an intersection of two attributes is the pair of codes, renumbered to
the combinations that occur, so an empty combination never becomes a group.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd

from xai_audit.data.groups import UNKNOWN_GROUP as UNKNOWN
from xai_audit.exceptions import InvalidInputError

SEPARATOR = "*"


@dataclass(frozen=True)
class GroupCoding:
    """The groups of one attribute or intersection: a code per row and a label per code.

    ``components`` holds, for each group, its label in every attribute it combines (one entry for
    a plain attribute), so "is any part unknown" never depends on parsing the joined label.
    """

    name: str
    attributes: tuple[str, ...]
    codes: np.ndarray
    labels: tuple[str, ...]
    components: tuple[tuple[str, ...], ...]

    @property
    def n_groups(self) -> int:
        return len(self.labels)

    @property
    def sizes(self) -> np.ndarray:
        return np.bincount(self.codes, minlength=self.n_groups)

    def is_unknown(self) -> np.ndarray:
        """True for every group that is, or combines, the 'unknown' group."""
        return np.array([UNKNOWN in parts for parts in self.components], dtype=bool)


def encode_attribute(name: str, column) -> GroupCoding:
    """Codes for one sensitive attribute; labels are strings, sorted; missing values become 'unknown'.

    Examples
    --------
    >>> coding = encode_attribute("sex", ["m", "f", None, "f"])
    >>> coding.labels, coding.codes.tolist()
    (('f', 'm', 'unknown'), [1, 0, 2, 0])
    """
    codes, uniques = pd.factorize(pd.Series(column, dtype=object) if isinstance(column, list) else column)
    strings = np.array([str(value) for value in uniques] + [UNKNOWN], dtype=object)
    codes = np.where(codes < 0, len(uniques), codes)
    # Values equal as strings (1 and "1", or a literal "unknown" next to missing values) are one group.
    labels, remap = np.unique(strings, return_inverse=True)
    return _drop_empty(name, (name,), remap[codes], labels, [(label,) for label in labels])


def intersect(first: GroupCoding, second: GroupCoding) -> GroupCoding:
    """The groups formed by every combination of ``first`` and ``second`` that occurs in the data.

    Examples
    --------
    >>> a = encode_attribute("sex", ["f", "m", "f"])
    >>> b = encode_attribute("age", ["old", "old", "young"])
    >>> both = intersect(a, b)
    >>> both.name, both.labels
    ('sex*age', ('f*old', 'f*young', 'm*old'))
    """
    combined = first.codes.astype(np.int64) * second.n_groups + second.codes
    labels = [f"{a}{SEPARATOR}{b}" for a in first.labels for b in second.labels]
    components = [pa + pb for pa in first.components for pb in second.components]
    return _drop_empty(f"{first.name}{SEPARATOR}{second.name}", first.attributes + second.attributes,
                       combined, labels, components)


def _drop_empty(name, attributes, codes, labels, components) -> GroupCoding:
    sizes = np.bincount(codes, minlength=len(labels))
    used = np.flatnonzero(sizes)
    renumber = np.full(len(labels), -1, dtype=np.int64)
    renumber[used] = np.arange(len(used))
    return GroupCoding(name=name, attributes=tuple(attributes), codes=renumber[codes],
                       labels=tuple(str(labels[i]) for i in used),
                       components=tuple(tuple(components[i]) for i in used))


def encode_groups(groups, n_rows: int, *, intersections: bool = True) -> list[GroupCoding]:
    """One coding per column of ``groups`` and, if asked, per pair of columns (in column order)."""
    frame = as_group_frame(groups, n_rows)
    codings = [encode_attribute(str(column), frame[column]) for column in frame.columns]
    if intersections:
        codings += [intersect(a, b) for a, b in combinations(codings, 2)]
    return codings


def as_group_frame(groups, n_rows: int) -> pd.DataFrame:
    """``groups`` as a DataFrame with one column per attribute and ``n_rows`` rows."""
    if isinstance(groups, pd.Series):
        groups = groups.to_frame(name=groups.name if groups.name is not None else "group")
    if not isinstance(groups, pd.DataFrame):
        raise InvalidInputError(
            f"groups must be a pandas DataFrame with one column per sensitive attribute; got {type(groups).__name__}."
        )
    if groups.shape[1] == 0:
        raise InvalidInputError("groups has no columns; give at least one sensitive attribute.")
    if len(groups) != n_rows:
        raise InvalidInputError(f"groups has {len(groups)} rows but y_true has {n_rows}; they must match row for row.")
    names = [str(column) for column in groups.columns]
    if len(set(names)) != len(names):
        raise InvalidInputError(f"groups has repeated column names {names}; each attribute must appear once.")
    return groups.reset_index(drop=True)


def as_binary(values, name: str) -> np.ndarray:
    """A 1-D int8 array of 0/1 labels, or an InvalidInputError naming what was found."""
    array = as_1d(values, name)
    if array.dtype == bool:
        return array.astype(np.int8)
    if not np.issubdtype(array.dtype, np.number):
        raise InvalidInputError(
            f"{name} must hold 0/1 labels (1 = favourable); got values of type {array.dtype} "
            f"such as {array[:3].tolist()}. Map the labels to 0/1 first."
        )
    is_binary = (array == 0) | (array == 1)
    if not is_binary.all():
        bad = np.unique(array[~is_binary])[:5].tolist()
        raise InvalidInputError(f"{name} must hold only 0 and 1 (1 = favourable); it also holds {bad}.")
    return array.astype(np.int8)


def as_finite(values, name: str) -> np.ndarray:
    """A 1-D float array with no NaN or infinity."""
    array = as_1d(values, name)
    try:
        array = array.astype(np.float64)
    except (TypeError, ValueError) as error:
        raise InvalidInputError(f"{name} must be numeric; got values of type {array.dtype}.") from error
    if not np.isfinite(array).all():
        raise InvalidInputError(
            f"{name} holds {int((~np.isfinite(array)).sum())} missing or infinite values; give finite numbers only."
        )
    return array


def as_probability(values, name: str) -> np.ndarray:
    """A 1-D float array of probabilities in [0, 1]."""
    array = as_finite(values, name)
    if array.size and (array.min() < 0 or array.max() > 1):
        raise InvalidInputError(
            f"{name} must be probabilities of the positive class in [0, 1]; "
            f"got values from {array.min():g} to {array.max():g}."
        )
    return array


def as_1d(values, name: str) -> np.ndarray:
    array = np.asarray(values)
    if array.ndim != 1:
        raise InvalidInputError(f"{name} must be one-dimensional; got an array of shape {array.shape}.")
    return array


def check_same_length(**arrays) -> int:
    """The common length of the given arrays (``None`` entries skipped), or an error naming them."""
    lengths = {name: len(array) for name, array in arrays.items() if array is not None}
    if len(set(lengths.values())) > 1:
        raise InvalidInputError(f"The inputs must have one entry per row; got lengths {lengths}.")
    n_rows = next(iter(lengths.values()))
    if n_rows == 0:
        raise InvalidInputError("The inputs are empty; fairness needs at least one row.")
    return n_rows


def reference_index(coding: GroupCoding, eligible: np.ndarray, chosen: str | None) -> int:
    """The code of the reference group: ``chosen`` if given, else the largest eligible group
    (ties go to the first label in sorted order)."""
    if chosen is not None:
        if str(chosen) not in coding.labels:
            raise InvalidInputError(
                f"The reference group {chosen!r} for '{coding.name}' is not in the data; "
                f"its groups are {list(coding.labels)}."
            )
        return coding.labels.index(str(chosen))
    sizes = np.where(eligible, coding.sizes, -1)
    return int(np.argmax(sizes))


def check_reference_groups(reference_groups, codings: list[GroupCoding]) -> dict:
    """``reference_groups`` as a dict whose keys all name an attribute or intersection."""
    if reference_groups is None:
        return {}
    if not isinstance(reference_groups, dict):
        raise InvalidInputError(
            f"reference_groups must be a dict {{attribute: group label}}; got {type(reference_groups).__name__}."
        )
    names = [coding.name for coding in codings]
    unknown = [key for key in reference_groups if key not in names]
    if unknown:
        raise InvalidInputError(
            f"reference_groups names {unknown}, which are not sensitive attributes or intersections; "
            f"expected keys among {names}."
        )
    return dict(reference_groups)
