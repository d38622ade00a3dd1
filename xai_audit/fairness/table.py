"""The fairness group table: one frozen, typed view of a sensitive attribute's table in the record.

``fairness_report`` writes each attribute's table as a JSON-ready dict (the record's contract);
:class:`GroupTable` reads such a dict into fields (one :class:`GroupRow` per group with its metrics,
intervals, comparisons against the reference group, four-fifths entry and test) so that checks, the
renderer and ``diff`` read ``row.differences["tpr"].value`` instead of walking nested dicts.
``GroupTable.from_dict(d).to_dict() == d`` for every table a record holds, the legacy schema 1.0
included, so reading a record through the table never changes it.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

# The table's own keys that the fields below hold; any other key is kept as is in ``sections``.
TYPED_KEYS = ("attributes", "task", "reference_group", "groups", "differences", "ratios", "four_fifths", "tests",
              "summary")
ROW_KEYS = ("n", "share", "small_group", "ci")


def _interval(value) -> tuple | None:
    return None if value is None else tuple(value)


def _as_list(interval) -> list | None:
    return None if interval is None else list(interval)


def _frozen(mapping) -> Mapping:
    return MappingProxyType(copy.deepcopy(dict(mapping)))


def _plain(value):
    """A deep plain-dict copy of a mapping (read-only proxies included), for JSON."""
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return copy.deepcopy(value)


@dataclass(frozen=True)
class Comparison:
    """A group's metric against the reference group's: a signed difference or a ratio, with its interval.

    Examples
    --------
    >>> c = Comparison.from_dict({"value": -0.2, "ci": [-0.38, -0.01]})
    >>> c.value, c.ci, c.to_dict() == {"value": -0.2, "ci": [-0.38, -0.01]}
    (-0.2, (-0.38, -0.01), True)
    """

    value: float | None
    ci: tuple | None = None

    @classmethod
    def from_dict(cls, entry: Mapping) -> "Comparison":
        return cls(value=entry.get("value"), ci=_interval(entry.get("ci")))

    def to_dict(self) -> dict:
        return {"value": self.value, "ci": _as_list(self.ci)}


@dataclass(frozen=True)
class ImpactRatio:
    """A group's entry in the four-fifths rule: its selection rate over the highest group's."""

    selection_rate: float | None
    impact_ratio: float | None
    flagged: bool
    small_group: bool
    ci: tuple | None = None

    @classmethod
    def from_dict(cls, entry: Mapping) -> "ImpactRatio":
        return cls(selection_rate=entry.get("selection_rate"), impact_ratio=entry.get("impact_ratio"),
                   flagged=bool(entry.get("flagged")), small_group=bool(entry.get("small_group")),
                   ci=_interval(entry.get("ci")))

    def to_dict(self) -> dict:
        return {"selection_rate": self.selection_rate, "impact_ratio": self.impact_ratio, "flagged": self.flagged,
                "small_group": self.small_group, "ci": _as_list(self.ci)}


@dataclass(frozen=True)
class GroupRow:
    """One group of a sensitive attribute: its size, metric values with intervals, and comparisons.

    Attributes
    ----------
    group : str
        The group's label (``"x*y"`` in an intersection).
    n, share : int, float or None
        Rows in the group and their share of all rows.
    small_group : bool or None
        True when the group has fewer rows than the policy's ``min_group_size``.
    metrics : Mapping
        ``{metric: value}``; None where a value is undefined.
    ci : Mapping or None
        ``{metric: (low, high) or None}``.
    differences, ratios : Mapping or None
        ``{metric: Comparison}`` against the reference group; None for the reference group itself.
    four_fifths : ImpactRatio or None
    test : Mapping or None
        The selection-rate test against the reference group (``p_value``, ``p_value_adjusted``, ...).
    listed : bool
        False for a group that only the comparisons name (a partial table has no ``groups`` entry for it).
    """

    group: str
    n: int | None
    share: float | None
    small_group: bool | None
    metrics: Mapping
    ci: Mapping | None
    differences: Mapping | None = None
    ratios: Mapping | None = None
    four_fifths: ImpactRatio | None = None
    test: Mapping | None = None
    extra: Mapping = field(default_factory=dict)
    listed: bool = True

    def value(self, metric: str):
        """The group's value of ``metric``; None when undefined or not reported."""
        return self.metrics.get(metric)

    def interval(self, metric: str) -> tuple | None:
        """The interval of ``metric``; None when there is none."""
        return (self.ci or {}).get(metric)

    def difference(self, metric: str) -> Comparison | None:
        """The group's ``metric`` minus the reference group's; None for the reference or an unreported metric."""
        return (self.differences or {}).get(metric)

    def ratio(self, metric: str) -> Comparison | None:
        """The group's ``metric`` over the reference group's; None for the reference or an unreported metric."""
        return (self.ratios or {}).get(metric)

    def to_dict(self) -> dict:
        """The group's entry in the record's ``groups``."""
        entry = {} if self.n is None else {"n": self.n}
        if self.share is not None:
            entry["share"] = self.share
        entry.update(self.metrics)
        if self.small_group is not None:
            entry["small_group"] = self.small_group
        if self.ci is not None:
            entry["ci"] = {metric: _as_list(interval) for metric, interval in self.ci.items()}
        entry.update(_plain(self.extra))
        return entry


