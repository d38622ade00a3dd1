"""Section view for adverse-action reasons: up to four principal reasons per declined case, in plain
language, against a stated baseline (Regulation B §1002.9)."""

from __future__ import annotations

from collections import Counter

from xai_audit.render.context import Context, not_computed, section
from xai_audit.render.tables import show
from xai_audit.render.text import join_and, num, plural, quoted, short

MAX_CASES = 50


def reasons(ctx: Context) -> dict:
    cases = ctx.record.get("reasons") or []
    findings = ctx.findings_for("reasons")
    if not cases:
        return not_computed("reasons", _why_no_reasons(ctx), findings=findings)
    cases = [c for c in cases if isinstance(c, dict)]
    counts = Counter(r.get("feature") for c in cases for r in (c.get("reasons") or [])[:4] if isinstance(r, dict))
    first = Counter((c.get("reasons") or [{}])[0].get("feature") for c in cases if c.get("reasons"))
    ranked = [f for f, _ in counts.most_common(12) if f is not None]
    reading = (f"{quoted(ranked[0])} is among the principal reasons in {counts[ranked[0]]} of "
               f"{plural(len(cases), 'declined case')}" + (f", and the first reason in {first[ranked[0]]}" if first[ranked[0]] else "")
               + "." if ranked else "No case has a principal reason.")
    chart = ctx.charts.bars(ranked, [counts[f] for f in ranked], title="How often each factor is a principal reason",
                            desc="Declined cases naming each factor among their principal reasons: " + "; ".join(
                                f"{short(f, 60)}: {counts[f]}" for f in ranked) + ".",
                            reading=reading, xlabel="declined cases naming it") if ranked else None
    baselines = list(dict.fromkeys(str(c.get("baseline")) for c in cases if c.get("baseline")))
    shown = [_case_view(c) for c in cases[:MAX_CASES]]
    return section("reasons", chart=chart, cases=shown, baseline=baselines[0] if len(baselines) == 1 else "",
                   n_cases=len(cases), truncated=max(len(cases) - MAX_CASES, 0), findings=findings,
                   reading=reading, intro=_reasons_intro(ctx, cases))


def _why_no_reasons(ctx) -> str:
    model = ctx.part("model")
    if model.get("task") not in (None, "binary"):
        return (f"Adverse-action reasons apply to approve-or-decline decisions; this model does {model.get('task')}.")
    if model.get("framework") == "predictions":
        return ("Reasons are found by changing a declined case's factors and asking the model again; the audit had "
                "only predictions, not the model.")
    return ("The model declined no case in the data (or approved none, leaving no baseline to compare with), or the "
            "audit that wrote this record did not compute reasons.")


def _reasons_intro(ctx, cases) -> str:
    return (f"{plural(len(cases), 'declined case')} (a seeded sample) with up to four principal reasons each, as "
            "Regulation B \u00a71002.9 asks a lender to state. Each reason names a factor, the applicant's value, "
            "and how much higher the approval score would have been had that factor been like the baseline's.")


def _case_view(case) -> dict:
    reasons_list = [r for r in (case.get("reasons") or []) if isinstance(r, dict)][:4]
    if reasons_list:
        reading = (f"The principal reason is {quoted(reasons_list[0].get('feature'))}"
                   + (f", followed by {join_and(quoted(r.get('feature')) for r in reasons_list[1:])}."
                      if len(reasons_list) > 1 else "."))
    else:
        reading = ("No single factor would have raised the approval score noticeably; the decline reflects many "
                   "small factors together.")
    return {"row": short(show(case.get("row", case.get("position"))), 80), "score": num(case.get("score"), 3),
            "reading": reading,
            "reasons": [{"feature": short(r.get("feature"), 200),
                         "text": short(r.get("text"), 1000) if r.get("text") else "",
                         "fallback": f"{short(r.get('feature'), 200)} is {short(show(r.get('value')), 200)}; "
                                     f"contribution {num(r.get('contribution'), 3)}.",
                         "contribution": num(r.get("contribution"), 3),
                         "caution": _caution(r)} for r in reasons_list],
            "baseline": short(case.get("baseline", ""), 600)}


def _caution(reason) -> str:
    """A warning beside a reason whose factor stands in for a sensitive attribute (a flagged proxy)."""
    attributes = [a for a in (reason.get("stands_in_for") or []) if a]
    if not attributes:
        return ""
    return (f"{quoted(short(reason.get('feature'), 200))} stands in for {join_and(quoted(short(a, 100)) for a in attributes)} "
            "(a flagged proxy): check that it may be given as a reason.")
