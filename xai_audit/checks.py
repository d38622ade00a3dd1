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
from xai_audit.checks_explanations import check_explanation_agreement, check_explanation_quality
from xai_audit.exceptions import InvalidInputError
from xai_audit.checks_reasons import check_prohibited_reliance
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
    value = sections.get("performance", {}).get("overall", {}).get(rule.metric)
    if value is None:
        return []
    return [make_finding(rule, rule.id, value, rule.title or f"Overall {rule.metric}")]


def check_performance_gap(rule: Rule, sections: dict, settings: dict) -> list[Finding]:
    findings = []
    for attribute, groups in sections.get("performance", {}).get("by_group", {}).items():
        values = {g: m.get(rule.metric) for g, m in groups.items()
                  if m.get(rule.metric) is not None and m["n"] >= settings["min_group_size"] and g != "unknown"}
        if len(values) < 2:
            continue
        best, worst = max(values, key=values.get), min(values, key=values.get)
        gap = values[best] - values[worst]
        subject = (f"{rule.title or rule.metric} by {attribute}: {rule.metric} ranges from {fmt(values[worst])} "
                   f"('{worst}') to {fmt(values[best])} ('{best}'), a gap")
        findings.append(make_finding(rule, f"{rule.id}.{attribute}", gap, subject,
                                     _gap_interval(sections, attribute, rule.metric, gap),
                                     confidence=settings["confidence"]))
    return findings


# Names of the performance metrics in the fairness tables, where they differ.
FAIRNESS_NAMES = {"roc_auc": "auc"}


def _gap_interval(sections: dict, attribute: str, metric: str, gap: float):
    """The bootstrap interval of a between-group gap, from the fairness table of the same attribute,
    when that table measured the same gap (same metric, same groups compared); else None."""
    table = (sections.get("fairness") or {}).get(attribute) or {}
    entry = ((table.get("between_groups") or {}).get("values") or {}).get(FAIRNESS_NAMES.get(metric, metric)) or {}
    difference, interval = entry.get("difference"), (entry.get("ci") or {}).get("difference")
    if difference is None or interval is None or None in interval or abs(difference - gap) > 1e-9:
        return None
    return interval


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
            findings.append(make_finding(rule, f"{rule.id}.{name}.{group}", value, subject, entry.get("ci"),
                                         confidence=settings["confidence"]))
    return findings


def check_fairness_gap(rule: Rule, sections: dict, settings: dict) -> list[Finding]:
    """A between-group summary (equalized odds difference, calibration gap, ...) per attribute."""
    findings = []
    for name, table in _compared_tables(sections):
        summary = table.get("summary") or {}
        value = summary.get(rule.metric)
        if value is None:
            continue
        compared = ", ".join(f"'{g}'" for g in summary.get("groups_compared", []))
        subject = f"{rule.title or rule.metric} by {name} (groups {compared})"
        findings.append(make_finding(rule, f"{rule.id}.{name}", value, subject, (summary.get("ci") or {}).get(rule.metric),
                                     confidence=settings["confidence"]))
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
}
