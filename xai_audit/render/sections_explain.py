"""Section view for explanations: global importance, dependence, partial dependence, local
examples, their quality checks, method agreement and saliency galleries.

Quality verdicts are placed beside the attributions they qualify: a method any check calls
untrustworthy carries that warning above its charts and in every caption of its figures.
"""

from __future__ import annotations

from xai_audit.render.context import Context, not_computed, section
from xai_audit.render.chart_axes import is_unsigned, scale_words
from xai_audit.render.glossary import display_name, lookup
from xai_audit.render.tables import Cell, Column, generic_table, show
from xai_audit.render.text import interval, is_number, join_and, num, plural, quoted, short, value_text

TOP_FEATURES = 15
DEPENDENCE_FEATURES = 3
PDP_FEATURES = 6
LOCAL_EXAMPLES = 3
LOCAL_TOP = 8
GALLERY_SAMPLES = 8
METHOD_ORDER = ("shap", "lime", "integrated_gradients", "deeplift", "gradient_shap", "saliency", "occlusion",
                "permutation")
METHOD_KEYS = ("global_importance", "local", "quality", "dependence", "pdp", "maps")
X_KEYS = ("x", "values", "feature_values", "grid", "grid_values", "value")
Y_KEYS = ("y", "shap", "attribution", "attributions", "shap_values", "average", "mean", "pdp", "predictions", "output", "attribution")


# -- explanations ------------------------------------------------------------------------------------

INTERNAL_KEYS = ("attributions_for_fairness",)


def explanations(ctx: Context) -> dict:
    record = ctx.part("explanations")
    findings = ctx.findings_for("explanations")
    methods = {k: v for k, v in record.items() if isinstance(v, dict) and any(key in v for key in METHOD_KEYS)
               and k not in ("images", "agreement", "coverage")}
    if not record or (record.get("skipped") and not methods and not isinstance(record.get("images"), dict)):
        why = str(record.get("skipped")) if record.get("skipped") else _why_no_explanations(ctx)
        return not_computed("explanations", why, findings=findings)
    methods = {k: methods[k] for k in sorted(methods, key=lambda k: (METHOD_ORDER.index(k) if k in METHOD_ORDER
                                                                      else len(METHOD_ORDER), k))}
    verdicts = quality_findings(ctx, methods)
    parts = [_method_part(ctx, name, entry, verdicts.get(name, {})) for name, entry in methods.items()]
    pdp_part = _pdp_part(ctx, methods)
    if pdp_part is not None:
        parts.append(pdp_part)
    failed = {k: v["error"] for k, v in record.items() if isinstance(v, dict) and set(v) == {"error"}}
    if isinstance(record.get("images"), dict):
        parts.append(_images_part(ctx, record["images"]) if "error" not in record["images"] else
                     _note_part("images", "Saliency maps", f"The image explanations could not run: {record['images']['error']}"))
    for key in ("agreement", "coverage"):
        if record.get(key) not in (None, {}, []):
            parts.append(_generic_part(ctx, key, record[key]))
    for key, message in failed.items():
        parts.append(_note_part(key, display_name(key), f"The {display_name(key)} explainer could not run: {message}"))
    shown = {*methods, *failed, "images", "agreement", "coverage", "skipped", *INTERNAL_KEYS}
    for key, value in record.items():
        if key not in shown and value not in (None, {}, []):
            parts.append(_generic_part(ctx, key, value))
    notes = []
    if record.get("attributions_for_fairness"):
        rows = len((record["attributions_for_fairness"] or {}).get("rows") or [])
        notes.append(f"Per-row attributions of {plural(rows, 'row')}, used for the disparity attribution in the "
                     "fairness section, are kept in the JSON record.")
    return section("explanations", parts=parts, findings=findings, notes=notes,
                   headline=drivers_sentence(methods, verdicts))


