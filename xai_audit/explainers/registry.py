"""Every explainer by name: the one list of which explanation methods exist.

``REGISTRY`` maps a method name (what ``explain(method=...)`` and a policy's ``explainers`` take) to
its :class:`~xai_audit.explainers.base.Explainer` class. SHAP, LIME and permutation importance are
always there; the Captum methods are imported and listed only when torch and captum (the 'torch'
extra) are installed, and asking for one without them raises :class:`MissingDependencyError`.
Adding an explainer means adding a line here.
"""

from __future__ import annotations

import importlib.util

from xai_audit.exceptions import InvalidInputError, MissingDependencyError
from xai_audit.explainers.base import Explainer
from xai_audit.explainers.lime import LimeExplainer
from xai_audit.explainers.permutation import PermutationExplainer
from xai_audit.explainers.shap import ShapExplainer

# The methods that come with the 'torch' extra, in the order they are listed.
CAPTUM_METHODS = ("integrated_gradients", "saliency", "deeplift", "gradient_shap", "occlusion")


def torch_extra_installed() -> bool:
    """Whether torch and captum (the 'torch' extra) can be imported, without importing them."""
    return importlib.util.find_spec("torch") is not None and importlib.util.find_spec("captum") is not None


def _captum_explainers() -> dict[str, type[Explainer]]:
    """The Captum explainers by name; empty without the 'torch' extra."""
    if not torch_extra_installed():
        return {}
    from xai_audit.explainers.captum import (
        DeepLiftExplainer,
        GradientShapExplainer,
        IntegratedGradientsExplainer,
        OcclusionExplainer,
        SaliencyExplainer,
    )

    return {
        "integrated_gradients": IntegratedGradientsExplainer,
        "saliency": SaliencyExplainer,
        "deeplift": DeepLiftExplainer,
        "gradient_shap": GradientShapExplainer,
        "occlusion": OcclusionExplainer,
    }


REGISTRY: dict[str, type[Explainer]] = {
    "lime": LimeExplainer,
    "permutation": PermutationExplainer,
    "shap": ShapExplainer,
    **_captum_explainers(),
}


def explainer_class(method: str) -> type[Explainer]:
    """The explainer class registered as ``method``.

    Raises
    ------
    MissingDependencyError
        For a Captum method when the 'torch' extra is not installed.
    InvalidInputError
        For a name no explainer has.

    Examples
    --------
    >>> explainer_class("shap").__name__
    'ShapExplainer'
    >>> explainer_class("lasso")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    xai_audit.exceptions.InvalidInputError: No explainer is registered as 'lasso'; registered: [...].
    """
    if method in REGISTRY:
        return REGISTRY[method]
    if method in CAPTUM_METHODS:
        raise MissingDependencyError(
            f"The explainer '{method}' comes with the Captum explainers, which are not available in this "
            "installation. Install them with: pip install 'xai-audit[torch]'"
        )
    raise InvalidInputError(f"No explainer is registered as {method!r}; registered: {sorted(REGISTRY)}.")
