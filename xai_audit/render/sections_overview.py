"""Section views that describe the audit rather than measure the model: identification, the model
card, the data, all findings, the reproducibility appendix, sign-off, glossary and clause index."""

from __future__ import annotations

from xai_audit.render import clauses as clause_registry
from xai_audit.render.context import SECTION_TITLES, Context, not_computed, section
from xai_audit.render.glossary import terms_for
from xai_audit.render.names import feature_name, group_name, value_name
from xai_audit.render.tables import Cell, Column, compact_json, show
from xai_audit.render.text import join_and, num, pct, plain, plural, quoted

NOT_PROVIDED = "Not provided"
CARD_FIELDS = (
    ("intended_use", "Intended use", "what the model is for, for whom, and where it must not be used"),
    ("decision_role", "Decision role", "whether the model decides alone or informs a person who decides"),
    ("human_oversight", "Human oversight", "who reviews the model's outputs, how, and how a decision is contested"),
    ("limitations", "Limitations", "known weaknesses, populations and conditions where it performs worse"),
)
IDENTITY_CARD_KEYS = ("owner", "version")


def identification(ctx: Context) -> dict:
    model, data, manifest, card = ctx.part("model"), ctx.part("data"), ctx.part("manifest"), ctx.part("model_card")
    policy = (manifest.get("config") or {}).get("policy") or {}
    model_hash = model.get("sha256") or manifest.get("model_sha256")
    rows = [
        ("Model", model.get("name") or NOT_PROVIDED),
        ("Framework and task", (f"none: no model was given, only its predictions; {model.get('task', 'unknown')}"
                                if model.get("framework") == "predictions" else
                                f"{model.get('framework', 'unknown')}, {model.get('task', 'unknown')}")),
        (("Classes", _classes(ctx, model, data)) if ctx.task == "multiclass" else
         ("Favourable outcome", _favourable(ctx, model, data))),
        ("Model version", card.get("version") or NOT_PROVIDED),
        ("Model owner", card.get("owner") or NOT_PROVIDED),
        ("Audit date (UTC)", manifest.get("created_at") or NOT_PROVIDED),
        ("Audit tool", f"{manifest.get('tool', 'xai-audit')} {manifest.get('tool_version', '')}".strip()),
        ("Policy", policy.get("name") or NOT_PROVIDED),
        ("Seed", show(manifest.get("random_state")) if manifest.get("random_state") is not None
         else "None (sampled steps are not reproducible)"),
        ("Model SHA-256", model_hash or _why_no_model_hash(model, data)),
        ("Data SHA-256", data.get("sha256") or manifest.get("data_sha256") or NOT_PROVIDED),
        ("Data source", data.get("source") or "A data frame in memory (no file name recorded)"),
    ]
    missing = [name for name, value in rows if value == NOT_PROVIDED]
    reading = ("Every identifying detail is recorded." if not missing else
               f"{join_and(missing)} {'is' if len(missing) == 1 else 'are'} not recorded; the model card passed "
               "to the audit should supply them.")
    table = ctx.tables.make("What was audited, when, and with what", reading,
                            [Column("Item"), Column("Value")],
                            [[name, Cell(str(value), status="warn" if value == NOT_PROVIDED else "")]
                             for name, value in rows])
    return section("identification", table=table)


def _why_no_model_hash(model, data) -> str:
    """Why the record holds no model hash: no model at all, or a model given as an object in memory.

    Examples
    --------
    >>> _why_no_model_hash({"framework": "predictions"}, {"predictions": "high_risk"})
    "None: no model was given; the audit had only its predictions (column 'high_risk')"
    """
    if model.get("framework") == "predictions":
        column = data.get("predictions")
        return ("None: no model was given; the audit had only its predictions"
                + (f" (column {quoted(column)})" if column else ""))
    return "Not recorded: the model was given as an object in memory, not a file"


def _classes(ctx, model, data) -> str:
    """The classes of a multiclass model, by their plain names: none of them is 'favourable'."""
    classes = model.get("classes") or data.get("classes") or []
    if not classes:
        return NOT_PROVIDED
    shown = [value_name(ctx, data.get("target"), c) for c in classes[:20]]
    return (f"{len(classes)} classes: " + ", ".join(shown) + (", ..." if len(classes) > 20 else "")
            + "; each is reported one-vs-rest")


def _favourable(ctx, model, data) -> str:
    label = data.get("positive_label", model.get("positive_class"))
    if model.get("task") == "regression" or data.get("task") == "regression":
        return "Not applicable (regression)"
    if label is None:
        return NOT_PROVIDED
    if not data.get("target"):
        return f"{quoted(value_name(ctx, data.get('predictions'), label))} (the favourable value of the predictions)"
    return (f"{quoted(value_name(ctx, data.get('target'), label))} "
            f"(in target {quoted(feature_name(ctx, data.get('target')))})")


