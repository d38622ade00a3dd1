"""Section view for adverse-action reasons: up to four principal reasons per declined case, in plain
language, against a stated comparison (Regulation B §1002.9), with the facts a reviewer needs to
judge them: how many cases were declined, at what cut-off, how the shown cases were chosen, what
the reasons are compared with, and which prohibited bases are never given (and how much the
declines lean on them)."""

from __future__ import annotations

from collections import Counter

from xai_audit.render.context import Context, not_computed, section
from xai_audit.render.names import feature_name, value_name
from xai_audit.render.tables import show
from xai_audit.render.text import join_and, num, pct, plain, plural, quoted

MAX_CASES = 50


def reasons(ctx: Context) -> dict:
    cases = ctx.record.get("reasons") or []
    summary = ctx.record.get("reasons_summary") or {}
    findings = ctx.findings_for("reasons")
    if not cases:
        return not_computed("reasons", _why_no_reasons(ctx), findings=findings)
    cases = [c for c in cases if isinstance(c, dict)]
    labels = ctx.part("data").get("labels") or {}
    names = {**{str(c): feature_name(ctx, c) for c in labels}, **(summary.get("names") or {})}
    counts = Counter(_name(r, names) for c in cases for r in (c.get("reasons") or [])[:4] if isinstance(r, dict))
    first = Counter(_name((c.get("reasons") or [{}])[0], names) for c in cases if c.get("reasons"))
    ranked = [f for f, _ in counts.most_common(12) if f is not None]
    reading = (f"{quoted(ranked[0])} is among the principal reasons in {counts[ranked[0]]} of "
               f"{plural(len(cases), 'explained declined case')}"
               + (f", and the first reason in {first[ranked[0]]}" if first[ranked[0]] else "")
               + "." if ranked else "No explained case has a principal reason.")
    chart = ctx.charts.bars(ranked, [counts[f] for f in ranked], title="How often each factor is a principal reason",
                            desc="Explained declined cases naming each factor among their principal reasons: " + "; ".join(
                                f"{plain(f)}: {counts[f]}" for f in ranked) + ".",
                            reading=reading, xlabel="declined cases naming it") if ranked else None
    baselines = list(dict.fromkeys(str(c.get("baseline")) for c in cases if c.get("baseline")))
    shown = [_case_view(ctx, c, names) for c in cases[:MAX_CASES]]
    return section("reasons", chart=chart, cases=shown,
                   baseline="" if summary else (baselines[0] if len(baselines) == 1 else ""),
                   n_cases=len(cases), truncated=max(len(cases) - MAX_CASES, 0), findings=findings,
                   reading=reading, intro=_reasons_intro(cases, summary), facts=_facts(summary),
                   prohibited=_prohibited_text(summary, names))


def _why_no_reasons(ctx) -> str:
    model = ctx.part("model")
    if model.get("task") not in (None, "binary"):
        return (f"Adverse-action reasons apply to approve-or-decline decisions; this model does {model.get('task')}.")
    if model.get("framework") == "predictions":
        return ("Reasons are found by changing a declined case's factors and asking the model again; the audit had "
                "only predictions, not the model.")
    return ("The model declined no case in the data (or approved none, leaving no comparison), or the audit that "
            "wrote this record did not compute reasons.")


def _reasons_intro(cases, summary) -> str:
    if not summary:
        return (f"{plural(len(cases), 'declined case')} (a seeded sample) with up to four principal reasons each, as "
                "Regulation B \u00a71002.9 asks a lender to state. Each reason names a factor, the applicant's value, "
                "and how much higher the approval score would have been had that factor been like the baseline's.")
    return (f"Up to {summary.get('max_reasons', 4)} principal reasons per declined case, as Regulation B \u00a71002.9 "
            "asks a lender to state. A reason is a factor that lowered this applicant's approval score: set to the "
            "comparison value alone, it raises the score by at least "
            f"{num(summary.get('min_impact'), 3)}; a factor equal to the comparison is never a reason. Reasons are "
            "ranked by that rise (their score impact), largest first.")


