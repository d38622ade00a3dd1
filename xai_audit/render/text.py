"""Numbers and plain-language sentences for the report.

Every figure and table in the report carries one sentence that reads its numbers aloud; those
sentences are written here, from the numbers, so that the HTML and Markdown renderers say the same
thing. Everything returns plain ``str``: escaping is the templates' job (autoescape), never ours.
"""

from __future__ import annotations

import math

from xai_audit.numbers import NOT_AVAILABLE, format_decimal, is_number

DASH = "\u2013"
STATUS_LABELS = {"pass": "Pass", "warn": "Warning", "fail": "Fail", "info": "Information"}
STATUS_SYMBOLS = {"pass": "\u2713", "warn": "!", "fail": "\u2717", "info": "i"}


def num(value, digits: int = 3, *, sci: bool = True) -> str:
    """A number as the report prints it (:func:`xai_audit.numbers.format_decimal`); text as plain text.

    Examples
    --------
    >>> num(0.71234), num(0.71234, 2), num(1000), num(None), num(0.00004), num("car")
    ('0.712', '0.71', '1,000', 'n/a', '4.0e-05', 'car')
    """
    if value is None or (isinstance(value, (int, float)) and not isinstance(value, bool)):
        return format_decimal(value, digits, sci=sci)
    return plain(value)


def short_of_one(value, digits: int = 3) -> str:
    """A score bounded by 1 (an AUC, an accuracy) printed with enough decimals that a value below 1
    never reads as 1: 0.99979 is ``0.9998``, not ``1.000``.

    Examples
    --------
    >>> short_of_one(0.99979), short_of_one(0.99979, 2), short_of_one(1.0), short_of_one(0.8612)
    ('0.9998', '0.9998', '1.000', '0.861')
    """
    if not is_number(value):
        return num(value, digits)
    while value < 1 and round(value, digits) >= 1 and digits < 8:
        digits += 1
    return num(float(value), digits, sci=False)


def value_text(value) -> str:
    """A data value as a person writes it: ``22.5``, ``3``, ``car``, ``missing``.

    Examples
    --------
    >>> value_text(22.5), value_text(3.0), value_text(1234567.891), value_text(None), value_text("car")
    ('22.5', '3', '1.235e+06', 'missing', 'car')
    """
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "missing"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (int, float)):
        return f"{value:.4g}"
    return str(value)


def pct(value, digits: int = 1) -> str:
    """A share between 0 and 1 as a percentage.

    Examples
    --------
    >>> pct(0.149), pct(None)
    ('14.9%', 'n/a')
    """
    return f"{100 * value:.{digits}f}%" if is_number(value) else NOT_AVAILABLE


def interval(ci, digits: int = 3) -> str:
    """A two-sided interval ``[lo, hi]`` as ``lo–hi`` (``lo to hi`` when a bound is negative); empty
    when absent or incomplete.

    Examples
    --------
    >>> interval([0.58, 0.861], 2), interval([-0.2, 0.1], 2), interval([0.0002, 0.1]), interval(None)
    ('0.58–0.86', '-0.20 to 0.10', '0.000–0.100', '')
    """
    if not isinstance(ci, (list, tuple)) or len(ci) != 2 or not all(is_number(v) for v in ci):
        return ""
    joint = " to " if min(ci) < 0 else DASH
    return f"{num(float(ci[0]), digits, sci=False)}{joint}{num(float(ci[1]), digits, sci=False)}"


def with_interval(value, ci, digits: int = 3) -> str:
    """``value (lo–hi)``, or the value alone.

    Examples
    --------
    >>> with_interval(0.7, [0.6, 0.8], 2), with_interval(0.7, None, 2)
    ('0.70 (0.60–0.80)', '0.70')
    """
    shown = num(value, digits)
    span = interval(ci, digits)
    return f"{shown} ({span})" if span and is_number(value) else shown


from xai_audit.render.escape import BIDI_CODES  # noqa: E402  (one list of bidi controls for every output)

_BIDI_CONTROLS = {code: f"[U+{code:04X}]" for code in BIDI_CODES}


def plain(text) -> str:
    """``text`` whole, with bidirectional control characters made visible (so a name cannot reverse
    the text around it). Nothing is cut: long text wraps in the page (see ``breakable``).

    Examples
    --------
    >>> plain("abc"), plain("a\u202eb"), len(plain("x" * 300)), plain(None)
    ('abc', 'a[U+202E]b', 300, '')
    """
    return "" if text is None else str(text).translate(_BIDI_CONTROLS)