def model_card(ctx: Context) -> dict:
    card = ctx.part("model_card")
    items = [{"key": key, "label": name, "hint": hint, "values": _card_values(card.get(key)),
              "provided": bool(_card_values(card.get(key)))} for key, name, hint in CARD_FIELDS]
    known = {key for key, _, _ in CARD_FIELDS} | set(IDENTITY_CARD_KEYS)
    items += [{"key": str(key), "label": str(key).replace("_", " ").capitalize(), "hint": "",
               "values": _card_values(value), "provided": bool(_card_values(value))}
              for key, value in card.items() if key not in known]
    missing = [item["label"].lower() for item in items[: len(CARD_FIELDS)] if not item["provided"]]
    if not missing:
        reading = "The model card states the intended use, decision role, human oversight and limitations."
    else:
        reading = (f"The model card does not state the {join_and(missing)}; EU AI Act Art. 13 and Annex IV, "
                   "GDPR Art. 22 and SR 11-7 expect them. Pass model_card={...} to the audit to record them.")
    return section("model-card", items=items, reading=reading, complete=not missing)


def _card_values(value) -> list[str]:
    if value is None or value == "" or value == [] or value == {}:
        return []
    if isinstance(value, (list, tuple)):
        return [plain(show(v) if not isinstance(v, str) else v) for v in value]
    if isinstance(value, dict):
        return [f"{k}: {plain(show(v))}" for k, v in value.items()]
    return [plain(value if isinstance(value, str) else show(value))]


def data_section(ctx: Context) -> dict:
    data = ctx.part("data")
    if not data:
        return not_computed("data", "The audit record has no data section.")
    n_rows = data.get("n_rows") or 0
    kinds = data.get("feature_kinds") or {}
    features = list(data.get("features") or [])
    counts = data.get("class_counts") or {}
    period = (ctx.part("model_card") or {}).get("data_period")
    facts = [
        ("Source", data.get("source") or "A data frame in memory"),
        ("Period covered", plain(str(period)) if period else f"{NOT_PROVIDED} (data_period in the model card)"),
        ("Rows", num(n_rows)),
        ("Target", feature_name(ctx, data["target"]) if data.get("target")
         else "None (no ground truth: performance is not measured)"),
        ("Task", data.get("task") or "unknown"),
        ("Outcome counts", "; ".join(f"{quoted(value_name(ctx, data.get('target'), k))}: {num(v)} ({pct(v / n_rows if n_rows else None)})"
                                     for k, v in counts.items()) or "n/a"),
        ("Model features", f"{len(features)} ({_kind_counts(kinds, features)})" if features else
         ("Images of shape " + " \u00d7 ".join(str(d) for d in data["image_shape"]) if data.get("image_shape")
          else "none named")),
        ("Predictions column", feature_name(ctx, data["predictions"]) if data.get("predictions")
         else "none (the model was run)"),
        ("Scores column", feature_name(ctx, data["scores"]) if data.get("scores") else "none"),
        ("Sensitive attributes", join_and(quoted(feature_name(ctx, s)) for s in data.get("sensitive") or []) or "none"),
    ]
    facts_table = ctx.tables.make("The data the audit ran on", _data_reading(ctx, data, n_rows, counts),
                                  [Column("Item"), Column("Value")], facts)
    group_tables = [_group_table(ctx, attribute, sizes, n_rows, (data.get("bins") or {}).get(attribute))
                    for attribute, sizes in (data.get("group_sizes") or {}).items()]
    missing = data.get("missing_values") or {}
    feature_rows = [[f, feature_name(ctx, f), _named_values(ctx, f), kinds.get(f, "numeric"),
                     f"{num(missing.get(f, 0))} ({pct(missing.get(f, 0) / n_rows if n_rows else None)})"]
                    for f in features]
    others = [(c, role) for c, role in ((data.get("target"), "target"), *((a, "sensitive attribute") for a in
              data.get("sensitive") or []), (data.get("predictions"), "predictions"), (data.get("scores"), "scores"))
              if c and c not in features]
    feature_rows += [[c, feature_name(ctx, c), _named_values(ctx, c), role, "n/a"] for c, role in others]
    with_missing = [f for f in features if missing.get(f)]
    feature_reading = ("No feature has missing values." if not with_missing else
                       f"{plural(len(with_missing), 'feature')} {'has' if len(with_missing) == 1 else 'have'} "
                       f"missing values, most in {quoted(feature_name(ctx, max(with_missing, key=lambda f: missing[f])))}.")
    labelled = (data.get("labels") or {}) if isinstance(data.get("labels"), dict) else {}
    feature_reading += (f" Plain names from the labels file for {plural(len(labelled), 'column')}; the report uses them "
                        "everywhere, and this table alone shows the columns as they are in the data." if labelled else
                        " No labels file was given: the report names the columns as they are in the data.")
    feature_table = ctx.tables.make("Data dictionary: every column the audit used, its plain name, kind and missing "
                                    "values", feature_reading,
                                    [Column("Column in the data"), Column("Plain name"), Column("Named values"),
                                     Column("Kind or role"), Column("Missing values", numeric=True)],
                                    feature_rows) if features else None
    return section("data", facts=facts_table, features=feature_table, groups=group_tables,
                   findings=ctx.findings_for("data"))


