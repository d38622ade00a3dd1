"""The UGESP four-fifths rule of one attribute's fairness table, as a chart and a table, read from the
typed group table (:class:`xai_audit.fairness.table.GroupTable`)."""

from __future__ import annotations

from xai_audit.fairness.table import GroupTable
from xai_audit.render.names import with_group_names
from xai_audit.render.sections.fairness_tables import group_label
from xai_audit.render.tables import Cell, Column
from xai_audit.render.text import interval, is_number, join_and, num, plain, quoted, ratio_sentence


def four_fifths_chart(ctx, name, table: GroupTable, labels, level="95%"):
    rows = [row for row in table.rows if row.four_fifths is not None]
    if not rows:
        return None
    highest = table.highest_group
    candidates = [row for row in rows if row.group != highest and is_number(row.four_fifths.impact_ratio)
                  and not row.four_fifths.small_group and "unknown" not in str(row.group).split("*")]
    if candidates:
        low = min(candidates, key=lambda row: row.four_fifths.impact_ratio)
        reading = ratio_sentence(name, labels.get(low.group, low.group), labels.get(highest, highest),
                                 low.four_fifths.impact_ratio, _list(low.four_fifths.ci), outcome=ctx.outcome)
    else:
        reading = "No group other than the highest has an impact ratio to judge."
    entries = [row.four_fifths for row in rows]
    return ctx.charts.bars(
        [labels.get(row.group, row.group) for row in rows], [e.impact_ratio for e in entries],
        ci=[_list(e.ci) for e in entries],
        colors=["#D55E00" if e.flagged else "#0072B2" for e in entries],
        hatches=["//" if e.flagged else "" for e in entries],
        legend=[("below four-fifths (flagged)", "#D55E00", "//"), ("at or above four-fifths", "#0072B2", "")]
        if any(e.flagged for e in entries) and not all(e.flagged for e in entries)
        else None,
        line=0.8, line_label="four-fifths",
        title=f"Impact ratios by {name}",
        desc=f"Impact ratio per group with {level} intervals: " + "; ".join(
            f"{plain(labels.get(row.group, row.group))}: {num(row.four_fifths.impact_ratio, 2)}"
            f"{' (below 0.8)' if row.four_fifths.flagged else ''}"
            for row in rows) + ". Bars below the dashed four-fifths line are hatched and orange-red.",
        reading=reading, xlabel="impact ratio (1 = same rate as the highest group)")


def four_fifths_table(ctx, name, table: GroupTable, labels):
    rows_with_entry = [row for row in table.rows if row.four_fifths is not None]
    if not rows_with_entry:
        return None
    highest = table.highest_group
    rows = []
    for row in rows_with_entry:
        entry = row.four_fifths
        verdict = (Cell("Below four-fifths", status="fail") if entry.flagged else
                   Cell("At or above four-fifths", status="pass") if is_number(entry.impact_ratio)
                   else Cell("n/a"))
        rows.append([group_label(labels.get(row.group, row.group), False, entry.small_group)
                     + (" (highest)" if row.group == highest else ""),
                     num(entry.selection_rate),
                     Cell(num(entry.impact_ratio), note=interval(_list(entry.ci))), verdict])
    flagged = [labels.get(row.group, row.group) for row in rows_with_entry if row.four_fifths.flagged]
    reading = (f"{join_and(quoted(g) for g in flagged)} {'falls' if len(flagged) == 1 else 'fall'} below "
               "four-fifths of the highest group's selection rate." if flagged else
               "No group falls below four-fifths of the highest group's selection rate.")
    convention = table.four_fifths_convention
    notes = [f"{with_group_names(convention, labels)}."] if convention else []
    return ctx.tables.make(f"Four-fifths rule by {name}", reading,
                           [Column("Group"), Column("Selection rate", key="selection_rate", numeric=True),
                            Column("Impact ratio", key="impact_ratio", numeric=True),
                            Column("Four-fifths", key="four_fifths")], rows, notes=notes)


def _list(interval_) -> list | None:
    """An interval as the sentences and charts take it (a list), or None."""
    return None if interval_ is None else list(interval_)
