"""Section view "The model itself": an interpretable audited model read as itself, from the record's
``glass_box`` section (coefficients and odds ratios with intervals, tree rules, or EBM shape functions).
Every sentence is built by one function here from the record's numbers, with their sign and scale."""

from __future__ import annotations

import math

from xai_audit.render.chart_style import BLUE, ORANGE
from xai_audit.render.context import Context, not_computed, section
from xai_audit.render.names import feature_name, value_name
from xai_audit.render.tables import Column
from xai_audit.render.text import interval, is_number, join_and, num, pct, plain, quoted, value_text

SHOWN_TERMS = 25
SHOWN_BINS = 12
CHART_TERMS = 12
KINDS = {"logistic": "a logistic regression", "linear": "a linear regression", "tree": "a decision tree",
         "ebm": "an Explainable Boosting Machine"}


def glass_box(ctx: Context) -> dict:
    record = ctx.part("glass_box")
    if record.get("error"):
        return not_computed("glass-box", plain(record["error"]))
    if not record or record.get("kind") not in KINDS:
        return not_computed("glass-box", "The audited model is not one that can be read as itself (a linear or logistic "
                            "regression, a decision tree or an Explainable Boosting Machine): its explanations are the "
                            "post-hoc ones of the explanations section.")
    kind = record["kind"]
    content = {"lead": lead_sentence(ctx, record)}
    if kind in ("logistic", "linear"):
        content["chart"] = _effects_chart(ctx, record)
        content["tables"] = [_coefficients(ctx, record)]
    elif kind == "tree":
        content["tables"] = [_rules(ctx, record)]
    else:
        shapes = record.get("shapes") or {}
        ranked = [i.get("term") for i in record.get("importances") or [] if i.get("term") in shapes]
        content["tables"] = [_importances(ctx, record)] + [_shape(ctx, term, shapes[term], record) for term in ranked]
    return section("glass-box", **content)


def lead_sentence(ctx, record) -> str:
    """What the model is, what its reading says it computes, and how exactly that reproduces it.

    Examples
    --------
    >>> record = {"kind": "logistic", "model_class": "LogisticRegression", "intercept": -1.2,
    ...           "fidelity": {"value": 1.0}, "terms": {"transformed": False}}
    >>> lead_sentence({"data": {}}, record)  # doctest: +NORMALIZE_WHITESPACE
    "The audited model is a logistic regression (LogisticRegression): its log-odds of the favourable outcome are
    -1.200 plus the sum of each term times its coefficient. This reading reproduces the model's own output on 100.0%
    of the audit rows."
    """
    kind, fidelity = record["kind"], (record.get("fidelity") or {}).get("value")
    outcome = _outcome(ctx, record)
    what = {
        "logistic": f"its log-odds of {outcome} are {num(record.get('intercept'))} plus the sum of each term times its "
                    "coefficient",
        "linear": f"its prediction is {num(record.get('intercept'))} plus the sum of each term times its coefficient",
        "tree": (f"its {record.get('n_leaves')} leaves, {record.get('depth')} tests deep, decide every case; its rules "
                 f"are shown to depth {record.get('shown_depth')}"),
        "ebm": (f"its {'log-odds of ' + outcome + ' are' if record.get('scale') == 'log-odds' else 'prediction is'} "
                f"{num(record.get('intercept'))} plus one score per term, read from each term's shape function"),
    }[kind]
    text = f"The audited model is {KINDS[kind]} ({plain(record.get('model_class'))}): {what}."
    if (record.get("terms") or {}).get("transformed"):
        text += (" Its terms are the columns its preprocessing makes ("
                 f"{plain(record['terms'].get('preprocessing'))}), named as that preprocessing names them.")
    if kind == "tree":
        return text + (f" The shown rules give the model's own decision on {pct(fidelity)} of the audit rows"
                       + ("." if fidelity == 1 else " (deeper tests decide the rest)."))
    return text + f" This reading reproduces the model's own output on {pct(fidelity)} of the audit rows."


def odds_sentence(feature: str, unit: str, odds_ratio, ci, outcome: str, level: str = "95%") -> str:
    """One odds ratio in words: its value, interval, and what it does to the odds.

    Examples
    --------
    >>> odds_sentence("years employed", "one more year", 1.8, [1.5, 2.1], "approval")
    'Odds ratio 1.800 per one more year of years employed (95% interval 1.500–2.100): the odds of approval multiply by 1.800 (a rise of 80.0%).'
    >>> odds_sentence("amount", "one more unit", 0.99989, None, "approval")
    'Odds ratio 0.99989 per one more unit of amount: the odds of approval multiply by 0.99989 (a fall of 0.011%).'
    """
    digits = ratio_digits(odds_ratio)
    span = interval(ci, digits)
    change = "a rise" if odds_ratio >= 1 else "a fall"
    return (f"Odds ratio {num(odds_ratio, digits, sci=False)} per {unit} of {feature}"
            + (f" ({level} interval {span})" if span else "") + f": the odds of {outcome} multiply by "
            f"{num(odds_ratio, digits, sci=False)} ({change} of {pct(abs(odds_ratio - 1), max(1, digits - 2))}).")