def quality_findings(ctx: Context, methods) -> dict:
    """``{method: {quality metric: finding view}}``: the policy's verdict on each quality measure."""
    rules = {r.get("id"): r for r in ((ctx.part("manifest").get("config") or {}).get("policy") or {}).get("rules") or []
             if isinstance(r, dict)}
    verdicts = {}
    for finding in ctx.findings:
        if finding["check"] != "explanation_quality":
            continue
        for method, entry in methods.items():
            suffix = f".{method}"
            if not finding["id"].endswith(suffix):
                continue
            quality = entry.get("quality") if isinstance(entry.get("quality"), dict) else {}
            rule = rules.get(finding["id"][: -len(suffix)], {})
            metric = rule.get("metric") or next((m for m in quality if m in finding["id"]), None)
            if metric is not None:
                verdicts.setdefault(method, {})[metric] = finding
    return verdicts


def _pdp_part(ctx, methods):
    """Partial dependence describes the model, not an explainer: each feature's curve once, in the
    order the methods rank the features."""
    curves = {}
    for entry in methods.values():
        pdp = entry.get("pdp") if isinstance(entry.get("pdp"), dict) else {}
        for feature in _ranked(entry.get("global_importance") or {}) + list(pdp):
            if feature in pdp and feature not in curves:
                curves[feature] = pdp[feature]
    if not curves:
        return None
    blocks = _curves(ctx, "", dict(list(curves.items())[:PDP_FEATURES]), list(curves), "pdp", "", limit=PDP_FEATURES)
    figures = [b for b in blocks if b["kind"] == "figure"]
    others = [b for b in blocks if b["kind"] != "figure"]
    return {"id": "ex-pdp", "title": "Partial dependence", "glossary": "g-pdp",
            "glossary_label": "What partial dependence is", "verdict": "",
            "blocks": [{"kind": "text", "text": "How the model's average output responds to each of its most important "
                        "features on its own, whatever the explainer."}] + others
            + ([{"kind": "grid", "wide": True, "blocks": figures}] if figures else [])}


def _note_part(key, title, text) -> dict:
    return {"id": "ex-" + _slug(key), "title": title, "glossary": f"g-{key}" if lookup(key) else "",
            "glossary_label": f"What {title} is", "verdict": "",
            "blocks": [{"kind": "note", "status": "warn", "text": text}]}


def _why_no_explanations(ctx) -> str:
    model = ctx.part("model")
    config = ctx.part("manifest").get("config") or {}
    if model.get("framework") == "predictions":
        return ("The audit had only the model's predictions, not the model, so no explainer could question it. "
                "Audit the model itself to explain its decisions.")
    if config.get("explainers") == []:
        return "Explainers were switched off for this audit (explainers=[])."
    return "The audit record holds no explanations (the audit that wrote it did not compute them)."


def drivers_sentence(methods: dict, verdicts: dict | None = None) -> str:
    """Which features drive the model most, by the first method with a global importance."""
    for name, entry in methods.items():
        importance = entry.get("global_importance")
        if isinstance(importance, dict) and importance:
            ranked = _ranked(importance)[:3]
            text = (f"By {display_name(name)}, the model's outputs depend most on "
                    f"{join_and(quoted(f) for f in ranked)}.")
            verdict, failed = quality_verdict(entry.get("quality"), (verdicts or {}).get(name))
            if verdict == "fail":
                text += f" But {display_name(name)} failed {join_and(failed)}, so this ranking is not trustworthy."
            return text
    return ""


def _ranked(importance: dict) -> list:
    return sorted((f for f in importance if is_number(importance[f])), key=lambda f: -abs(importance[f]))


