"""Fairness tables and their charts: summary measures, group metrics, the four-fifths rule, Local Law
144, comparisons with the reference group and significance tests."""

from __future__ import annotations

from collections.abc import Mapping

from xai_audit.render.glossary import display_name, lookup
from xai_audit.render.names import with_group_names
from xai_audit.render.tables import Cell, Column, generic_table, show
from xai_audit.render.text import (interval, is_number, join_and, lower_first, num, plain, plural, quoted,
                                   range_sentence)

MAIN_METRICS = ("selection_rate", "tpr", "fpr", "fnr", "ppv", "accuracy", "auc",
                "mean_prediction", "mae", "rmse", "r2", "mean_residual")
FURTHER_METRICS = ("base_rate", "tnr", "npv", "fdr", "for", "ece", "mean_score", "calibration_in_the_large")
SUMMARY_NAMES = {
    "demographic_parity_difference": "Demographic parity difference",
    "demographic_parity_ratio": "Demographic parity ratio",
    "equalized_odds_difference": "Equalized odds difference",
    "equalized_odds_ratio": "Equalized odds ratio",
    "equal_opportunity_difference": "Equal opportunity difference",
    "predictive_parity_difference": "Predictive parity difference",
    "accuracy_difference": "Accuracy difference",
    "calibration_gap": "Calibration gap (spread of mean score \u2212 observed rate)",
    "auc_difference": "AUC difference",
    "min_impact_ratio": "Lowest impact ratio",
}


def table_level(table) -> str:
    """The level of a table's intervals as the report writes it ('90%'); 95% when the record does not say."""
    method = table.get("interval_method") if isinstance(table.get("interval_method"), dict) else {}
    boot = table.get("bootstrap") if isinstance(table.get("bootstrap"), dict) else {}
    level = method.get("level", boot.get("confidence"))
    return f"{level * 100:g}%" if is_number(level) and 0 < level < 1 else "95%"


def _glossary_anchor(key) -> str:
    for candidate in (key, key.replace("_ratio", "_difference"), "impact_ratio" if "impact" in key else ""):
        if candidate and lookup(candidate):
            return f"g-{candidate}"
    return ""


def summary_name(key) -> str:
    """How a summary measure is named: its own name, else its metric's glossary term with the case kept.

    Examples
    --------
    >>> summary_name("mae_difference"), summary_name("mean_prediction_ratio"), summary_name("calibration_gap")
    ('Mean absolute error (MAE) difference', 'Mean prediction ratio', 'Calibration gap (spread of mean score − observed rate)')
    """
    if key in SUMMARY_NAMES:
        return SUMMARY_NAMES[key]
    for suffix in ("_difference", "_ratio"):
        if key.endswith(suffix) and lookup(key[: -len(suffix)]):
            return f"{display_name(key[: -len(suffix)])} {suffix[1:]}"
    text = key.replace("_", " ")
    return text[:1].upper() + text[1:]


def comparable_groups(table, summary) -> list:
    """The groups the summary measures compare: as the record lists them, else those that are neither
    small nor unknown nor excluded.

    Examples
    --------
    >>> comparable_groups({"groups": {"a": {"n": 74}, "b": {"n": 59}, "c": {"small_group": True}}}, {})
    ['a', 'b']
    """
    if isinstance(summary.get("groups_compared"), list):
        return list(summary["groups_compared"])
    excluded = summary.get("groups_excluded") or {}
    return [g for g, e in (table.get("groups") or {}).items() if isinstance(e, dict) and not e.get("small_group")
            and g != "unknown" and g not in excluded]


def summary_reading(name, summary, compared, labels) -> str:
    """The sentence under the summary measures: the selection-rate spread of a classifier, the error
    spread of a regression model, or why there is nothing to compare (only when fewer than two groups
    are comparable).

    Examples
    --------
    >>> summary_reading("sex", {"mae_difference": 2.5}, ["f", "m"], {})
    "The mean absolute error (MAE) of the groups of sex compared ('f' and 'm') differs by 2.500 between the largest and the smallest, in the target's units."
    >>> summary_reading("sex", {}, ["f"], {})
    "Fewer than two comparable groups (only 'f'): the summary measures are undefined."
    """
    dpd = summary.get("demographic_parity_difference")
    if is_number(dpd):
        return (f"The most and least often selected groups by {name} differ by {num(dpd * 100, 1)} percentage "
                f"points in selection rate.")
    shown = join_and(quoted(labels.get(g, g)) for g in compared)
    if len(compared) < 2:
        return ("Fewer than two comparable groups" + (f" (only {shown})" if compared else "")
                + ": the summary measures are undefined.")
    mae = summary.get("mae_difference")
    if is_number(mae):
        return (f"The mean absolute error (MAE) of the groups of {name} compared ({shown}) differs by {num(mae, 3)} "
                "between the largest and the smallest, in the target's units.")
    return f"The summary measures compare {shown}; they are not defined for this model's task."


