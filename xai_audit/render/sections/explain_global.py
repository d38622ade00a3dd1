"""Global explanations: importance of every feature, dependence plots and partial dependence."""

from __future__ import annotations

from xai_audit.numbers import all_numbers
from xai_audit.render.chart_points import plotted_pairs
from xai_audit.render.names import SPACE_WORDS, feature_name, value_name
from xai_audit.render.tables import Cell, Column, generic_table, show
from xai_audit.render.text import interval, is_number, join_and, lower_first, num, plain, plural, quoted, value_text

TOP_FEATURES = 15
DEPENDENCE_FEATURES = 3
PDP_FEATURES = 6
X_KEYS = ("x", "values", "feature_values", "grid", "grid_values", "value")
Y_KEYS = ("y", "shap", "attribution", "attributions", "shap_values", "average", "mean", "pdp", "predictions", "output", "attribution")


def pdp_part(ctx, methods):
    """Partial dependence describes the model, not an explainer: each feature's curve once, in the
    order the methods rank the features."""
    curves = {}
    for entry in methods.values():
        pdp = entry.get("pdp") if isinstance(entry.get("pdp"), dict) else {}
        for feature in ranked_features(entry.get("global_importance") or {}) + list(pdp):
            if feature in pdp and feature not in curves:
                curves[feature] = pdp[feature]
    if not curves:
        return None
    blocks = curve_blocks(ctx, "", dict(list(curves.items())[:PDP_FEATURES]), list(curves), "pdp", "", limit=PDP_FEATURES)
    figures = [b for b in blocks if b["kind"] == "figure"]
    others = [b for b in blocks if b["kind"] != "figure"]
    return {"id": "ex-pdp", "title": "Partial dependence", "glossary": "g-pdp",
            "glossary_label": "What partial dependence is", "verdict": "",
            "blocks": [{"kind": "text", "text": "How the model's average output responds to each of its most important "
                        "features on its own, whatever the explainer."}] + others
            + ([{"kind": "grid", "wide": True, "blocks": figures}] if figures else [])}


def ranked_features(importance: dict) -> list:
    return sorted((f for f in importance if is_number(importance[f])), key=lambda f: -abs(importance[f]))


