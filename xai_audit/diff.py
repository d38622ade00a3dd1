"""What changed between two audits of (usually) the same model: ``xai-audit diff`` and ``AuditResult.diff``.

Three kinds of change are reported:

- metric deltas beyond a tolerance: performance overall and per group, each sensitive attribute's
  fairness summary (parity differences and ratios, equalized odds, calibration gap, ...) and its
  impact ratios (the four-fifths rule's selection-rate ratios per group);
- findings that appeared, disappeared or changed status;
- findings that got worse inside a status that stayed failed or warned (a minimum impact ratio falling
  from 0.36 to 0.25 while it fails both times), by more than the policy's ``[diff] worsening_tolerance``;
- each group's selection rate, TPR and FPR in both audits, per sensitive attribute and intersection
  (read from the fairness group tables, :class:`xai_audit.fairness.table.GroupTable`);
- explanation drift per explainer: the Spearman correlation of the global importances over the
  features both audits explain, the overlap of the top-k features, and the features whose rank moved.

The new audit *regresses* when its overall status is worse, any finding got worse (a finding that
appears counts as worse when it warns or fails), or a failed or warned finding moved further the wrong
way by more than the worsening tolerance. Metric deltas, group rates and drift are information: the
policy's rules decide what is bad, so a metric that moved without changing a finding is not a regression.

This module works on records (the dicts of ``AuditResult.to_dict()``) only, and imports nothing from
:mod:`xai_audit.result`: ``AuditResult.diff`` and the ``diff`` command turn results and files into
records first.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from xai_audit.exceptions import InvalidInputError
from xai_audit.numbers import is_number
from xai_audit.render.diff_text import format_markdown, format_text

if TYPE_CHECKING:
    from xai_audit.checks.worsening import Worsening

STATUS_RANK = {"pass": 0, "info": 0, "warn": 1, "fail": 2}
SKIPPED_KEYS = frozenset({"n", "ci"})
DEFAULT_TOLERANCE = 0.01
DEFAULT_TOP_K = 5
GROUP_RATES = ("selection_rate", "tpr", "fpr")


@dataclass(frozen=True)
class MetricChange:
    """A number that moved by more than the tolerance (or appeared / disappeared: one side None)."""

    path: str
    old: float | None
    new: float | None

    @property
    def delta(self) -> float | None:
        return None if self.old is None or self.new is None else self.new - self.old


@dataclass(frozen=True)
class FindingChange:
    """A finding that appeared (``old`` None), disappeared (``new`` None) or changed status."""

    id: str
    old: str | None
    new: str | None
    old_observed: object = None
    new_observed: object = None
    message: str = ""

    @property
    def kind(self) -> str:
        return "appeared" if self.old is None else "disappeared" if self.new is None else "changed"

    @property
    def worse(self) -> bool:
        if self.new is None:
            return False
        return STATUS_RANK[self.new] > STATUS_RANK.get(self.old, 0)


@dataclass(frozen=True)
class GroupRateChange:
    """One group's rate (``selection_rate``, ``tpr`` or ``fpr``) in the old and the new audit (None: absent)."""

    attribute: str
    group: str
    metric: str
    old: float | None
    new: float | None

    @property
    def delta(self) -> float | None:
        return None if self.old is None or self.new is None else self.new - self.old


@dataclass(frozen=True)
class RankChange:
    """A feature in either audit's top-k whose importance rank moved (ranks are 1-based; None: absent)."""

    feature: str
    old_rank: int | None
    new_rank: int | None


@dataclass(frozen=True)
class ExplanationDrift:
    """How one explainer's global importances moved between the audits."""

    method: str
    spearman: float | None
    top_k: int
    top_k_overlap: float
    rank_changes: tuple[RankChange, ...] = ()
    features_added: tuple[str, ...] = ()
    features_removed: tuple[str, ...] = ()


