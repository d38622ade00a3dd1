"""The drift report: a drift record (``DriftResult.to_dict()``) as HTML (jinja2 template) or Markdown.

Every sentence is built from the record by one function here (:func:`summary_sentence`) and every
chart is geometry computed here and drawn as inline SVG by ``drift.html.j2`` (no scripts).

Features, categories, sensitive attributes and groups are shown by their plain names from the
labels the periods' data carried (the reference period's ``labels``, else the current one's),
through :mod:`xai_audit.render.names`, as the audit report does; the raw column name stays beside
the plain one (a "Column" cell, a tooltip) so an auditor can trace it. Bidirectional controls in
any name are shown as ``[U+XXXX]``.
"""

from __future__ import annotations

import re

from xai_audit.checks.common import fmt
from xai_audit.render import names
from xai_audit.render.escape import isolate_bidi, markdown_cell
from xai_audit.render.html import environment, stylesheet

PANEL_W, PANEL_H = 180, 70
BAR_ROW_H, CHART_W, LABEL_W = 18, 520, 150
# width of one character of an 11 px label, generous, so that a long plain name is never cut at the left edge
LABEL_CHAR_W = 6.5
MAX_PANELS = 24
# the population-stability rule lists the inputs beyond its line, unquoted: "(2 beyond a line: a, b): 0.31"
_BEYOND = re.compile(r"(beyond a line: )(.*?)\)(?=: )")
VERDICT_CONVENTIONS = (("four_fifths", "four-fifths"), ("ll144", "Local Law 144"))


class Names:
    """The plain names of one drift record's columns, codes, attributes and groups (bidi controls made visible).

    Examples
    --------
    >>> record = {"reference": {"labels": {"sex": {"name": "Sex", "values": {"f": "female"}}}}}
    >>> plain = Names(record)
    >>> plain.feature("sex"), plain.group("sex", "f"), plain.attribute("sex*age"), plain.value("sex", "m")
    ('Sex', 'female', 'Sex × age', 'm')
    >>> Names({}).named, plain.named
    (False, True)
    """

    def __init__(self, record: dict):
        labels = ((record.get("reference") or {}).get("labels") or (record.get("current") or {}).get("labels") or {})
        self.ctx = {"data": {"labels": labels if isinstance(labels, dict) else {}}}
        self.named = bool(self.ctx["data"]["labels"])

    def feature(self, column) -> str:
        return isolate_bidi(names.feature_name(self.ctx, column))

    def value(self, column, code) -> str:
        return isolate_bidi(names.value_name(self.ctx, column, code))

    def attribute(self, attribute) -> str:
        return isolate_bidi(names.attribute_name(self.ctx, attribute))

    def group(self, attribute, group) -> str:
        return isolate_bidi(names.group_name(self.ctx, attribute, group))

    def with_groups(self, attribute, text, groups) -> str:
        """``text`` with each quoted code of ``groups`` (of ``attribute``) by its plain name."""
        codes = {g: names.group_name(self.ctx, attribute, g) for g in groups}
        return isolate_bidi(names.with_group_names(text, codes))

    def message(self, finding: dict, record: dict) -> str:
        """A finding's message with each quoted column or group code by its plain name (per attribute for fairness rules)."""
        text = str(finding.get("message", ""))
        for attribute, entry in (record.get("fairness") or {}).items():
            if str(finding.get("id", "")).endswith(f".{attribute}"):
                text = self.with_groups(attribute, text, entry.get("groups", {}))
                return isolate_bidi(text.replace(f" by {attribute}", f" by {names.attribute_name(self.ctx, attribute)}"))
        columns = (record.get("features") or {}).get("features", {})
        text = names.with_group_names(text, {c: names.feature_name(self.ctx, c) for c in columns})
        text = _BEYOND.sub(lambda m: m[1] + ", ".join(names.feature_name(self.ctx, c) if c in columns else c
                                                      for c in m[2].split(", ")) + ")", text)
        return isolate_bidi(text)


def raw(text) -> str:
    """A raw column name or code as shown beside its plain name (bidi controls made visible)."""
    return isolate_bidi(text)