def slope_sentence(feature: str, unit: str, coefficient, ci, level: str = "95%") -> str:
    """One linear coefficient in words, signed, in the prediction's units.

    Examples
    --------
    >>> slope_sentence("BMI", "one more unit", -2.5, [-3.0, -2.0])
    'Per one more unit of BMI the prediction falls by 2.500 (95% interval of the coefficient -3.000 to -2.000).'
    """
    span = interval(ci, 3)
    way = "rises" if coefficient >= 0 else "falls"
    return (f"Per {unit} of {feature} the prediction {way} by {num(abs(coefficient))}"
            + (f" ({level} interval of the coefficient {span})" if span else "") + ".")


def _outcome(ctx, record) -> str:
    positive = record.get("positive_class")
    target = (ctx.get("data") if isinstance(ctx, dict) else ctx.part("data")).get("target")
    return "the favourable outcome" if positive is None else f"{quoted(value_name(ctx, target, positive))}"


def _term_name(ctx, entry) -> str:
    term, feature = entry.get("term"), entry.get("feature")
    return feature_name(ctx, term) if term == feature else plain(term)


def _coefficients(ctx, record):
    logistic = record["kind"] == "logistic"
    intervals = record.get("intervals") or {}
    level = f"{float(intervals.get('level', 0.95)) * 100:g}%"
    entries = sorted(record.get("coefficients") or [],
                     key=lambda e: -abs((e.get("coefficient") or 0) * (e.get("spread") or 0)))
    rows, sentences = [], []
    for entry in entries[:SHOWN_TERMS]:
        unit = entry.get("per_feature_unit")
        name = _term_name(ctx, entry)
        row = [name, feature_name(ctx, entry["feature"]) if entry.get("feature") else "not traced",
               _with(entry.get("coefficient"), entry.get("ci"), 3)]
        if logistic:
            row.append(_with(entry.get("odds_ratio"), entry.get("odds_ratio_ci"), 3))
        if record["terms"].get("transformed"):
            row.append(_per_feature_unit(unit, logistic))
        rows.append(row)
    numeric = [e for e in entries if e.get("per_feature_unit") or (e.get("term") == e.get("feature")
                                                                    and not record["terms"].get("transformed"))]
    top = numeric[0] if numeric else None  # a sentence per unit is meaningful for a numeric term only
    if top is not None:
        unit = top.get("per_feature_unit")
        scaled = unit is not None and unit.get("term_units_per_feature_unit") != 1.0
        name = feature_name(ctx, top["feature"]) if top.get("feature") else _term_name(ctx, top)
        source = unit if scaled else top
        if logistic:
            sentences.append(odds_sentence(name, "one unit more", source["odds_ratio"], source.get("odds_ratio_ci"),
                                           _outcome(ctx, record), level))
        else:
            sentences.append(slope_sentence(name, "one unit more", source["coefficient"], source.get("ci"), level))
    columns = [Column("Term"), Column("Feature"), Column("Coefficient (" + record["scale"] + ")", numeric=True)]
    if logistic:
        columns.append(Column("Odds ratio per unit of the term", numeric=True))
    if record["terms"].get("transformed"):
        columns.append(Column("Per unit of the feature itself", numeric=True))
    hidden = len(entries) - len(rows)
    notes = [interval_note(record)]
    if record["terms"].get("transformed"):
        notes.append("A term made by a scaler moves by a fixed amount per unit of its feature (measured from the fitted "
                     "preprocessing); the last column restates its coefficient" + (" and odds ratio" if logistic else "")
                     + " per unit of the feature itself. A category's column is 1 for its category and 0 otherwise: "
                     "the difference between two categories' coefficients is the change in "
                     + record["scale"] + " from one category to the other, all else equal.")
    if hidden:
        notes.append(f"{hidden} more terms with smaller effects (coefficient times the term's spread) are in the record.")
    return ctx.tables.make(
        "The model's coefficients" + (" and odds ratios" if logistic else ""), " ".join(sentences),
        columns, rows, notes=notes)