def _method_part(ctx, name, entry, judged) -> dict:
    title = display_name(name)
    verdict, failed = quality_verdict(entry.get("quality"), judged)
    caution = (f" Caution: {title} failed {join_and(failed)}; read these attributions as untrustworthy."
               if verdict == "fail" else "")
    blocks = []
    meta = entry.get("meta") if isinstance(entry.get("meta"), dict) else {}
    if meta:
        blocks.append({"kind": "text", "text": _meta_sentence(title, meta)})
    if verdict == "fail":
        blocks.append({"kind": "note", "status": "fail", "text": (
            f"Not trustworthy: {title} failed the explanation-quality {'check' if len(failed) == 1 else 'checks'} "
            f"{join_and(failed)}. The attributions below are shown for the record; do not rely on them to "
            "explain the model's decisions.")})
    elif verdict == "warn":
        blocks.append({"kind": "note", "status": "warn", "text": (
            f"Use with care: {title} raised a warning on {join_and(failed)}.")})
    importance = entry.get("global_importance")
    quality = _quality_table(ctx, title, entry.get("quality"), judged)
    if isinstance(importance, dict) and importance:
        figure, table = _importance(ctx, name, title, importance, entry.get("global_importance_ci") or {}, caution,
                                    untrusted=verdict == "fail", meta=meta)
        blocks.append({"kind": "pair", "figures": [figure], "side": quality})
        blocks.append({"kind": "table", "table": table})
    elif quality is not None:
        blocks.append({"kind": "table", "table": quality})
    ranked = _ranked(importance) if isinstance(importance, dict) else []
    curves = _curves(ctx, title, entry.get("dependence"), ranked, "dependence", caution,
                     scale=scale_words(meta, name))
    blocks += [b for b in curves if b["kind"] != "figure"]
    figures = [b for b in curves if b["kind"] == "figure"]
    if figures:
        blocks.append({"kind": "grid", "wide": True, "blocks": figures})
    space = (meta.get("output_space") or meta.get("output")) if isinstance(meta, dict) else None
    blocks += _local(ctx, title, entry.get("local"), caution, space=space, scale=scale_words(meta, name))
    known = {"global_importance", "global_importance_ci", "quality", "meta", "local", "dependence", "pdp"}
    for key, value in entry.items():
        if key not in known and value not in (None, {}, []):
            blocks.append({"kind": "table", "table": generic_table(ctx.tables, f"{title}: {short(key, 60)}", value)})
    return {"id": "ex-" + _slug(name), "title": title, "glossary": f"g-{name}" if lookup(name) else "",
            "glossary_label": f"What {title} is", "verdict": verdict, "blocks": blocks}


def _slug(name) -> str:
    return "".join(ch if ch.isascii() and ch.isalnum() else "-" for ch in str(name))[:60]


META_PHRASES = (("algorithm", "method"), ("explainer", "method"), ("output_description", "explains"),
                ("output_space", "output"), ("output", "output"), ("explained_class", "class explained"),
                ("rows_explained", "rows explained"), ("n_rows", "rows explained"), ("background_rows", "background rows"),
                ("scoring", "score"), ("n_repeats", "repeats"), ("n_samples", "samples"), ("num_samples", "samples"),
                ("n_steps", "steps"))


def _meta_sentence(title, meta) -> str:
    parts, seen = [], set()
    for key, phrase in META_PHRASES:
        if key in meta and phrase not in seen and meta[key] is not None and not isinstance(meta[key], (dict, list)):
            parts.append(f"{phrase}: {short(show(meta[key]), 160)}")
            seen.add(phrase)
    if meta.get("rows_total") and meta.get("rows_explained"):
        parts = [p for p in parts if not p.startswith("rows explained")]
        parts.append(f"rows explained: {num(meta['rows_explained'])} of {num(meta['rows_total'])}")
    return (f"{title} \u2014 " + "; ".join(parts) + ". All settings are in the appendix."
            if parts else f"{title}: settings are listed in the appendix.")


def quality_verdict(quality, judged=None) -> tuple[str, list]:
    """The worst verdict the policy's findings give a method's quality measures, and the measures
    that reach it. Only findings judge (``judged``: ``{metric: finding view}``); a measure no rule
    covers is not judged, whatever it carries, so the report never re-derives a verdict.

    Examples
    --------
    >>> quality_verdict({"additivity": {"passed": False}, "stability": 0.4}, {"stability": {"status": "warn"}})
    ('warn', ['stability'])
    >>> quality_verdict({"additivity": {"passed": False}})
    ('', [])
    >>> quality_verdict(None)
    ('', [])
    """
    if not isinstance(quality, dict):
        return "", []
    judged = judged or {}
    verdicts = {str(name): judged[name]["status"] for name in quality if name in judged}
    for level in ("fail", "warn"):
        hit = [name.replace("_", " ") for name, status in verdicts.items() if status == level]
        if hit:
            return level, hit
    return ("pass", []) if any(v == "pass" for v in verdicts.values()) else ("", [])


