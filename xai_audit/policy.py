"""Policies as code: the thresholds an audit is judged by, and the findings it produces.

A policy is a TOML file: ``[audit]`` settings (which explainers, how many rows and resamples) and a
list of ``[[rules]]``, each naming a check, the metric it reads, the side a good value lies on, the
threshold beyond which it fails and (optionally) an earlier one at which it warns, and the rule or
guidance it comes from. A user's policy can ``extends = "default"`` and override rules by ``id``.
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path

from xai_audit._toml import read_toml
from xai_audit.exceptions import InvalidInputError

STATUSES = ("pass", "warn", "fail", "info")
BUNDLED_POLICIES = ("default", "lenient", "credit")
DIRECTIONS = ("above", "below")
# The statuses a rule may give what it covers when that is missing or failed (``options.status``).
GAP_STATUSES = ("warn", "fail", "info")


@dataclass(frozen=True)
class Finding:
    """One check's outcome: what was observed, against what threshold, and what it means.

    Examples
    --------
    >>> finding = Finding(id="performance.roc_auc", check="performance", status="fail", observed=0.61,
    ...                   threshold=0.65, message="ROC AUC 0.61: below the line of 0.65.")
    >>> finding.to_dict()["status"], finding.observed < finding.threshold
    ('fail', True)
    """

    id: str
    check: str
    status: str
    observed: object
    threshold: object
    message: str
    references: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        record = asdict(self)
        record["references"] = list(self.references)
        return record

    @classmethod
    def from_dict(cls, record: dict) -> "Finding":
        return cls(**{**record, "references": tuple(record.get("references", ()))})


@dataclass(frozen=True)
class Rule:
    """One threshold of a policy.

    ``direction="above"``: values at or above ``threshold`` pass; ``"below"``: at or below pass.
    ``warn`` is an optional stricter line: a value between ``warn`` and ``threshold`` warns. Where the
    observation has a confidence interval, the whole interval beyond ``threshold`` fails and an
    interval that straddles it warns.

    Examples
    --------
    >>> rule = Rule(id="performance.roc_auc", check="performance", metric="roc_auc", direction="above",
    ...             threshold=0.65, warn=0.75)
    >>> rule.verdict(0.80), rule.verdict(0.70), rule.verdict(0.60)
    ('pass', 'warn', 'fail')
    >>> rule.verdict(0.70, interval=(0.60, 0.62)), rule.verdict(0.70, interval=(0.60, 0.80))
    ('fail', 'warn')
    """

    id: str
    check: str
    metric: str
    direction: str
    threshold: float
    warn: float | None = None
    title: str = ""
    rationale: str = ""
    references: tuple[str, ...] = ()
    options: dict = field(default_factory=dict)

    def verdict(self, value, interval=None) -> str:
        """``pass``, ``warn`` or ``fail`` for an observed value and its optional interval."""
        beyond = (lambda v: v < self.threshold - 1e-12) if self.direction == "above" else (
            lambda v: v > self.threshold + 1e-12)
        if interval is not None and None not in interval:
            lo, hi = interval
            if beyond(lo) and beyond(hi):
                return "fail"
            if beyond(lo) or beyond(hi) or beyond(value):
                return "warn"
        elif beyond(value):
            return "fail"
        if self.warn is not None:
            short = value < self.warn if self.direction == "above" else value > self.warn
            if short:
                return "warn"
        return "pass"


@dataclass(frozen=True)
class Policy:
    """A named set of settings and rules. Build it with :func:`load_policy`.

    Examples
    --------
    >>> policy = load_policy("default")
    >>> policy.setting("fairness", "min_group_size"), policy.setting("audit", "missing", "fallback")
    (30, 'fallback')
    >>> [rule.id for rule in policy.rules_for("four_fifths")]
    ['fairness.four_fifths']
    """

    name: str
    description: str
    settings: dict
    rules: tuple[Rule, ...]

    def setting(self, section: str, key: str, default=None):
        return self.settings.get(section, {}).get(key, default)

    def rules_for(self, check: str) -> list[Rule]:
        return [rule for rule in self.rules if rule.check == check]

    def to_dict(self) -> dict:
        return {"name": self.name, "description": self.description, "settings": copy.deepcopy(self.settings),
                "rules": [{**asdict(r), "references": list(r.references)} for r in self.rules]}


def load_policy(spec="default") -> Policy:
    """A bundled policy by name, a TOML file by path, a dict, or a :class:`Policy` as is.

    A file's ``extends`` names a bundled policy or another policy file, relative to the folder of the
    file that extends it (a dict's, to the working folder); a chain that comes back to a policy it
    already holds is refused.

    Examples
    --------
    >>> policy = load_policy("default")
    >>> [r.id for r in policy.rules][:1]
    ['performance.roc_auc']
    """
    if isinstance(spec, Policy):
        return spec
    if isinstance(spec, dict):
        return _from_dict(spec, source="the policy given as a dict", folder=Path.cwd(), chain=())
    return _load(spec, folder=Path.cwd(), chain=())


def _load(spec, *, folder: Path, chain: tuple) -> Policy:
    """The policy ``spec`` names (bundled name or path relative to ``folder``), refusing cycles."""
    if not isinstance(spec, (str, Path)) or not str(spec).strip():
        raise InvalidInputError(f"A policy is named by a bundled name {list(BUNDLED_POLICIES)} or a TOML file path; "
                                f"got {spec!r}.")
    if isinstance(spec, str) and spec in BUNDLED_POLICIES:
        key = f"bundled:{spec}"
        _refuse_cycle(key, chain)
        text = resources.files("xai_audit.policies").joinpath(f"{spec}.toml")
        with resources.as_file(text) as path:
            return _from_dict(read_toml(path), source=f"the bundled policy '{spec}'", folder=None,
                              chain=chain + (key,))
    path = Path(spec).expanduser()
    path = path if path.is_absolute() else folder / path
    if not path.suffix == ".toml" and not path.exists():
        raise InvalidInputError(
            f"The policy {str(spec)!r} is neither a bundled policy {list(BUNDLED_POLICIES)} nor a TOML file."
        )
    if path.is_dir():
        raise InvalidInputError(f"The policy '{spec}' is a folder; give a policy TOML file inside it, or a bundled "
                                f"policy name {list(BUNDLED_POLICIES)}.")
    key = str(path.resolve())
    _refuse_cycle(key, chain)
    return _from_dict(read_toml(path), source=f"the policy file '{spec}'", folder=path.parent, chain=chain + (key,))


def _refuse_cycle(key: str, chain: tuple) -> None:
    if key in chain:
        names = " -> ".join(item.removeprefix("bundled:") for item in chain + (key,))
        raise InvalidInputError(f"The policy 'extends' chain comes back to a policy it already holds ({names}); "
                                "remove the 'extends' that closes the loop.")


def _from_dict(raw: dict, *, source: str, folder: Path | None, chain: tuple) -> Policy:
    raw = copy.deepcopy(raw)
    base = raw.pop("extends", None)
    rules_raw = raw.pop("rules", [])
    if not isinstance(rules_raw, list):
        raise InvalidInputError(f"In {source}, 'rules' must be a list of [[rules]] tables.")
    if base is not None and not (isinstance(base, str) and base.strip()):
        raise InvalidInputError(f"In {source}, 'extends' must name a bundled policy {list(BUNDLED_POLICIES)} or a "
                                f"policy file; got {base!r}.")
    if base and folder is None and base not in BUNDLED_POLICIES:
        raise InvalidInputError(f"In {source}, 'extends' may only name a bundled policy {list(BUNDLED_POLICIES)}; "
                                f"got {base!r}.")
    parent = _load(base, folder=folder, chain=chain) if base else None
    rules = {rule.id: rule for rule in (parent.rules if parent else ())}
    settings = copy.deepcopy(parent.settings) if parent else {}
    for key, value in raw.items():
        if isinstance(value, dict):
            settings.setdefault(key, {}).update(value)
    for entry in rules_raw:
        rule = _rule(entry, source, previous=rules.get(entry.get("id")) if isinstance(entry, dict) else None)
        rules[rule.id] = rule
    for rule_id in raw.get("disable", []):
        rules.pop(rule_id, None)
    return Policy(name=str(raw.get("name", base or "custom")), description=str(raw.get("description", "")),
                  settings=settings, rules=tuple(rules.values()))


def _rule(entry: dict, source: str, previous: Rule | None) -> Rule:
    if not isinstance(entry, dict) or "id" not in entry:
        raise InvalidInputError(f"In {source}, every [[rules]] entry needs an 'id'; got {entry!r}.")
    merged = {**(asdict(previous) if previous else {}), **entry}
    known = {"id", "check", "metric", "direction", "threshold", "warn", "title", "rationale", "references", "options"}
    unknown = sorted(set(merged) - known)
    if unknown:
        raise InvalidInputError(f"In {source}, rule '{entry['id']}' has unknown keys {unknown}; allowed: {sorted(known)}.")
    missing = [k for k in ("check", "metric", "direction", "threshold") if k not in merged]
    if missing:
        raise InvalidInputError(f"In {source}, rule '{entry['id']}' lacks {missing}.")
    if merged["direction"] not in DIRECTIONS:
        raise InvalidInputError(
            f"In {source}, rule '{entry['id']}' has direction {merged['direction']!r}; use 'above' (higher is "
            "better) or 'below' (lower is better)."
        )
    for key in ("threshold", "warn"):
        if merged.get(key) is not None and not isinstance(merged[key], (int, float)):
            raise InvalidInputError(f"In {source}, rule '{entry['id']}': {key} must be a number; got {merged[key]!r}.")
    status = (merged.get("options") or {}).get("status")
    if status is not None and status not in GAP_STATUSES:
        raise InvalidInputError(
            f"In {source}, rule '{entry['id']}' has options.status {status!r}; use one of {list(GAP_STATUSES)} "
            "(the status of its finding when what it covers is missing or failed)."
        )
    merged["references"] = tuple(merged.get("references", ()))
    return Rule(**merged)
