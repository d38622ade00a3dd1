"""The burden-of-recourse check: is getting approved as attainable for every group?

Registered as ``recourse_burden`` when :mod:`xai_audit.recourse` is imported (the audit imports it).
A rule reads ``share_ratio`` (a group's share of declined cases with a recourse within budget over the
reference group's; judged like the four-fifths rule) or ``cost_ratio`` (a group's median cost of
recourse over the reference group's), with the bootstrap interval. Groups with fewer declined cases in
the sample than the policy's ``min_group_size`` are not judged.
"""

from __future__ import annotations

from xai_audit.checks import fmt, make_finding, register
from xai_audit.policy import Finding, Rule

METRICS = {"share_ratio": "share_within_budget", "cost_ratio": "median_cost"}


@register("recourse_burden")
def check_recourse_burden(rule: Rule, sections: dict, settings: dict) -> list[Finding]:
    """One finding per attribute and non-reference group with enough declined cases."""
    recourse = sections.get("recourse") or {}
    if rule.metric not in METRICS or not recourse.get("by_group"):
        return []
    base = METRICS[rule.metric]
    findings = []
    for attribute, table in recourse["by_group"].items():
        reference = table.get("reference_group")
        ref = (table.get("groups") or {}).get(reference) or {}
        if ref.get("n_declined", 0) < settings["min_group_size"]:
            continue
        for group, entry in (table.get("groups") or {}).items():
            value = entry.get(rule.metric)
            if group == reference or value is None or entry.get("n_declined", 0) < settings["min_group_size"]:
                continue
            what = ("share of declined cases with a recourse within the budget of "
                    f"{fmt(recourse.get('budget'))}" if rule.metric == "share_ratio"
                    else "median cost of recourse")
            subject = (f"Recourse for declined '{group}' vs '{reference}' cases ({attribute}): {what}, "
                       f"{fmt(entry.get(base))} vs {fmt(ref.get(base))}; ratio")
            findings.append(make_finding(rule, f"{rule.id}.{attribute}.{group}", value, subject,
                                         (entry.get("ci") or {}).get(rule.metric), confidence=settings["confidence"]))
    return findings