def summary_table(ctx, name, summary, labels, table=None, level="95%"):
    spans = summary.get("ci") if isinstance(summary.get("ci"), dict) else {}
    present = [k for k in SUMMARY_NAMES if k in summary]
    present += [k for k, v in summary.items() if k not in SUMMARY_NAMES and k.endswith(("_difference", "_ratio"))
                and (v is None or is_number(v))]
    if not present:
        return None
    rows = [[Cell(summary_name(k), link=_glossary_anchor(k)),
             Cell(num(summary.get(k)), note=interval(spans.get(k)))] for k in present]
    reading = summary_reading(name, summary, comparable_groups(table or {}, summary), labels)
    calibration = _calibration_reading(table or {}, labels, level)
    if calibration:
        reading += " " + calibration
    flagged = summary.get("four_fifths_flagged_groups") or []
    notes = [f"{with_group_names(summary['convention'], labels)}."] if summary.get("convention") else []
    if flagged:
        notes.append(f"Below four-fifths: {join_and(quoted(labels.get(g, g)) for g in flagged)}.")
    if summary.get("interval_note"):
        notes.append(f"{str(summary['interval_note'])[0].upper()}{str(summary['interval_note'])[1:]}.")
    elif spans:
        notes.append(f"Second line: {level} bootstrap interval.")
    return ctx.tables.make(f"Summary fairness measures by {name}", reading,
                           [Column("Measure"), Column("Value", numeric=True)], rows, notes=notes)


def _calibration_reading(table, labels, level) -> str:
    """Which groups the model over- and under-predicts (signed calibration-in-the-large, mean score minus
    observed rate), and each group's signed difference from the reference group with its interval.

    Examples
    --------
    >>> table = {"reference_group": "m", "groups": {"f": {"calibration_in_the_large": -0.06},
    ...          "m": {"calibration_in_the_large": 0.03}}, "differences": {"values": {"f": {
    ...          "calibration_in_the_large": {"value": -0.09, "ci": [-0.15, -0.03]}}}}}
    >>> _calibration_reading(table, {"f": "f", "m": "m"}, "95%")
    "Mean score minus observed rate: the model over-predicts the favourable outcome for 'm' by 0.030 and under-predicts it for 'f' by 0.060; 'f' minus the reference 'm': -0.090 (95% interval -0.150 to -0.030)."
    """
    groups = table.get("groups") or {}
    values = {g: e.get("calibration_in_the_large") for g, e in groups.items() if isinstance(e, dict)
              and is_number(e.get("calibration_in_the_large")) and not e.get("small_group") and g != "unknown"}
    if not values:
        return ""
    over = [f"{quoted(labels.get(g, g))} by {num(v, 3)}" for g, v in values.items() if v > 0]
    under = [f"{quoted(labels.get(g, g))} by {num(-v, 3)}" for g, v in values.items() if v < 0]
    said = ([f"over-predicts the favourable outcome for {join_and(over)}"] if over else []) + (
        [f"under-predicts it for {join_and(under)}" if over else
         f"under-predicts the favourable outcome for {join_and(under)}"] if under else [])
    text = "Mean score minus observed rate: the model " + (" and ".join(said) if said else "is calibrated in the large")
    reference = table.get("reference_group")
    compared = []
    for group, metrics in _values(table.get("differences")).items():
        entry = metrics.get("calibration_in_the_large") if isinstance(metrics, dict) else None
        if group in values and is_number(_value(entry)):
            span = interval(_span(entry), 3)
            compared.append(f"{quoted(labels.get(group, group))} minus the reference {quoted(labels.get(reference, reference))}: "
                            f"{num(_value(entry), 3)}" + (f" ({level} interval {span})" if span else ""))
    return text + ("; " + "; ".join(compared) if compared else "") + "."


