"""Explainers: SHAP, LIME, permutation importance and Captum's attributions behind one interface.

``explain`` runs one explainer; ``explanations_section`` runs the policy's explainers for an audit and
checks them. Every explainer is a registered :class:`Explainer` returning an :class:`Explanation`.
Importing this package registers the explainers.
"""

from xai_audit.explainers import lime as _lime  # noqa: F401  registers "lime"
from xai_audit.explainers import permutation as _permutation  # noqa: F401  registers "permutation"
from xai_audit.explainers import shap as _shap  # noqa: F401  registers "shap"
from xai_audit.explainers.api import explain
from xai_audit.explainers.base import REGISTRY, Explainer, Explanation, register
from xai_audit.explainers.pdp import partial_dependence
from xai_audit.explainers.section import explanations_section, fairness_attributions


def _register_captum() -> None:
    """Register the Captum explainers, unless torch / captum (the 'torch' extra) are not installed."""
    try:
        from xai_audit.explainers import captum  # noqa: F401
    except ImportError as error:
        from xai_audit.exceptions import MissingDependencyError

        missing = getattr(error, "name", None)
        if not (isinstance(error, MissingDependencyError) or missing in ("xai_audit.explainers.captum", "torch", "captum")
                or (missing or "").startswith(("torch.", "captum."))):
            raise


_register_captum()

__all__ = ["REGISTRY", "Explainer", "Explanation", "explain", "explanations_section", "fairness_attributions",
           "partial_dependence", "register"]