def percent(level) -> str:
    """A confidence level as a percentage without padding zeros.

    Examples
    --------
    >>> percent(0.95), percent(0.999)
    ('95', '99.9')
    """
    return f"{level * 100:.10g}"


def _moved(row: dict) -> bool:
    """True when the interval of a change excludes zero."""
    return bool(row.get("ci")) and (row["ci"][0] > 0 or row["ci"][1] < 0)


def _chance(row: dict) -> str:
    return "outside the range expected by chance" if _moved(row) else "within the range expected by chance"


def _went(row: dict) -> str:
    verb = "rose" if row["change"] > 0 else "fell" if row["change"] < 0 else "stayed"
    return f"{verb} from {fmt(row['reference'])} to {fmt(row['current'])}"


def summary_sentence(record: dict) -> str:
    """The plain-language summary of a drift record, in one sentence.

    Examples
    --------
    >>> record = {"features": {"n_features": 20, "n_drifted": 3, "features": {}},
    ...           "explanations": {"relied_on_and_moved": ["a", "b"]},
    ...           "predictions": {"task": "binary"},
    ...           "fairness": {"sex": {"groups": {"women": {"selection_rate": {
    ...               "reference": 0.71, "current": 0.64, "change": -0.07, "ci": [-0.1, -0.04],
    ...               "n_reference": 500, "n_current": 500}}}}}}
    >>> summary_sentence(record)
    '3 of 20 inputs changed; the model relies on 2 of them; the selection rate for women (sex) fell from 0.710 to 0.640, outside the range expected by chance.'
    """
    plain = Names(record)
    table = record.get("features") or {}
    n, k = table.get("n_features", 0), table.get("n_drifted", 0)
    parts = [f"{k} of {n} input{'s' if n != 1 else ''} changed" if n else "no input could be compared"]
    explanations = record.get("explanations") or {}
    if explanations and k:
        relied = len(explanations.get("relied_on_and_moved", []))
        if k == 1:
            parts.append("the model relies on it" if relied else "the model makes little use of it")
        else:
            parts.append(f"the model relies on {relied or 'none'} of them")
    predictions = record.get("predictions") or {}
    rate = predictions.get("decision_rate")
    if rate and rate.get("change") is not None:
        parts.append(f"the favourable-decision rate {_went(rate)}, {_chance(rate)}")
    performance = predictions.get("performance") or {}
    accuracy = performance.get("accuracy") or performance.get("mae")
    if accuracy and accuracy.get("change") is not None:
        name = "accuracy" if "accuracy" in performance else "the mean absolute error"
        parts.append(f"{name} {_went(accuracy)}, {_chance(accuracy)}")
    group_rows = [(attribute, group, rows["selection_rate"])
                  for attribute, entry in (record.get("fairness") or {}).items()
                  for group, rows in entry["groups"].items()
                  if group != "unknown" and rows.get("selection_rate", {}).get("change") is not None]
    if group_rows:
        attribute, group, row = max(group_rows, key=lambda item: (_moved(item[2]), abs(item[2]["change"])))
        if _moved(row):
            parts.append(f"the selection rate for {plain.group(attribute, group)} ({plain.attribute(attribute)}) "
                         f"{_went(row)}, {_chance(row)}")
        else:
            parts.append("no group's selection rate moved beyond the range expected by chance")
    parts += _verdict_changes(record.get("fairness") or {}, plain)
    return "; ".join(parts) + "."


def _verdict_changes(fairness: dict, plain: Names) -> list[str]:
    """One clause per convention naming the groups whose impact-ratio verdict changed (at most three each)."""
    clauses = []
    for key, title in VERDICT_CONVENTIONS:
        changes = [f"{plain.group(attribute, group)} ({plain.attribute(attribute)}) from {entry[key]['reference']['groups'][group]['verdict']} to "
                   f"{entry[key]['current']['groups'][group]['verdict']}"
                   for attribute, entry in fairness.items() if entry.get(key) for group in entry[key]["changed"]]
        if changes:
            more = f" and {len(changes) - 3} more" if len(changes) > 3 else ""
            clauses.append(f"the {title} verdict changed for {', '.join(changes[:3])}{more}")
    return clauses


