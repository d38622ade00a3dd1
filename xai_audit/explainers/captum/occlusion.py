"""Occlusion for image models: the drop in the explained output when a window is blanked out."""

from __future__ import annotations

import numpy as np

from xai_audit.explainers.captum._common import (
    DEFAULT_BACKGROUND_SIZE,
    FLOATS_PER_CHUNK,
    CaptumExplainer,
    float_tensor,
    require_captum,
    rows_per_batch,
    target_slice,
)
from xai_audit.exceptions import UnsupportedModelError


class OcclusionExplainer(CaptumExplainer):
    """Occlusion (Zeiler & Fergus, 2014) for image models: a window slides over the image, all
    channels at once, is replaced by the baseline (zeros), and the drop in the explained output is
    spread over the window's pixels. Not additive.

    Parameters
    ----------
    window : int, optional
        Side of the square window; default: a quarter of the image's shorter side (at least 1).
    stride : int, optional
        Default: half the window (at least 1).

    Examples
    --------
    >>> import torch
    >>> from xai_audit.adapters.torch import TorchAdapter
    >>> from xai_audit.data import AuditDataset
    >>> net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(16, 2))
    >>> model = TorchAdapter(net, task="binary", classes=[0, 1], input_kind="image", device="cpu")
    >>> data = AuditDataset.from_arrays(np.ones((3, 4, 4)), [0, 1, 0])
    >>> e = OcclusionExplainer().explain(model, data, [], None)
    >>> e.values.shape, e.meta["sliding_window"]
    ((3, 1, 4, 4), [1, 1, 1])
    """

    name = "occlusion"
    additive = False
    captum_class = "Occlusion"

    def __init__(self, *, window=None, stride=None, baseline="zeros", background_size=DEFAULT_BACKGROUND_SIZE,
                 batch_size=None):
        super().__init__(baseline=baseline, background_size=background_size, batch_size=batch_size)
        self.window = window
        self.stride = stride

    @classmethod
    def supports(cls, adapter) -> bool:
        return hasattr(adapter, "forward") and getattr(adapter, "input_kind", "tabular") == "image"

    def check(self, adapter):
        if not self.supports(adapter):
            raise UnsupportedModelError(
                f"Occlusion explains PyTorch image models; the model '{getattr(adapter, 'name', adapter)}' takes "
                f"{getattr(adapter, 'input_kind', 'tabular')} input. Use 'permutation' or 'shap' for tables."
            )

    def attribute(self, adapter, task, *, random_state=None):
        captum = require_captum()
        channels, height, width = task.inputs.shape[1:]
        window = self.window or max(1, min(height, width) // 4)
        stride = self.stride or max(1, window // 2)
        method = captum.Occlusion(adapter.forward)
        per_batch = rows_per_batch(task.inputs, 1, self.batch_size)
        positions = ((height - window) // stride + 1) * ((width - window) // stride + 1)
        per_eval = max(1, min(positions, FLOATS_PER_CHUNK // (int(np.prod(task.inputs.shape[1:])) * per_batch)))
        chunks = []
        for start in range(0, len(task.inputs), per_batch):
            batch = float_tensor(task.inputs[start:start + per_batch], adapter.device)
            attributions = method.attribute(
                batch, sliding_window_shapes=(channels, window, window), strides=(channels, stride, stride),
                baselines=float_tensor(task.baseline, adapter.device)[0],
                target=target_slice(task.targets, start, start + per_batch, adapter.device),
                perturbations_per_eval=per_eval)
            chunks.append(attributions.detach().cpu().numpy().astype(float))
        base_values = self._base_values(adapter, task, task.baseline)
        return np.concatenate(chunks), base_values, {
            "sliding_window": [int(channels), int(window), int(window)],
            "strides": [int(channels), int(stride), int(stride)],
            "occluded_with": task.baseline_note,
        }