def _facts(summary) -> list:
    """(label, text) rows: declined count, cut-off, selection, comparison, method."""
    if not summary:
        return []
    cutoff = summary.get("cutoff") or {}
    selection = summary.get("selection") or {}
    declined, total = summary.get("n_declined"), summary.get("n_rows")
    share = f" ({pct(declined / total)})" if isinstance(declined, int) and isinstance(total, int) and total else ""
    return [
        ("Declined cases", f"{num(declined)} of {num(total)}{share}; {num(summary.get('n_approved'))} approved"),
        ("Decision cut-off", plain(cutoff.get("rule") or "not stated")),
        ("Cases shown", plain(selection.get("how") or "not stated")),
        ("Compared with", plain(summary.get("comparison") or "not stated")),
        ("Score impact", plain(f"{summary.get('method', '')}; in {summary.get('space', '')}")),
    ]


def _prohibited_text(summary, names=None) -> str:
    """Which prohibited bases are never reasons, and how much the explained declines lean on them."""
    prohibited = summary.get("prohibited") or []
    if not prohibited:
        return ""
    names = names or {}
    sensitive, declared = summary.get("sensitive") or [], summary.get("prohibited_declared") or []
    parts = [f"{join_and(quoted(plain(names.get(str(p), p))) for p in prohibited)} (the sensitive attributes"
             f"{' and the features the policy declares prohibited' if declared else ''}) are never given as a reason."]
    reliance = summary.get("prohibited_reliance") or {}
    inputs = reliance.get("inputs") or []
    if not inputs:
        parts.append("None of them is an input of the model.")
        return " ".join(parts)
    carried = join_and(f"{quoted(plain(names.get(str(f), f)))} {pct(s)}" for f, s in sorted((reliance.get("by_feature") or {}).items()))
    parts.append(f"The model takes {join_and(quoted(plain(names.get(str(f), f))) for f in inputs)} as input: prohibited features carry "
                 f"{pct(reliance.get('impact_share'))} of the approval score the "
                 f"{plural(reliance.get('n_cases', 0), 'explained declined case')} lost to factors unlike the comparison "
                 f"({carried}), and one would have been among the principal reasons in "
                 f"{reliance.get('cases_with_prohibited_reason', 0)} of them had it not been excluded.")
    return " ".join(parts)


def _name(reason, names) -> str | None:
    if not isinstance(reason, dict) or reason.get("feature") is None:
        return None
    return reason.get("name") or names.get(str(reason.get("feature"))) or str(reason.get("feature"))


def _case_view(ctx, case, names) -> dict:
    reasons_list = [r for r in (case.get("reasons") or []) if isinstance(r, dict)][:4]
    if reasons_list:
        reading = (f"The principal reason is {quoted(_name(reasons_list[0], names))}"
                   + (f", followed by {join_and(quoted(_name(r, names)) for r in reasons_list[1:])}."
                      if len(reasons_list) > 1 else "."))
    else:
        reading = ("No single factor, set to the comparison value, would have raised the approval score noticeably; "
                   "the decline reflects many small factors together.")
    return {"row": plain(show(case.get("row", case.get("position")))), "score": num(case.get("score"), 3),
            "reading": reading,
            "reasons": [{"feature": plain(_name(r, names)),
                         "text": plain(r.get("text")) if r.get("text") else "",
                         "fallback": f"{plain(_name(r, names))} is "
                                     f"{plain(value_name(ctx, r.get('feature'), r.get('value')) if not isinstance(r.get('value'), (dict, list)) else show(r.get('value')))}.",
                         "impact": _impact(r),
                         "caution": _caution(r, names)} for r in reasons_list],
            "baseline": plain(case.get("baseline", ""))}


def _impact(reason) -> str:
    """The score impact as the report states it: a rise of the approval score, re-scored."""
    value = reason.get("score_impact", reason.get("contribution"))
    if value is None:
        return ""
    return f"score impact +{num(value, 3)}"


def _caution(reason, names=None) -> str:
    """A warning beside a reason whose factor stands in for a sensitive attribute (a flagged proxy)."""
    attributes = [a for a in (reason.get("stands_in_for") or []) if a]
    if not attributes:
        return ""
    names = names or {}
    return (f"{quoted(plain(_name(reason, names)))} stands in for "
            f"{join_and(quoted(plain(names.get(str(a), a))) for a in attributes)} "
            "(a flagged proxy): check that it may be given as a reason.")
