"""Plain names for columns and category codes (a feature dictionary), used by every output.

The shape, as a dict or a ``labels.toml`` file: top-level keys are column names; a string value
names the column; a table has a ``name`` and/or ``values`` (a table from code to plain words)::

    duration_months = "Loan duration (months)"

    [checking_status]
    name = "Checking account"
    values = { "A11" = "balance below 0 DM" }
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from xai_audit._toml import read_toml
from xai_audit.exceptions import InvalidInputError

_TABLE_KEYS = ("name", "values")


@dataclass(frozen=True, eq=True)
class FeatureLabels:
    """A feature dictionary: a plain name per column and plain words per category code.

    Build it with :meth:`from_dict`, :meth:`from_toml` or :meth:`coerce` (any of: None, a dict,
    a path to a TOML file, a FeatureLabels).

    Examples
    --------
    >>> labels = FeatureLabels.from_dict({"duration_months": "Loan duration (months)",
    ...                                   "checking_status": {"name": "Checking account",
    ...                                                       "values": {"A11": "balance below 0 DM"}}})
    >>> labels.name("duration_months"), labels.name("age")
    ('Loan duration (months)', 'age')
    >>> labels.value("checking_status", "A11"), labels.value("checking_status", "A14")
    ('balance below 0 DM', 'A14')
    >>> labels.to_dict()["duration_months"]
    {'name': 'Loan duration (months)', 'values': {}}
    """

    names: dict = field(default_factory=dict)
    values: dict = field(default_factory=dict)

    @classmethod
    def from_dict(cls, mapping, *, source: str = "labels") -> "FeatureLabels":
        """Validate and normalize a dict of the documented shape (codes become text)."""
        if not isinstance(mapping, dict):
            raise InvalidInputError(
                f"The {source} must be a table {{column: 'plain name'}} or {{column: {{name, values}}}}; "
                f"got {type(mapping).__name__}."
            )
        names, values = {}, {}
        for column, entry in mapping.items():
            if not isinstance(column, str):
                raise InvalidInputError(f"The {source} name the column {column!r}; column names must be text.")
            if isinstance(entry, str):
                names[column] = entry
                continue
            if not isinstance(entry, dict):
                raise InvalidInputError(
                    f"The {source} entry for '{column}' must be a plain name (text) or a table with 'name' and "
                    f"'values'; got {type(entry).__name__} {entry!r}."
                )
            extra = sorted(set(entry) - set(_TABLE_KEYS))
            if extra:
                raise InvalidInputError(
                    f"The {source} entry for '{column}' has the keys {extra}; only 'name' and 'values' are allowed."
                )
            name = entry.get("name", column)
            if not isinstance(name, str):
                raise InvalidInputError(f"The {source} 'name' of '{column}' must be text; got {name!r}.")
            names[column] = name
            codes = entry.get("values", {})
            if not isinstance(codes, dict):
                raise InvalidInputError(
                    f"The {source} 'values' of '{column}' must be a table from code to plain words; got {codes!r}."
                )
            bad = {code: word for code, word in codes.items() if not isinstance(word, str)}
            if bad:
                raise InvalidInputError(
                    f"The {source} 'values' of '{column}' must map each code to text; these do not: {bad}. "
                    'Quote the plain words, e.g. "A11" = "balance below 0 DM".'
                )
            values[column] = {_code_text(code): word for code, word in codes.items()}
        return cls(names=names, values=values)

    @classmethod
    def from_toml(cls, path) -> "FeatureLabels":
        """Read a ``labels.toml`` file of the documented shape."""
        return cls.from_dict(read_toml(path), source=f"labels file '{path}'")

    @classmethod
    def coerce(cls, labels) -> "FeatureLabels":
        """A FeatureLabels from None (empty), a dict, a path to a TOML file, or a FeatureLabels.

        Examples
        --------
        >>> FeatureLabels.coerce(None).to_dict()
        {}
        """
        if labels is None:
            return cls()
        if isinstance(labels, cls):
            return labels
        if isinstance(labels, dict):
            return cls.from_dict(labels)
        if isinstance(labels, (str, Path)):
            return cls.from_toml(labels)
        raise InvalidInputError(
            f"labels must be a dict, a path to a labels.toml file or a FeatureLabels; got {type(labels).__name__}."
        )

    def name(self, column) -> str:
        """The plain name of ``column``, or the column itself."""
        return self.names.get(column, str(column))

    def value(self, column, code) -> str:
        """The plain words for ``code`` in ``column``, or the code as text."""
        text = _code_text(code)
        return self.values.get(column, {}).get(text, text)

    @property
    def columns(self) -> tuple:
        """The columns that have a plain name."""
        return tuple(self.names)

    def check_columns(self, columns, *, where: str = "the data") -> None:
        """Refuse labels for columns that are not in ``columns`` (a typo must not pass silently).

        Examples
        --------
        >>> FeatureLabels.from_dict({"agee": "Age"}).check_columns(["age", "sex"])
        Traceback (most recent call last):
        ...
        xai_audit.exceptions.InvalidInputError: The labels name the columns ['agee'], which are not in the data; its columns are ['age', 'sex']. Fix the spelling or drop those entries.
        """
        columns = [str(c) for c in columns]
        unknown = [c for c in self.names if c not in columns]
        if unknown:
            shown = columns[:30] + (["..."] if len(columns) > 30 else [])
            raise InvalidInputError(
                f"The labels name the columns {unknown}, which are not in {where}; its columns are {shown}. "
                "Fix the spelling or drop those entries."
            )

    def only(self, columns) -> "FeatureLabels":
        """The labels of ``columns`` only (for data read with a subset of a file's columns)."""
        keep = set(columns)
        return FeatureLabels(names={c: n for c, n in self.names.items() if c in keep},
                             values={c: dict(v) for c, v in self.values.items() if c in keep})

    def to_dict(self) -> dict:
        """``{column: {"name": str, "values": {code: str}}}``, plain JSON values (the record's ``data.labels``)."""
        return {column: {"name": name, "values": dict(self.values.get(column, {}))}
                for column, name in self.names.items()}

    def __bool__(self) -> bool:
        return bool(self.names)


def _code_text(code) -> str:
    """A category code as text: ``1``, ``1.0`` and ``"1"`` are the same code; ``True`` is ``"True"``."""
    if isinstance(code, np.generic):
        code = code.item()
    if isinstance(code, float) and code.is_integer():
        return str(int(code))
    return str(code)
