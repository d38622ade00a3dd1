"""Turn a policy's rules into findings by reading the computed sections of an audit.

Each check is a function listed in :data:`CHECKS` under the name a rule's ``check`` field uses (one
explicit mapping: importing nothing else registers anything). It receives the rule, the sections
computed so far (``data``, ``performance``, ``fairness``, ``explanations``) and the policy's settings,
and returns findings; a rule whose data is absent (an R² rule on a classifier) yields none.
"""

from __future__ import annotations

from collections.abc import Callable

from xai_audit.checks_common import fmt, make_finding
from xai_audit.checks_coverage import check_coverage
from xai_audit.checks_drift import (check_drift_four_fifths, check_drift_fairness, check_drift_performance,
                                    check_drift_psi, check_drift_share)
from xai_audit.checks_explanations import check_explanation_agreement, check_explanation_quality
from xai_audit.exceptions import InvalidInputError
from xai_audit.checks_reasons import check_prohibited_reliance
from xai_audit.checks_recourse import check_challenger, check_recourse_burden
from xai_audit.fairness.attribution import signed_share
from xai_audit.policy import Finding, Policy, Rule


def evaluate(policy: Policy, sections: dict) -> list[Finding]:
    """Findings for every rule of ``policy`` over the computed ``sections``, in rule order."""
    findings = []
    settings = {"min_group_size": policy.setting("fairness", "min_group_size", 30),
                "confidence": policy.setting("audit", "confidence", 0.95)}
    for rule in policy.rules:
        if rule.check not in CHECKS:
            raise InvalidInputError(
                f"The policy rule '{rule.id}' uses the check {rule.check!r}; known checks are {sorted(CHECKS)}."
            )
        findings.extend(CHECKS[rule.check](rule, sections, settings))
    return findings


def overall_status(findings) -> str:
    """``fail`` if any finding fails, else ``warn`` if any warns, else ``pass``."""
    statuses = {f.status for f in findings}
    return "fail" if "fail" in statuses else "warn" if "warn" in statuses else "pass"


def check_performance(rule: Rule, sections: dict, settings: dict) -> list[Finding]:
    performance = sections.get("performance", {})
    value = performance.get("overall", {}).get(rule.metric)
    if value is None:
        return []
    interval = (performance.get("overall_ci") or {}).get(rule.metric)
    level = (performance.get("bootstrap") or {}).get("confidence", settings["confidence"])
    return [make_finding(rule, rule.id, value, rule.title or f"Overall {rule.metric}", interval, confidence=level)]


def check_performance_gap(rule: Rule, sections: dict, settings: dict) -> list[Finding]:
    """The spread of a metric over groups, judged through the worst group's comparison against the
    fairness table's reference group (which has an interval) where that table has the metric; a
    spread of groups has no valid interval of its own."""
    findings = []
    for attribute, groups in sections.get("performance", {}).get("by_group", {}).items():
        values = {g: m.get(rule.metric) for g, m in groups.items()
                  if m.get(rule.metric) is not None and m["n"] >= settings["min_group_size"] and g != "unknown"}
        if len(values) < 2:
            continue
        best, worst = max(values, key=values.get), min(values, key=values.get)
        gap = values[best] - values[worst]
        spread = (f"{rule.title or rule.metric} by {attribute}: {rule.metric} ranges from {fmt(values[worst])} "
                  f"('{worst}') to {fmt(values[best])} ('{best}')")
        comparison = _gap_interval(sections, attribute, rule.metric, gap)
        if comparison is None:
            findings.append(make_finding(rule, f"{rule.id}.{attribute}", gap, spread + ", a gap",
                                         confidence=settings["confidence"]))
            continue
        group, reference, signed, folded, interval = comparison
        subject = (f"{spread}; the largest gap against the reference group '{reference}' is '{group}' "
                   f"({fmt(signed)}, group minus reference), in absolute value")
        findings.append(make_finding(rule, f"{rule.id}.{attribute}", folded, subject, interval,
                                     confidence=_level(sections, attribute, settings)))
    return findings


# Names of the performance metrics in the fairness tables, where they differ.
FAIRNESS_NAMES = {"roc_auc": "auc"}


def _gap_interval(sections: dict, attribute: str, metric: str, gap: float):
    """The worst group's difference from the reference group in the fairness table of ``attribute``:
    ``(group, reference, signed difference, |difference|, interval of |difference|)``, or None when the
    table does not report the metric. ``gap`` (the spread) is what the finding describes besides."""
    table = (sections.get("fairness") or {}).get(attribute) or {}
    name = FAIRNESS_NAMES.get(metric, metric)
    compared = set((table.get("summary") or {}).get("groups_compared") or [])
    worst = _worst_comparison(table, "difference", (name,), compared, lambda value, interval: 0)
    return None if worst is None else worst[:1] + (table.get("reference_group"),) + worst[2:]


