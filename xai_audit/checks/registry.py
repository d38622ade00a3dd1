"""Turn a policy's rules into findings by reading the computed sections of an audit.

Each check is a function listed in :data:`CHECKS` under the name a rule's ``check`` field uses (one
explicit mapping: importing nothing else registers anything). It receives the rule, the sections
computed so far (``data``, ``performance``, ``fairness``, ``explanations``) and the policy's settings,
and returns findings; a rule whose data is absent (an R² rule on a classifier) yields none.
"""

from __future__ import annotations

from collections.abc import Callable

from xai_audit.checks.coverage import check_coverage
from xai_audit.checks.drift import (
    check_drift_fairness,
    check_drift_four_fifths,
    check_drift_performance,
    check_drift_psi,
    check_drift_share,
)
from xai_audit.checks.explanations import check_explanation_agreement, check_explanation_quality
from xai_audit.checks.fairness import (
    check_fairness_gap,
    check_four_fifths,
    check_proxy_features,
    check_unknown_share,
)
from xai_audit.checks.performance import check_performance, check_performance_gap
from xai_audit.checks.reasons import check_prohibited_reliance
from xai_audit.checks.recourse import check_challenger, check_recourse_burden
from xai_audit.exceptions import InvalidInputError
from xai_audit.policy import Finding, Policy, Rule


def evaluate(policy: Policy, sections: dict) -> list[Finding]:
    """Findings for every rule of ``policy`` over the computed ``sections``, in rule order."""
    findings = []
    settings = {"min_group_size": policy.setting("fairness", "min_group_size", 30),
                "confidence": policy.setting("audit", "confidence", 0.95)}
    for rule in policy.rules:
        if rule.check not in CHECKS:
            raise InvalidInputError(
                f"The policy rule '{rule.id}' uses the check {rule.check!r}; known checks are {sorted(CHECKS)}."
            )
        findings.extend(CHECKS[rule.check](rule, sections, settings))
    return findings


def overall_status(findings) -> str:
    """``fail`` if any finding fails, else ``warn`` if any warns, else ``pass``."""
    statuses = {f.status for f in findings}
    return "fail" if "fail" in statuses else "warn" if "warn" in statuses else "pass"


# Every check a policy rule can name, by that name. A new check is added here, nowhere else.
CHECKS: dict[str, Callable[[Rule, dict, dict], list[Finding]]] = {
    "performance": check_performance,
    "performance_gap": check_performance_gap,
    "unknown_share": check_unknown_share,
    "four_fifths": check_four_fifths,
    "fairness_gap": check_fairness_gap,
    "proxy_features": check_proxy_features,
    "explanation_quality": check_explanation_quality,
    "explanation_agreement": check_explanation_agreement,
    "coverage": check_coverage,
    "prohibited_reliance": check_prohibited_reliance,
    "recourse_burden": check_recourse_burden,
    "challenger": check_challenger,
    "drift_share": check_drift_share,
    "drift_psi": check_drift_psi,
    "drift_performance": check_drift_performance,
    "drift_fairness": check_drift_fairness,
    "drift_four_fifths": check_drift_four_fifths,
}