def selection_chart(ctx, name, table, labels, level="95%"):
    """Each group's selection rate (mean prediction for regression) with its interval, from the typed table."""
    reference, rows = table.reference_group, _listed(table)
    rate = "selection_rate" if any("selection_rate" in row.metrics for row in rows) else "mean_prediction"
    values = {row.group: row.value(rate) for row in rows}
    known = {g: v for g, v in values.items() if is_number(v)}
    if not known:
        return None
    low, high = min(known, key=known.get), max(known, key=known.get)
    spans = {row.group: _as_list(row.interval(rate)) for row in rows}
    reading = (f"{quoted(labels[low])} has the lowest {lower_first(display_name(rate))}, "
               f"{num(known[low], 2)}{_paren(interval(spans[low], 2))}, and "
               f"{quoted(labels[high])} the highest, {num(known[high], 2)}"
               f"{_paren(interval(spans[high], 2))}.")
    desc = "; ".join(f"{plain(labels[g])}: {num(v, 3)}" for g, v in values.items())
    if rate == "mean_prediction" and any(is_number(row.value("mean_residual")) for row in rows):
        return observed_beside_predicted(ctx, name, rows, labels, reading)
    hatches = ["//" if str(row.group) == str(reference) else ("xx" if row.small_group else "") for row in rows]
    legend = [(text, "#0072B2", hatch) for text, hatch in (("other groups", ""), ("reference group", "//"),
                                                            ("small group (left out of the summaries)", "xx"))
              if hatch in hatches]
    return ctx.charts.bars(
        [labels[row.group] for row in rows], list(values.values()), ci=[spans[row.group] for row in rows],
        hatches=hatches, legend=legend if len(legend) > 1 else None, title=f"{display_name(rate)} by {name}",
        desc=f"{display_name(rate)} per group with {level} intervals: {desc}. The reference group is hatched "
             "with diagonal lines, small groups with crosses.",
        reading=reading, xlabel=lower_first(display_name(rate)))


def observed_beside_predicted(ctx, name, rows, labels, reading):
    """A regression model's mean prediction per group beside the observed mean of the target.

    The observed mean is the mean prediction minus the mean residual (residual = prediction − truth),
    both over the group's rows, so the gap between the two bars is the group's mean residual.
    """
    shown = [row for row in rows if is_number(row.value("mean_prediction")) and is_number(row.value("mean_residual"))]
    observed = [row.value("mean_prediction") - row.value("mean_residual") for row in shown]
    predicted = [row.value("mean_prediction") for row in shown]
    return ctx.charts.paired_bars(
        [labels[row.group] for row in shown], observed, predicted, legend=("observed mean", "mean prediction"),
        title=f"Observed and predicted means by {name}",
        desc="Per group, observed mean of the target and mean prediction: " + "; ".join(
            f"{plain(labels[row.group])}: {num(o, 3)} observed, {num(p, 3)} predicted"
            for row, o, p in zip(shown, observed, predicted)) + ".",
        reading=reading + " The gap between a group's two bars is its mean residual (prediction minus truth).",
        xlabel="target units")


def group_blocks(ctx, name, table, labels, level="95%") -> list:
    """The group metrics tables (main and further rates) with their intervals, from the typed table."""
    reference, listed = table.reference_group, _listed(table)
    judged = [row for row in listed if not row.small_group and row.group != "unknown"]
    blocks = []
    for title, metrics in (("Group metrics", MAIN_METRICS), ("Further group rates", FURTHER_METRICS)):
        shown = [m for m in metrics if any(row.value(m) is not None for row in listed)]
        if not shown:
            continue
        lead = title == "Group metrics"
        columns = [Column("Group")] + ([Column("Rows", numeric=True), Column("Share", key="share", numeric=True)]
                                       if lead else []) + [Column(display_name(m), key=m, numeric=True) for m in shown]
        rows = []
        for row in listed:
            cells = [Cell(group_label(labels[row.group], str(row.group) == str(reference), row.small_group))]
            cells += [num(row.n), num(row.share, 3)] if lead else []
            rows.append(cells + [Cell(num(row.value(m)), note=interval(_as_list(row.interval(m)))) for m in shown])
        focus = next((m for m in ("fnr", "mae") if m in shown), shown[0])
        reading = range_sentence(display_name(focus), {labels[row.group]: row.value(focus) for row in judged})
        if focus == "fnr":
            reading = reading.replace("ranges", "\u2014 favourable cases wrongly declined \u2014 ranges", 1)
        if lead and "mean_residual" in shown:
            reading += " " + residual_sentence({labels[row.group]: row.value("mean_residual") for row in judged})
        blocks.append({"kind": "table", "table": ctx.tables.make(
            f"{title} by {name}", reading, columns, rows, notes=_group_notes(listed, ctx.min_group_size, level))})
    return blocks