def _named_values(ctx, column) -> str:
    """The category codes the labels file names, as ``code: words``; empty when none."""
    entry = ((ctx.part("data").get("labels") or {}).get(column) or {})
    values = entry.get("values") if isinstance(entry, dict) else None
    return "; ".join(f"{code}: {plain(words)}" for code, words in values.items()) if isinstance(values, dict) else ""


def _kind_counts(kinds, features) -> str:
    numeric = sum(1 for f in features if kinds.get(f, "numeric") == "numeric")
    return f"{numeric} numeric, {len(features) - numeric} categorical"


def _data_reading(ctx, data, n_rows, counts) -> str:
    text = f"The audit used {plural(n_rows, 'row')}"
    if counts and data.get("positive_label") is not None:
        positive = counts.get(str(data["positive_label"]))
        if positive is not None and n_rows:
            named = value_name(ctx, data.get("target"), data["positive_label"])
            text += f", of which {pct(positive / n_rows)} have the favourable outcome {quoted(named)}"
    return text + "."


def _group_table(ctx, attribute, sizes, n_rows, bins):
    sizes = dict(sizes)
    sizes.setdefault("unknown", 0)
    small = ctx.min_group_size
    rows = [[Cell(group_name(ctx, attribute, group) + (" (no value recorded)" if group == "unknown" else "")),
             num(count), pct(count / n_rows if n_rows else None),
             Cell("fewer than " + str(small), status="warn") if 0 < count < small else ""]
            for group, count in sizes.items()]
    known = {g: c for g, c in sizes.items() if g != "unknown"}
    parts = [f"{num(c)} ({pct(c / n_rows if n_rows else None)}) in {quoted(group_name(ctx, attribute, g))}"
             for g, c in known.items()]
    attribute_shown = feature_name(ctx, attribute)
    unknown = sizes["unknown"]
    reading = (f"Of {plural(n_rows, 'row')}, {join_and(parts)}; "
               + (f"{num(unknown)} ({pct(unknown / n_rows)}) have no recorded {plain(attribute_shown)}."
                  if unknown else f"every row has a recorded {plain(attribute_shown)}."))
    notes = [f"Grouped by the edges {', '.join(num(e) for e in bins)}."] if bins else []
    return ctx.tables.make(f"Group sizes by {plain(attribute_shown)}", reading,
                           [Column("Group"), Column("Rows", numeric=True), Column("Share", key="share", numeric=True),
                            Column("Small group", key="small_group")], rows, notes=notes)


def findings_section(ctx: Context) -> dict:
    findings = ctx.findings
    if not findings:
        return not_computed("findings", "No rule of the policy applied to the computed sections, so the audit "
                            "produced no findings.")
    counts = {s: sum(1 for f in findings if f["status"] == s) for s in ("fail", "warn", "pass", "info")}
    reading = (f"{plural(len(findings), 'finding')}: {counts['fail']} fail, {counts['warn']} warn, "
               f"{counts['pass']} pass" + (f", {counts['info']} for information" if counts["info"] else "") + ".")
    return section("findings", findings=findings, reading=reading)


