"""Why groups differ: disparity attribution (which features account for each group's gap in mean
model output) and proxies for the sensitive attribute."""

from __future__ import annotations

from xai_audit.render.names import feature_name, with_group_names
from xai_audit.render.tables import Cell, Column, generic_table
from xai_audit.render.text import is_number, num, plural, quoted, plain

ATTRIBUTION_KEYS = ("disparity_attribution", "attribution", "proxies", "proxy", "proxy_scan")


def attribution_blocks(ctx, name, key, value, labels=None) -> list:
    """Disparity attribution or the proxy scan of one attribute; ``labels``: ``{group: plain name}``."""
    labels = labels or {}
    if "attribution" in key:
        if isinstance(value, dict) and isinstance(value.get("groups"), dict):
            return _disparity_blocks(ctx, name, value, labels)
        title = "Disparity attribution"
    else:
        if isinstance(value, dict) and isinstance(value.get("features"), dict):
            return _proxy_blocks(ctx, name, value)
        title = "Proxies for the sensitive attribute"
    if isinstance(value, dict) and value and all(is_number(v) for v in value.values()):
        ranked = sorted(value, key=lambda f: -abs(value[f]))
        shown = [feature_name(ctx, f) for f in ranked]
        chart = ctx.charts.signed_bars(shown, [value[f] for f in ranked], title=f"{title} for {name}",
                                       desc="; ".join(f"{plain(n)}: {num(value[f], 3)}" for n, f in list(zip(shown, ranked))[:20]),
                                       reading=f"{quoted(shown[0])} has the largest value, {num(value[ranked[0]], 3)}.",
                                       xlabel="value", up="positive", down="negative")
        return [{"kind": "figure", "chart": chart}]
    return [{"kind": "table", "table": generic_table(ctx.tables, f"{title} for {name}", value)}]


SPACE_NAMES = {"log_odds": "log-odds", "probability": "probability", "value": "predicted value", "margin": "margin"}


def space_name(table) -> str:
    """The output the disparity attribution splits, in words: ``log-odds``, ``probability``...

    Examples
    --------
    >>> space_name({"output_space": "log_odds"}), space_name({})
    ('log-odds', 'model output (its scale is not recorded)')
    """
    return SPACE_NAMES.get(str(table.get("output_space")), "model output (its scale is not recorded)")


def space_note(table) -> str:
    """What the gaps of a disparity attribution can be compared with, given their space.

    Examples
    --------
    >>> space_note({"output_space": "log_odds"}).split(";")[0]
    'These gaps are in mean log-odds, the space the attributions add up in'
    """
    space = table.get("output_space")
    if space == "probability":
        return ("These gaps are in mean predicted probability, on the rows attributed; the mean-score difference in "
                "the comparison table is on every row of the data, so the two can differ.")
    if space == "value":
        return "These gaps are in the mean predicted value, in the target's units."
    return (f"These gaps are in mean {space_name(table)}, the space the attributions add up in; they are not on the "
            "probability scale of the selection rates and mean-score differences above, and cannot be set beside "
            "them number for number.")


def _disparity_blocks(ctx, name, table, labels) -> list:
    """Which features account for each group's gap in mean model output against the reference group."""
    reference = table.get("reference_group")
    groups = {g: e for g, e in table["groups"].items() if isinstance(e, dict) and str(g) != str(reference)}
    if not groups:
        return []
    space = space_name(table)
    ref_name = labels.get(reference, plain(reference))
    blocks = []
    first = next(iter(groups.values())).get("contributions") or {}
    features = sorted(dict.fromkeys(f for e in groups.values() for f in (e.get("contributions") or {})),
                      key=lambda f: -abs(first.get(f)) if is_number(first.get(f)) else 0)
    for group, entry in groups.items():
        contributions = {f: v for f, v in (entry.get("contributions") or {}).items() if is_number(v)}
        if not contributions:
            continue
        ranked = sorted(contributions, key=lambda f: -abs(contributions[f]))
        group_name = labels.get(group, plain(group))
        reading = attribution_reading(group_name, ref_name, entry, ranked, table,
                                      names={f: feature_name(ctx, f) for f in ranked})
        if table.get("output_space") not in ("probability", "value"):
            reading += (f" The gap is in {space}, not comparable number for number with the probability differences "
                        "of the tables above.")
        blocks.append({"kind": "figure", "chart": ctx.charts.signed_bars(
            [feature_name(ctx, f) for f in ranked], [contributions[f] for f in ranked],
            title=f"Where the gap in mean {space} between {group_name} and {ref_name} comes from ({name})",
            desc=f"Contribution of each feature to the gap in mean {space}: " + "; ".join(
                f"{plain(feature_name(ctx, f))}: {num(contributions[f], 3)}" for f in ranked[:20]) + ".",
            reading=reading, xlabel=f"contribution to the gap in mean {space}",
            up=f"raises {plain(group_name)}'s mean {space} against {plain(ref_name)}",
            down=f"lowers {plain(group_name)}'s mean {space} against {plain(ref_name)}")})
    rows = [[feature_name(ctx, f)] + [num((e.get("contributions") or {}).get(f)) for e in groups.values()] for f in features]
    keys = [("output_difference", f"Gap in mean {space} on the attributed rows"),
            ("explained_difference", "Explained by the features"), ("unexplained_difference", "Not explained")]
    if any("full_data_output_difference" in e for e in groups.values()):
        keys.append(("full_data_output_difference", f"Gap in mean {space} on the full data (not attributed)"))
    for key, label_ in keys:
        rows.append([Cell(label_)] + [num(e.get(key)) for e in groups.values()])
    notes = [space_note(table)]
    notes += [f"{with_group_names(table['convention'], labels)}."] if table.get("convention") else []
    if table.get("share_convention"):
        notes.append(f"Shares: {table['share_convention']}.")
    table_view = ctx.tables.make(f"Disparity attribution by {name} (against {quoted(ref_name)}), in mean {space}",
                                 f"Each column splits one group's gap in mean {space} into the parts each "
                                 "feature accounts for; the last rows give the whole gap and what the features leave "
                                 "unexplained.",
                                 [Column("Feature", key="disparity_attribution")]
                                 + [Column(f"{labels.get(g, plain(g))} ({space})", numeric=True) for g in groups],
                                 rows, notes=notes)
    return ([{"kind": "grid", "wide": True, "blocks": blocks}] if len(blocks) > 1 else blocks) + [{"kind": "table", "table": table_view}]


