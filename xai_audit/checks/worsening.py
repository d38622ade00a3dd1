"""A finding that got worse inside a status that stayed failed or warned.

A rule's verdict has three steps (pass, warn, fail), so a value already beyond the line can fall much
further without any change of status: a minimum impact ratio falling from 0.36 to 0.25 fails both
times. ``xai-audit diff`` reports such a move as a regression when it exceeds the policy's
``[diff] worsening_tolerance`` (in the units of the finding's observed value), judged in the direction
of the finding's rule.
"""

from __future__ import annotations

from dataclasses import dataclass

from xai_audit.exceptions import InvalidInputError
from xai_audit.numbers import is_number
from xai_audit.policy import load_policy

# statuses inside which a finding can get worse without changing status
WORSENING_STATUSES = ("warn", "fail")


@dataclass(frozen=True)
class Worsening:
    """A finding that kept a failed or warned status and moved further the wrong way.

    ``direction`` is the rule's: ``"above"`` (higher is better, so a fall is worse) or ``"below"``.
    """

    id: str
    status: str
    old: float
    new: float
    direction: str

    @property
    def delta(self) -> float:
        return self.new - self.old

    @property
    def amount(self) -> float:
        """How far the value moved the wrong way (positive)."""
        return -self.delta if self.direction == "above" else self.delta


def worsenings(old: list, new: list, *, tolerance: float, directions: dict) -> list[Worsening]:
    """Findings (record dicts) whose status stayed ``fail`` or ``warn`` and whose observed value moved the
    wrong way by more than ``tolerance``.

    The wrong way is the rule's: ``directions`` maps rule ids to ``"above"`` (higher is better) or
    ``"below"``; a finding id ``rule.id.attribute.group`` takes its rule's direction. A failed finding
    whose rule is unknown takes the side of its threshold it lies on.

    Examples
    --------
    >>> f = lambda value: {"id": "fairness.four_fifths.sex.f", "status": "fail", "observed": value, "threshold": 0.8}
    >>> [w.amount for w in worsenings([f(0.5)], [f(0.25)], tolerance=0.02,
    ...                               directions={"fairness.four_fifths": "above"})]
    [0.25]
    >>> worsenings([f(0.5)], [f(0.6)], tolerance=0.02, directions={"fairness.four_fifths": "above"})
    []
    """
    before = {f["id"]: f for f in old}
    found = []
    for finding in new:
        previous = before.get(finding["id"])
        if previous is None or previous["status"] != finding["status"] or finding["status"] not in WORSENING_STATUSES:
            continue
        old_value, new_value = finite(previous.get("observed")), finite(finding.get("observed"))
        direction = _direction(finding, directions)
        if old_value is None or new_value is None or direction is None:
            continue
        change = Worsening(finding["id"], finding["status"], old_value, new_value, direction)
        if change.amount > tolerance:
            found.append(change)
    return found


def finite(value) -> float | None:
    """``value`` as a float when it is a finite number; None otherwise."""
    return float(value) if is_number(value) else None


def _direction(finding: dict, directions: dict) -> str | None:
    """The direction of the rule behind ``finding``: the longest rule id its id starts with; without one,
    for a failed finding, the side of its threshold the value lies on."""
    finding_id = finding["id"]
    matches = [rule for rule in directions if finding_id == rule or finding_id.startswith(rule + ".")]
    if matches:
        return directions[max(matches, key=len)]
    observed, threshold = finite(finding.get("observed")), finite(finding.get("threshold"))
    if finding["status"] != "fail" or observed is None or threshold is None or observed == threshold:
        return None
    return "above" if observed < threshold else "below"


def worsening_policy(policy, recorded: list) -> tuple[float, dict]:
    """``(worsening tolerance, {rule id: direction})``: from ``policy`` when given, else from the
    ``recorded`` policies (dicts as a record's ``manifest.config.policy`` holds them, the first first),
    with the bundled default policy for what they do not say.

    Examples
    --------
    >>> tolerance, directions = worsening_policy(None, [])
    >>> tolerance == load_policy("default").setting("diff", "worsening_tolerance"), directions["fairness.four_fifths"]
    (True, 'above')
    >>> worsening_policy({"extends": "default", "diff": {"worsening_tolerance": 0.1}}, [])[0]
    0.1
    """
    default = load_policy("default")
    sources = []
    if policy is not None:
        chosen = load_policy(policy)
        sources.append((chosen.settings, [{"id": r.id, "direction": r.direction} for r in chosen.rules]))
    else:
        sources += [(entry.get("settings") or {}, entry.get("rules") or []) for entry in recorded
                    if isinstance(entry, dict)]
    sources.append((default.settings, [{"id": r.id, "direction": r.direction} for r in default.rules]))
    tolerance = next(settings["diff"]["worsening_tolerance"] for settings, _ in sources
                     if (settings.get("diff") or {}).get("worsening_tolerance") is not None)
    directions = {}
    for _, rules in reversed(sources):
        directions.update({rule["id"]: rule["direction"] for rule in rules
                           if isinstance(rule, dict) and rule.get("direction") in ("above", "below")})
    if not (is_number(tolerance) and tolerance >= 0):
        raise InvalidInputError(f"The policy's [diff] worsening_tolerance must be a number >= 0 (0.02: two points of a "
                                f"rate or ratio); got {tolerance!r}. Set it in the policy's [diff] table.")
    return float(tolerance), directions