def _effects_chart(ctx, record):
    """Each term's coefficient times its spread on the rows: the change per one standard deviation of the term,
    comparable across terms in different units, with the interval scaled the same way."""
    entries = sorted((e for e in record.get("coefficients") or [] if is_number(e.get("coefficient"))),
                     key=lambda e: -abs(e["coefficient"] * (e.get("spread") or 0)))[:CHART_TERMS]
    if not entries:
        return None
    values = [e["coefficient"] * (e.get("spread") or 0) for e in entries]
    ci = [None if not e.get("ci") else sorted(c * (e.get("spread") or 0) for c in e["ci"]) for e in entries]
    up = [v > 0 for v in values]
    legend = [(label, colour, hatch) for label, colour, hatch, shown in (
        (f"raises the {record['scale']}", ORANGE, "//", any(up)), (f"lowers the {record['scale']}", BLUE, "", not all(up)))
        if shown]
    top = entries[0]
    reading = (f"{_term_name(ctx, top)} moves the {record['scale']} most: by {num(values[0])} per one standard "
               f"deviation ({num(top.get('spread'))}) of the term.")
    return ctx.charts.bars(
        [_term_name(ctx, e) for e in entries], values, ci=ci, colors=[ORANGE if u else BLUE for u in up],
        hatches=["//" if u else "" for u in up], legend=legend if len(legend) > 1 else None, reference=0.0,
        title="Effect of one standard deviation of each term", reading=reading,
        desc=" ".join(f"{_term_name(ctx, e)}: {num(v)}." for e, v in zip(entries, values)),
        xlabel=f"Change in {record['scale']} per standard deviation of the term (coefficient × spread on the rows)")


def interval_note(record) -> str:
    """How the intervals were computed, on which rows, and what they can mean.

    Examples
    --------
    >>> note = interval_note({"intervals": {"available": True, "level": 0.95, "z": 1.96, "information": "D'WD",
    ...                                     "penalty": "none", "rows": "the 100 rows of the audit data", "source": "audit"}})
    >>> note.startswith("Intervals: 95% Wald intervals (coefficient ± 1.96 standard errors)"), "stand in" in note
    (True, True)
    """
    intervals = record.get("intervals") or {}
    if not intervals.get("available"):
        return f"No intervals: {plain(intervals.get('why_not'))}."
    text = (f"Intervals: {float(intervals.get('level', 0.95)) * 100:g}% Wald intervals (coefficient ± "
            f"{num(intervals.get('z', 1.96), 2)} standard errors) from the inverse of the "
            f"{plain(intervals.get('information'))} on {plain(intervals.get('rows'))}; penalty: "
            f"{plain(intervals.get('penalty'))}; odds-ratio intervals are the exponentials of the coefficients'.")
    if intervals.get("source") == "audit":
        text += (" No training data was given, so the audit rows stand in for it: these intervals describe the "
                 "fitted coefficients' uncertainty only insofar as the audit data resembles the training data in size "
                 "and spread.")
    return text


def _with(value, ci, digits) -> str:
    span = interval(ci, digits)
    return f"{num(value, digits)} ({span})" if span else num(value, digits)


def _per_feature_unit(unit, logistic) -> str:
    if not unit:
        return "n/a (a category's column)"
    step = unit.get("term_units_per_feature_unit")
    what = (_with(unit.get("odds_ratio"), unit.get("odds_ratio_ci"), ratio_digits(unit.get("odds_ratio"))) + " odds ratio"
            if logistic else _with(unit.get("coefficient"), unit.get("ci"), 3))
    return f"{what}; one term unit = {num(1 / step if step else None, 3)} feature units"


def ratio_digits(ratio) -> int:
    """Decimals that show how far a ratio is from 1 with two significant digits (1.00004 is not 1.000).

    Examples
    --------
    >>> ratio_digits(1.8), ratio_digits(0.99989), ratio_digits(None)
    (3, 5, 3)
    """
    if not is_number(ratio) or ratio == 1:
        return 3
    return max(3, 1 - math.floor(math.log10(abs(ratio - 1))))


def condition_text(ctx, condition) -> str:
    """One test of a rule in the feature's own units and names where the record can say them.

    Examples
    --------
    >>> condition_text({"data": {}}, {"term": "cat__housing_own", "feature": "housing", "op": "<=",
    ...                               "threshold": 0.5, "category": {"value": "own", "is": False}})
    "housing is not 'own'"
    >>> condition_text({"data": {}}, {"term": "age", "feature": "age", "op": ">", "threshold": 30.5})
    'age > 30.5'
    """
    feature = condition.get("feature")
    if condition.get("category") and feature:
        category = condition["category"]
        return f"{feature_name(ctx, feature)} is {'' if category.get('is') else 'not '}" \
               f"{quoted(value_name(ctx, feature, category.get('value')))}"
    own = condition.get("feature_threshold")
    if own and feature:
        return f"{feature_name(ctx, feature)} {_op(own.get('op'))} {value_text(own.get('value'))}"
    name = feature_name(ctx, condition.get("term")) if condition.get("term") == feature else plain(condition.get("term"))
    return f"{name} {_op(condition.get('op'))} {value_text(condition.get('threshold'))}"