def importance_blocks(ctx, name, title, importance, spans, caution, *, untrusted=False, scale="", unsigned=False):
    """The global-importance chart and table of one method, its scale named in caption, header and text."""
    ranked = ranked_features(importance)
    top = ranked[:TOP_FEATURES]
    values = [importance[f] for f in top]
    names = {f: feature_name(ctx, f) for f in ranked}
    median = sorted(abs(importance[f]) for f in ranked)[len(ranked) // 2] if ranked else 0
    lead = ranked[0] if ranked else None
    permutation = name == "permutation"
    measure = ("drop in score when shuffled" if permutation else "mean attribution magnitude" if unsigned
               else "mean absolute attribution")
    unit = f" ({scale})" if unsigned else f" in {scale}" if scale and not permutation else ""
    leaders = join_and(quoted(names[f]) for f in ranked[:3])
    lead_text = f"The output is most sensitive to {leaders}" if unsigned else f"{leaders} move the output most"
    reading = (f"{lead_text}; the {measure} of "
               f"{quoted(names[lead])} is {num(importance[lead], 3)}{unit}"
               + (f", {num(abs(importance[lead]) / median, 1)} times the median feature's" if median else "")
               + "." + caution) if lead else "No feature has an importance." + caution
    header = (f"Drop in {scale.removeprefix('drop in ').removesuffix(' when shuffled')} when shuffled" if permutation
              else f"Mean |attribution| ({scale})" if scale else "Mean |attribution|")
    figure = ctx.charts.bars(
        [names[f] for f in top], values, ci=[spans.get(f) for f in top],
        colors=["#9a9a9a"] * len(top) if untrusted else None, hatches=["xx"] * len(top) if untrusted else None,
        legend=[("not trustworthy: failed a quality check", "#9a9a9a", "xx")] if untrusted else None,
        title=f"Global importance by {title} ({scale or 'scale not recorded'})"
        + (f" (top {TOP_FEATURES} of {len(ranked)})" if len(ranked) > TOP_FEATURES else "")
        + (": not trustworthy" if untrusted else ""),
        desc="Features by importance, largest first: " + "; ".join(f"{plain(names[f])}: {num(importance[f], 4)}" for f in top) + ".",
        reading=reading, xlabel=lower_first(header))
    rows = [[str(i + 1), Cell(names[f]), num(importance[f], 4), interval(spans.get(f), 4) or "n/a"]
            for i, f in enumerate(ranked)]
    title = f"{title} ({scale or 'scale not recorded'})"
    table = ctx.tables.make(f"Global importance of every feature by {title}",
                            f"All {plural(len(ranked), 'feature')} in order of importance." + caution,
                            [Column("Rank", numeric=True), Column("Feature"),
                             Column(header, key="global_importance", numeric=True),
                             Column("95% interval", key="ci", numeric=True)], rows, row_headers=False)
    return figure, table


def _xy(value):
    if isinstance(value, dict):
        x = next((value[k] for k in X_KEYS if isinstance(value.get(k), list)), None)
        y = next((value[k] for k in Y_KEYS if isinstance(value.get(k), list)), None)
        return x, y
    if isinstance(value, list) and value and all(isinstance(p, (list, tuple)) and len(p) == 2 for p in value):
        return [p[0] for p in value], [p[1] for p in value]
    return None, None


def curve_blocks(ctx, title, record, ranked, kind, caution, *, limit=None, scale="", unsigned=False) -> list:
    """Dependence plots of one method (``kind="dependence"``, attributions on ``scale``) or partial
    dependence curves (``kind="pdp"``, each curve's own ``output_space``), one per feature."""
    if not isinstance(record, dict) or not record:
        return []
    order = [f for f in ranked if f in record] + [f for f in record if f not in ranked]
    blocks = []
    for feature in order[:limit or DEPENDENCE_FEATURES]:
        x, y = _xy(record[feature])
        shown = feature_name(ctx, feature)
        if isinstance(record[feature], dict) and set(record[feature]) == {"error"}:
            blocks.append({"kind": "note", "status": "warn", "text": f"{quoted(shown)}: {record[feature]['error']}"})
            continue
        if not x or not y or len(x) != len(y):
            blocks.append({"kind": "table", "table": generic_table(
                ctx.tables, f"{'Dependence' if kind == 'dependence' else 'Partial dependence'} of {plain(shown)}",
                record[feature])})
            continue
        categories = list(x) if all_numbers(x) else [value_name(ctx, feature, a) if not is_number(a) else a for a in x]
        if kind == "dependence":
            unit = f" ({scale})" if scale else ""
            reading = _dependence_reading(shown, categories, y, unit=f", in {scale}" if scale else "",
                                          unsigned=unsigned) + caution
            chart = ctx.charts.scatter(categories, y, title=f"How {plain(shown)} drives the output ({title}, {scale or 'scale not recorded'})",
                                       desc=f"{len(x)} rows: value of {plain(shown)} against its attribution{unit}.",
                                       reading=reading, xlabel=shown,
                                       ylabel=f"attribution{unit}")
        else:
            entry = record[feature] if isinstance(record[feature], dict) else {}
            space = SPACE_WORDS.get(str(entry.get("output_space")), "output scale not recorded")
            categorical = entry.get("kind") == "categorical" or not all(is_number(a) for a in x)
            reading = _pdp_reading(shown, categories, y, space, categorical) + caution
            chart = ctx.charts.scatter(categories, y, line=not categorical,
                                       title=f"Partial dependence on {plain(shown)} ({space})",
                                       desc=f"{'Category' if categorical else 'Grid value'} and average output ({space}): " + "; ".join(
                                           f"{plain(show(a))}: {num(b, 3)}" for a, b in list(zip(categories, y))[:30]) + ".",
                                       reading=reading, xlabel=shown, ylabel=f"average output ({space})")
        blocks.append({"kind": "figure", "chart": chart})
    return blocks


def _pdp_reading(feature, x, y, space, categorical) -> str:
    """One partial dependence curve read aloud: per category for a categorical feature, from the start
    of the grid to its end for a numeric one; the output's space named.

    Examples
    --------
    >>> _pdp_reading("purpose", ["car", "house"], [0.5, 0.7], "probability", True)
    "Setting 'purpose' to each category in turn, the average model output (probability) is highest for 'house' (0.700) and lowest for 'car' (0.500): 'car' 0.500, 'house' 0.700."
    >>> _pdp_reading("income", [20, 60], [0.52, 0.71], "log-odds", False)
    "As 'income' rises from 20 to 60, the average model output (log-odds) goes from 0.520 to 0.710 (lowest 0.520, highest 0.710)."
    """
    pairs = [(a, b) for a, b in zip(x, y) if is_number(b)]
    if not pairs:
        return "No partial dependence value is defined."
    if categorical:
        high = max(pairs, key=lambda p: p[1])
        low = min(pairs, key=lambda p: p[1])
        listed = ", ".join(f"{quoted(value_text(a))} {num(b, 3)}" for a, b in pairs[:12])
        more = f" and {len(pairs) - 12} more" if len(pairs) > 12 else ""
        return (f"Setting {quoted(feature)} to each category in turn, the average model output ({space}) is highest "
                f"for {quoted(value_text(high[0]))} ({num(high[1], 3)}) and lowest for {quoted(value_text(low[0]))} "
                f"({num(low[1], 3)}): {listed}{more}.")
    numbers = [b for _, b in pairs]
    return (f"As {quoted(feature)} rises from {value_text(pairs[0][0])} to {value_text(pairs[-1][0])}, the average "
            f"model output ({space}) goes from {num(pairs[0][1], 3)} to {num(pairs[-1][1], 3)} (lowest "
            f"{num(min(numbers), 3)}, highest {num(max(numbers), 3)}).")


def _dependence_reading(feature, x, y, *, unit="", unsigned=False) -> str:
    """A dependence plot read aloud. Unsigned attributions (saliency) have no direction: they speak of
    size, never of up or down.

    Examples
    --------
    >>> _dependence_reading("purpose", ["car", "house", "car"], [0.1, -0.2, 0.3], unit=", in log-odds")
    "'car' pushes the output up most on average (0.200, in log-odds), 'house' pushes it down most (-0.200)."
    >>> _dependence_reading("purpose", ["car", "house"], [0.1, 0.4], unsigned=True)
    "'house' has the largest attribution magnitude on average (0.400), 'car' the smallest (0.100); saliency has no sign, so it says how much, not which way."
    """
    pairs = plotted_pairs(x, y)
    if not pairs:
        return f"No attribution for {quoted(feature)} is defined."
    if all_numbers([a for a, _ in pairs]):
        from scipy.stats import spearmanr

        rho = spearmanr([a for a, _ in pairs], [b for _, b in pairs]).statistic if len(pairs) > 2 else None
        if is_number(rho) and abs(rho) >= 0.3:
            trend = (("larger" if rho > 0 else "smaller") + " attribution magnitudes" if unsigned
                     else ("higher" if rho > 0 else "lower") + " attributions")
            return f"Higher {quoted(feature)} goes with {trend} (rank correlation {num(rho, 2)})."
        return f"The attribution of {quoted(feature)} has no steady trend with its value (rank correlation {num(rho, 2)})."
    means = {}
    for a, b in pairs:
        means.setdefault(str(a), []).append(b)
    averages = {k: sum(v) / len(v) for k, v in means.items()}
    high, low = max(averages, key=averages.get), min(averages, key=averages.get)
    if unsigned:
        return (f"{quoted(high)} has the largest attribution magnitude on average ({num(averages[high], 3)}{unit}), "
                f"{quoted(low)} the smallest ({num(averages[low], 3)}); saliency has no sign, so it says how much, "
                "not which way.")
    if averages[high] <= 0:
        return (f"Every category lowers the output on average; {quoted(low)} most ({num(averages[low], 3)}{unit}), "
                f"{quoted(high)} least ({num(averages[high], 3)}).")
    if averages[low] >= 0:
        return (f"Every category raises the output on average; {quoted(high)} most ({num(averages[high], 3)}{unit}), "
                f"{quoted(low)} least ({num(averages[low], 3)}).")
    return (f"{quoted(high)} pushes the output up most on average ({num(averages[high], 3)}{unit}), {quoted(low)} "
            f"pushes it down most ({num(averages[low], 3)}).")
