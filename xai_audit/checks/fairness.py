"""The fairness checks: the unknown group's share, the four-fifths rule, between-group gaps judged
through the comparisons against the reference group, and proxy features."""

from __future__ import annotations

from xai_audit.checks.common import make_finding
from xai_audit.checks.comparisons import worst_comparison
from xai_audit.fairness.attribution import signed_share
from xai_audit.fairness.table import group_tables
from xai_audit.numbers import format_number
from xai_audit.policy import Finding, Rule


def check_unknown_share(rule: Rule, sections: dict, settings: dict) -> list[Finding]:
    data = sections.get("data", {})
    findings = []
    for attribute, sizes in data.get("group_sizes", {}).items():
        share = sizes.get("unknown", 0) / max(data.get("n_rows", 1), 1)
        subject = f"Share of rows with no recorded '{attribute}' (the 'unknown' group)"
        findings.append(make_finding(rule, f"{rule.id}.{attribute}", share, subject))
    return findings


def check_four_fifths(rule: Rule, sections: dict, settings: dict) -> list[Finding]:
    """UGESP's four-fifths rule for every group of enough size, judged with its interval."""
    findings = []
    for name, table in group_tables(sections.get("fairness")).items():
        highest = table.highest_group
        compared = set(table.groups_compared)
        for row in table.rows:
            entry = row.four_fifths
            if entry is None or row.group == highest or row.group not in compared or entry.small_group:
                continue
            value = getattr(entry, rule.metric, None)
            if value is None:
                continue
            subject = (f"Selection rate of '{row.group}' relative to '{highest}' ({name}, four-fifths rule): "
                       f"{format_number(entry.selection_rate)} vs the highest group's; impact ratio")
            interval = None if entry.ci is None else list(entry.ci)
            findings.append(make_finding(rule, f"{rule.id}.{name}.{row.group}", value, subject, interval,
                                         confidence=table.level(settings["confidence"])))
    return findings


def check_fairness_gap(rule: Rule, sections: dict, settings: dict) -> list[Finding]:
    """A between-group summary (equalized odds difference, calibration gap, ...) per attribute, judged
    through the comparisons behind it: each compared group against the reference group, with their
    intervals (the summary's ``judged_by``). A spread over groups has no valid interval of its own, so
    the finding reports the comparison furthest from parity, the worst verdict first."""
    severity = {"pass": 0, "info": 0, "warn": 1, "fail": 2}
    findings = []
    for name, table in group_tables(sections.get("fairness")).items():
        value = table.summary.get(rule.metric)
        if value is None:
            continue
        compared = table.groups_compared
        listed = ", ".join(f"'{g}'" for g in compared)
        judged = (table.summary.get("judged_by") or {}).get(rule.metric)
        level = table.level(settings["confidence"])
        worst = None if judged is None else worst_comparison(
            table, judged["comparison"], judged["metrics"], set(compared),
            lambda v, interval: severity[rule.verdict(v, interval)])
        if worst is None:
            subject = f"{rule.title or rule.metric} by {name} (groups {listed}; no interval)"
            findings.append(make_finding(rule, f"{rule.id}.{name}", value, subject, confidence=level))
            continue
        group, metric, signed, folded, interval = worst
        relation = "minus" if judged["comparison"] == "difference" else "over"
        fold = "in absolute value" if judged["comparison"] == "difference" else "as the lower of it and its inverse"
        subject = (f"{rule.title or rule.metric} by {name} is {format_number(value)} over groups {listed}; judged against the "
                   f"reference group '{table.reference_group}': {metric} of '{group}' {relation} the "
                   f"reference is {format_number(signed)}, {fold}")
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
    # the proxy scan sits beside the group table; a legacy record's section-level entries are no tables
    for name, table in (sections.get("fairness") or {}).items():
        if not isinstance(table, dict):
            continue
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
                split = table.get("disparity_attribution") or {}
                gap = (split.get("groups") or {}).get(gap_group, {}).get("output_difference")
                reference = split.get("reference_group")
                reliance, status = (f"it carries {share:.0%} of the model's mean |attribution| but accounts for "
                                    f"{gap_share:.0%} of the {format_number(gap)} gap in mean output between '{gap_group}' "
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