def _op(op) -> str:
    return {"<=": "≤", ">": ">"}.get(op, plain(op))


def _rules(ctx, record):
    binary = record.get("positive_class") is not None
    target = ctx.part("data").get("target")
    rows = []
    for number, rule in enumerate(record.get("rules") or [], 1):
        conditions = join_and(condition_text(ctx, c) for c in rule.get("conditions") or []) or "every case"
        if rule.get("subtree"):
            conditions += " (then deeper tests)"
        decision = (value_name(ctx, target, rule.get("decision")) if binary else num(rule.get("decision")))
        if binary:
            decision += f" ({pct(rule.get('favourable_share'))} favourable in training)"
        rows.append([f"Rule {number}", conditions, num(rule.get("n")), pct(rule.get("share")), decision])
    reading = (f"{len(rows)} rules cover the {num(record.get('n_rows'))} audit rows: each row meets the conditions of "
               "exactly one. A rule's cases are the audit rows that reach it.")
    return ctx.tables.make(
        "The tree's rules", reading,
        [Column("Rule"), Column("Conditions"), Column("Cases", numeric=True), Column("Share of cases", numeric=True),
         Column("Decision")], rows,
        notes=["Decision: the tree's own at that node" + (" (the majority class by training weight)" if binary else
                                                           " (the mean training value)")
               + "; a rule cut at the shown depth gives its subtree's majority, which deeper tests may overturn."])


def _importances(ctx, record):
    items = record.get("importances") or []
    rows = [[" × ".join(feature_name(ctx, f) for f in item.get("features") or [item.get("term")]),
             num(item.get("importance"))] for item in items[:SHOWN_TERMS]]
    top = items[0] if items else None
    reading = "" if top is None else (
        f"{' × '.join(feature_name(ctx, f) for f in top.get('features') or [])} moves the model's "
        f"{record.get('scale')} most: by {num(top.get('importance'))} on average.")
    return ctx.tables.make("The EBM's term importances", reading,
                           [Column("Term"), Column(f"Importance ({record.get('scale')})", numeric=True)], rows,
                           notes=[f"Importance: {plain(record.get('importance_measure'))}."])


def _shape(ctx, term, shape, record):
    scores = shape.get("scores") or []
    if shape.get("kind") == "categorical":
        labels = [quoted(value_name(ctx, term, b)) for b in shape.get("bins") or []]
    else:
        cuts = shape.get("cuts") or []
        edges = [None] + list(cuts) + [None]
        labels = [_bin_words(edges[k], edges[k + 1]) for k in range(len(scores))]
    shown = range(len(scores)) if len(scores) <= SHOWN_BINS else sorted(
        {round(k * (len(scores) - 1) / (SHOWN_BINS - 1)) for k in range(SHOWN_BINS)})
    rows = [[labels[k], num(scores[k])] for k in shown]
    low = min(range(len(scores)), key=lambda k: scores[k]) if scores else None
    high = max(range(len(scores)), key=lambda k: scores[k]) if scores else None
    reading = "" if low is None else (
        f"The score of {feature_name(ctx, term)} ranges from {num(scores[low])} ({labels[low]}) to "
        f"{num(scores[high])} ({labels[high]}), added to the intercept in {record.get('scale')}.")
    notes = [] if len(rows) == len(scores) else [f"{len(rows)} of its {len(scores)} bins shown, evenly spaced in bin order; "
                                                 "every bin is in the record."]
    return ctx.tables.make(f"{feature_name(ctx, term)}: the EBM's shape function", reading,
                           [Column("Value"), Column(f"Score ({record.get('scale')})", numeric=True)], rows, notes=notes)


def _bin_words(low, high) -> str:
    """A numeric bin of an EBM in words.

    Examples
    --------
    >>> _bin_words(None, 263.0), _bin_words(14840.0, 15270.5), _bin_words(74.5, None)
    ('below 263', '14,840 to below 15,270', '74.5 or more')
    """
    if low is None and high is None:
        return "every value"
    if low is None:
        return f"below {_edge(high)}"
    if high is None:
        return f"{_edge(low)} or more"
    return f"{_edge(low)} to below {_edge(high)}"


def _edge(value) -> str:
    return f"{value:,.0f}" if is_number(value) and abs(value) >= 1000 else value_text(value)
