"""Comparisons against a fairness table's reference group, as the performance and fairness checks
judge them: the comparison furthest from parity, with its interval folded the same way."""

from __future__ import annotations

from xai_audit.fairness.table import GroupTable, group_tables

# Names of the performance metrics in the fairness tables, where they differ.
FAIRNESS_NAMES = {"roc_auc": "auc"}


def gap_interval(sections: dict, attribute: str, metric: str, gap: float):
    """The worst group's difference from the reference group in the fairness table of ``attribute``:
    ``(group, reference, signed difference, |difference|, interval of |difference|)``, or None when the
    table does not report the metric. ``gap`` (the spread) is what the finding describes besides."""
    table = group_tables(sections.get("fairness")).get(attribute)
    if table is None:
        return None
    name = FAIRNESS_NAMES.get(metric, metric)
    worst = worst_comparison(table, "difference", (name,), set(table.groups_compared), lambda value, interval: 0)
    return None if worst is None else worst[:1] + (table.reference_group,) + worst[2:]


def table_level(sections: dict, attribute: str, settings: dict) -> float:
    """The confidence level of the intervals in the fairness table of ``attribute``."""
    table = group_tables(sections.get("fairness")).get(attribute)
    return settings["confidence"] if table is None else table.level(settings["confidence"])


def folded_from_parity(kind: str, value: float, interval):
    """Distance from parity of a comparison and its interval: |difference| (0 is parity), or
    min(ratio, 1/ratio) (1 is parity), with the interval mapped through the same fold."""
    if kind == "difference":
        folded = abs(value)
        if interval is None or None in interval:
            return folded, None
        low, high = interval
        span = [0.0, max(-low, high)] if low <= 0 <= high else sorted([abs(low), abs(high)])
        return folded, span
    if value is None or value <= 0:
        return value, None if interval is None or None in interval else list(interval)
    folded = min(value, 1 / value)
    if interval is None or None in interval:
        return folded, None
    low, high = interval
    if low <= 1 <= high:
        return folded, [min(low, 1 / high), 1.0]
    if high < 1:
        return folded, [low, high]
    return folded, [1 / high, (1 / low) if low > 0 else float("inf")]


def worst_comparison(table: GroupTable, kind: str, metrics, groups, rank):
    """``(group, metric, signed value, folded value, folded interval)`` of the comparison against the
    reference group furthest from parity, among ``groups`` and ``metrics``; ``rank(value, interval)``
    orders ties in the verdict first (higher is worse). None without any comparison."""
    worst, worst_key = None, None
    for row in table.rows:
        if groups and row.group not in groups:
            continue
        for metric in metrics:
            comparison = row.difference(metric) if kind == "difference" else row.ratio(metric)
            if comparison is None or comparison.value is None:
                continue
            ci = None if comparison.ci is None else list(comparison.ci)
            folded, interval = folded_from_parity(kind, comparison.value, ci)
            distance = folded if kind == "difference" else -folded
            key = (rank(folded, interval), distance)
            if worst_key is None or key > worst_key:
                worst, worst_key = (row.group, metric, comparison.value, folded, interval), key
    return worst
