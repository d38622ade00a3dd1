"""The performance checks: an overall metric against its line, and a metric's gap across groups."""

from __future__ import annotations

from xai_audit.checks.common import make_finding
from xai_audit.checks.comparisons import gap_interval, table_level
from xai_audit.data.groups import UNKNOWN_GROUP
from xai_audit.numbers import format_number
from xai_audit.policy import Finding, Rule


def check_performance(rule: Rule, sections: dict, settings: dict) -> list[Finding]:
    performance = sections.get("performance", {})
    value = performance.get("overall", {}).get(rule.metric)
    if value is None:
        return []
    interval = (performance.get("overall_ci") or {}).get(rule.metric)
    level = (performance.get("bootstrap") or {}).get("confidence", settings["confidence"])
    subject = rule.title or f"Overall {rule.metric}"
    if rule.metric == "roc_auc" and (sections.get("data") or {}).get("task") == "multiclass":
        subject = "Ranking of each class above the others (one-vs-rest ROC AUC, the average over classes)"
    return [make_finding(rule, rule.id, value, subject, interval, confidence=level)]


def check_performance_gap(rule: Rule, sections: dict, settings: dict) -> list[Finding]:
    """The spread of a metric over groups, judged through the worst group's comparison against the
    fairness table's reference group (which has an interval) where that table has the metric; a
    spread of groups has no valid interval of its own."""
    findings = []
    for attribute, groups in sections.get("performance", {}).get("by_group", {}).items():
        values = {g: m.get(rule.metric) for g, m in groups.items()
                  if m.get(rule.metric) is not None and m["n"] >= settings["min_group_size"] and g != UNKNOWN_GROUP}
        if len(values) < 2:
            continue
        best, worst = max(values, key=values.get), min(values, key=values.get)
        gap = values[best] - values[worst]
        spread = (f"{rule.title or rule.metric} by {attribute}: {rule.metric} ranges from {format_number(values[worst])} "
                  f"('{worst}') to {format_number(values[best])} ('{best}')")
        comparison = gap_interval(sections, attribute, rule.metric, gap)
        if comparison is None:
            findings.append(make_finding(rule, f"{rule.id}.{attribute}", gap, spread + ", a gap",
                                         confidence=settings["confidence"]))
            continue
        group, reference, signed, folded, interval = comparison
        subject = (f"{spread}; the largest gap against the reference group '{reference}' is '{group}' "
                   f"({format_number(signed)}, group minus reference), in absolute value")
        findings.append(make_finding(rule, f"{rule.id}.{attribute}", folded, subject, interval,
                                     confidence=table_level(sections, attribute, settings)))
    return findings