def label(text, limit: int = 40) -> str:
    """A short label for a chart axis (no counter of cut characters).

    Examples
    --------
    >>> label("checking_status"), label("y" * 50, 10)
    ('checking_status', 'yyyyyyyyy…')
    """
    text = "" if text is None else " ".join(str(text).translate(_BIDI_CONTROLS).split())
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def lower_first(text) -> str:
    """``text`` to go inside a sentence: its first letter lower-cased unless it begins an acronym, so
    metric names keep their case (MAE, ROC AUC, TPR).

    Examples
    --------
    >>> lower_first("Selection rate"), lower_first("True positive rate (TPR)"), lower_first("ROC AUC")
    ('selection rate', 'true positive rate (TPR)', 'ROC AUC')
    """
    text = str(text)
    if len(text) > 1 and text[1].isupper():
        return text
    return text[:1].lower() + text[1:]


def join_and(items) -> str:
    """``a``, ``a and b``, ``a, b and c``.

    Examples
    --------
    >>> join_and(["a"]), join_and(["a", "b", "c"])
    ('a', 'a, b and c')
    """
    items = [str(i) for i in items]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def plural(count: int, word: str, plural_word: str | None = None) -> str:
    """``1 finding``, ``2 findings``.

    Examples
    --------
    >>> plural(1, "case"), plural(3, "case"), plural(2, "child", "children")
    ('1 case', '3 cases', '2 children')
    """
    return f"{num(count)} {word if count == 1 else (plural_word or word + 's')}"


def status_label(status) -> str:
    """The word a reader sees for a verdict.

    Examples
    --------
    >>> status_label("warn")
    'Warning'
    """
    return STATUS_LABELS.get(status, str(status).capitalize() if status else "Not judged")


def quoted(value) -> str:
    """A user value in quotes, cut to a readable length (escaping happens in the template).

    Examples
    --------
    >>> quoted("< 25")
    "'< 25'"
    """
    return f"'{plain(value)}'"


def verdict_sentence(status: str, counts: dict, *, unsettled: int = 0, not_checked: int = 0) -> str:
    """One sentence for the overall verdict from the counts of findings per status.

    ``unsettled``: warnings whose value is beyond its line while the interval reaches back over it;
    ``not_checked``: warnings and failures for what the audit could not check (coverage findings).

    Examples
    --------
    >>> verdict_sentence("warn", {"pass": 4, "warn": 1, "fail": 0})
    'The model passes 4 of 5 checks and raises a warning on 1; none fails.'
    >>> verdict_sentence("warn", {"pass": 3, "warn": 2, "fail": 0}, unsettled=1, not_checked=1)
    'The model passes 3 of 5 checks and raises a warning on 2; none fails. 1 value is beyond its line but not statistically established (its interval reaches back over the line) and 1 thing could not be checked.'
    >>> verdict_sentence("pass", {})
    'No check of the policy applied to this audit, so nothing failed and nothing passed.'
    """
    total = sum(counts.get(k, 0) for k in ("pass", "warn", "fail"))
    if total == 0:
        return "No check of the policy applied to this audit, so nothing failed and nothing passed."
    passed, warned, failed = (counts.get(k, 0) for k in ("pass", "warn", "fail"))
    if status == "fail":
        text = (f"The model fails {failed} of {plural(total, 'check')}"
                + (f" and raises a warning on {warned}" if warned else "") + f"; {passed} pass.")
    elif status == "warn":
        text = f"The model passes {passed} of {plural(total, 'check')} and raises a warning on {warned}; none fails."
    else:
        return f"The model passes all {plural(total, 'check')} of the policy."
    notes = []
    if unsettled:
        notes.append(f"{plural(unsettled, 'value')} {'is' if unsettled == 1 else 'are'} beyond "
                     f"{'its line' if unsettled == 1 else 'their lines'} but not statistically established "
                     f"({'its interval reaches' if unsettled == 1 else 'their intervals reach'} back over the line)")
    if not_checked:
        notes.append(f"{plural(not_checked, 'thing')} could not be checked")
    return text + (" " + join_and(notes)[0].upper() + join_and(notes)[1:] + "." if notes else "")


def margin_beyond(finding: dict, direction) -> float | None:
    """How far a finding's observed value lies beyond its line, relative to the line (the line's own
    units when it is 0); negative when within the line, None when not a number or no direction.

    Examples
    --------
    >>> round(margin_beyond({"observed": 0.6, "threshold": 0.8}, "above"), 6)
    0.25
    >>> margin_beyond({"observed": 0.167, "threshold": 0.15}, "below") > 0
    True
    """
    value, line = finding.get("observed"), finding.get("threshold")
    if not (is_number(value) and is_number(line)) or direction not in ("above", "below"):
        return None
    beyond = (line - value) if direction == "above" else (value - line)
    return beyond / abs(line) if line != 0 else beyond


