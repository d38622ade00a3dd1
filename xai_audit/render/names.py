"""The names the report shows: plain names of columns and category codes, and the scale an
attribution is measured on.

Every section and the Markdown summary name features, category values, sensitive attributes and
their groups through these helpers, so a labels file (the record's ``data.labels``,
``{column: {"name": ..., "values": {code: ...}}}``) is honoured everywhere a name is shown. The raw
column name appears only in the data section's dictionary table, for traceability.

The scale words come from an explanation's ``meta`` (its ``output_space``, and whether the values
are absolute), never from a guess: attributions in log-odds and in probability are not comparable,
and an unsigned magnitude has no direction.
"""

from __future__ import annotations

import math
import re

from xai_audit.render.text import value_text

SPACE_WORDS = {
    "log_odds": "log-odds",
    "probability": "probability",
    "value": "the target's units",
    "margin": "raw margin (before softmax)",
}
UNSIGNED = "unsigned magnitude"


def _labels(ctx) -> dict:
    """The record's ``data.labels``; empty when the audit had none."""
    record = ctx if isinstance(ctx, dict) else ctx.record
    labels = (record.get("data") or {}).get("labels")
    return labels if isinstance(labels, dict) else {}


def code_text(code) -> str:
    """A category code as the labels file keys it: ``1``, ``1.0`` and ``"1"`` are the same code.

    Examples
    --------
    >>> code_text(1.0), code_text("A11"), code_text(2)
    ('1', 'A11', '2')
    """
    if isinstance(code, float) and math.isfinite(code) and code.is_integer():
        return str(int(code))
    return str(code)


def feature_name(ctx, column) -> str:
    """The plain name of a column (feature, target or sensitive attribute), else the column itself.

    Examples
    --------
    >>> record = {"data": {"labels": {"age": {"name": "Age (years)", "values": {}}}}}
    >>> feature_name(record, "age"), feature_name(record, "income")
    ('Age (years)', 'income')
    """
    entry = _labels(ctx).get(str(column))
    name = entry.get("name") if isinstance(entry, dict) else None
    return str(name) if name else str(column)


def value_name(ctx, column, code) -> str:
    """The plain words for one category code of ``column``, else the code as a person writes it.

    Examples
    --------
    >>> record = {"data": {"labels": {"checking": {"name": "Checking account", "values": {"A11": "below 0 DM"}}}}}
    >>> value_name(record, "checking", "A11"), value_name(record, "checking", "A14"), value_name(record, "x", 3.0)
    ('below 0 DM', 'A14', '3')
    """
    entry = _labels(ctx).get(str(column))
    values = entry.get("values") if isinstance(entry, dict) else None
    if isinstance(values, dict) and code is not None:
        named = values.get(code_text(code))
        if named:
            return str(named)
    return value_text(code)


def attribute_name(ctx, attribute) -> str:
    """A sensitive attribute or an intersection (``sex*age_group``) by its plain names, ``Sex × Age group``.

    Examples
    --------
    >>> record = {"data": {"labels": {"sex": {"name": "Sex", "values": {}}}}}
    >>> attribute_name(record, "sex*age_group")
    'Sex × age_group'
    """
    return " \u00d7 ".join(feature_name(ctx, part) for part in str(attribute).split("*"))


def group_name(ctx, attribute, group) -> str:
    """A group of a sensitive attribute by its plain name; an intersection's ``f*< 25`` as ``female & < 25``.

    Examples
    --------
    >>> record = {"data": {"labels": {"sex": {"name": "Sex", "values": {"f": "female"}}}}}
    >>> group_name(record, "sex", "f"), group_name(record, "sex*age", "f*< 25"), group_name(record, "sex", "x*y")
    ('female', 'female & < 25', 'x*y')
    """
    parts = str(attribute).split("*")
    codes = str(group).split("*")
    if len(parts) > 1 and len(codes) == len(parts):
        return " & ".join(value_name(ctx, a, c) for a, c in zip(parts, codes))
    if len(parts) > 1:
        return str(group)
    return value_name(ctx, attribute, group)


def is_unsigned(meta, method=None) -> bool:
    """True when an explanation's values are magnitudes with no direction (saliency, absolute values).

    Examples
    --------
    >>> is_unsigned({"absolute": True}), is_unsigned({}, "saliency"), is_unsigned({"output_space": "log_odds"}, "shap")
    (True, True, False)
    """
    meta = meta if isinstance(meta, dict) else {}
    explainer = str(meta.get("explainer") or meta.get("algorithm") or "")
    return bool(meta.get("absolute") or meta.get("abs")) or method == "saliency" or explainer.endswith("Saliency")