def feature_rows(record: dict) -> list[dict]:
    """One row per feature for the data-drift table, drifted features first, then by effect size."""
    plain = Names(record)
    rows = []
    for name, row in (record.get("features") or {}).get("features", {}).items():
        ci = row.get("effect_ci")
        rows.append({
            "name": name, "label": plain.feature(name), "column": raw(name), "kind": row["kind"],
            "test": "Kolmogorov–Smirnov" if row["test"] == "ks" else "χ² (homogeneity)",
            "statistic": fmt(row.get("statistic")), "p_value": fmt(row.get("p_value")),
            "p_adjusted": fmt(row.get("p_adjusted")),
            "effect": f"{fmt(row.get('effect'))} ({'KS D' if row['kind'] == 'numeric' else 'TVD'})",
            "effect_ci": "n/a" if not ci else f"{fmt(ci[0])} to {fmt(ci[1])}",
            "other": (f"Wasserstein {fmt(row.get('wasserstein'))}" if row["kind"] == "numeric"
                      else f"Jensen–Shannon {fmt(row.get('jensen_shannon'))}"),
            "psi": fmt(row.get("psi")), "verdict": row["verdict"],
            "order": (row["verdict"] != "drifted", -(row.get("effect") or 0.0), name),
        })
    return sorted(rows, key=lambda r: r["order"])


def _bars(shares_ref, shares_cur) -> dict:
    """Bar geometry of one small-multiple panel: the two periods side by side in each bin."""
    top = max(max(shares_ref, default=0), max(shares_cur, default=0)) or 1.0
    n = max(len(shares_ref), 1)
    slot = PANEL_W / n
    bars = []
    for i, (r, c) in enumerate(zip(shares_ref, shares_cur)):
        for j, (share, period) in enumerate(((r, "reference"), (c, "current"))):
            height = share / top * (PANEL_H - 4)
            bars.append({"x": round(i * slot + j * slot / 2, 2), "y": round(PANEL_H - height, 2),
                         "w": round(max(slot / 2 - 0.5, 0.5), 2), "h": round(height, 2), "period": period})
    return {"bars": bars, "w": PANEL_W, "h": PANEL_H, "top": fmt(top)}


def small_multiples(record: dict) -> list[dict]:
    """One panel per feature (drifted first, at most ``MAX_PANELS``): both periods' distributions."""
    plain = Names(record)
    table = (record.get("features") or {}).get("features", {})
    panels = []
    for row in feature_rows(record)[:MAX_PANELS]:
        entry = table[row["name"]]
        if entry["kind"] == "numeric" and entry.get("histogram"):
            h = entry["histogram"]
            geometry = _bars(h["reference"], h["current"])
            axis = f"{fmt(h['edges'][0])} to {fmt(h['edges'][-1])}"
        elif entry["kind"] == "categorical" and entry.get("n_reference") and entry.get("n_current"):
            geometry = _bars([c / entry["n_reference"] for c in entry["counts_reference"]],
                             [c / entry["n_current"] for c in entry["counts_current"]])
            axis = ", ".join(plain.value(row["name"], c) for c in entry["categories"][:6]) + (" …" if len(entry["categories"]) > 6 else "")
        else:
            continue
        panels.append({"name": row["name"], "label": row["label"], "column": row["column"], "verdict": row["verdict"], "axis": axis, **geometry})
    return panels