def attribution_reading(group, reference, entry, ranked, table, names=None) -> str:
    """What one group's disparity attribution says: the gap on the attributed rows, the full data's
    gap beside it when it differs (never one shown as the other), and the leading features' signed
    shares of the attributed gap, with that basis named.

    Examples
    --------
    >>> entry = {"output_difference": -0.087, "full_data_output_difference": -0.087,
    ...          "contributions": {"income": -0.041, "debt": -0.03}}
    >>> attribution_reading("female", "male", entry, ["income", "debt"], {"output_space": "log_odds"})
    "The mean log-odds of 'female' is 0.087 below that of 'male'; 'income' accounts for 47% of the -0.087 gap in mean log-odds between 'female' and 'male' (contribution -0.041), 'debt' for 34% (-0.030)."
    >>> entry["contributions"]["debt"] = 0.02
    >>> attribution_reading("female", "male", entry, ["income", "debt"], {"output_space": "log_odds"}).split("), ")[1]
    "'debt' works against it, at -23% (0.020)."
    """
    space = space_name(table)
    names = names or {}
    gap, full = entry.get("output_difference"), entry.get("full_data_output_difference")
    contributions = entry.get("contributions") or {}
    shares = entry.get("shares") or {}
    if not is_number(gap):
        return f"The gap between {quoted(group)} and {quoted(reference)} is undefined."
    rows_explained, rows_total = table.get("rows_explained"), table.get("rows_total")
    on_sample = is_number(rows_explained) and is_number(rows_total) and rows_explained < rows_total
    where = f" on the {num(rows_explained)} attributed rows" if on_sample else ""
    text = (f"The mean {space} of {quoted(group)}{where} is {num(abs(gap), 3)} "
            f"{'above' if gap > 0 else 'below'} that of {quoted(reference)}")
    if on_sample and is_number(full):
        text += f" (on all {num(rows_total)} rows the gap is {num(full, 3)}, not attributed)"
    elif on_sample:
        text += " (the full data's gap in the same output is not known)"
    parts = []
    for i, feature in enumerate(ranked[:2]):
        share = shares.get(feature)
        if not is_number(share):
            share = (contributions[feature] / gap) if gap else None
        if share is None:
            continue
        verb = "accounts for" if share >= 0 else "works against it, at"
        if i == 0:
            parts.append(f"{quoted(names.get(feature, feature))} {verb} {round(share * 100)}% of the {num(gap, 3)} gap in mean "
                         f"{space} between {quoted(group)} and {quoted(reference)}{where} "
                         f"(contribution {num(contributions[feature], 3)})")
        else:
            parts.append(f"{quoted(names.get(feature, feature))} {'for' if share >= 0 else 'works against it, at'} "
                         f"{round(share * 100)}% ({num(contributions[feature], 3)})")
    return text + ("; " + ", ".join(parts) if parts else "") + "."


def _proxy_blocks(ctx, name, table) -> list:
    """Features that predict the sensitive attribute (possible proxies)."""
    features = {f: e for f, e in table["features"].items() if isinstance(e, dict)}
    threshold = table.get("threshold")
    ranked = sorted(features, key=lambda f: -(features[f].get("auc") or 0) if is_number(features[f].get("auc")) else 0)
    rows = []
    for f in ranked:
        e = features[f]
        rows.append([feature_name(ctx, f), str(e.get("kind", "")), num(e.get("auc")),
                     Cell("Possible proxy", status="warn") if e.get("proxy") else Cell("No"),
                     num(e.get("mean_abs_attribution")) if e.get("mean_abs_attribution") is not None else "n/a"])
    flagged = [f for f in ranked if features[f].get("proxy")]
    if flagged:
        top = flagged[0]
        reading = (f"{quoted(feature_name(ctx, top))} predicts {name} with an AUC of {num(features[top].get('auc'), 2)}, at or above the "
                   f"line of {num(threshold, 2)}: the model may treat groups differently through it"
                   + (f"; {plural(len(flagged) - 1, 'other feature')} too" if len(flagged) > 1 else "") + ".")
    else:
        reading = (f"No feature predicts {name} with an AUC at or above {num(threshold, 2)}."
                   if is_number(threshold) else f"No feature is flagged as a proxy for {name}.")
    notes = [f"{table['convention']}."] if table.get("convention") else []
    return [{"kind": "table", "table": ctx.tables.make(
        f"Proxies for {name}", reading,
        [Column("Feature"), Column("Kind"), Column("AUC for the attribute", numeric=True),
         Column("Proxy", key="proxy"),
         Column(f"Mean |attribution| ({space_name(ctx.part('explanations').get('attributions_for_fairness') or {})})",
                key="global_importance", numeric=True)],
        rows, notes=notes)}]
