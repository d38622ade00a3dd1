"""The explicit explainer registry: names, classes, and the message without the 'torch' extra."""

import pytest

from xai_audit.exceptions import InvalidInputError, MissingDependencyError
from xai_audit.explainers import api, registry
from xai_audit.explainers.base import Explainer
from xai_audit.explainers.lime import LimeExplainer
from xai_audit.explainers.permutation import PermutationExplainer
from xai_audit.explainers.shap import ShapExplainer


def test_every_name_is_its_class_name():
    for name, explainer in registry.REGISTRY.items():
        assert issubclass(explainer, Explainer)
        assert explainer.name == name


def test_the_methods_explain_takes_are_registered_or_come_with_torch():
    offered = set(api.METHODS) - {"auto"}
    assert {"shap", "lime", "permutation"} <= set(registry.REGISTRY)
    assert offered == (set(registry.REGISTRY) | set(registry.CAPTUM_METHODS))


def test_always_there():
    assert registry.REGISTRY["shap"] is ShapExplainer
    assert registry.REGISTRY["lime"] is LimeExplainer
    assert registry.REGISTRY["permutation"] is PermutationExplainer


def test_captum_methods_follow_the_torch_extra():
    captum = registry._captum_explainers()
    if registry.torch_extra_installed():
        assert tuple(captum) == registry.CAPTUM_METHODS
        assert all(registry.REGISTRY[name] is captum[name] for name in captum)
    else:
        assert captum == {}


def test_without_torch_no_captum_class_is_listed(monkeypatch):
    monkeypatch.setattr(registry, "torch_extra_installed", lambda: False)
    assert registry._captum_explainers() == {}


@pytest.mark.parametrize("method", registry.CAPTUM_METHODS)
def test_a_captum_method_without_torch_names_the_extra(monkeypatch, method):
    monkeypatch.delitem(registry.REGISTRY, method, raising=False)
    with pytest.raises(MissingDependencyError, match=r"pip install 'xai-audit\[torch\]'"):
        registry.explainer_class(method)
    with pytest.raises(MissingDependencyError, match=f"The explainer '{method}'"):
        api.make_explainer(method, {})


def test_an_unknown_name_lists_the_registered_ones():
    with pytest.raises(InvalidInputError, match=r"No explainer is registered as 'lasso'; registered: \[.*'shap'"):
        registry.explainer_class("lasso")


def test_options_are_checked_against_the_class():
    with pytest.raises(InvalidInputError, match=r"The explainer 'shap' takes the options \["):
        api.make_explainer("shap", {"not_an_option": 1})
    assert isinstance(api.make_explainer("permutation", {}), PermutationExplainer)


WITHOUT_TORCH = r"""
import importlib.abc, importlib.util, sys

class NoTorch(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("torch", "captum"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)

sys.meta_path.insert(0, NoTorch())
real_find_spec = importlib.util.find_spec
importlib.util.find_spec = lambda name, *a: None if name.split(".")[0] in ("torch", "captum") else real_find_spec(name, *a)

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
import xai_audit as xa
from xai_audit.explainers import REGISTRY

print(sorted(REGISTRY))
X = pd.DataFrame({"a": np.arange(20.0), "b": np.tile([0.0, 1.0], 10)})
model = LogisticRegression().fit(X, (X["a"] > 9).astype(int))
try:
    xa.explain(model, X, method="saliency")
except xa.MissingDependencyError as error:
    print(error)
print(xa.explain(model, X, method="shap", rows=3, random_state=0).values.shape)
"""


def test_without_the_torch_extra_the_rest_works_and_captum_methods_name_it():
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", WITHOUT_TORCH], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "['lime', 'permutation', 'shap']"
    assert "The explainer 'saliency' comes with the Captum explainers" in lines[1]
    assert "pip install 'xai-audit[torch]'" in lines[1]
    assert lines[2] == "(3, 2)"
