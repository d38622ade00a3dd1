"""DeepLift (rescale rule) against a baseline, and DeepLiftShap: DeepLift averaged over a background.

:func:`deep_shap` gives SHAP values for a torch model with Captum's DeepLift rules averaged over a
background (the DeepLiftShap algorithm); the SHAP explainer calls it for torch adapters. The
adapter's output head (sigmoid, softmax or identity) gets exact path-integrated multipliers, and
each activation layer gets its own input tensor while the hooks are on.
"""

from __future__ import annotations

import contextlib
import copy
import warnings

import numpy as np

from xai_audit.explainers.captum._common import (
    DEFAULT_BACKGROUND_SIZE,
    RELATIVE_NOTE,
    CaptumExplainer,
    check_gradient_adapter,
    completeness,
    delta_summary,
    float_tensor,
    forward_numpy,
    require_captum,
    require_torch,
    targets_and_output,
)
from xai_audit.exceptions import InvalidInputError, UnsupportedModelError

# Input floats per DeepLift batch of input–reference pairs: small enough for the activations to
# stay in cache (measured fastest on CPU for MLPs and small CNNs), large enough to amortise the hooks.
_DEEPLIFT_FLOATS = 1 << 17
# Composite Gauss-Legendre rule for the output head's path-integrated gradient: 8 panels of 16 nodes.
_HEAD_PANELS, _HEAD_NODES = 8, 16


@contextlib.contextmanager
def _quiet():
    """Silence Captum's notice that DeepLift sets hooks on the activations for each call."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"(?s).*Setting forward, backward hooks")
        yield


def _layers_visible(module) -> bool:
    """Whether DeepLift can hook the module's layers: an eager module, not TorchScript or torch.export."""
    torch = require_torch()
    return not isinstance(module, (torch.jit.ScriptModule, torch.fx.GraphModule))


def _gauss_legendre_panels():
    nodes, weights = np.polynomial.legendre.leggauss(_HEAD_NODES)
    edges = np.linspace(0.0, 1.0, _HEAD_PANELS + 1)
    width = edges[1] - edges[0]
    t = np.concatenate([edges[i] + (nodes + 1) * width / 2 for i in range(_HEAD_PANELS)])
    w = np.concatenate([weights * width / 2 for _ in range(_HEAD_PANELS)])
    return t, w


def _head_multipliers(adapter, raw_inputs, raw_references, targets):
    """Path-integrated gradient of the explained output with respect to the module's raw outputs.

    The adapter turns the module's raw outputs z (logits, probabilities or values) into the explained
    output g(z) (a sigmoid or softmax column, or the value). For each input–reference pair this returns
    m = ∫₀¹ ∇g(z_ref + t (z_in − z_ref)) dt, so that m · (z_in − z_ref) = g(z_in) − g(z_ref): the
    exact multiplier of a multi-input nonlinearity, where DeepLift's rules for Softmax are approximate.
    """
    torch = require_torch()
    head = copy.copy(adapter)
    head.module = torch.nn.Identity()
    start = raw_references.double()
    delta = raw_inputs.double() - start
    if delta.shape[1] == 1:
        return _secant(head, start, delta, targets).to(raw_inputs.dtype)
    nodes, weights = _gauss_legendre_panels()
    multipliers = torch.zeros_like(delta)
    for panel in range(_HEAD_PANELS):
        panel_nodes = slice(panel * _HEAD_NODES, (panel + 1) * _HEAD_NODES)
        t = torch.as_tensor(nodes[panel_nodes], dtype=delta.dtype, device=delta.device)
        w = torch.as_tensor(weights[panel_nodes], dtype=delta.dtype, device=delta.device)
        points = (start[None] + t[:, None, None] * delta[None]).reshape(-1, delta.shape[1]).requires_grad_(True)
        scores = head.forward(points)
        if targets is None:
            selected = scores.reshape(-1)
        else:
            repeated = targets.repeat(len(t))
            selected = scores[torch.arange(len(points), device=scores.device), repeated]
        (gradient,) = torch.autograd.grad(selected.sum(), points)
        multipliers += (gradient.reshape(len(t), *delta.shape) * w[:, None, None]).sum(dim=0)
    return multipliers.to(raw_inputs.dtype)