QUALITY_MEANINGS = {
    "additivity": "Whether the attributions add up to the model output exactly or approximately.",
    "additivity_error": "Largest gap between the attributions plus base value and the output; near 0 is good.",
    "completeness_error": "Largest gap between the attributions' sum and the output change they explain.",
    "faithfulness": "How much faster the output moves when the most-attributed features are removed than in random "
                    "order; 0 is no better than random.",
    "deletion": "The deletion curves behind the faithfulness score.",
    "stability": "Median rank correlation of each row's attributions when explained again with another seed; 1 is "
                 "perfectly stable.",
    "local_r2_median": "Median R\u00b2 of LIME's local linear models: how well they fit the model near each row.",
}


def _quality_table(ctx, title, quality, judged=None):
    if not isinstance(quality, dict) or not quality:
        return None
    judged = judged or {}
    rows = []
    for name, value in quality.items():
        if name.endswith("_method") and name[: -len("_method")] in quality:
            continue
        finding = judged.get(name)
        status = finding["status"] if finding else ""
        threshold = finding["threshold"] if finding else None
        if isinstance(value, dict) and "deletion_area" in value:
            observed, message = None, ""
            shown = (f"area {num(value.get('deletion_area'))} vs {num(value.get('random_deletion_area'))} at random"
                     f" ({plural(value.get('rows') or 0, 'row')})")
        elif isinstance(value, dict):
            observed = next((value[k] for k in ("value", "observed", "score", "error", "correlation")
                             if k in value), None)
            message = str(value.get("message") or "")
            threshold = threshold or value.get("threshold")
            shown = num(observed) if observed is None or is_number(observed) else short(show(observed), 80)
            if observed is None and not message:
                shown = short(show(value), 120)
        else:
            shown = (num(value) if is_number(value) else "not measured" if value is None
                     else short(show(value), 80))
            message = ""
        meaning = " ".join(p for p in (QUALITY_MEANINGS.get(name, ""), message,
                                       str(quality.get(f"{name}_method") or "")) if p)
        label = str(name).replace("_", " ")
        verdict_text = {"pass": "Pass", "warn": "Warning", "fail": "Fail"}.get(status, "Not judged")
        line = f"line {show(threshold)}" if threshold not in (None, "") else ""
        rows.append([Cell(label, link=f"g-{name}" if lookup(name) else "", note=short(meaning, 300)),
                     Cell(shown, note=line),
                     Cell(verdict_text, status=status, link=finding["anchor"] if finding else "")])
    verdict, failed = quality_verdict(quality, judged)
    reading = {"fail": f"{title} failed {join_and(failed)}: its attributions cannot be trusted as they stand.",
               "warn": f"{title} passed its checks except {join_and(failed)}, which warns.",
               "pass": f"{title} passed every explanation-quality check the policy sets."}.get(
        verdict, f"{title}'s quality measurements, reported without a verdict of the policy.")
    return ctx.tables.make(f"Quality of the {title} attributions", reading,
                           [Column("Measure and what it means"), Column("Value"), Column("Verdict")], rows)


def _importance(ctx, name, title, importance, spans, caution, *, untrusted=False, meta=None):
    ranked = _ranked(importance)
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
        legend=[("not trustworthy: failed a quality check", "#9a9a9a", "xx")] if untrusted else None,
        title=f"Global importance by {title}" + (f" (top {TOP_FEATURES} of {len(ranked)})" if len(ranked) > TOP_FEATURES else "")
        + (": not trustworthy" if untrusted else ""),
        desc="Features by importance, largest first: " + "; ".join(f"{short(f, 60)}: {num(importance[f], 4)}" for f in top) + ".",
        reading=reading, xlabel=(f"mean |attribution| ({scale_words(meta, name)})" if name != "permutation"
                                 else scale_words(meta, name)))
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