@dataclass(frozen=True)
class GroupTable:
    """One sensitive attribute's (or pair's) fairness table: rows per group and the attribute's summary.

    Read a record's fairness section with :func:`group_tables`; ``to_dict()`` gives back exactly the dict
    it was read from.

    Attributes
    ----------
    name : str
        The attribute, or ``"a*b"`` for an intersection.
    attributes : tuple of str
    task : str or None
    reference_group : str or None
        The group every difference and ratio is taken against.
    rows : tuple of GroupRow
        In the record's order.
    summary : Mapping
        The between-group spreads (``demographic_parity_difference``, ``min_impact_ratio``, ...),
        ``groups_compared``, ``groups_excluded`` and ``judged_by``.
    highest_group : str or None
        The four-fifths rule's highest group (None without a four-fifths table).
    sections : Mapping
        The table's other parts as the record holds them (``between_groups``, ``ll144``, ``bootstrap``,
        ``interval_method``, ``proxies``, ``disparity_attribution``, ...).

    Examples
    --------
    >>> import pandas as pd
    >>> from xai_audit.fairness import fairness_report
    >>> groups = pd.DataFrame({"sex": ["f"] * 40 + ["m"] * 60})
    >>> y_true = [1, 0] * 50
    >>> y_pred = [1] * 16 + [0] * 24 + [1] * 36 + [0] * 24
    >>> record = fairness_report(y_true, y_pred, groups, n_resamples=0, random_state=0)
    >>> table = group_tables(record)["sex"]
    >>> table.reference_group, [(r.group, r.n, r.value("selection_rate")) for r in table.rows]
    ('m', [('f', 40, 0.4), ('m', 60, 0.6)])
    >>> round(table.row("f").difference("selection_rate").value, 3), table.row("m").difference("selection_rate")
    (-0.2, None)
    >>> table.to_dict() == record["sex"]
    True
    """

    name: str
    attributes: tuple
    task: str | None
    reference_group: str | None
    rows: tuple
    summary: Mapping = field(default_factory=dict)
    differences_convention: str | None = None
    ratios_convention: str | None = None
    four_fifths_convention: str | None = None
    highest_group: str | None = None
    sections: Mapping = field(default_factory=dict)
    keys: tuple = TYPED_KEYS

    @classmethod
    def from_dict(cls, name: str, table: Mapping) -> "GroupTable":
        """Read one attribute's table of a record (``record["fairness"][name]``)."""
        parts = {key: table.get(key) for key in ("differences", "ratios", "four_fifths", "tests", "summary")}
        typed = {key: value for key, value in parts.items() if isinstance(value, Mapping)}
        # a part that is null, or of a shape this table does not know, stays in ``sections`` as is
        sections = {key: value for key, value in table.items()
                    if key not in TYPED_KEYS or (key in parts and key not in typed)}
        differences, ratios = typed.get("differences", {}), typed.get("ratios", {})
        four, tests = typed.get("four_fifths"), typed.get("tests", {})
        listed = table.get("groups") if isinstance(table.get("groups"), Mapping) else {}
        named = [*listed, *(differences.get("values") or {}), *(ratios.get("values") or {}),
                 *((four or {}).get("groups") or {}), *tests]
        rows = tuple(_row(group, listed.get(group), differences, ratios, four, tests) for group in dict.fromkeys(named))
        return cls(
            name=str(name), attributes=tuple(table.get("attributes") or ()), task=table.get("task"),
            reference_group=table.get("reference_group"), rows=rows,
            summary=_frozen(typed.get("summary", {})),
            differences_convention=differences.get("convention"), ratios_convention=ratios.get("convention"),
            four_fifths_convention=None if four is None else four.get("convention"),
            highest_group=None if four is None else four.get("highest_group"),
            sections=_frozen(sections), keys=tuple(table),
        )

    def to_dict(self) -> dict:
        """The table as the record holds it: exactly the dict it was read from."""
        typed = {
            "attributes": list(self.attributes), "task": self.task, "reference_group": self.reference_group,
            "groups": {row.group: row.to_dict() for row in self.rows if row.listed},
            "differences": self._relative("differences", self.differences_convention),
            "ratios": self._relative("ratios", self.ratios_convention),
            "four_fifths": self._four_fifths(), "tests": self._tests(), "summary": _plain(self.summary),
        }
        full = {**typed, **_plain(self.sections)}
        return {key: full[key] for key in self.keys}

    def row(self, group: str) -> GroupRow | None:
        """The row of ``group``; None when the table has no such group."""
        return next((row for row in self.rows if row.group == group), None)

    @property
    def groups(self) -> tuple:
        """The group labels, in the record's order."""
        return tuple(row.group for row in self.rows)

    @property
    def has_four_fifths(self) -> bool:
        """True when the table holds the four-fifths rule (binary decisions); False for regression."""
        return "four_fifths" in self.keys and "four_fifths" not in self.sections

    @property
    def groups_compared(self) -> tuple:
        """The groups the summary measures and verdicts cover (enough rows, not 'unknown')."""
        return tuple(self.summary.get("groups_compared") or ())

    def level(self, default: float = 0.95) -> float:
        """The confidence level of the table's intervals (``default`` where the record does not say)."""
        method = self.sections.get("interval_method")
        return (method or {}).get("level", default) if isinstance(method, Mapping) else default

    def _relative(self, kind: str, convention) -> dict:
        values = {row.group: {metric: c.to_dict() for metric, c in getattr(row, kind).items()}
                  for row in self.rows if getattr(row, kind) is not None}
        return {"convention": convention, "values": values}

    def _four_fifths(self) -> dict:
        return {"convention": self.four_fifths_convention, "highest_group": self.highest_group,
                "groups": {row.group: row.four_fifths.to_dict() for row in self.rows if row.four_fifths is not None}}

    def _tests(self) -> dict:
        return {row.group: _plain(row.test) for row in self.rows if row.test is not None}