def _secant(head, start, delta, targets):
    """The exact multiplier of a one-input head: (g(z_in) − g(z_ref)) / (z_in − z_ref), and the
    derivative at the midpoint where the two logits (nearly) coincide."""
    torch = require_torch()

    def explained(z):
        scores = head.forward(z)
        return scores.reshape(-1) if targets is None else scores[torch.arange(len(z), device=z.device), targets]

    with torch.no_grad():
        change = explained(start + delta) - explained(start)
    middle = (start + delta / 2).requires_grad_(True)
    (slope,) = torch.autograd.grad(explained(middle).sum(), middle)
    small = delta.abs() < 1e-6
    return torch.where(small, slope, change[:, None] / torch.where(small, torch.ones_like(delta), delta))


def _weighted_module(adapter):
    """The adapter's module with its raw outputs combined by per-row weights (a linear head)."""
    torch = require_torch()

    class WeightedOutput(torch.nn.Module):
        def __init__(self, module):
            super().__init__()
            self.module = module

        def forward(self, inputs, weights):
            raw = self.module(inputs)
            explained = (raw.reshape(len(raw), -1) * weights).sum(dim=1)
            # DeepLift runs the inputs and their references as one batch (inputs first) and Captum
            # takes the gradient of each output row separately, one autograd output per row. Rows do
            # not interact in an eval-mode model, so the gradient of each half's sum is the same,
            # and two outputs instead of thousands save most of the time.
            return explained.reshape(2, -1).sum(dim=1)

    return WeightedOutput(adapter.module)


def _activation_types():
    """The layers DeepLift has rules for (captum's ``SUPPORTED_NON_LINEAR``)."""
    nn = require_torch().nn
    return (nn.ReLU, nn.ELU, nn.LeakyReLU, nn.Sigmoid, nn.Tanh, nn.Softplus, nn.Softmax,
            nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d)


def _clone_inputs(module, inputs):
    return tuple(x.clone() if hasattr(x, "clone") else x for x in inputs)


@contextlib.contextmanager
def _separate_activation_inputs(module):
    """Give every activation layer its own input tensor for the duration of the block.

    Captum's DeepLift keeps its gradient hooks on the input and output tensors of each activation
    layer. When one activation feeds another directly (ReLU → MaxPool2d), both hook the same tensor
    and the second rule reads the gradient before the first has rescaled it: the attributions no
    longer add up (captum issue #1104). A differentiable copy of each activation's input keeps the
    two apart; the model's outputs and gradients are unchanged.
    """
    types = _activation_types()
    handles = [layer.register_forward_pre_hook(_clone_inputs) for layer in module.modules() if type(layer) in types]
    try:
        yield
    finally:
        for handle in handles:
            handle.remove()


def _raw(adapter, inputs):
    torch = require_torch()
    with torch.no_grad():
        raw = adapter.module(inputs)
    return raw.reshape(len(raw), -1)