def scale_words(meta, method=None) -> str:
    """The scale an explanation's values are on, in words, for a caption, a table header or an axis label.

    ``meta`` is the explanation's record ``meta`` (its ``output_space``); ``method`` the explainer's
    registry name when known. Unsigned values (saliency: absolute gradients, whatever the output's space)
    say so and no more, since they carry no direction; permutation importance is a drop in
    the score it names; an unknown space says that it is not recorded rather than guess.

    Examples
    --------
    >>> scale_words({"output_space": "log_odds"}), scale_words({"output_space": "probability"})
    ('log-odds', 'probability')
    >>> scale_words({"output_space": "value"}), scale_words({"output_space": "probability", "absolute": True})
    ("the target's units", 'unsigned magnitude')
    >>> scale_words({"output_space": "probability", "scoring": "roc_auc"}, "permutation"), scale_words(None)
    ('drop in roc_auc when shuffled', 'output scale not recorded')
    """
    meta = meta if isinstance(meta, dict) else {}
    space = meta.get("output_space") or meta.get("output")
    words = SPACE_WORDS.get(str(space), str(space).replace("_", "-")) if space else ""
    if method == "permutation":
        return f"drop in {meta.get('scoring') or 'score'} when shuffled"
    if is_unsigned(meta, method):
        return UNSIGNED
    return words or "output scale not recorded"


def space_of(entry) -> str:
    """The ``output_space`` key of an explanation entry or a disparity-attribution table, or ''."""
    if not isinstance(entry, dict):
        return ""
    meta = entry.get("meta") if isinstance(entry.get("meta"), dict) else {}
    return str(entry.get("output_space") or meta.get("output_space") or meta.get("output") or "")


def with_group_names(text, names: dict) -> str:
    """A sentence the record carries (a table's convention) with each quoted group code replaced by the
    group's plain name: ``reference group ('M')`` becomes ``reference group ('man')``.

    Examples
    --------
    >>> with_group_names("group minus reference group ('M')", {"M": "man", "F": "woman"})
    "group minus reference group ('man')"
    """
    text = str(text)
    for code in sorted(names, key=lambda c: -len(str(c))):
        if str(names[code]) != str(code):
            text = text.replace(f"'{code}'", f"'{names[code]}'")
    return text


def plain_message(record: dict, finding: dict) -> str:
    """A finding's message as the report shows it: each quoted column and group code, and each sensitive
    attribute, by its plain name from the labels file. The record keeps the message as the checks wrote it.

    Examples
    --------
    >>> record = {"data": {"labels": {"sex": {"name": "Sex", "values": {"f": "female", "m": "male"}},
    ...                               "ps": {"name": "Personal status", "values": {}}}},
    ...           "fairness": {"sex": {"groups": {"f": {}, "m": {}}}}}
    >>> plain_message(record, {"id": "fairness.four_fifths.sex.f", "message": "Rate of 'f' relative to 'm' (sex): 0.7"})
    "Rate of 'female' relative to 'male' (Sex): 0.7"
    >>> plain_message(record, {"id": "fairness.proxies.sex.ps", "message": "'ps' separates 'f' from the other sex groups"})
    "'Personal status' separates 'female' from the other Sex groups"
    >>> plain_message({"data": {"labels": {"sex": {"name": "Sex"}, "age": {"name": "Age"}}}, "fairness": {"sex*age": {"groups": {}}}},
    ...               {"id": "fairness.gap.sex*age", "message": "Gap by sex*age over 'sex*age' groups (sex*age)"})
    "Gap by Sex × Age over 'Sex × Age' groups (Sex × Age)"
    >>> plain_message({"data": {}}, {"message": "'ps' (sex)"})
    "'ps' (sex)"
    """
    text = str(finding.get("message", ""))
    labels = _labels(record)
    if not labels:
        return text
    fairness = record.get("fairness") if isinstance(record.get("fairness"), dict) else {}
    segments = str(finding.get("id", "")).split(".")
    codes = {}
    for attribute, table in fairness.items():
        groups = table.get("groups") if isinstance(table, dict) else None
        if attribute in segments and isinstance(groups, dict):
            codes.update({group: group_name(record, attribute, group) for group in groups})
    codes.update({column: feature_name(record, column) for column in labels})
    codes.update({attribute: attribute_name(record, attribute) for attribute in fairness})
    text = with_group_names(text, codes)
    for attribute in sorted(fairness, key=lambda a: -len(str(a))):
        shown = attribute_name(record, attribute)
        if shown != str(attribute):
            text = re.sub(rf"(?<=[ (]){re.escape(str(attribute))}(?=[ ,:;)])", lambda _: shown, text)
    return text
