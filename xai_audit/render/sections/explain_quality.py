"""Explanation quality: the policy's verdict on each quality measure of a method, the quality table
beside its attributions, and the agreement between methods."""

from __future__ import annotations

from xai_audit.render.context import Context
from xai_audit.render.glossary import display_name, lookup
from xai_audit.render.tables import Cell, Column, show
from xai_audit.render.text import is_number, join_and, num, plural, quoted, plain


def quality_findings(ctx: Context, methods) -> dict:
    """``{method: {quality metric: finding view}}``: the policy's verdict on each quality measure."""
    rules = {r.get("id"): r for r in ((ctx.part("manifest").get("config") or {}).get("policy") or {}).get("rules") or []
             if isinstance(r, dict)}
    verdicts = {}
    for finding in ctx.findings:
        if finding["check"] != "explanation_quality":
            continue
        for method, entry in methods.items():
            suffix = f".{method}"
            if not finding["id"].endswith(suffix):
                continue
            quality = entry.get("quality") if isinstance(entry.get("quality"), dict) else {}
            rule = rules.get(finding["id"][: -len(suffix)], {})
            metric = rule.get("metric") or next((m for m in quality if m in finding["id"]), None)
            if metric is not None:
                verdicts.setdefault(method, {})[metric] = finding
    return verdicts


def quality_verdict(quality, judged=None) -> tuple[str, list]:
    """The worst verdict the policy's findings give a method's quality measures, and the measures
    that reach it. Only findings judge (``judged``: ``{metric: finding view}``); a measure no rule
    covers is not judged, whatever it carries, so the report never re-derives a verdict.

    Examples
    --------
    >>> quality_verdict({"additivity": {"passed": False}, "stability": 0.4}, {"stability": {"status": "warn"}})
    ('warn', ['stability'])
    >>> quality_verdict({"additivity": {"passed": False}})
    ('', [])
    >>> quality_verdict(None)
    ('', [])
    """
    if not isinstance(quality, dict):
        return "", []
    judged = judged or {}
    verdicts = {str(name): judged[name]["status"] for name in quality if name in judged}
    for level in ("fail", "warn"):
        hit = [name.replace("_", " ") for name, status in verdicts.items() if status == level]
        if hit:
            return level, hit
    return ("pass", []) if any(v == "pass" for v in verdicts.values()) else ("", [])


QUALITY_MEANINGS = {
    "additivity": "Whether the attributions add up to the model output exactly or approximately.",
    "additivity_error": "Largest gap between the attributions plus base value and the output; near 0 is good.",
    "completeness_error": "Largest gap between the attributions' sum and the output change they explain.",
    "faithfulness": "How much faster the output moves when the most-attributed features are removed than in random "
                    "order; 0 is no better than random.",
    "deletion": "The deletion curves behind the faithfulness score.",
    "stability": "Median rank correlation of each row's attributions when explained again with another seed; 1 is "
                 "perfectly stable.",
    "local_r2_median": "Median R\u00b2 of LIME's local linear models: how well they fit the model near each row.",
}


def quality_table(ctx, title, quality, judged=None):
    if not isinstance(quality, dict) or not quality:
        return None
    judged = judged or {}
    rows = []
    for name, value in quality.items():
        if name.endswith("_method") and name[: -len("_method")] in quality:
            continue
        finding = judged.get(name)
        status = finding["status"] if finding else ""
        threshold = finding["threshold"] if finding else None
        if isinstance(value, dict) and "deletion_area" in value:
            observed, message = None, ""
            shown = (f"area {num(value.get('deletion_area'))} vs {num(value.get('random_deletion_area'))} at random"
                     f" ({plural(value.get('rows') or 0, 'row')})")
        elif isinstance(value, dict):
            observed = next((value[k] for k in ("value", "observed", "score", "error", "correlation")
                             if k in value), None)
            message = str(value.get("message") or "")
            threshold = threshold or value.get("threshold")
            shown = num(observed) if observed is None or is_number(observed) else plain(show(observed))
            if observed is None and not message:
                shown = plain(show(value))
        else:
            shown = (num(value) if is_number(value) else "not measured" if value is None
                     else plain(show(value)))
            message = ""
        meaning = " ".join(p for p in (QUALITY_MEANINGS.get(name, ""), message,
                                       str(quality.get(f"{name}_method") or "")) if p)
        label = str(name).replace("_", " ")
        verdict_text = {"pass": "Pass", "warn": "Warning", "fail": "Fail"}.get(status, "Not judged")
        line = f"line {show(threshold)}" if threshold not in (None, "") else ""
        rows.append([Cell(label, link=f"g-{name}" if lookup(name) else "", note=plain(meaning)),
                     Cell(shown, note=line),
                     Cell(verdict_text, status=status, link=finding["anchor"] if finding else "")])
    verdict, failed = quality_verdict(quality, judged)
    reading = {"fail": f"{title} failed {join_and(failed)}: its attributions cannot be trusted as they stand.",
               "warn": f"{title} passed its checks except {join_and(failed)}, which warns.",
               "pass": f"{title} passed every explanation-quality check the policy sets."}.get(
        verdict, f"{title}'s quality measurements, reported without a verdict of the policy.")
    return ctx.tables.make(f"Quality of the {title} attributions", reading,
                           [Column("Measure and what it means"), Column("Value"), Column("Verdict")], rows)


def agreement_table(ctx, agreement):
    judged = {}
    for finding in ctx.findings:
        if finding["check"] == "explanation_agreement":
            judged.setdefault(finding["id"].rsplit(".", 1)[-1], []).append(finding)
    rows = []
    for pair in agreement["pairs"]:
        methods = [str(m) for m in pair.get("methods") or []]
        findings = judged.get("-".join(methods), [])
        worst = next((f for level in ("fail", "warn", "pass") for f in findings if f["status"] == level), None)
        rows.append([" vs ".join(display_name(m) for m in methods), num(pair.get("spearman")),
                     f"{num(pair.get('top_k_overlap'))} (top {pair.get('k', 'k')})",
                     Cell(worst["status_label"], status=worst["status"], link=worst["anchor"]) if worst
                     else Cell("Not judged")])
    scored = [p for p in agreement["pairs"] if is_number(p.get("spearman"))]
    if scored:
        low = min(scored, key=lambda p: p["spearman"])
        names = " and ".join(display_name(m) for m in low.get("methods") or [])
        reading = (f"{names} agree least on which features matter (rank correlation {num(low['spearman'], 2)}); "
                   + ("the methods tell the same story." if low["spearman"] >= 0.7 else
                      "where methods disagree, no single ranking should be read on its own."))
    else:
        reading = "No pair of methods could be compared."
    return ctx.tables.make("Agreement between the explanation methods", reading,
                           [Column("Methods"), Column("Rank correlation", key="agreement", numeric=True),
                            Column("Top features in common", numeric=True), Column("Verdict")], rows)


def agreement_reading(value) -> str:
    numbers = {}
    if isinstance(value, dict):
        for pair, entry in value.items():
            if is_number(entry):
                numbers[pair] = entry
            elif isinstance(entry, dict):
                found = next((entry[k] for k in entry if is_number(entry[k]) and
                              any(w in k for w in ("spearman", "rank", "kendall", "correlation"))), None)
                if found is not None:
                    numbers[pair] = found
    if not numbers:
        return ""
    low = min(numbers, key=numbers.get)
    return (f"The rankings agree least for {quoted(low)} (rank correlation {num(numbers[low], 2)}); "
            + ("the methods tell the same story." if numbers[low] >= 0.7 else
               "where methods disagree, neither ranking should be read on its own."))