def _listed(table) -> list:
    """The rows of the groups the record's ``groups`` lists, in its order."""
    return [row for row in table.rows if row.listed]


def residual_sentence(residuals: dict) -> str:
    """Which groups a regression model over- and under-predicts, from each group's mean residual ŷ − y.

    Examples
    --------
    >>> residual_sentence({"f": 10.7, "m": -2.0})
    "On average the model over-predicts 'f' by 10.700 and under-predicts 'm' by 2.000 (mean residual, prediction minus truth)."
    """
    over = [f"{quoted(g)} by {num(v, 3)}" for g, v in residuals.items() if is_number(v) and v > 0]
    under = [f"{quoted(g)} by {num(-v, 3)}" for g, v in residuals.items() if is_number(v) and v < 0]
    if not over and not under:
        return ""
    parts = ([f"over-predicts {join_and(over)}"] if over else []) + ([f"under-predicts {join_and(under)}"] if under else [])
    return f"On average the model {' and '.join(parts)} (mean residual, prediction minus truth)."


def _paren(text) -> str:
    return f" ({text})" if text else ""


def group_label(label, is_reference, small) -> str:
    """A group's name in a table: marked as the reference, and with \u2020 when it is small."""
    return str(label) + (" (reference)" if is_reference else "") + (" \u2020" if small else "")


def _group_notes(rows, min_size, level="95%") -> list:
    rates = any("selection_rate" in row.metrics for row in rows)
    notes = [f"Second line in a cell: {level} interval (Wilson score for rates; bias-corrected bootstrap for "
             "AUC, calibration and regression metrics)." if rates else
             f"Second line in a cell: {level} interval (bias-corrected bootstrap)."]
    if any(row.small_group for row in rows):
        notes.append(f"\u2020 Fewer than {min_size} rows: shown, but left out of the summary measures.")
    return notes


def ll144_blocks(ctx, name, ll144, labels) -> list:
    if not isinstance(ll144, dict):
        return []
    selection = ll144.get("selection") if isinstance(ll144.get("selection"), dict) else {}
    scoring = ll144.get("scoring") if isinstance(ll144.get("scoring"), dict) else {}
    categories = list(dict.fromkeys([*(selection.get("categories") or {}), *(scoring.get("categories") or {})]))
    if not categories:
        return [{"kind": "table", "table": generic_table(ctx.tables, f"Local Law 144 by {name}", ll144)}]
    columns = [Column("Category"), Column("Rows", numeric=True)]
    parts = [(selection, "selected", "selection_rate", "Selected", "Selection rate"),
             (scoring, "above_median", "scoring_rate", "Above median score", "Scoring rate")]
    parts = [p for p in parts if p[0].get("categories")]
    for _, _, rate, counted_title, rate_title in parts:
        columns += [Column(counted_title, numeric=True), Column(rate_title, key=rate, numeric=True),
                    Column(f"Impact ratio ({rate_title.lower()})", key="ll144", numeric=True)]
    rows, sentences = [], []
    for c in categories:
        first = next((p[0]["categories"].get(c) for p in parts if c in p[0]["categories"]), {})
        small = any(p[0]["categories"].get(c, {}).get("small_category") for p in parts)
        label = str(labels.get(c, c)) + (" \u2020" if small else "")
        row = [label, num(first.get("n"))]
        for part, counted, rate, _, _ in parts:
            entry = part["categories"].get(c, {})
            row += [num(entry.get(counted)), num(entry.get(rate)),
                    num(entry.get("impact_ratio")) + (" (highest)" if c == part.get("highest_category") else "")]
        rows.append(row)
    for part, _, _, _, rate_title in parts:
        highest = part.get("highest_category")
        ratios = {c: e.get("impact_ratio") for c, e in part["categories"].items()
                  if is_number(e.get("impact_ratio")) and c != highest and not e.get("small_category")}
        if ratios:
            low = min(ratios, key=ratios.get)
            sentences.append(f"on {rate_title.lower()}s {quoted(labels.get(low, low))} has the lowest impact ratio, "
                             f"{num(ratios[low], 2)} times the rate of {quoted(labels.get(highest, highest))}")
    reading = ("Under Local Law 144, " + "; ".join(sentences) + "." if sentences
               else "No category other than the highest has an impact ratio.")
    notes = []
    if is_number(scoring.get("median_score")):
        notes.append(f"Median score of the whole sample: {num(scoring['median_score'])}.")
    if ll144.get("convention"):
        notes.append(f"{with_group_names(ll144['convention'], labels)}.")
    if any("\u2020" in r[0] for r in rows):
        notes.append("\u2020 Under 2% of the data: reported, left out of the highest rate.")
    return [{"kind": "table", "table": ctx.tables.make(f"Local Law 144 impact ratios by {name}", reading,
                                                       columns, rows, notes=notes)}]


