"""xai-audit: audit machine-learning models — explanations and their trustworthiness, performance
and fairness per group — and report the findings as HTML, JSON, an app, or a CI exit code.

The public API is listed in ``__all__``; everything else is internal and may change.
"""

from xai_audit._version import __version__
from xai_audit.adapters import ModelAdapter, load_model
from xai_audit.audit import Audit, audit
from xai_audit.data import AuditDataset
from xai_audit.explainers import Explanation, explain
from xai_audit.exceptions import (
    InvalidInputError,
    MissingDependencyError,
    ModelError,
    UnsupportedModelError,
    UntrustedModelError,
    XaiAuditError,
)
from xai_audit.policy import Finding, Policy, Rule, load_policy
from xai_audit.result import AuditResult

__all__ = [
    "Audit",
    "AuditDataset",
    "AuditResult",
    "Explanation",
    "Finding",
    "InvalidInputError",
    "MissingDependencyError",
    "ModelAdapter",
    "ModelError",
    "Policy",
    "Rule",
    "UnsupportedModelError",
    "UntrustedModelError",
    "XaiAuditError",
    "__version__",
    "audit",
    "explain",
    "load_model",
    "load_policy",
]
