"""Global explanations: importance of every feature, dependence plots and partial dependence."""

from __future__ import annotations

from xai_audit.render.tables import Cell, Column, generic_table, show
from xai_audit.render.text import interval, is_number, join_and, num, plural, quoted, plain

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
            + ([{"kind": "grid", "blocks": figures}] if figures else [])}


def ranked_features(importance: dict) -> list:
    return sorted((f for f in importance if is_number(importance[f])), key=lambda f: -abs(importance[f]))


def importance_blocks(ctx, name, title, importance, spans, caution, *, untrusted=False):
    ranked = ranked_features(importance)
    top = ranked[:TOP_FEATURES]
    values = [importance[f] for f in top]
    median = sorted(abs(importance[f]) for f in ranked)[len(ranked) // 2] if ranked else 0
    lead = ranked[0] if ranked else None
    reading = (f"{join_and(quoted(f) for f in ranked[:3])} move the output most; the average attribution of "
               f"{quoted(lead)} is {num(importance[lead], 3)}"
               + (f", {num(abs(importance[lead]) / median, 1)} times the median feature's" if median else "")
               + "." + caution) if lead else "No feature has an importance." + caution
    figure = ctx.charts.bars(
        top, values, ci=[spans.get(f) for f in top],
        colors=["#9a9a9a"] * len(top) if untrusted else None, hatches=["xx"] * len(top) if untrusted else None,
        title=f"Global importance by {title}" + (f" (top {TOP_FEATURES} of {len(ranked)})" if len(ranked) > TOP_FEATURES else "")
        + (": not trustworthy" if untrusted else ""),
        desc="Features by importance, largest first: " + "; ".join(f"{plain(f)}: {num(importance[f], 4)}" for f in top) + ".",
        reading=reading, xlabel="mean |attribution|" if name != "permutation" else "drop in score when shuffled")
    rows = [[str(i + 1), Cell(f), num(importance[f], 4), interval(spans.get(f), 4) or "n/a"]
            for i, f in enumerate(ranked)]
    table = ctx.tables.make(f"Global importance of every feature by {title}",
                            f"All {plural(len(ranked), 'feature')} in order of importance." + caution,
                            [Column("Rank", numeric=True), Column("Feature"),
                             Column("Importance", key="global_importance", numeric=True),
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


def curve_blocks(ctx, title, record, ranked, kind, caution, *, limit=None) -> list:
    if not isinstance(record, dict) or not record:
        return []
    order = [f for f in ranked if f in record] + [f for f in record if f not in ranked]
    blocks = []
    for feature in order[:limit or DEPENDENCE_FEATURES]:
        x, y = _xy(record[feature])
        if isinstance(record[feature], dict) and set(record[feature]) == {"error"}:
            blocks.append({"kind": "note", "status": "warn", "text": f"{quoted(feature)}: {record[feature]['error']}"})
            continue
        if not x or not y or len(x) != len(y):
            blocks.append({"kind": "table", "table": generic_table(
                ctx.tables, f"{'Dependence' if kind == 'dependence' else 'Partial dependence'} of {plain(feature)}",
                record[feature])})
            continue
        if kind == "dependence":
            reading = _dependence_reading(feature, x, y) + caution
            chart = ctx.charts.scatter(x, y, title=f"How {plain(feature)} drives the output ({title})",
                                       desc=f"{len(x)} rows: value of {plain(feature)} against its attribution.",
                                       reading=reading, xlabel=str(feature), ylabel="attribution")
        else:
            numbers = [v for v in y if is_number(v)]
            reading = (f"As {quoted(feature)} moves across its range, the average model output goes from "
                       f"{num(y[0], 3)} to {num(y[-1], 3)} (lowest {num(min(numbers), 3)}, highest "
                       f"{num(max(numbers), 3)})." if numbers else "No partial dependence value is defined.") + caution
            chart = ctx.charts.scatter(x, y, line=True, title=f"Partial dependence on {plain(feature)}",
                                       desc="Grid value and average output: " + "; ".join(
                                           f"{plain(show(a))}: {num(b, 3)}" for a, b in list(zip(x, y))[:30]) + ".",
                                       reading=reading, xlabel=str(feature), ylabel="average output")
        blocks.append({"kind": "figure", "chart": chart})
    return blocks


def _dependence_reading(feature, x, y) -> str:
    pairs = [(a, b) for a, b in zip(x, y) if is_number(b) and a is not None]
    if not pairs:
        return f"No attribution for {quoted(feature)} is defined."
    if all(is_number(a) for a, _ in pairs):
        from scipy.stats import spearmanr

        rho = spearmanr([a for a, _ in pairs], [b for _, b in pairs]).statistic if len(pairs) > 2 else None
        if is_number(rho) and abs(rho) >= 0.3:
            return (f"Higher {quoted(feature)} goes with {'higher' if rho > 0 else 'lower'} attributions "
                    f"(rank correlation {num(rho, 2)}).")
        return f"The attribution of {quoted(feature)} has no steady trend with its value (rank correlation {num(rho, 2)})."
    means = {}
    for a, b in pairs:
        means.setdefault(str(a), []).append(b)
    averages = {k: sum(v) / len(v) for k, v in means.items()}
    high, low = max(averages, key=averages.get), min(averages, key=averages.get)
    return (f"{quoted(high)} pushes the output up most on average ({num(averages[high], 3)}), {quoted(low)} down "
            f"most ({num(averages[low], 3)}).")