COMPARED_ORDER = ("selection_rate", "tpr", "fpr", "fnr", "ppv", "npv", "accuracy", "auc", "ece", "mean_score",
                  "calibration_in_the_large",
                  "base_rate", "tnr", "fdr", "for", "mean_prediction", "mae", "rmse", "r2", "mean_residual")
MAIN_RATES = ("selection_rate", "tpr", "fpr", "fnr", "ppv", "accuracy", "mae")


def comparison_blocks(ctx, name, table, labels, level="95%") -> list:
    """Differences and ratios against the reference group, and the between-group spread, in one table,
    from the typed group table (:class:`xai_audit.fairness.table.GroupTable`)."""
    reference = table.reference_group
    differences = {row.group: row.differences for row in table.rows if row.differences is not None}
    ratios = {row.group: row.ratios for row in table.rows if row.ratios is not None}
    between = _values(table.sections.get("between_groups"))
    groups = list(dict.fromkeys([*differences, *ratios]))
    present = {m for g in groups for m in [*differences.get(g, {}), *ratios.get(g, {})]} | set(between)
    metrics = [m for m in COMPARED_ORDER if m in present] + sorted(present - set(COMPARED_ORDER))
    if not metrics:
        return []
    columns = [Column("Metric")]
    for g in groups:
        columns += [Column(f"{labels.get(g, g)}: difference", key="difference", numeric=True),
                    Column(f"{labels.get(g, g)}: ratio", key="ratio", numeric=True)]
    if between:
        columns += [Column("Spread: largest \u2212 smallest", key="difference", numeric=True),
                    Column("Spread: smallest \u00f7 largest", key="ratio", numeric=True)]
    rows = []
    for m in metrics:
        row = [Cell(display_name(m), link=f"g-{m}" if lookup(m) else "")]
        for g in groups:
            for source in (differences, ratios):
                entry = source.get(g, {}).get(m)
                row.append(Cell(num(entry.value), note=interval(_as_list(entry.ci))) if entry is not None
                           else Cell("\u2014"))
        if between:
            entry = between.get(m) if isinstance(between.get(m), dict) else {}
            spans = entry.get("ci") or {}
            row += [Cell(num(entry.get("difference")), note=interval(spans.get("difference"))),
                    Cell(num(entry.get("ratio")), note=interval(spans.get("ratio")))]
        rows.append(row)
    spread = table.sections.get("between_groups")
    conventions = (("Difference", table.differences_convention), ("Ratio", table.ratios_convention),
                   ("Spread", spread.get("convention") if isinstance(spread, Mapping) else None))
    notes = [f"{what}: {with_group_names(convention, labels)}." for what, convention in conventions if convention]
    notes.append(f"Second line: {level} interval (Newcombe for differences and Katz for ratios of rates; "
                 "bias-corrected bootstrap for the other metrics); spreads have none. \u2014: not defined for "
                 "this metric.")
    return [{"kind": "table", "table": ctx.tables.make(
        f"Comparisons with the reference group {quoted(labels.get(reference, reference))} by {name}",
        _comparison_reading(differences, reference, labels), columns, rows, notes=notes)}]


