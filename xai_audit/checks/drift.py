"""Policy checks over a drift run's sections (``sections["drift"]``, the :class:`DriftResult` record).

Each returns no finding when its data is absent (no target, no sensitive attribute), so an ordinary
audit, which has no ``drift`` section, is not affected by these rules.
"""

from __future__ import annotations

from xai_audit.checks.common import make_finding
from xai_audit.numbers import format_number
from xai_audit.policy import Finding, Rule

DRIFT_CHECKS = ("drift_share", "drift_psi", "drift_performance", "drift_fairness", "drift_four_fifths")


def check_drift_share(rule: Rule, sections: dict, settings: dict) -> list[Finding]:
    """The share of features whose distribution drifted (adjusted p-value below alpha)."""
    table = sections.get("drift", {}).get("features") or {}
    if table.get("share_drifted") is None:
        return []
    subject = (f"{rule.title or 'Share of inputs whose distribution changed'} ({table['n_drifted']} of "
               f"{table['n_features']}, {table['correction']}-adjusted p below {format_number(table['alpha'])})")
    return [make_finding(rule, rule.id, table["share_drifted"], subject, confidence=settings["confidence"])]


def check_drift_psi(rule: Rule, sections: dict, settings: dict) -> list[Finding]:
    """The largest population stability index over features (and the scores, where present)."""
    drift = sections.get("drift", {})
    values = {name: row["psi"] for name, row in (drift.get("features") or {}).get("features", {}).items()
              if row.get("psi") is not None}
    scores = (drift.get("predictions") or {}).get("scores")
    if scores and scores.get("psi") is not None:
        values["(model score)"] = scores["psi"]
    if not values:
        return []
    worst = max(values, key=values.get)
    beyond = sorted(name for name, value in values.items() if rule.verdict(value) != "pass")
    subject = f"{rule.title or 'Largest population stability index'}, '{worst}'"
    if beyond:
        subject += f" ({len(beyond)} beyond a line: {', '.join(beyond)})"
    return [make_finding(rule, rule.id, values[worst], subject, confidence=settings["confidence"])]


def check_drift_performance(rule: Rule, sections: dict, settings: dict) -> list[Finding]:
    """The change (current − reference) of a performance metric, with its interval."""
    predictions = sections.get("drift", {}).get("predictions") or {}
    row = (predictions.get("performance") or {}).get(rule.metric)
    if not row or row.get("change") is None:
        return []
    subject = (f"{rule.title or rule.metric} change, current minus reference "
               f"({format_number(row['reference'])} to {format_number(row['current'])})")
    return [make_finding(rule, rule.id, row["change"], subject, row.get("ci"),
                         confidence=predictions.get("confidence", settings["confidence"]))]


def check_drift_fairness(rule: Rule, sections: dict, settings: dict) -> list[Finding]:
    """Per attribute, the largest change of a group rate between periods, in absolute value.

    The interval is the change's interval folded to the absolute scale (both ends' signs flipped
    for a fall), so a rule line on the size of a change is judged with it.
    """
    findings = []
    confidence = (sections.get("drift", {}).get("predictions") or {}).get("confidence", settings["confidence"])
    for attribute, table in (sections.get("drift", {}).get("fairness") or {}).items():
        rows = {g: m[rule.metric] for g, m in table["groups"].items()
                if rule.metric in m and m[rule.metric]["change"] is not None
                and min(m[rule.metric]["n_reference"], m[rule.metric]["n_current"]) >= settings["min_group_size"]}
        if not rows:
            continue
        group = max(rows, key=lambda g: abs(rows[g]["change"]))
        row = rows[group]
        low, high = row["ci"]
        interval = [low, high] if row["change"] >= 0 else [-high, -low]
        subject = (f"{rule.title or rule.metric} by {attribute}: the largest change is '{group}', "
                   f"{format_number(row['reference'])} to {format_number(row['current'])} ({format_number(row['change'])}), in absolute value")
        findings.append(make_finding(rule, f"{rule.id}.{attribute}", abs(row["change"]), subject, interval,
                                     confidence=confidence))
    return findings


def check_drift_four_fifths(rule: Rule, sections: dict, settings: dict) -> list[Finding]:
    """Per attribute and intersection, the groups that passed the four-fifths rule before and fail it now.

    A group counts against the rule when its impact ratio's fall is beyond chance (the bootstrap
    interval of the change lies below zero); a group that crossed the line within chance is named
    and the finding warns at least, so chance crossings among many small intersections do not fail
    a gate on their own.
    """
    findings = []
    for attribute, table in (sections.get("drift", {}).get("fairness") or {}).items():
        ff = table["four_fifths"]
        newly = [g for g in ff["changed"] if ff["current"]["groups"][g]["verdict"] == "fail"]
        changes = ff.get("ratio_change")
        established = newly if changes is None else [
            g for g in newly if changes[g].get("ci") is not None and changes[g]["ci"][1] < 0]
        by_chance = [g for g in newly if g not in established]

        def named(groups):
            return ", ".join(f"'{g}' {format_number(ff['reference']['groups'][g]['impact_ratio'])} to "
                             f"{format_number(ff['current']['groups'][g]['impact_ratio'])}" for g in groups)

        subject = f"{rule.title or 'Groups newly below four-fifths'} by {attribute}"
        if established:
            subject += f" ({named(established)})"
        if by_chance:
            subject += f" (crossed within the range expected by chance, not counted: {named(by_chance)})"
        status = rule.verdict(len(established))
        if status == "pass" and by_chance:
            status = "warn"
        findings.append(make_finding(rule, f"{rule.id}.{attribute}", len(established), subject, status=status,
                                     confidence=settings["confidence"]))
    return findings