def _curves(ctx, title, record, ranked, kind, caution, *, limit=None, scale=None) -> list:
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
                ctx.tables, f"{'Dependence' if kind == 'dependence' else 'Partial dependence'} of {short(feature, 60)}",
                record[feature])})
            continue
        if kind == "dependence":
            reading = _dependence_reading(feature, x, y) + caution
            chart = ctx.charts.scatter(x, y, title=f"How {short(feature, 60)} drives the output ({title})",
                                       desc=f"{len(x)} rows: value of {short(feature, 60)} against its attribution.",
                                       reading=reading, xlabel=str(feature),
                                       ylabel=f"attribution ({scale or 'output scale not recorded'})")
        else:
            numbers = [v for v in y if is_number(v)]
            reading = (f"As {quoted(feature)} moves across its range, the average model output goes from "
                       f"{num(y[0], 3)} to {num(y[-1], 3)} (lowest {num(min(numbers), 3)}, highest "
                       f"{num(max(numbers), 3)})." if numbers else "No partial dependence value is defined.") + caution
            chart = ctx.charts.scatter(x, y, line=True, title=f"Partial dependence on {short(feature, 60)}",
                                       desc="Grid value and average output: " + "; ".join(
                                           f"{short(show(a), 30)}: {num(b, 3)}" for a, b in list(zip(x, y))[:30]) + ".",
                                       reading=reading, xlabel=str(feature), ylabel="average output" + (
                                           f" ({scale_words(record[feature])})" if isinstance(record[feature], dict)
                                           and record[feature].get("output_space") else ""))
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


def _local(ctx, title, local, caution, *, space=None, scale=None) -> list:
    if not isinstance(local, dict):
        return []
    values = local.get("values")
    if not isinstance(values, list) or not values or not isinstance(values[0], list):
        return [{"kind": "table", "table": generic_table(ctx.tables, f"Local explanations by {title}", local)}]
    names = _local_names(ctx, local, len(values[0]))
    data_rows = _local_data(local.get("data"), len(values))
    row_ids = local.get("rows") or local.get("row_index") or list(range(len(values)))
    base = local.get("base_values")
    output = local.get("output") or []
    chosen = [e for e in local.get("examples") or [] if isinstance(e, dict) and isinstance(e.get("index"), int)
              and 0 <= e["index"] < len(values)][:LOCAL_EXAMPLES]
    if not chosen:  # records written before the examples were chosen for a reviewer
        chosen = [{"index": k, "reason_chosen": "one of the first explained rows (this record names no chosen cases)"}
                  for k in range(min(LOCAL_EXAMPLES, len(values)))]
    blocks = []
    for example in chosen:
        k = example["index"]
        contributions = values[k]
        base_k = base[k] if isinstance(base, list) and k < len(base) else base
        out_k = output[k] if k < len(output) else None
        shown = [f"{names[j]} = {value_text(data_rows[k][j])}" if data_rows and j < len(data_rows[k])
                 else names[j] for j in range(len(contributions))]
        order = sorted((j for j in range(len(contributions)) if is_number(contributions[j])),
                       key=lambda j: -abs(contributions[j]))
        lead = order[0] if order else None
        shown_space = f" ({short(str(space).replace('_', '-'), 40)})" if space else ""
        why = str(example.get("reason_chosen") or "")
        reading = ((f"Chosen as {why}. " if why else "")
                   + f"For row {short(show(row_ids[k]), 40)} the model output{shown_space} is {num(out_k, 3)} against a "
                   f"base value of {num(base_k, 3)}" + (f"; {short(shown[lead], 80)} moves it "
                                                        f"{'up' if contributions[lead] > 0 else 'down'} most "
                                                        f"({num(contributions[lead], 3)})" if lead is not None else "")
                   + ". The bars, with one for all features not shown, add up to output minus base." + caution)
        blocks.append({"kind": "figure", "chart": ctx.charts.local_bars(
            shown, contributions, base=base_k, output=out_k, top=LOCAL_TOP,
            title=f"Why row {short(show(row_ids[k]), 40)} got its output ({title})",
            desc_start="Contributions, largest first:", reading=reading,
            xlabel=f"contribution to the output, {scale or 'output scale not recorded'} (right: up, left: down)")})
    return [{"kind": "grid", "wide": True, "blocks": blocks}] if blocks else []