def appendix(ctx: Context) -> dict:
    manifest = ctx.part("manifest")
    config = manifest.get("config") or {}
    policy = config.get("policy") or {}
    run_rows = [("Seed (random_state)", show(manifest.get("random_state"))),
                ("Policy", f"{policy.get('name', 'n/a')}: {policy.get('description', '')}".rstrip(": ")),
                ("Explainers", show(config.get("explainers")) if config.get("explainers") is not None
                 else "as the policy says"),
                ("Rows explained locally", show(config.get("explain_rows")) if config.get("explain_rows") is not None
                 else "as the policy says"),
                ("Bootstrap resamples", show(config.get("n_resamples")) if config.get("n_resamples") is not None
                 else "as the policy says")]
    run_rows += [(f"Other setting: {k}", compact_json(v)) for k, v in config.items()
                 if k not in ("policy", "explainers", "explain_rows", "n_resamples")]
    run = ctx.tables.make("How the audit was run", "These settings, with the same inputs and package versions, "
                          "reproduce every number in this report.", [Column("Setting"), Column("Value")], run_rows)
    settings_rows = [(f"[{group}] {key}", compact_json(value))
                     for group, values in (policy.get("settings") or {}).items() if isinstance(values, dict)
                     for key, value in values.items()]
    settings = ctx.tables.make("Policy settings", f"The policy sets {plural(len(settings_rows), 'value')} that "
                               "shape how the audit samples, groups and compares, besides its rules below.", [Column("Setting"), Column("Value")],
                               settings_rows) if settings_rows else None
    rules = policy.get("rules") or []
    rule_rows = [[r.get("id", ""), f"{r.get('check', '')} / {r.get('metric', '')}", _rule_line(r),
                  Cell(r.get("rationale", ""), note="; ".join(r.get("references") or []))] for r in rules]
    rules_table = ctx.tables.make("The policy's rules", f"The policy judges the audit by {plural(len(rules), 'rule')}; "
                                  "a value beyond the line fails, one beyond the warning line warns.",
                                  [Column("Rule"), Column("Check / metric"), Column("Line"),
                                   Column("Rationale and references")], rule_rows) if rules else None
    env_rows = [("Tool", f"{manifest.get('tool', 'xai-audit')} {manifest.get('tool_version', 'n/a')}"),
                ("Python", manifest.get("python") or "n/a"), ("Platform", manifest.get("platform") or "n/a"),
                ("Record schema", ctx.record.get("schema_version", "n/a")),
                ("Created (UTC)", manifest.get("created_at") or "n/a")]
    packages = manifest.get("packages") or {}
    env_rows += [(f"Package {name}", version or "not installed") for name, version in sorted(packages.items())]
    environment = ctx.tables.make("Software environment", f"The audit ran with {plural(len(packages), 'recorded package')}"
                                  "; other versions may give slightly different numbers.",
                                  [Column("Component"), Column("Version")], env_rows)
    methods = []
    for method, entry in (ctx.part("explanations") or {}).items():
        meta = entry.get("meta") if isinstance(entry, dict) else None
        if isinstance(meta, dict) and meta:
            methods.append(ctx.tables.make(f"Settings of the {method} explainer",
                                           f"What the {method} explainer did, as it recorded it.",
                                           [Column("Setting"), Column("Value")],
                                           [(str(k), compact_json(v) if isinstance(v, (dict, list)) else show(v))
                                            for k, v in meta.items()]))
    formulas = [t for t in terms_for(ctx.record) if t.formula]
    return section("appendix", run=run, settings=settings, rules=rules_table, environment=environment,
                   methods=methods, formulas=formulas)


def _rule_line(rule) -> str:
    side = "at least" if rule.get("direction") == "above" else "at most"
    text = f"passes {side} {show(rule.get('threshold'))}"
    if rule.get("warn") is not None:
        text += f"; warns {'below' if rule.get('direction') == 'above' else 'above'} {show(rule.get('warn'))}"
    return text


def signoff(ctx: Context) -> dict:
    roles = ("Model owner", "Independent validator", "Model risk / compliance officer")
    card = ctx.part("model_card")
    return section("signoff", roles=roles, owner=card.get("owner") or "",
                   reading="Signatures confirm the reviewer has read this report; the decision to use the model "
                           "rests with them, not with the audit tool.")


def glossary(ctx: Context) -> dict:
    return section("glossary", terms=terms_for(ctx.record))


def clause_index(ctx: Context, sections: list[dict]) -> dict:
    by_clause = {clause.key: {"clause": clause, "sections": [], "findings": []} for clause in clause_registry.CLAUSES}
    for view in sections:
        for clause in view.get("clauses", []):
            by_clause[clause.key]["sections"].append({"id": view["id"], "title": view["title"]})
    unmatched = []
    for finding in ctx.findings:
        for clause in finding["clauses"]:
            by_clause[clause.key]["findings"].append(finding)
        matched = {r for r in finding["references"] if clause_registry.match_reference(r)}
        unmatched += [(finding, r) for r in finding["references"] if r not in matched]
    entries = [entry for entry in by_clause.values() if entry["sections"] or entry["findings"]]
    reading = (f"{plural(len(entries), 'clause')} of {len({e['clause'].regulation for e in entries})} rules are "
               "mapped to this report's sections and findings. The mapping shows where the evidence is; it does not "
               "say a clause is met, and it is not legal advice.")
    return section("index", entries=entries, unmatched=unmatched, reading=reading, titles=SECTION_TITLES)