@dataclass(frozen=True)
class AuditDiff:
    """The differences between an old and a new audit record. Build it with :func:`diff_results`.

    Attributes
    ----------
    old_status, new_status : str
    tolerance : float
    metrics : tuple of MetricChange
    findings : tuple of FindingChange
    explanations : tuple of ExplanationDrift
    same_model, same_data : bool
        Whether the model and data hashes agree (a diff across different data is still shown).
    """

    old_status: str
    new_status: str
    tolerance: float
    metrics: tuple[MetricChange, ...] = ()
    findings: tuple[FindingChange, ...] = ()
    explanations: tuple[ExplanationDrift, ...] = ()
    same_model: bool = True
    same_data: bool = True
    same_policy: bool = True
    names: tuple[str, str] = ("old", "new")
    group_rates: tuple[GroupRateChange, ...] = ()
    worsenings: tuple[Worsening, ...] = ()
    worsening_tolerance: float | None = None

    @property
    def status_worse(self) -> bool:
        """True when the overall status got worse."""
        return STATUS_RANK[self.new_status] > STATUS_RANK[self.old_status]

    @property
    def regressed(self) -> bool:
        """True when the overall status got worse, any finding got worse, or a failed or warned finding
        moved further the wrong way by more than the worsening tolerance."""
        return self.status_worse or any(f.worse for f in self.findings) or bool(self.worsenings)

    @property
    def changed(self) -> bool:
        rates_moved = any(r.delta is None or abs(r.delta) > self.tolerance for r in self.group_rates)
        return bool(self.old_status != self.new_status or self.metrics or self.findings or self.worsenings
                    or rates_moved
                    or any(d.rank_changes or d.features_added or d.features_removed for d in self.explanations))

    def to_dict(self) -> dict:
        """Plain data (for JSON), with each change's delta and kind spelled out."""
        return {
            "old_status": self.old_status, "new_status": self.new_status, "regressed": self.regressed,
            "tolerance": self.tolerance, "same_model": self.same_model, "same_data": self.same_data,
            "same_policy": self.same_policy,
            "metrics": [{**asdict(m), "delta": m.delta} for m in self.metrics],
            "findings": [{**asdict(f), "kind": f.kind, "worse": f.worse} for f in self.findings],
            "explanations": [asdict(d) for d in self.explanations],
            "worsening_tolerance": self.worsening_tolerance,
            "worsenings": [{**asdict(w), "delta": w.delta} for w in self.worsenings],
            "group_rates": [{**asdict(r), "delta": r.delta} for r in self.group_rates],
        }

    def to_text(self) -> str:
        """A readable plain-text report of the changes (see :func:`format_text`)."""
        return format_text(self)

    def to_markdown(self) -> str:
        """The same report as Markdown, for a pull-request comment (see :func:`format_markdown`)."""
        return format_markdown(self)


def diff_results(old, new, *, tolerance: float = DEFAULT_TOLERANCE, top_k: int = DEFAULT_TOP_K,
                 names: tuple[str, str] = ("old", "new"), policy=None) -> AuditDiff:
    """Compare two audit records.

    Parameters
    ----------
    old, new : dict
        Audit records: ``AuditResult.to_dict()``, or a JSON file written by ``save_json`` and read
        with ``AuditResult.load_json(path).to_dict()`` (which checks it against the schema).
    tolerance : float
        Metric changes of at most this much (in absolute value) are not reported.
    top_k : int
        How many of the most important features the drift measures look at.
    names : (str, str)
        How the report names the two audits (file names on the command line).
    policy : str, path, dict or Policy, optional
        The policy whose ``[diff] worsening_tolerance`` and rule directions judge a finding that got
        worse inside an unchanged failed or warned status. Default: the policy the new audit recorded
        (``manifest.config.policy``), and the bundled default policy for what it does not say.

    Returns
    -------
    AuditDiff

    Examples
    --------
    >>> def record(auc, status):
    ...     finding = {"id": "performance.roc_auc", "check": "performance", "status": status,
    ...                "observed": auc, "threshold": 0.65, "message": f"ROC AUC {auc}", "references": []}
    ...     return {"status": status, "findings": [finding], "performance": {"overall": {"roc_auc": auc}}}
    >>> change = diff_results(record(0.80, "pass"), record(0.70, "warn"))
    >>> change.regressed, [(m.path, round(m.delta, 2)) for m in change.metrics]
    (True, [('performance.overall.roc_auc', -0.1)])

    A finding that fails in both audits but moved further beyond its line is a regression too:

    >>> def ratio(value):
    ...     finding = {"id": "fairness.four_fifths.sex.female", "check": "four_fifths", "status": "fail",
    ...                "observed": value, "threshold": 0.8, "message": "", "references": []}
    ...     return {"status": "fail", "findings": [finding]}
    >>> change = diff_results(ratio(0.36), ratio(0.25))
    >>> change.regressed, [(w.id, w.old, w.new) for w in change.worsenings]
    (True, [('fairness.four_fifths.sex.female', 0.36, 0.25)])
    >>> diff_results(ratio(0.36), ratio(0.35)).regressed  # within the policy's worsening tolerance
    False
    """
    if not (isinstance(tolerance, (int, float)) and tolerance >= 0 and math.isfinite(tolerance)):
        raise InvalidInputError(f"tolerance must be a number >= 0; got {tolerance!r}.")
    if not (isinstance(top_k, int) and top_k >= 1):
        raise InvalidInputError(f"top_k must be a whole number >= 1; got {top_k!r}.")
    from xai_audit.checks.worsening import worsening_policy, worsenings  # the policy checks load numpy

    old_record, new_record = _record(old, names[0]), _record(new, names[1])
    worsening_tolerance, directions = worsening_policy(policy, [_policy(new_record), _policy(old_record)])
    return AuditDiff(
        old_status=old_record["status"], new_status=new_record["status"], tolerance=float(tolerance),
        metrics=tuple(metric_changes(old_record, new_record, tolerance=tolerance)),
        findings=tuple(finding_changes(old_record.get("findings", []), new_record.get("findings", []))),
        explanations=tuple(explanation_drift(old_record.get("explanations", {}), new_record.get("explanations", {}),
                                             top_k=top_k)),
        same_model=_hash(old_record, "model") == _hash(new_record, "model"),
        same_data=_hash(old_record, "data") == _hash(new_record, "data"),
        same_policy=_policy(old_record) == _policy(new_record),
        names=tuple(names),
        group_rates=tuple(group_rate_changes(old_record, new_record)),
        worsenings=tuple(worsenings(old_record.get("findings", []), new_record.get("findings", []),
                                    tolerance=worsening_tolerance, directions=directions)),
        worsening_tolerance=worsening_tolerance,
    )


