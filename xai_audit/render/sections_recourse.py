"""Section view for recourse: what declined cases would have to change to be approved, and whether
that burden is the same for every group. Reads only the record's ``recourse`` section."""

from __future__ import annotations

from xai_audit.recourse.section import case_sentence
from xai_audit.render.context import Context, not_computed, section
from xai_audit.render.tables import Column
from xai_audit.render.text import is_number, join_and, num, pct, plural, quoted, plain, with_interval

MAX_CASES = 50


def recourse(ctx: Context) -> dict:
    record = ctx.part("recourse")
    findings = ctx.findings_for("recourse")
    if not record or not isinstance(record.get("summary"), dict):
        return not_computed("recourse", _why_not(ctx), findings=findings)
    constraints = record.get("constraints") or {}
    max_features = int(constraints.get("max_features") or 3)
    summary = record["summary"]
    cases = [c for c in record.get("cases") or [] if isinstance(c, dict)]
    shown = [{"row": plain(str(c.get("row", c.get("position")))), "score": num(c.get("score"), 3),
              "text": plain(c.get("text") or case_sentence(c, max_features=max_features)),
              "cost": num(c.get("cost"), 3) if c.get("found") else "",
              "new_score": num(c.get("new_score"), 3) if c.get("found") else "",
              "within_budget": bool(c.get("within_budget"))} for c in cases[:MAX_CASES]]
    return section("recourse", intro=_intro(record), reading=_reading(record, summary),
                   groups=_group_table(ctx, record), constraints=_constraints_table(ctx, record),
                   cases=shown, truncated=max(len(cases) - MAX_CASES, 0), findings=findings)


def _why_not(ctx) -> str:
    model = ctx.part("model")
    if model.get("task") not in (None, "binary"):
        return f"Recourse applies to approve-or-decline decisions; this model does {model.get('task')}."
    if model.get("framework") == "predictions":
        return ("Recourse is found by changing a declined case and asking the model again; the audit had only "
                "predictions, not the model.")
    return ("The model declined no case in the data, the policy turned recourse off, or the audit that wrote this "
            "record (schema before 1.1) did not compute it.")


def _intro(record) -> str:
    sample = record.get("sample") or {}
    distance = record.get("distance") or {}
    constraints = record.get("constraints") or {}
    n, of = sample.get("n", 0), record.get("n_declined")
    which = (f"For all {plural(n, 'declined case')}" if n == of else
             f"For a seeded sample of {num(n)} of the {plural(of or 0, 'declined case')}")
    return (f"{which}, the cheapest change of at most {num(constraints.get('max_features'))} "
            f"features that the model approves ({record.get('method', 'search')}). Every suggestion shown was "
            "re-scored on the model itself. Cost: " + str(distance.get("description", "not stated"))
            + f"; a change costing at most {num(record.get('budget'))} is within budget. Values stay within those "
            "observed in the data; sensitive attributes and immutable features never change.")


def _reading(record, summary) -> str:
    n, found = summary.get("n_cases", 0), summary.get("n_found", 0)
    counts = summary.get("changed_features") or {}
    spread = join_and(f"{counts[k]} by changing {plural(int(k), 'feature')}" for k in sorted(counts, key=int))
    text = (f"A change the model approves was found for {num(found)} of {plural(n, 'sampled declined case')} "
            f"({pct(summary.get('share_found'))}); for {pct(summary.get('share_within_budget'))} of all sampled cases it is "
            f"within the budget of {num(record.get('budget'))}, and the median cost where one was found is "
            f"{num(summary.get('median_cost'), 3)}.")
    if spread:
        text += f" Of those found, {spread}."
    if summary.get("rejected_on_rescore"):
        text += (f" {plural(summary['rejected_on_rescore'], 'suggestion')} of the search did not hold when the model "
                 "was asked again and were dropped.")
    return text


def _group_table(ctx, record):
    rows, readings = [], []
    for attribute, table in (record.get("by_group") or {}).items():
        reference = table.get("reference_group")
        for group, entry in (table.get("groups") or {}).items():
            ci = entry.get("ci") or {}
            is_reference = group == reference
            rows.append([f"{plain(attribute)}: {plain(group)}" + (" (reference)" if is_reference else ""),
                         num(entry.get("n_declined")), num(entry.get("n_found")),
                         with_interval(entry.get("share_within_budget"), ci.get("share_within_budget"), 2),
                         with_interval(entry.get("median_cost"), ci.get("median_cost"), 2),
                         "—" if is_reference else with_interval(entry.get("share_ratio"), ci.get("share_ratio"), 2),
                         "—" if is_reference else with_interval(entry.get("cost_ratio"), ci.get("cost_ratio"), 2)])
            ratio = entry.get("share_ratio")
            if not is_reference and is_number(ratio) and ratio < 0.8:
                readings.append(f"declined {quoted(group)} cases ({attribute}) reach approval within budget "
                                f"{num(ratio, 2)} times as often as {quoted(reference)} cases")
    if not rows:
        return None
    reading = ("Approval is markedly harder to reach for some groups: " + "; ".join(readings) + "."
               if readings else "No group's share within budget is below four fifths of its reference group's.")
    return ctx.tables.make(
        "Burden of recourse by group", reading,
        [Column("Group"), Column("Declined (sampled)", numeric=True), Column("Recourse found", numeric=True),
         Column("Share within budget (95% interval)", numeric=True), Column("Median cost (95% interval)", numeric=True),
         Column("Share ratio to reference", numeric=True), Column("Cost ratio to reference", numeric=True)],
        rows, notes=["Share within budget: among all sampled declined cases of the group, those with a change costing "
                     "at most the budget; median cost: among those with a change found. Intervals: percentile "
                     "intervals of a stratified bootstrap (each group resampled on its own)."])


def _constraints_table(ctx, record):
    constraints = record.get("constraints") or {}
    scales = (record.get("distance") or {}).get("scales") or {}
    rows = []
    for feature, why in (constraints.get("immutable") or {}).items():
        rows.append([plain(feature), f"never changes ({why})", ""])
    for feature in constraints.get("increase_only") or []:
        rows.append([plain(feature), "may only rise", _scale(scales.get(feature))])
    for feature in constraints.get("decrease_only") or []:
        rows.append([plain(feature), "may only fall", _scale(scales.get(feature))])
    one_way = set(constraints.get("increase_only") or []) | set(constraints.get("decrease_only") or [])
    for feature in constraints.get("mutable") or []:
        if feature not in one_way:
            rows.append([plain(feature), "may change either way" if feature in scales else "may change category",
                         _scale(scales.get(feature))])
    return ctx.tables.make(
        "What a suggested change may touch", "The constraints every suggestion respects, and the scale of each "
        "numeric feature's cost.", [Column("Feature"), Column("Constraint"), Column("Cost scale")], rows,
        notes=[f"Declared but not inputs of this model (skipped): {join_and(constraints['declared_but_not_features'])}."]
        if constraints.get("declared_but_not_features") else [])


def _scale(entry) -> str:
    if not isinstance(entry, dict):
        return ""
    scale = entry.get("scale")
    shown = f"{float(scale):,.4g}" if is_number(scale) else "n/a"
    return f"1 per {shown} ({entry.get('basis', '')})"
