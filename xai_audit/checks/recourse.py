"""The checks of recourse and the glass-box challenger.

``recourse_burden``: is getting approved as attainable for every group? A rule reads ``share_ratio``
(a group's share of declined cases with a recourse within budget over the reference group's; judged
like the four-fifths rule) or ``cost_ratio`` (a group's median cost of recourse over the reference
group's), with the bootstrap interval. Groups with fewer declined cases in the sample than the
policy's ``min_group_size`` are not judged.

``challenger``: the audited model's ROC AUC advantage over the best interpretable challenger.
"""

from __future__ import annotations

from xai_audit.challenger import SHORT_NAMES
from xai_audit.checks.common import make_finding
from xai_audit.numbers import format_number
from xai_audit.policy import Finding, Rule

METRICS = {"share_ratio": "share_within_budget", "cost_ratio": "median_cost"}


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
                    f"{format_number(recourse.get('budget'))}" if rule.metric == "share_ratio"
                    else "median cost of recourse")
            subject = (f"Recourse for declined '{group}' vs '{reference}' cases ({attribute}): {what}, "
                       f"{format_number(entry.get(base))} vs {format_number(ref.get(base))}; ratio")
            findings.append(make_finding(rule, f"{rule.id}.{attribute}.{group}", value, subject,
                                         (entry.get("ci") or {}).get(rule.metric), confidence=settings["confidence"]))
    return findings


def check_challenger(rule: Rule, sections: dict, settings: dict) -> list[Finding]:
    """The audited model's ROC AUC advantage over the best interpretable challenger. An advantage at or
    below the rule's line warns ("consider the interpretable model"); it never fails: whether the black
    box's advantage is worth its opacity is for a person to decide."""
    section = sections.get("challenger") or {}
    value = section.get("auc_advantage")
    if rule.metric != "auc_advantage" or value is None:
        return []
    interval = section.get("auc_advantage_ci")
    best = section["best_interpretable"]
    close = value <= rule.threshold + 1e-12
    status = "warn" if close else "pass"
    level = f"{settings['confidence'] * 100:g}%"
    ci = "" if interval is None else f" ({level} interval {format_number(interval[0])} to {format_number(interval[1])})"
    verdict = (f"an interpretable model is within {format_number(rule.threshold)} AUC: consider it" if close else
               f"more than the line of {format_number(rule.threshold)}, so the audited model's added complexity buys accuracy")
    message = (f"ROC AUC of the audited model minus that of the best interpretable challenger "
               f"({SHORT_NAMES.get(best, best)}, {section.get('training', {}).get('source', '')}): {format_number(value)}{ci}; "
               f"{verdict}.")
    return [Finding(id=rule.id, check=rule.check, status=status, observed=value, threshold=rule.threshold,
                    message=message, references=rule.references)]