def metric_changes(old: dict, new: dict, *, tolerance: float) -> list[MetricChange]:
    """Metrics that moved beyond ``tolerance``: performance overall and by group, fairness summaries and
    impact ratios. Whole numbers (group sizes, counts) are sizes, not metrics, and are not compared.

    Examples
    --------
    >>> metric_changes({"performance": {"overall": {"accuracy": 0.9, "n": 100}}},
    ...                {"performance": {"overall": {"accuracy": 0.85, "n": 120}}}, tolerance=0.01)
    [MetricChange(path='performance.overall.accuracy', old=0.9, new=0.85)]
    """
    old_numbers, new_numbers = {}, {}
    for record, numbers in ((old, old_numbers), (new, new_numbers)):
        performance = record.get("performance") or {}
        for part in ("overall", "by_group"):
            _flatten(performance.get(part), f"performance.{part}", numbers)
        _fairness_numbers(record.get("fairness") or {}, numbers)
    changes = []
    for path in sorted(old_numbers.keys() | new_numbers.keys(), key=lambda p: (not p.startswith("performance"), p)):
        before, after = old_numbers.get(path), new_numbers.get(path)
        if before is None and after is None:
            continue
        if before is None or after is None or abs(after - before) > tolerance:
            changes.append(MetricChange(path, before, after))
    return changes


def finding_changes(old: list, new: list) -> list[FindingChange]:
    """Findings (as record dicts) that appeared, disappeared or changed status, in the new audit's order.

    Examples
    --------
    >>> f = lambda status: {"id": "a", "status": status, "observed": 1, "message": "m"}
    >>> [(c.kind, c.old, c.new, c.worse) for c in finding_changes([f("pass")], [f("fail")])]
    [('changed', 'pass', 'fail', True)]
    """
    before = {f["id"]: f for f in old}
    after = {f["id"]: f for f in new}
    changes = []
    for finding_id, finding in after.items():
        previous = before.get(finding_id)
        if previous is None or previous["status"] != finding["status"]:
            changes.append(FindingChange(
                finding_id, None if previous is None else previous["status"], finding["status"],
                old_observed=None if previous is None else previous.get("observed"),
                new_observed=finding.get("observed"), message=finding.get("message", "")))
    for finding_id, finding in before.items():
        if finding_id not in after:
            changes.append(FindingChange(finding_id, finding["status"], None, old_observed=finding.get("observed"),
                                         message=finding.get("message", "")))
    return changes


def group_rate_changes(old: dict, new: dict, *, metrics=GROUP_RATES) -> list[GroupRateChange]:
    """Each group's selection rate, TPR and FPR in both records, per attribute and intersection of the
    fairness sections; a group or metric only one record has appears with None on the other side.

    Examples
    --------
    >>> def record(tpr):
    ...     return {"fairness": {"sex": {"groups": {"f": {"n": 40, "selection_rate": 0.4, "tpr": tpr}}}}}
    >>> [(c.group, c.metric, c.old, c.new) for c in group_rate_changes(record(0.5), record(0.7))]
    [('f', 'selection_rate', 0.4, 0.4), ('f', 'tpr', 0.5, 0.7)]
    """
    from xai_audit.fairness.table import group_tables  # the fairness package loads numpy

    before, after = group_tables(old.get("fairness")), group_tables(new.get("fairness"))
    changes = []
    # single attributes first, then intersections ("a*b"), as the report orders them
    for attribute in sorted(dict.fromkeys([*after, *before]), key=lambda name: "*" in name):
        old_table, new_table = before.get(attribute), after.get(attribute)
        groups = dict.fromkeys([*(new_table.groups if new_table else ()), *(old_table.groups if old_table else ())])
        for group in groups:
            old_row = old_table.row(group) if old_table else None
            new_row = new_table.row(group) if new_table else None
            for metric in metrics:
                previous = _rate(old_row, metric)
                current = _rate(new_row, metric)
                if previous is not None or current is not None:
                    changes.append(GroupRateChange(attribute, group, metric, previous, current))
    return changes


