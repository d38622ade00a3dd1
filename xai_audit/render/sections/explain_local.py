"""Local explanations: why single rows got their output, and saliency galleries of image models."""

from __future__ import annotations

from xai_audit.render.glossary import display_name, lookup
from xai_audit.render.names import SPACE_WORDS, feature_name, is_unsigned, scale_words, value_name
from xai_audit.render.tables import Cell, Column, generic_table, show
from xai_audit.render.text import is_number, join_and, num, plain

LOCAL_EXAMPLES = 3
LOCAL_TOP = 8
GALLERY_SAMPLES = 8


def local_blocks(ctx, title, local, caution, *, scale="", space=None, unsigned=False) -> list:
    """Why single rows got their output: the rows chosen for a reviewer (``local.examples``, each with
    its ``reason_chosen``), each row's largest attributions on ``scale``. Signed attributions get one
    more bar for all features not shown, so the bars add up to output minus base. Unsigned
    attributions (saliency) are magnitudes: their text speaks of size, never of up or down, and
    claims no sum."""
    if not isinstance(local, dict):
        return []
    values = local.get("values")
    if not isinstance(values, list) or not values or not isinstance(values[0], list):
        return [{"kind": "table", "table": generic_table(ctx.tables, f"Local explanations by {title}", local)}]
    raw = _local_names(ctx, local, len(values[0]))
    names = [feature_name(ctx, c) for c in raw]
    data_rows = _local_data(local.get("data"), len(values))
    row_ids = local.get("rows") or local.get("row_index") or list(range(len(values)))
    base = local.get("base_values")
    output = local.get("output") or []
    blocks = []
    for example in chosen_examples(local, len(values)):
        k = example["index"]
        contributions = values[k]
        base_k = base[k] if isinstance(base, list) and k < len(base) else base
        out_k = output[k] if k < len(output) else None
        shown = [f"{names[j]} = {plain(value_name(ctx, raw[j], data_rows[k][j]))}" if data_rows and j < len(data_rows[k])
                 else names[j] for j in range(len(contributions))]
        order = sorted((j for j in range(len(contributions)) if is_number(contributions[j])),
                       key=lambda j: -abs(contributions[j]))
        lead = order[0] if order else None
        shown_space = f" ({SPACE_WORDS.get(str(space), plain(space))})" if space else ""
        why = str(example.get("reason_chosen") or "")
        chosen = f"Chosen as {why}. " if why else ""
        row = plain(show(row_ids[k]))
        chart_title = f"Why row {row} got its output ({title}, {scale or 'scale not recorded'})"
        if unsigned:
            reading = (chosen + f"For row {row} the model output{shown_space} is {num(out_k, 3)}"
                       + (f"; the output is most sensitive to {shown[lead]} (magnitude {num(contributions[lead], 3)}; "
                          "an unsigned attribution says how much, not which way)"
                          if lead is not None else "") + "." + caution)
            top = order[:LOCAL_TOP]
            chart = ctx.charts.signed_bars(
                [shown[j] for j in top], [contributions[j] for j in top], title=chart_title,
                desc=f"Largest attribution magnitudes ({scale}): " + "; ".join(
                    f"{plain(shown[j])}: {num(contributions[j], 3)}" for j in top) + ".",
                reading=reading, xlabel="attribution magnitude (unsigned; no direction)")
        else:
            reading = (chosen + f"For row {row} the model output{shown_space} is {num(out_k, 3)} against a "
                       f"base value of {num(base_k, 3)}" + (
                           f"; {shown[lead]} moves it {'up' if contributions[lead] > 0 else 'down'} most "
                           f"({num(contributions[lead], 3)}, in {scale})" if lead is not None else "")
                       + ". The bars, with one for all features not shown, add up to output minus base." + caution)
            chart = ctx.charts.local_bars(
                shown, contributions, base=base_k, output=out_k, top=LOCAL_TOP, title=chart_title,
                desc_start=f"Contributions ({scale}), largest first:", reading=reading,
                xlabel=f"contribution to the output ({scale}; right: up, left: down)")
        blocks.append({"kind": "figure", "chart": chart})
    return [{"kind": "grid", "wide": True, "blocks": blocks}] if blocks else []


def chosen_examples(local, n_rows) -> list:
    """The explained rows to show (``{"index": ..., "reason_chosen": ...}``): those the record chose for
    a reviewer, else, in records written before they were chosen, the first rows, said so.

    Examples
    --------
    >>> chosen_examples({"examples": [{"index": 4, "reason_chosen": "a declined case"}, {"index": 9}]}, 5)
    [{'index': 4, 'reason_chosen': 'a declined case'}]
    >>> [e["index"] for e in chosen_examples({}, 5)]
    [0, 1, 2]
    """
    chosen = [e for e in local.get("examples") or [] if isinstance(e, dict) and isinstance(e.get("index"), int)
              and 0 <= e["index"] < n_rows][:LOCAL_EXAMPLES]
    if not chosen:
        chosen = [{"index": k, "reason_chosen": "one of the first explained rows (this record names no chosen cases)"}
                  for k in range(min(LOCAL_EXAMPLES, n_rows))]
    return chosen


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


def images_part(ctx, images) -> dict:
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
                     plain(result + str(check.get("verdict", "")))])
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
        meta = entry.get("meta") if isinstance(entry, dict) and isinstance(entry.get("meta"), dict) else {}
        if not maps:
            continue
        captions = [_sample_caption(samples[i] if i < len(samples) else {}, i) for i in range(len(maps))]
        check = sanity.get(method) if isinstance(sanity.get(method), dict) else {}
        verdict = ("" if check.get("passed") is None else
                   " It passed the sanity check." if check.get("passed") else
                   " It FAILED the sanity check: these maps are not trustworthy.")
        inputs = [s.get("image") for s in samples[: len(maps)]]
        blocks.append({"kind": "figure", "chart": ctx.charts.gallery(
            inputs if all(isinstance(i, list) for i in inputs) and len(inputs) == len(maps) else None, maps, captions,
            signed=not is_unsigned(meta, method),
            title=f"{display_name(method)} attribution maps ({scale_words(meta, method)})"
            + (": not trustworthy (failed the sanity check)" if check.get("passed") is False else ""),
            desc=f"{len(maps)} images (top row) and their {display_name(method)} maps (bottom row); "
                 + ("colour intensity: size of the attribution, which is unsigned: it says how much, not which way. "
                    if is_unsigned(meta, method) else
                    "orange: raises the explained class's score, purple: lowers it. ")
                 + "Each map is on its own colour scale. " + "; ".join(captions) + ".",
            reading=f"Where {display_name(method)} finds the evidence for each prediction.{verdict}")})
    return {"id": "ex-images", "title": "Saliency maps for the image model", "glossary": "g-sanity_check",
            "glossary_label": "What the sanity check is", "verdict": "fail" if failed else ("pass" if rows else ""), "blocks": blocks}


def _sample_caption(sample, index) -> str:
    parts = [f"row {show(sample.get('row', index))}"]
    if sample.get("true_label") is not None:
        parts.append(f"true {plain(show(sample['true_label']))}")
    if sample.get("predicted_label") is not None:
        parts.append(f"predicted {plain(show(sample['predicted_label']))}")
    correct = sample.get("correct")
    if correct is None and sample.get("true_label") is not None and sample.get("predicted_label") is not None:
        correct = show(sample["true_label"]) == show(sample["predicted_label"])
    if correct is not None:
        parts.append("correct" if correct else "MISCLASSIFIED")
    return ", ".join(parts)


