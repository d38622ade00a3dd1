"""Section view for fairness: per attribute and per intersection, groups, comparisons with their sign
convention, the four-fifths rule, Local Law 144, significance tests, disparity attribution and proxies.

It reads the tables ``xai_audit.fairness.fairness_report`` writes; any part it does not know (a key
added later) is still shown, as a generic table, so no computed number goes missing.
"""

from __future__ import annotations

from xai_audit.fairness.table import GroupTable, group_tables
from xai_audit.render import names
from xai_audit.render.context import Context, not_computed, section
from xai_audit.render.sections.fairness_attribution import ATTRIBUTION_KEYS, attribution_blocks
from xai_audit.render.sections.fairness_four_fifths import four_fifths_chart, four_fifths_table
from xai_audit.render.sections.summary_basis import basis_sentence, largest_bound
from xai_audit.render.sections.fairness_tables import (comparison_blocks, group_blocks, ll144_blocks, residual_sentence,
                                                      selection_chart, summary_table, table_level, test_blocks)
from xai_audit.render.tables import generic_table
from xai_audit.render.text import is_number, num, plural, quoted, ratio_sentence, plain

HANDLED = {"attributes", "task", "reference_group", "groups", "differences", "ratios", "between_groups",
           "four_fifths", "ll144", "tests", "summary", "bootstrap", "interval_method", "computed_from"}


def fairness(ctx: Context) -> dict:
    record = ctx.part("fairness")
    findings = ctx.findings_for("fairness")
    if not record:
        return not_computed("fairness", _why_missing(ctx), findings=findings)
    tables = {k: v for k, v in record.items() if isinstance(v, dict) and isinstance(v.get("groups"), dict)
              and k not in ATTRIBUTION_KEYS}
    ordered = sorted(tables, key=lambda name: ("*" in name, list(record).index(name)))
    attached = {name: {} for name in tables}
    leftover = {}
    for key, value in record.items():
        if key in tables or value in (None, {}, []):
            continue
        if key in ATTRIBUTION_KEYS and isinstance(value, dict) and set(value) <= set(tables):
            for attribute, part in value.items():
                attached[attribute][key] = part
        else:
            leftover[key] = value
    parts = [_attribute_part(ctx, name, {**attached[name], **tables[name]}) for name in ordered]
    extra = [generic_table(ctx.tables, f"Fairness result: {plain(k)}", v) for k, v in leftover.items()]
    return section("fairness", parts=parts, extra=extra, findings=findings, headline=headline(record, ctx.outcome, ctx),
                   regression=ctx.task == "regression")


def _why_missing(ctx) -> str:
    data = ctx.part("data")
    if not data.get("sensitive"):
        return "No sensitive attribute was named in the data (sensitive=[...]), so no group can be compared."
    if ctx.task == "multiclass":
        return "Group fairness metrics are computed for binary decisions and regression; this model is multiclass."
    return "The audit record holds no fairness results (the audit that wrote it did not compute them)."


def headline(record: dict, outcome: str, ctx=None) -> str:
    """The sentence about the lowest impact ratio across every attribute, for the executive summary
    (attributes and groups by their plain names when ``ctx`` carries the record's labels)."""
    worst = None
    tables = group_tables(record)
    for name, table in tables.items():
        for row in table.rows:
            entry = row.four_fifths
            if entry is None or not is_number(entry.impact_ratio) or entry.small_group \
                    or row.group == table.highest_group or "unknown" in str(row.group).split("*"):
                continue
            if worst is None or entry.impact_ratio < worst[4]:
                worst = (name, table, row.group, table.highest_group, entry.impact_ratio, entry.ci)
    if worst is None:
        return _residual_headline(record, ctx)
    name, table, group, highest, ratio, ci = worst
    labels = group_labels(record[name], ctx, name)
    return ratio_sentence(attribute_name(name, ctx), labels.get(group, group), labels.get(highest, highest), ratio,
                          None if ci is None else list(ci), outcome=outcome)


def _residual_headline(record: dict, ctx=None) -> str:
    """For a regression model: the attribute whose groups' mean absolute errors differ most, and which
    groups the model over- and under-predicts there (residual = prediction minus truth)."""
    widest = None
    for name, table in group_tables(record).items():
        gap = table.summary.get("mae_difference")
        if is_number(gap) and (widest is None or gap > widest[1]):
            widest = (name, gap, table)
    if widest is None:
        return ""
    name, gap, table = widest
    labels = group_labels(record[name], ctx, name)
    residuals = {labels.get(row.group, row.group): row.value("mean_residual") for row in table.rows
                 if row.listed and not row.small_group and row.group != "unknown"}
    return (f"By {attribute_name(name, ctx)}, the groups' mean absolute errors differ by {num(gap, 3)} (in the target's "
            f"units). " + residual_sentence(residuals)).strip()