def _deeplift_pairs(adapter, inputs, references, targets, *, pair_batch=None):
    """DeepLift attributions of every input against every reference, averaged over the references.

    With one reference this is DeepLift; with a background sample it is DeepLiftShap. Captum's
    DeepLift (rescale rule) propagates through the module's layers; the adapter's output head
    (sigmoid, softmax or identity) gets its exact path-integrated multipliers per pair.
    Returns an (n, ...) float array.
    """
    torch = require_torch()
    captum = require_captum()
    model = _weighted_module(adapter)
    deeplift = captum.DeepLift(model)
    n_refs = len(references)
    reference_tensor = float_tensor(references, adapter.device)
    raw_references = _raw(adapter, reference_tensor)
    if pair_batch is None:
        pair_batch = max(1, _DEEPLIFT_FLOATS // (int(np.prod(inputs.shape[1:])) or 1))
    per_batch = max(1, pair_batch // n_refs)
    target_tensor = None if targets is None else torch.as_tensor(targets, dtype=torch.long, device=adapter.device)
    chunks = []
    with _quiet(), _separate_activation_inputs(adapter.module):
        for start in range(0, len(inputs), per_batch):
            batch = float_tensor(inputs[start:start + per_batch], adapter.device)
            rows = len(batch)
            pair_inputs = batch.repeat_interleave(n_refs, dim=0).requires_grad_()
            pair_references = reference_tensor.repeat((rows,) + (1,) * (reference_tensor.ndim - 1))
            raw_inputs = _raw(adapter, batch).repeat_interleave(n_refs, dim=0)
            pair_targets = (None if target_tensor is None
                            else target_tensor[start:start + rows].repeat_interleave(n_refs))
            weights = _head_multipliers(adapter, raw_inputs, raw_references.repeat(rows, 1), pair_targets).detach()
            attributions = deeplift.attribute(pair_inputs, baselines=pair_references,
                                              additional_forward_args=(weights,))
            attributions = attributions.detach().reshape((rows, n_refs) + tuple(batch.shape[1:])).mean(dim=1)
            chunks.append(attributions.cpu().numpy().astype(float))
    return np.concatenate(chunks)


class DeepLiftExplainer(CaptumExplainer):
    """DeepLift (Shrikumar et al., 2017), rescale rule, against the baseline.

    Attributions add up exactly to output − base output when every nonlinearity of the module is a
    layer DeepLift knows (``nn.ReLU``, ``nn.Sigmoid``, ``nn.Tanh``, ``nn.MaxPool2d``...); the
    adapter's own sigmoid or softmax on the logits is handled exactly. Functional activations
    (``F.relu`` in ``forward``) are invisible to DeepLift: the completeness check in
    ``meta["completeness_reached"]`` then fails and says so. TorchScript and ``torch.export``
    modules are not supported (their layers cannot be hooked).

    Examples
    --------
    >>> import torch, pandas as pd
    >>> from xai_audit.adapters.torch import TorchAdapter
    >>> from xai_audit.data import AuditDataset
    >>> _ = torch.manual_seed(0)
    >>> net = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1))
    >>> model = TorchAdapter(net, task="binary", classes=[0, 1], feature_names=["a", "b"], device="cpu")
    >>> df = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0], "b": [1.0, 0.0, 1.0, 0.0], "y": [0, 1, 0, 1]})
    >>> e = DeepLiftExplainer().explain(model, AuditDataset.from_frame(df, target="y"), ["a", "b"], None)
    >>> e.additivity_error() < 1e-5, e.meta["completeness_reached"]
    (True, True)
    """

    name = "deeplift"
    additive = True
    captum_class = "DeepLift"

    def __init__(self, *, tolerance=0.01, baseline="auto", background_size=DEFAULT_BACKGROUND_SIZE, batch_size=None):
        super().__init__(baseline=baseline, background_size=background_size, batch_size=batch_size)
        self.tolerance = float(tolerance)

    @classmethod
    def supports(cls, adapter) -> bool:
        return super().supports(adapter) and _layers_visible(adapter.module)

    def attribute(self, adapter, task, *, random_state=None):
        if not _layers_visible(adapter.module):
            raise UnsupportedModelError(
                f"DeepLift needs an eager torch.nn.Module whose layers it can hook; the model '{adapter.name}' "
                f"is a {type(adapter.module).__name__} (TorchScript or torch.export). Use 'integrated_gradients' "
                "or 'gradient_shap'."
            )
        values = _deeplift_pairs(adapter, task.inputs, task.baseline, task.targets, pair_batch=self.batch_size)
        base_values = self._base_values(adapter, task, task.baseline)
        _, output = targets_and_output(adapter, task.inputs, task.targets)
        error, relative = completeness(values, base_values, output)
        reached = bool((relative <= self.tolerance).all())
        meta = {"rule": "rescale", "output_head": "exact path-integrated multipliers of the sigmoid/softmax",
                "tolerance": self.tolerance, "completeness_reached": reached,
                "convergence_delta": delta_summary(error, relative),
                "convergence_delta_relative_to": RELATIVE_NOTE}
        if not reached:
            meta["completeness_note"] = (
                "The attributions do not add up to output − base output: the model has nonlinearities "
                "DeepLift cannot see (functional calls such as F.relu, or layers without a DeepLift rule).")
        return values, base_values, meta


def deep_shap(adapter, inputs, background, *, random_state=None):
    """SHAP values for a PyTorch model with Captum's DeepLift rules averaged over a background.

    This is the DeepLiftShap algorithm (what ``shap.DeepExplainer`` computes for PyTorch): DeepLift of
    each row against every background row, averaged. The explained output per row is the
    positive-class probability (binary), the probability of the row's predicted class (multiclass)
    or the value (regression). The adapter's sigmoid/softmax on the logits gets exact multipliers,
    so the values add up to the output.

    Parameters
    ----------
    adapter : TorchAdapter
        An eager ``torch.nn.Module`` (its layers are hooked).
    inputs, background : ndarray or DataFrame
        Rows to explain and background rows; arrays are taken to be in model-input space
        (preprocessed columns, or images), DataFrames go through the adapter's preprocessor.
    random_state : optional
        Accepted for a uniform signature; DeepLiftShap draws no random numbers.

    Returns
    -------
    values : ndarray
        Same shape as the model inputs of ``inputs`` (encoded columns for tabular models).
    base_values : ndarray
        (n,): the mean explained output over the background, for each row's target.

    Raises
    ------
    UnsupportedModelError
        For TorchScript / ``torch.export`` modules, and when the values do not add up to the output
        within 1% (the model has nonlinearities DeepLift cannot see); a model-agnostic SHAP
        explainer is the fallback.

    Examples
    --------
    >>> import torch
    >>> from xai_audit.adapters.torch import TorchAdapter
    >>> _ = torch.manual_seed(0)
    >>> net = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
    >>> model = TorchAdapter(net, task="multiclass", classes=["a", "b", "c"], device="cpu")
    >>> X = np.random.default_rng(0).normal(size=(5, 3)).astype("float32")
    >>> values, base = deep_shap(model, X, X)
    >>> values.shape, bool(np.allclose(values.sum(axis=1) + base, model.output(X), atol=1e-5))
    ((5, 3), True)
    """
    check_gradient_adapter(adapter, "shap")
    if not _layers_visible(adapter.module):
        raise UnsupportedModelError(
            f"DeepLiftShap needs an eager torch.nn.Module whose layers it can hook; the model '{adapter.name}' "
            f"is a {type(adapter.module).__name__} (TorchScript or torch.export). Use a model-agnostic "
            "SHAP explainer (KernelExplainer) for it."
        )
    inputs = adapter.model_input(inputs)
    background = adapter.model_input(background)
    if len(inputs) == 0 or len(background) == 0:
        raise InvalidInputError(
            f"deep_shap needs at least one row to explain and one background row; got {len(inputs)} "
            f"and {len(background)}."
        )
    if inputs.shape[1:] != background.shape[1:]:
        raise InvalidInputError(
            f"The background rows have shape {background.shape[1:]} and the explained rows {inputs.shape[1:]}; "
            "they must be in the same model-input space."
        )
    targets, output = targets_and_output(adapter, inputs)
    values = _deeplift_pairs(adapter, inputs, background, targets)
    scores = forward_numpy(adapter, background)
    base_values = (np.full(len(inputs), scores.reshape(len(background)).mean()) if targets is None
                   else scores.mean(axis=0)[targets])
    error, relative = completeness(values, base_values, output)
    if relative.max() > 0.01:
        raise UnsupportedModelError(
            f"DeepLiftShap's values for the model '{adapter.name}' do not add up to its output (largest error "
            f"{error.max():.3g}, {relative.max():.1%} of |output − base value|): DeepLift sees only nonlinearities "
            "that are layers with a DeepLift rule (nn.ReLU, nn.Sigmoid, nn.Tanh, nn.MaxPool2d...); functional "
            "calls such as F.relu inside forward are treated as linear. Use such layers, or a model-agnostic "
            "SHAP explainer."
        )
    return values, base_values
