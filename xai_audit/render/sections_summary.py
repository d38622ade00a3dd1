"""The executive summary: the verdict, the failed and warned findings, and three things to know.

It is built last (it quotes the other sections) and shown first.
"""

from __future__ import annotations

from xai_audit.render.context import Context, section
from xai_audit.render.glossary import display_name
from xai_audit.render.names import attribute_name, group_name
from xai_audit.render.sections_metrics import overall_reading
from xai_audit.render.text import (direction_of, is_number, margin_beyond, num, plural, range_sentence,
                                   rule_directions, serious_order, status_label, verdict_sentence)

# Checks that judge a value with its interval: a warning beyond the line is one the interval does not settle.
INTERVAL_CHECKS = ("four_fifths", "fairness_gap", "performance_gap")
VERDICT_MEANINGS = {
    "pass": "Every finding of the policy passes. Read the limitations before relying on the model.",
    "warn": "No finding fails, but the warnings below need a person's review before the model is used.",
    "fail": "At least one finding fails its rule. The model should not be used as it is until the failed "
            "findings are resolved or formally accepted.",
}


def summary(ctx: Context, views: dict) -> dict:
    """The summary view: the verdict (from the findings themselves), its meaning, and the failed, warned
    and not-judged findings, most serious first."""
    raw = [f for f in ctx.record.get("findings") or [] if isinstance(f, dict)]
    statuses = {f["status"] for f in ctx.findings}
    status = ("fail" if "fail" in statuses else "warn" if "warn" in statuses else "pass") if ctx.findings else (
        ctx.record.get("status") or "pass")
    counts = {s: sum(1 for f in ctx.findings if f["status"] == s) for s in ("pass", "warn", "fail", "info")}
    directions = rule_directions(ctx.record)
    order = serious_order(raw, directions)
    # Coverage findings given "info" by the policy (what could not be judged) are listed too, never dropped.
    order += [i for i, f in enumerate(raw) if f.get("check") == "coverage" and f.get("status") == "info"]
    attention = [ctx.findings[i] for i in order]
    unsettled = sum(1 for f in raw if f.get("status") == "warn" and f.get("check") in INTERVAL_CHECKS
                    and (margin_beyond(f, direction_of(f, directions)) or 0) > 0)
    not_checked = sum(1 for f in raw if f.get("check") == "coverage" and f.get("status") in ("warn", "fail"))
    return section("summary", status=status, status_label=status_label(status),
                   verdict=verdict_sentence(status, counts, unsettled=unsettled, not_checked=not_checked),
                   meaning=VERDICT_MEANINGS.get(status, ""),
                   counts=counts, attention=attention, things=three_things(ctx, views, attention))


def three_things(ctx: Context, views: dict, attention: list | None = None) -> list[dict]:
    """Up to three plain sentences a reader must not miss, from the most serious to the least.

    ``attention``: the failed and warned finding views, most serious first (see :func:`summary`);
    the first of them is the most serious finding. A pass is never listed as serious.
    """
    things = []
    worst = next((f for f in attention or [] if f["status"] in ("fail", "warn")), None)
    if worst is not None:
        things.append({"title": "Most serious finding", "text": worst["message"], "link": worst["anchor"]})
    fairness = views.get("fairness", {})
    if fairness.get("headline"):
        things.append({"title": "Fairness", "text": fairness["headline"], "link": "fairness"})
    elif not fairness.get("computed", True):
        gap = _performance_gap(ctx)
        things.append({"title": "Fairness", "text": "Fairness across groups was not computed in this audit. "
                       + fairness.get("missing", "") + (f" {gap}" if gap else ""), "link": "fairness"})
    explanations = views.get("explanations", {})
    if explanations.get("headline"):
        things.append({"title": "What drives the model", "text": explanations["headline"], "link": "explanations"})
    reasons = views.get("reasons", {})
    if len(things) < 3 and reasons.get("computed") and reasons.get("reading"):
        things.append({"title": "Why applicants are declined", "text": reasons["reading"], "link": "reasons"})
    if len(things) < 3:
        overall = ctx.part("performance").get("overall") or {}
        if is_number(overall.get("roc_auc")):
            text = overall_reading({"roc_auc": overall["roc_auc"]}, {}, ctx.task)
            things.append({"title": "Performance", "text": text[:-1] + (
                f"; its probabilities are off by {num(overall['ece'], 3)} on average (debiased ECE)."
                if is_number(overall.get("ece")) else "."), "link": "performance"})
    if len(things) < 3 and not ctx.part("model_card"):
        things.append({"title": "Documentation", "text": "No model card was given: intended use, decision role, "
                       "human oversight and limitations are not recorded.", "link": "model-card"})
    return things[:3]


def _performance_gap(ctx) -> str:
    by_group = ctx.part("performance").get("by_group") or {}
    best = None
    for attribute, groups in by_group.items():
        values = {g: v.get("accuracy") for g, v in groups.items() if isinstance(v, dict) and g != "unknown"
                  and is_number(v.get("accuracy")) and v.get("n", 0) >= ctx.min_group_size}
        if len(values) >= 2:
            gap = max(values.values()) - min(values.values())
            if best is None or gap > best[0]:
                best = (gap, attribute, values)
    if best is None:
        return ""
    return range_sentence(f"{display_name('accuracy')} by {attribute_name(ctx, best[1])}",
                          {group_name(ctx, best[1], g): v for g, v in best[2].items()})


def counts_line(counts: dict) -> str:
    """``2 fail · 1 warning · 5 pass`` for the verdict banner.

    Examples
    --------
    >>> counts_line({"fail": 1, "warn": 0, "pass": 3})
    '1 fail · 0 warnings · 3 pass'
    """
    return (f"{counts.get('fail', 0)} fail \u00b7 {plural(counts.get('warn', 0), 'warning')} \u00b7 "
            f"{counts.get('pass', 0)} pass")