def _local_names(ctx, local, width) -> list:
    for candidate in (local.get("feature_names"), (local.get("data") or {}).get("columns")
                      if isinstance(local.get("data"), dict) else None, ctx.part("data").get("features")):
        if isinstance(candidate, list) and len(candidate) == width:
            return [str(c) for c in candidate]
    return [f"feature {j}" for j in range(width)]


def _local_data(data, n_rows):
    if isinstance(data, dict) and isinstance(data.get("data"), list):
        data = data["data"]
    if isinstance(data, list) and len(data) >= n_rows:
        if all(isinstance(r, dict) for r in data):
            return [list(r.values()) for r in data]
        if all(isinstance(r, list) for r in data):
            return data
    return None


def _images_part(ctx, images) -> dict:
    samples = (images.get("samples") or [])[:GALLERY_SAMPLES]
    methods = images.get("methods") or {}
    sanity = images.get("sanity_check") or {}
    # The verdict on each method's sanity check is the finding of the coverage rule that judged it.
    judged = {f["id"].rsplit(".", 1)[-1]: f for f in ctx.findings
              if f["check"] == "coverage" and f["id"].split(".")[-2:-1] == ["sanity_check"]}
    blocks = []
    rows, failed = [], []
    for method, check in sanity.items():
        if not isinstance(check, dict):
            continue
        passed = check.get("passed")
        if passed is False:
            failed.append(display_name(method))
        finding = judged.get(method)
        result = {True: "Passed the check: ", False: "Failed the check: "}.get(passed, "")
        rows.append([Cell(display_name(method), link=f"g-{method}" if lookup(method) else ""),
                     Cell(finding["status_label"] if finding else "Not judged", status=finding["status"] if finding else "",
                          link=finding["anchor"] if finding else ""),
                     num(check.get("mean_rank_correlation")), num(check.get("mean_ssim")), num(check.get("threshold")),
                     short(result + str(check.get("verdict", "")), 300)])
    if failed:
        blocks.append({"kind": "note", "status": "fail", "text": (
            f"Not trustworthy: the maps of {join_and(failed)} barely change when the model's weights are randomised, "
            "so they show the input rather than what the model learned. Do not read them as explanations.")})
    if rows:
        reading = (f"{join_and(failed)} failed the model-randomisation sanity check." if failed
                   else "Every method's maps change when the weights are randomised: they depend on the model.")
        blocks.append({"kind": "table", "table": ctx.tables.make(
            "Sanity check of the saliency methods (model randomisation)", reading,
            [Column("Method"), Column("Verdict", key="sanity_check"), Column("Rank correlation", numeric=True),
             Column("SSIM", numeric=True), Column("Fails above", numeric=True), Column("What it means")], rows,
            notes=["Rank correlation and SSIM compare each map with the map of the randomised model; high values "
                   "mean the map did not change."])})
    for method, entry in methods.items():
        maps = (entry.get("maps") or [])[:GALLERY_SAMPLES] if isinstance(entry, dict) else []
        if not maps:
            continue
        captions = [_sample_caption(samples[i] if i < len(samples) else {}, i) for i in range(len(maps))]
        check = sanity.get(method) if isinstance(sanity.get(method), dict) else {}
        verdict = ("" if check.get("passed") is None else
                   " It passed the sanity check." if check.get("passed") else
                   " It FAILED the sanity check: these maps are not trustworthy.")
        inputs = [s.get("image") for s in samples[: len(maps)]]
        meta = entry.get("meta") if isinstance(entry.get("meta"), dict) else {}
        signed = not is_unsigned(meta, method)
        colours = ("orange: raises the explained class's score, purple: lowers it; each map on its own scale"
                   if signed else "unsigned magnitudes from dark (none) to yellow (most); each map on its own scale")
        blocks.append({"kind": "figure", "chart": ctx.charts.gallery(
            inputs if all(isinstance(i, list) for i in inputs) and len(inputs) == len(maps) else None, maps, captions,
            signed=signed,
            title=f"{display_name(method)} attribution maps"
            + (": not trustworthy (failed the sanity check)" if check.get("passed") is False else ""),
            desc=f"{len(maps)} images (top row) and their {display_name(method)} maps (bottom row); {colours}. "
                 + "; ".join(captions) + ".",
            reading=f"Where {display_name(method)} finds the evidence for each prediction.{verdict}")})
    return {"id": "ex-images", "title": "Saliency maps for the image model", "glossary": "g-sanity_check",
            "glossary_label": "What the sanity check is", "verdict": "fail" if failed else ("pass" if rows else ""), "blocks": blocks}