def _values(part) -> dict:
    return part.get("values") if isinstance(part, dict) and isinstance(part.get("values"), dict) else {}


def _comparison_reading(differences, reference, labels) -> str:
    best = None
    for g, metrics in differences.items():
        for m, entry in metrics.items():
            v = entry.value
            if m in MAIN_RATES and is_number(v) and (best is None or abs(v) > abs(best[2])):
                best = (g, m, v, _as_list(entry.ci))
    ref = quoted(labels.get(reference, reference))
    if best is None:
        return f"No difference from the reference group {ref} is defined."
    g, m, v, span = best
    return (f"The largest difference from {ref} among the main rates is in {display_name(m)}: "
            f"{quoted(labels.get(g, g))} is {num(abs(v), 3)} {'higher' if v > 0 else 'lower'}{_paren(interval(span, 3))}.")


def _as_list(span) -> list | None:
    return None if span is None else list(span)


def _value(entry):
    return entry.get("value") if isinstance(entry, dict) else entry


def _span(entry):
    return entry.get("ci") if isinstance(entry, dict) else None


def test_blocks(ctx, name, table, labels) -> list:
    """The selection-rate tests against the reference group, from the typed group table's rows."""
    reference = table.reference_group
    tests = {row.group: dict(row.test) for row in table.rows if row.test is not None}
    if not tests:
        return []
    rows, significant = [], []
    adjusted_any = any(isinstance(e, dict) and "p_value_adjusted" in e for e in tests.values())
    family = max((e.get("family_size") or 0 for e in tests.values() if isinstance(e, dict)), default=0)
    for group, entry in tests.items():
        if not isinstance(entry, dict):
            rows.append([labels.get(group, group), "", show(entry), ""] + ([""] if adjusted_any else []))
            continue
        p = entry.get("p_value")
        judged = entry.get("p_value_adjusted") if adjusted_any else p
        if is_number(judged) and judged < 0.05:
            significant.append(group)
        table = entry.get("table")
        counts = (f"{table[0][0]} of {sum(table[0])} vs {table[1][0]} of {sum(table[1])}"
                  if isinstance(table, list) and len(table) == 2 else "")
        row = [labels.get(group, group), TEST_NAMES.get(entry.get("test"), str(entry.get("test", "")).replace("_", " ")),
               num(p, 4)]
        if adjusted_any:
            row.append(Cell(num(judged, 4), status="warn" if is_number(judged) and judged < 0.05 else ""))
        else:
            row[-1] = Cell(num(p, 4), status="warn" if is_number(p) and p < 0.05 else "")
        rows.append(row + [counts])
    ref = quoted(labels.get(reference, reference))
    after = f" after Holm's adjustment for {plural(family, 'test')}" if adjusted_any else ""
    reading = (f"The selection-rate gap from {ref} is statistically significant at the 5% level{after} for "
               f"{join_and(quoted(labels.get(g, g)) for g in significant)}." if significant else
               f"No group's selection rate differs significantly (at the 5% level{after}) from that of {ref}.")
    columns = [Column("Group"), Column("Test"), Column("p-value", key="p_value", numeric=True)]
    if adjusted_any:
        columns.append(Column("Holm-adjusted p-value", key="p_value", numeric=True))
    columns.append(Column("Selected (group vs reference)"))
    notes = ["Fisher's exact test where an expected cell count is under 5, else Pearson's chi-square with Yates' "
             "continuity correction; two-sided. A small p-value says the gap is unlikely to be chance, not that "
             "it is large."]
    if adjusted_any:
        notes.append(f"Holm-adjusted p-values treat every selection-rate test of the fairness section "
                     f"({plural(family, 'test')}, all attributes and groups) as one family.")
    return [{"kind": "table", "table": ctx.tables.make(
        f"Significance of selection-rate gaps by {name}", reading, columns, rows, notes=notes)}]


TEST_NAMES = {"fisher_exact": "Fisher's exact", "chi_square_yates": "chi-square (Yates)",
              "chi_square": "chi-square (uncorrected)"}