def attribute_name(name, ctx=None) -> str:
    """``sex*age_group`` as ``sex × age_group``, each attribute by its plain name when labelled.

    Examples
    --------
    >>> attribute_name("sex*age_group"), attribute_name("sex", {"data": {"labels": {"sex": {"name": "Sex", "values": {}}}}})
    ('sex × age_group', 'Sex')
    """
    return plain(names.attribute_name(ctx or {}, name))


def group_labels(table, ctx=None, name="") -> dict:
    """How each group is named: by its plain name when labelled; an intersection's ``female*< 25``
    becomes ``female & < 25``.

    Examples
    --------
    >>> group_labels({"attributes": ["sex", "age"], "groups": {"f*< 25": {}, "m*>= 25": {}}})
    {'f*< 25': 'f & < 25', 'm*>= 25': 'm & >= 25'}
    >>> group_labels({"groups": {"f": {}}}, {"data": {"labels": {"sex": {"name": "Sex", "values": {"f": "female"}}}}}, "sex")
    {'f': 'female'}
    """
    attribute = "*".join(str(a) for a in table.get("attributes") or []) or str(name)
    return {g: plain(names.group_name(ctx or {}, attribute, g)) for g in table.get("groups") or {}}


def _attribute_part(ctx, name, table) -> dict:
    intersection = "*" in name
    shown_name = attribute_name(name, ctx)
    typed = GroupTable.from_dict(name, table)
    labels = group_labels(table, ctx, name)
    reference = typed.reference_group
    summary = table.get("summary") if isinstance(table.get("summary"), dict) else {}
    excluded = summary.get("groups_excluded") or {}
    intro = (f"{plural(len([row for row in typed.rows if row.listed]), 'group')}; comparisons are against the "
             f"reference group "
             f"{quoted(labels.get(reference, reference))}.")
    if excluded:
        intro += " Left out of the summary measures: " + "; ".join(
            f"{quoted(labels.get(g, g))} ({why})" for g, why in excluded.items()) + "."
    if summary.get("note"):
        intro += " " + str(summary["note"])
    blocks = [{"kind": "text", "text": intro}]
    basis = basis_sentence(ctx.part("data"), table, largest_bound(
        group.get("auc_error_bound") for group in table["groups"].values() if isinstance(group, dict)))
    if basis:
        blocks.append({"kind": "fineprint", "text": basis})
    level = table_level(table)
    charts = [selection_chart(ctx, shown_name, typed, labels, level)]
    ratio_chart = four_fifths_chart(ctx, shown_name, typed, labels, level)
    charts = [c for c in (*charts, ratio_chart) if c is not None]
    summary_view = summary_table(ctx, shown_name, summary, labels, table, level)
    if charts:
        blocks.append({"kind": "pair", "figures": charts, "side": summary_view})
    elif summary_view is not None:
        blocks.append({"kind": "table", "table": summary_view})
    blocks += group_blocks(ctx, shown_name, typed, labels, level)
    four_fifths_view = four_fifths_table(ctx, shown_name, typed, labels)
    if four_fifths_view is not None:
        blocks.append({"kind": "table", "table": four_fifths_view})
    blocks += ll144_blocks(ctx, shown_name, table.get("ll144"), labels)
    blocks += comparison_blocks(ctx, shown_name, typed, labels, level)
    blocks += test_blocks(ctx, shown_name, typed, labels)
    for key in ATTRIBUTION_KEYS:
        if table.get(key):
            blocks += attribution_blocks(ctx, shown_name, key, table[key], labels)
    for key, value in table.items():
        if key not in HANDLED and key not in ATTRIBUTION_KEYS and value not in (None, {}, []):
            blocks.append({"kind": "table", "table": generic_table(ctx.tables, f"{plain(key)} by {shown_name}",
                                                                    value)})
    boot = table.get("bootstrap") or {}
    if boot:
        level = num(boot["confidence"] * 100, 0) + "%" if is_number(boot.get("confidence")) else "95%"
        cap = f" {boot['resample_cap'][0].upper()}{boot['resample_cap'][1:]}." if boot.get("resample_cap") else ""
        blocks.append({"kind": "fineprint", "text": f"Intervals: {level}, "
                       f"{plural(boot.get('n_resamples') or 0, 'resample')} requested"
                       + (f"; {boot['method']}." if boot.get("method") else ".") + cap})
    return {"id": "fair-" + _slug(name), "title": f"By {shown_name}" + (" (intersection)" if intersection else ""),
            "intersection": intersection, "blocks": blocks}


def _slug(name) -> str:
    return "".join(ch if ch.isascii() and ch.isalnum() else "-" for ch in str(name))[:60]