def _sample_caption(sample, index) -> str:
    parts = [f"row {show(sample.get('row', index))}"]
    if sample.get("true_label") is not None:
        parts.append(f"true {short(show(sample['true_label']), 20)}")
    if sample.get("predicted_label") is not None:
        parts.append(f"predicted {short(show(sample['predicted_label']), 20)}")
    correct = sample.get("correct")
    if correct is None and sample.get("true_label") is not None and sample.get("predicted_label") is not None:
        correct = show(sample["true_label"]) == show(sample["predicted_label"])
    if correct is not None:
        parts.append("correct" if correct else "MISCLASSIFIED")
    return ", ".join(parts)


def _generic_part(ctx, key, value) -> dict:
    title = display_name(key) if lookup(key) else str(key).replace("_", " ").capitalize()
    reading = ""
    if key == "agreement":
        reading = _agreement_reading(value)
    if key == "agreement" and isinstance(value, dict) and isinstance(value.get("pairs"), list):
        table = _agreement_table(ctx, value)
    else:
        table = generic_table(ctx.tables, title, value, reading=reading)
    return {"id": "ex-" + _slug(key), "title": title, "glossary": f"g-{key}" if lookup(key) else "",
            "glossary_label": f"What {title.lower()} means", "verdict": "",
            "blocks": [{"kind": "table", "table": table}]}


def _agreement_table(ctx, agreement):
    judged = {}
    for finding in ctx.findings:
        if finding["check"] == "explanation_agreement":
            judged.setdefault(finding["id"].rsplit(".", 1)[-1], []).append(finding)
    rows = []
    for pair in agreement["pairs"]:
        methods = [str(m) for m in pair.get("methods") or []]
        findings = judged.get("-".join(methods), [])
        worst = next((f for level in ("fail", "warn", "pass") for f in findings if f["status"] == level), None)
        rows.append([" vs ".join(display_name(m) for m in methods), num(pair.get("spearman")),
                     f"{num(pair.get('top_k_overlap'))} (top {pair.get('k', 'k')})",
                     Cell(worst["status_label"], status=worst["status"], link=worst["anchor"]) if worst
                     else Cell("Not judged")])
    scored = [p for p in agreement["pairs"] if is_number(p.get("spearman"))]
    if scored:
        low = min(scored, key=lambda p: p["spearman"])
        names = " and ".join(display_name(m) for m in low.get("methods") or [])
        reading = (f"{names} agree least on which features matter (rank correlation {num(low['spearman'], 2)}); "
                   + ("the methods tell the same story." if low["spearman"] >= 0.7 else
                      "where methods disagree, no single ranking should be read on its own."))
    else:
        reading = "No pair of methods could be compared."
    return ctx.tables.make("Agreement between the explanation methods", reading,
                           [Column("Methods"), Column("Rank correlation", key="agreement", numeric=True),
                            Column("Top features in common", numeric=True), Column("Verdict")], rows)


def _agreement_reading(value) -> str:
    numbers = {}
    if isinstance(value, dict):
        for pair, entry in value.items():
            if is_number(entry):
                numbers[pair] = entry
            elif isinstance(entry, dict):
                found = next((entry[k] for k in entry if is_number(entry[k]) and
                              any(w in k for w in ("spearman", "rank", "kendall", "correlation"))), None)
                if found is not None:
                    numbers[pair] = found
    if not numbers:
        return ""
    low = min(numbers, key=numbers.get)
    return (f"The rankings agree least for {quoted(low)} (rank correlation {num(numbers[low], 2)}); "
            + ("the methods tell the same story." if numbers[low] >= 0.7 else
               "where methods disagree, neither ranking should be read on its own."))
