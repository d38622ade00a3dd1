"""Coverage checks: a verdict is no better than what the audit could check.

An audit whose data has no target measured neither performance nor fairness; an explainer that
failed explained nothing; a saliency method whose maps fail the model-randomisation sanity check does
not show what the model uses; a group too small for the four-fifths rule was not judged by it. None
of these may leave the audit passing silently, so each becomes a finding of the ``coverage`` check,
whose status when the gap is present is the rule's ``options.status`` (``"warn"`` unless set).

Every value is read from the record's sections as the audit wrote them; nothing is recomputed here.
The rule's ``metric`` says what is covered:

- ``performance``: performance against a target (observed: 1 measured, 0 not).
- ``fairness``: fairness across sensitive groups (observed: 1 measured, 0 not).
- ``explainers``: explainers that failed (observed: how many; the line is 0).
- ``sanity_check``: each image-attribution method the report shows, by its own sanity-check result
  (``passed`` in ``explanations.images.sanity_check``); observed: its mean rank correlation.
- ``small_groups``: groups below the rule's line of impact ratio that were too small for the
  four-fifths check (``small_group`` in the fairness table); observed: the impact ratio.
"""

from __future__ import annotations

from xai_audit.checks.common import crossing_word, line_text
from xai_audit.fairness.table import group_tables
from xai_audit.numbers import format_number
from xai_audit.policy import Finding, Rule

METRICS = ("performance", "fairness", "explainers", "sanity_check", "small_groups")


def check_coverage(rule: Rule, sections: dict, settings: dict) -> list[Finding]:
    """Findings for what the audit could not check, by ``rule.metric`` (see the module docstring)."""
    checks = {"performance": _performance, "fairness": _fairness, "explainers": _explainers,
              "sanity_check": _sanity, "small_groups": _small_groups}
    if rule.metric not in checks:
        from xai_audit.exceptions import InvalidInputError

        raise InvalidInputError(
            f"The policy rule '{rule.id}' uses the coverage metric {rule.metric!r}; known ones are {list(METRICS)}.")
    return checks[rule.metric](rule, sections, settings)


def gap_status(rule: Rule) -> str:
    """The status of a coverage gap under ``rule``: its ``options.status``, else ``"warn"``."""
    return str(rule.options.get("status", "warn"))


def _finding(rule: Rule, finding_id: str, status: str, observed, message: str, threshold=None) -> Finding:
    return Finding(id=finding_id, check=rule.check, status=status, observed=observed,
                   threshold=rule.threshold if threshold is None else threshold, message=message,
                   references=rule.references)


def _performance(rule: Rule, sections: dict, settings: dict) -> list[Finding]:
    measured = bool((sections.get("performance") or {}).get("overall"))
    if measured:
        return [_finding(rule, rule.id, "pass", 1, "Performance was measured against the target.")]
    target = (sections.get("data") or {}).get("target")
    why = ("the data has no target column" if target is None
           else f"no performance metric could be computed for the target '{target}'")
    return [_finding(rule, rule.id, gap_status(rule), 0,
                     f"Performance was not checked: {why}, so nothing in this audit shows whether the model's "
                     "predictions are right. Give the data its target to judge it.")]


def _fairness(rule: Rule, sections: dict, settings: dict) -> list[Finding]:
    tables = [name for name, table in (sections.get("fairness") or {}).items()
              if isinstance(table, dict) and "groups" in table]
    if tables:
        return [_finding(rule, rule.id, "pass", 1,
                         f"Fairness was measured across groups of {', '.join(repr(t) for t in tables)}.")]
    data = sections.get("data") or {}
    task = (sections.get("model") or {}).get("task") or data.get("task")
    if data.get("target") is None:
        why = "the data has no target column"
    elif not data.get("sensitive"):
        why = "no sensitive attribute was given"
    elif task not in ("binary", "regression"):
        why = f"group fairness metrics are computed for binary and regression models, and this model does {task}"
    else:
        why = "no fairness table was computed"
    return [_finding(rule, rule.id, gap_status(rule), 0,
                     f"Fairness across groups was not checked: {why}, so no rule of the policy judged how the "
                     "model treats different groups.")]


def _explainers(rule: Rule, sections: dict, settings: dict) -> list[Finding]:
    section = sections.get("explanations") or {}
    failed = {method: entry["error"] for method, entry in section.items()
              if isinstance(entry, dict) and entry.get("error")}
    images = section.get("images")
    if isinstance(images, dict) and images.get("error"):
        failed["images"] = images["error"]
    ran = [m for m, e in section.items() if isinstance(e, dict) and ("quality" in e or m == "images") and m not in failed]
    if not failed:
        if not ran:
            return []
        return [_finding(rule, rule.id, "pass", 0, f"Every explainer the audit ran completed ({', '.join(ran)}).")]
    listed = "; ".join(f"'{method}': {error}" for method, error in failed.items())
    return [_finding(rule, rule.id, gap_status(rule), len(failed),
                     f"{len(failed)} explainer{'s' if len(failed) != 1 else ''} failed, so "
                     f"{'their' if len(failed) != 1 else 'its'} explanations are missing from this audit: {listed}")]


def _sanity(rule: Rule, sections: dict, settings: dict) -> list[Finding]:
    images = (sections.get("explanations") or {}).get("images") or {}
    shown = images.get("methods") or {}
    findings = []
    for method, check in (images.get("sanity_check") or {}).items():
        if method not in shown or not isinstance(check, dict) or check.get("passed") is None:
            continue
        correlation, line = check.get("mean_rank_correlation"), check.get("threshold")
        if check["passed"]:
            findings.append(_finding(
                rule, f"{rule.id}.{method}", "pass", correlation,
                f"{method}: passed the model-randomisation sanity check (mean rank correlation between the maps of "
                f"the trained and the randomised model {format_number(correlation)}, at most {format_number(line)}).", threshold=line))
        else:
            findings.append(_finding(
                rule, f"{rule.id}.{method}", gap_status(rule), correlation,
                f"{method}: failed the model-randomisation sanity check (mean rank correlation between the maps of "
                f"the trained and the randomised model {format_number(correlation)}, above {format_number(line)}); its maps, shown in "
                "this report, barely depend on what the model learned and are not trustworthy.", threshold=line))
    return findings


def _small_groups(rule: Rule, sections: dict, settings: dict) -> list[Finding]:
    findings = []
    minimum = settings.get("min_group_size")
    for name, table in group_tables(sections.get("fairness")).items():
        for row in table.rows:
            value = None if row.four_fifths is None else row.four_fifths.impact_ratio
            if row.four_fifths is None or not row.four_fifths.small_group or value is None \
                    or rule.verdict(value) == "pass":
                continue
            group, n, test = row.group, row.n, row.test or {}
            p_value = test.get("p_value")
            evidence = ("" if p_value is None else
                        f"; {str(test.get('test', 'test')).replace('_', ' ')} p = {format_number(p_value)} for its selection rate")
            message = (f"Selection rate of '{group}' relative to '{table.highest_group}' ({name}): impact "
                       f"ratio {format_number(value)}, {crossing_word(rule)} {line_text(rule)}; not judged: too small (n = {format_number(n)}"
                       + (f", under the minimum of {minimum}" if minimum is not None else "") + f"){evidence}.")
            findings.append(_finding(rule, f"{rule.id}.{name}.{group}", gap_status(rule), value, message))
    return findings
