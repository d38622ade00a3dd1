"""Attribution maps for image models, and the model-randomisation sanity check.

:func:`image_section` explains a few images with several Captum methods and checks each method the
way Adebayo et al. (2018, "Sanity Checks for Saliency Maps") propose: the model's weights are
re-drawn at random, layer by layer from the output down (cascading), the maps are computed again,
and a method whose maps hardly change (their absolute values keep their rank order) cannot be
explaining what the model learned; it is flagged as not trustworthy for this model.
"""

from __future__ import annotations

import copy

import numpy as np
from scipy.stats import rankdata

from xai_audit.exceptions import InvalidInputError, UnsupportedModelError
from xai_audit.explainers.registry import REGISTRY
from xai_audit.explainers.captum._common import plain_value, require_torch, seed_from, target_note

DEFAULT_METHODS = ("integrated_gradients", "saliency", "occlusion")
DEFAULT_SAMPLES = 8
DEFAULT_THRESHOLD = 0.5
RANDOMISATION_NOTE = (
    "cascading: the parameters of each layer are re-drawn from U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (PyTorch's "
    "default for Linear and Conv layers), layer after layer from the output layer down to the input layer; "
    "the verdict uses the fully randomised model; the explained class stays the trained model's prediction"
)
ALL_AT_ONCE_NOTE = (
    "all at once: every parameter re-drawn from U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (PyTorch's default for "
    "Linear and Conv layers); the explained class stays the trained model's prediction"
)


def image_section(adapter, data, rows, *, random_state=None, methods=DEFAULT_METHODS,
                  threshold=DEFAULT_THRESHOLD, cascading=True) -> dict:
    """Attribution maps for a sample of images, with a model-randomisation sanity check per method.

    Parameters
    ----------
    adapter : TorchAdapter
        An image model (``input_kind="image"``) with gradients.
    data : AuditDataset
        Built with :meth:`AuditDataset.from_arrays`.
    rows : int or sequence of int or None
        How many images to sample (seeded), or their positions; None: ``DEFAULT_SAMPLES`` images.
    random_state : int, optional
        Seeds the sample, the explainers and the re-drawn weights.
    methods : sequence of str
        Registered explainers to run (``"integrated_gradients"``, ``"saliency"``, ``"occlusion"``,
        ``"deeplift"``, ``"gradient_shap"``).
    threshold : float
        A method fails the sanity check when the mean Spearman rank correlation between its maps
        for the trained and the randomised model is above this.
    cascading : bool
        Randomise layer after layer from the top (recording each stage) or all layers at once.

    Returns
    -------
    dict
        Plain JSON-ready types::

            {"samples": [{"row", "image" (C×H×W), "true_label", "predicted_label", "probability"}],
             "methods": {method: {"maps": [H×W per sample], "meta": {...}}},
             "sanity_check": {method: {"mean_rank_correlation", "mean_ssim", "passed", "threshold",
                                       "randomisation", "cascade": [...], "verdict"}}}

        Maps are the attributions summed over the channels, with their sign.

    Examples
    --------
    >>> import torch
    >>> from xai_audit.adapters.torch import TorchAdapter
    >>> from xai_audit.data import AuditDataset
    >>> _ = torch.manual_seed(0)
    >>> net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(16, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
    >>> model = TorchAdapter(net, task="multiclass", classes=[0, 1, 2], input_kind="image", device="cpu")
    >>> images = np.random.default_rng(0).random((6, 1, 4, 4))
    >>> section = image_section(model, AuditDataset.from_arrays(images, [0, 1, 2] * 2), 2, random_state=0)
    >>> sorted(section), len(section["methods"]["saliency"]["maps"]), sorted(section["sanity_check"]["saliency"])[:3]
    (['methods', 'samples', 'sanity_check'], 2, ['cascade', 'mean_rank_correlation', 'mean_ssim'])
    """
    if getattr(adapter, "input_kind", None) != "image" or not hasattr(adapter, "forward"):
        raise UnsupportedModelError(
            f"image_section explains PyTorch image models; the model '{getattr(adapter, 'name', adapter)}' "
            f"takes {getattr(adapter, 'input_kind', 'tabular')} input."
        )
    if getattr(data, "images", None) is None:
        raise InvalidInputError(
            "image_section needs images: build the data with AuditDataset.from_arrays(images, labels).")
    unknown = [m for m in methods if m not in REGISTRY]
    if unknown or not methods:
        raise InvalidInputError(
            f"Unknown explainers {unknown or list(methods)}; registered ones are {sorted(REGISTRY)}.")
    if not 0 < threshold < 1:
        raise InvalidInputError(f"threshold must lie between 0 and 1; got {threshold}.")
    explainers = {name: REGISTRY[name]() for name in methods}
    for explainer in explainers.values():
        explainer.check(adapter)

    if rows is not None and not isinstance(rows, (int, np.integer)) and len(rows) > DEFAULT_SAMPLES:
        rows = choose_images(adapter, data, rows)
    task, _, positions = next(iter(explainers.values())).task(
        adapter, data, [], DEFAULT_SAMPLES if rows is None else rows, random_state=random_state)
    trained = {}
    section_methods = {}
    for name, explainer in explainers.items():
        values, _, details = explainer.attribute(adapter, task, random_state=random_state)
        trained[name] = _maps(values)
        meta = {"explainer": f"captum.attr.{explainer.captum_class}", "target": target_note(adapter),
                "baseline": task.baseline_note, "additive": explainer.additive,
                "map": "attributions summed over the channels, one H×W list per sample"}
        meta.update(details)
        section_methods[name] = {"maps": _json(trained[name]), "meta": _json(meta)}

    return {
        "samples": _samples(adapter, data, task, positions),
        "methods": section_methods,
        "sanity_check": _sanity_check(adapter, task, explainers, trained, threshold=threshold,
                                      cascading=cascading, random_state=random_state),
    }


