"""xai-audit: audit machine-learning models — explanations and their trustworthiness, performance
and fairness per group — and report the findings as HTML, JSON, an app, or a CI exit code.

The public API is listed in ``__all__``; everything else is internal and may change.

The names are loaded when first used (PEP 562 ``__getattr__``), so ``import xai_audit`` — and the
command line's ``--help`` — do not pay for numpy, pandas, scikit-learn, shap or torch up front.
"""

import importlib
import importlib.util
import sys
import types

from xai_audit._version import __version__
from xai_audit.exceptions import (
    InvalidInputError,
    MissingDependencyError,
    ModelError,
    UnsupportedModelError,
    UntrustedModelError,
    XaiAuditError,
)

# Each public name that lives in a heavy module, and that module: imported on first use.
_LAZY = {
    "Audit": "xai_audit.audit",
    "AuditDataset": "xai_audit.data",
    "AuditResult": "xai_audit.result",
    "DriftResult": "xai_audit.drift_result",
    "Explanation": "xai_audit.explainers",
    "Finding": "xai_audit.policy",
    "ModelAdapter": "xai_audit.adapters",
    "Policy": "xai_audit.policy",
    "Rule": "xai_audit.policy",
    "audit": "xai_audit.audit",
    "drift": "xai_audit.monitoring",
    "drift_summary": "xai_audit.render.drift_text",
    "explain": "xai_audit.explainers",
    "GroupTable": "xai_audit.fairness.table",
    "fairness_at_threshold": "xai_audit.fairness",
    "format_decimal": "xai_audit.numbers",
    "format_interval": "xai_audit.numbers",
    "format_number": "xai_audit.numbers",
    "format_percent": "xai_audit.numbers",
    "format_signed": "xai_audit.numbers",
    "performance_at_threshold": "xai_audit.fairness",
    "recourse_for": "xai_audit.recourse.cases",
    "sniff_csv": "xai_audit.data",
    "threshold_curves": "xai_audit.fairness",
    "load_model": "xai_audit.adapters",
    "load_policy": "xai_audit.policy",
}

__all__ = [
    "Audit",
    "AuditDataset",
    "AuditResult",
    "DriftResult",
    "Explanation",
    "Finding",
    "GroupTable",
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
    "drift",
    "drift_summary",
    "explain",
    "fairness_at_threshold",
    "format_decimal",
    "format_interval",
    "format_number",
    "format_percent",
    "format_signed",
    "load_model",
    "load_policy",
    "performance_at_threshold",
    "recourse_for",
    "sniff_csv",
    "threshold_curves",
]


# Public functions named like a submodule: ``xai_audit.audit`` is the function ``audit``, as it always was;
# ``xai_audit.drift`` is the function ``drift`` (the package stays importable as ``xai_audit.drift``).
_SHADOWED_SUBMODULES = frozenset({"audit", "drift"})


class _PublicNamespace(types.ModuleType):
    """This package's module type: it keeps the function ``audit`` bound to ``xai_audit.audit``.

    The import system sets an attribute named after every submodule it loads on the package, so the
    first ``import xai_audit.audit`` anywhere would otherwise replace the lazily loaded function with
    the module (``xa.audit(...)`` would then fail). The module stays in ``sys.modules``. This is the
    customisation the Python data model documents ("Customizing module attribute access").
    """

    def __setattr__(self, name, value):
        if name in _SHADOWED_SUBMODULES and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _PublicNamespace


def __getattr__(name):
    """Load a public name (or a submodule, ``xai_audit.parallel`` say) on first access."""
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value  # later look-ups skip this function
        return value
    if not name.startswith("__") and importlib.util.find_spec(f"{__name__}.{name}") is not None:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'xai_audit' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