def _ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Evenly spaced tick values from ``low`` to ``high`` with 0 among them when it lies inside."""
    values = [low + (high - low) * i / (count - 1) for i in range(count)]
    if low < 0 < high:
        values = sorted([v for v in values if abs(v) > (high - low) / (2 * count)] + [0.0])
    return values


def explanation_chart(record: dict) -> dict | None:
    """Geometry of the explanation-drift chart: per feature, the change of mean |attribution| and its interval.

    Rows are ordered by the current period's rank; the x axis carries ticks (with zero) and a title
    naming the scale of the attributions. The label column widens to the longest plain name (labels
    files give long ones), so no name is cut; the plot keeps its width.
    """
    explanations = record.get("explanations") or {}
    table = explanations.get("features")
    if not table:
        return None
    plain = Names(record)
    order = sorted(table, key=lambda n: table[n]["rank_current"])
    label_w = max(LABEL_W, round(max(len(plain.feature(n)) for n in order) * LABEL_CHAR_W) + 12)
    ends = [v for n in order for v in (*table[n]["ci"], table[n]["change"])] + [0.0]
    low, high = min(ends), max(ends)
    span = (high - low) or 1.0
    plot_w = CHART_W - LABEL_W - 20

    def x(value):
        return round(label_w + (value - low) / span * plot_w, 2)

    rows = [{"name": n, "label": plain.feature(n), "column": raw(n), "y": i * BAR_ROW_H + BAR_ROW_H / 2,
             "x_lo": x(table[n]["ci"][0]), "x_hi": x(table[n]["ci"][1]), "x": x(table[n]["change"]), "moved": table[n]["use_moved"], "cls": table[n]["class"],
             "text": f"{fmt(table[n]['reference'])} to {fmt(table[n]['current'])}"} for i, n in enumerate(order)]
    axis_y = len(order) * BAR_ROW_H + 4
    ticks = [{"x": x(value), "label": fmt(value)} for value in _ticks(low, high)]
    space = (explanations.get("meta") or {}).get("output_space")
    title = "Change of mean |attribution|, current minus reference" + (f" ({space})" if space else "")
    return {"rows": rows, "zero": x(0.0), "w": label_w + plot_w + 20, "h": axis_y + 76, "axis_y": axis_y,
            "ticks": ticks, "title": title, "low": fmt(low), "high": fmt(high), "label_w": label_w}


def _context(record: dict) -> dict:
    explanations = record.get("explanations") or {}
    plain = Names(record)
    return {
        "plain": plain, "raw": raw, "named": plain.named,
        "messages": [plain.message(f, record) for f in record.get("findings", [])],
        "relied": [plain.feature(c) for c in explanations.get("relied_on_and_moved", [])],
        "ignored": [plain.feature(c) for c in explanations.get("ignored_and_moved", [])],
        "css": stylesheet(), "title": "Drift report", "model_name": (record.get("model") or {}).get("name")
        or "Predictions only", "tool_version": (record.get("manifest") or {}).get("tool_version", ""),
        "created_at": (record.get("manifest") or {}).get("created_at"),
        "status": record["status"], "summary": summary_sentence(record), "findings": record.get("findings", []),
        "features": feature_rows(record), "table": record.get("features") or {}, "panels": small_multiples(record),
        "chart": explanation_chart(record), "explanations": explanations,
        "predictions": record.get("predictions") or {}, "fairness": record.get("fairness") or {},
        "reference": record.get("reference") or {}, "current": record.get("current") or {}, "fmt": fmt,
        "percent": percent,
    }


def render_drift_html(record: dict) -> str:
    """The self-contained HTML drift report of a drift record."""
    return environment().get_template("drift.html.j2").render(**_context(record))


def render_drift_markdown(record: dict) -> str:
    """A Markdown summary of a drift record (a pull-request comment): verdict, summary, findings, drifted inputs."""
    plain = Names(record)
    lines = [f"## Drift: {record['status'].upper()}", "", markdown_cell(summary_sentence(record), None), "",
             "| Status | Finding |", "|---|---|"]
    lines += [f"| {f['status']} | {markdown_cell(plain.message(f, record), None)} |" for f in record.get("findings", [])]
    drifted = [r for r in feature_rows(record) if r["verdict"] == "drifted"]
    if drifted:
        column = " Column |" if plain.named else ""
        lines += ["", f"| Input |{column} Test | Adjusted p | Effect (interval) | PSI |",
                  "|---|" + ("---|" if plain.named else "") + "---|---|---|---|"]
        lines += [f"| {markdown_cell(r['label'], None)} |" + (f" {markdown_cell(r['column'], None)} |" if plain.named else "")
                  + f" {r['test']} | {r['p_adjusted']} | {r['effect']} ({r['effect_ci']}) | {r['psi']} |"
                  for r in drifted]
    return "\n".join(lines) + "\n"
