"""Captum's attributions for PyTorch models, one method per module, and DeepLiftShap for SHAP.

``"integrated_gradients"``, ``"saliency"``, ``"deeplift"`` and ``"gradient_shap"`` explain tabular
and image models with gradients, ``"occlusion"`` image models (the explicit list is in
:mod:`xai_audit.explainers.registry`). :func:`deep_shap` gives SHAP values for a torch model; the
SHAP explainer calls it for torch adapters. Importing this package does not import torch or captum;
running a method does (the 'torch' extra).
"""

from xai_audit.explainers.captum.deeplift import DeepLiftExplainer, deep_shap
from xai_audit.explainers.captum.gradient_shap import GradientShapExplainer
from xai_audit.explainers.captum.integrated_gradients import IntegratedGradientsExplainer
from xai_audit.explainers.captum.occlusion import OcclusionExplainer
from xai_audit.explainers.captum.saliency import SaliencyExplainer

__all__ = ["DeepLiftExplainer", "GradientShapExplainer", "IntegratedGradientsExplainer", "OcclusionExplainer",
           "SaliencyExplainer", "deep_shap"]