def choose_images(adapter, data, rows, *, limit: int = DEFAULT_SAMPLES) -> list:
    """Up to ``limit`` of ``rows`` to explain: misclassified images beside correctly classified ones.

    Half the places (more if too few images are classified correctly) go to the misclassified images
    the model is most confident about, the rest to correctly classified ones in the order given.
    Without labels or for regression, the first ``limit`` rows.

    Examples
    --------
    >>> import torch
    >>> from xai_audit.adapters.torch import TorchAdapter
    >>> from xai_audit.data import AuditDataset
    >>> _ = torch.manual_seed(0)
    >>> net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(16, 3))
    >>> model = TorchAdapter(net, task="multiclass", classes=[0, 1, 2], input_kind="image", device="cpu")
    >>> data = AuditDataset.from_arrays(np.random.default_rng(0).random((30, 1, 4, 4)), [0, 1, 2] * 10)
    >>> len(choose_images(model, data, list(range(30)), limit=4))
    4
    """
    rows = [int(r) for r in rows]
    if data.target is None or adapter.task == "regression" or len(rows) <= limit:
        return rows[:limit]
    torch = require_torch()
    inputs = adapter.model_input(np.asarray(data.images)[rows])
    with torch.no_grad():
        scores = adapter.forward(torch.as_tensor(inputs).to(adapter.device)).cpu().numpy().astype(float)
    predicted = np.asarray(adapter.classes, dtype=object)[scores.argmax(axis=1)]
    truth = np.asarray(data.y_true(), dtype=object)[rows]
    wrong = np.flatnonzero(predicted != truth)
    wrong = wrong[np.argsort(-scores.max(axis=1)[wrong], kind="stable")]
    right = np.flatnonzero(predicted == truth)
    n_wrong = min(len(wrong), max(limit // 2, limit - len(right)))
    chosen = sorted(list(wrong[:n_wrong]) + list(right[: limit - n_wrong]))
    return [rows[k] for k in chosen]


def _maps(values):
    """Attributions (n, C, H, W) summed over the channels: (n, H, W)."""
    return np.asarray(values, dtype=float).sum(axis=1)


def _samples(adapter, data, task, positions):
    torch = require_torch()
    with torch.no_grad():
        scores = adapter.forward(torch.from_numpy(task.inputs).to(adapter.device)).cpu().numpy().astype(float)
    truth = data.y_true()[positions] if data.target is not None else [None] * len(positions)
    samples = []
    for i, row in enumerate(positions):
        if adapter.task == "regression":
            predicted, probability = float(scores[i]), None
        else:
            index = int(scores[i].argmax())
            predicted, probability = plain_value(adapter.classes[index]), float(scores[i, index])
        samples.append({
            "row": int(row), "image": _json(task.inputs[i]), "true_label": _json(plain_value(truth[i])),
            "predicted_label": predicted, "probability": probability,
        })
        if adapter.task != "regression" and truth[i] is not None:
            samples[-1]["correct"] = bool(plain_value(truth[i]) == predicted)
            samples[-1]["reason_chosen"] = ("misclassified" if not samples[-1]["correct"]
                                            else "correctly classified")
    return samples


# -- the sanity check --------------------------------------------------------------------------------


def _parameter_layers(module):
    """The module's parameters grouped by the layer that owns them, input layer first."""
    layers = {}
    for name, parameter in module.named_parameters():
        layers.setdefault(name.rpartition(".")[0] or "(top level)", []).append(parameter)
    return list(layers.items())


def _redraw(parameters, generator):
    """Re-draw a layer's parameters from U(-1/sqrt(fan_in), 1/sqrt(fan_in)), in place."""
    torch = require_torch()
    matrices = [p for p in parameters if p.ndim >= 2]
    fan_in = int(np.prod(matrices[0].shape[1:])) if matrices else None
    with torch.no_grad():
        for parameter in parameters:
            own_fan_in = int(np.prod(parameter.shape[1:])) if parameter.ndim >= 2 else fan_in
            bound = 1.0 / np.sqrt(own_fan_in) if own_fan_in else 1.0
            drawn = (torch.rand(parameter.shape, generator=generator, dtype=torch.float64) * 2 - 1) * bound
            parameter.copy_(drawn.to(dtype=parameter.dtype, device=parameter.device))


def _sanity_check(adapter, task, explainers, trained, *, threshold, cascading, random_state):
    torch = require_torch()
    generator = torch.Generator().manual_seed(seed_from(random_state))
    randomised = copy.copy(adapter)
    randomised.module = copy.deepcopy(adapter.module)
    layers = _parameter_layers(randomised.module)
    if not layers:
        raise UnsupportedModelError(
            f"The model '{adapter.name}' has no parameters to randomise, so the sanity check cannot run."
        )
    stages = [[layer] for layer in reversed(layers)] if cascading else [list(reversed(layers))]
    cascade = {name: [] for name in explainers}
    randomised_names = []
    for stage in stages:
        for layer_name, parameters in stage:
            _redraw(parameters, generator)
            randomised_names.append(layer_name)
        for name, explainer in explainers.items():
            values, _, _ = explainer.attribute(randomised, task, random_state=random_state)
            maps = _maps(values)
            correlations = [rank_correlation(a, b) for a, b in zip(trained[name], maps)]
            similarities = [ssim(a, b) for a, b in zip(trained[name], maps)]
            cascade[name].append({
                "layers_randomised": list(randomised_names),
                "mean_rank_correlation": float(np.mean(correlations)),
                "mean_ssim": float(np.mean(similarities)),
            })
    result = {}
    for name in explainers:
        final = cascade[name][-1]
        passed = final["mean_rank_correlation"] <= threshold
        result[name] = {
            "mean_rank_correlation": final["mean_rank_correlation"],
            "mean_ssim": final["mean_ssim"],
            "passed": bool(passed),
            "threshold": float(threshold),
            "randomisation": RANDOMISATION_NOTE if cascading else ALL_AT_ONCE_NOTE,
            "cascade": cascade[name],
            "verdict": ("the maps change when the weights are randomised: they depend on what the model learned"
                        if passed else
                        "not trustworthy for this model: the maps barely change when the weights are randomised"),
        }
    return result


def rank_correlation(first, second) -> float:
    """Spearman rank correlation of the absolute values of two attribution maps.

    Ties get average ranks. A constant map has no ranking: two constant maps count as 1.0 (both
    equally uninformative, nothing changed), one constant and one varying map as 0.0.

    Examples
    --------
    >>> rank_correlation(np.array([[1.0, -2.0], [3.0, 0.5]]), np.array([[2.0, 4.0], [9.0, -1.0]]))
    1.0
    >>> rank_correlation(np.zeros((2, 2)), np.arange(4.0).reshape(2, 2))
    0.0
    """
    a = rankdata(np.abs(np.asarray(first, dtype=float)).ravel())
    b = rankdata(np.abs(np.asarray(second, dtype=float)).ravel())
    a_constant, b_constant = np.ptp(a) == 0, np.ptp(b) == 0
    if a_constant or b_constant:
        return 1.0 if a_constant and b_constant else 0.0
    return float(np.corrcoef(a, b)[0, 1])


def ssim(first, second) -> float:
    """Structural similarity of two attribution maps, computed globally (one window over the whole map)
    on the absolute values scaled to [0, 1] by their maximum; 1.0 for identical maps.

    Examples
    --------
    >>> round(ssim(np.eye(3), 2 * np.eye(3)), 6)
    1.0
    """
    a = np.abs(np.asarray(first, dtype=float)).ravel()
    b = np.abs(np.asarray(second, dtype=float)).ravel()
    a = a / a.max() if a.max() > 0 else a
    b = b / b.max() if b.max() > 0 else b
    c1, c2 = 0.01 ** 2, 0.03 ** 2
    mean_a, mean_b = a.mean(), b.mean()
    covariance = ((a - mean_a) * (b - mean_b)).mean()
    value = ((2 * mean_a * mean_b + c1) * (2 * covariance + c2)) / (
        (mean_a ** 2 + mean_b ** 2 + c1) * (a.var() + b.var() + c2))
    return float(value)


def _json(value):
    """Plain Python types for JSON: arrays as nested lists, non-finite floats as None."""
    if isinstance(value, dict):
        return {str(k): _json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json(v) for v in value]
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "f" and not np.isfinite(value).all():
            return _json(value.astype(object))
        return value.tolist() if value.dtype != object else [_json(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value