def _level(sections: dict, attribute: str, settings: dict) -> float:
    table = (sections.get("fairness") or {}).get(attribute) or {}
    return (table.get("interval_method") or {}).get("level", settings["confidence"])


def _folded(kind: str, value: float, interval):
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


def _worst_comparison(table: dict, kind: str, metrics, groups, rank):
    """``(group, metric, signed value, folded value, folded interval)`` of the comparison against the
    reference group furthest from parity, among ``groups`` and ``metrics``; ``rank(value, interval)``
    orders ties in the verdict first (higher is worse). None without any comparison."""
    values = ((table.get("differences" if kind == "difference" else "ratios") or {}).get("values") or {})
    worst, worst_key = None, None
    for group, metrics_of_group in values.items():
        if groups and group not in groups:
            continue
        for metric in metrics:
            entry = metrics_of_group.get(metric) or {}
            if entry.get("value") is None:
                continue
            folded, interval = _folded(kind, entry["value"], entry.get("ci"))
            distance = folded if kind == "difference" else -folded
            key = (rank(folded, interval), distance)
            if worst_key is None or key > worst_key:
                worst, worst_key = (group, metric, entry["value"], folded, interval), key
    return worst


def check_unknown_share(rule: Rule, sections: dict, settings: dict) -> list[Finding]:
    data = sections.get("data", {})
    findings = []
    for attribute, sizes in data.get("group_sizes", {}).items():
        share = sizes.get("unknown", 0) / max(data.get("n_rows", 1), 1)
        subject = f"Share of rows with no recorded '{attribute}' (the 'unknown' group)"
        findings.append(make_finding(rule, f"{rule.id}.{attribute}", share, subject))
    return findings


def _compared_tables(sections: dict):
    """(name, table) for every attribute and intersection of the fairness section."""
    return [(name, table) for name, table in sections.get("fairness", {}).items() if isinstance(table, dict)]


def check_four_fifths(rule: Rule, sections: dict, settings: dict) -> list[Finding]:
    """UGESP's four-fifths rule for every group of enough size, judged with its interval."""
    findings = []
    for name, table in _compared_tables(sections):
        rule_table = table.get("four_fifths") or {}
        highest = rule_table.get("highest_group")
        compared = set((table.get("summary") or {}).get("groups_compared") or [])
        for group, entry in rule_table.get("groups", {}).items():
            value = entry.get(rule.metric)
            if group == highest or group not in compared or entry.get("small_group") or value is None:
                continue
            subject = (f"Selection rate of '{group}' relative to '{highest}' ({name}, four-fifths rule): "
                       f"{fmt(entry.get('selection_rate'))} vs the highest group's; impact ratio")
            level = (table.get("interval_method") or {}).get("level", settings["confidence"])
            findings.append(make_finding(rule, f"{rule.id}.{name}.{group}", value, subject, entry.get("ci"),
                                         confidence=level))
    return findings


def check_fairness_gap(rule: Rule, sections: dict, settings: dict) -> list[Finding]:
    """A between-group summary (equalized odds difference, calibration gap, ...) per attribute, judged
    through the comparisons behind it: each compared group against the reference group, with their
    intervals (the summary's ``judged_by``). A spread over groups has no valid interval of its own, so
    the finding reports the comparison furthest from parity, the worst verdict first."""
    severity = {"pass": 0, "info": 0, "warn": 1, "fail": 2}
    findings = []
    for name, table in _compared_tables(sections):
        summary = table.get("summary") or {}
        value = summary.get(rule.metric)
        if value is None:
            continue
        compared = summary.get("groups_compared", [])
        listed = ", ".join(f"'{g}'" for g in compared)
        judged = (summary.get("judged_by") or {}).get(rule.metric)
        level = (table.get("interval_method") or {}).get("level", settings["confidence"])
        worst = None if judged is None else _worst_comparison(
            table, judged["comparison"], judged["metrics"], set(compared),
            lambda v, interval: severity[rule.verdict(v, interval)])
        if worst is None:
            subject = f"{rule.title or rule.metric} by {name} (groups {listed}; no interval)"
            findings.append(make_finding(rule, f"{rule.id}.{name}", value, subject, confidence=level))
            continue
        group, metric, signed, folded, interval = worst
        relation = "minus" if judged["comparison"] == "difference" else "over"
        fold = "in absolute value" if judged["comparison"] == "difference" else "as the lower of it and its inverse"
        subject = (f"{rule.title or rule.metric} by {name} is {fmt(value)} over groups {listed}; judged against the "
                   f"reference group '{table.get('reference_group')}': {metric} of '{group}' {relation} the "
                   f"reference is {fmt(signed)}, {fold}")
        findings.append(make_finding(rule, f"{rule.id}.{name}", folded, subject, interval, confidence=level))
    return findings


