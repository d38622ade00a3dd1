"""Explainers: SHAP, LIME, permutation importance and Captum's attributions behind one interface.

``explain`` runs one explainer; ``explanations_section`` runs the policy's explainers for an audit and
checks them. Every explainer is an :class:`Explainer` returning an :class:`Explanation`, listed by
name in ``REGISTRY`` (:mod:`xai_audit.explainers.registry`).
"""

from xai_audit.explainers.api import explain
from xai_audit.explainers.base import Explainer, Explanation
from xai_audit.explainers.pdp import partial_dependence
from xai_audit.explainers.registry import REGISTRY
from xai_audit.explainers.section import explanations_section, fairness_attributions

__all__ = ["REGISTRY", "Explainer", "Explanation", "explain", "explanations_section", "fairness_attributions",
           "partial_dependence"]