def _row(group, entry: Mapping | None, differences: Mapping, ratios: Mapping, four, tests: Mapping) -> GroupRow:
    listed = entry is not None
    entry = entry or {}
    metrics = {key: value for key, value in entry.items()
               if key not in ROW_KEYS and (value is None or isinstance(value, (int, float)))}
    extra = {key: value for key, value in entry.items() if key not in ROW_KEYS and key not in metrics}
    ci = entry.get("ci")
    relative = {}
    for kind, table in (("differences", differences), ("ratios", ratios)):
        values = (table.get("values") or {}).get(group)
        relative[kind] = None if values is None else MappingProxyType(
            {metric: Comparison.from_dict(item) for metric, item in values.items()})
    impact = None if four is None or group not in (four.get("groups") or {}) else ImpactRatio.from_dict(
        four["groups"][group])
    return GroupRow(
        group=group, n=entry.get("n"), share=entry.get("share"), small_group=entry.get("small_group"),
        metrics=MappingProxyType(metrics),
        ci=None if ci is None else MappingProxyType({metric: _interval(i) for metric, i in ci.items()}),
        differences=relative["differences"], ratios=relative["ratios"], four_fifths=impact,
        test=None if group not in tests else _frozen(tests[group]), extra=_frozen(extra), listed=listed,
    )


def is_group_table(value) -> bool:
    """True for a fairness section entry that is a group table: it has groups, comparisons or a summary
    (a legacy record's section-level ``proxies``, keyed by attribute, has none of them)."""
    return isinstance(value, Mapping) and any(isinstance(value.get(key), Mapping)
                                              for key in ("groups", "differences", "summary"))


def group_tables(fairness: Mapping | None) -> dict:
    """``{name: GroupTable}`` for every attribute and intersection of a record's fairness section.

    Entries that are not group tables (a legacy record's section-level ``proxies``, say) are left out.

    Examples
    --------
    >>> group_tables({"sex": {"reference_group": "m", "groups": {"f": {"n": 40}, "m": {"n": 60}}},
    ...               "proxies": {"sex": {}}})["sex"].groups
    ('f', 'm')
    """
    return {name: GroupTable.from_dict(name, table) for name, table in (fairness or {}).items()
            if is_group_table(table)}
