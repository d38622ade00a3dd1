"""What every policy check shares: how a value is written and how a finding's message is worded.

A finding's message states what was observed and where it lies against the rule's line, never what
the rule hopes for: ``"... a gap: 0.167; above the line of at most 0.15"``, not "... is similar".
"""

from __future__ import annotations

from xai_audit.numbers import format_line, format_number
from xai_audit.policy import Finding, Rule

# The name the policy checks' callers have always imported; the one formatter is xai_audit.numbers.
fmt = format_number


def line_text(rule: Rule) -> str:
    """``"the line of at most 0.15"`` (direction ``below``) or ``"the line of at least 0.8"``."""
    side = "at least" if rule.direction == "above" else "at most"
    return f"the line of {side} {format_line(rule.threshold)}"


def crossing_word(rule: Rule) -> str:
    """How a value beyond ``rule``'s line lies: ``"below"`` a minimum, ``"above"`` a maximum."""
    return "below" if rule.direction == "above" else "above"


def make_finding(rule: Rule, finding_id: str, value, subject: str, interval=None, status=None,
                 confidence: float = 0.95) -> Finding:
    """A finding for ``value`` judged by ``rule``; the message states the value, its interval (at
    ``confidence``) and where both lie against the line.

    Examples
    --------
    >>> rule = Rule(id="gap", check="performance_gap", metric="accuracy", direction="below", threshold=0.15, warn=0.05)
    >>> make_finding(rule, "gap.sex", 0.167, "Accuracy gap by sex").message
    'Accuracy gap by sex: 0.167; above the line of at most 0.15.'
    """
    status = status or rule.verdict(value, interval)
    level = f"{confidence * 100:g}%"
    ci = "" if interval is None else f" ({level} interval {format_number(interval[0])} to {format_number(interval[1])})"
    message = f"{subject}: {format_number(value)}{ci}; {verdict_text(rule, status, value, interval)}."
    return Finding(id=finding_id, check=rule.check, status=status, observed=value,
                   threshold=rule.threshold, message=message, references=rule.references)


def verdict_text(rule: Rule, status: str, value, interval=None) -> str:
    """Where ``value`` (and its ``interval``) lie against ``rule``'s line, in words.

    A point estimate beyond the line whose interval reaches back over it is "not statistically
    established"; a point estimate within the line whose interval reaches beyond it says so too.

    Examples
    --------
    >>> rule = Rule(id="ff", check="four_fifths", metric="impact_ratio", direction="above", threshold=0.8)
    >>> verdict_text(rule, "warn", 0.7, (0.5, 0.9))
    'below the line of at least 0.8, not statistically established: the interval reaches back over it'
    >>> verdict_text(rule, "fail", 0.7, (0.6, 0.75))
    'below the line of at least 0.8, and so is the whole interval'
    """
    line = line_text(rule)
    word = crossing_word(rule)
    beyond_point = isinstance(value, (int, float)) and not isinstance(value, bool) and rule.verdict(value) == "fail"
    ends = [rule.verdict(end) == "fail" for end in (interval or ()) if end is not None]
    if status == "info":
        return f"{word if beyond_point else 'within'} {line}, reported for information"
    if beyond_point:
        if ends and all(ends):
            return f"{word} {line}, and so is the whole interval"
        if ends:
            return f"{word} {line}, not statistically established: the interval reaches back over it"
        if status == "fail":
            return f"{word} {line}"
        return f"{word} {line}, which calls for review rather than a verdict"
    if ends and all(ends):
        return f"within {line} in the point estimate, but the whole interval is {word} it"
    if ends and any(ends):
        return f"within {line}, but the interval reaches {word} it, so the data cannot settle it"
    if status == "warn" and rule.warn is not None:
        return f"within {line} but {word} the warning line of {format_line(rule.warn)}"
    return f"within {line}"