def check_proxy_features(rule: Rule, sections: dict, settings: dict) -> list[Finding]:
    """Features that tell a sensitive group apart (ROC AUC beyond the rule's line) and that matter to
    the model: at least ``options.min_attribution_share`` of its mean |attribution| (default 5%), or
    a signed share of at least ``options.min_gap_share`` of a group's gap in mean output in the disparity
    attribution (its contribution divided by that gap, as the report shows it; default 20%).

    A proxy calls for a human look (is the feature a legitimate factor?), not a verdict on its own,
    so it warns and never fails. A separating feature that matters by neither measure is reported as
    info; without attributions (no SHAP, a predictions column) the model's reliance is unknown and it
    warns. One finding per separating feature; a pass per attribute without any.
    """
    share_line = float(rule.options.get("min_attribution_share", 0.05))
    gap_line = float(rule.options.get("min_gap_share", 0.2))
    findings = []
    for name, table in _compared_tables(sections):
        scan = table.get("proxies") or {}
        features = scan.get("features") or {}
        if not features:
            continue
        total = sum(e["mean_abs_attribution"] for e in features.values() if e.get("mean_abs_attribution") is not None)
        flagged = sorted((f for f, e in features.items() if e.get("auc") is not None and rule.verdict(e["auc"]) != "pass"),
                         key=lambda f: -features[f]["auc"])
        for feature in flagged:
            entry = features[feature]
            weight = entry.get("mean_abs_attribution")
            share = None if weight is None or total <= 0 else weight / total
            gap_group, gap_share = _largest_gap_share(table.get("disparity_attribution"), feature)
            if share is None:
                reliance, status = "no attributions show how much the model relies on it", "warn"
            elif share >= share_line:
                reliance, status = f"it carries {share:.0%} of the model's mean |attribution|", "warn"
            elif gap_share is not None and gap_share >= gap_line:
                gap = ((table.get("disparity_attribution") or {}).get("groups") or {}).get(gap_group, {}).get(
                    "output_difference")
                reference = (table.get("disparity_attribution") or {}).get("reference_group")
                reliance, status = (f"it carries {share:.0%} of the model's mean |attribution| but accounts for "
                                    f"{gap_share:.0%} of the {fmt(gap)} gap in mean output between '{gap_group}' "
                                    f"and '{reference}' on the attributed rows"), "warn"
            else:
                reliance, status = (f"it carries only {share:.0%} of the model's mean |attribution| "
                                    f"(under {share_line:.0%}) and no large part of any group's gap"), "info"
            subject = (f"'{feature}' separates '{entry.get('group')}' from the other {name} groups "
                       f"(a possible proxy for {name}; {reliance}); ROC AUC")
            findings.append(make_finding(rule, f"{rule.id}.{name}.{feature}", entry["auc"], subject, status=status))
        if not flagged:
            best = max((f for f in features if features[f].get("auc") is not None), key=lambda f: features[f]["auc"], default=None)
            if best is not None:
                subject = f"Best single-feature separation of the {name} groups ('{best}'), ROC AUC"
                findings.append(make_finding(rule, f"{rule.id}.{name}", features[best]["auc"], subject))
    return findings


def _largest_gap_share(split, feature) -> tuple:
    """(group, share): the group whose gap in mean output ``feature`` accounts for the largest signed
    share of, as its contribution divided by that group's gap (the disparity attribution's ``shares``,
    the same definition the report shows); (None, None) without a disparity attribution."""
    best = (None, None)
    for group, entry in ((split or {}).get("groups") or {}).items():
        if group == (split or {}).get("reference_group") or not isinstance(entry, dict):
            continue
        share = (entry.get("shares") or {}).get(feature)
        if share is None:
            share = signed_share((entry.get("contributions") or {}).get(feature), entry.get("output_difference"))
        if share is not None and (best[1] is None or share > best[1]):
            best = (group, share)
    return best


# Every check a policy rule can name, by that name. A new check is added here, nowhere else.
CHECKS: dict[str, Callable[[Rule, dict, dict], list[Finding]]] = {
    "performance": check_performance,
    "performance_gap": check_performance_gap,
    "unknown_share": check_unknown_share,
    "four_fifths": check_four_fifths,
    "fairness_gap": check_fairness_gap,
    "proxy_features": check_proxy_features,
    "explanation_quality": check_explanation_quality,
    "explanation_agreement": check_explanation_agreement,
    "coverage": check_coverage,
    "prohibited_reliance": check_prohibited_reliance,
    "recourse_burden": check_recourse_burden,
    "challenger": check_challenger,
    "drift_share": check_drift_share,
    "drift_psi": check_drift_psi,
    "drift_performance": check_drift_performance,
    "drift_fairness": check_drift_fairness,
    "drift_four_fifths": check_drift_four_fifths,
}