def explanation_drift(old: dict, new: dict, *, top_k: int = DEFAULT_TOP_K) -> list[ExplanationDrift]:
    """Drift of the global importances of every explainer both audits ran.

    Examples
    --------
    >>> old = {"shap": {"global_importance": {"income": 0.5, "debt": 0.3, "age": 0.1}}}
    >>> new = {"shap": {"global_importance": {"income": 0.2, "debt": 0.4, "age": 0.1}}}
    >>> drift = explanation_drift(old, new, top_k=2)[0]
    >>> drift.spearman, drift.top_k_overlap, [(r.feature, r.old_rank, r.new_rank) for r in drift.rank_changes]
    (0.5, 1.0, [('debt', 2, 1), ('income', 1, 2)])
    """
    drifts = []
    for method in sorted(old.keys() & new.keys()):
        before = _importances(old[method])
        after = _importances(new[method])
        if not before or not after:
            continue
        common = sorted(before.keys() & after.keys())
        old_ranks, new_ranks = _ranks(before), _ranks(after)
        k = min(top_k, max(len(before), len(after)))
        old_top = {f for f, r in old_ranks.items() if r <= k}
        new_top = {f for f, r in new_ranks.items() if r <= k}
        moved = [RankChange(f, old_ranks.get(f), new_ranks.get(f)) for f in sorted(old_top | new_top)
                 if old_ranks.get(f) != new_ranks.get(f)]
        moved.sort(key=lambda c: (c.new_rank is None, c.new_rank or 0, c.feature))
        drifts.append(ExplanationDrift(
            method=method,
            spearman=spearman([before[f] for f in common], [after[f] for f in common]),
            top_k=k, top_k_overlap=len(old_top & new_top) / k if k else 1.0, rank_changes=tuple(moved),
            features_added=tuple(sorted(after.keys() - before.keys())),
            features_removed=tuple(sorted(before.keys() - after.keys())),
        ))
    return drifts


def spearman(first, second) -> float | None:
    """Spearman's rank correlation (average ranks for ties); None for fewer than two values or a constant side.

    Examples
    --------
    >>> spearman([1, 2, 3], [10, 20, 30]), spearman([1, 2, 3], [3, 2, 1]), spearman([1, 1], [1, 2])
    (1.0, -1.0, None)
    """
    from scipy.stats import spearmanr

    if len(first) < 2 or len(set(first)) < 2 or len(set(second)) < 2:
        return None
    return float(spearmanr(first, second).statistic)


def _record(source, label: str) -> dict:
    if not isinstance(source, dict):
        raise InvalidInputError(
            f"The {label} audit must be a record dict (AuditResult.to_dict(), or a JSON file read with "
            f"AuditResult.load_json(path).to_dict()); got {type(source).__name__}."
        )
    if "status" not in source or source["status"] not in STATUS_RANK:
        raise InvalidInputError(f"The {label} audit record has no valid 'status' (pass, warn or fail).")
    return source


def _flatten(value, path: str, out: dict) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if key not in SKIPPED_KEYS:
                _flatten(item, f"{path}.{key}", out)
    elif isinstance(value, float) and math.isfinite(value):
        out[path] = value


def _fairness_numbers(fairness: dict, out: dict) -> None:
    """Each attribute's ``summary`` and its impact ratios (``four_fifths.groups.<group>.impact_ratio``)."""
    for attribute, section in fairness.items():
        if not isinstance(section, dict):
            continue
        _flatten(section.get("summary"), f"fairness.{attribute}.summary", out)
        groups = (section.get("four_fifths") or {}).get("groups") or {}
        for group, values in groups.items():
            if isinstance(values, dict):
                _flatten(values.get("impact_ratio"), f"fairness.{attribute}.impact_ratio.{group}", out)


def _rate(row, metric: str) -> float | None:
    value = None if row is None else row.value(metric)
    return float(value) if is_number(value) else None


def _importances(section) -> dict:
    values = section.get("global_importance") if isinstance(section, dict) else None
    if not isinstance(values, dict):
        return {}
    return {str(f): float(v) for f, v in values.items()
            if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)}


def _ranks(importances: dict) -> dict:
    """1-based ranks by importance (largest first; ties broken by name, so ranks are stable)."""
    order = sorted(importances, key=lambda f: (-importances[f], f))
    return {feature: position for position, feature in enumerate(order, start=1)}


def _policy(record: dict):
    return ((record.get("manifest") or {}).get("config") or {}).get("policy")


def _hash(record: dict, section: str):
    return (record.get(section) or {}).get("sha256")
