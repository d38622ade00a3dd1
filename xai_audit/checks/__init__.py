"""Policy checks: each rule of a policy names a check, which reads the audit's computed sections and
returns findings with verdicts.

The checks are listed explicitly in :data:`xai_audit.checks.registry.CHECKS`, one module per family
(performance, fairness, explanations, coverage, reasons, recourse); :func:`evaluate` runs a policy's
rules and :func:`overall_status` turns findings into the audit's verdict.
"""

from xai_audit.checks.common import fmt, make_finding
from xai_audit.checks.fairness import check_fairness_gap
from xai_audit.checks.reasons import check_prohibited_reliance
from xai_audit.checks.registry import CHECKS, evaluate, overall_status

__all__ = ["CHECKS", "check_fairness_gap", "check_prohibited_reliance", "evaluate", "fmt", "make_finding",
           "overall_status"]