def rule_directions(record: dict) -> dict:
    """``{rule id: direction}`` from the policy recorded in the record's manifest."""
    policy = ((record.get("manifest") or {}).get("config") or {}).get("policy") or {}
    return {str(r.get("id")): r.get("direction") for r in policy.get("rules") or [] if isinstance(r, dict)}


def direction_of(finding: dict, directions: dict):
    """The direction of the rule that produced ``finding`` (its id is the rule's id or starts with it
    and a dot); None when the record does not say."""
    finding_id = str(finding.get("id", ""))
    matches = [rule for rule in directions if finding_id == rule or finding_id.startswith(rule + ".")]
    return directions[max(matches, key=len)] if matches else None


def serious_order(findings: list, directions: dict) -> list[int]:
    """Positions of the failed and warned findings, most serious first: worst status, then the largest
    margin beyond the line (findings beyond their line before those within it or without a number).
    Passes and information are never serious.

    Examples
    --------
    >>> found = [{"id": "a", "status": "warn", "observed": 0.7, "threshold": 0.8},
    ...          {"id": "b", "status": "pass", "observed": 0.9, "threshold": 0.8},
    ...          {"id": "c", "status": "warn", "observed": 0.5, "threshold": 0.8},
    ...          {"id": "d", "status": "fail", "observed": 0.79, "threshold": 0.8}]
    >>> serious_order(found, {"a": "above", "b": "above", "c": "above", "d": "above"})
    [3, 2, 0]
    """
    rank = {"fail": 0, "warn": 1}
    keyed = []
    for position, finding in enumerate(findings):
        if finding.get("status") not in rank:
            continue
        margin = margin_beyond(finding, direction_of(finding, directions))
        keyed.append((rank[finding["status"]], -math.inf if margin is None else -margin, position))
    return [position for *_, position in sorted(keyed, key=lambda k: (k[0], k[1] if k[1] != -math.inf else math.inf, k[2]))]


def ratio_sentence(attribute, group, reference, ratio, ci, *, outcome, threshold=0.8) -> str:
    """Read an impact ratio (selection rate of a group over the reference group's) aloud.

    Examples
    --------
    >>> ratio_sentence("age_years", "< 25", ">= 25", 0.712, [0.58, 0.79], outcome="'good'")
    "Rows in group '< 25' of age_years receive 'good' at 0.71 times the rate of group '>= 25'; the 95% interval is 0.58–0.79, wholly below the four-fifths line of 0.80."
    >>> ratio_sentence("sex", "f", "m", 0.75, [0.6, 0.9], outcome="'good'").split("'m'")[1]
    ', below the four-fifths line of 0.80, though the 95% interval 0.60–0.90 reaches above it.'
    """
    if not is_number(ratio):
        return f"The impact ratio of group {quoted(group)} of {plain(attribute)} could not be computed."
    line = f"the four-fifths line of {num(threshold, 2)}"
    head = (f"Rows in group {quoted(group)} of {plain(attribute)} receive {outcome} at {num(ratio, 2)} times "
            f"the rate of group {quoted(reference)}")
    span = interval(ci, 2)
    if not span:
        return f"{head}, {'below' if ratio < threshold else 'at or above'} {line}."
    lo, hi = ci
    if hi < threshold:
        return f"{head}; the 95% interval is {span}, wholly below {line}."
    if lo >= threshold:
        return f"{head}; the 95% interval is {span}, wholly at or above {line}."
    if ratio < threshold:
        return f"{head}, below {line}, though the 95% interval {span} reaches above it."
    return f"{head}, at or above {line}, though the 95% interval {span} reaches below it."


def range_sentence(subject: str, values: dict, digits: int = 3, higher_is_better: bool = True) -> str:
    """Describe the spread of one metric over named groups.

    Examples
    --------
    >>> range_sentence("Accuracy", {"a": 0.9, "b": 0.8})
    "Accuracy ranges from 0.800 (group 'b') to 0.900 (group 'a'), a gap of 0.100."
    >>> range_sentence("Accuracy", {"a": 1.0, "b": 1.0})
    'Accuracy is 1.000 for every group.'

    """
    known = {k: v for k, v in values.items() if is_number(v)}
    if not known:
        return f"{subject} is not available for any group."
    if len(known) == 1:
        (group, value), = known.items()
        return f"{subject} is {num(value, digits)} for group {quoted(group)}, the only group where it is defined."
    low = min(known, key=known.get)
    high = max(known, key=known.get)
    if num(known[high], digits) == num(known[low], digits):
        return f"{subject} is {num(known[low], digits)} for every group."
    return (f"{subject} ranges from {num(known[low], digits)} (group {quoted(low)}) to {num(known[high], digits)} "
            f"(group {quoted(high)}), a gap of {num(known[high] - known[low], digits)}.")
