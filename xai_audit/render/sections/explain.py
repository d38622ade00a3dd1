"""Section view for explanations: one part per method (its settings, quality verdict, global
importance, dependence and local examples), partial dependence, saliency galleries, method agreement.

Quality verdicts are placed beside the attributions they qualify: a method any check calls
untrustworthy carries that warning above its charts and in every caption of its figures.
"""

from __future__ import annotations

from xai_audit.render.context import Context, not_computed, section
from xai_audit.render.glossary import display_name, lookup
from xai_audit.render.names import SPACE_WORDS, feature_name, is_unsigned, scale_words
from xai_audit.render.sections.explain_global import curve_blocks, importance_blocks, pdp_part, ranked_features
from xai_audit.render.sections.explain_local import images_part, local_blocks
from xai_audit.render.sections.explain_quality import (agreement_reading, agreement_table, quality_findings,
                                                       quality_table, quality_verdict)
from xai_audit.render.tables import generic_table, show
from xai_audit.render.text import join_and, lower_first, num, plain, plural, quoted

METHOD_ORDER = ("shap", "lime", "integrated_gradients", "deeplift", "gradient_shap", "saliency", "occlusion",
                "permutation")
METHOD_KEYS = ("global_importance", "local", "quality", "dependence", "pdp", "maps")

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
    pdp_view = pdp_part(ctx, methods)
    if pdp_view is not None:
        parts.append(pdp_view)
    failed = {k: v["error"] for k, v in record.items() if isinstance(v, dict) and set(v) == {"error"}}
    if isinstance(record.get("images"), dict):
        parts.append(images_part(ctx, record["images"]) if "error" not in record["images"] else
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
    return section("explanations", parts=parts, findings=findings, notes=notes, scales=scales_sentence(methods),
                   headline=drivers_sentence(methods, verdicts, ctx))


def scales_sentence(methods: dict) -> str:
    """Which scale each method's numbers are on, and a warning when they differ: attributions in
    log-odds and in probability (or an unsigned magnitude) cannot be compared number for number.

    Examples
    --------
    >>> shap, lime = {"meta": {"output_space": "log_odds"}, "global_importance": {"a": 0.6}}, {"global_importance": {"a": 0.1}}
    >>> scales_sentence({"shap": shap, "lime": {**lime, "meta": {"output_space": "probability"}}})
    'Scales: SHAP in log-odds; LIME in probability. These scales differ, so compare the methods by their rankings, never number for number.'
    >>> scales_sentence({"lime": {**lime, "meta": {"output_space": "probability"}}})
    'Scale: LIME in probability.'
    """
    scales = {name: scale_words(entry.get("meta"), name) for name, entry in methods.items()
              if isinstance(entry, dict) and (entry.get("global_importance") or entry.get("local"))}
    if not scales:
        return ""
    listed = "; ".join(f"{display_name(name)} {'as the' if words.startswith('drop') else 'in'} {words}"
                       for name, words in scales.items())
    if len(set(scales.values())) > 1:
        return (f"Scales: {listed}. These scales differ, so compare the methods by their rankings, never number "
                "for number.")
    return f"Scale{'s' if len(scales) > 1 else ''}: {listed}."


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


def drivers_sentence(methods: dict, verdicts: dict | None = None, ctx=None) -> str:
    """Which features drive the model most, by the first method with a global importance (by their plain
    names when ``ctx`` carries the record's labels)."""
    for name, entry in methods.items():
        importance = entry.get("global_importance")
        if isinstance(importance, dict) and importance:
            ranked = ranked_features(importance)[:3]
            text = (f"By {display_name(name)}, the model's outputs depend most on "
                    f"{join_and(quoted(feature_name(ctx or {}, f)) for f in ranked)}.")
            verdict, failed = quality_verdict(entry.get("quality"), (verdicts or {}).get(name))
            if verdict == "fail":
                text += f" But {display_name(name)} failed {join_and(failed)}, so this ranking is not trustworthy."
            return text
    return ""


def _method_part(ctx, name, entry, judged) -> dict:
    title = display_name(name)
    verdict, failed = quality_verdict(entry.get("quality"), judged)
    caution = (f" Caution: {title} failed {join_and(failed)}; read these attributions as untrustworthy."
               if verdict == "fail" else "")
    blocks = []
    meta = entry.get("meta") if isinstance(entry.get("meta"), dict) else {}
    scale, unsigned = scale_words(meta, name), is_unsigned(meta, name)
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
    quality = quality_table(ctx, title, entry.get("quality"), judged)
    if isinstance(importance, dict) and importance:
        figure, table = importance_blocks(ctx, name, title, importance, entry.get("global_importance_ci") or {}, caution,
                                          untrusted=verdict == "fail", scale=scale, unsigned=unsigned)
        blocks.append({"kind": "pair", "figures": [figure], "side": quality})
        blocks.append({"kind": "table", "table": table})
    elif quality is not None:
        blocks.append({"kind": "table", "table": quality})
    ranked = ranked_features(importance) if isinstance(importance, dict) else []
    curves = curve_blocks(ctx, title, entry.get("dependence"), ranked, "dependence", caution, scale=scale,
                          unsigned=unsigned)
    blocks += [b for b in curves if b["kind"] != "figure"]
    figures = [b for b in curves if b["kind"] == "figure"]
    if figures:
        blocks.append({"kind": "grid", "wide": True, "blocks": figures})
    blocks += local_blocks(ctx, title, entry.get("local"), caution, scale=scale, unsigned=unsigned,
                           space=meta.get("output_space") or meta.get("output"))
    known = {"global_importance", "global_importance_ci", "quality", "meta", "local", "dependence", "pdp"}
    for key, value in entry.items():
        if key not in known and value not in (None, {}, []):
            blocks.append({"kind": "table", "table": generic_table(ctx.tables, f"{title}: {plain(key)}", value)})
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
            shown = SPACE_WORDS.get(str(meta[key]), show(meta[key])) if key in ("output_space", "output") else show(meta[key])
            parts.append(f"{phrase}: {plain(shown)}")
            seen.add(phrase)
    if meta.get("rows_total") and meta.get("rows_explained"):
        parts = [p for p in parts if not p.startswith("rows explained")]
        parts.append(f"rows explained: {num(meta['rows_explained'])} of {num(meta['rows_total'])}")
    return (f"{title} \u2014 " + "; ".join(parts) + ". All settings are in the appendix."
            if parts else f"{title}: settings are listed in the appendix.")


def _generic_part(ctx, key, value) -> dict:
    title = display_name(key) if lookup(key) else str(key).replace("_", " ").capitalize()
    reading = ""
    if key == "agreement":
        reading = agreement_reading(value)
    if key == "agreement" and isinstance(value, dict) and isinstance(value.get("pairs"), list):
        table = agreement_table(ctx, value)
    else:
        table = generic_table(ctx.tables, title, value, reading=reading)
    return {"id": "ex-" + _slug(key), "title": title, "glossary": f"g-{key}" if lookup(key) else "",
            "glossary_label": f"What {lower_first(title)} means", "verdict": "",
            "blocks": [{"kind": "table", "table": table}]}


